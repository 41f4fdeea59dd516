/* words.h - the alerts and flag reasons as an inspector writes them, in
 * Vietnamese: "COD vượt quy chuẩn 164/164 giờ, TB 208 mg/L, gấp 1,54 lần",
 * not "0% of 164 hourly averages within 135 mg/L". Shares are given as
 * percentages, never with a concentration unit; numbers with the decimal
 * comma; parameters by the glossary's names (model/glossary.h).
 *
 * Pure: the caller's buffer, truncated to fit (always NUL-terminated). */
#ifndef WWTP_CENTRAL_WORDS_H
#define WWTP_CENTRAL_WORDS_H

#include <stddef.h>

#include "../flags/flags.h"
#include "episodes.h"

/* v with at most `decimals` decimals, trailing zeros dropped, a decimal
 * comma and a dot every three digits ("1.234,5"); "–" for NaN. */
const char *wwtp_words_num(double v, int decimals, char *buf, size_t n);
/* A duration in hours and minutes ("5 giờ 10 phút", "45 phút", "3 ngày 2 giờ"). */
const char *wwtp_words_duration(int64_t ms, char *buf, size_t n);

/* A flag reason; unit: the parameter's (for compliance). */
void wwtp_words_reason(const struct wwtp_flag_reason *r, const char *unit, char *out, size_t n);
/* An alert (episode). */
void wwtp_words_alert(const struct wwtp_episode *p, char *out, size_t n);

#endif
