/* history.h - when a station's flag was raised and cleared, and why, from
 * the data's own hours.
 *
 * The flags (flags.h) are judged over a sliding window of hours. The
 * history replays that judgement hour by hour over the hours the ring
 * holds (hourly.h): at each complete hour e it summarises [e - window_h, e)
 * and evaluates the rules with their hysteresis, from a clean state at the
 * ring's oldest hour. A flag is "raised at e" when the window ending at e
 * was the first to flag it. Because it is derived from the hours alone,
 * the same data gives the same history whenever and however often central
 * starts: a restart does not move "since".
 *
 * What lies before the ring (more than window_h hours ago) is not known to
 * it: an episode open at the ring's start says so (from_start).
 *
 * Pure: no clock, no I/O. */
#ifndef WWTP_CENTRAL_FLAG_HISTORY_H
#define WWTP_CENTRAL_FLAG_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "flags.h"
#include "hourly.h"

#define WWTP_FLAG_HISTORY_REASONS 8

struct wwtp_flag_episode {
	int64_t raised_hour;  /* epoch hours: the end of the first window that flagged */
	int64_t cleared_hour; /* ... of the first that did not; -1 while flagged */
	int from_start;	      /* flagged already at the first hour the ring lets it judge */
	size_t nreasons;      /* the reasons when raised (at most WWTP_FLAG_HISTORY_REASONS) */
	struct wwtp_flag_reason reasons[WWTP_FLAG_HISTORY_REASONS];
};

/* The episodes of hours up to end (excluded: the hour under way), oldest
 * first, into out[0..max) (the newest kept when there are more). Returns how
 * many were written, or WWTP_ERR_NOMEM. */
int wwtp_flag_history(const struct wwtp_flag_cfg *cfg, const struct wwtp_flag_param *params,
		      size_t nparams, double design_m3d, const struct wwtp_hourly *h, int64_t end,
		      struct wwtp_flag_episode *out, size_t max);

#endif
