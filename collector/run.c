#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "../payload/payload.h"
#include "../util/buf.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "clock.h"
#include "confaudit.h"
#include "confirm.h"
#include "forward.h"
#include "judge.h"
#include "probe.h"
#include "../compliance/plausibility.h"
#include "mqtt.h"
#include "notify.h"
#include "outbox.h"
#include "poller.h"
#include "queue.h"
#include "chain.h"
#include "seqmark.h"
#include "store.h"
#include "tsguard.h"
#include "tt10.h"

#define MOD "collector"

/* Samples between the link threads and the main thread. The main thread
 * never blocks for long, so this only fills if it is stuck; then the
 * newest samples are refused rather than memory growing without end. */
#define SAMPLE_QUEUE_MAX 4096
/* Messages kept for the broker before the first connection (about 3 h of
 * one message a second; a few MB). */
#define OUTBOX_MAX_HELD 10000
/* How often the main loop looks at the stop flag and the connection. */
#define LOOP_WAIT_MS 200
/* After the acknowledgements: time for DISCONNECT itself. */
#define DISCONNECT_MS 1000
/* How often the evaluator is told the time without a reading, so that
 * silence becomes an offline alert and windows slide between polls. */
#define TICK_MS 1000
/* The retained health message: this often, and at start and stop. */
#define HEALTH_INTERVAL_MS 60000
/* Stored messages with the broker at once (see forward.h). */
#define FORWARD_WINDOW 200
/* At shutdown, the wait for the last health message's acknowledgement. */
#define FINAL_HEALTH_MS 1000

struct run {
	const struct wwtp_station *st;
	const struct wwtp_run_opts *o;
	struct wwtp_queue *samples;
	struct wwtp_mqtt *mqtt;	    /* NULL with --print */
	struct wwtp_outbox *outbox; /* NULL with --print */
	struct wwtp_poller *poller;
	struct wwtp_buf buf;
	char topic_telemetry[WWTP_ID_MAX * 2 + 16];
	char topic_status[WWTP_ID_MAX * 2 + 16];
	char topic_alert[WWTP_ID_MAX * 2 + 16];
	char topic_health[WWTP_ID_MAX * 2 + 16];
	char topic_ack[WWTP_ID_MAX * 2 + 16];
	char topic_config[WWTP_ID_MAX * 2 + 16];
	/* Central's confirmations (NULL unless a store waits for them) and
	 * the seq mark beside the store. */
	struct wwtp_confirm *confirm;
	struct wwtp_seqmark *mark;
	/* The signing key and chain head (chain.h); NULL when the station file
	 * has no signing.key_file: messages go unsigned, as before. */
	struct wwtp_chain *chain;
	/* The durable store and its forwarder; NULL without a store (then
	 * telemetry and alerts wait in the outbox's memory). */
	struct wwtp_store *store;
	struct wwtp_forward *fwd;
	enum wwtp_clock_state clock; /* refreshed every tick */
	int64_t started_ms, started_mono;
	int64_t next_health;   /* monotonic; 0: health is not published */
	int64_t watchdog_ms;   /* systemd's WatchdogSec, 0 without */
	int64_t next_watchdog; /* monotonic */
	uint64_t lost;	       /* polls and alerts lost before the store or outbox */
	struct wwtp_judge *judge;
	/* Poll times that never go back (clock steps); its high mark is kept
	 * in the store ("last_ts_ms") across restarts. */
	struct wwtp_tsguard *tsg;
	int64_t ts_kept;
	struct wwtp_tt10 *tt10; /* NULL without an enabled tt10 group, and with --once */
	int64_t next_tick;	/* monotonic */
	/* Per station, one per device poll, from 1. With a store it goes on
	 * from the number the store kept; without one it starts again at 1
	 * when the process restarts. */
	uint64_t seq;
	uint64_t aseq; /* alerts' own numbers, from 1, kept like seq */
	uint64_t polls;
	uint64_t refused_seen;
	struct wwtp_complain queue_complain;
	struct wwtp_complain encode_complain;
	struct wwtp_complain alert_complain;
	int out_failed;
};

/* On a link thread: hand the sample over and return at once. */
static void on_sample(struct wwtp_sample *s, void *ctx)
{
	struct run *r = ctx;
	/* A refusal is counted by the queue and reported by the main thread:
	 * logging from here could block a Modbus bus on stderr. */
	if (wwtp_queue_push(r->samples, s) != 0)
		wwtp_sample_free(s);
}

static void free_sample(void *p)
{
	wwtp_sample_free(p);
}

static void report_refused(struct run *r)
{
	uint64_t n = wwtp_queue_refused(r->samples);
	if (n == r->refused_seen)
		return;
	/* Lost polls use up their numbers too: the gap in seq tells. */
	r->seq += n - r->refused_seen;
	r->lost += n - r->refused_seen;
	wwtp_complain(&r->queue_complain, WWTP_LOG_ERROR, MOD,
		      "sample queue full (%zu): %llu polls lost so far", wwtp_queue_cap(r->samples),
		      (unsigned long long)n);
	r->refused_seen = n;
}

static int print_line(struct run *r)
{
	FILE *f = r->o->out;
	/* One complete line per message, flushed at once, so that a reader
	 * (jq, a test) never sees half a document. */
	if (fwrite(r->buf.data, 1, r->buf.len, f) != r->buf.len || fputc('\n', f) == EOF ||
	    fflush(f) != 0) {
		LOG_ERROR(MOD, "cannot write to standard output: %s", strerror(errno));
		r->out_failed = 1;
		return WWTP_ERR_ERRNO;
	}
	return 0;
}

/* A file that names both keys (one file for the gateway and central):
 * they must be a pair, or central refuses everything this gateway sends. */
