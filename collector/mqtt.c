#include "mqtt.h"

#include <MQTTAsync.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/err.h"
#include "../util/log.h"
#include "../util/mqtt_auth.h"
#include "../util/mqtt_paho.h"
#include "../util/paho_lib.h"

#define MOD "mqtt"

/* Seconds for one connection attempt: short enough that a dead broker is
 * noticed quickly, long enough for a slow 3G uplink. */
/* QoS 1 messages sent before their acknowledgement; the rest wait in the
 * library's buffer. A window this size keeps a broker busy without flooding
 * it after a long outage. */
#define MAX_INFLIGHT 100

/* One message the library accepted and has not acknowledged yet. The
 * record is the callbacks' context, so no lookup by the library's token
 * (which is reused) is needed. */
struct pub_rec {
	struct pub_rec *prev, *next;
	struct wwtp_mqtt *m;
	uint64_t token;
};

struct wwtp_mqtt {
	MQTTAsync client;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* connected, acknowledged, disconnected */
	char uri_safe[WWTP_URI_MAX];
	char uri[WWTP_URI_MAX];
	struct wwtp_mqtt_auth auth; /* file names only: secrets are read at connect */
	char tls_error[200];	    /* OpenSSL's last words, for the next failure message */
	char *will_topic;
	char *will_payload;
	int keepalive_s;
	int connected;
	int disc_done; /* the disconnect request finished (either way) */
	uint64_t next_token;
	struct wwtp_mqtt_stats stats;
	struct pub_rec pending; /* list head; pending.next is the oldest */
	size_t npending;
	struct wwtp_complain conn_complain;
	struct wwtp_complain full_complain;
	struct wwtp_complain fail_complain;
	char last_error[400];
	wwtp_mqtt_ack_cb ack_cb;
	void *ack_ctx;
	/* The one topic subscribed to (central's acks), on every connection. */
	char *sub_topic;
	wwtp_mqtt_msg_cb msg_cb;
	void *msg_ctx;
};

static void deadline_after(struct timespec *ts, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* --- callbacks, on Paho's threads ------------------------------------- */

static void on_sub_failure(void *ctx, MQTTAsync_failureData *resp)
{
	struct wwtp_mqtt *m = ctx;
	LOG_ERROR(MOD,
		  "cannot subscribe to %s: %s (code %d): the broker's ACL must let this "
		  "station read it (wwtp-central acl)",
		  m->sub_topic, resp && resp->message ? resp->message : "refused",
		  resp ? resp->code : 0);
}

static void on_sub_done(void *ctx, MQTTAsync_successData *resp)
{
	struct wwtp_mqtt *m = ctx;
	if (resp && resp->alt.qos == 0x80)
		on_sub_failure(ctx, NULL);
	else
		LOG_DEBUG(MOD, "subscribed to %s", m->sub_topic);
}

/* Again on every connection: a broker restarted without persistence has
 * forgotten the subscription. */
static void subscribe(struct wwtp_mqtt *m)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	if (!m->sub_topic)
		return;
	ro.onSuccess = on_sub_done;
	ro.onFailure = on_sub_failure;
	ro.context = m;
	int rc = wwtp_paho->subscribe(m->client, m->sub_topic, 1, &ro);
	if (rc != MQTTASYNC_SUCCESS)
		LOG_ERROR(MOD, "cannot subscribe to %s: %s", m->sub_topic, wwtp_paho->strerror(rc));
}

static void on_connected(void *ctx, char *cause)
{
	struct wwtp_mqtt *m = ctx;
	(void)cause;
	pthread_mutex_lock(&m->lock);
	m->connected = 1;
	m->stats.connects++;
	uint64_t n = m->stats.connects;
	m->last_error[0] = '\0';
	m->tls_error[0] = '\0'; /* words of an earlier failure */
	pthread_cond_broadcast(&m->cond);
	if (m->conn_complain.interval_ms != 0)
		wwtp_complain_release(&m->conn_complain, MOD, "connected to %s", m->uri_safe);
	else if (n == 1)
		LOG_INFO(MOD, "connected to %s", m->uri_safe);
	else
		LOG_INFO(MOD, "reconnected to %s", m->uri_safe);
	pthread_mutex_unlock(&m->lock);
	subscribe(m);
}

