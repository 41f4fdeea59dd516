/* replay.c - simulated history over MQTT (see replay.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* also when built without the Makefile's flags */
#endif
#include "replay.h"

#include <MQTTAsync.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../payload/payload.h"
#include "../util/buf.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/mqtt_paho.h"
#include "../util/paho_lib.h"
#include "../util/timeutil.h"
#include "history.h"

#define MOD "history"
#define CONNECT_TIMEOUT_MS 10000
#define ACK_TIMEOUT_MS 30000 /* the broker answers a PUBACK in ms; 30 s means it is gone */
#define PROGRESS_MS 5000

struct pub;

/* Which kind a message was, carried through Paho's context pointer. */
enum { KIND_TELEMETRY = 0, KIND_ALERT = 1 };

struct sent_ctx {
	struct pub *p;
	int kind;
};

struct pub {
	MQTTAsync client;
	struct sent_ctx ctx[2]; /* by kind */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int connected; /* 1 connected, -1 failed or lost, 0 not yet */
	int disconnected;
	int inflight;
	uint64_t acked_telemetry, acked_alerts, failed;
	char why[160];
};

static void deadline(struct timespec *ts, int64_t ms_from_now)
{
	int64_t at = wwtp_mono_ms() + ms_from_now;
	ts->tv_sec = (time_t)(at / 1000);
	ts->tv_nsec = (long)(at % 1000) * 1000000L;
}

