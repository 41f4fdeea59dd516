/* ackpub.h - central's end-to-end acknowledgements (docs/mqtt.md, "Ack";
 * docs/reliability.md).
 *
 * Per station, two numbers: the highest telemetry seq and the highest alert
 * number up to which every message of the station is stored here, in the
 * spool and fsynced (or refused for good: a rejected message is final, a
 * replay would not change it). They are published retained, QoS 1, on
 * <prefix>/<station>/ack whenever they grow; the collector deletes its
 * stored messages up to them, and sends again what stays unconfirmed.
 *
 * Contiguity: a number counts once every number below it is stored or
 * covered by a message's "floor" (the lowest number its sender still
 * holds: everything below it was confirmed before or is lost for good at
 * the station). So a poll the collector never sent (lost before its store,
 * dropped from a full store, in a store set aside) does not hold the
 * acknowledgement back for longer than the station's next message.
 *
 * Nothing is kept on disk: after a restart the numbers start from the next
 * message's floor, and the collector sends again what it holds unconfirmed.
 *
 * wwtp_ackpub_note() is called on the MQTT thread, wwtp_ackpub_pump() on
 * the main loop; thread-safe. */
#ifndef WWTP_CENTRAL_ACKPUB_H
#define WWTP_CENTRAL_ACKPUB_H

#include <stddef.h>
#include <stdint.h>

struct wwtp_ackpub;

/* Publishes one retained QoS 1 message; 0 once handed to the client. */
typedef int (*wwtp_ackpub_publish_fn)(void *ctx, const char *topic, const char *payload,
				      size_t len);

/* prefix: the topic prefix. NULL when out of memory. */
struct wwtp_ackpub *wwtp_ackpub_new(const char *prefix, wwtp_ackpub_publish_fn pub, void *ctx);
void wwtp_ackpub_free(struct wwtp_ackpub *a); /* accepts NULL */

/* A message of `station` (telemetry: alert 0; alert: 1) numbered seq (0:
 * none, only its floor counts), stored once the spool's synced point count
 * reaches `ticket` (0: at once, e.g. refused for good). */
void wwtp_ackpub_note(struct wwtp_ackpub *a, const char *station, int alert, int64_t seq,
		      int64_t floor, uint64_t ticket);
/* A message central refused (decode.h): when its topic names a station of
 * the prefix and its payload holds a number, that number is final. */
void wwtp_ackpub_note_refused(struct wwtp_ackpub *a, const char *topic, size_t topic_len,
			      const void *payload, size_t len);

/* Takes the notes whose ticket is at most `synced` (the writer's
 * points_synced), and publishes every acknowledgement that grew; all of
 * them again when `connects` (the subscriber's) changed, for a broker that
 * lost its retained messages. A publish that fails is tried at the next
 * pump. */
void wwtp_ackpub_pump(struct wwtp_ackpub *a, uint64_t synced, uint64_t connects, int64_t now_ms);

struct wwtp_ackpub_stats {
	uint64_t published; /* acknowledgements handed to the client */
	uint64_t stations;  /* stations acknowledged so far */
};
void wwtp_ackpub_get_stats(struct wwtp_ackpub *a, struct wwtp_ackpub_stats *out);

#endif
