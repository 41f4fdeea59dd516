/* fuzz_lineproto.c - the line-protocol builder (central/ingest/lineproto.c) round
 * trip: a point with any bytes in its measurement, tag keys and values,
 * field keys and string values, any double and int64, is encoded, then read
 * back by the small parser below (written from the InfluxDB line protocol
 * reference, not from the encoder) and compared with what went in.
 *
 * Promises checked (lineproto.h): the builder succeeds exactly when the
 * point is valid, and otherwise fails with the first error in call order
 * (a bad name, a tag after a field, no field: INVAL; NaN or infinity: NAN);
 * escaping is complete, so that the parser gets back every name, every tag
 * value and every number bit for bit, and every string field with its
 * control characters turned to spaces; a point that does not fit the
 * buffer's cap fails with FULL, and after any failure the buffer holds
 * exactly what it held before. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../central/ingest/lineproto.h"
#include "../../util/buf.h"
#include "../../util/err.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_TAGS 4
#define MAX_FIELDS 5
#define MAX_STR 40 /* bytes of a name or string, NUL included */

enum ftype { F_FLOAT, F_INT, F_STR };

struct field {
	char key[MAX_STR];
	enum ftype type;
	double f;
	int64_t i;
	char s[MAX_STR];
};

struct point {
	char meas[MAX_STR];
	size_t ntags;
	char tk[MAX_TAGS][MAX_STR], tv[MAX_TAGS][MAX_STR];
	size_t nfields;
	struct field fields[MAX_FIELDS];
	int misplaced_tag; /* a tag call after the first field */
	int64_t ts;
};

/* ---- reading the input ---- */

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t rd_byte(struct rd *r)
{
	if (r->n == 0)
		return 0;
	r->n--;
	return *r->p++;
}

static void rd_bytes(struct rd *r, void *out, size_t n)
{
	size_t k = n < r->n ? n : r->n;
	memset(out, 0, n);
	memcpy(out, r->p, k);
	r->p += k;
	r->n -= k;
}

/* A length byte, then the bytes; a NUL among them ends the C string early. */
static void rd_str(struct rd *r, char *out)
{
	size_t len = rd_byte(r) % MAX_STR;
	rd_bytes(r, out, len);
	out[len] = '\0';
}

static double rd_double(struct rd *r)
{
	uint8_t how = rd_byte(r);
	if (how & 1) {
		/* Decimals as instruments give them (42.1, -0.007): bit
		 * patterns alone would rarely be that short. */
		int32_t m;
		rd_bytes(r, &m, sizeof(m));
		return m / pow(10.0, how >> 4);
	}
	double d;
	rd_bytes(r, &d, sizeof(d));
	return d;
}

static void rd_point(struct rd *r, struct point *pt)
{
	memset(pt, 0, sizeof(*pt));
	uint8_t shape = rd_byte(r);
	pt->ntags = shape % (MAX_TAGS + 1);
	pt->nfields = (shape >> 3) % (MAX_FIELDS + 1);
	pt->misplaced_tag = (shape & 0xC0) == 0xC0;
	rd_str(r, pt->meas);
	for (size_t i = 0; i < pt->ntags; i++) {
		rd_str(r, pt->tk[i]);
		rd_str(r, pt->tv[i]);
	}
	for (size_t i = 0; i < pt->nfields; i++) {
		struct field *f = &pt->fields[i];
		rd_str(r, f->key);
		f->type = (enum ftype)(rd_byte(r) % 3);
		if (f->type == F_FLOAT)
			f->f = rd_double(r);
		else if (f->type == F_INT)
			rd_bytes(r, &f->i, sizeof(f->i));
		else
			rd_str(r, f->s);
	}
	rd_bytes(r, &pt->ts, sizeof(pt->ts));
}

/* ---- what the builder must answer ---- */

static int name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '\\')
			return 0;
	return 1;
}

/* The first error in call order, FULL aside. */
static int expected_error(const struct point *pt)
{
	if (pt->meas[0] == '#' || !name_ok(pt->meas))
		return WWTP_ERR_INVAL;
	for (size_t i = 0; i < pt->ntags; i++)
		if (!name_ok(pt->tk[i]) || !name_ok(pt->tv[i]))
			return WWTP_ERR_INVAL;
	for (size_t i = 0; i < pt->nfields; i++) {
		const struct field *f = &pt->fields[i];
		if (!name_ok(f->key))
			return WWTP_ERR_INVAL;
		if (f->type == F_FLOAT && !isfinite(f->f))
			return WWTP_ERR_NAN;
		if (i == 0 && pt->misplaced_tag)
			return WWTP_ERR_INVAL;
	}
	return pt->nfields == 0 ? WWTP_ERR_INVAL : 0;
}

