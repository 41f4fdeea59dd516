/* test_decode.c - register decoding and encoding against hand-computed words.
 *
 * Every expected word below was worked out by hand from the big-endian
 * bytes of the value (A B C D ...), following enum wwtp_order in
 * station/station.h; none is produced by the code under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../drivers/decode.h"
#include "../../payload/payload.h"
#include "../../util/err.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static struct wwtp_point mkpoint(enum wwtp_type type, enum wwtp_order order)
{
	struct wwtp_point p;
	memset(&p, 0, sizeof p);
	snprintf(p.param, sizeof p.param, "%s", "test");
	p.table = WWTP_TABLE_HOLDING;
	p.address = 0;
	p.type = type;
	p.order = order;
	p.bit = -1;
	p.scale = 1.0;
	p.offset = 0.0;
	return p;
}

static void check_exact(double got, double want, const char *what)
{
	if (!(got == want))
		fail_msg("%s: got %.17g, want %.17g", what, got, want);
}

static void check_near(double got, double want, double eps, const char *what)
{
	if (!(fabs(got - want) <= eps))
		fail_msg("%s: got %.17g, want %.17g (+-%g)", what, got, want, eps);
}

/* One value of a type in one order, as it sits on the wire. */
struct vec {
	enum wwtp_type type;
	enum wwtp_order order;
	uint16_t words[4];
	double value;
};

#define A WWTP_ORDER_ABCD
#define C WWTP_ORDER_CDAB
#define B WWTP_ORDER_BADC
#define D WWTP_ORDER_DCBA

