/* forward.h - store and forward: every telemetry and alert message goes
 * into the durable store (store.h) first, and from there to the broker
 * through the outbox (outbox.h, as tagged messages); central's
 * confirmation (confirm.h: the highest seq and alert number stored
 * centrally) deletes it, or the broker's acknowledgement when no
 * confirmations are waited for. What the broker took but central does not
 * confirm within confirm_timeout is sent again. docs/reliability.md says
 * what that guarantees.
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

#include "../model/station.h"
#include "../util/buf.h"
#include "confirm.h"
#include "mqtt.h"
#include "outbox.h"
#include "seqmark.h"
#include "store.h"

struct wwtp_forward;

struct wwtp_forward_cfg {
	/* A message waits at most publish_ms for its commit (written to the
	 * WAL, not synced: then published), and a commit at most commit_ms
	 * from its first message for the WAL's sync: the power-cut window.
	 * publish_ms <= 0 or above commit_ms: commit_ms for both. */
	int commit_ms;
	int publish_ms;
	int replay_rate;      /* backlog messages per second */
	size_t window;	      /* stored messages with the broker at once */
	int64_t age_check_ms; /* how often the age bound is applied (0: 60 s) */
	/* Central's confirmations (confirm.h); NULL: none are waited for, the
	 * broker's PUBACK deletes (store.confirm = false, and tests). */
	struct wwtp_confirm *acks;
	int64_t confirm_timeout_ms; /* then the unconfirmed go again (0: 60 s) */
	/* The seq mark (seqmark.h), NULL for none; its numbers as read at
	 * open: numbering goes on above them. */
	struct wwtp_seqmark *mark;
	uint64_t mark_seq, mark_aseq;
	int mark_exact; /* they are the last used, not numbers reserved ahead */
	/* Gives a stored message (m: telemetry, or an alert) the number seq and
	 * the floor, signed again when messages are signed, into out. Used when
	 * central's acknowledgement shows that this store's first numbers were
	 * other polls' (a new card): those messages go again under numbers
	 * after central's, which it will confirm. NULL: they are deleted once
	 * the broker has them, unconfirmed. 0 or a negative code (that message
	 * is then handled as with NULL). */
	int (*renumber)(void *ctx, const struct wwtp_store_msg *m, uint64_t seq, uint64_t floor,
			struct wwtp_buf *out);
	void *renumber_ctx;
};

struct wwtp_forward_stats {
	uint64_t stored;		  /* messages put since start */
	uint64_t acked;			  /* acknowledged by the broker */
	uint64_t confirmed;		  /* confirmed by central, deleted */
	uint64_t resent;		  /* sent again for want of a confirmation */
	uint64_t dropped_damaged;	  /* lost with a damaged store, or altered rows */
	uint64_t damaged_in_flight;	  /* sent, not acknowledged, when its store was set aside */
	uint64_t confirmed_seq;		  /* central's last confirmation */
	int confirm;			  /* confirmations are waited for */
	size_t pending;			  /* the batch in memory, not committed */
	uint64_t sent_live, sent_backlog; /* handed to the outbox, by lane */
	uint64_t given_back;		  /* given back by the outbox, to be sent again */
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

/* Stores a message (in the current batch, kept in memory until it is
 * committed: a commit that fails is tried again, spaced out, with the
 * batch put again). flags: WWTP_STORE_*; an alert's seq is its alert
 * number. 0, or WWTP_ERR_FULL / WWTP_ERR_NOMEM when the batch cannot hold
 * it (the message is lost: counted in stats.failed, logged once while the
 * fault lasts). */
int wwtp_forward_put(struct wwtp_forward *f, const char *topic, const void *payload, size_t len,
		     int qos, int64_t ts_ms, uint64_t seq, int flags);
/* The last seq number used, kept in the store with the next commit. */
void wwtp_forward_set_seq(struct wwtp_forward *f, uint64_t seq);
/* The seq the store kept (0 for a new store), or the mark's if higher. */
uint64_t wwtp_forward_last_seq(struct wwtp_forward *f);
/* The same for alert numbers. */
void wwtp_forward_set_alert_seq(struct wwtp_forward *f, uint64_t aseq);
uint64_t wwtp_forward_last_alert_seq(struct wwtp_forward *f);
/* The "floor" of a message of that kind (alerts 0: telemetry) about to be
 * put with number seq: the lowest number the station still holds to send,
 * seq itself if none is lower. Every number below it is either confirmed by
 * central or lost for good (counted here), so central need not wait for it
 * (docs/mqtt.md, "floor"). 0 when the store cannot say. */
uint64_t wwtp_forward_floor(struct wwtp_forward *f, int alerts, uint64_t seq);
/* 1 while stored messages wait for central's confirmation (and central has
 * confirmed something since start: one that never does is not waited for). */
int wwtp_forward_waiting(struct wwtp_forward *f);

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