static void check_public_key(const struct run *r)
{
	char pk[WWTP_SIGN_PK_TEXT];
	if (!r->chain || !r->st->signing.public_key[0])
		return;
	wwtp_chain_public_key(r->chain, pk);
	if (strcasecmp(pk, r->st->signing.public_key) != 0)
		LOG_ERROR(MOD,
			  "signing.public_key in %s is not the public key of %s (%s): a central "
			  "with that public_key refuses every message of this gateway as forged",
			  r->st->path, r->st->signing.key_file, pk);
}

/* Signs r->buf: the next link of the chain for what the service stores,
 * a side signature for the rest (--once, --print: they keep nothing, and
 * must not take links the service's chain goes on with). 0 unsigned. */
static int sign_buf(struct run *r, int link)
{
	if (!r->chain)
		return 0;
	int rc = link && !r->o->once && !r->o->print ? wwtp_chain_sign_link(r->chain, &r->buf)
						     : wwtp_chain_sign_side(r->chain, &r->buf);
	if (rc)
		wwtp_complain(&r->encode_complain, WWTP_LOG_ERROR, MOD, "cannot sign a message: %s",
			      wwtp_strerror(rc));
	return rc;
}

/* forward.h's renumber: a stored message under a new number and floor,
 * taking a new link of the chain when messages are signed. */
static int renumber(void *ctx, const struct wwtp_store_msg *m, uint64_t seq, uint64_t floor,
		    struct wwtp_buf *out)
{
	struct run *r = ctx;
	int rc = wwtp_payload_renumber(m->payload, m->len, seq, floor, out);
	if (rc == 0 && r->chain)
		rc = wwtp_chain_sign_link(r->chain, out);
	return rc;
}

/* A telemetry or alert message in r->buf: into the store when there is
 * one (it goes out once committed), else straight into the outbox. */
static void put_record(struct run *r, const char *topic, int qos, int64_t ts_ms, uint64_t seq,
		       int alert)
{
	/* The lowest number still to be sent: what central need not wait for
	 * below it (docs/mqtt.md, "floor"). Without a store nothing waits. */
	uint64_t floor = r->fwd ? wwtp_forward_floor(r->fwd, alert, seq) : seq;
	if (floor > 0 && wwtp_payload_add_member(&r->buf, "floor", floor) != 0) {
		r->lost++;
		wwtp_complain(&r->encode_complain, WWTP_LOG_ERROR, MOD,
			      "cannot add the floor to a message on %s: too large", topic);
		return;
	}
	if (sign_buf(r, 1) != 0) {
		r->lost++; /* logged by sign_buf */
		return;
	}
	if (r->fwd) {
		int flags = (r->clock == WWTP_CLOCK_UNSYNCED ? WWTP_STORE_UNSYNCED : 0) |
			    (alert ? WWTP_STORE_ALERT : 0);
		if (wwtp_forward_put(r->fwd, topic, r->buf.data, r->buf.len, qos, ts_ms, seq,
				     flags) != 0)
			r->lost++; /* logged by the forwarder */
		return;
	}
	/* Errors are counted and logged by the outbox. */
	wwtp_outbox_put(r->outbox, topic, r->buf.data, r->buf.len, qos, 0);
}

/* One alert raised or cleared: published on <prefix>/<station>/alert at
 * QoS 1, not retained (a retained message would replay a raise to every
 * new subscriber long after its clear), or printed with --print. A
 * one-shot run publishes none: it could never send the clear, and the
 * service beside it judges the same station. */
static void on_alert(const struct wwtp_alert_event *e, const struct wwtp_alert_about *a, void *ctx)
{
	struct run *r = ctx;
	int rc;

	if (r->o->once)
		return;
	wwtp_buf_reset(&r->buf);
	rc = wwtp_payload_alert(r->st, e, a->device, a->param, a->unit, &r->buf);
	if (rc) {
		wwtp_complain(&r->alert_complain, WWTP_LOG_ERROR, MOD, "cannot encode alert %s: %s",
			      e->id, wwtp_strerror(rc));
		return;
	}
	/* Alerts have numbers of their own, so that central can confirm them
	 * as it confirms telemetry (docs/mqtt.md). */
	/* The forwarder may have moved past central's numbers (its
	 * confirmation was above ours: this station's history was lost). */
	if (r->fwd && wwtp_forward_last_alert_seq(r->fwd) > r->aseq)
		r->aseq = wwtp_forward_last_alert_seq(r->fwd);
	uint64_t aseq = ++r->aseq;
	if (wwtp_payload_add_member(&r->buf, "seq", aseq) != 0)
		return;
	if (r->o->print) {
		if (sign_buf(r, 0) == 0)
			print_line(r);
	} else
		put_record(r, r->topic_alert, 1,
			   e->edge == WWTP_ALERT_CLEARED ? e->end_ms : e->start_ms, aseq, 1);
}

/* The clock went back by more than tsguard holds: poll times follow it
 * back, and the evaluation starts afresh, as after a restart (it refuses
 * readings older than the ones it has). */
static void clock_resync(struct run *r)
{
	struct wwtp_judge *j = wwtp_judge_new(r->st);

	LOG_WARN(MOD,
		 "the clock went back by more than %lld s: the poll times before were wrong; "
		 "poll times follow the clock from now on and the evaluation starts afresh",
		 (long long)(WWTP_TSGUARD_HOLD_MS / 1000));
	if (j) {
		wwtp_judge_free(r->judge);
		r->judge = j;
	}
	r->ts_kept = 0; /* the wrong high mark is not kept */
}

/* --once is how a technician tries a station file: each implausible value
 * is said with what to check (the service says it once, as an alert). */
