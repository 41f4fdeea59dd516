/* outbox.h - the collector's publish path: every message the collector
 * sends goes in here, and from here to the broker.
 *
 * This version keeps messages in memory, each until the broker has
 * acknowledged it: held here while the MQTT client cannot take it (before
 * the first connection, or when max_held messages are already with the
 * client), then handed to the client, and handed again if the client gives
 * it up (a QoS 1 message in flight when a broker restart lost our session),
 * up to WWTP_OUTBOX_TRIES times. Messages leave in the order they were put,
 * except that a retried one follows the newer ones already in flight
 * (readers order by seq, not by arrival). When max_held messages are
 * waiting here, new ones are refused and counted. A message may reach the
 * broker twice: delivery is at least once.
 *
 * A later store-first version writes each message to SQLite before anything
 * else and deletes it on the broker's acknowledgement, behind this same
 * interface.
 *
 * Used by one thread (the collector's main loop); it registers itself as the
 * MQTT client's ack callback. */
#ifndef WWTP_OUTBOX_H
#define WWTP_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "mqtt.h"

/* Times one message is handed to the MQTT client before it is given up. */
#define WWTP_OUTBOX_TRIES 5

struct wwtp_outbox;

struct wwtp_outbox_stats {
	uint64_t put;	   /* messages given to wwtp_outbox_put */
	uint64_t acked;	   /* acknowledged by the broker */
	uint64_t retried;  /* handed to the client again after it gave them up */
	uint64_t dropped;  /* lost: outbox full, tries used up, refused by the client */
	uint64_t returned; /* tagged messages given back to their owner unsent */
	size_t held;	   /* waiting here for the client */
	size_t inflight;   /* with the client, not acknowledged yet */
};

/* m must outlive the outbox. At most max_held messages wait here and at
 * most max_held are with the client. NULL when out of memory. */
struct wwtp_outbox *wwtp_outbox_new(struct wwtp_mqtt *m, size_t max_held);
/* Unregisters from the MQTT client (so free the outbox first), then frees;
 * untagged messages not yet acknowledged are lost (and logged); tagged ones
 * are their owner's. Accepts NULL. */
void wwtp_outbox_free(struct wwtp_outbox *o);

/* Takes a copy of the message. 0 when it was queued (sent or held);
 * WWTP_ERR_FULL when nothing could take it (counted, logged rate-limited);
 * WWTP_ERR_NOMEM or WWTP_ERR_INVAL. */
int wwtp_outbox_put(struct wwtp_outbox *o, const char *topic, const void *payload, size_t len,
		    int qos, int retained);
/* Tagged messages belong to a caller that keeps them itself (the durable
 * store, forward.h): the outbox only carries them to the broker. Their
 * outcome is reported once to the done callback, on the thread that calls
 * pump or flush: acked = 1 when the broker acknowledged it, 0 when the
 * outbox gave it back unsent (the client gave it up: the owner sends it
 * again later, so it is neither retried nor counted as dropped here). A
 * tagged message refused by wwtp_outbox_put_tagged (an error return) is
 * not reported. */
typedef void (*wwtp_outbox_done_cb)(uint64_t tag, int acked, void *ctx);
void wwtp_outbox_set_done_cb(struct wwtp_outbox *o, wwtp_outbox_done_cb cb, void *ctx);
int wwtp_outbox_put_tagged(struct wwtp_outbox *o, const char *topic, const void *payload,
			   size_t len, int qos, int retained, uint64_t tag);

/* Takes note of the broker's acknowledgements and hands held messages,
 * oldest first, to the MQTT client while it takes them. Cheap: call it on
 * every loop turn. */
void wwtp_outbox_pump(struct wwtp_outbox *o);

/* Messages not yet acknowledged by the broker: held here or in flight. */
size_t wwtp_outbox_pending(struct wwtp_outbox *o);
/* Of those, the tagged ones. */
size_t wwtp_outbox_pending_tagged(struct wwtp_outbox *o);
/* Pumps and waits up to timeout_ms until every message put so far has been
 * acknowledged or dropped. 0 when every one was acknowledged,
 * WWTP_ERR_TIMEOUT (some still pending) or WWTP_ERR_MQTT (none pending, but
 * some were dropped). */
int wwtp_outbox_flush(struct wwtp_outbox *o, int timeout_ms);

void wwtp_outbox_get_stats(struct wwtp_outbox *o, struct wwtp_outbox_stats *out);

#endif