static const struct vec vecs[] = {
    /* int16 0x1234 = 4660: only the byte order counts. */
    {WWTP_TYPE_INT16, A, {0x1234}, 4660},
    {WWTP_TYPE_INT16, C, {0x1234}, 4660},
    {WWTP_TYPE_INT16, B, {0x3412}, 4660},
    {WWTP_TYPE_INT16, D, {0x3412}, 4660},
    /* int16 -2 = 0xFFFE */
    {WWTP_TYPE_INT16, A, {0xFFFE}, -2},
    {WWTP_TYPE_INT16, C, {0xFFFE}, -2},
    {WWTP_TYPE_INT16, B, {0xFEFF}, -2},
    {WWTP_TYPE_INT16, D, {0xFEFF}, -2},
    /* int16 -32768 = 0x8000 */
    {WWTP_TYPE_INT16, A, {0x8000}, -32768},
    {WWTP_TYPE_INT16, B, {0x0080}, -32768},
    /* uint16 0xFFFE = 65534, 0x8001 = 32769 */
    {WWTP_TYPE_UINT16, A, {0xFFFE}, 65534},
    {WWTP_TYPE_UINT16, C, {0xFFFE}, 65534},
    {WWTP_TYPE_UINT16, B, {0xFEFF}, 65534},
    {WWTP_TYPE_UINT16, D, {0xFEFF}, 65534},
    {WWTP_TYPE_UINT16, A, {0x8001}, 32769},
    {WWTP_TYPE_UINT16, D, {0x0180}, 32769},
    /* int32 0x12345678 = 305419896 */
    {WWTP_TYPE_INT32, A, {0x1234, 0x5678}, 305419896},
    {WWTP_TYPE_INT32, C, {0x5678, 0x1234}, 305419896},
    {WWTP_TYPE_INT32, B, {0x3412, 0x7856}, 305419896},
    {WWTP_TYPE_INT32, D, {0x7856, 0x3412}, 305419896},
    /* int32 -305419896 = 0xEDCBA988 */
    {WWTP_TYPE_INT32, A, {0xEDCB, 0xA988}, -305419896},
    {WWTP_TYPE_INT32, C, {0xA988, 0xEDCB}, -305419896},
    {WWTP_TYPE_INT32, B, {0xCBED, 0x88A9}, -305419896},
    {WWTP_TYPE_INT32, D, {0x88A9, 0xCBED}, -305419896},
    /* uint32 0xDEADBEEF = 3735928559, above INT32_MAX */
    {WWTP_TYPE_UINT32, A, {0xDEAD, 0xBEEF}, 3735928559.0},
    {WWTP_TYPE_UINT32, C, {0xBEEF, 0xDEAD}, 3735928559.0},
    {WWTP_TYPE_UINT32, B, {0xADDE, 0xEFBE}, 3735928559.0},
    {WWTP_TYPE_UINT32, D, {0xEFBE, 0xADDE}, 3735928559.0},
    /* int64 0x0011223344556677 = 4822678189205111 (< 2^53: exact as double) */
    {WWTP_TYPE_INT64, A, {0x0011, 0x2233, 0x4455, 0x6677}, 4822678189205111.0},
    {WWTP_TYPE_INT64, C, {0x6677, 0x4455, 0x2233, 0x0011}, 4822678189205111.0},
    {WWTP_TYPE_INT64, B, {0x1100, 0x3322, 0x5544, 0x7766}, 4822678189205111.0},
    {WWTP_TYPE_INT64, D, {0x7766, 0x5544, 0x3322, 0x1100}, 4822678189205111.0},
    /* int64 -4822678189205111 = 0xFFEEDDCCBBAA9989 */
    {WWTP_TYPE_INT64, A, {0xFFEE, 0xDDCC, 0xBBAA, 0x9989}, -4822678189205111.0},
    {WWTP_TYPE_INT64, C, {0x9989, 0xBBAA, 0xDDCC, 0xFFEE}, -4822678189205111.0},
    {WWTP_TYPE_INT64, B, {0xEEFF, 0xCCDD, 0xAABB, 0x8999}, -4822678189205111.0},
    {WWTP_TYPE_INT64, D, {0x8999, 0xAABB, 0xCCDD, 0xEEFF}, -4822678189205111.0},
    /* int64 -2 = 0xFFFFFFFFFFFFFFFE */
    {WWTP_TYPE_INT64, A, {0xFFFF, 0xFFFF, 0xFFFF, 0xFFFE}, -2},
    {WWTP_TYPE_INT64, C, {0xFFFE, 0xFFFF, 0xFFFF, 0xFFFF}, -2},
    {WWTP_TYPE_INT64, B, {0xFFFF, 0xFFFF, 0xFFFF, 0xFEFF}, -2},
    {WWTP_TYPE_INT64, D, {0xFEFF, 0xFFFF, 0xFFFF, 0xFFFF}, -2},
    /* uint64 0xFEDCBA9876543800 = 18364758544493066240, above INT64_MAX
     * (its low 11 bits are zero, so the double holds it exactly) */
    {WWTP_TYPE_UINT64, A, {0xFEDC, 0xBA98, 0x7654, 0x3800}, 18364758544493066240.0},
    {WWTP_TYPE_UINT64, C, {0x3800, 0x7654, 0xBA98, 0xFEDC}, 18364758544493066240.0},
    {WWTP_TYPE_UINT64, B, {0xDCFE, 0x98BA, 0x5476, 0x0038}, 18364758544493066240.0},
    {WWTP_TYPE_UINT64, D, {0x0038, 0x5476, 0x98BA, 0xDCFE}, 18364758544493066240.0},
    /* uint64 4822678189205111 */
    {WWTP_TYPE_UINT64, A, {0x0011, 0x2233, 0x4455, 0x6677}, 4822678189205111.0},
    {WWTP_TYPE_UINT64, D, {0x7766, 0x5544, 0x3322, 0x1100}, 4822678189205111.0},
    /* float32 42.1f = 0x42286666 */
    {WWTP_TYPE_FLOAT32, A, {0x4228, 0x6666}, 42.1}, /* read as the decimal the float stands for */
    {WWTP_TYPE_FLOAT32, C, {0x6666, 0x4228}, 42.1}, /* read as the decimal the float stands for */
    {WWTP_TYPE_FLOAT32, B, {0x2842, 0x6666}, 42.1}, /* read as the decimal the float stands for */
    {WWTP_TYPE_FLOAT32, D, {0x6666, 0x2842}, 42.1}, /* read as the decimal the float stands for */
    /* float32 -1.5 = 0xBFC00000 */
    {WWTP_TYPE_FLOAT32, A, {0xBFC0, 0x0000}, -1.5},
    {WWTP_TYPE_FLOAT32, C, {0x0000, 0xBFC0}, -1.5},
    {WWTP_TYPE_FLOAT32, B, {0xC0BF, 0x0000}, -1.5},
    {WWTP_TYPE_FLOAT32, D, {0x0000, 0xC0BF}, -1.5},
    /* float64 123.456 = 0x405EDD2F1A9FBE77 */
    {WWTP_TYPE_FLOAT64, A, {0x405E, 0xDD2F, 0x1A9F, 0xBE77}, 123.456},
    {WWTP_TYPE_FLOAT64, C, {0xBE77, 0x1A9F, 0xDD2F, 0x405E}, 123.456},
    {WWTP_TYPE_FLOAT64, B, {0x5E40, 0x2FDD, 0x9F1A, 0x77BE}, 123.456},
    {WWTP_TYPE_FLOAT64, D, {0x77BE, 0x9F1A, 0x2FDD, 0x5E40}, 123.456},
    /* float64 -2.0 = 0xC000000000000000 */
    {WWTP_TYPE_FLOAT64, A, {0xC000, 0x0000, 0x0000, 0x0000}, -2.0},
    {WWTP_TYPE_FLOAT64, C, {0x0000, 0x0000, 0x0000, 0xC000}, -2.0},
    {WWTP_TYPE_FLOAT64, B, {0x00C0, 0x0000, 0x0000, 0x0000}, -2.0},
    {WWTP_TYPE_FLOAT64, D, {0x0000, 0x0000, 0x0000, 0x00C0}, -2.0},
    /* bool on a whole register: non-zero is on */
    {WWTP_TYPE_BOOL, A, {0x0001}, 1},
    {WWTP_TYPE_BOOL, A, {0x0000}, 0},
};

#undef A
#undef B
#undef C
#undef D

static int nregs_of(enum wwtp_type t)
{
	switch (t) {
	case WWTP_TYPE_INT32:
	case WWTP_TYPE_UINT32:
	case WWTP_TYPE_FLOAT32:
		return 2;
	case WWTP_TYPE_INT64:
	case WWTP_TYPE_UINT64:
	case WWTP_TYPE_FLOAT64:
		return 4;
	default:
		return 1;
	}
}