static void explain_suspects(struct run *r, const struct wwtp_sample *s)
{
	for (size_t i = 0; i < s->nreadings; i++) {
		const struct wwtp_reading *rd = &s->readings[i];
		char why[256];
		if (!rd->suspect)
			continue;
		char hint[160] = "";
		wwtp_judge_explain(r->judge, rd, s->ts_ms, why, sizeof(why));
		/* Out of range is most often a wrong type or order: read the
		 * registers again and say which reading would be plausible. */
		if (rd->suspect == WWTP_SUSPECT_RANGE)
			wwtp_probe_suggest(s->device, rd->point, hint, sizeof(hint));
		if (rd->suspect != WWTP_SUSPECT_RANGE)
			LOG_WARN(MOD, "device %s: %s", s->device->name, why);
		else if (hint[0])
			LOG_WARN(MOD, "device %s: %s: check type and order; %s here",
				 s->device->name, why, hint);
		else
			LOG_WARN(MOD,
				 "device %s: %s: check the point's type, word order, scale and "
				 "address (wwtp-collector --probe shows every reading)",
				 s->device->name, why);
	}
}

static void handle_sample(struct run *r, struct wwtp_sample *s)
{
	/* The number is taken even if the message is then lost, so that a
	 * gap in seq tells the central side that a poll went missing. */
	if (r->fwd && wwtp_forward_last_seq(r->fwd) > r->seq)
		r->seq = wwtp_forward_last_seq(r->fwd); /* past central's, as for alerts */
	uint64_t seq = ++r->seq;
	int rc;

	r->polls++;
	s->clock_unsynced = r->clock == WWTP_CLOCK_UNSYNCED;
	/* Before anything uses ts: judged, published, stored, filed. */
	uint64_t resyncs = wwtp_tsguard_resyncs(r->tsg);
	s->ts_ms = wwtp_tsguard_poll(r->tsg, (size_t)(s->device - r->st->devices), s->ts_ms,
				     wwtp_mono_ms(), &s->clock_behind_ms);
	if (wwtp_tsguard_resyncs(r->tsg) != resyncs)
		clock_resync(r);
	/* Judged first, so that the telemetry carries the averages and limits
	 * that this very poll was judged with; its alerts follow it. */
	const struct wwtp_verdict *v = wwtp_judge_sample(r->judge, s);
	if (r->o->once)
		explain_suspects(r, s);
	wwtp_buf_reset(&r->buf);
	rc = wwtp_payload_telemetry_eval(r->st, s, seq, v, &r->buf);
	if (rc) {
		r->lost++;
		wwtp_complain(&r->encode_complain, WWTP_LOG_ERROR, MOD,
			      "cannot encode the poll of device %s (seq %" PRIu64 "): %s",
			      s->device->name, seq, wwtp_strerror(rc));
	} else if (r->o->print) {
		if (sign_buf(r, 0) == 0)
			print_line(r);
	} else {
		LOG_DEBUG(MOD, "device %s: seq %" PRIu64 ", %zu bytes", s->device->name, seq,
			  r->buf.len);
		put_record(r, r->topic_telemetry, r->st->mqtt.qos, s->ts_ms, seq, 0);
	}
	if (r->tt10)
		wwtp_tt10_sample(r->tt10, s);
	wwtp_sample_free(s);
	wwtp_judge_flush(r->judge, on_alert, r);
}

/* Tells the evaluator the time once a second. */
static void tick(struct run *r)
{
	int64_t now = wwtp_mono_ms();
	if (now < r->next_tick)
		return;
	r->next_tick = now + TICK_MS;
	r->clock = wwtp_clock_state(r->o->clock_mode);
	/* Not before the readings already judged, or the evaluator would
	 * skip its tick while a clock step back lasts. */
	wwtp_judge_tick(r->judge, wwtp_tsguard_now(r->tsg, wwtp_now_ms()));
	if (r->tt10)
		wwtp_tt10_tick(r->tt10, wwtp_now_ms());
	wwtp_judge_flush(r->judge, on_alert, r);
}

/* Handles what the poller delivered, waiting up to wait_ms for the first. */
static void drain(struct run *r, int wait_ms)
{
	struct wwtp_sample *s = wwtp_queue_pop(r->samples, wait_ms);
	while (s) {
		handle_sample(r, s);
		s = wwtp_queue_pop(r->samples, 0);
	}
	report_refused(r);
	/* In the batch with the messages that used it, like seq. */
	if (r->store && wwtp_tsguard_high(r->tsg) > r->ts_kept &&
	    wwtp_store_set_meta(r->store, "last_ts_ms", wwtp_tsguard_high(r->tsg)) == 0)
		r->ts_kept = wwtp_tsguard_high(r->tsg);
	if (r->fwd) {
		wwtp_forward_set_seq(r->fwd, r->seq);
		wwtp_forward_set_alert_seq(r->fwd, r->aseq);
	}
}

static int put_status(struct run *r, const char *state)
{
	int rc;
	wwtp_buf_reset(&r->buf);
	rc = wwtp_payload_status(r->st, state, WWTP_VERSION, wwtp_now_ms(), &r->buf);
	if (rc == 0)
		rc = sign_buf(r, 0);
	if (rc == 0)
		rc = wwtp_outbox_put(r->outbox, r->topic_status, r->buf.data, r->buf.len, 1, 1);
	if (rc)
		LOG_ERROR(MOD, "cannot queue status \"%s\": %s", state, wwtp_strerror(rc));
	return rc;
}

/* The collector's own health, retained on <prefix>/<station>/health
 * (docs/mqtt.md, "Health"). Not stored: only the latest one matters. */
