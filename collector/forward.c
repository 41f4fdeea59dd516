/* forward.c - store and forward (see forward.h). */
#include "forward.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../compliance/evaluator.h"
#include "../payload/payload.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"

#define MOD "store"

/* A batch holding only deletions (acknowledgements) and the seq waits this
 * long: losing it to a crash only means sending a few messages twice. */
#define QUIET_COMMIT_MS 10000
/* Messages read from the store per lane and turn. */
#define SCAN_MAX 64
#define DEFAULT_AGE_CHECK_MS 60000
/* Smallest default bound: SQLite's own pages and a margin. */
#define MIN_DEFAULT_BYTES (16ull * 1024 * 1024)
/* Per stored message besides its payload: topic, numbers, b-tree cell and
 * the part of a page a cell cannot use. */
#define ROW_OVERHEAD 96

/* The ids with the broker: a small open-addressing set (linear probing,
 * deletion by shifting back), 0 marks a free slot (ids start at 1). */
struct idset {
	int64_t *slot;
	size_t mask;
	size_t n;
};

static int idset_init(struct idset *s, size_t want)
{
	size_t cap = 16;
	while (cap < 2 * want)
		cap *= 2;
	s->slot = calloc(cap, sizeof(*s->slot));
	s->mask = cap - 1;
	s->n = 0;
	return s->slot ? 0 : WWTP_ERR_NOMEM;
}

static size_t idset_hash(const struct idset *s, int64_t id)
{
	uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15ull;
	return (size_t)(x >> 32) & s->mask;
}

static int idset_has(const struct idset *s, int64_t id)
{
	for (size_t i = idset_hash(s, id);; i = (i + 1) & s->mask) {
		if (s->slot[i] == id)
			return 1;
		if (s->slot[i] == 0)
			return 0;
	}
}

/* The caller keeps n below half the capacity (the window). */
static void idset_add(struct idset *s, int64_t id)
{
	size_t i = idset_hash(s, id);
	while (s->slot[i] != 0 && s->slot[i] != id)
		i = (i + 1) & s->mask;
	if (s->slot[i] == 0) {
		s->slot[i] = id;
		s->n++;
	}
}

static int idset_del(struct idset *s, int64_t id)
{
	size_t i = idset_hash(s, id);
	while (s->slot[i] != id) {
		if (s->slot[i] == 0)
			return 0;
		i = (i + 1) & s->mask;
	}
	s->slot[i] = 0;
	s->n--;
	/* Pull later members of the run back over the hole, so that lookups
	 * that stop at a free slot still find them. */
	for (size_t j = (i + 1) & s->mask; s->slot[j] != 0; j = (j + 1) & s->mask) {
		size_t home = idset_hash(s, s->slot[j]);
		if (((j - home) & s->mask) >= ((j - i) & s->mask)) {
			s->slot[i] = s->slot[j];
			s->slot[j] = 0;
			i = j;
		}
	}
	return 1;
}

struct wwtp_forward {
	struct wwtp_store *store;
	struct wwtp_outbox *outbox;
	struct wwtp_mqtt *mqtt;
	struct wwtp_forward_cfg cfg;
	struct idset inflight;

	/* Lanes. Rows below live_from were stored before the current
	 * connection: backlog. */
	int64_t live_from;
	int64_t live_next;
	int64_t back_next;
	uint64_t seen_connects;
	double tokens; /* backlog messages that may go now */
	int64_t tokens_at;

	/* Batches. */
	int64_t batch_since; /* monotonic ms of the first append of the batch; 0: none */
	int64_t quiet_since; /* of the first other change; 0: none */
	int64_t next_age_check;
	uint64_t seq, seq_stored;

	struct wwtp_forward_stats st;
	struct wwtp_complain store_complain;
	struct wwtp_complain drop_complain;
};

/* ---- acknowledgements ---------------------------------------------------- */

static void on_done(uint64_t tag, int acked, void *ctx)
{
	struct wwtp_forward *f = ctx;
	int64_t id = (int64_t)tag;

	if (!idset_del(&f->inflight, id))
		return;
	if (acked) {
		f->st.acked++;
		if (wwtp_store_delete(f->store, id) == 0 && f->quiet_since == 0)
			f->quiet_since = wwtp_mono_ms();
		return;
	}
	/* Given back unsent (the client gave it up): its lane goes back to
	 * it, so that it leaves again in order. */
	f->st.given_back++;
	if (id < f->live_from) {
		if (id < f->back_next)
			f->back_next = id;
	} else if (id < f->live_next) {
		f->live_next = id;
	}
}

