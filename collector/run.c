#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../payload/payload.h"
#include "../util/buf.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "judge.h"
#include "mqtt.h"
#include "outbox.h"
#include "poller.h"
#include "queue.h"

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

struct run {
	const struct wwtp_station *st;
	const struct wwtp_run_opts *o;
	struct wwtp_queue *samples;
	struct wwtp_mqtt *mqtt;     /* NULL with --print */
	struct wwtp_outbox *outbox; /* NULL with --print */
	struct wwtp_poller *poller;
	struct wwtp_buf buf;
	char topic_telemetry[WWTP_ID_MAX * 2 + 16];
	char topic_status[WWTP_ID_MAX * 2 + 16];
	char topic_alert[WWTP_ID_MAX * 2 + 16];
	struct wwtp_judge *judge;
	int64_t next_tick; /* monotonic */
	/* Per station, one per device poll, from 1. It starts again at 1 when
	 * the process restarts; keeping it across restarts comes with the
	 * durable store (SQLite outbox). */
	uint64_t seq;
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

static void free_sample(void *p) { wwtp_sample_free(p); }

static void report_refused(struct run *r)
{
	uint64_t n = wwtp_queue_refused(r->samples);
	if (n == r->refused_seen)
		return;
	/* Lost polls use up their numbers too: the gap in seq tells. */
	r->seq += n - r->refused_seen;
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
	if (r->o->print)
		print_line(r);
	else
		wwtp_outbox_put(r->outbox, r->topic_alert, r->buf.data, r->buf.len, 1, 0);
}

static void handle_sample(struct run *r, struct wwtp_sample *s)
{
	/* The number is taken even if the message is then lost, so that a
	 * gap in seq tells the central side that a poll went missing. */
	uint64_t seq = ++r->seq;
	int rc;

	r->polls++;
	/* Judged first, so that the telemetry carries the averages and limits
	 * that this very poll was judged with; its alerts follow it. */
	const struct wwtp_verdict *v = wwtp_judge_sample(r->judge, s);
	wwtp_buf_reset(&r->buf);
	rc = wwtp_payload_telemetry_eval(r->st, s, seq, v, &r->buf);
	if (rc) {
		wwtp_complain(&r->encode_complain, WWTP_LOG_ERROR, MOD,
			      "cannot encode the poll of device %s (seq %" PRIu64 "): %s",
			      s->device->name, seq, wwtp_strerror(rc));
	} else if (r->o->print) {
		print_line(r);
	} else {
		LOG_DEBUG(MOD, "device %s: seq %" PRIu64 ", %zu bytes", s->device->name, seq,
			  r->buf.len);
		/* Errors are counted and logged by the outbox. */
		wwtp_outbox_put(r->outbox, r->topic_telemetry, r->buf.data, r->buf.len,
				r->st->mqtt.qos, 0);
	}
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
	wwtp_judge_tick(r->judge, wwtp_now_ms());
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
}

static int put_status(struct run *r, const char *state)
{
	int rc;
	wwtp_buf_reset(&r->buf);
	rc = wwtp_payload_status(r->st, state, WWTP_VERSION, wwtp_now_ms(), &r->buf);
	if (rc == 0)
		rc = wwtp_outbox_put(r->outbox, r->topic_status, r->buf.data, r->buf.len, 1, 1);
	if (rc)
		LOG_ERROR(MOD, "cannot queue status \"%s\": %s", state, wwtp_strerror(rc));
	return rc;
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
		fprintf(stderr,
			"wwtp-collector: %zu of %llu messages not acknowledged by %s within %d s: %s\n",
			wwtp_outbox_pending(r->outbox), (unsigned long long)os.put,
			wwtp_mqtt_uri(r->mqtt), r->o->ack_timeout_ms / 1000, state);
	}
	if (os.dropped)
		fprintf(stderr, "wwtp-collector: %llu of %llu messages were dropped (see the log)\n",
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
	return wwtp_mqtt_connect(r->mqtt);
}

static void stop_mqtt(struct run *r)
{
	struct wwtp_outbox_stats os;

	if (!r->mqtt)
		return;
	if (r->outbox) {
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
	/* The outbox first: it unregisters its callback from the client. */
	wwtp_outbox_free(r->outbox);
	r->outbox = NULL;
	wwtp_mqtt_free(r->mqtt);
	r->mqtt = NULL;
}

static int run_once(struct run *r)
{
	int rc = wwtp_poller_run_once(r->poller);
	if (rc) {
		fprintf(stderr, "wwtp-collector: polling failed: %s\n", wwtp_strerror(rc));
		return 1;
	}
	drain(r, 0);
	if (r->o->print)
		return r->out_failed;
	rc = flush_outbox(r, 1);
	if (rc) {
		explain_unacked(r, rc);
		return 1;
	}
	LOG_INFO(MOD, "every message acknowledged by %s", wwtp_mqtt_uri(r->mqtt));
	return 0;
}

static int run_forever(struct run *r)
{
	uint64_t seen_connects = 0;
	int rc;

	if (r->mqtt && put_status(r, "online") != 0)
		return 1;
	rc = wwtp_poller_start(r->poller);
	if (rc) {
		fprintf(stderr, "wwtp-collector: cannot start polling: %s\n", wwtp_strerror(rc));
		return 1;
	}
	while (!*r->o->stop && !r->out_failed) {
		drain(r, LOOP_WAIT_MS);
		tick(r);
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
		wwtp_outbox_pump(r->outbox);
	}
	LOG_INFO(MOD, "stopping");
	wwtp_poller_stop(r->poller);
	drain(r, 0);
	if (!r->mqtt)
		return r->out_failed;
	put_status(r, "offline");
	rc = flush_outbox(r, 2);
	if (rc)
		LOG_WARN(MOD, "%zu messages not acknowledged by %s at shutdown: %s",
			 wwtp_outbox_pending(r->outbox), wwtp_mqtt_uri(r->mqtt), wwtp_strerror(rc));
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
	if (wwtp_topic(st, "telemetry", r.topic_telemetry, sizeof(r.topic_telemetry)) ||
	    wwtp_topic(st, "status", r.topic_status, sizeof(r.topic_status)) ||
	    wwtp_topic(st, "alert", r.topic_alert, sizeof(r.topic_alert))) {
		fprintf(stderr, "wwtp-collector: topic prefix too long\n");
		goto out;
	}
	r.judge = wwtp_judge_new(st);
	if (!r.judge) {
		fprintf(stderr,
			"wwtp-collector: cannot set up the evaluation (see the log above)\n");
		goto out;
	}
	r.samples = wwtp_queue_new(SAMPLE_QUEUE_MAX);
	if (!r.samples) {
		fprintf(stderr, "wwtp-collector: out of memory\n");
		goto out;
	}
	if (!o->print) {
		int rc = start_mqtt(&r);
		if (rc) {
			fprintf(stderr, "wwtp-collector: cannot set up MQTT: %s\n", wwtp_strerror(rc));
			goto out;
		}
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
	wwtp_judge_free(r.judge);
	wwtp_buf_free(&r.buf);
	return status;
}