static void put_health(struct run *r)
{
	const struct wwtp_station *st = r->st;
	struct wwtp_device_health *dh = calloc(st->ndevices ? st->ndevices : 1, sizeof(*dh));
	struct wwtp_health h;
	int rc;

	if (!dh)
		return;
	memset(&h, 0, sizeof(h));
	h.ts_ms = wwtp_now_ms();
	h.started_ms = r->started_ms;
	h.uptime_s = (wwtp_mono_ms() - r->started_mono) / 1000;
	h.version = WWTP_VERSION;
	h.clock = wwtp_clock_state_name(r->clock);
	h.polls = r->polls;
	h.dropped_lost = r->lost;
	h.ndevices = st->ndevices;
	h.devices = dh;
	for (size_t i = 0; i < st->ndevices; i++)
		wwtp_poller_device_health(r->poller, i, &dh[i]);
	if (r->fwd) {
		struct wwtp_forward_stats fs;
		wwtp_forward_get_stats(r->fwd, &fs);
		h.durable = 1;
		h.backlog = fs.store.rows;
		h.oldest_ms = fs.store.oldest_ts_ms;
		h.store_bytes = fs.store.bytes;
		h.store_max_bytes = fs.store.max_bytes;
		h.dropped_full = fs.store.dropped_full;
		h.dropped_age = fs.store.dropped_age;
		h.dropped_damaged = fs.dropped_damaged;
		h.confirm = fs.confirm;
		h.confirmed_seq = fs.confirmed_seq;
		h.resent = fs.resent;
	} else {
		struct wwtp_outbox_stats os;
		wwtp_outbox_get_stats(r->outbox, &os);
		h.backlog = os.held + os.inflight;
		h.dropped_lost += os.dropped;
	}
	wwtp_buf_reset(&r->buf);
	rc = wwtp_payload_health(st, &h, &r->buf);
	if (rc == 0)
		rc = sign_buf(r, 0);
	if (rc == 0)
		rc = wwtp_outbox_put(r->outbox, r->topic_health, r->buf.data, r->buf.len, 1, 1);
	if (rc)
		LOG_WARN(MOD, "cannot queue the health message: %s", wwtp_strerror(rc));
	else
		LOG_DEBUG(MOD, "health: %s", r->buf.data);
	if (rc == 0) {
		char status[160];
		snprintf(status, sizeof(status),
			 "STATUS=%" PRIu64 " polls, %" PRIu64
			 " messages waiting for the broker, clock %s",
			 h.polls, h.backlog, h.clock);
		wwtp_notify(status);
	}
	free(dh);
}

/* systemd's watchdog: pinged from the main loop, so a stuck loop (not a
 * stuck Modbus device, which the poller works around) gets the service
 * restarted. */
static void watchdog(struct run *r)
{
	int64_t now;
	if (r->watchdog_ms <= 0)
		return;
	now = wwtp_mono_ms();
	if (now < r->next_watchdog)
		return;
	r->next_watchdog = now + r->watchdog_ms / 2;
	wwtp_notify("WATCHDOG=1");
}

/* Opens the durable store when there is to be one: --store, the file's
 * store group, or systemd's StateDirectory=. Without any of them the
 * messages wait in memory, as they always did (said once at start). */
/* On a Paho thread: central's ack for this station. */
static void on_ack(const void *payload, size_t len, void *ctx)
{
	wwtp_confirm_feed(ctx, payload, len);
}