static void test_every_type_and_order_decodes(void **state)
{
	(void)state;
	/* Each of the 8 multi-byte types appears with each of the 4 orders. */
	int seen[9][4] = {{0}};
	for (size_t i = 0; i < NELEM(vecs); i++) {
		const struct vec *v = &vecs[i];
		struct wwtp_point p = mkpoint(v->type, v->order);
		double got = -12345.0;
		char what[96];
		snprintf(what, sizeof what, "vec %zu (%s %s)", i, wwtp_type_name(v->type),
			 wwtp_order_name(v->order));
		int rc = wwtp_decode_regs(&p, v->words, (size_t)nregs_of(v->type), &got);
		if (rc != 0)
			fail_msg("%s: rc %d", what, rc);
		check_exact(got, v->value, what);
		seen[v->type][v->order] = 1;
	}
	for (int t = WWTP_TYPE_INT16; t <= WWTP_TYPE_FLOAT64; t++)
		for (int o = 0; o < 4; o++)
			if (!seen[t][o])
				fail_msg("no vector for type %d order %d", t, o);
}

static void test_every_type_and_order_encodes(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(vecs); i++) {
		const struct vec *v = &vecs[i];
		struct wwtp_point p = mkpoint(v->type, v->order);
		uint16_t regs[4] = {0xAAAA, 0xAAAA, 0xAAAA, 0xAAAA};
		int n = nregs_of(v->type);
		int rc = wwtp_encode_regs(&p, v->value, regs, (size_t)n);
		if (rc != 0)
			fail_msg("vec %zu: encode rc %d", i, rc);
		for (int w = 0; w < n; w++)
			if (regs[w] != v->words[w])
				fail_msg("vec %zu (%s %s) word %d: got 0x%04X, want 0x%04X", i,
					 wwtp_type_name(v->type), wwtp_order_name(v->order), w,
					 regs[w], v->words[w]);
		/* Registers past the value are not touched. */
		for (int w = n; w < 4; w++)
			assert_int_equal(regs[w], 0xAAAA);
	}
}

/* The wrong order gives a plausible-looking but wrong number: the test
 * pins the values docs/decoding.md quotes for 42.1 read with each order. */
static void test_wrong_order_values(void **state)
{
	(void)state;
	const uint16_t abcd[2] = {0x4228, 0x6666};
	double got;
	struct wwtp_point p = mkpoint(WWTP_TYPE_FLOAT32, WWTP_ORDER_CDAB);
	assert_int_equal(wwtp_decode_regs(&p, abcd, 2, &got), 0); /* 0x66664228 */
	check_near(got, 2.7184116e23, 1e17, "42.1 read as CDAB");
	p.order = WWTP_ORDER_BADC; /* 0x28426666 */
	assert_int_equal(wwtp_decode_regs(&p, abcd, 2, &got), 0);
	check_near(got, 1.0791367e-14, 1e-20, "42.1 read as BADC");
	p.order = WWTP_ORDER_DCBA; /* 0x66662842 */
	assert_int_equal(wwtp_decode_regs(&p, abcd, 2, &got), 0);
	check_near(got, 2.7172173e23, 1e17, "42.1 read as DCBA");
}

static void test_scale_offset(void **state)
{
	(void)state;
	double got;
	/* int16 -123 = 0xFF85, x0.1 + 2 = -10.3 */
	struct wwtp_point p = mkpoint(WWTP_TYPE_INT16, WWTP_ORDER_ABCD);
	p.scale = 0.1;
	p.offset = 2.0;
	const uint16_t r1[1] = {0xFF85};
	assert_int_equal(wwtp_decode_regs(&p, r1, 1, &got), 0);
	check_near(got, -10.3, 1e-12, "int16 scaled");

	/* Turbidity x100 in a uint32 CDAB: 123456 = 0x0001E240 -> 1234.56 */
	p = mkpoint(WWTP_TYPE_UINT32, WWTP_ORDER_CDAB);
	p.scale = 0.01;
	const uint16_t r2[2] = {0xE240, 0x0001};
	assert_int_equal(wwtp_decode_regs(&p, r2, 2, &got), 0);
	check_near(got, 1234.56, 1e-9, "uint32 x0.01");

	/* A float with an offset: 4-20 mA style 12.0 mA - 4 = 8.0 */
	p = mkpoint(WWTP_TYPE_FLOAT32, WWTP_ORDER_ABCD);
	p.offset = -4.0;
	const uint16_t r3[2] = {0x4140, 0x0000}; /* 12.0f */
	assert_int_equal(wwtp_decode_regs(&p, r3, 2, &got), 0);
	check_exact(got, 8.0, "float offset");

	/* Encoding undoes it: -10.3 -> raw -123 -> 0xFF85 */
	p = mkpoint(WWTP_TYPE_INT16, WWTP_ORDER_ABCD);
	p.scale = 0.1;
	p.offset = 2.0;
	uint16_t out[1] = {0};
	assert_int_equal(wwtp_encode_regs(&p, -10.3, out, 1), 0);
	assert_int_equal(out[0], 0xFF85);
	/* ...and in BADC */
	p.order = WWTP_ORDER_BADC;
	assert_int_equal(wwtp_encode_regs(&p, -10.3, out, 1), 0);
	assert_int_equal(out[0], 0x85FF);
}

