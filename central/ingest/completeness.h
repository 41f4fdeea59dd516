/* completeness.h - how many of a station's polls central holds, per day
 * (issue 20 item 2, docs/central.md "Completeness").
 *
 * Computed when asked, from the stored readings themselves: a reading's time
 * is its poll's time, so a message replayed after an outage fills its place
 * whenever it comes, and nothing is lost when central restarts. A poll is
 * expected every interval of its device; one not stored `lost_after` after
 * its time is lost (so the last `lost_after` of the day are not judged yet);
 * one stored after that is late (ingest writes a `late` point for it).
 *
 * wwtp_compl_count() is pure; wwtp_compl_day() asks InfluxDB. */
#ifndef WWTP_CENTRAL_COMPLETENESS_H
#define WWTP_CENTRAL_COMPLETENESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../config/config.h"
#include "influx.h"
#include "registry.h"

/* A run of consecutive missing polls of one device: [from_ms, to_ms] are the
 * first and the last missing poll's expected times; n how many. */
struct wwtp_compl_gap {
	int64_t from_ms, to_ms;
	int64_t n;
	int interval_ms;
	/* Nothing stored between the window's start and this gap / between this
	 * gap and the window's (judged) end: a gap ending one day goes on into
	 * the next day's gap only when both hold, whatever the device's phase. */
	bool from_start, to_end;
	char device[WWTP_ID_MAX]; /* set by wwtp_compl_day; "" from wwtp_compl_count */
};

struct wwtp_compl {
	int64_t expected, received, lost, late;
	struct wwtp_compl_gap *gaps; /* malloc'd; wwtp_compl_clear() */
	size_t ngaps;
};

/* Counts one device's polls in [from_ms, to_ms) of which `judged_to_ms` (<=
 * to_ms) is where the judged part ends: expected and lost count only up to
 * it. t[] are the stored poll times, ascending (duplicates ignored).
 * A poll is where a stored one is within half an interval of its expected
 * place; a hole longer than 1.5 intervals holds round(hole/interval) - 1
 * missing polls. Adds to *c (gaps appended). 0 or WWTP_ERR_NOMEM /
 * WWTP_ERR_INVAL (interval <= 0). */
int wwtp_compl_count(int64_t from_ms, int64_t to_ms, int64_t judged_to_ms, int interval_ms,
		     const int64_t *t, size_t n, struct wwtp_compl *c);

/* When the station's record starts: the time of the first reading stored
 * for it before before_ms, or INT64_MAX when there is none. Nothing is
 * expected of a station before it: a cluster connected on the 15th has not
 * lost the polls of the 1st to the 14th (its gateway did not exist).
 * 0, WWTP_ERR_CONN (why says) or WWTP_ERR_NOMEM. */
int wwtp_compl_first(struct wwtp_influx **ix, const struct wwtp_central_influx *cfg,
		     const struct wwtp_reg_station *st, int64_t before_ms, int64_t *first_ms,
		     char *why, size_t n);

/* The station's day [day_ms, day_ms + 24 h) as of now_ms, from InfluxDB,
 * counted from since_ms on when that is later than the day's start (the
 * record's start, wwtp_compl_first; INT64_MIN: the whole day).
 * 0, WWTP_ERR_CONN (why says) or WWTP_ERR_NOMEM. */
int wwtp_compl_day(struct wwtp_influx **ix, const struct wwtp_central_influx *cfg,
		   const struct wwtp_reg_station *st, int64_t day_ms, int64_t now_ms,
		   int64_t since_ms, int lost_after_s, struct wwtp_compl *c, char *why, size_t n);

/* The `late` point of a telemetry message stored delay_ms after its poll
 * (more than lost_after): its time is the poll's, so a repeat overwrites it.
 * Appended to out; 0 or the buffer's error. */
struct wwtp_buf;
int wwtp_compl_late_line(struct wwtp_buf *out, const char *station, const char *device, int64_t seq,
			 int64_t ts_ms, int64_t delay_ms);

/* Adds src's counts and gaps to dst (src is left as it was). A gap of src
 * that continues one of dst's (same device, next poll) is joined to it, so a
 * hole across midnight is one gap, not two. 0 or WWTP_ERR_NOMEM. */
int wwtp_compl_add(struct wwtp_compl *dst, const struct wwtp_compl *src);

/* Orders the gaps longest first (then earliest): what a reader who can be
 * shown only some should see. */
void wwtp_compl_sort_longest(struct wwtp_compl *c);

/* Frees the gaps and zeroes *c. */
void wwtp_compl_clear(struct wwtp_compl *c);

/* "0,14" style percentage of lost in expected (comma decimal). */
void wwtp_compl_pct(int64_t lost, int64_t expected, char *out, size_t size);

#endif
