/* forward.h - store and forward: every telemetry and alert message goes
 * into the durable store (store.h) first, and from there to the broker
 * through the outbox (outbox.h, as tagged messages); the broker's
 * acknowledgement deletes it. docs/reliability.md says what that
 * guarantees.
 *
 * Two lanes share the connection:
 *  - live: what was stored while the broker is connected is sent as soon
 *    as its batch is committed;
 *  - backlog: what was stored before the current connection (an outage,
 *    a restart) is sent oldest first at replay_rate messages a second, so
 *    that a long backlog neither floods the uplink nor holds up live
 *    readings.
 * Only committed messages are sent: a message the broker has cannot be
 * lost by a power cut here. At most `window` stored messages are with the
 * broker at a time.
 *
 * Used by the collector's main thread only. */
#ifndef WWTP_FORWARD_H
#define WWTP_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "../station/station.h"
#include "mqtt.h"
#include "outbox.h"
#include "store.h"

struct wwtp_forward;

struct wwtp_forward_cfg {
	int commit_ms;	 /* batching window: a message waits at most this long for its commit */
	int replay_rate; /* backlog messages per second */
	size_t window;	 /* stored messages with the broker at once */
	int64_t age_check_ms; /* how often the age bound is applied (0: 60 s) */
};

struct wwtp_forward_stats {
	uint64_t stored;		    /* messages put since start */
	uint64_t acked;			    /* acknowledged, deleted */
	uint64_t sent_live, sent_backlog;   /* handed to the outbox, by lane */
	uint64_t given_back;		    /* given back by the outbox, to be sent again */
	uint64_t dropped_full, dropped_age; /* since start */
	uint64_t failed;		    /* could not be stored at all (logged) */
	size_t inflight;		    /* with the broker, not acknowledged yet */
	struct wwtp_store_stats store;	    /* the store's own */
};

/* s, o and m must outlive the forwarder. Registers as o's done callback.
 * Everything already in the store is backlog. NULL when out of memory. */
struct wwtp_forward *wwtp_forward_new(struct wwtp_store *s, struct wwtp_outbox *o,
				      struct wwtp_mqtt *m, const struct wwtp_forward_cfg *cfg);
/* Commits what is pending and unregisters from the outbox. Accepts NULL. */
void wwtp_forward_free(struct wwtp_forward *f);

/* Stores a message (in the current batch). 0, or an error of the store
 * (the message is lost: logged, counted in stats.failed). */
int wwtp_forward_put(struct wwtp_forward *f, const char *topic, const void *payload, size_t len,
		     int qos, int64_t ts_ms, uint64_t seq, int flags);
/* The last seq number used, kept in the store with the next commit. */
void wwtp_forward_set_seq(struct wwtp_forward *f, uint64_t seq);
/* The seq the store kept (0 for a new store). */
uint64_t wwtp_forward_last_seq(struct wwtp_forward *f);

/* On every loop turn: commits the batch when its window is over (or when
 * `now` is set), applies the store's bounds, and hands committed messages
 * to the outbox (live lane first, then the backlog at its rate) while the
 * broker is connected. clock_ok: the wall clock can be trusted for the age
 * bound. */
void wwtp_forward_pump(struct wwtp_forward *f, int clock_ok, int now);

void wwtp_forward_get_stats(struct wwtp_forward *f, struct wwtp_forward_stats *out);

/* The store file of station st: override (--store) if not NULL, else the
 * file's store.path, else WWTP_STORE_DIR "/<station id>.db". 0, or
 * WWTP_ERR_RANGE when it does not fit in n. */
#define WWTP_STORE_DIR "/var/lib/wwtp"
int wwtp_forward_store_path(const struct wwtp_station *st, const char *override, char *out,
			    size_t n);

/* The default size bound: `days` days of this station's messages (one per
 * poll of each device, at the size a typical poll encodes to, plus the
 * store's own overhead), at least 16 MB. *per_day and *msg_bytes (may be
 * NULL) get the figures it comes from. */
uint64_t wwtp_forward_default_bytes(const struct wwtp_station *st, int days, uint64_t *per_day,
				    size_t *msg_bytes);

#endif