static void test_bits(void **state)
{
	(void)state;
	double got;
	struct wwtp_point p = mkpoint(WWTP_TYPE_BOOL, WWTP_ORDER_ABCD);
	const uint16_t r[1] = {0x8001};
	const uint16_t inv[1] = {0x7FFE};

	p.bit = 0;
	assert_int_equal(wwtp_decode_regs(&p, r, 1, &got), 0);
	check_exact(got, 1.0, "bit 0 of 0x8001");
	assert_int_equal(wwtp_decode_regs(&p, inv, 1, &got), 0);
	check_exact(got, 0.0, "bit 0 of 0x7FFE");
	p.bit = 15;
	assert_int_equal(wwtp_decode_regs(&p, r, 1, &got), 0);
	check_exact(got, 1.0, "bit 15 of 0x8001");
	assert_int_equal(wwtp_decode_regs(&p, inv, 1, &got), 0);
	check_exact(got, 0.0, "bit 15 of 0x7FFE");
	p.bit = 1;
	assert_int_equal(wwtp_decode_regs(&p, r, 1, &got), 0);
	check_exact(got, 0.0, "bit 1 of 0x8001");

	/* The order does not apply to a bit: bit 0 is the least significant bit
	 * of the register as received. */
	p.order = WWTP_ORDER_DCBA;
	p.bit = 0;
	assert_int_equal(wwtp_decode_regs(&p, r, 1, &got), 0);
	check_exact(got, 1.0, "bit 0 DCBA");

	/* Out of range bit numbers. */
	p.bit = 16;
	assert_int_equal(wwtp_decode_regs(&p, r, 1, &got), WWTP_ERR_INVAL);
	p.bit = -2;
	assert_int_equal(wwtp_decode_regs(&p, r, 1, &got), WWTP_ERR_INVAL);
}

static void test_bit_encode(void **state)
{
	(void)state;
	struct wwtp_point p = mkpoint(WWTP_TYPE_BOOL, WWTP_ORDER_ABCD);
	uint16_t r[1] = {0x1234};

	p.bit = 15;
	assert_int_equal(wwtp_encode_regs(&p, 1.0, r, 1), 0);
	assert_int_equal(r[0], 0x9234);
	p.bit = 4; /* 0x34 has bit 4 set */
	assert_int_equal(wwtp_encode_regs(&p, 0.0, r, 1), 0);
	assert_int_equal(r[0], 0x9224);
	p.bit = 0;
	assert_int_equal(wwtp_encode_regs(&p, 1.0, r, 1), 0);
	assert_int_equal(r[0], 0x9225);
	assert_int_equal(wwtp_encode_regs(&p, 0.0, r, 1), 0);
	assert_int_equal(r[0], 0x9224);
	/* Only 0 and 1 fit a bit. */
	assert_int_equal(wwtp_encode_regs(&p, 2.0, r, 1), WWTP_ERR_RANGE);
	assert_int_equal(wwtp_encode_regs(&p, -1.0, r, 1), WWTP_ERR_RANGE);
	assert_int_equal(wwtp_encode_regs(&p, NAN, r, 1), WWTP_ERR_NAN);
	assert_int_equal(r[0], 0x9224);

	/* A bit point with a wider type still touches one register only. */
	p = mkpoint(WWTP_TYPE_UINT32, WWTP_ORDER_ABCD);
	p.bit = 3;
	uint16_t two[2] = {0x0000, 0xBEEF};
	assert_int_equal(wwtp_encode_regs(&p, 1.0, two, 1), 0);
	assert_int_equal(two[0], 0x0008);
	assert_int_equal(two[1], 0xBEEF);
}

static void test_decode_bit(void **state)
{
	(void)state;
	double got = -1;
	struct wwtp_point p = mkpoint(WWTP_TYPE_BOOL, WWTP_ORDER_ABCD);
	p.table = WWTP_TABLE_COIL;
	assert_int_equal(wwtp_decode_bit(&p, 1, &got), 0);
	check_exact(got, 1.0, "coil 1");
	assert_int_equal(wwtp_decode_bit(&p, 0, &got), 0);
	check_exact(got, 0.0, "coil 0");
	assert_int_equal(wwtp_decode_bit(&p, 0xFF, &got), 0);
	check_exact(got, 1.0, "coil 0xFF");
	p.table = WWTP_TABLE_DISCRETE;
	p.scale = -1.0; /* an inverted contact: closed = 0 */
	p.offset = 1.0;
	assert_int_equal(wwtp_decode_bit(&p, 1, &got), 0);
	check_exact(got, 0.0, "inverted discrete");
	/* Not for register points. */
	p.table = WWTP_TABLE_HOLDING;
	assert_int_equal(wwtp_decode_bit(&p, 1, &got), WWTP_ERR_INVAL);
}

