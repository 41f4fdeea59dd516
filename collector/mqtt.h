/* mqtt.h - a small publisher over Eclipse Paho's asynchronous client.
 *
 * One connection to the broker of a station's mqtt settings, with a
 * persistent session (clean session off, so QoS 1 messages in flight are
 * sent again after a reconnect), automatic reconnection (1 s doubling up to
 * 60 s) and an optional last will (retained, QoS 1). Once connected, messages
 * published while the link is down are buffered by the library (up to
 * WWTP_MQTT_MAX_BUFFERED) and sent on reconnect. Before the first successful
 * connection the library refuses messages (WWTP_ERR_CONN): holding those is
 * the outbox's job (outbox.h).
 *
 * Every accepted message gets a token of our own (1, 2, 3...; never reused,
 * unlike the library's 16-bit ones); the broker's acknowledgement of it is
 * counted, waited for (wwtp_mqtt_wait_all_acked) and optionally reported to
 * an ack callback. Paho's threads call back into this module: every function
 * here is thread-safe. */
#ifndef WWTP_MQTT_H
#define WWTP_MQTT_H

#include <stddef.h>
#include <stdint.h>

#include "../model/station.h"

/* Messages the library may hold (in flight plus buffered while down). */
#define WWTP_MQTT_MAX_BUFFERED 10000

struct wwtp_mqtt;

struct wwtp_mqtt_stats {
	uint64_t published; /* accepted by wwtp_mqtt_publish */
	uint64_t acked;	    /* acknowledged by the broker (QoS 0: written) */
	uint64_t failed;    /* given up by the library (never acknowledged) */
	uint64_t refused;   /* not accepted: library buffer full or other refusal */
	uint64_t connects;  /* successful connections, reconnections included */
};

/* Called from a Paho thread when the message with `token` is acknowledged
 * (ok = 1) or given up (ok = 0: e.g. in flight when the broker lost our
 * session; the library will not send it again). Called with the module's
 * lock held: it must be quick and thread-safe and must not call wwtp_mqtt_*
 * functions. */
typedef void (*wwtp_mqtt_ack_cb)(uint64_t token, int ok, void *ctx);

/* Makes the client for cfg (uri, client_id, keepalive_s, auth). will_topic and
 * will_payload (both or neither) are copied; the will is retained, QoS 1.
 * Does not connect. NULL on error (logged). */
struct wwtp_mqtt *wwtp_mqtt_new(const struct wwtp_mqtt_cfg *cfg, const char *will_topic,
				const char *will_payload);
/* Disconnects at once if still connected (so the will is not sent for a
 * clean stop: call wwtp_mqtt_disconnect first to let messages drain), then
 * frees. Accepts NULL. */
void wwtp_mqtt_free(struct wwtp_mqtt *m);

/* Sets (or, with NULL, removes) the ack callback. Once it returns, the old
 * callback is not running and will not be called again. */
void wwtp_mqtt_set_ack_cb(struct wwtp_mqtt *m, wwtp_mqtt_ack_cb cb, void *ctx);

/* A message on the subscribed topic: called on a Paho thread with the
 * payload (len bytes, not NUL-terminated), which is valid during the call.
 * Must be thread-safe and must not call wwtp_mqtt_* functions. */
typedef void (*wwtp_mqtt_msg_cb)(const void *payload, size_t len, void *ctx);

/* Subscribes (QoS 1) to `topic` on every connection, from the next
 * connection on: before wwtp_mqtt_connect. Messages on it go to cb. One
 * topic per client (the collector reads only central's acks). 0 or
 * WWTP_ERR_NOMEM. */
int wwtp_mqtt_subscribe(struct wwtp_mqtt *m, const char *topic, wwtp_mqtt_msg_cb cb, void *ctx);

/* Starts connecting in the background and keeps reconnecting (1 s doubling
 * to 60 s) until wwtp_mqtt_disconnect. Failures are logged, rate-limited.
 * With a TLS uri the broker's certificate is always verified (chain and
 * host name; util/mqtt_auth.h); the password is read from password_file
 * here, handed to the library and wiped. Returns 0, WWTP_ERR_CONFIG or
 * WWTP_ERR_ERRNO (a certificate or secret file unusable: logged), or
 * WWTP_ERR_MQTT if the library refused to start. */
int wwtp_mqtt_connect(struct wwtp_mqtt *m);
/* Waits up to timeout_ms for in-flight messages, sends DISCONNECT (so the
 * broker drops the will) and stops reconnecting. 0, or WWTP_ERR_CONN if the
 * client was not connected, WWTP_ERR_TIMEOUT if the library did not finish. */
int wwtp_mqtt_disconnect(struct wwtp_mqtt *m, int timeout_ms);

/* 0 once connected (waiting up to timeout_ms), else WWTP_ERR_TIMEOUT. */
int wwtp_mqtt_wait_connected(struct wwtp_mqtt *m, int timeout_ms);
int wwtp_mqtt_is_connected(struct wwtp_mqtt *m);

/* Queues a message (payload of len bytes, copied). qos 0..2. On success
 * returns 0 and, if token_out is not NULL, the message's token. Errors:
 * WWTP_ERR_CONN (never connected yet: the library keeps nothing then),
 * WWTP_ERR_FULL (the library already holds WWTP_MQTT_MAX_BUFFERED; counted
 * and logged, rate-limited), WWTP_ERR_INVAL, WWTP_ERR_NOMEM, WWTP_ERR_MQTT. */
int wwtp_mqtt_publish(struct wwtp_mqtt *m, const char *topic, const void *payload, size_t len,
		      int qos, int retained, uint64_t *token_out);

/* Messages accepted but neither acknowledged nor given up yet. */
size_t wwtp_mqtt_pending(struct wwtp_mqtt *m);
/* Waits up to timeout_ms until nothing is pending. 0 when every message
 * published so far was acknowledged; WWTP_ERR_TIMEOUT if some are still
 * pending; WWTP_ERR_MQTT if none is pending but some were given up. */
int wwtp_mqtt_wait_all_acked(struct wwtp_mqtt *m, int timeout_ms);

void wwtp_mqtt_get_stats(struct wwtp_mqtt *m, struct wwtp_mqtt_stats *out);
/* The last connection error in words ("" if none), copied into out. */
void wwtp_mqtt_last_error(struct wwtp_mqtt *m, char *out, size_t n);
/* The broker URI with any "user:password@" removed, for messages. */
const char *wwtp_mqtt_uri(const struct wwtp_mqtt *m);

#endif
