/* decode.c - register words <-> engineering values. Pure: no I/O, no state.
 *
 * Every multi-register value goes through one step: the point's order is
 * undone into "big-endian words" (the words of A B C D ... in order), which
 * are then packed into a 64-bit integer and reinterpreted with memcpy. The
 * step is its own inverse (reversing and byte-swapping twice gives back
 * the input), so encoding uses it too. */
#include "decode.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/reading.h"
#include "../util/err.h"

#define MAX_WORDS 4

static int is_register_table(enum wwtp_table t)
{
	return t == WWTP_TABLE_HOLDING || t == WWTP_TABLE_INPUT;
}

static uint16_t swap16(uint16_t w)
{
	return (uint16_t)((w << 8) | (w >> 8));
}

/* Wire words <-> big-endian words. CDAB and DCBA reverse the words; BADC and
 * DCBA swap the bytes in each word. For one word the reversal is a no-op,
 * which gives the 16-bit rule of station.h (ABCD = CDAB, BADC = DCBA). */
static void reorder(enum wwtp_order order, const uint16_t *in, uint16_t *out, int nw)
{
	int reverse = order == WWTP_ORDER_CDAB || order == WWTP_ORDER_DCBA;
	int swap = order == WWTP_ORDER_BADC || order == WWTP_ORDER_DCBA;

	for (int i = 0; i < nw; i++) {
		uint16_t w = in[reverse ? nw - 1 - i : i];
		out[i] = swap ? swap16(w) : w;
	}
}

static uint64_t pack_be(const uint16_t *w, int nw)
{
	uint64_t u = 0;
	for (int i = 0; i < nw; i++)
		u = (u << 16) | w[i];
	return u;
}

static void unpack_be(uint64_t u, uint16_t *w, int nw)
{
	for (int i = nw - 1; i >= 0; i--) {
		w[i] = (uint16_t)(u & 0xFFFFu);
		u >>= 16;
	}
}

static int valid_order(enum wwtp_order o)
{
	return (unsigned)o <= (unsigned)WWTP_ORDER_DCBA;
}

static int valid_type(enum wwtp_type t)
{
	return (unsigned)t <= (unsigned)WWTP_TYPE_FLOAT64;
}

/* What the encoder accepts for each integer type: [lo, hi] after rounding.
 * The bounds are exact doubles (powers of two and small integers); hi_excl
 * says hi itself is out (2^63, 2^64, which have no integer counterpart). */
struct int_range {
	double lo, hi;
	int hi_excl, is_signed;
};
static const struct int_range int_ranges[] = {
    [WWTP_TYPE_INT16] = {-32768.0, 32767.0, 0, 1},
    [WWTP_TYPE_UINT16] = {0.0, 65535.0, 0, 0},
    [WWTP_TYPE_INT32] = {-2147483648.0, 2147483647.0, 0, 1},
    [WWTP_TYPE_UINT32] = {0.0, 4294967295.0, 0, 0},
    [WWTP_TYPE_INT64] = {-9223372036854775808.0, 9223372036854775808.0, 1, 1},
    [WWTP_TYPE_UINT64] = {0.0, 18446744073709551616.0, 1, 0},
};

/* The two's complement integer held in the low `bits` bits of u. */
static int64_t sign_extend(uint64_t u, int bits)
{
	int64_t s;
	if (bits < 64 && ((u >> (bits - 1)) & 1u))
		u |= ~(uint64_t)0 << bits;
	memcpy(&s, &u, sizeof s);
	return s;
}

/* raw * scale + offset; a finite raw can still overflow with a large scale,
 * and a result that JSON cannot carry is no value either. */
