/* sub.c - MQTT subscriber over Paho's asynchronous client (see sub.h). */
#include "sub.h"

#include <MQTTAsync.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/mqtt_auth.h"
#include "../../util/mqtt_paho.h"
#include "../../util/paho_lib.h"

#define SUB_MOD "mqtt"
#define SUB_NTOPICS 4

struct wwtp_sub {
	MQTTAsync client;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* disconnect done, callback finished */
	char uri_safe[WWTP_URI_MAX];
	char uri[WWTP_URI_MAX];
	struct wwtp_mqtt_auth auth; /* file names only: secrets are read at connect */
	char tls_error[200];	    /* OpenSSL's first words of a failure */
	char topics[SUB_NTOPICS][WWTP_ID_MAX + 16];
	int qos;
	int keepalive_s;
	wwtp_sub_msg_cb cb;
	void *ctx;
	int in_cb;     /* callbacks running */
	int disc_done; /* the disconnect request finished */
	struct wwtp_sub_stats st;
	struct wwtp_complain conn_complain;
};

static void on_subscribed(void *ctx, MQTTAsync_successData *resp)
{
	struct wwtp_sub *s = ctx;
	int refused = 0;

	/* A broker may grant a subscription and still refuse one of them
	 * (0x80, e.g. an ACL): that is an error to shout about. */
	for (int i = 0; resp && resp->alt.qosList && i < SUB_NTOPICS; i++)
		if (resp->alt.qosList[i] == 0x80) {
			LOG_ERROR(SUB_MOD, "the broker refused the subscription to %s",
				  s->topics[i]);
			refused = 1;
		}
	pthread_mutex_lock(&s->lock);
	s->st.subscribed = !refused;
	pthread_mutex_unlock(&s->lock);
	if (!refused)
		LOG_INFO(SUB_MOD, "subscribed to %s, %s and %s (QoS %d)", s->topics[0],
			 s->topics[1], s->topics[2], s->qos);
}

static void on_subscribe_failed(void *ctx, MQTTAsync_failureData *resp)
{
	struct wwtp_sub *s = ctx;
	LOG_ERROR(SUB_MOD, "cannot subscribe on %s: %s (code %d)", s->uri_safe,
		  resp && resp->message ? resp->message : "refused", resp ? resp->code : 0);
}

static void on_connected(void *ctx, char *cause)
{
	struct wwtp_sub *s = ctx;
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	char *topics[SUB_NTOPICS];
	int qos[SUB_NTOPICS];
	(void)cause;

	pthread_mutex_lock(&s->lock);
	s->st.connected = 1;
	s->st.subscribed = 0;
	s->st.connects++;
	s->tls_error[0] = '\0'; /* words of an earlier failure */
	uint64_t n = s->st.connects;
	if (s->conn_complain.interval_ms != 0)
		wwtp_complain_release(&s->conn_complain, SUB_MOD, "connected to %s", s->uri_safe);
	else
		LOG_INFO(SUB_MOD, "%s %s", n == 1 ? "connected to" : "reconnected to", s->uri_safe);
	pthread_mutex_unlock(&s->lock);

	/* Again on every connection: with a persistent session the broker
	 * remembers them, but one restarted without persistence does not. */
	for (int i = 0; i < SUB_NTOPICS; i++) {
		topics[i] = s->topics[i];
		qos[i] = s->qos;
	}
	ro.onSuccess = on_subscribed;
	ro.onFailure = on_subscribe_failed;
	ro.context = s;
	int rc = wwtp_paho->subscribeMany(s->client, SUB_NTOPICS, topics, qos, &ro);
	if (rc != MQTTASYNC_SUCCESS)
		LOG_ERROR(SUB_MOD, "cannot subscribe: %s", wwtp_paho->strerror(rc));
}

static void on_connection_lost(void *ctx, char *cause)
{
	struct wwtp_sub *s = ctx;
	pthread_mutex_lock(&s->lock);
	s->st.connected = 0;
	s->st.subscribed = 0;
	pthread_mutex_unlock(&s->lock);
	LOG_WARN(SUB_MOD, "connection to %s lost%s%s; reconnecting", s->uri_safe, cause ? ": " : "",
		 cause ? cause : "");
}

static void on_connect_failure(void *ctx, MQTTAsync_failureData *resp)
{
	struct wwtp_sub *s = ctx;
	int code = resp ? resp->code : MQTTASYNC_FAILURE;
	const char *what = resp && resp->message ? resp->message : wwtp_paho->strerror(code);

	/* CONNACK refusals come as codes 1..5 without a message. */
	if (code == 4 || code == 5)
		what = wwtp_mqtt_connack_text(code);
	pthread_mutex_lock(&s->lock);
	wwtp_complain(&s->conn_complain, WWTP_LOG_WARN, SUB_MOD,
		      "cannot connect to %s: %s%s%s (code %d); retrying", s->uri_safe, what,
		      s->tls_error[0] ? "; TLS: " : "", s->tls_error, code);
	s->tls_error[0] = '\0';
	pthread_mutex_unlock(&s->lock);
}

/* OpenSSL's error lines when a TLS connection fails (Paho would print them
 * to stderr without this callback): the first is kept for the message. */
static int on_ssl_error(const char *str, size_t len, void *ctx)
{
	struct wwtp_sub *s = ctx;

	pthread_mutex_lock(&s->lock);
	wwtp_mqtt_tls_error_keep(str, len, s->tls_error, sizeof(s->tls_error));
	pthread_mutex_unlock(&s->lock);
	return 1;
}

