/* evalcut.c - a JSON document without its "eval" members (evalcut.h).
 *
 * One pass, no recursion: a stack of open containers (at most
 * EVALCUT_MAX_DEPTH), the bytes copied to the output in runs, a cut member
 * skipped from its separator (or its key, when it is the first member: then
 * the comma after it goes too). The checks mirror jansson 2.14's lexer
 * (load.c: lex_scan_string, lex_scan_number, utf8_check_full); on anything
 * else the answer is 0 and jansson reads the original. */
#include "evalcut.h"

#include <stdint.h>
#include <string.h>

#include "../../util/err.h"

#define CUT_OBJ 1u	 /* the container is an object */
#define CUT_EVAL 2u	 /* ... in which an "eval" was seen */
#define CUT_COMMA 4u	 /* ... whose first member was cut: drop the next comma */
#define CUT_LIST_MAX 256 /* keys remembered at once inside cut values */

/* A key of an object inside a cut value, for the duplicate check. */
struct cut_key {
	const char *p;
	size_t n;
};

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int hex4(const char *p, const char *end, unsigned *v)
{
	if (end - p < 4)
		return -1;
	*v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = (unsigned char)p[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10u;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10u;
		else
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/* One UTF-8 sequence starting with c >= 0x80 at p: its length, or 0 when
 * jansson would refuse it (bad lead or continuation byte, overlong,
 * surrogate, over U+10FFFF, cut short). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0], v, min;
	size_t n;

	if (c >= 0xC2 && c <= 0xDF) {
		n = 2, v = c & 0x1Fu, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3, v = c & 0x0Fu, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4, v = c & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0u) != 0x80u)
			return 0;
		v = v << 6 | (p[i] & 0x3Fu);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	return n;
}

/* A string starting at its opening quote: the byte after the closing one,
 * or NULL when jansson would refuse it. *esc: it holds a backslash. */
static const char *scan_string(const char *p, const char *end, int *esc)
{
	*esc = 0;
	for (p++; p < end;) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c >= 0x80) {
			size_t n = utf8_len((const unsigned char *)p, (const unsigned char *)end);
			if (n == 0)
				return NULL;
			p += n;
			continue;
		}
		if (c != '\\') {
			p++;
			continue;
		}
		*esc = 1;
		if (++p >= end)
			return NULL;
		c = (unsigned char)*p;
		if (c != 'u') {
			if (c == 0 || !strchr("\"\\/bfnrt", c))
				return NULL;
			p++;
			continue;
		}
		unsigned u, lo;
		if (hex4(p + 1, end, &u) != 0)
			return NULL;
		p += 5;
		/* No NUL (JSON_ALLOW_NUL is not given), no lone surrogate. */
		if (u == 0 || (u >= 0xDC00 && u <= 0xDFFF))
			return NULL;
		if (u >= 0xD800 && u <= 0xDBFF) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
			    hex4(p + 2, end, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
				return NULL;
			p += 6;
		}
	}
	return NULL;
}

