/* period.c - Vietnam local-time periods (see period.h). Date arithmetic is
 * done on day numbers so that nothing depends on the process's TZ. */
#include "period.h"

#include <stddef.h>

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Civil date of day number z (days since 1970-01-01), proleptic Gregorian.
 * Works in 400-year eras of 146097 days counted from 0000-03-01, so that
 * the leap day falls at the end of each computed year. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468; /* days from 0000-03-01 to 1970-01-01 */
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;					     /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);		     /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;				     /* March = 0 */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t mp = m > 2 ? m - 3 : m + 9;
	int64_t doy = (153 * mp + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t wwtp_local_hour_start(int64_t ts_ms)
{
	int64_t local = ts_ms + WWTP_VN_UTC_OFFSET_MS;
	return floor_div(local, WWTP_HOUR_MS) * WWTP_HOUR_MS - WWTP_VN_UTC_OFFSET_MS;
}

int64_t wwtp_local_day_start(int64_t ts_ms)
{
	int64_t local = ts_ms + WWTP_VN_UTC_OFFSET_MS;
	return floor_div(local, WWTP_DAY_MS) * WWTP_DAY_MS - WWTP_VN_UTC_OFFSET_MS;
}

int64_t wwtp_local_month_start(int64_t ts_ms)
{
	int64_t y;
	int m, d;
	civil_from_days(floor_div(ts_ms + WWTP_VN_UTC_OFFSET_MS, WWTP_DAY_MS), &y, &m, &d);
	return days_from_civil(y, m, 1) * WWTP_DAY_MS - WWTP_VN_UTC_OFFSET_MS;
}

int64_t wwtp_local_next_month_start(int64_t ts_ms)
{
	int64_t y;
	int m, d;
	civil_from_days(floor_div(ts_ms + WWTP_VN_UTC_OFFSET_MS, WWTP_DAY_MS), &y, &m, &d);
	if (++m > 12) {
		m = 1;
		y++;
	}
	return days_from_civil(y, m, 1) * WWTP_DAY_MS - WWTP_VN_UTC_OFFSET_MS;
}

void wwtp_local_civil(int64_t ts_ms, int *year, int *month, int *day, int *hour, int *minute)
{
	int64_t local = ts_ms + WWTP_VN_UTC_OFFSET_MS;
	int64_t days = floor_div(local, WWTP_DAY_MS);
	int64_t in_day = local - days * WWTP_DAY_MS;
	int64_t y;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	if (year)
		*year = (int)y;
	if (month)
		*month = m;
	if (day)
		*day = d;
	if (hour)
		*hour = (int)(in_day / WWTP_HOUR_MS);
	if (minute)
		*minute = (int)(in_day % WWTP_HOUR_MS / 60000);
}

int32_t wwtp_local_day_key(int64_t ts_ms)
{
	int y, m, d;
	wwtp_local_civil(ts_ms, &y, &m, &d, NULL, NULL);
	return (int32_t)(y * 10000 + m * 100 + d);
}
