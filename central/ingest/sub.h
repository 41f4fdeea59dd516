/* sub.h - the central side's MQTT subscriber over Eclipse Paho's
 * asynchronous client.
 *
 * One connection with a persistent session (clean session off, a fixed
 * client id), so the broker queues QoS 1 messages for us while we are away
 * or restarting; automatic reconnection (1 s doubling to 60 s); and, on
 * every connection, subscriptions to <prefix>/+/telemetry, /status and
 * /alert (a broker that lost our session gets them again).
 *
 * Messages are handed to a callback on Paho's receive thread, one at a time.
 * Note: for QoS 1 Paho sends PUBACK when the message arrives, before the
 * callback runs (MQTTProtocol_handlePublishes); the callback's return only
 * tells Paho whether to call it again. While the callback runs, Paho reads
 * nothing more from the socket, so a slow callback slows the broker down
 * rather than piling messages up in memory. */
#ifndef WWTP_CENTRAL_SUB_H
#define WWTP_CENTRAL_SUB_H

#include <stddef.h>
#include <stdint.h>

#include "../config/config.h"

struct wwtp_sub;

/* Called for every message, on Paho's thread. topic is topic_len bytes
 * (may hold NULs); payload is len bytes, not NUL-terminated. retained is 1
 * for a retained message the broker replays on subscribing. */
typedef void (*wwtp_sub_msg_cb)(const char *topic, size_t topic_len, const void *payload,
				size_t len, int retained, void *ctx);

struct wwtp_sub_stats {
	uint64_t messages; /* delivered to the callback */
	uint64_t connects; /* successful connections, reconnections included */
	int connected;
	int subscribed; /* the subscriptions of the current connection are granted */
};

/* Makes the client (does not connect). NULL on error (logged). */
struct wwtp_sub *wwtp_sub_new(const struct wwtp_mqtt_cfg *cfg, wwtp_sub_msg_cb cb, void *ctx);
/* Starts connecting in the background and keeps at it (TLS: the broker is
 * always verified; the password is read from its file here and wiped).
 * 0, WWTP_ERR_CONFIG (a certificate or secret file unusable: logged) or
 * WWTP_ERR_MQTT. */
int wwtp_sub_connect(struct wwtp_sub *s);
/* Disconnects (no more callbacks once it returns) and frees. Accepts NULL. */
void wwtp_sub_free(struct wwtp_sub *s);
void wwtp_sub_get_stats(struct wwtp_sub *s, struct wwtp_sub_stats *out);
/* Publishes (QoS 1) on the same connection: central's acknowledgements.
 * 0, WWTP_ERR_CONN when not connected (the caller tries again later),
 * WWTP_ERR_MQTT otherwise. Thread-safe. */
int wwtp_sub_publish(struct wwtp_sub *s, const char *topic, const void *payload, size_t len,
		     int retained);

#endif
