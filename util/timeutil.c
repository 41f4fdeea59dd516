#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"

int64_t wwtp_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t wwtp_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void wwtp_sleep_ms(int64_t ms, const volatile int *stop)
{
	struct timespec req, rem;
	if (ms <= 0)
		return;
	req.tv_sec = ms / 1000;
	req.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&req, &rem) != 0 && errno == EINTR) {
		if (stop && *stop)
			return;
		req = rem;
	}
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian); Howard Hinnant's
 * well-known civil-date arithmetic, so that no time zone state is touched. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int wwtp_format_utc(int64_t ms, char *out, size_t n)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int milli = (int)(ms - (int64_t)secs * 1000);
	struct tm tm;
	if (!gmtime_r(&secs, &tm))
		return WWTP_ERR_RANGE;
	int w = snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, milli);
	if (w < 0 || (size_t)w >= n)
		return WWTP_ERR_RANGE;
	return 0;
}

int wwtp_parse_utc(const char *s, int64_t *ms)
{
	int y, mo, d, h, mi, se, milli, used = 0;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (strlen(s) != 24 ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo, &d, &h, &mi, &se, &milli, &used) !=
		7 ||
	    used != 24)
		return WWTP_ERR_INVAL;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || se > 60 || h < 0 || mi < 0 || se < 0 || milli < 0)
		return WWTP_ERR_INVAL;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return WWTP_ERR_INVAL;
	*ms = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400) + h * 3600 + mi * 60 + se) *
		  1000 +
	      milli;
	return 0;
}