static void test_nan_and_inf(void **state)
{
	(void)state;
	double got = 7.0;
	struct wwtp_point p = mkpoint(WWTP_TYPE_FLOAT32, WWTP_ORDER_ABCD);

	/* E+H Liquiline "no value" */
	const uint16_t nan_abcd[2] = {0x7FA0, 0x0000};
	assert_int_equal(wwtp_decode_regs(&p, nan_abcd, 2, &got), WWTP_ERR_NAN);
	check_exact(got, 7.0, "untouched after NaN");
	p.order = WWTP_ORDER_CDAB;
	const uint16_t nan_cdab[2] = {0x0000, 0x7FA0};
	assert_int_equal(wwtp_decode_regs(&p, nan_cdab, 2, &got), WWTP_ERR_NAN);
	p.order = WWTP_ORDER_DCBA;
	const uint16_t nan_dcba[2] = {0x0000, 0xA07F};
	assert_int_equal(wwtp_decode_regs(&p, nan_dcba, 2, &got), WWTP_ERR_NAN);
	/* The same words read with the wrong order: a tiny subnormal, not NaN. */
	p.order = WWTP_ORDER_CDAB;
	assert_int_equal(wwtp_decode_regs(&p, nan_abcd, 2, &got), 0);
	check_near(got, 4.5783e-41, 1e-44, "0x7FA00000 read as CDAB");

	p.order = WWTP_ORDER_ABCD;
	const uint16_t pinf[2] = {0x7F80, 0x0000};
	const uint16_t ninf[2] = {0xFF80, 0x0000};
	const uint16_t qnan[2] = {0xFFC0, 0x0000};
	got = 7.0;
	assert_int_equal(wwtp_decode_regs(&p, pinf, 2, &got), WWTP_ERR_NAN);
	assert_int_equal(wwtp_decode_regs(&p, ninf, 2, &got), WWTP_ERR_NAN);
	assert_int_equal(wwtp_decode_regs(&p, qnan, 2, &got), WWTP_ERR_NAN);
	check_exact(got, 7.0, "untouched after inf");

	p = mkpoint(WWTP_TYPE_FLOAT64, WWTP_ORDER_ABCD);
	const uint16_t dnan[4] = {0x7FF8, 0, 0, 0};
	const uint16_t dinf[4] = {0xFFF0, 0, 0, 0};
	assert_int_equal(wwtp_decode_regs(&p, dnan, 4, &got), WWTP_ERR_NAN);
	assert_int_equal(wwtp_decode_regs(&p, dinf, 4, &got), WWTP_ERR_NAN);
	p.order = WWTP_ORDER_DCBA;
	const uint16_t dnan_dcba[4] = {0, 0, 0, 0xF87F};
	assert_int_equal(wwtp_decode_regs(&p, dnan_dcba, 4, &got), WWTP_ERR_NAN);

	/* The simulator can put NaN on the wire; it reads back as no value. */
	p = mkpoint(WWTP_TYPE_FLOAT32, WWTP_ORDER_CDAB);
	uint16_t r[2] = {0, 0};
	assert_int_equal(wwtp_encode_regs(&p, NAN, r, 2), 0);
	assert_int_equal(wwtp_decode_regs(&p, r, 2, &got), WWTP_ERR_NAN);

	/* A finite value that overflows with its scale is refused. */
	p = mkpoint(WWTP_TYPE_FLOAT64, WWTP_ORDER_ABCD);
	p.scale = 1e300;
	const uint16_t big[4] = {0x7FEF, 0xFFFF, 0xFFFF, 0xFFFF}; /* DBL_MAX */
	assert_int_equal(wwtp_decode_regs(&p, big, 4, &got), WWTP_ERR_RANGE);
}

static void test_invalid_arguments(void **state)
{
	(void)state;
	double got;
	const uint16_t r[4] = {0, 0, 0, 0};
	uint16_t w[4] = {0, 0, 0, 0};
	struct wwtp_point p;

	p = mkpoint(WWTP_TYPE_INT32, WWTP_ORDER_ABCD);
	assert_int_equal(wwtp_decode_regs(&p, r, 1, &got), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_encode_regs(&p, 1.0, w, 1), WWTP_ERR_INVAL);
	p = mkpoint(WWTP_TYPE_FLOAT32, WWTP_ORDER_ABCD);
	assert_int_equal(wwtp_decode_regs(&p, r, 1, &got), WWTP_ERR_INVAL);
	p = mkpoint(WWTP_TYPE_FLOAT64, WWTP_ORDER_ABCD);
	assert_int_equal(wwtp_decode_regs(&p, r, 3, &got), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_encode_regs(&p, 1.0, w, 3), WWTP_ERR_INVAL);
	p = mkpoint(WWTP_TYPE_UINT64, WWTP_ORDER_ABCD);
	assert_int_equal(wwtp_decode_regs(&p, r, 3, &got), WWTP_ERR_INVAL);
	p = mkpoint(WWTP_TYPE_INT16, WWTP_ORDER_ABCD);
	assert_int_equal(wwtp_decode_regs(&p, r, 0, &got), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_encode_regs(&p, 1.0, w, 0), WWTP_ERR_INVAL);
	/* More registers than needed is fine. */
	assert_int_equal(wwtp_decode_regs(&p, r, 4, &got), 0);

	/* Coils and discrete inputs are not register points. */
	p.table = WWTP_TABLE_COIL;
	assert_int_equal(wwtp_decode_regs(&p, r, 1, &got), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_encode_regs(&p, 1.0, w, 1), WWTP_ERR_INVAL);
	p.table = WWTP_TABLE_DISCRETE;
	assert_int_equal(wwtp_decode_regs(&p, r, 1, &got), WWTP_ERR_INVAL);

	/* Bad enum values from a corrupted point. */
	p = mkpoint(WWTP_TYPE_INT16, WWTP_ORDER_ABCD);
	p.order = (enum wwtp_order)4;
	assert_int_equal(wwtp_decode_regs(&p, r, 4, &got), WWTP_ERR_INVAL);
	p = mkpoint((enum wwtp_type)9, WWTP_ORDER_ABCD);
	assert_int_equal(wwtp_decode_regs(&p, r, 4, &got), WWTP_ERR_INVAL);

	/* scale 0 cannot be inverted. */
	p = mkpoint(WWTP_TYPE_INT16, WWTP_ORDER_ABCD);
	p.scale = 0.0;
	assert_int_equal(wwtp_encode_regs(&p, 1.0, w, 1), WWTP_ERR_INVAL);

	/* NULLs */
	p = mkpoint(WWTP_TYPE_INT16, WWTP_ORDER_ABCD);
	assert_int_equal(wwtp_decode_regs(NULL, r, 1, &got), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_decode_regs(&p, NULL, 1, &got), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_decode_regs(&p, r, 1, NULL), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_encode_regs(NULL, 1.0, w, 1), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_encode_regs(&p, 1.0, NULL, 1), WWTP_ERR_INVAL);
}