static int finish(const struct wwtp_point *p, double raw, double *value)
{
	/* Scales are usually 0.1, 0.01, 0.001: decimal fractions that a double
	 * cannot hold exactly, so 777 x 0.01 gives 7.7700000000000005. Dividing
	 * by the exact integer 100 gives the double nearest 7.77, which is what
	 * the instrument meant. */
	double v;
	double inv = 1.0 / p->scale;
	double inv_int = round(inv);
	if (fabs(p->scale) < 1.0 && inv_int != 0.0 && fabs(inv - inv_int) <= 1e-9 * fabs(inv))
		v = raw / inv_int + p->offset;
	else
		v = raw * p->scale + p->offset;
	if (!isfinite(v))
		return WWTP_ERR_RANGE;
	*value = v;
	return 0;
}

/* The double nearest the shortest decimal that reads back as the same
 * float. An analyzer that sends 42.1 as float32 means 42.1, not the
 * 42.099998474121094 that widening the float gives; the float only carries
 * about 7 significant digits, so nothing real is lost. */
static double float_as_decimal(float f)
{
	char tmp[32];
	for (int prec = 1; prec < 9; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, (double)f);
		if (strtof(tmp, NULL) == f)
			return strtod(tmp, NULL);
	}
	return (double)f; /* 9 digits always round-trip a float */
}

int wwtp_decode_regs(const struct wwtp_point *p, const uint16_t *regs, size_t nregs, double *value)
{
	if (!p || !regs || !value || !is_register_table(p->table) || !valid_type(p->type) ||
	    !valid_order(p->order) || p->bit < -1 || p->bit > 15)
		return WWTP_ERR_INVAL;

	if (p->bit >= 0) {
		/* A bit of one register: the type does not matter. */
		if (nregs < 1)
			return WWTP_ERR_INVAL;
		return finish(p, (double)((regs[0] >> p->bit) & 1u), value);
	}

	int nw = wwtp_type_regs(p->type);
	if (nregs < (size_t)nw)
		return WWTP_ERR_INVAL;

	uint16_t be[MAX_WORDS];
	reorder(p->order, regs, be, nw);
	uint64_t u = pack_be(be, nw);

	double raw;
	switch (p->type) {
	case WWTP_TYPE_BOOL:
		/* A whole register used as a flag: any non-zero value is "on". */
		raw = u != 0 ? 1.0 : 0.0;
		break;
	case WWTP_TYPE_INT16:
	case WWTP_TYPE_INT32:
	case WWTP_TYPE_INT64:
		raw = (double)sign_extend(u, 16 * nw);
		break;
	case WWTP_TYPE_UINT16:
	case WWTP_TYPE_UINT32:
	case WWTP_TYPE_UINT64:
		raw = (double)u; /* only nw words were packed */
		break;
	case WWTP_TYPE_FLOAT32: {
		uint32_t v32 = (uint32_t)u;
		float f;
		memcpy(&f, &v32, sizeof f);
		if (!isfinite(f))
			return WWTP_ERR_NAN;
		raw = float_as_decimal(f);
		break;
	}
	case WWTP_TYPE_FLOAT64: {
		double d;
		memcpy(&d, &u, sizeof d);
		if (!isfinite(d))
			return WWTP_ERR_NAN;
		raw = d;
		break;
	}
	default:
		return WWTP_ERR_INVAL;
	}
	return finish(p, raw, value);
}

int wwtp_decode_bit(const struct wwtp_point *p, uint8_t bit, double *value)
{
	if (!p || !value || is_register_table(p->table))
		return WWTP_ERR_INVAL;
	return finish(p, bit ? 1.0 : 0.0, value);
}

/* Rounds r to the nearest integer and checks it lies in [lo, hi] (hi
 * excluded when hi_excl); exact, as the bounds are (int_ranges). */
static int round_in(double r, double lo, double hi, int hi_excl, double *out)
{
	double x = round(r);
	if (x < lo || x > hi || (hi_excl && x == hi))
		return WWTP_ERR_RANGE;
	*out = x;
	return 0;
}

