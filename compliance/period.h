/* period.h - completed periods in Vietnam's local time (pure).
 *
 * Vietnam keeps UTC+7 all year (no daylight saving time), so a local clock
 * hour or calendar day is a fixed offset from UTC and needs no time zone
 * database. Daily averages and the monthly reports of the plan ("before the
 * 20th of every month") are cut on these local boundaries. All timestamps
 * are UTC epoch milliseconds; negative ones (before 1970) are handled with
 * floor division. */
#ifndef WWTP_PERIOD_H
#define WWTP_PERIOD_H

#include <stdint.h>

#define WWTP_VN_UTC_OFFSET_MS (7LL * 3600 * 1000) /* ICT, UTC+7 */
#define WWTP_HOUR_MS ((int64_t)3600 * 1000)
#define WWTP_DAY_MS (86400LL * 1000)

/* UTC ms at which the local clock hour holding ts began (also the UTC hour,
 * since the offset is a whole number of hours). */
int64_t wwtp_local_hour_start(int64_t ts_ms);
/* UTC ms of the local midnight (00:00 UTC+7) that began ts's local day;
 * that day ends (exclusive) WWTP_DAY_MS later. */
int64_t wwtp_local_day_start(int64_t ts_ms);
/* UTC ms of 00:00 UTC+7 on the 1st of ts's local month. */
int64_t wwtp_local_month_start(int64_t ts_ms);
/* UTC ms of 00:00 UTC+7 on the 1st of the local month after ts's. */
int64_t wwtp_local_next_month_start(int64_t ts_ms);
/* Local calendar date and time of day of ts. Any out pointer may be NULL. */
void wwtp_local_civil(int64_t ts_ms, int *year, int *month, int *day, int *hour, int *minute);
/* Local day as a number YYYYMMDD (20260201), a compact key for daily
 * aggregates. */
int32_t wwtp_local_day_key(int64_t ts_ms);

#endif