static int keep_unless_inflight(int64_t id, void *ctx)
{
	struct wwtp_forward *f = ctx;
	return !idset_has(&f->inflight, id);
}

/* ---- set-up -------------------------------------------------------------- */

struct wwtp_forward *wwtp_forward_new(struct wwtp_store *s, struct wwtp_outbox *o,
				      struct wwtp_mqtt *m, const struct wwtp_forward_cfg *cfg)
{
	struct wwtp_forward *f = calloc(1, sizeof(*f));
	int64_t v = 0;

	if (!f)
		return NULL;
	f->store = s;
	f->outbox = o;
	f->mqtt = m;
	f->cfg = *cfg;
	if (f->cfg.window < 1)
		f->cfg.window = 1;
	if (f->cfg.replay_rate < 1)
		f->cfg.replay_rate = 1;
	if (f->cfg.age_check_ms <= 0)
		f->cfg.age_check_ms = DEFAULT_AGE_CHECK_MS;
	if (idset_init(&f->inflight, f->cfg.window) != 0) {
		free(f);
		return NULL;
	}
	f->live_from = f->live_next = wwtp_store_committed_id(s) + 1;
	f->back_next = 1;
	f->tokens_at = wwtp_mono_ms();
	f->tokens = 1;
	if (wwtp_store_get_meta(s, "seq", &v) == 0 && v > 0)
		f->seq = f->seq_stored = (uint64_t)v;
	f->store_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	f->drop_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	wwtp_outbox_set_done_cb(o, on_done, f);
	return f;
}

void wwtp_forward_free(struct wwtp_forward *f)
{
	if (!f)
		return;
	wwtp_forward_set_seq(f, f->seq);
	if (wwtp_store_commit(f->store) != 0)
		LOG_ERROR(MOD, "last commit failed: acknowledged messages will be sent again");
	wwtp_outbox_set_done_cb(f->outbox, NULL, NULL);
	free(f->inflight.slot);
	free(f);
}

/* ---- storing ------------------------------------------------------------- */

int wwtp_forward_put(struct wwtp_forward *f, const char *topic, const void *payload, size_t len,
		     int qos, int64_t ts_ms, uint64_t seq, int flags)
{
	int rc = wwtp_store_append(f->store, topic, payload, len, qos, ts_ms, seq, flags, NULL);
	if (rc) {
		f->st.failed++;
		wwtp_complain(&f->store_complain, WWTP_LOG_ERROR, MOD,
			      "cannot store a message for %s: %s (%llu lost so far)", topic,
			      wwtp_strerror(rc), (unsigned long long)f->st.failed);
		return rc;
	}
	if (f->store_complain.interval_ms != 0)
		wwtp_complain_release(&f->store_complain, MOD, "messages are stored again");
	f->st.stored++;
	if (seq > f->seq)
		f->seq = seq;
	if (f->batch_since == 0)
		f->batch_since = wwtp_mono_ms();
	return 0;
}

void wwtp_forward_set_seq(struct wwtp_forward *f, uint64_t seq)
{
	if (seq > f->seq)
		f->seq = seq;
	if (f->seq == f->seq_stored)
		return;
	/* In the batch, so that the seq and the messages that used it are
	 * durable together: after a crash, numbers never published are used
	 * again, and none that was published is. */
	if (wwtp_store_set_meta(f->store, "seq", (int64_t)f->seq) == 0) {
		f->seq_stored = f->seq;
		if (f->quiet_since == 0)
			f->quiet_since = wwtp_mono_ms();
	}
}

uint64_t wwtp_forward_last_seq(struct wwtp_forward *f)
{
	return f->seq;
}

/* ---- committing ---------------------------------------------------------- */

