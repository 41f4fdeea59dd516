/* writer.c - spool in front, one thread sending to InfluxDB (see writer.h). */
#include "writer.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/timeutil.h"
#include "influx.h"
#include "spool.h"

#define WRITER_MOD "writer"
/* Requests one batch may cost while isolating lines InfluxDB refuses:
 * enough for a few bad lines among thousands (about 2 log2 n each). */
#define WRITER_SPLIT_BUDGET 64
/* A segment is also sealed at this size, whatever batch_max_points says:
 * one request body stays reasonable. */
#define WRITER_SEAL_BYTES (8u << 20)
/* Cap of what one peek may read: at least one whole segment. */
#define WRITER_BATCH_MAX ((size_t)1 << 30)

struct wwtp_writer {
	struct wwtp_central_influx cfg;
	struct wwtp_spool *sp;
	struct wwtp_influx *ix;
	pthread_t thread;
	int started;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
	int kicked;
	int64_t drain_until; /* monotonic ms */

	uint64_t initial_points; /* in the spool when it was opened */
	/* Counters; written by the thread, read by anyone, under lock. */
	uint64_t written, refused, requests, failures;
	int influx_ok;

	/* The thread's own. */
	struct wwtp_buf batch;
	struct wwtp_influx_resp last; /* the last failing answer */
	int bad_seen;		      /* a BAD_DATA answer in the current batch */
	struct wwtp_complain fail_complain, bad_complain;
};

static void writer_deadline(struct timespec *ts, int64_t mono_ms)
{
	/* wwtp_mono_ms() is CLOCK_MONOTONIC in ms, as is the condvar's clock. */
	ts->tv_sec = (time_t)(mono_ms / 1000);
	ts->tv_nsec = (long)(mono_ms % 1000) * 1000000L;
}

/* The batch policy's post(): one request, counted. */
static int post_cb(void *ctx, const char *data, size_t len)
{
	struct wwtp_writer *w = ctx;
	struct wwtp_influx_resp r;
	int v = wwtp_influx_post(w->ix, data, len, &r);

	pthread_mutex_lock(&w->lock);
	w->requests++;
	if (v == WWTP_INFLUX_RETRY || v == WWTP_INFLUX_NO_DB)
		w->failures++;
	pthread_mutex_unlock(&w->lock);
	if (v == WWTP_INFLUX_BAD_DATA || v == WWTP_INFLUX_TOO_LARGE) {
		if (!w->bad_seen)
			wwtp_complain(&w->bad_complain, WWTP_LOG_ERROR, WRITER_MOD,
				      "InfluxDB %s refuses data (HTTP %ld: %s): isolating the "
				      "lines it refuses",
				      wwtp_influx_target(w->ix), r.http, r.text);
		w->bad_seen = 1;
	} else if (v != WWTP_INFLUX_OK) {
		w->last = r;
	}
	return v;
}

static int64_t next_backoff(const struct wwtp_central_influx *c, int64_t cur)
{
	if (cur <= 0)
		return c->retry_min_ms;
	return cur * 2 > c->retry_max_ms ? c->retry_max_ms : cur * 2;
}