static int start_store(struct run *r)
{
	const struct wwtp_station *st = r->st;
	const char *state_dir = getenv("STATE_DIRECTORY");
	/* The loader fills in the defaults also without a group. */
	const struct wwtp_store_cfg sc = st->store;
	struct wwtp_forward_cfg fc;
	char path[WWTP_PATH_MAX + 64], dir[WWTP_PATH_MAX + 64];
	uint64_t max_bytes, per_day = 0;
	size_t msg_bytes = 0;
	int rc, w = 0;

	if (!r->o->store_path && !sc.present && !(state_dir && state_dir[0])) {
		LOG_WARN(MOD,
			 "no durable store: messages wait in memory only (at most %d) and are "
			 "lost if the collector stops; add store = { }; to %s or give --store "
			 "(docs/reliability.md)",
			 OUTBOX_MAX_HELD, st->path);
		return 0;
	}
	if (r->o->store_path || sc.path[0]) {
		rc = wwtp_forward_store_path(st, r->o->store_path, path, sizeof(path));
	} else if (state_dir && state_dir[0]) {
		/* StateDirectory=a b gives "a:b": the first is ours. */
		w = snprintf(path, sizeof(path), "%.*s/%s.db", (int)strcspn(state_dir, ":"),
			     state_dir, st->id);
		rc = (w < 0 || (size_t)w >= sizeof(path)) ? WWTP_ERR_RANGE : 0;
	} else {
		rc = wwtp_forward_store_path(st, NULL, path, sizeof(path));
	}
	if (rc) {
		fprintf(stderr, "wwtp-collector: store path too long\n");
		return rc;
	}
	/* One level is made if missing (/var/lib/wwtp on a fresh system);
	 * deeper is a mistake worth hearing about. */
	w = snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (w > 0 && slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
			fprintf(stderr,
				"wwtp-collector: cannot create the store's folder %s: %s (give a "
				"writable place with --store PATH or store.path)\n",
				dir, strerror(errno));
			return WWTP_ERR_ERRNO;
		}
	}
	max_bytes = wwtp_forward_default_bytes(st, sc.max_age_days, &per_day, &msg_bytes);
	if (sc.max_mb > 0)
		max_bytes = (uint64_t)sc.max_mb * 1024 * 1024;
	rc = wwtp_store_open(path, max_bytes, (int64_t)sc.max_age_days * 86400000LL, &r->store);
	if (rc == 0)
		rc = wwtp_store_set_reserve(r->store,
					    sc.reserve_kb < 0 ? -1 : sc.reserve_kb * 1024LL);
	if (rc) {
		fprintf(stderr, "wwtp-collector: cannot open the store %s: %s (see the log)\n",
			path, wwtp_strerror(rc));
		return rc;
	}
	memset(&fc, 0, sizeof(fc));
	w = snprintf(dir, sizeof(dir), "%s.seq", path);
	rc = (w < 0 || (size_t)w >= sizeof(dir))
		 ? WWTP_ERR_RANGE
		 : wwtp_seqmark_open(dir, &r->mark, &fc.mark_seq, &fc.mark_aseq, &fc.mark_exact);
	if (rc) {
		fprintf(stderr, "wwtp-collector: cannot use %s: %s (see the log)\n", dir,
			wwtp_strerror(rc));
		return rc;
	}
	fc.mark = r->mark;
	if (r->chain) {
		w = snprintf(dir, sizeof(dir), "%s.chain", path);
		rc = (w < 0 || (size_t)w >= sizeof(dir)) ? WWTP_ERR_RANGE
							 : wwtp_chain_keep(r->chain, dir);
		if (rc) {
			fprintf(stderr, "wwtp-collector: cannot use %s: %s (see the log)\n", dir,
				wwtp_strerror(rc));
			return rc;
		}
	}
	if (sc.confirm) {
		r->confirm = wwtp_confirm_new(st->id);
		if (!r->confirm)
			return WWTP_ERR_NOMEM;
		rc = wwtp_mqtt_subscribe(r->mqtt, r->topic_ack, on_ack, r->confirm);
		if (rc)
			return rc;
	}
	fc.acks = r->confirm;
	fc.renumber = renumber;
	fc.renumber_ctx = r;
	fc.confirm_timeout_ms = (int64_t)sc.confirm_timeout_s * 1000;
	fc.commit_ms = sc.commit_ms;
	fc.publish_ms = sc.publish_ms;
	fc.replay_rate = sc.replay_rate;
	fc.window = FORWARD_WINDOW;
	fc.age_check_ms = 0;
	r->fwd = wwtp_forward_new(r->store, r->outbox, r->mqtt, &fc);
	if (!r->fwd)
		return WWTP_ERR_NOMEM;
	r->seq = wwtp_forward_last_seq(r->fwd);
	r->aseq = wwtp_forward_last_alert_seq(r->fwd);

	struct wwtp_store_stats ss;
	char oldest[32] = "-";
	wwtp_store_get_stats(r->store, &ss);
	if (ss.rows > 0)
		wwtp_format_utc(ss.oldest_ts_ms, oldest, sizeof(oldest));
	LOG_INFO(MOD,
		 "store %s: %" PRIu64 " messages waiting (oldest %s), seq goes on from %" PRIu64
		 "; bound %" PRIu64 " MB%s, %d days; commits every %d ms; synced every %d ms; "
		 "backlog at %d/s",
		 path, ss.rows, oldest, r->seq, max_bytes / (1024 * 1024),
		 sc.max_mb > 0 ? "" : " (default)", sc.max_age_days,
		 sc.publish_ms < sc.commit_ms ? sc.publish_ms : sc.commit_ms, sc.commit_ms,
		 sc.replay_rate);
	if (sc.max_mb == 0)
		LOG_INFO(MOD,
			 "store: the default bound is %d days of %" PRIu64
			 " messages a day of about %zu bytes, plus a quarter",
			 sc.max_age_days, per_day, msg_bytes);
	if (!sc.confirm)
		LOG_INFO(MOD, "store.confirm is false: a stored message is deleted on the broker's "
			      "acknowledgement, not when central has stored it");
	else
		LOG_INFO(MOD,
			 "stored messages wait for central's confirmation on %s (sent again "
			 "after %d s without one)",
			 r->topic_ack, sc.confirm_timeout_s);
	if (st->mqtt.qos == 0 && !sc.confirm)
		LOG_WARN(MOD, "mqtt.qos is 0: a stored message is deleted once written to the "
			      "socket, not when the broker has it (use qos 1)");
	return 0;
}

/* Waits up to --ack-timeout for the broker's acknowledgements; in slices,
 * so that a signal ends the wait once *stop reaches stop_level (the first
 * signal for --once; a second one at shutdown, the first having started it). */
static int flush_outbox(struct run *r, int stop_level)
{
	int64_t end = wwtp_mono_ms() + r->o->ack_timeout_ms;
	int rc;
	do {
		int64_t left = end - wwtp_mono_ms();
		rc = wwtp_outbox_flush(r->outbox, left > LOOP_WAIT_MS ? LOOP_WAIT_MS
								      : (int)(left > 0 ? left : 0));
	} while (rc == WWTP_ERR_TIMEOUT && wwtp_mono_ms() < end && *r->o->stop < stop_level);
	return rc;
}

static void explain_unacked(struct run *r, int rc)
{
	struct wwtp_outbox_stats os;
	char why[160];

	wwtp_outbox_get_stats(r->outbox, &os);
	wwtp_mqtt_last_error(r->mqtt, why, sizeof(why));
	if (rc == WWTP_ERR_TIMEOUT) {
		const char *state = "connected, but the broker did not acknowledge in time";
		if (!wwtp_mqtt_is_connected(r->mqtt))
			state = why[0] ? why : "not connected";
		fprintf(
		    stderr,
		    "wwtp-collector: %zu of %llu messages not acknowledged by %s within %d s: %s\n",
		    wwtp_outbox_pending(r->outbox), (unsigned long long)os.put,
		    wwtp_mqtt_uri(r->mqtt), r->o->ack_timeout_ms / 1000, state);
	}
	if (os.dropped)
		fprintf(stderr,
			"wwtp-collector: %llu of %llu messages were dropped (see the log)\n",
			(unsigned long long)os.dropped, (unsigned long long)os.put);
}