static int is_digit(const char *p, const char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

/* A number: the byte after it, or NULL when its syntax is not JSON's or it
 * might be out of jansson's range (an integer of 19 digits or more, which
 * may not fit int64; a real with 200 digits before the point or an exponent
 * of 3 digits, which may overflow a double): jansson decides those. */
static const char *scan_number(const char *p, const char *end)
{
	const char *d;
	int real = 0;

	if (p < end && *p == '-')
		p++;
	d = p;
	if (!is_digit(p, end))
		return NULL;
	if (*p == '0') {
		p++;
		if (is_digit(p, end))
			return NULL;
	} else {
		while (is_digit(p, end))
			p++;
	}
	size_t ndig = (size_t)(p - d);
	if (p < end && *p == '.') {
		real = 1;
		p++;
		if (!is_digit(p, end))
			return NULL;
		while (is_digit(p, end))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		real = 1;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		const char *e = p;
		if (!is_digit(p, end))
			return NULL;
		while (is_digit(p, end))
			p++;
		if (p - e >= 3)
			return NULL;
	}
	if (real ? ndig >= 200 : ndig >= 19)
		return NULL;
	return p;
}

/* Appends in[*from, upto) to out and moves *from. */
static int take(struct wwtp_buf *out, const char **from, const char *upto)
{
	int rc = upto > *from ? wwtp_buf_add(out, *from, (size_t)(upto - *from)) : 0;
	*from = upto;
	return rc;
}

int wwtp_evalcut(const char *in, size_t len, struct wwtp_buf *out)
{
	static const char key[] = "\"eval\"";
	unsigned char st[EVALCUT_MAX_DEPTH]; /* CUT_* of each open container */
	uint16_t kbase[EVALCUT_MAX_DEPTH];   /* its first key in keys[] */
	struct cut_key keys[CUT_LIST_MAX];   /* keys of objects in a cut value */
	const char *p = in, *end = in + len, *from = in;
	const char *comma = NULL;  /* the comma before the current key; NULL for the first */
	const char *cut_at = NULL; /* where the member being cut starts */
	size_t depth = 0, cut_depth = 0, nkeys = 0;
	int cutting = 0, cut_first = 0, esc, rc, did = 0;

	wwtp_buf_reset(out);
	/* Most messages but telemetry have none: no scan at all. */
	if (len < sizeof(key) - 1 || !memmem(in, len, key, sizeof(key) - 1))
		return 0;
	/* One allocation for the whole output, which is never longer. */
	if ((rc = wwtp_buf_add(out, in, len)) != 0)
		return rc;
	wwtp_buf_reset(out);

	p = skip_ws(p, end);
value:
	if (p >= end)
		goto give_up;
	switch (*p) {
	case '{':
	case '[':
		if (depth == EVALCUT_MAX_DEPTH)
			goto give_up;
		st[depth] = *p == '{' ? CUT_OBJ : 0;
		kbase[depth] = (uint16_t)nkeys;
		depth++;
		p = skip_ws(p + 1, end);
		if (p < end && *p == (st[depth - 1] & CUT_OBJ ? '}' : ']')) {
			depth--;
			p++;
			goto after;
		}
		if (st[depth - 1] & CUT_OBJ) {
			comma = NULL;
			goto member;
		}
		goto value;
	case '"':
		if (!(p = scan_string(p, end, &esc)))
			goto give_up;
		goto after;
	case 't':
	case 'f':
	case 'n': {
		const char *lit = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
		size_t n = strlen(lit);
		if ((size_t)(end - p) < n || memcmp(p, lit, n) != 0)
			goto give_up;
		p += n;
		goto after;
	}
	default:
		if (!(p = scan_number(p, end)))
			goto give_up;
		goto after;
	}

member: /* p at a key */
	if (p >= end || *p != '"') {
		goto give_up;
	} else {
		const char *k = p, *sep = comma;
		if (!(p = scan_string(p, end, &esc)) || esc)
			goto give_up;
		size_t kn = (size_t)(p - k);
		unsigned char *top = &st[depth - 1];
		if (kn == sizeof(key) - 1 && memcmp(k, key, kn) == 0) {
			if (*top & CUT_EVAL)
				goto give_up; /* twice: jansson refuses the whole */
			*top |= CUT_EVAL;
			if (!cutting) {
				cutting = 1;
				cut_depth = depth;
				cut_first = sep == NULL;
				cut_at = sep ? sep : k;
			}
		}
		if (cutting && depth > cut_depth) {
			/* Inside a cut value jansson would still refuse two equal
			 * keys; no escapes here, so equal bytes are equal keys. */
			if (nkeys - kbase[depth - 1] >= EVALCUT_MAX_KEYS || nkeys == CUT_LIST_MAX)
				goto give_up;
			for (size_t i = kbase[depth - 1]; i < nkeys; i++)
				if (keys[i].n == kn && memcmp(keys[i].p, k, kn) == 0)
					goto give_up;
			keys[nkeys++] = (struct cut_key){k, kn};
		}
		p = skip_ws(p, end);
		if (p >= end || *p != ':')
			goto give_up;
		p = skip_ws(p + 1, end);
		goto value;
	}

after: /* a value ended just before p */
	if (depth == 0) {
		if (skip_ws(p, end) != end)
			goto give_up;
		if (!did)
			return 0;
		if ((rc = take(out, &from, end)) != 0)
			return rc;
		return 1;
	}
	if (cutting && depth == cut_depth) {
		/* The end of a cut member: keep what came before it. */
		if ((rc = take(out, &from, cut_at)) != 0)
			return rc;
		from = p;
		if (cut_first)
			st[depth - 1] |= CUT_COMMA;
		cutting = 0;
		did = 1;
	}
	p = skip_ws(p, end);
	if (p >= end)
		goto give_up;
	if (*p == ',') {
		if (st[depth - 1] & CUT_COMMA) {
			if ((rc = take(out, &from, p)) != 0)
				return rc;
			from = p + 1;
			st[depth - 1] &= (unsigned char)~CUT_COMMA;
		}
		comma = p;
		p = skip_ws(p + 1, end);
		if (st[depth - 1] & CUT_OBJ)
			goto member;
		goto value;
	}
	if (*p != (st[depth - 1] & CUT_OBJ ? '}' : ']'))
		goto give_up;
	depth--;
	nkeys = kbase[depth];
	p++;
	goto after;

give_up:
	wwtp_buf_reset(out);
	return 0;
}