static void *writer_main(void *arg)
{
	struct wwtp_writer *w = arg;
	const struct wwtp_central_influx *c = &w->cfg;
	int64_t backoff = 0, next_try = 0, last_sync = wwtp_mono_ms();
	int db_ready = !(c->api == WWTP_INFLUX_V1 && c->create_database);
	int ever_ok = 0;

	for (;;) {
		int64_t now = wwtp_mono_ms();
		pthread_mutex_lock(&w->lock);
		int stopping = w->stop;
		int64_t until = w->drain_until;
		w->kicked = 0;
		pthread_mutex_unlock(&w->lock);

		int ready = now >= next_try;
		if (stopping) {
			wwtp_spool_seal(w->sp);
			if (now >= until || (!ready && next_try >= until))
				break;
		}
		int64_t age = wwtp_spool_open_age_ms(w->sp);
		if (age >= c->batch_max_ms) {
			/* While InfluxDB is away segments fill up to their size
			 * (fewer, larger requests on the way back) and the open
			 * one is fsynced on the batch schedule instead. */
			if (ready) {
				wwtp_spool_seal(w->sp);
				age = -1;
			} else if (now - last_sync >= c->batch_max_ms) {
				wwtp_spool_sync(w->sp);
				last_sync = now;
			}
		}

		if (ready && !db_ready) {
			struct wwtp_influx_resp r;
			if (wwtp_influx_create_db(w->ix, &r) == WWTP_INFLUX_OK) {
				LOG_INFO(WRITER_MOD, "database ready at %s",
					 wwtp_influx_target(w->ix));
				db_ready = 1;
			} else {
				w->last = r;
				backoff = next_backoff(c, backoff);
				next_try = now + backoff;
				wwtp_complain(&w->fail_complain, WWTP_LOG_WARN, WRITER_MOD,
					      "cannot create the database at %s (HTTP %ld: %s); "
					      "retrying in %" PRId64 " ms",
					      wwtp_influx_target(w->ix), r.http, r.text, backoff);
				continue;
			}
		}

		if (ready) {
			uint32_t np = 0;
			int rc = wwtp_spool_peek(w->sp, (uint32_t)c->batch_max_points,
						 WRITER_SEAL_BYTES, &w->batch, &np);
			if (rc == 0) {
				struct wwtp_write_result res;
				w->bad_seen = 0;
				wwtp_influx_write_batch(w->batch.data, w->batch.len, post_cb, w,
							WRITER_SPLIT_BUDGET, &res);
				wwtp_spool_consume(w->sp, w->batch.data, res.done);
				wwtp_buf_reset(&w->batch);
				pthread_mutex_lock(&w->lock);
				w->written += res.written;
				w->refused += res.dropped;
				w->influx_ok = res.verdict == WWTP_INFLUX_OK;
				uint64_t refused = w->refused;
				pthread_mutex_unlock(&w->lock);
				if (res.dropped > 0)
					LOG_ERROR(WRITER_MOD,
						  "dropped %" PRIu64 " lines InfluxDB refuses "
						  "(%" PRIu64 " since start)",
						  res.dropped, refused);
				if (res.verdict == WWTP_INFLUX_OK) {
					if (w->fail_complain.interval_ms != 0) {
						struct wwtp_spool_stats ss;
						wwtp_spool_get_stats(w->sp, &ss);
						wwtp_complain_release(
						    &w->fail_complain, WRITER_MOD,
						    "InfluxDB %s takes writes again; %" PRIu64
						    " points still in the spool",
						    wwtp_influx_target(w->ix), ss.points);
					} else if (!ever_ok) {
						LOG_INFO(WRITER_MOD, "writing to InfluxDB %s",
							 wwtp_influx_target(w->ix));
					}
					ever_ok = 1;
					backoff = 0;
					next_try = 0;
					continue; /* more may be sealed already */
				}
				if (res.verdict == WWTP_INFLUX_NO_DB && c->api == WWTP_INFLUX_V1 &&
				    c->create_database)
					db_ready = 0;
				struct wwtp_spool_stats ss;
				wwtp_spool_get_stats(w->sp, &ss);
				backoff = next_backoff(c, backoff);
				next_try = wwtp_mono_ms() + backoff;
				wwtp_complain(
				    &w->fail_complain, WWTP_LOG_WARN, WRITER_MOD,
				    "cannot write to InfluxDB %s (%s%ld: %s); %" PRIu64
				    " points wait in the spool; retrying in %" PRId64 " ms",
				    wwtp_influx_target(w->ix), w->last.http ? "HTTP " : "code ",
				    w->last.http, w->last.text, ss.points, backoff);
				continue;
			}
			if (rc == WWTP_ERR_NOTFOUND && stopping)
				break; /* everything is sent */
		}

		/* Sleep until the open segment is due, the next try, the end
		 * of the drain, or a kick from a new append. */
		int64_t wake = now + c->batch_max_ms;
		if (ready && age >= 0 && now + (c->batch_max_ms - age) < wake)
			wake = now + (c->batch_max_ms - age);
		if (!ready && next_try < wake)
			wake = next_try;
		if (stopping && until < wake)
			wake = until;
		if (wake < now + 2)
			wake = now + 2;
		struct timespec ts;
		writer_deadline(&ts, wake);
		pthread_mutex_lock(&w->lock);
		while (!w->kicked && !(w->stop && !stopping) && wwtp_mono_ms() < wake)
			if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) != 0)
				break;
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