static int start_mqtt(struct run *r)
{
	struct wwtp_mqtt_cfg cfg = r->st->mqtt;
	const char *will_topic = NULL;
	char *will = NULL;
	int rc = 0;

	if (r->o->once) {
		/* A one-shot run must not take over the session (and will) of the
		 * collector service that may be running with the usual id. */
		if (snprintf(cfg.client_id, sizeof(cfg.client_id), "%s-once",
			     r->st->mqtt.client_id) >= (int)sizeof(cfg.client_id)) {
			LOG_ERROR(MOD, "client id too long for --once");
			return WWTP_ERR_RANGE;
		}
	} else {
		/* The broker publishes this for us if we vanish. Its ts is the
		 * time the collector started: the will is registered once. */
		wwtp_buf_reset(&r->buf);
		rc = wwtp_payload_status(r->st, "offline", WWTP_VERSION, wwtp_now_ms(), &r->buf);
		if (rc == 0)
			rc = sign_buf(r, 0);
		if (rc)
			return rc;
		will = strdup(r->buf.data);
		if (!will)
			return WWTP_ERR_NOMEM;
		will_topic = r->topic_status;
	}
	r->mqtt = wwtp_mqtt_new(&cfg, will_topic, will);
	free(will);
	if (!r->mqtt)
		return WWTP_ERR_MQTT;
	r->outbox = wwtp_outbox_new(r->mqtt, OUTBOX_MAX_HELD);
	if (!r->outbox)
		return WWTP_ERR_NOMEM;
	return 0;
}

static void stop_mqtt(struct run *r)
{
	struct wwtp_outbox_stats os;

	if (!r->mqtt)
		return;
	if (r->fwd) {
		struct wwtp_forward_stats fs;
		/* A last try for a batch held in memory (a full disk): what the
		 * store still cannot take is lost, and said so here. */
		wwtp_forward_pump(r->fwd, r->clock == WWTP_CLOCK_SYNCED, 1);
		wwtp_forward_get_stats(r->fwd, &fs);
		r->lost += fs.pending;
		LOG_INFO(
		    MOD,
		    "%llu polls, %llu messages stored: %llu acknowledged by the broker, %llu "
		    "confirmed by central, %llu waiting in the store for the next start, %llu "
		    "dropped (store full %llu, too old %llu, damaged %llu), %llu lost",
		    (unsigned long long)r->polls, (unsigned long long)fs.stored,
		    (unsigned long long)fs.acked, (unsigned long long)fs.confirmed,
		    (unsigned long long)fs.store.rows,
		    (unsigned long long)(fs.dropped_full + fs.dropped_age + fs.dropped_damaged),
		    (unsigned long long)fs.dropped_full, (unsigned long long)fs.dropped_age,
		    (unsigned long long)fs.dropped_damaged, (unsigned long long)r->lost);
		if (fs.damaged_in_flight)
			LOG_WARN(MOD,
				 "%llu more messages were in flight to the broker when a damaged "
				 "store was set aside: they may have reached it or not",
				 (unsigned long long)fs.damaged_in_flight);
	} else if (r->outbox) {
		wwtp_outbox_get_stats(r->outbox, &os);
		LOG_INFO(MOD,
			 "%llu polls, %llu messages: %llu acknowledged, %zu pending, %llu dropped, "
			 "%llu retried",
			 (unsigned long long)r->polls, (unsigned long long)os.put,
			 (unsigned long long)os.acked, os.held + os.inflight,
			 (unsigned long long)os.dropped, (unsigned long long)os.retried);
	}
	if (wwtp_mqtt_is_connected(r->mqtt))
		wwtp_mqtt_disconnect(r->mqtt, DISCONNECT_MS);
	/* The forwarder before the outbox (it is the outbox's done callback),
	 * the outbox before the client (it is the client's ack callback). */
	wwtp_forward_free(r->fwd);
	r->fwd = NULL;
	wwtp_store_close(r->store);
	r->store = NULL;
	wwtp_seqmark_close(r->mark);
	r->mark = NULL;
	wwtp_outbox_free(r->outbox);
	r->outbox = NULL;
	wwtp_mqtt_free(r->mqtt);
	r->mqtt = NULL;
	/* After the client: its thread calls into it. */
	wwtp_confirm_free(r->confirm);
	r->confirm = NULL;
}

static int run_once(struct run *r)
{
	int rc = wwtp_poller_run_once(r->poller);
	if (rc) {
		fprintf(stderr, "wwtp-collector: polling failed: %s\n", wwtp_strerror(rc));
		return 1;
	}
	drain(r, 0);
	/* With --print (commissioning) a device that did not answer is a
	 * failed try; plain --once says whether the broker has everything,
	 * offline readings included (docs/collector.md). */
	int silent = wwtp_poller_silent(r->poller);
	if (silent)
		fprintf(stderr, "wwtp-collector: %d device%s did not answer (see above)\n", silent,
			silent == 1 ? "" : "s");
	if (r->o->print)
		return r->out_failed || silent;
	rc = flush_outbox(r, 1);
	if (rc) {
		explain_unacked(r, rc);
		return 1;
	}
	LOG_INFO(MOD, "every message acknowledged by %s", wwtp_mqtt_uri(r->mqtt));
	return 0;
}

/* The store's key of the last run's measuring configuration. */
#define CONF_KEY "measuring_config"

/* At start: the measuring configuration (confaudit.h), published on
 * <prefix>/<station>/config when it is not the one the store kept from the
 * last run (or none was kept), with the changes since. It takes an alert
 * number and a link of the chain, and goes through the store like an
 * alert, so that it is not lost and central confirms it. The new text is
 * kept in the same transaction as the message. */