static void expect_range(enum wwtp_type t, double v)
{
	struct wwtp_point p = mkpoint(t, WWTP_ORDER_ABCD);
	uint16_t r[4] = {0x5555, 0x5555, 0x5555, 0x5555};
	int rc = wwtp_encode_regs(&p, v, r, 4);
	if (rc != WWTP_ERR_RANGE)
		fail_msg("%s %.17g: rc %d, want WWTP_ERR_RANGE", wwtp_type_name(t), v, rc);
	/* Nothing written on error. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(r[i], 0x5555);
}

static void expect_words(enum wwtp_type t, double v, uint16_t w0, uint16_t w1)
{
	struct wwtp_point p = mkpoint(t, WWTP_ORDER_ABCD);
	uint16_t r[4] = {0, 0, 0, 0};
	int rc = wwtp_encode_regs(&p, v, r, 4);
	if (rc != 0)
		fail_msg("%s %.17g: rc %d", wwtp_type_name(t), v, rc);
	if (r[0] != w0 || (nregs_of(t) > 1 && r[1] != w1))
		fail_msg("%s %.17g: got 0x%04X 0x%04X, want 0x%04X 0x%04X", wwtp_type_name(t), v,
			 r[0], r[1], w0, w1);
}

static void test_encode_range_and_rounding(void **state)
{
	(void)state;
	expect_range(WWTP_TYPE_INT16, 32768.0);
	expect_range(WWTP_TYPE_INT16, 32767.5); /* rounds to 32768 */
	expect_range(WWTP_TYPE_INT16, -32769.0);
	expect_range(WWTP_TYPE_UINT16, 65536.0);
	expect_range(WWTP_TYPE_UINT16, -1.0);
	expect_range(WWTP_TYPE_INT32, 2147483648.0);
	expect_range(WWTP_TYPE_INT32, -2147483649.0);
	expect_range(WWTP_TYPE_UINT32, 4294967296.0);
	expect_range(WWTP_TYPE_UINT32, -0.6);
	expect_range(WWTP_TYPE_INT64, 9223372036854775808.0);
	expect_range(WWTP_TYPE_INT64, -9223372036854777856.0); /* next double below -2^63 */
	expect_range(WWTP_TYPE_UINT64, 18446744073709551616.0);
	expect_range(WWTP_TYPE_UINT64, -1.0);
	expect_range(WWTP_TYPE_INT32, INFINITY);
	expect_range(WWTP_TYPE_INT16, -INFINITY);
	expect_range(WWTP_TYPE_FLOAT32, 1e39);
	expect_range(WWTP_TYPE_FLOAT32, -1e39);
	expect_range(WWTP_TYPE_BOOL, 2.0);

	/* The edges themselves fit. */
	expect_words(WWTP_TYPE_INT16, 32767.0, 0x7FFF, 0);
	expect_words(WWTP_TYPE_INT16, 32767.4, 0x7FFF, 0);
	expect_words(WWTP_TYPE_INT16, -32768.0, 0x8000, 0);
	expect_words(WWTP_TYPE_UINT16, 65535.0, 0xFFFF, 0);
	expect_words(WWTP_TYPE_UINT16, -0.4, 0x0000, 0);
	expect_words(WWTP_TYPE_INT32, 2147483647.0, 0x7FFF, 0xFFFF);
	expect_words(WWTP_TYPE_INT32, -2147483648.0, 0x8000, 0x0000);
	expect_words(WWTP_TYPE_UINT32, 4294967295.0, 0xFFFF, 0xFFFF);
	expect_words(WWTP_TYPE_INT64, -9223372036854775808.0, 0x8000, 0x0000);
	/* Rounding to nearest, halves away from zero. */
	expect_words(WWTP_TYPE_INT16, 2.4, 0x0002, 0);
	expect_words(WWTP_TYPE_INT16, 2.5, 0x0003, 0);
	expect_words(WWTP_TYPE_INT16, 2.6, 0x0003, 0);
	expect_words(WWTP_TYPE_INT16, -2.6, 0xFFFD, 0);
	expect_words(WWTP_TYPE_UINT32, 65535.7, 0x0001, 0x0000);
	/* Float types just cast. */
	expect_words(WWTP_TYPE_FLOAT32, 42.1, 0x4228, 0x6666);
	expect_words(WWTP_TYPE_FLOAT64, 123.456, 0x405E, 0xDD2F);

	/* NaN cannot be an integer. */
	struct wwtp_point p = mkpoint(WWTP_TYPE_INT32, WWTP_ORDER_ABCD);
	uint16_t r[2] = {0, 0};
	assert_int_equal(wwtp_encode_regs(&p, NAN, r, 2), WWTP_ERR_NAN);
	p.type = WWTP_TYPE_UINT64;
	uint16_t r4[4] = {0, 0, 0, 0};
	assert_int_equal(wwtp_encode_regs(&p, NAN, r4, 4), WWTP_ERR_NAN);

	/* Range is checked on the raw value, after scale and offset: 100.0 with
	 * scale 0.001 is raw 100000, too big for int16. */
	p = mkpoint(WWTP_TYPE_INT16, WWTP_ORDER_ABCD);
	p.scale = 0.001;
	assert_int_equal(wwtp_encode_regs(&p, 100.0, r, 1), WWTP_ERR_RANGE);
	assert_int_equal(wwtp_encode_regs(&p, 30.0, r, 1), 0);
	assert_int_equal(r[0], 30000);
}

