/* tt10_format.c - names and content of the Circular 10/2021 files (see
 * tt10_format.h). Pure: no clock, no files, no time zone database. */
#include "tt10_format.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../compliance/period.h"
#include "../util/err.h"

int wwtp_tt10_stamp(int64_t ts_ms, char out[WWTP_TT10_STAMP_LEN + 1])
{
	int y, mo, d, h, mi;
	/* Seconds within the minute, with floor semantics for times before 1970
	 * (the local offset is whole minutes, so UTC and local agree here). */
	int64_t in_min = ts_ms % 60000;
	if (in_min < 0)
		in_min += 60000;

	wwtp_local_civil(ts_ms, &y, &mo, &d, &h, &mi);
	if (y < 0 || y > 9999)
		return WWTP_ERR_RANGE;
	snprintf(out, WWTP_TT10_STAMP_LEN + 1, "%04d%02d%02d%02d%02d%02d", y, mo, d, h, mi,
		 (int)(in_min / 1000));
	return 0;
}

int wwtp_tt10_file_name(const struct wwtp_tt10_config *c, int64_t stamp_ms, char *out, size_t n)
{
	char st[WWTP_TT10_STAMP_LEN + 1];
	int rc = wwtp_tt10_stamp(stamp_ms, st);
	if (rc)
		return rc;
	int w = snprintf(out, n, "%s_%s_%s_%s.txt", c->province, c->facility, c->station, st);
	return (w < 0 || (size_t)w >= n) ? WWTP_ERR_RANGE : 0;
}

/* Appends with snprintf semantics; *used stays put and *full is set when
 * the text does not fit. */
static void put(char *out, size_t n, size_t *used, int *full, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void put(char *out, size_t n, size_t *used, int *full, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*full)
		return;
	va_start(ap, fmt);
	w = vsnprintf(out + *used, n - *used, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= n - *used) {
		*full = 1;
		out[*used] = '\0';
		return;
	}
	*used += (size_t)w;
}

static void put_value(char *out, size_t n, size_t *used, int *full, const struct wwtp_tt10_param *p,
		      const struct wwtp_tt10_value *v)
{
	char num[64];

	if (!v->has_value || !isfinite(v->value))
		return; /* the field stays empty */
	int w = snprintf(num, sizeof(num), "%.*f", p->decimals, v->value);
	if (w < 0 || (size_t)w >= sizeof(num)) {
		/* Beyond 1e56: no instrument says that; leave the field empty
		 * rather than write a cut number. */
		return;
	}
	/* -0.04 with one decimal prints "-0.0": a receiver comparing text or
	 * parsing strictly should see plain 0. */
	if (num[0] == '-' && strspn(num + 1, "0.") == strlen(num + 1))
		put(out, n, used, full, "%s", num + 1);
	else
		put(out, n, used, full, "%s", num);
}

int wwtp_tt10_format(const struct wwtp_tt10_config *c, int64_t stamp_ms,
		     const struct wwtp_tt10_value *values, char *out, size_t n, size_t *len)
{
	char st[WWTP_TT10_STAMP_LEN + 1];
	const char *eol = c->crlf ? "\r\n" : "\n";
	size_t used = 0;
	int full = 0;
	int rc = wwtp_tt10_stamp(stamp_ms, st);

	if (rc)
		return rc;
	if (n == 0)
		return WWTP_ERR_RANGE;
	out[0] = '\0';
	for (size_t i = 0; i < c->nparams; i++) {
		const struct wwtp_tt10_param *p = &c->params[i];
		const struct wwtp_tt10_value *v = &values[i];
		int status = v->status >= 0 && v->status <= 2 ? v->status : WWTP_TT10_FAULT;

		if (i > 0 && c->layout == WWTP_TT10_SINGLE)
			put(out, n, &used, &full, "\t");
		put(out, n, &used, &full, "%s\t", p->code);
		put_value(out, n, &used, &full, p, v);
		put(out, n, &used, &full, "\t%s\t%s\t%02d", p->unit, st, status);
		if (c->layout == WWTP_TT10_LINES || i + 1 == c->nparams)
			put(out, n, &used, &full, "%s", eol);
	}
	if (full)
		return WWTP_ERR_RANGE;
	if (len)
		*len = used;
	return 0;
}

int wwtp_tt10_name_stamp(const char *name, char out[WWTP_TT10_STAMP_LEN + 1])
{
	size_t len = strlen(name);
	const size_t tail = WWTP_TT10_STAMP_LEN + 4; /* digits + ".txt" */

	if (len < tail + 1 || strcmp(name + len - 4, ".txt") != 0 || name[len - tail - 1] != '_')
		return WWTP_ERR_INVAL;
	const char *d = name + len - tail;
	for (size_t i = 0; i < WWTP_TT10_STAMP_LEN; i++)
		if (d[i] < '0' || d[i] > '9')
			return WWTP_ERR_INVAL;
	memcpy(out, d, WWTP_TT10_STAMP_LEN);
	out[WWTP_TT10_STAMP_LEN] = '\0';
	return 0;
}

int wwtp_tt10_expand_dir(const char *pattern, const char *stamp, char *out, size_t n)
{
	size_t used = 0;
	int full = 0;

	if (n == 0)
		return WWTP_ERR_RANGE;
	out[0] = '\0';
	for (const char *p = pattern; *p; p++) {
		if (*p != '%') {
			put(out, n, &used, &full, "%c", *p);
			continue;
		}
		switch (*++p) {
		case 'Y':
			put(out, n, &used, &full, "%.4s", stamp);
			break;
		case 'm':
			put(out, n, &used, &full, "%.2s", stamp + 4);
			break;
		case 'd':
			put(out, n, &used, &full, "%.2s", stamp + 6);
			break;
		case 'H':
			put(out, n, &used, &full, "%.2s", stamp + 8);
			break;
		case '%':
			put(out, n, &used, &full, "%%");
			break;
		default: /* also the NUL of a trailing '%' */
			return WWTP_ERR_INVAL;
		}
	}
	return full ? WWTP_ERR_RANGE : 0;
}