static void on_connected(void *ctx, MQTTAsync_successData *r)
{
	struct pub *p = ctx;
	(void)r;
	pthread_mutex_lock(&p->lock);
	p->connected = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void on_connect_failed(void *ctx, MQTTAsync_failureData *r)
{
	struct pub *p = ctx;
	pthread_mutex_lock(&p->lock);
	p->connected = -1;
	snprintf(p->why, sizeof(p->why), "%s (code %d)",
		 r && r->message ? r->message : "connection refused", r ? r->code : 0);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void on_lost(void *ctx, char *cause)
{
	struct pub *p = ctx;
	pthread_mutex_lock(&p->lock);
	p->connected = -1;
	snprintf(p->why, sizeof(p->why), "connection lost%s%s", cause ? ": " : "",
		 cause ? cause : "");
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* Nothing is subscribed; Paho wants the callback all the same. */
static int on_message(void *ctx, char *topic, int tlen, MQTTAsync_message *m)
{
	(void)ctx;
	(void)tlen;
	wwtp_paho->freeMessage(&m);
	wwtp_paho->free(topic);
	return 1;
}

static void on_sent(void *ctx, MQTTAsync_successData *r)
{
	struct sent_ctx *c = ctx;
	struct pub *p = c->p;
	(void)r;
	pthread_mutex_lock(&p->lock);
	p->inflight--;
	if (c->kind == KIND_ALERT)
		p->acked_alerts++;
	else
		p->acked_telemetry++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void on_send_failed(void *ctx, MQTTAsync_failureData *r)
{
	struct sent_ctx *c = ctx;
	struct pub *p = c->p;
	pthread_mutex_lock(&p->lock);
	p->inflight--;
	p->failed++;
	snprintf(p->why, sizeof(p->why), "a message was not acknowledged: %s (code %d)",
		 r && r->message ? r->message : "failed", r ? r->code : 0);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void on_disconnected(void *ctx, MQTTAsync_successData *r)
{
	struct pub *p = ctx;
	(void)r;
	pthread_mutex_lock(&p->lock);
	p->disconnected = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void on_disconnect_failed(void *ctx, MQTTAsync_failureData *r)
{
	(void)r;
	on_disconnected(ctx, NULL);
}

static int pub_open(struct pub *p, const char *uri)
{
	MQTTAsync_connectOptions o = MQTTAsync_connectOptions_initializer;
	pthread_condattr_t ca;
	char id[64];
	int rc;

	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	/* One per process: two replays at once must not take over each
	 * other's connection. */
	snprintf(id, sizeof(id), "wwtp-sim-history-%ld", (long)getpid());
	/* Paho queues every message it has not written yet against this
	 * bound (default 100), connected or not: room for our window. */
	struct wwtp_paho_client pc = {.uri = uri,
				      .client_id = id,
				      .uri_safe = uri,
				      .mod = MOD,
				      .max_buffered = WWTP_SIM_HISTORY_INFLIGHT * 2,
				      .ctx = p,
				      .on_lost = on_lost,
				      .on_message = on_message};
	struct wwtp_paho_session ps = {.keepalive_s = 30,
				       .clean = 1,
				       .max_inflight = WWTP_SIM_HISTORY_INFLIGHT * 2,
				       .on_success = on_connected,
				       .on_failure = on_connect_failed,
				       .ctx = p};
	rc = wwtp_paho_create(&pc, &p->client);
	if (rc != 0)
		return rc;
	wwtp_paho_session_options(&ps, &o);
	rc = wwtp_paho_connect(p->client, &o, NULL, uri, uri, MOD, NULL, NULL);
	if (rc != 0)
		return WWTP_ERR_CONN;
	struct timespec ts;
	deadline(&ts, CONNECT_TIMEOUT_MS + 1000);
	pthread_mutex_lock(&p->lock);
	while (p->connected == 0)
		if (pthread_cond_timedwait(&p->cond, &p->lock, &ts) != 0)
			break;
	int ok = p->connected == 1;
	pthread_mutex_unlock(&p->lock);
	if (!ok) {
		LOG_ERROR(MOD, "cannot connect to %s: %s", uri, p->why[0] ? p->why : "timed out");
		return WWTP_ERR_CONN;
	}
	return 0;
}

/* Waits until fewer than `below` messages are unacknowledged. 0, or
 * WWTP_ERR_CONN / WWTP_ERR_TIMEOUT with p->why set. */
static int pub_wait(struct pub *p, int below)
{
	struct timespec ts;
	int rc = 0;

	deadline(&ts, ACK_TIMEOUT_MS);
	pthread_mutex_lock(&p->lock);
	while (p->inflight >= below && p->connected == 1)
		if (pthread_cond_timedwait(&p->cond, &p->lock, &ts) != 0)
			break;
	if (p->connected != 1)
		rc = WWTP_ERR_CONN;
	else if (p->inflight >= below) {
		rc = WWTP_ERR_TIMEOUT;
		snprintf(p->why, sizeof(p->why), "no acknowledgement in %d s",
			 ACK_TIMEOUT_MS / 1000);
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

static int pub_send(struct pub *p, int max_inflight, const char *topic, const struct wwtp_buf *b,
		    int kind)
{
	MQTTAsync_message msg = MQTTAsync_message_initializer;
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	int rc = pub_wait(p, max_inflight);

	if (rc != 0)
		return rc;
	msg.payload = b->data;
	msg.payloadlen = (int)b->len;
	msg.qos = 1;
	msg.retained = 0;
	ro.onSuccess = on_sent;
	ro.onFailure = on_send_failed;
	ro.context = &p->ctx[kind];
	pthread_mutex_lock(&p->lock);
	p->inflight++;
	pthread_mutex_unlock(&p->lock);
	rc = wwtp_paho->sendMessage(p->client, topic, &msg, &ro);
	if (rc != MQTTASYNC_SUCCESS) {
		pthread_mutex_lock(&p->lock);
		p->inflight--;
		p->failed++;
		snprintf(p->why, sizeof(p->why), "Paho refused a message: %s",
			 wwtp_paho->strerror(rc));
		pthread_mutex_unlock(&p->lock);
		return WWTP_ERR_MQTT;
	}
	return 0;
}

static void pub_close(struct pub *p)
{
	if (p->client) {
		MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
		struct timespec ts;
		d.timeout = 1000;
		d.onSuccess = on_disconnected;
		d.onFailure = on_disconnect_failed;
		d.context = p;
		if (wwtp_paho->isConnected(p->client) &&
		    wwtp_paho->disconnect(p->client, &d) == MQTTASYNC_SUCCESS) {
			deadline(&ts, 2000);
			pthread_mutex_lock(&p->lock);
			while (!p->disconnected)
				if (pthread_cond_timedwait(&p->cond, &p->lock, &ts) != 0)
					break;
			pthread_mutex_unlock(&p->lock);
		}
		wwtp_paho->destroy(&p->client);
	}
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
}

/* Sleeps as long as needed to keep `sent` messages since t0 under rate. */
static void pace(double rate, uint64_t sent, int64_t t0)
{
	if (rate <= 0)
		return;
	int64_t due = t0 + (int64_t)((double)sent * 1000.0 / rate);
	int64_t now = wwtp_mono_ms();
	if (due > now)
		wwtp_sleep_ms(due - now, NULL);
}

int wwtp_sim_replay(struct wwtp_station *const *stations, const struct wwtp_sim_site *sites,
		    size_t n, const struct wwtp_sim_replay_opts *o, const volatile int *stop,
		    struct wwtp_sim_replay_result *res)
{
	struct wwtp_sim_history_opts ho = {
	    .from_ms = o->from_ms, .to_ms = o->to_ms, .interval_ms = o->interval_ms, .alerts = 1};
	struct wwtp_sim_history *h = NULL;
	struct wwtp_sim_history_stats hs;
	struct pub p;
	struct wwtp_buf b;
	char topic[WWTP_ID_MAX * 2 + 16];
	int64_t t0 = wwtp_mono_ms(), next_log = t0 + PROGRESS_MS;
	uint64_t sent = 0, bad = 0;
	int rc;

	if (res)
		memset(res, 0, sizeof(*res));
	memset(&p, 0, sizeof(p));
	p.ctx[KIND_TELEMETRY] = (struct sent_ctx){&p, KIND_TELEMETRY};
	p.ctx[KIND_ALERT] = (struct sent_ctx){&p, KIND_ALERT};
	wwtp_buf_init(&b, WWTP_PAYLOAD_MAX);
	rc = wwtp_sim_history_new(stations, sites, n, &ho, &h);
	if (rc != 0) {
		LOG_ERROR(MOD, "cannot make the history: %s", wwtp_strerror(rc));
		wwtp_buf_free(&b);
		return rc;
	}
	wwtp_sim_history_get_stats(h, &hs);
	char from[32], to[32];
	wwtp_format_utc(o->from_ms, from, sizeof(from));
	wwtp_format_utc(o->to_ms, to, sizeof(to));
	LOG_INFO(MOD,
		 "publishing the history of %zu station(s) from %s to %s, a reading every %" PRId64
		 " s: %" PRIu64 " telemetry messages and their alerts, to %s",
		 n, from, to, o->interval_ms / 1000, hs.telemetry_total, o->uri);
	rc = pub_open(&p, o->uri);
	while (rc == 0) {
		if (stop && *stop) {
			rc = WWTP_ERR_TIMEOUT;
			pthread_mutex_lock(&p.lock);
			snprintf(p.why, sizeof(p.why), "stopped");
			pthread_mutex_unlock(&p.lock);
			break;
		}
		int got = wwtp_sim_history_next(h, topic, sizeof(topic), &b);
		if (got == 0)
			break;
		if (got < 0) {
			/* One payload the encoder refuses (a bug, not the broker's
			 * fault): said once, the rest goes on. */
			if (bad++ == 0)
				LOG_ERROR(MOD, "cannot encode a message: %s", wwtp_strerror(got));
			continue;
		}
		rc = pub_send(&p, o->max_inflight, topic, &b,
			      strstr(topic, "/alert") ? KIND_ALERT : KIND_TELEMETRY);
		pace(o->rate, ++sent, t0);
		if (wwtp_mono_ms() >= next_log) {
			char at[32];
			wwtp_sim_history_get_stats(h, &hs);
			wwtp_format_utc(hs.ts_ms, at, sizeof(at));
			LOG_INFO(MOD,
				 "%" PRIu64 " %% (%" PRIu64 " of %" PRIu64
				 " telemetry messages, %" PRIu64 " alerts), at %s",
				 hs.telemetry_total ? hs.telemetry * 100 / hs.telemetry_total : 100,
				 hs.telemetry, hs.telemetry_total, hs.alerts, at);
			next_log += PROGRESS_MS;
		}
	}
	if (rc == 0)
		rc = pub_wait(&p, 1);
	int64_t elapsed = wwtp_mono_ms() - t0;
	char why[sizeof(p.why)];
	pthread_mutex_lock(&p.lock);
	struct wwtp_sim_replay_result r = {p.acked_telemetry, p.acked_alerts, p.failed, elapsed};
	if (rc == 0 && p.failed > 0)
		rc = WWTP_ERR_MQTT;
	memcpy(why, p.why, sizeof(why)); /* Paho's threads may still write it */
	pthread_mutex_unlock(&p.lock);
	if (rc == 0)
		LOG_INFO(MOD,
			 "published %" PRIu64 " telemetry and %" PRIu64
			 " alert messages of %zu station(s) in %.1f s",
			 r.telemetry, r.alerts, n, (double)elapsed / 1000.0);
	else if (p.client)
		LOG_ERROR(MOD,
			  "history not complete: %s; %" PRIu64 " telemetry and %" PRIu64
			  " alert messages acknowledged",
			  why[0] ? why : wwtp_strerror(rc), r.telemetry, r.alerts);
	if (res)
		*res = r;
	pub_close(&p);
	wwtp_sim_history_free(h);
	wwtp_buf_free(&b);
	return rc;
}