static int encode(const struct point *pt, struct wwtp_buf *b)
{
	struct wwtp_lp lp;
	wwtp_lp_begin(&lp, b, pt->meas);
	for (size_t i = 0; i < pt->ntags; i++)
		wwtp_lp_tag(&lp, pt->tk[i], pt->tv[i]);
	for (size_t i = 0; i < pt->nfields; i++) {
		const struct field *f = &pt->fields[i];
		if (f->type == F_FLOAT)
			wwtp_lp_float(&lp, f->key, f->f);
		else if (f->type == F_INT)
			wwtp_lp_int(&lp, f->key, f->i);
		else
			wwtp_lp_str(&lp, f->key, f->s);
		if (i == 0 && pt->misplaced_tag)
			wwtp_lp_tag(&lp, "late", "tag");
	}
	return wwtp_lp_end(&lp, pt->ts);
}

/* ---- the independent parser ---- */

#define PARSE_FAIL(why) fuzz_fail(__FILE__, __LINE__, why)

/* An element up to the first unescaped byte of `stops`. A backslash may
 * only come before a byte of `esc`; a byte of `esc` must be escaped unless
 * it ends the element; control characters never appear in names. */
static const char *parse_name(const char *p, const char *end, const char *esc, const char *stops,
			      char *out)
{
	size_t n = 0;
	while (p < end && !strchr(stops, *p)) {
		char c = *p++;
		if (c == '\\') {
			if (p == end || !strchr(esc, *p))
				PARSE_FAIL("backslash before a byte that needs no escape");
			c = *p++;
		} else if (strchr(esc, c) || (unsigned char)c < 0x20 || c == 0x7f) {
			PARSE_FAIL("unescaped special or control byte in a name");
		}
		if (n + 1 >= MAX_STR)
			PARSE_FAIL("name longer than any the harness wrote");
		out[n++] = c;
	}
	out[n] = '\0';
	if (n == 0)
		PARSE_FAIL("empty name");
	if (p == end)
		PARSE_FAIL("line ends inside a name");
	return p;
}

/* -?digits(.digits)?([eE][+-]?digits)? then an optional 'i' for integers:
 * what InfluxDB reads as a number. */
static int number_syntax(const char *s, size_t n, int *is_int)
{
	size_t i = 0, d;
	*is_int = n > 0 && s[n - 1] == 'i';
	if (*is_int)
		n--;
	if (i < n && s[i] == '-')
		i++;
	for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == d)
		return 0;
	if (*is_int)
		return i == n;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

static const char *parse_field_value(const char *p, const char *end, struct field *f)
{
	if (p < end && *p == '"') {
		size_t n = 0;
		p++;
		for (;;) {
			if (p == end)
				PARSE_FAIL("string field not closed");
			char c = *p++;
			if (c == '"')
				break;
			if (c == '\\') {
				if (p == end || (*p != '"' && *p != '\\'))
					PARSE_FAIL("bad escape in a string field");
				c = *p++;
			} else if ((unsigned char)c < 0x20 || c == 0x7f) {
				PARSE_FAIL("control byte in a string field");
			}
			if (n + 1 >= MAX_STR)
				PARSE_FAIL("string longer than any the harness wrote");
			f->s[n++] = c;
		}
		f->s[n] = '\0';
		f->type = F_STR;
		return p;
	}
	const char *start = p;
	while (p < end && *p != ',' && *p != ' ')
		p++;
	size_t n = (size_t)(p - start);
	char tmp[64];
	int is_int;
	if (n == 0 || n >= sizeof(tmp) || !number_syntax(start, n, &is_int))
		PARSE_FAIL("field value is neither a string nor a number");
	memcpy(tmp, start, n);
	tmp[n - (is_int ? 1 : 0)] = '\0';
	char *e;
	errno = 0;
	if (is_int) {
		f->type = F_INT;
		f->i = strtoll(tmp, &e, 10);
	} else {
		f->type = F_FLOAT;
		f->f = strtod(tmp, &e);
		if (!isfinite(f->f))
			PARSE_FAIL("float field out of range");
	}
	/* strtod says ERANGE for a subnormal too, which reads back exactly
	 * (and which InfluxDB's ParseFloat takes): only overflow is an error,
	 * caught above as a non-finite float. */
	if (*e || (errno && (is_int || f->f == 0.0)))
		PARSE_FAIL("number does not read back");
	return p;
}

