/* mqtt_paho.h - the mqtt group's login (mqtt_auth.h) handed to Eclipse Paho C.
 * Apart from mqtt_auth.h so that the station model, which carries the keys,
 * does not pull Paho's headers into every program (the simulator, the
 * fuzzers). Used by the collector's publisher and the central subscriber. */
#ifndef WWTP_MQTT_PAHO_H
#define WWTP_MQTT_PAHO_H

#include <MQTTAsync.h>
#include <stddef.h>

#include "mqtt_auth.h"

/* Points Paho's connect options o at the login: user name, password and,
 * with a TLS URI, ssl (initialised with MQTTAsync_SSLOptions_initializer
 * and alive until MQTTAsync_connect returns), filled from the login with
 * the broker's certificate always verified, chain and host name: whoever
 * posed as the broker would otherwise be handed every plant's data.
 * OpenSSL's error lines go to on_tls_error(ctx) (Paho would print them to
 * standard error without it); see wwtp_mqtt_tls_error_keep(). */
void wwtp_mqtt_login_apply(const struct wwtp_mqtt_login *l, MQTTAsync_connectOptions *o,
			   MQTTAsync_SSLOptions *ssl,
			   int (*on_tls_error)(const char *str, size_t len, void *ctx), void *ctx);

/* For that callback: one of OpenSSL's error lines, e.g. "<thread id>:error:
 * ...:SSL routines:...:certificate verify failed:...", without the thread
 * id and the line end, into out (size bytes) when out is still empty: the
 * first line says the most, for the failure message that follows. The
 * caller holds the lock that guards out. */
void wwtp_mqtt_tls_error_keep(const char *str, size_t len, char *out, size_t size);

#endif
