/* alerts.h - the alerts the central side knows: each raise and clear the
 * stations published (docs/mqtt.md, "Alert"), paired by id.
 *
 * Fed by the MQTT path and, at start, by what InfluxDB holds (the same
 * events replayed), in any order and any number of times: a raise fills an
 * alert's raise fields, a clear its end, so the result does not depend on
 * the order or on repeats. One alert of a (station, device, param, kind,
 * window) is active at a time at the edge (compliance/evaluator.h), so an
 * open alert whose subject raises again under another id (the collector
 * restarted and lost its state) is closed as "superseded" at the new raise.
 *
 * Bounded: at most max_per_station alerts per station; beyond that the
 * oldest closed ones go. Pure (no clock, no I/O); not thread-safe. */
#ifndef WWTP_CENTRAL_ALERTS_H
#define WWTP_CENTRAL_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "../../compliance/evaluator.h"
#include "../../model/station.h"

#define WWTP_ALERT_KIND_MAX 24

/* One raise or clear, as decoded (decode.h) or read back from InfluxDB. */
struct wwtp_alert_in {
	const char *id, *station, *kind;
	const char *device, *param, *unit; /* NULL when absent */
	const char *suspect;		   /* suspect_data: the check failed; NULL when absent */
	const char *setting, *from, *to; /* config_change (ingest/confchange.h); NULL when absent */
	int raised;			 /* 1 raise, 0 clear */
	int window_s;			 /* 0 when absent */
	double value, limit, ratio;	 /* NaN when absent */
	int64_t start_ms;
	int64_t since_ms; /* 0 when absent */
	int64_t end_ms;	  /* clears; 0 when absent (then ts_ms) */
	int64_t ts_ms;	  /* the edge's time; 0 when absent */
};

struct wwtp_alert_rec {
	char id[WWTP_ALERT_ID_MAX];
	char station[WWTP_ID_MAX];
	char kind[WWTP_ALERT_KIND_MAX];
	char device[WWTP_ID_MAX]; /* "" when absent */
	char param[WWTP_ID_MAX];
	char unit[WWTP_UNIT_MAX];
	char suspect[16]; /* suspect_data: "range", "step", "flatline"; "" when not said */
	/* config_change: the setting and its old and new values as the
	 * station file writes them; has_from/has_to 0 when it was not there
	 * before, or is not there now. */
	char setting[40];
	char from[96], to[96];
	int has_from, has_to;
	int window_s;
	int has_raise;		     /* the raise was seen (a clear alone makes a record too) */
	double value, limit, ratio;  /* of the raise; NaN when absent */
	double end_value, end_ratio; /* of the clear */
	int64_t start_ms, since_ms;
	int64_t end_ms;	       /* 0 while open */
	const char *closed_by; /* "cleared", "superseded"; NULL while open */
};

struct wwtp_alerts;

struct wwtp_alerts *wwtp_alerts_new(size_t max_per_station); /* NULL on NOMEM */
void wwtp_alerts_free(struct wwtp_alerts *a);		     /* accepts NULL */

/* Adds one raise or clear. 0, WWTP_ERR_INVAL (no id, station, kind) or
 * WWTP_ERR_NOMEM. */
int wwtp_alerts_add(struct wwtp_alerts *a, const struct wwtp_alert_in *e);

struct wwtp_alert_filter {
	const char *station; /* NULL: any */
	const char *kind;    /* NULL: any */
	int state;	     /* 0 any, 1 open, 2 closed */
	int64_t from_ms;     /* active at some time in [from, to): 0 / INT64_MAX for none */
	int64_t to_ms;
	size_t limit; /* most alerts returned, newest (by start) first */
	/* Used by the monitor's views of the inspector's alerts (episodes.h),
	 * not by wwtp_alerts_find: */
	int priority;	/* enum wwtp_alert_priority; 0 any */
	int order;	/* WWTP_ALERTS_NEWEST, WWTP_ALERTS_PAGE */
	int64_t now_ms; /* 0: the wall clock */
};
/* The plant page's order: open exceedances (and ranges) first, the worst
 * (highest ratio) first; then the other open alerts by priority, newest
 * first within one; then the closed ones, newest first. */
#define WWTP_ALERTS_NEWEST 0
#define WWTP_ALERTS_PAGE 1
#define WWTP_ALERTS_ANY 0
#define WWTP_ALERTS_OPEN 1
#define WWTP_ALERTS_CLOSED 2

/* The alerts matching f, newest first, as pointers into the store (valid
 * until the next add) in out[0..max). Returns how many match in all (may be
 * more than max, or than f->limit). */
size_t wwtp_alerts_find(const struct wwtp_alerts *a, const struct wwtp_alert_filter *f,
			const struct wwtp_alert_rec **out, size_t max);
size_t wwtp_alerts_count(const struct wwtp_alerts *a);

#endif
