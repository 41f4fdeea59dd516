/* mqtt_paho.h - the one way every program sets up an Eclipse Paho C client
 * (the collector's publisher, the central subscriber, the simulator's
 * history replay): how it is made, its session's connect options, and the
 * mqtt group's login (mqtt_auth.h) handed to it at connect.
 * Apart from mqtt_auth.h so that the station model, which carries the keys,
 * does not pull Paho's headers into every program (the fuzzers). */
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

/* "tcp://user:secret@host:1883" -> "tcp://host:1883" into out: a URI may
 * one day carry credentials, and logs end up in bug reports. */
void wwtp_mqtt_redact_uri(const char *uri, char *out, size_t n);

/* What a CONNACK refusal code (1..5, which Paho reports without a message)
 * means, or NULL for another code. */
const char *wwtp_mqtt_connack_text(int code);

/* A client. Every one speaks MQTT 3.1.1 and keeps its session in memory:
 * it survives reconnects while the process lives; surviving restarts is
 * the collector's durable store's job, and Paho's file store would wear a
 * Pi's SD card on every message. */
struct wwtp_paho_client {
	const char *uri, *client_id;
	const char *uri_safe; /* the URI for logs */
	const char *mod;      /* log module */
	int max_buffered;     /* messages Paho may hold unsent; 0: its default (100) */
	/* 1: messages are taken while not connected and sent once connected
	 * (up to max_buffered: the newest is refused when full, so the loss
	 * is the caller's to see); 0: refused while not connected. */
	int send_offline;
	void *ctx; /* for the callbacks */
	MQTTAsync_connectionLost *on_lost;
	MQTTAsync_messageArrived *on_message;
	MQTTAsync_connected *on_connected; /* NULL: none */
};

/* Makes the client and sets its callbacks. 0 and *out, or WWTP_ERR_MQTT
 * (logged; *out NULL). */
int wwtp_paho_create(const struct wwtp_paho_client *c, MQTTAsync *out);

/* A session's connect options. */
struct wwtp_paho_session {
	int keepalive_s;
	int clean;	  /* 1: a clean session; 0: the broker keeps it while we are away */
	int max_inflight; /* 0: Paho's default */
	int reconnect;	  /* 1: Paho reconnects by itself, 1 s to 60 s apart */
	MQTTAsync_onSuccess *on_success; /* may be NULL */
	MQTTAsync_onFailure *on_failure;
	void *ctx;
};

/* Fills o (initialised with MQTTAsync_connectOptions_initializer) for s,
 * with a 10 s connect timeout. */
void wwtp_paho_session_options(const struct wwtp_paho_session *s, MQTTAsync_connectOptions *o);

/* Starts connecting with options o and, when auth is not NULL, the mqtt
 * group's login (read now, TLS set up with on_tls_error(ctx) as above, the
 * password wiped once Paho has its own copy). 0; the login's error
 * (wwtp_mqtt_login_load, logged); or WWTP_ERR_MQTT when Paho refuses
 * (logged under mod, naming uri_safe). */
int wwtp_paho_connect(MQTTAsync client, MQTTAsync_connectOptions *o,
		      const struct wwtp_mqtt_auth *auth, const char *uri, const char *uri_safe,
		      const char *mod, int (*on_tls_error)(const char *str, size_t len, void *ctx),
		      void *ctx);

#endif
