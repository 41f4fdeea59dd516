/* tt10.c - the Circular 10/2021 transmission of one station (see tt10.h):
 * the aggregator on the main thread, a writer thread that puts each closed
 * period on disk and prunes old files, and wwtp-tt10-upload, started
 * when there are servers to send to (tt10_child.h). */
#include "tt10.h"

#include <errno.h>
#include <stdio.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../station/tt10_config.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "tt10_format.h"
#include "tt10_period.h"
#include "tt10_store.h"
#include "tt10_child.h"

#define MOD "tt10"
/* Files closed but not yet on disk (a failing disk): a day of 5-minute
 * periods. Beyond that the oldest is dropped, and said so. */
#define PENDING_MAX 288
/* A failed write is tried again after this long. */
#define WRITE_RETRY_MS 10000
/* 2020-01-01T00:00:00Z. A time before it is a clock that was never set (a
 * board without a battery-backed clock, before NTP): such readings and
 * ticks would open periods decades ago, so they are left out. */
#define CLOCK_SANE_MS 1577836800000LL
/* Largest file: 32 params of ~80 bytes each, with room. */
#define CONTENT_MAX 8192

struct pending {
	char name[WWTP_TT10_NAME_MAX];
	char *data;
	size_t len;
};

struct wwtp_tt10 {
	const struct wwtp_station *st;
	const struct wwtp_tt10_config *c;
	struct wwtp_tt10_agg *agg;
	const struct wwtp_point **points; /* c->params[i]'s point */
	struct wwtp_tt10_value *values;
	int64_t grace_ms;
	const char *servers[WWTP_TT10_SERVERS_MAX];
	struct wwtp_tt10_child *child; /* NULL without servers */
	uint64_t seen_dropped;
	struct wwtp_complain late_complain;

	/* Main thread -> writer. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pending q[PENDING_MAX]; /* ring */
	size_t q_head, q_len;
	int stop;
	uint64_t lost; /* pending files dropped: the ring was full */
	int writer_started;
	int wake; /* the writer put a file: the child is told on the main thread */
	pthread_t writer;

	/* Writer thread only. */
	struct wwtp_complain write_complain;
	uint64_t written;
};

/* How long after a period's end its last readings may still arrive: a poll
 * is dated when it starts and delivered when it ends, which takes up to
 * the device's timeout for each attempt. At most half a period, so that
 * files still come out once a period. */
static int64_t grace_of(const struct wwtp_station *st, const struct wwtp_tt10_config *c)
{
	int64_t g = 5000;
	for (size_t i = 0; i < st->ndevices; i++) {
		int64_t d =
		    (int64_t)st->devices[i].timeout_ms * (st->devices[i].retries + 1) + 1000;
		if (d > g)
			g = d;
	}
	int64_t half = (int64_t)c->period_s * 500;
	return g < half ? g : half;
}

static const struct wwtp_point *point_of(const struct wwtp_station *st, const char *param)
{
	for (size_t i = 0; i < st->ndevices; i++)
		for (size_t j = 0; j < st->devices[i].npoints; j++)
			if (strcmp(st->devices[i].points[j].param, param) == 0)
				return &st->devices[i].points[j];
	return NULL;
}

/* "yyyyMMddHHmmss" of now minus max_age_days: files stamped before it go. */
static void cutoff_of(const struct wwtp_tt10_config *c, int64_t now_ms, char *out)
{
	if (wwtp_tt10_stamp(now_ms - (int64_t)c->max_age_days * 86400000, out) != 0)
		memcpy(out, "00000000000000", WWTP_TT10_STAMP_LEN + 1);
}

static void prune(struct wwtp_tt10 *t)
{
	char cutoff[WWTP_TT10_STAMP_LEN + 1];
	struct wwtp_tt10_prune_stats ps;

	cutoff_of(t->c, wwtp_now_ms(), cutoff);
	int rc = wwtp_tt10_store_prune(t->c->dir, t->servers, t->c->nservers, cutoff,
				       (uint64_t)t->c->max_mb * 1024 * 1024, &ps);
	if (rc) {
		LOG_ERROR(MOD, "cannot prune %s: %s", t->c->dir,
			  rc == WWTP_ERR_ERRNO ? strerror(errno) : wwtp_strerror(rc));
		return;
	}
	if (ps.removed_age || ps.removed_size)
		LOG_INFO(MOD,
			 "%s: removed %zu files older than %d days and %zu more to stay under %d "
			 "MB; %zu kept",
			 t->c->dir, ps.removed_age, t->c->max_age_days, ps.removed_size,
			 t->c->max_mb, ps.kept);
	if (ps.undelivered)
		LOG_ERROR(MOD,
			  "%zu files were removed by retention before a server received them "
			  "(see the outboxes in %s/outbox)",
			  ps.undelivered, t->c->dir);
}

