/* mqtt_paho.c - see mqtt_paho.h. */
#include "mqtt_paho.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "paho_lib.h"

#define CONNECT_TIMEOUT_S 10
#define RETRY_MIN_S 1
#define RETRY_MAX_S 60

void wwtp_mqtt_login_apply(const struct wwtp_mqtt_login *l, MQTTAsync_connectOptions *o,
			   MQTTAsync_SSLOptions *ssl,
			   int (*on_tls_error)(const char *str, size_t len, void *ctx), void *ctx)
{
	o->username = l->username;
	o->password = l->password;
	if (!l->tls)
		return;
	/* The chain against ca_file (the system's CAs without one) and, with
	 * verify, the name against the URI's host. */
	ssl->trustStore = l->ca_file;
	ssl->keyStore = l->cert_file;
	ssl->privateKey = l->key_file;
	ssl->enableServerCertAuth = 1;
	ssl->verify = 1;
	ssl->ssl_error_cb = on_tls_error;
	ssl->ssl_error_context = ctx;
	o->ssl = ssl;
}

void wwtp_mqtt_tls_error_keep(const char *str, size_t len, char *out, size_t size)
{
	const char *colon = memchr(str, ':', len);

	if (out[0])
		return;
	if (colon) { /* OpenSSL's thread id */
		len -= (size_t)(colon + 1 - str);
		str = colon + 1;
	}
	while (len > 0 && (str[len - 1] == '\n' || str[len - 1] == '\r'))
		len--;
	snprintf(out, size, "%.*s", (int)len, str);
}

void wwtp_mqtt_redact_uri(const char *uri, char *out, size_t n)
{
	const char *scheme = strstr(uri, "://");
	const char *host = scheme ? scheme + 3 : uri;
	const char *at = strchr(host, '@');
	const char *slash = strchr(host, '/');
	if (at && (!slash || at < slash))
		snprintf(out, n, "%.*s%s", (int)(host - uri), uri, at + 1);
	else
		snprintf(out, n, "%s", uri);
}

const char *wwtp_mqtt_connack_text(int code)
{
	switch (code) {
	case 1:
		return "refused: unacceptable protocol version";
	case 2:
		return "refused: client id rejected";
	case 3:
		return "refused: server unavailable";
	case 4:
		return "refused: bad user name or password";
	case 5:
		return "refused: not authorised";
	default:
		return NULL;
	}
}

int wwtp_paho_create(const struct wwtp_paho_client *c, MQTTAsync *out)
{
	MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
	int rc = wwtp_paho_load(wwtp_mqtt_uri_is_tls(c->uri), c->mod);

	if (rc) {
		*out = NULL;
		return rc;
	}
	co.MQTTVersion = MQTTVERSION_3_1_1;
	if (c->max_buffered > 0)
		co.maxBufferedMessages = c->max_buffered;
	if (c->send_offline) {
		co.sendWhileDisconnected = 1;
		co.deleteOldestMessages = 0;
	}
	rc = wwtp_paho->createWithOptions(out, c->uri, c->client_id, MQTTCLIENT_PERSISTENCE_NONE,
					  NULL, &co);
	if (rc != MQTTASYNC_SUCCESS) {
		LOG_ERROR(c->mod, "cannot create MQTT client for %s: %s", c->uri_safe,
			  wwtp_paho->strerror(rc));
		*out = NULL;
		return WWTP_ERR_MQTT;
	}
	rc = wwtp_paho->setCallbacks(*out, c->ctx, c->on_lost, c->on_message, NULL);
	if (rc == MQTTASYNC_SUCCESS && c->on_connected)
		rc = wwtp_paho->setConnected(*out, c->ctx, c->on_connected);
	if (rc != MQTTASYNC_SUCCESS) {
		LOG_ERROR(c->mod, "cannot set MQTT callbacks: %s", wwtp_paho->strerror(rc));
		wwtp_paho->destroy(out);
		*out = NULL;
		return WWTP_ERR_MQTT;
	}
	return 0;
}

void wwtp_paho_session_options(const struct wwtp_paho_session *s, MQTTAsync_connectOptions *o)
{
	o->MQTTVersion = MQTTVERSION_3_1_1;
	o->keepAliveInterval = s->keepalive_s;
	o->cleansession = s->clean;
	if (s->max_inflight > 0)
		o->maxInflight = s->max_inflight;
	o->connectTimeout = CONNECT_TIMEOUT_S;
	if (s->reconnect) {
		o->automaticReconnect = 1;
		o->minRetryInterval = RETRY_MIN_S;
		o->maxRetryInterval = RETRY_MAX_S;
	}
	o->onSuccess = s->on_success;
	o->onFailure = s->on_failure;
	o->context = s->ctx;
}

int wwtp_paho_connect(MQTTAsync client, MQTTAsync_connectOptions *o,
		      const struct wwtp_mqtt_auth *auth, const char *uri, const char *uri_safe,
		      const char *mod, int (*on_tls_error)(const char *str, size_t len, void *ctx),
		      void *ctx)
{
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	struct wwtp_mqtt_login login;
	int rc;

	memset(&login, 0, sizeof(login));
	if (auth) {
		rc = wwtp_mqtt_login_load(auth, uri, mod, &login);
		if (rc != 0)
			return rc;
		/* An unverified TLS link would let anyone on a plant's LAN or
		 * mobile link pose as the broker: it is always verified. */
		wwtp_mqtt_login_apply(&login, o, &ssl, on_tls_error, ctx);
	}
	rc = wwtp_paho->connect(client, o);
	/* The library has its own copy of everything now (it reconnects with
	 * it): ours of the password goes. */
	wwtp_mqtt_login_clear(&login);
	if (rc != MQTTASYNC_SUCCESS) {
		LOG_ERROR(mod, "cannot start connecting to %s: %s", uri_safe,
			  wwtp_paho->strerror(rc));
		return WWTP_ERR_MQTT;
	}
	return 0;
}
