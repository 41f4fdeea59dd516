/* span.h - `wwtp-central verify`'s check of a stored span of one station
 * (docs/security.md, "Re-checking a stored span"): the `signed` points'
 * bytes against the station's registered key, each link's `prev` against
 * the hash of the link before, and the stored reading points against the
 * readings of the verified messages.
 *
 * Pure: no clock of its own, no I/O; what it finds goes to a callback as
 * one line of text each, in the order links, chain, points. */
#ifndef WWTP_CENTRAL_SPAN_H
#define WWTP_CENTRAL_SPAN_H

#include <stddef.h>
#include <stdint.h>

#include "registry.h"

/* One stored `signed` point, its bytes unpacked (sigstore.h). */
struct wwtp_span_signed {
	int64_t time_ms;
	int64_t chain; /* its field */
	int alert;     /* stored under an alert's id, not a device */
	int config;    /* a configuration message, stored under its fingerprint */
	const char *bytes;
	size_t len;
	int unreadable; /* the field was not base64 of zlib data */
};

/* One stored `reading` point. */
struct wwtp_span_point {
	int64_t time_ms;
	const char *device, *param, *status, *unit; /* NULL when absent */
	int has_value;
	int suspect; /* the value is under suspect_value */
	double value;
};

struct wwtp_span_in {
	const struct wwtp_registry *reg; /* the station files, as central loads them */
	const char *station;		 /* with a public key */
	const char *prefix;		 /* mqtt.topic_prefix */
	int64_t now_ms;			 /* for the decoder's "too far ahead" */
	const struct wwtp_span_signed *links;
	size_t nlinks;
	const struct wwtp_span_point *points;
	size_t npoints;
	/* The stored link just before the span, when there is one (NULL
	 * else): the first link's prev is checked against its hash. */
	const struct wwtp_span_signed *before;
};

struct wwtp_span_counts {
	size_t links;	      /* `signed` points read */
	size_t good, bad;     /* signatures (bad: unreadable, missing, not matching) */
	size_t misplaced;     /* good, but stored under another link or not decodable */
	size_t first, last;   /* lowest and highest good link (0: none) */
	size_t gaps, missing; /* holes, and links in them */
	size_t broken;	      /* links whose prev is not the hash of the link before */
	int before_checked;   /* the first link's prev was checked against `before` */
	size_t points;	      /* reading points read */
	size_t accounted;     /* equal to a reading of a verified message */
	size_t unaccounted;   /* no verified message has them (inserted) */
	size_t altered;	      /* a verified message has them, with other values */
	size_t deleted;	      /* readings of verified messages not stored */
};

/* Each finding as one line (no newline). */
typedef void (*wwtp_span_line_fn)(void *ctx, const char *line);

/* Checks in's span into *c, calling fn for each finding. 0, or
 * WWTP_ERR_NOMEM / WWTP_ERR_NOTFOUND (the station is not registered or
 * has no key). */
int wwtp_span_check(const struct wwtp_span_in *in, struct wwtp_span_counts *c, wwtp_span_line_fn fn,
		    void *ctx);

/* 1 when everything checked: no bad, misplaced, gap, broken link, and
 * every point accounted for. */
int wwtp_span_ok(const struct wwtp_span_counts *c);

#endif
