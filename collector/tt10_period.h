/* tt10_period.h - the values of the Circular 10/2021 files: readings in,
 * one value and status per parameter per period out (pure, not
 * thread-safe: the collector's main thread owns it).
 *
 * Periods are aligned to Vietnam's local clock (UTC+7): with period_s =
 * 300 they are 10:00:00-10:04:59.999, 10:05:00-..., whatever the start
 * time; period_s divides a day, so every local day starts a period. A
 * reading belongs to the period its time (the poll time) falls in.
 *
 * What a period says for a parameter (docs/tt10.md says why):
 *   - at least one "ok" reading: status 00, the mean of the ok readings;
 *   - else any "calibrating" reading: status 01, the mean of the values the
 *     calibrating readings carried (an instrument in calibration still shows
 *     a number), or no value if none carried one;
 *   - else (fault, offline, or no reading of it at all): status 02, the mean
 *     of the values the fault readings carried, or no value.
 * A period with no reading of any parameter (the collector was not
 * running, or got nothing) is skipped: no file says it was measured. */
#ifndef WWTP_TT10_PERIOD_H
#define WWTP_TT10_PERIOD_H

#include <stddef.h>
#include <stdint.h>

#include "tt10_format.h"

struct wwtp_tt10_agg;

/* period_s: 1..86400, a divisor of 86400; nparams >= 1. NULL on bad
 * arguments or out of memory. */
struct wwtp_tt10_agg *wwtp_tt10_agg_new(int period_s, size_t nparams);
void wwtp_tt10_agg_free(struct wwtp_tt10_agg *a); /* accepts NULL */

/* UTC epoch ms at which the local period holding ts began. */
int64_t wwtp_tt10_period_start(int64_t ts_ms, int period_s);

/* A reading of parameter i (0..nparams-1) taken at ts_ms; status is an enum
 * wwtp_reading_status (ok, calibrating, fault, offline). Returns 0, or
 * WWTP_ERR_RANGE when the reading's period is already closed (it came too
 * late) or lies too far ahead of the open ones; such readings are counted
 * in wwtp_tt10_agg_dropped() and otherwise ignored. */
int wwtp_tt10_agg_add(struct wwtp_tt10_agg *a, size_t i, int64_t ts_ms, int status, int has_value,
		      double value);

/* Closes the oldest open period that ended at or before until_ms (pass
 * now minus the time late readings may take to arrive): fills *start_ms
 * with its start and values[0..nparams-1], and returns 1; call again until
 * it returns 0 (no period due). No reading dated before until_ms's period
 * is accepted afterwards. The first call to add or close fixes the first
 * period: the one holding its time (a partial period when the collector
 * started in the middle of it). */
int wwtp_tt10_agg_close(struct wwtp_tt10_agg *a, int64_t until_ms, int64_t *start_ms,
			struct wwtp_tt10_value *values);

/* Readings refused by wwtp_tt10_agg_add so far. */
uint64_t wwtp_tt10_agg_dropped(const struct wwtp_tt10_agg *a);

#endif
