/* mqtt_paho.c - see mqtt_paho.h. */
#include "mqtt_paho.h"

#include <stdio.h>
#include <string.h>

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
