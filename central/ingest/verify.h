/* verify.h - central's check of the signed chain (util/sign.h;
 * docs/security.md): for a station whose file registers a public key,
 * whether a message is the gateway's, unaltered, and where its chain of
 * telemetry and alert messages has holes.
 *
 * Pure: no clock of its own, no I/O, no logging (evidence.c logs, counts
 * and raises the alerts); not thread-safe (the MQTT thread only). State
 * lives in memory; at start evidence.c gives back each station's highest
 * stored link (wwtp_verify_resume) and, when its bytes are kept, its hash
 * (wwtp_verify_resume_hash). */
#ifndef WWTP_CENTRAL_VERIFY_H
#define WWTP_CENTRAL_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "../../util/sign.h"
#include "registry.h"

/* Open gaps kept per station; beyond that the oldest is reported at once. */
#define WWTP_VERIFY_MAX_GAPS 16

enum wwtp_verify_verdict {
	WWTP_VERIFY_NOKEY = 0,	 /* no key registered: stored as today, unverified */
	WWTP_VERIFY_OK = 1,	 /* signed by the station's key over these bytes */
	WWTP_VERIFY_MISSING = 2, /* key registered, no signature: not the station's data */
	WWTP_VERIFY_BAD = 3,	 /* key registered, signature does not match: ditto */
};
const char *wwtp_verify_verdict_name(int v); /* "unsigned", "verified", "missing", "bad" */

/* A hole in the chain: links from..to never arrived. seq_from..seq_to is
 * the telemetry seq range they held, when the telemetry next to the hole
 * on both sides is known and telemetry is missing (else 0..0: the links
 * are all that is known). */
struct wwtp_chain_gap {
	uint64_t from, to;
	int64_t seq_from, seq_to;
	/* The seq of the nearest telemetry before and after the hole, 0 while
	 * unknown (no other hole between): seq_from..seq_to come from them. */
	int64_t seq_lo, seq_hi;
	int64_t final_floor; /* 0 until known: reported once a floor reaches it */
	int64_t seen_ms;     /* when it was found */
};

/* What one message told: the verdict, a link that does not follow from
 * the previous one (broken > 0: that link), a restart of the chain, and
 * the gaps now final (nothing below them can still come: the station's
 * floor passed them, or too many were open). */
struct wwtp_verify_out {
	int verdict;
	uint64_t link; /* 0: not chained (status, health, or unsigned) */
	uint64_t broken;
	int restarted;
	size_t ngaps;
	struct wwtp_chain_gap gaps[WWTP_VERIFY_MAX_GAPS + 1];
};

struct wwtp_verify;

/* reg must outlive it. NULL on NOMEM. */
struct wwtp_verify *wwtp_verify_new(const struct wwtp_registry *reg);
void wwtp_verify_free(struct wwtp_verify *v); /* accepts NULL */

/* Checks payload (len bytes, exactly as received) of station, a registered
 * station's id. chained: the message is telemetry or alert (they form the
 * chain); seq and floor as decoded (docs/mqtt.md), telemetry = 1 for a
 * telemetry message. 0 and *out filled, or WWTP_ERR_NOMEM. */
int wwtp_verify_message(struct wwtp_verify *v, const char *station, const char *payload, size_t len,
			int chained, int telemetry, int64_t seq, int64_t floor, int64_t now_ms,
			struct wwtp_verify_out *out);

/* Central restarted: station's chain was stored up to link `last` (read
 * back from InfluxDB), so a later link above last + 1 opens a gap. The
 * hash of that link is not known: the next link's prev is not checked.
 * The highest of several calls counts. Ignored for an unknown station
 * or once links have been seen. */
void wwtp_verify_resume(struct wwtp_verify *v, const char *station, uint64_t last);

/* The hash of link `link` of station, from its bytes kept in InfluxDB
 * (sigstore.h) and checked against the station's key by the caller: when
 * link is the position wwtp_verify_resume gave and no link has been seen
 * yet, the next link's prev is checked against it after all. Ignored
 * otherwise. */
void wwtp_verify_resume_hash(struct wwtp_verify *v, const char *station, uint64_t link,
			     const unsigned char hash[WWTP_SIGN_HASH_LEN]);

/* How many stations have a key, and the ids of those without (for the
 * warning at start): calls fn for each. */
size_t wwtp_verify_unsigned(const struct wwtp_verify *v, void (*fn)(const char *station, void *ctx),
			    void *ctx);

#endif