static void apply_bounds(struct wwtp_forward *f, int64_t now, int clock_ok)
{
	uint64_t full = 0, age = 0;
	int aged = now >= f->next_age_check;

	if (aged)
		f->next_age_check = now + f->cfg.age_check_ms;
	if (wwtp_store_enforce(f->store, wwtp_now_ms(), clock_ok && aged, keep_unless_inflight, f,
			       &full, &age) != 0)
		return;
	f->st.dropped_full += full;
	f->st.dropped_age += age;
	if ((full || age) && f->quiet_since == 0)
		f->quiet_since = now;
	if (full || age) {
		struct wwtp_store_stats ss;
		wwtp_store_get_stats(f->store, &ss);
		wwtp_complain(
		    &f->drop_complain, WWTP_LOG_ERROR, MOD,
		    "store full or too old: dropped %llu oldest unsent message(s) "
		    "(%llu for size, %llu for age since start; %llu and %llu in all)",
		    (unsigned long long)(full + age), (unsigned long long)f->st.dropped_full,
		    (unsigned long long)f->st.dropped_age, (unsigned long long)ss.dropped_full,
		    (unsigned long long)ss.dropped_age);
	}
}

static void commit(struct wwtp_forward *f, int64_t now, int clock_ok)
{
	/* The seq goes with the batch that used it. */
	wwtp_forward_set_seq(f, f->seq);
	apply_bounds(f, now, clock_ok);
	if (wwtp_store_commit(f->store) != 0) {
		wwtp_complain(&f->store_complain, WWTP_LOG_ERROR, MOD,
			      "cannot commit to %s; retrying", wwtp_store_path(f->store));
		return;
	}
	f->batch_since = 0;
	f->quiet_since = 0;
}

/* ---- sending ------------------------------------------------------------- */

struct feed {
	struct wwtp_forward *f;
	int backlog;   /* which lane */
	int64_t *next; /* its cursor */
	int budget;    /* messages this lane may still send now */
	int blocked;   /* the outbox refused: stop for this turn */
};

static int feed_one(const struct wwtp_store_msg *m, void *ctx)
{
	struct feed *fd = ctx;
	struct wwtp_forward *f = fd->f;

	if (idset_has(&f->inflight, m->id)) {
		*fd->next = m->id + 1;
		return 0;
	}
	if (fd->budget <= 0 || f->inflight.n >= f->cfg.window)
		return 1;
	if (wwtp_outbox_put_tagged(f->outbox, m->topic, m->payload, m->len, m->qos, 0,
				   (uint64_t)m->id) != 0) {
		fd->blocked = 1;
		return 1;
	}
	idset_add(&f->inflight, m->id);
	*fd->next = m->id + 1;
	fd->budget--;
	if (fd->backlog)
		f->st.sent_backlog++;
	else
		f->st.sent_live++;
	return 0;
}

/* Feeds one lane from its cursor up to (not including) below. */
static int feed_lane(struct wwtp_forward *f, int backlog, int64_t *next, int64_t below, int budget)
{
	struct feed fd = {.f = f, .backlog = backlog, .next = next, .budget = budget};

	while (*next < below && fd.budget > 0 && !fd.blocked && f->inflight.n < f->cfg.window) {
		int64_t before = *next;
		int n = wwtp_store_scan(f->store, *next, below, SCAN_MAX, feed_one, &fd);
		if (n < 0)
			break;
		if (n == 0) {
			*next = below; /* nothing stored in between (acked, dropped) */
			break;
		}
		if (*next == before)
			break; /* stopped on the first: window or budget */
	}
	return budget - fd.budget;
}

static void refill_tokens(struct wwtp_forward *f, int64_t now)
{
	double burst = f->cfg.replay_rate; /* one second's worth */
	f->tokens += (double)(now - f->tokens_at) * f->cfg.replay_rate / 1000.0;
	if (f->tokens > burst)
		f->tokens = burst;
	f->tokens_at = now;
}

void wwtp_forward_pump(struct wwtp_forward *f, int clock_ok, int now_flag)
{
	int64_t now = wwtp_mono_ms();
	struct wwtp_mqtt_stats ms;

	/* Aged messages go before anything is sent: at start, a backlog may
	 * hold messages past max_age_days. */
	if (now >= f->next_age_check)
		apply_bounds(f, now, clock_ok);
	if (f->batch_since && (now_flag || now - f->batch_since >= f->cfg.commit_ms))
		commit(f, now, clock_ok);
	else if (f->quiet_since && (now_flag || now - f->quiet_since >= QUIET_COMMIT_MS))
		commit(f, now, clock_ok);

	refill_tokens(f, now);
	wwtp_mqtt_get_stats(f->mqtt, &ms);
	if (ms.connects != f->seen_connects) {
		/* A new connection: what was stored before it is backlog, to go
		 * at the replay rate. */
		f->seen_connects = ms.connects;
		f->live_from = wwtp_store_committed_id(f->store) + 1;
		if (f->live_next < f->live_from)
			f->live_next = f->live_from;
	}
	if (!wwtp_mqtt_is_connected(f->mqtt))
		return;
	int64_t top = wwtp_store_committed_id(f->store) + 1;
	feed_lane(f, 0, &f->live_next, top, (int)f->cfg.window);
	if (f->back_next < f->live_from && f->tokens >= 1) {
		int sent = feed_lane(f, 1, &f->back_next, f->live_from, (int)f->tokens);
		f->tokens -= sent;
	}
}

