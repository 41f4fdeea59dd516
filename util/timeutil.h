/* timeutil.h - clocks and the one timestamp format of the project. */
#ifndef WWTP_TIMEUTIL_H
#define WWTP_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Wall clock, milliseconds since the Unix epoch (UTC). */
int64_t wwtp_now_ms(void);
/* Monotonic clock in milliseconds: for schedules and timeouts only. */
int64_t wwtp_mono_ms(void);
/* Sleep for ms milliseconds (restarts after signals unless *stop is set;
 * stop may be NULL). */
void wwtp_sleep_ms(int64_t ms, const volatile int *stop);

/* Formats epoch ms as "2026-01-31T17:00:00.000Z" (24 chars + NUL).
 * Returns 0, or WWTP_ERR_RANGE if it does not fit in n bytes. Pure. */
int wwtp_format_utc(int64_t ms, char *out, size_t n);
/* Parses exactly the format above; returns 0 or WWTP_ERR_INVAL. Pure. */
int wwtp_parse_utc(const char *s, int64_t *ms);

#endif