/* Encode then decode gives the value back, for every type and order and a
 * spread of values, with scale and offset. */
static void test_round_trips(void **state)
{
	(void)state;
	static const double ints[] = {0, 1, -1, 127, -128, 255, 1000, -32768, 32767, 65535};
	static const double wide[] = {0,
				      1,
				      -1,
				      2147483647.0,
				      -2147483648.0,
				      4294967295.0,
				      9007199254740992.0,
				      -9007199254740992.0};
	static const double reals[] = {0.0, -0.0, 42.1, -1.5, 1e-30, 3.4e38, 7.25, 1e300};
	for (int t = WWTP_TYPE_BOOL; t <= WWTP_TYPE_FLOAT64; t++) {
		for (int o = 0; o < 4; o++) {
			const double *vals = ints;
			size_t nv = NELEM(ints);
			if (t >= WWTP_TYPE_INT32 && t <= WWTP_TYPE_UINT64) {
				vals = wide;
				nv = NELEM(wide);
			} else if (t >= WWTP_TYPE_FLOAT32) {
				vals = reals;
				nv = NELEM(reals);
			}
			for (size_t i = 0; i < nv; i++) {
				struct wwtp_point p =
				    mkpoint((enum wwtp_type)t, (enum wwtp_order)o);
				uint16_t r[4] = {0, 0, 0, 0};
				double back = 0;
				double v = vals[i];
				int rc = wwtp_encode_regs(&p, v, r, 4);
				if (rc == WWTP_ERR_RANGE)
					continue; /* e.g. -1 in a uint16, 1e300 in a float32 */
				if (rc != 0)
					fail_msg("type %d order %d value %g: encode rc %d", t, o, v,
						 rc);
				rc = wwtp_decode_regs(&p, r, 4, &back);
				if (rc != 0)
					fail_msg("type %d order %d value %g: decode rc %d", t, o, v,
						 rc);
				/* Float32 values come back as the short decimal they were written
				 * as. */
				double want = v;
				if (t == WWTP_TYPE_BOOL)
					want = v != 0 ? 1.0 : 0.0;
				char what[64];
				snprintf(what, sizeof what, "round trip type %d order %d", t, o);
				check_exact(back, want, what);

				/* With a scale and offset as a loader would give. */
				p.scale = 0.5;
				p.offset = 10.0;
				double sv = v * 0.5 + 10.0;
				if (wwtp_encode_regs(&p, sv, r, 4) != 0)
					continue;
				assert_int_equal(wwtp_decode_regs(&p, r, 4, &back), 0);
				check_near(back, sv, fabs(sv) * 1e-6 + 1e-9, what);
			}
		}
	}
}

/* Every one of the 65536 int16 words, decoded as ABCD and (byte-swapped) as
 * DCBA, and encoded back. */
static void test_int16_all_words(void **state)
{
	(void)state;
	for (uint32_t w = 0; w <= 0xFFFF; w++) {
		struct wwtp_point p = mkpoint(WWTP_TYPE_INT16, WWTP_ORDER_ABCD);
		const uint16_t r[1] = {(uint16_t)w};
		const uint16_t sw[1] = {(uint16_t)(((w & 0xFF) << 8) | (w >> 8))};
		double want = w >= 0x8000 ? (double)w - 65536.0 : (double)w;
		double got;
		assert_int_equal(wwtp_decode_regs(&p, r, 1, &got), 0);
		check_exact(got, want, "int16 ABCD sweep");
		p.order = WWTP_ORDER_DCBA;
		assert_int_equal(wwtp_decode_regs(&p, sw, 1, &got), 0);
		check_exact(got, want, "int16 DCBA sweep");
		uint16_t out[1];
		assert_int_equal(wwtp_encode_regs(&p, want, out, 1), 0);
		assert_int_equal(out[0], sw[0]);
	}
}