void wwtp_forward_get_stats(struct wwtp_forward *f, struct wwtp_forward_stats *out)
{
	*out = f->st;
	out->inflight = f->inflight.n;
	wwtp_store_get_stats(f->store, &out->store);
}

/* ---- configuration ------------------------------------------------------- */

int wwtp_forward_store_path(const struct wwtp_station *st, const char *override, char *out,
			    size_t n)
{
	int w;
	if (override)
		w = snprintf(out, n, "%s", override);
	else if (st->store.path[0])
		w = snprintf(out, n, "%s", st->store.path);
	else
		w = snprintf(out, n, "%s/%s.db", WWTP_STORE_DIR, st->id);
	return (w < 0 || (size_t)w >= n) ? WWTP_ERR_RANGE : 0;
}

/* A poll of dev as it typically encodes: every reading ok with a value of
 * ordinary length, judged against a limit over every window. */
static size_t typical_message(const struct wwtp_station *st, const struct wwtp_device *dev,
			      struct wwtp_buf *b)
{
	struct wwtp_sample *s = wwtp_sample_new(dev);
	struct wwtp_verdict *v = calloc(dev->npoints ? dev->npoints : 1, sizeof(*v));
	size_t nw = st->evaluation ? st->evaluation->nwindows : 2;
	size_t len = 0;

	if (s && v) {
		s->ts_ms = 1769878800000LL;
		for (size_t i = 0; i < s->nreadings; i++) {
			s->readings[i].status = WWTP_READING_OK;
			s->readings[i].has_value = 1;
			s->readings[i].value = 1234.5678;
			snprintf(v[i].param, sizeof(v[i].param), "%s", dev->points[i].param);
			v[i].has_limit = 1;
			v[i].cmax_min = NAN;
			v[i].cmax_max = 148.5;
			v[i].nwindows = nw < WWTP_EVAL_WINDOWS_MAX ? nw : WWTP_EVAL_WINDOWS_MAX;
			for (size_t k = 0; k < v[i].nwindows; k++) {
				struct wwtp_window_verdict *w = &v[i].windows[k];
				w->window_s = st->evaluation ? st->evaluation->windows_s[k] : 3600;
				w->average = 123.456789012;
				w->count = 358;
				w->availability = 0.9944;
				w->judged = 1;
				w->ratio = 0.8315;
			}
		}
		wwtp_buf_reset(b);
		if (wwtp_payload_telemetry_eval(st, s, 1234567, v, b) == 0)
			len = b->len;
	}
	wwtp_sample_free(s);
	free(v);
	return len;
}

uint64_t wwtp_forward_default_bytes(const struct wwtp_station *st, int days, uint64_t *per_day,
				    size_t *msg_bytes)
{
	struct wwtp_buf b;
	double msgs = 0, bytes = 0;

	wwtp_buf_init(&b, WWTP_PAYLOAD_MAX);
	for (size_t i = 0; i < st->ndevices; i++) {
		const struct wwtp_device *d = &st->devices[i];
		double n = 86400000.0 / (d->interval_ms > 0 ? d->interval_ms : 10000);
		msgs += n;
		bytes += n * (double)(typical_message(st, d, &b) + ROW_OVERHEAD);
	}
	wwtp_buf_free(&b);
	if (per_day)
		*per_day = (uint64_t)ceil(msgs);
	if (msg_bytes)
		*msg_bytes = msgs > 0 ? (size_t)(bytes / msgs) : 0;
	/* A quarter more for what the estimate leaves out: alerts, longer
	 * reasons, pages not quite full. */
	double total = ceil(bytes * (days > 0 ? days : 1) * 1.25);
	uint64_t t = total > 0 ? (uint64_t)total : 0;
	return t < MIN_DEFAULT_BYTES ? MIN_DEFAULT_BYTES : t;
}