static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *msg)
{
	struct wwtp_sub *s = ctx;
	size_t tlen = topic_len > 0 ? (size_t)topic_len : strlen(topic);

	pthread_mutex_lock(&s->lock);
	s->in_cb++;
	s->st.messages++;
	pthread_mutex_unlock(&s->lock);

	s->cb(topic, tlen, msg->payload, msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0,
	      msg->retained, s->ctx);

	wwtp_paho->freeMessage(&msg);
	wwtp_paho->free(topic);
	/* Last: wwtp_sub_free() waits for this before destroying the client. */
	pthread_mutex_lock(&s->lock);
	s->in_cb--;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return 1; /* handled: the callback never asks for it again */
}

static void on_disconnected(void *ctx, MQTTAsync_successData *resp)
{
	struct wwtp_sub *s = ctx;
	(void)resp;
	pthread_mutex_lock(&s->lock);
	s->disc_done = 1;
	s->st.connected = 0;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void on_disconnect_failed(void *ctx, MQTTAsync_failureData *resp)
{
	(void)resp;
	on_disconnected(ctx, NULL);
}

struct wwtp_sub *wwtp_sub_new(const struct wwtp_mqtt_cfg *cfg, wwtp_sub_msg_cb cb, void *ctx)
{
	static const char *const leaves[SUB_NTOPICS] = {"telemetry", "status", "alert", "config"};
	pthread_condattr_t ca;
	struct wwtp_sub *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	wwtp_mqtt_redact_uri(cfg->uri, s->uri_safe, sizeof(s->uri_safe));
	snprintf(s->uri, sizeof(s->uri), "%s", cfg->uri);
	s->auth = cfg->auth;
	for (int i = 0; i < SUB_NTOPICS; i++)
		snprintf(s->topics[i], sizeof(s->topics[i]), "%s/+/%s", cfg->topic_prefix,
			 leaves[i]);
	s->qos = cfg->qos;
	s->keepalive_s = cfg->keepalive_s;
	s->cb = cb;
	s->ctx = ctx;
	s->conn_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);

	/* The session lives in the broker (a persistent one, see connect). */
	struct wwtp_paho_client pc = {.uri = cfg->uri,
				      .client_id = cfg->client_id,
				      .uri_safe = s->uri_safe,
				      .mod = SUB_MOD,
				      .ctx = s,
				      .on_lost = on_connection_lost,
				      .on_message = on_message,
				      .on_connected = on_connected};
	if (wwtp_paho_create(&pc, &s->client) != 0) {
		wwtp_sub_free(s);
		return NULL;
	}
	return s;
}

int wwtp_sub_connect(struct wwtp_sub *s)
{
	MQTTAsync_connectOptions o = MQTTAsync_connectOptions_initializer;
	/* Persistent session: while we are away the broker keeps our
	 * subscriptions and queues QoS 1 messages for them. */
	struct wwtp_paho_session ps = {.keepalive_s = s->keepalive_s,
				       .clean = 0,
				       .reconnect = 1,
				       .on_failure = on_connect_failure,
				       .ctx = s};
	int rc;

	wwtp_paho_session_options(&ps, &o);
	rc = wwtp_paho_connect(s->client, &o, &s->auth, s->uri, s->uri_safe, SUB_MOD, on_ssl_error,
			       s);
	if (rc == WWTP_ERR_MQTT)
		return rc;
	return rc == 0 ? 0 : WWTP_ERR_CONFIG;
}

void wwtp_sub_free(struct wwtp_sub *s)
{
	if (!s)
		return;
	if (s->client) {
		MQTTAsync_disconnectOptions o = MQTTAsync_disconnectOptions_initializer;
		struct timespec until;

		o.timeout = 1000;
		o.onSuccess = on_disconnected;
		o.onFailure = on_disconnect_failed;
		o.context = s;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += 3;
		pthread_mutex_lock(&s->lock);
		s->disc_done = 0;
		pthread_mutex_unlock(&s->lock);
		/* Also ends reconnect attempts when not connected. */
		int rc = wwtp_paho->disconnect(s->client, &o);
		pthread_mutex_lock(&s->lock);
		while (rc == MQTTASYNC_SUCCESS && !s->disc_done)
			if (pthread_cond_timedwait(&s->cond, &s->lock, &until) != 0)
				break;
		/* A message being handled finishes before the client goes. */
		while (s->in_cb > 0)
			pthread_cond_wait(&s->cond, &s->lock);
		pthread_mutex_unlock(&s->lock);
		wwtp_paho->destroy(&s->client);
	}
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int wwtp_sub_publish(struct wwtp_sub *s, const char *topic, const void *payload, size_t len,
		     int retained)
{
	MQTTAsync_message msg = MQTTAsync_message_initializer;

	if (len > (size_t)INT32_MAX)
		return WWTP_ERR_INVAL;
	msg.payload = (void *)payload; /* copied by the library */
	msg.payloadlen = (int)len;
	msg.qos = 1;
	msg.retained = retained ? 1 : 0;
	int rc = wwtp_paho->sendMessage(s->client, topic, &msg, NULL);
	if (rc == MQTTASYNC_SUCCESS)
		return 0;
	return rc == MQTTASYNC_DISCONNECTED ? WWTP_ERR_CONN : WWTP_ERR_MQTT;
}

void wwtp_sub_get_stats(struct wwtp_sub *s, struct wwtp_sub_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->st;
	pthread_mutex_unlock(&s->lock);
}