int wwtp_writer_start(const struct wwtp_central_influx *cfg, struct wwtp_writer **out)
{
	struct wwtp_spool_opts so;
	pthread_condattr_t ca;
	struct wwtp_writer *w;
	int rc;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return WWTP_ERR_NOMEM;
	w->cfg = *cfg;
	w->fail_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	w->bad_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	wwtp_buf_init(&w->batch, WRITER_BATCH_MAX);
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);

	so.max_bytes = (uint64_t)cfg->spool_max_mb << 20;
	so.seal_points = (uint32_t)cfg->batch_max_points;
	so.seal_bytes = WRITER_SEAL_BYTES;
	rc = wwtp_spool_open(cfg->spool_dir, &so, &w->sp);
	if (rc == 0)
		rc = wwtp_influx_new(cfg, &w->ix);
	if (rc == 0) {
		struct wwtp_spool_stats ss;
		wwtp_spool_get_stats(w->sp, &ss);
		w->initial_points = ss.points;
		if (ss.points > 0)
			LOG_INFO(WRITER_MOD,
				 "%" PRIu64 " points (%" PRIu64
				 " segments) from an earlier run wait "
				 "in %s; sending them first",
				 ss.points, ss.segments, cfg->spool_dir);
		if (pthread_create(&w->thread, NULL, writer_main, w) != 0)
			rc = WWTP_ERR_NOMEM;
		else
			w->started = 1;
	}
	if (rc != 0) {
		wwtp_writer_stop(w, 0, NULL);
		return rc;
	}
	*out = w;
	return 0;
}

int wwtp_writer_put(struct wwtp_writer *w, const char *lines, size_t len, size_t npoints)
{
	if (npoints > UINT32_MAX)
		return WWTP_ERR_RANGE;
	int rc = wwtp_spool_append(w->sp, lines, len, (uint32_t)npoints);
	pthread_mutex_lock(&w->lock);
	w->kicked = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return rc;
}

void wwtp_writer_stop(struct wwtp_writer *w, int drain_ms, struct wwtp_writer_stats *final)
{
	if (final)
		memset(final, 0, sizeof(*final));
	if (!w)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->stop = 1;
		w->drain_until = wwtp_mono_ms() + (drain_ms > 0 ? drain_ms : 0);
		pthread_cond_signal(&w->cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	wwtp_influx_free(w->ix);
	if (w->sp) {
		wwtp_spool_seal(w->sp);
		if (final)
			wwtp_writer_get_stats(w, final);
	}
	wwtp_spool_close(w->sp);
	wwtp_buf_free(&w->batch);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void wwtp_writer_get_stats(struct wwtp_writer *w, struct wwtp_writer_stats *out)
{
	struct wwtp_spool_stats ss;

	memset(out, 0, sizeof(*out));
	wwtp_spool_get_stats(w->sp, &ss);
	pthread_mutex_lock(&w->lock);
	out->points_written = w->written;
	out->points_refused = w->refused;
	out->requests = w->requests;
	out->failures = w->failures;
	out->influx_ok = w->influx_ok;
	pthread_mutex_unlock(&w->lock);
	out->points_in = ss.appended_points;
	out->points_synced = ss.synced_points;
	out->points_entered = w->initial_points + ss.appended_points;
	out->points_lost = ss.dropped_points + ss.refused_points;
	out->points_queued = ss.points;
	out->segments_queued = ss.segments;
	out->bytes_queued = ss.bytes;
}