static void on_connection_lost(void *ctx, char *cause)
{
	struct wwtp_mqtt *m = ctx;
	pthread_mutex_lock(&m->lock);
	m->connected = 0;
	snprintf(m->last_error, sizeof(m->last_error), "connection lost%s%s", cause ? ": " : "",
		 cause ? cause : "");
	LOG_WARN(MOD, "connection to %s lost%s%s; reconnecting", m->uri_safe, cause ? ": " : "",
		 cause ? cause : "");
	pthread_mutex_unlock(&m->lock);
}

static void on_connect_failure(void *ctx, MQTTAsync_failureData *resp)
{
	struct wwtp_mqtt *m = ctx;
	int code = resp ? resp->code : MQTTASYNC_FAILURE;
	const char *what = wwtp_mqtt_connack_text(code);

	if (!what)
		what = resp && resp->message ? resp->message : wwtp_paho->strerror(code);
	pthread_mutex_lock(&m->lock);
	snprintf(m->last_error, sizeof(m->last_error), "%s%s%s", what,
		 m->tls_error[0] ? "; TLS: " : "", m->tls_error);
	m->tls_error[0] = '\0';
	/* A broker that is down for a day would otherwise log every minute. */
	wwtp_complain(&m->conn_complain, WWTP_LOG_WARN, MOD,
		      "cannot connect to %s: %s (code %d); retrying", m->uri_safe, m->last_error,
		      code);
	pthread_mutex_unlock(&m->lock);
}

/* OpenSSL's error queue, handed over by Paho line by line when a TLS
 * connection fails (without this callback Paho prints it to stderr). The
 * first line, e.g. "...:SSL routines:...:certificate verify failed:...", is
 * kept for the failure message that follows. */
static int on_ssl_error(const char *str, size_t len, void *ctx)
{
	struct wwtp_mqtt *m = ctx;

	pthread_mutex_lock(&m->lock);
	wwtp_mqtt_tls_error_keep(str, len, m->tls_error, sizeof(m->tls_error));
	pthread_mutex_unlock(&m->lock);
	return 1;
}

static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *msg)
{
	struct wwtp_mqtt *m = ctx;
	size_t tlen = topic_len > 0 ? (size_t)topic_len : strlen(topic);

	/* Only the topic subscribed to is handed on; anything else can only
	 * come from an old session. Returning 1 tells the library it is
	 * handled. */
	if (m->msg_cb && m->sub_topic && tlen == strlen(m->sub_topic) &&
	    memcmp(topic, m->sub_topic, tlen) == 0)
		m->msg_cb(msg->payload, msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0,
			  m->msg_ctx);
	wwtp_paho->freeMessage(&msg);
	wwtp_paho->free(topic);
	return 1;
}

static void unlink_rec(struct pub_rec *r)
{
	r->prev->next = r->next;
	r->next->prev = r->prev;
	r->prev = r->next = r;
}

static void finish(struct pub_rec *r, int ok)
{
	struct wwtp_mqtt *m = r->m;

	pthread_mutex_lock(&m->lock);
	/* Under the lock, so that once wwtp_mqtt_set_ack_cb(m, NULL, NULL)
	 * returns no callback is still running into its context; and before
	 * the counters change, so that a wwtp_mqtt_wait_all_acked that wakes
	 * up finds the callback already done. */
	if (m->ack_cb)
		m->ack_cb(r->token, ok, m->ack_ctx);
	unlink_rec(r);
	m->npending--;
	if (ok) {
		m->stats.acked++;
	} else {
		m->stats.failed++;
		wwtp_complain(
		    &m->fail_complain, WWTP_LOG_WARN, MOD,
		    "the MQTT library gave up %llu message(s) so far (broker session lost?)",
		    (unsigned long long)m->stats.failed);
	}
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	free(r);
}

