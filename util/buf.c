#include "buf.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

void wwtp_buf_init(struct wwtp_buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void wwtp_buf_free(struct wwtp_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

void wwtp_buf_reset(struct wwtp_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int ensure(struct wwtp_buf *b, size_t extra)
{
	/* len + extra + 1 (the NUL) must neither pass the cap nor wrap around,
	 * whatever the cap (SIZE_MAX means "no cap"). */
	if (extra > b->cap || b->len > b->cap - extra || b->len + extra == SIZE_MAX)
		return WWTP_ERR_FULL;
	size_t need = b->len + extra + 1;
	if (need <= b->alloc)
		return 0;
	size_t n = b->alloc ? b->alloc : 64;
	while (n < need && n <= SIZE_MAX / 2)
		n *= 2;
	if (n < need)
		n = need;
	if (b->cap < SIZE_MAX && n > b->cap + 1)
		n = b->cap + 1;
	char *p = realloc(b->data, n);
	if (!p)
		return WWTP_ERR_NOMEM;
	b->data = p;
	b->alloc = n;
	return 0;
}

int wwtp_buf_add(struct wwtp_buf *b, const void *p, size_t n)
{
	int rc = ensure(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int wwtp_buf_adds(struct wwtp_buf *b, const char *s)
{
	return wwtp_buf_add(b, s, strlen(s));
}

int wwtp_buf_printf(struct wwtp_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return WWTP_ERR_INVAL;
	if ((size_t)n < sizeof(small))
		return wwtp_buf_add(b, small, (size_t)n);
	int rc = ensure(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int wwtp_buf_add_json_string(struct wwtp_buf *b, const char *s)
{
	int rc = wwtp_buf_add(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p; p++) {
		switch (*p) {
		case '"':
			rc = wwtp_buf_add(b, "\\\"", 2);
			break;
		case '\\':
			rc = wwtp_buf_add(b, "\\\\", 2);
			break;
		case '\n':
			rc = wwtp_buf_add(b, "\\n", 2);
			break;
		case '\r':
			rc = wwtp_buf_add(b, "\\r", 2);
			break;
		case '\t':
			rc = wwtp_buf_add(b, "\\t", 2);
			break;
		default:
			if (*p < 0x20)
				rc = wwtp_buf_printf(b, "\\u%04x", *p);
			else
				rc = wwtp_buf_add(b, p, 1);
		}
	}
	return rc ? rc : wwtp_buf_add(b, "\"", 1);
}

int wwtp_buf_add_json_number(struct wwtp_buf *b, double v)
{
	char tmp[40];
	int prec = 1;
	if (!isfinite(v))
		return WWTP_ERR_NAN;
	/* %g switches to an exponent when the precision is below the number of
	 * integer digits (100 -> "1e+02"): start at that number, so that whole
	 * numbers a person reads stay whole (100, 3000000000) up to 17 digits. */
	double mag = fabs(v);
	while (mag >= 10.0 && mag < 1e17) {
		mag /= 10.0;
		prec++;
	}
	/* Shortest precision that survives a round trip keeps payloads small
	 * (42.1, not 42.100000000000001) without losing information. Most
	 * values have 15 digits or fewer: a decimal of up to 15 digits reads
	 * back from the double nearest to it (DBL_DIG, for normal numbers), so
	 * when %.15g reads back, its digits without the trailing zeros are the
	 * shortest. Two formats instead of up to 15 with as many strtod: central
	 * encodes every reading's value this way. Other values are searched. */
	if (fpclassify(v) == FP_NORMAL) {
		snprintf(tmp, sizeof(tmp), "%.15g", v);
		if (strtod(tmp, NULL) == v) {
			int q = 0, zeros = 0, lead = 1;
			for (const char *c = tmp; *c && *c != 'e'; c++) {
				if (*c < '0' || *c > '9' || (lead && *c == '0'))
					continue;
				lead = 0;
				if (*c == '0') {
					zeros++;
				} else {
					q += zeros + 1;
					zeros = 0;
				}
			}
			/* Reads back at q digits, so at any more too (the closest
			 * longer decimal is no farther from v). */
			snprintf(tmp, sizeof(tmp), "%.*g", q > prec ? q : prec, v);
			return wwtp_buf_adds(b, tmp);
		}
	}
	for (; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	return wwtp_buf_adds(b, tmp);
}