/* The oldest pending file, taken out of the ring (under mu). */
static struct pending take(struct wwtp_tt10 *t)
{
	struct pending p = t->q[t->q_head];
	t->q_head = (t->q_head + 1) % PENDING_MAX;
	t->q_len--;
	return p;
}

static void *writer(void *arg)
{
	struct wwtp_tt10 *t = arg;

	pthread_mutex_lock(&t->mu);
	for (;;) {
		while (!t->stop && t->q_len == 0)
			pthread_cond_wait(&t->cv, &t->mu);
		if (t->q_len == 0)
			break; /* stopping, nothing left */
		struct pending p = take(t);
		pthread_mutex_unlock(&t->mu);

		int rc = wwtp_tt10_store_put(t->c->dir, t->servers, t->c->nservers, p.name, p.data,
					     p.len);
		if (rc == 0) {
			wwtp_complain_release(&t->write_complain, MOD,
					      "files are written to %s again", t->c->dir);
			t->written++;
			LOG_DEBUG(MOD, "wrote %s", p.name);
			free(p.data);
			__atomic_store_n(&t->wake, 1, __ATOMIC_RELAXED);
			prune(t);
			pthread_mutex_lock(&t->mu);
			continue;
		}
		wwtp_complain(&t->write_complain, WWTP_LOG_ERROR, MOD,
			      "cannot write %s in %s: %s (trying again)", p.name, t->c->dir,
			      rc == WWTP_ERR_ERRNO ? strerror(errno) : wwtp_strerror(rc));
		pthread_mutex_lock(&t->mu);
		if (t->stop || t->q_len == PENDING_MAX) {
			LOG_ERROR(MOD, "file %s not written: %s", p.name,
				  t->stop ? "stopping" : "too many files wait for the disk");
			free(p.data);
			t->lost++;
		} else {
			/* Back at the head: files go out in their order. */
			t->q_head = (t->q_head + PENDING_MAX - 1) % PENDING_MAX;
			t->q[t->q_head] = p;
			t->q_len++;
		}
		if (t->stop)
			continue; /* the others get one attempt each */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += WRITE_RETRY_MS / 1000;
		while (!t->stop && pthread_cond_timedwait(&t->cv, &t->mu, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

static void enqueue(struct wwtp_tt10 *t, const char *name, const char *data, size_t len)
{
	char *copy = malloc(len + 1);
	if (!copy) {
		LOG_ERROR(MOD, "out of memory: file %s lost", name);
		return;
	}
	memcpy(copy, data, len + 1);
	pthread_mutex_lock(&t->mu);
	if (t->q_len == PENDING_MAX) {
		struct pending old = take(t);
		LOG_ERROR(MOD, "%d files wait for the disk: the oldest, %s, is dropped",
			  PENDING_MAX, old.name);
		free(old.data);
		t->lost++;
	}
	struct pending *p = &t->q[(t->q_head + t->q_len) % PENDING_MAX];
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->data = copy;
	p->len = len;
	t->q_len++;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

/* Closes every period that ended at or before until_ms. */
static void close_periods(struct wwtp_tt10 *t, int64_t until_ms)
{
	int64_t start;
	char name[WWTP_TT10_NAME_MAX], content[CONTENT_MAX];
	size_t len = 0;

	while (wwtp_tt10_agg_close(t->agg, until_ms, &start, t->values) == 1) {
		int64_t stamp =
		    t->c->stamp == WWTP_TT10_STAMP_START ? start : start + t->c->period_s * 1000LL;
		int rc = wwtp_tt10_file_name(t->c, stamp, name, sizeof(name));
		if (rc == 0)
			rc = wwtp_tt10_format(t->c, stamp, t->values, content, sizeof(content),
					      &len);
		if (rc) {
			LOG_ERROR(MOD, "cannot format the file of the period from %" PRId64 ": %s",
				  start, wwtp_strerror(rc));
			continue;
		}
		enqueue(t, name, content, len);
	}
	uint64_t dropped = wwtp_tt10_agg_dropped(t->agg);
	if (dropped != t->seen_dropped) {
		wwtp_complain(&t->late_complain, WWTP_LOG_WARN, MOD,
			      "%" PRIu64 " readings came after their period was closed (or with a "
			      "time far ahead) and are not in any file",
			      dropped);
		t->seen_dropped = dropped;
	}
}

void wwtp_tt10_sample(struct wwtp_tt10 *t, const struct wwtp_sample *s)
{
	if (s->ts_ms < CLOCK_SANE_MS)
		return;
	for (size_t r = 0; r < s->nreadings; r++) {
		const struct wwtp_reading *x = &s->readings[r];
		for (size_t i = 0; i < t->c->nparams; i++) {
			if (t->points[i] == x->point) {
				wwtp_tt10_agg_add(t->agg, i, s->ts_ms, x->status, x->has_value,
						  x->value);
				break;
			}
		}
	}
}

void wwtp_tt10_tick(struct wwtp_tt10 *t, int64_t now_ms)
{
	if (t->child) {
		if (__atomic_exchange_n(&t->wake, 0, __ATOMIC_RELAXED))
			wwtp_tt10_child_wake(t->child);
		wwtp_tt10_child_check(t->child, wwtp_mono_ms());
	}
	if (now_ms < CLOCK_SANE_MS)
		return;
	close_periods(t, now_ms - t->grace_ms);
}

int wwtp_tt10_wanted(const struct wwtp_station *st)
{
	return st->tt10 && st->tt10->enabled;
}

struct wwtp_tt10 *wwtp_tt10_new(const struct wwtp_station *st,
				const struct wwtp_tt10_child_opts *co)
{
	const struct wwtp_tt10_config *c = st->tt10;
	size_t recovered, removed;
	struct wwtp_tt10 *t;

	if (!c || !c->enabled)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		goto nomem;
	t->st = st;
	t->c = c;
	t->late_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	t->write_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	t->grace_ms = grace_of(st, c);
	t->agg = wwtp_tt10_agg_new(c->period_s, c->nparams);
	t->points = calloc(c->nparams, sizeof(*t->points));
	t->values = calloc(c->nparams, sizeof(*t->values));
	if (!t->agg || !t->points || !t->values)
		goto nomem;
	for (size_t i = 0; i < c->nparams; i++) {
		t->points[i] = point_of(st, c->params[i].param);
		if (!t->points[i]) { /* the loader checked it: a bug */
			LOG_ERROR(MOD, "param %s is not in the station", c->params[i].param);
			goto fail;
		}
	}
	for (size_t i = 0; i < c->nservers; i++)
		t->servers[i] = c->servers[i].name;

	int rc = wwtp_tt10_store_init(c->dir, t->servers, c->nservers, &recovered, &removed);
	if (rc) {
		LOG_ERROR(MOD, "cannot set up %s: %s", c->dir,
			  rc == WWTP_ERR_ERRNO ? strerror(errno) : wwtp_strerror(rc));
		goto fail;
	}
	if (recovered || removed)
		LOG_WARN(MOD, "%s: after a crash, %zu files finished and %zu half-written removed",
			 c->dir, recovered, removed);
	prune(t);

	rc = pthread_create(&t->writer, NULL, writer, t);
	if (rc) {
		LOG_ERROR(MOD, "cannot start the writer thread: %s", strerror(rc));
		goto fail;
	}
	t->writer_started = 1;
	if (c->nservers && !(t->child = wwtp_tt10_child_start(co)))
		goto fail; /* logged */
	LOG_INFO(MOD,
		 "files %s_%s_%s_<time>.txt every %d s (%zu params) in %s, sent to %zu "
		 "server(s)",
		 c->province, c->facility, c->station, c->period_s, c->nparams, c->dir,
		 c->nservers);
	return t;

nomem:
	LOG_ERROR(MOD, "out of memory");
fail:
	wwtp_tt10_free(t);
	return NULL;
}

void wwtp_tt10_free(struct wwtp_tt10 *t)
{
	if (!t)
		return;
	if (t->agg && t->writer_started)
		close_periods(t, wwtp_now_ms());
	if (t->writer_started) {
		pthread_mutex_lock(&t->mu);
		t->stop = 1;
		pthread_cond_broadcast(&t->cv);
		pthread_mutex_unlock(&t->mu);
		pthread_join(t->writer, NULL);
	}
	/* After the writer: the files of the last periods are in the outbox;
	 * the child says what it sent. */
	wwtp_tt10_child_stop(t->child);
	if (t->writer_started)
		LOG_INFO(MOD, "%" PRIu64 " files written to %s (%" PRIu64 " could not be)",
			 t->written, t->c->dir, t->lost);
	while (t->q_len) {
		free(t->q[t->q_head].data);
		t->q_head = (t->q_head + 1) % PENDING_MAX;
		t->q_len--;
	}
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	wwtp_tt10_agg_free(t->agg);
	free(t->points);
	free(t->values);
	free(t);
}