static void on_publish_ok(void *ctx, MQTTAsync_successData *resp)
{
	(void)resp;
	finish(ctx, 1);
}

static void on_publish_failure(void *ctx, MQTTAsync_failureData *resp)
{
	(void)resp;
	finish(ctx, 0);
}

static void on_disconnect_done(void *ctx, MQTTAsync_successData *resp)
{
	struct wwtp_mqtt *m = ctx;
	(void)resp;
	pthread_mutex_lock(&m->lock);
	m->disc_done = 1;
	m->connected = 0;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

static void on_disconnect_failure(void *ctx, MQTTAsync_failureData *resp)
{
	(void)resp;
	on_disconnect_done(ctx, NULL);
}

/* --- API --------------------------------------------------------------- */

struct wwtp_mqtt *wwtp_mqtt_new(const struct wwtp_mqtt_cfg *cfg, const char *will_topic,
				const char *will_payload)
{
	pthread_condattr_t ca;
	struct wwtp_mqtt *m;

	if (cfg->client_id[0] == '\0' || cfg->uri[0] == '\0' || (!will_topic != !will_payload)) {
		LOG_ERROR(MOD, "need a client id and a broker uri; a will needs topic and payload");
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	wwtp_mqtt_redact_uri(cfg->uri, m->uri_safe, sizeof(m->uri_safe));
	snprintf(m->uri, sizeof(m->uri), "%s", cfg->uri);
	m->auth = cfg->auth;
	m->keepalive_s = cfg->keepalive_s;
	m->next_token = 1;
	m->pending.next = m->pending.prev = &m->pending;
	m->conn_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	m->full_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	m->fail_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	if (will_topic) {
		m->will_topic = strdup(will_topic);
		m->will_payload = strdup(will_payload);
		if (!m->will_topic || !m->will_payload)
			goto fail_mem;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cond, &ca);
	pthread_condattr_destroy(&ca);

	/* Without sendWhileDisconnected the library refuses every message
	 * while a reconnect is under way; its default buffer of 100 would
	 * last under two minutes at a large plant; refusing the newest when
	 * full (rather than deleting the oldest) keeps the loss visible to us. */
	struct wwtp_paho_client pc = {.uri = cfg->uri,
				      .client_id = cfg->client_id,
				      .uri_safe = m->uri_safe,
				      .mod = MOD,
				      .max_buffered = WWTP_MQTT_MAX_BUFFERED,
				      .send_offline = 1,
				      .ctx = m,
				      .on_lost = on_connection_lost,
				      .on_message = on_message,
				      .on_connected = on_connected};
	if (wwtp_paho_create(&pc, &m->client) != 0) {
		wwtp_mqtt_free(m);
		return NULL;
	}
	return m;

fail_mem:
	free(m->will_topic);
	free(m->will_payload);
	free(m);
	return NULL;
}

void wwtp_mqtt_free(struct wwtp_mqtt *m)
{
	if (!m)
		return;
	if (m->client) {
		/* Also needed when not connected: it stops reconnect attempts. */
		wwtp_mqtt_disconnect(m, 0);
		wwtp_paho->destroy(&m->client);
	}
	/* The library is gone: what it never acknowledged is freed here. */
	while (m->pending.next != &m->pending) {
		struct pub_rec *r = m->pending.next;
		unlink_rec(r);
		free(r);
	}
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m->sub_topic);
	free(m->will_topic);
	free(m->will_payload);
	free(m);
}

void wwtp_mqtt_set_ack_cb(struct wwtp_mqtt *m, wwtp_mqtt_ack_cb cb, void *ctx)
{
	pthread_mutex_lock(&m->lock);
	m->ack_cb = cb;
	m->ack_ctx = ctx;
	pthread_mutex_unlock(&m->lock);
}

int wwtp_mqtt_subscribe(struct wwtp_mqtt *m, const char *topic, wwtp_mqtt_msg_cb cb, void *ctx)
{
	char *t = strdup(topic);
	if (!t)
		return WWTP_ERR_NOMEM;
	free(m->sub_topic);
	m->sub_topic = t;
	m->msg_cb = cb;
	m->msg_ctx = ctx;
	return 0;
}

int wwtp_mqtt_connect(struct wwtp_mqtt *m)
{
	MQTTAsync_connectOptions o = MQTTAsync_connectOptions_initializer;
	MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
	/* A persistent session: QoS 1 messages in flight when the link drops
	 * are sent again after the reconnect instead of being forgotten. */
	struct wwtp_paho_session ps = {.keepalive_s = m->keepalive_s,
				       .clean = 0,
				       .max_inflight = MAX_INFLIGHT,
				       .reconnect = 1,
				       .on_failure = on_connect_failure,
				       .ctx = m};
	int rc;

	wwtp_paho_session_options(&ps, &o);
	if (m->will_topic) {
		will.topicName = m->will_topic;
		will.message = m->will_payload;
		will.retained = 1;
		will.qos = 1;
		o.will = &will;
	}
	rc = wwtp_paho_connect(m->client, &o, &m->auth, m->uri, m->uri_safe, MOD, on_ssl_error, m);
	if (rc != 0)
		return rc;
	LOG_DEBUG(MOD, "connecting to %s", m->uri_safe);
	return 0;
}

int wwtp_mqtt_disconnect(struct wwtp_mqtt *m, int timeout_ms)
{
	MQTTAsync_disconnectOptions o = MQTTAsync_disconnectOptions_initializer;
	struct timespec until;
	int rc;

	pthread_mutex_lock(&m->lock);
	m->disc_done = 0;
	pthread_mutex_unlock(&m->lock);
	o.timeout = timeout_ms < 0 ? 0 : timeout_ms;
	o.onSuccess = on_disconnect_done;
	o.onFailure = on_disconnect_failure;
	o.context = m;
	/* Even when not connected this call matters: it ends the library's
	 * reconnect attempts. */
	rc = wwtp_paho->disconnect(m->client, &o);
	if (rc != MQTTASYNC_SUCCESS)
		return WWTP_ERR_CONN;
	/* The library lets in-flight messages finish for up to `timeout`, then
	 * closes; a second more covers the DISCONNECT packet itself. */
	deadline_after(&until, o.timeout + 1000);
	pthread_mutex_lock(&m->lock);
	rc = 0;
	while (!m->disc_done && rc == 0)
		rc = pthread_cond_timedwait(&m->cond, &m->lock, &until);
	int done = m->disc_done;
	pthread_mutex_unlock(&m->lock);
	if (!done)
		return WWTP_ERR_TIMEOUT;
	LOG_DEBUG(MOD, "disconnected from %s", m->uri_safe);
	return 0;
}

int wwtp_mqtt_wait_connected(struct wwtp_mqtt *m, int timeout_ms)
{
	struct timespec until;
	int rc = 0, connected;

	deadline_after(&until, timeout_ms < 0 ? 0 : timeout_ms);
	pthread_mutex_lock(&m->lock);
	while (!m->connected && rc == 0)
		rc = pthread_cond_timedwait(&m->cond, &m->lock, &until);
	connected = m->connected;
	pthread_mutex_unlock(&m->lock);
	return connected ? 0 : WWTP_ERR_TIMEOUT;
}

int wwtp_mqtt_is_connected(struct wwtp_mqtt *m)
{
	int c;
	pthread_mutex_lock(&m->lock);
	c = m->connected;
	pthread_mutex_unlock(&m->lock);
	return c;
}

int wwtp_mqtt_publish(struct wwtp_mqtt *m, const char *topic, const void *payload, size_t len,
		      int qos, int retained, uint64_t *token_out)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	MQTTAsync_message msg = MQTTAsync_message_initializer;
	struct pub_rec *r;
	uint64_t token;
	int rc;

	if (!topic || !topic[0] || qos < 0 || qos > 2 || len > INT_MAX)
		return WWTP_ERR_INVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return WWTP_ERR_NOMEM;
	r->m = m;
	/* Listed before the call: the acknowledgement may arrive on another
	 * thread before MQTTAsync_sendMessage has even returned. */
	pthread_mutex_lock(&m->lock);
	r->token = m->next_token++;
	/* A copy: once MQTTAsync_sendMessage succeeds, r belongs to the
	 * library's thread, which frees it on the acknowledgement. */
	token = r->token;
	r->prev = m->pending.prev;
	r->next = &m->pending;
	m->pending.prev->next = r;
	m->pending.prev = r;
	m->npending++;
	pthread_mutex_unlock(&m->lock);

	msg.payload = (void *)payload; /* the library copies it */
	msg.payloadlen = (int)len;
	msg.qos = qos;
	msg.retained = retained ? 1 : 0;
	ro.onSuccess = on_publish_ok;
	ro.onFailure = on_publish_failure;
	ro.context = r;
	rc = wwtp_paho->sendMessage(m->client, topic, &msg, &ro);

	pthread_mutex_lock(&m->lock);
	if (rc == MQTTASYNC_SUCCESS) {
		m->stats.published++;
		if (token_out)
			*token_out = token;
		if (m->full_complain.interval_ms != 0)
			wwtp_complain_release(&m->full_complain, MOD,
					      "MQTT library buffer accepts messages again");
		pthread_mutex_unlock(&m->lock);
		return 0;
	}
	/* Refused synchronously: the library calls no callback for it. */
	unlink_rec(r);
	m->npending--;
	m->stats.refused++;
	if (rc == MQTTASYNC_MAX_BUFFERED_MESSAGES || rc == MQTTASYNC_MAX_BUFFERED)
		wwtp_complain(&m->full_complain, WWTP_LOG_ERROR, MOD,
			      "MQTT library buffer full (%d messages waiting for %s); "
			      "%llu refusals so far",
			      WWTP_MQTT_MAX_BUFFERED, m->uri_safe,
			      (unsigned long long)m->stats.refused);
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	free(r);
	switch (rc) {
	case MQTTASYNC_DISCONNECTED:
		return WWTP_ERR_CONN;
	case MQTTASYNC_MAX_BUFFERED_MESSAGES:
	case MQTTASYNC_MAX_BUFFERED:
		return WWTP_ERR_FULL;
	case MQTTASYNC_BAD_UTF8_STRING:
	case MQTTASYNC_BAD_QOS:
	case MQTTASYNC_NULL_PARAMETER:
		return WWTP_ERR_INVAL;
	default:
		LOG_ERROR(MOD, "cannot queue a message on %s: %s", topic, wwtp_paho->strerror(rc));
		return WWTP_ERR_MQTT;
	}
}