static void put_config(struct run *r)
{
	struct wwtp_buf text;
	struct wwtp_conf_change *ch = NULL;
	char fp[WWTP_CONF_FP_HEX], prev_fp[WWTP_CONF_FP_HEX];
	char *prev = NULL;
	size_t n = 0, more = 0;

	wwtp_buf_init(&text, 4u << 20);
	if (wwtp_confaudit_text(r->st, &text) != 0) {
		LOG_ERROR(MOD, "cannot render the measuring configuration: too large");
		goto out;
	}
	const char *cur = text.data ? text.data : "";
	wwtp_confaudit_fingerprint(cur, text.len, fp);
	if (r->store && wwtp_store_get_text(r->store, CONF_KEY, &prev) == 0 && prev)
		wwtp_confaudit_fingerprint(prev, strlen(prev), prev_fp);
	if (prev && strcmp(prev, cur) == 0) {
		LOG_INFO(MOD, "measuring configuration unchanged since the last run (%.16s...)",
			 fp);
		goto out;
	}
	if (wwtp_confaudit_diff(prev, cur, &ch, &n, &more) != 0) {
		LOG_ERROR(MOD, "out of memory comparing the measuring configuration");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		LOG_WARN(MOD, "measuring configuration changed: %s%s%s %s: %s -> %s", ch[i].device,
			 ch[i].param[0] ? "/" : "", ch[i].param, ch[i].setting,
			 ch[i].has_from ? ch[i].from : "(none)",
			 ch[i].has_to ? ch[i].to : "(none)");
	if (r->fwd && wwtp_forward_last_alert_seq(r->fwd) > r->aseq)
		r->aseq = wwtp_forward_last_alert_seq(r->fwd);
	uint64_t aseq = ++r->aseq;
	/* A Pi without a clock before NTP: not before the last poll time the
	 * store kept (central refuses times before 2000 for good). */
	int64_t now = wwtp_now_ms();
	if (r->ts_kept > now)
		now = r->ts_kept;
	if (wwtp_confaudit_payload(r->st, now, aseq, fp, prev ? prev_fp : NULL, ch, n, more,
				   &r->buf) != 0) {
		LOG_ERROR(MOD, "cannot encode the config message: too large");
		goto out;
	}
	LOG_INFO(MOD, "measuring configuration %.16s... published on %s (%zu changes%s)", fp,
		 r->topic_config, n + more, prev ? "" : "; no previous run known");
	put_record(r, r->topic_config, 1, now, aseq, 1);
	/* Kept with the message, committed in the same transaction. */
	if (r->store && wwtp_store_set_text(r->store, CONF_KEY, cur) != 0)
		LOG_ERROR(MOD, "cannot keep the measuring configuration in the store");
out:
	free(ch);
	free(prev);
	wwtp_buf_free(&text);
}

static int run_forever(struct run *r)
{
	uint64_t seen_connects = 0;
	int rc;

	if (r->mqtt && put_status(r, "online") != 0)
		return 1;
	if (r->mqtt)
		put_config(r);
	rc = wwtp_poller_start(r->poller);
	if (rc) {
		fprintf(stderr, "wwtp-collector: cannot start polling: %s\n", wwtp_strerror(rc));
		return 1;
	}
	r->watchdog_ms = wwtp_notify_watchdog_ms();
	wwtp_notify("READY=1");
	if (r->mqtt) {
		r->next_health = wwtp_mono_ms();
		put_health(r);
		r->next_health +=
		    r->o->health_interval_ms > 0 ? r->o->health_interval_ms : HEALTH_INTERVAL_MS;
	}
	while (!*r->o->stop && !r->out_failed) {
		drain(r, LOOP_WAIT_MS);
		tick(r);
		watchdog(r);
		if (!r->mqtt)
			continue;
		struct wwtp_mqtt_stats ms;
		wwtp_mqtt_get_stats(r->mqtt, &ms);
		/* After a reconnect the broker may have published our will:
		 * say "online" again (the first connect sends the one queued
		 * at start). */
		if (ms.connects > seen_connects && (seen_connects > 0 || ms.connects > 1))
			put_status(r, "online");
		seen_connects = ms.connects;
		/* Acknowledgements first: they free the forwarder's window. */
		wwtp_outbox_pump(r->outbox);
		if (r->fwd)
			wwtp_forward_pump(r->fwd, r->clock == WWTP_CLOCK_SYNCED, 0);
		if (wwtp_mono_ms() >= r->next_health) {
			put_health(r);
			r->next_health += r->o->health_interval_ms > 0 ? r->o->health_interval_ms
								       : HEALTH_INTERVAL_MS;
			if (r->next_health < wwtp_mono_ms())
				r->next_health = wwtp_mono_ms();
		}
	}
	LOG_INFO(MOD, "stopping");
	wwtp_notify("STOPPING=1");
	wwtp_poller_stop(r->poller);
	drain(r, 0);
	if (!r->mqtt)
		return r->out_failed;
	/* The last batch is committed now, and sent if the window allows;
	 * what the broker has not acknowledged in the end stays stored. */
	if (r->fwd) {
		wwtp_outbox_pump(r->outbox);
		wwtp_forward_pump(r->fwd, r->clock == WWTP_CLOCK_SYNCED, 1);
	}
	rc = flush_outbox(r, 2);
	/* A clean stop waits, as long as for the broker, for central to
	 * confirm what it was sent, so that the next start sends nothing
	 * twice; a central that has confirmed nothing is not waited for. */
	if (rc == 0 && r->fwd) {
		int64_t end = wwtp_mono_ms() + r->o->ack_timeout_ms;
		while (wwtp_forward_waiting(r->fwd) && wwtp_mono_ms() < end && *r->o->stop < 2 &&
		       wwtp_mqtt_is_connected(r->mqtt)) {
			wwtp_outbox_pump(r->outbox);
			wwtp_forward_pump(r->fwd, r->clock == WWTP_CLOCK_SYNCED, 1);
			wwtp_sleep_ms(50, NULL);
		}
	}
	put_status(r, "offline");
	rc = flush_outbox(r, 2);
	/* The last word on health, with what the flush achieved; it only
	 * gets a short wait of its own. */
	if (wwtp_mqtt_is_connected(r->mqtt) && *r->o->stop < 2) {
		put_health(r);
		wwtp_outbox_flush(r->outbox, FINAL_HEALTH_MS);
	}
	if (rc && r->fwd)
		LOG_INFO(MOD,
			 "%zu stored messages not acknowledged by %s at shutdown: they stay "
			 "in the store for the next start",
			 wwtp_outbox_pending_tagged(r->outbox), wwtp_mqtt_uri(r->mqtt));
	if (rc && wwtp_outbox_pending(r->outbox) > wwtp_outbox_pending_tagged(r->outbox))
		LOG_WARN(MOD, "%zu messages not acknowledged by %s at shutdown: %s",
			 wwtp_outbox_pending(r->outbox) - wwtp_outbox_pending_tagged(r->outbox),
			 wwtp_mqtt_uri(r->mqtt), wwtp_strerror(rc));
	return 0;
}

int wwtp_collector_run(const struct wwtp_station *st, const struct wwtp_run_opts *o)
{
	struct run r = {.st = st, .o = o};
	int status = 1;

	r.queue_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	r.encode_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	r.alert_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	wwtp_buf_init(&r.buf, WWTP_PAYLOAD_MAX);
	r.started_ms = wwtp_now_ms();
	r.started_mono = wwtp_mono_ms();
	r.clock = wwtp_clock_state(o->clock_mode);
	if (wwtp_topic(st, "telemetry", r.topic_telemetry, sizeof(r.topic_telemetry)) ||
	    wwtp_topic(st, "status", r.topic_status, sizeof(r.topic_status)) ||
	    wwtp_topic(st, "alert", r.topic_alert, sizeof(r.topic_alert)) ||
	    wwtp_topic(st, "health", r.topic_health, sizeof(r.topic_health)) ||
	    wwtp_topic(st, "ack", r.topic_ack, sizeof(r.topic_ack)) ||
	    wwtp_topic(st, "config", r.topic_config, sizeof(r.topic_config))) {
		fprintf(stderr, "wwtp-collector: topic prefix too long\n");
		goto out;
	}
	r.judge = wwtp_judge_new(st);
	if (!r.judge) {
		fprintf(stderr,
			"wwtp-collector: cannot set up the evaluation (see the log above)\n");
		goto out;
	}
	/* One poll makes no period: only the service transmits TT 10 files. */
	struct wwtp_tt10_child_opts co = {.program = getenv("WWTP_TT10_UPLOAD"),
					  .config = o->config ? o->config : st->path,
					  .profiles_dir = o->profiles_dir,
					  .limits_dir = o->limits_dir};
	if (!o->once && wwtp_tt10_wanted(st) && !(r.tt10 = wwtp_tt10_new(st, &co))) {
		fprintf(stderr,
			"wwtp-collector: cannot set up the tt10 files (see the log above)\n");
		goto out;
	}
	if (st->signing.key_file[0] && wwtp_chain_open(st->signing.key_file, &r.chain) != 0) {
		fprintf(stderr, "wwtp-collector: cannot sign: %s (see the log above)\n",
			st->signing.key_file);
		goto out;
	}
	check_public_key(&r);
	r.samples = wwtp_queue_new(SAMPLE_QUEUE_MAX);
	if (!r.samples) {
		fprintf(stderr, "wwtp-collector: out of memory\n");
		goto out;
	}
	if (!o->print) {
		int rc = start_mqtt(&r);
		if (rc) {
			fprintf(stderr, "wwtp-collector: cannot set up MQTT: %s\n",
				wwtp_strerror(rc));
			goto out;
		}
		/* A one-shot run keeps nothing: it says by its exit status
		 * whether the broker has everything. */
		if (!o->once && start_store(&r) != 0)
			goto out;
		/* After the store: it subscribes to central's acks first. */
		rc = wwtp_mqtt_connect(r.mqtt);
		if (rc) {
			fprintf(stderr, "wwtp-collector: cannot set up MQTT: %s\n",
				wwtp_strerror(rc));
			goto out;
		}
	}
	if (r.store && wwtp_store_get_meta(r.store, "last_ts_ms", &r.ts_kept) != 0)
		r.ts_kept = 0;
	if (r.ts_kept > wwtp_now_ms())
		LOG_WARN(
		    MOD,
		    "the clock is behind the last poll time kept in the store (%lld ms): it was "
		    "stepped back; poll times go on from the kept one until it catches up",
		    (long long)(r.ts_kept - wwtp_now_ms()));
	if (wwtp_tsguard_new(st->ndevices, r.ts_kept, &r.tsg) != 0) {
		fprintf(stderr, "wwtp-collector: out of memory\n");
		goto out;
	}
	r.poller = wwtp_poller_new(st, on_sample, &r);
	if (!r.poller) {
		fprintf(stderr, "wwtp-collector: cannot set up polling (see the log above)\n");
		goto out;
	}
	LOG_INFO(MOD, "station %s: %zu devices, %s%s", st->id, st->ndevices,
		 o->print ? "printing to standard output" : "publishing to ",
		 o->print ? "" : wwtp_mqtt_uri(r.mqtt));
	status = o->once ? run_once(&r) : run_forever(&r);

out:
	/* The poller goes first: its threads call on_sample, which uses the
	 * queue. */
	wwtp_poller_free(r.poller);
	stop_mqtt(&r);
	wwtp_queue_free(r.samples, free_sample);
	wwtp_tt10_free(r.tt10); /* after the poller: it writes what ended */
	wwtp_judge_free(r.judge);
	wwtp_tsguard_free(r.tsg);
	wwtp_chain_close(r.chain);
	wwtp_buf_free(&r.buf);
	return status;
}