static void parse_point(const char *p, const char *end, struct point *pt)
{
	memset(pt, 0, sizeof(*pt));
	p = parse_name(p, end, ", ", ", ", pt->meas);
	while (*p == ',') {
		if (pt->ntags == MAX_TAGS)
			PARSE_FAIL("more tags than written");
		p = parse_name(p + 1, end, ",= ", "=", pt->tk[pt->ntags]);
		p = parse_name(p + 1, end, ",= ", ", ", pt->tv[pt->ntags]);
		pt->ntags++;
	}
	if (*p != ' ')
		PARSE_FAIL("no space before the fields");
	do {
		if (pt->nfields == MAX_FIELDS)
			PARSE_FAIL("more fields than written");
		struct field *f = &pt->fields[pt->nfields++];
		p = parse_name(p + 1, end, ",= ", "=", f->key);
		p = parse_field_value(p + 1, end, f);
	} while (p < end && *p == ',');
	if (p == end || *p != ' ')
		PARSE_FAIL("no space before the timestamp");
	p++;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl || nl + 1 != end || nl == p)
		PARSE_FAIL("timestamp not followed by the one newline at the end");
	char tmp[32], *e;
	if ((size_t)(nl - p) >= sizeof(tmp))
		PARSE_FAIL("timestamp too long");
	memcpy(tmp, p, (size_t)(nl - p));
	tmp[nl - p] = '\0';
	errno = 0;
	pt->ts = strtoll(tmp, &e, 10);
	if (*e || errno || !(tmp[0] == '-' || (tmp[0] >= '0' && tmp[0] <= '9')))
		PARSE_FAIL("bad timestamp");
}

/* ---- the comparison ---- */

static void compare(const struct point *in, const struct point *out)
{
	FUZZ_ASSERT(strcmp(in->meas, out->meas) == 0);
	FUZZ_ASSERT(in->ntags == out->ntags);
	for (size_t i = 0; i < in->ntags; i++) {
		FUZZ_ASSERT(strcmp(in->tk[i], out->tk[i]) == 0);
		FUZZ_ASSERT(strcmp(in->tv[i], out->tv[i]) == 0);
	}
	FUZZ_ASSERT(in->nfields == out->nfields);
	for (size_t i = 0; i < in->nfields; i++) {
		const struct field *a = &in->fields[i], *b = &out->fields[i];
		FUZZ_ASSERT(strcmp(a->key, b->key) == 0);
		FUZZ_ASSERT(a->type == b->type);
		if (a->type == F_FLOAT) {
			FUZZ_ASSERT(memcmp(&a->f, &b->f, sizeof(double)) == 0); /* -0 too */
		} else if (a->type == F_INT) {
			FUZZ_ASSERT(a->i == b->i);
		} else {
			char want[MAX_STR];
			size_t n = strlen(a->s);
			for (size_t k = 0; k <= n; k++) {
				unsigned char c = (unsigned char)a->s[k];
				want[k] = (k < n && (c < 0x20 || c == 0x7f)) ? ' ' : a->s[k];
			}
			FUZZ_ASSERT(strcmp(want, b->s) == 0);
		}
	}
	FUZZ_ASSERT(in->ts == out->ts);
}

static void check_rolled_back(const struct wwtp_buf *b, const char *prefix, size_t plen)
{
	FUZZ_ASSERT(b->len == plen);
	if (b->data)
		FUZZ_ASSERT(memcmp(b->data, prefix, plen) == 0 && b->data[plen] == '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char earlier[] = "m,station=a value=1 1000\n";
	struct rd r = {data, size};
	struct point in, back;
	struct wwtp_buf b, small;

	uint8_t opts = rd_byte(&r);
	const char *prefix = (opts & 1) ? earlier : "";
	size_t plen = strlen(prefix);
	rd_point(&r, &in);

	/* Room for anything: the answer must be the expected one. */
	wwtp_buf_init(&b, 1 << 20);
	FUZZ_ASSERT(wwtp_buf_adds(&b, prefix) == 0);
	int rc = encode(&in, &b);
	FUZZ_ASSERT(rc == expected_error(&in));
	if (rc == 0) {
		FUZZ_ASSERT(b.len > plen && memcmp(b.data, prefix, plen) == 0);
		parse_point(b.data + plen, b.data + b.len, &back);
		compare(&in, &back);
	} else {
		check_rolled_back(&b, prefix, plen);
	}

	/* A cap picked by the input: FULL exactly when the point does not fit. */
	wwtp_buf_init(&small, plen + (size_t)(opts >> 1) * 2);
	FUZZ_ASSERT(wwtp_buf_adds(&small, prefix) == 0);
	int rc2 = encode(&in, &small);
	if (rc == 0 && b.len <= small.cap) {
		FUZZ_ASSERT(rc2 == 0 && small.len == b.len &&
			    memcmp(small.data, b.data, b.len) == 0);
	} else if (rc == 0) {
		FUZZ_ASSERT(rc2 == WWTP_ERR_FULL);
	} else {
		FUZZ_ASSERT(rc2 == rc || rc2 == WWTP_ERR_FULL);
	}
	if (rc2 != 0)
		check_rolled_back(&small, prefix, plen);
	wwtp_buf_free(&b);
	wwtp_buf_free(&small);
	return 0;
}