int wwtp_encode_regs(const struct wwtp_point *p, double value, uint16_t *regs, size_t nregs)
{
	if (!p || !regs || !is_register_table(p->table) || !valid_type(p->type) ||
	    !valid_order(p->order) || p->bit < -1 || p->bit > 15 || p->scale == 0.0)
		return WWTP_ERR_INVAL;

	int float_wire =
	    p->bit < 0 && (p->type == WWTP_TYPE_FLOAT32 || p->type == WWTP_TYPE_FLOAT64);
	int nw = p->bit >= 0 ? 1 : wwtp_type_regs(p->type);
	if (nregs < (size_t)nw)
		return WWTP_ERR_INVAL;

	double raw = (value - p->offset) / p->scale;
	/* A float can carry NaN on the wire (so a simulator can play an
	 * instrument's "no value"); an integer cannot. */
	if (isnan(raw) && !float_wire)
		return WWTP_ERR_NAN;

	if (p->bit >= 0 || p->type == WWTP_TYPE_BOOL) {
		double b;
		if (round_in(raw, 0.0, 1.0, 0, &b) != 0)
			return WWTP_ERR_RANGE;
		if (p->bit >= 0) {
			uint16_t m = (uint16_t)(1u << p->bit);
			regs[0] = (uint16_t)(b != 0.0 ? (regs[0] | m) : (regs[0] & ~m));
		} else {
			regs[0] = b != 0.0 ? 1 : 0;
		}
		return 0;
	}

	uint64_t u = 0;
	double x = 0.0;
	int rc = 0;
	switch (p->type) {
	case WWTP_TYPE_INT16:
	case WWTP_TYPE_UINT16:
	case WWTP_TYPE_INT32:
	case WWTP_TYPE_UINT32:
	case WWTP_TYPE_INT64:
	case WWTP_TYPE_UINT64: {
		const struct int_range *r = &int_ranges[p->type];
		rc = round_in(raw, r->lo, r->hi, r->hi_excl, &x);
		/* Two's complement by conversion; unpack_be keeps the low nw words. */
		if (rc == 0)
			u = r->is_signed ? (uint64_t)(int64_t)x : (uint64_t)x;
		break;
	}
	case WWTP_TYPE_FLOAT32: {
		/* A finite value that rounds to infinity would read back as "no
		 * value": refuse it instead. The limit is FLT_MAX plus half its
		 * ulp, not FLT_MAX: the decoder gives FLT_MAX as 3.4028235e+38,
		 * a little above it, and that must encode back to FLT_MAX. */
		if (isfinite(raw) && fabs(raw) >= 0x1.ffffffp+127)
			return WWTP_ERR_RANGE;
		float f = (float)raw;
		uint32_t v;
		memcpy(&v, &f, sizeof v);
		u = v;
		break;
	}
	case WWTP_TYPE_FLOAT64:
		memcpy(&u, &raw, sizeof u);
		break;
	default:
		return WWTP_ERR_INVAL;
	}
	if (rc != 0)
		return rc;

	uint16_t be[MAX_WORDS];
	unpack_be(u, be, nw);
	reorder(p->order, be, regs, nw);
	return 0;
}

int wwtp_decode_status(const struct wwtp_status_src *s, uint16_t reg)
{
	if (!s)
		return WWTP_READING_OK;
	switch (s->mode) {
	case WWTP_STATUS_VALUE:
		if (reg == s->fault)
			return WWTP_READING_FAULT;
		if (reg == s->calibrating)
			return WWTP_READING_CALIBRATING;
		return WWTP_READING_OK;
	case WWTP_STATUS_BITS:
		/* A zero mask never matches: "this instrument has no such bit". */
		if ((reg & s->fault) != 0)
			return WWTP_READING_FAULT;
		if ((reg & s->calibrating) != 0)
			return WWTP_READING_CALIBRATING;
		return WWTP_READING_OK;
	case WWTP_STATUS_NONE:
	default:
		return WWTP_READING_OK;
	}
}