size_t wwtp_mqtt_pending(struct wwtp_mqtt *m)
{
	size_t n;
	pthread_mutex_lock(&m->lock);
	n = m->npending;
	pthread_mutex_unlock(&m->lock);
	return n;
}

int wwtp_mqtt_wait_all_acked(struct wwtp_mqtt *m, int timeout_ms)
{
	struct timespec until;
	int rc = 0;

	deadline_after(&until, timeout_ms < 0 ? 0 : timeout_ms);
	pthread_mutex_lock(&m->lock);
	while (m->npending > 0 && rc == 0)
		rc = pthread_cond_timedwait(&m->cond, &m->lock, &until);
	if (m->npending > 0)
		rc = WWTP_ERR_TIMEOUT;
	else
		rc = m->stats.failed > 0 ? WWTP_ERR_MQTT : 0;
	pthread_mutex_unlock(&m->lock);
	return rc;
}

void wwtp_mqtt_get_stats(struct wwtp_mqtt *m, struct wwtp_mqtt_stats *out)
{
	pthread_mutex_lock(&m->lock);
	*out = m->stats;
	pthread_mutex_unlock(&m->lock);
}

void wwtp_mqtt_last_error(struct wwtp_mqtt *m, char *out, size_t n)
{
	pthread_mutex_lock(&m->lock);
	snprintf(out, n, "%s", m->last_error);
	pthread_mutex_unlock(&m->lock);
}

const char *wwtp_mqtt_uri(const struct wwtp_mqtt *m)
{
	return m->uri_safe;
}