static void test_status_value_mode(void **state)
{
	(void)state;
	struct wwtp_status_src s;
	memset(&s, 0, sizeof s);
	s.mode = WWTP_STATUS_VALUE;
	s.table = WWTP_TABLE_INPUT;
	s.calibrating = 2;
	s.fault = 3;
	assert_int_equal(wwtp_decode_status(&s, 0), WWTP_READING_OK);
	assert_int_equal(wwtp_decode_status(&s, 1), WWTP_READING_OK);
	assert_int_equal(wwtp_decode_status(&s, 2), WWTP_READING_CALIBRATING);
	assert_int_equal(wwtp_decode_status(&s, 3), WWTP_READING_FAULT);
	/* Equality, not bits: 3 | 4 is not a fault. */
	assert_int_equal(wwtp_decode_status(&s, 7), WWTP_READING_OK);
	assert_int_equal(wwtp_decode_status(&s, 0xFFFF), WWTP_READING_OK);
	/* Same value configured for both: fault wins. */
	s.calibrating = 5;
	s.fault = 5;
	assert_int_equal(wwtp_decode_status(&s, 5), WWTP_READING_FAULT);
}

static void test_status_bits_mode(void **state)
{
	(void)state;
	struct wwtp_status_src s;
	memset(&s, 0, sizeof s);
	s.mode = WWTP_STATUS_BITS;
	s.table = WWTP_TABLE_HOLDING;
	s.calibrating = 0x0001;
	s.fault = 0x0006;
	assert_int_equal(wwtp_decode_status(&s, 0x0000), WWTP_READING_OK);
	assert_int_equal(wwtp_decode_status(&s, 0x0008), WWTP_READING_OK);
	assert_int_equal(wwtp_decode_status(&s, 0x0001), WWTP_READING_CALIBRATING);
	assert_int_equal(wwtp_decode_status(&s, 0x0002), WWTP_READING_FAULT);
	assert_int_equal(wwtp_decode_status(&s, 0x0004), WWTP_READING_FAULT);
	assert_int_equal(wwtp_decode_status(&s, 0x0005), WWTP_READING_FAULT); /* fault wins */
	assert_int_equal(wwtp_decode_status(&s, 0x8009), WWTP_READING_CALIBRATING);
	/* Mask 0 means never. */
	s.calibrating = 0;
	assert_int_equal(wwtp_decode_status(&s, 0xFFF9), WWTP_READING_OK);
	s.fault = 0;
	assert_int_equal(wwtp_decode_status(&s, 0xFFFF), WWTP_READING_OK);
	s.calibrating = 0x8000;
	assert_int_equal(wwtp_decode_status(&s, 0x8000), WWTP_READING_CALIBRATING);
}

static void test_status_none(void **state)
{
	(void)state;
	struct wwtp_status_src s;
	memset(&s, 0, sizeof s);
	s.mode = WWTP_STATUS_NONE;
	s.calibrating = 1;
	s.fault = 0xFFFF;
	assert_int_equal(wwtp_decode_status(&s, 0xFFFF), WWTP_READING_OK);
	assert_int_equal(wwtp_decode_status(&s, 1), WWTP_READING_OK);
	assert_int_equal(wwtp_decode_status(NULL, 1), WWTP_READING_OK);
}

/* A decimal scale gives the decimal the instrument meant: 777 x 0.01 is 7.77
 * exactly as a double can hold it, not 7.7700000000000005. */
static void test_decimal_scale_is_exact(void **state)
{
	(void)state;
	struct wwtp_point p = mkpoint(WWTP_TYPE_UINT16, WWTP_ORDER_ABCD);
	uint16_t r[1] = {777};
	double v = 0;
	p.scale = 0.01;
	assert_int_equal(wwtp_decode_regs(&p, r, 1, &v), 0);
	check_exact(v, 7.77, "777 x 0.01");
	r[0] = 4210;
	assert_int_equal(wwtp_decode_regs(&p, r, 1, &v), 0);
	check_exact(v, 42.1, "4210 x 0.01");
	p.scale = 0.1;
	p.offset = -40.0;
	r[0] = 653;
	assert_int_equal(wwtp_decode_regs(&p, r, 1, &v), 0);
	check_exact(v, 65.3 - 40.0, "653 x 0.1 - 40");
	p.scale = 0.25; /* not 1/integer... but 1/4 is: still exact either way */
	p.offset = 0;
	r[0] = 3;
	assert_int_equal(wwtp_decode_regs(&p, r, 1, &v), 0);
	check_exact(v, 0.75, "3 x 0.25");
	p.scale = 2.5; /* above 1: multiplied */
	assert_int_equal(wwtp_decode_regs(&p, r, 1, &v), 0);
	check_exact(v, 7.5, "3 x 2.5");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decimal_scale_is_exact),
	    cmocka_unit_test(test_every_type_and_order_decodes),
	    cmocka_unit_test(test_every_type_and_order_encodes),
	    cmocka_unit_test(test_wrong_order_values),
	    cmocka_unit_test(test_scale_offset),
	    cmocka_unit_test(test_bits),
	    cmocka_unit_test(test_bit_encode),
	    cmocka_unit_test(test_decode_bit),
	    cmocka_unit_test(test_nan_and_inf),
	    cmocka_unit_test(test_invalid_arguments),
	    cmocka_unit_test(test_encode_range_and_rounding),
	    cmocka_unit_test(test_round_trips),
	    cmocka_unit_test(test_int16_all_words),
	    cmocka_unit_test(test_status_value_mode),
	    cmocka_unit_test(test_status_bits_mode),
	    cmocka_unit_test(test_status_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
