/* fuzz_modbus.c - the edge's side of a Modbus response: a device's points
 * (as the loader would accept them), the read plan that merges them into
 * requests (drivers/plan.c), then register words and bits from the input
 * as the answer to each request, decoded per point with the point's type,
 * order, bit, scale and offset, and status registers (drivers/decode.c).
 * libmodbus parses the frames themselves; this is what we do with the
 * registers it hands over.
 *
 * Promises checked: every item lies inside its block, blocks respect the
 * per-request limit and come sorted; a value decoded without error is
 * finite; a float that is NaN or infinite, and nothing else, is "no value";
 * status is ok, calibrating or fault; and encoding a decoded value (what
 * the simulator does) reads back as the same value, word for word for 16-
 * and 32-bit integers and single bits. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../drivers/decode.h"
#include "../../drivers/plan.h"
#include "../../payload/payload.h"
#include "../../util/err.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_POINTS 12

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

static uint16_t rd_u16(struct rd *r)
{
	uint16_t hi = rd_byte(r);
	return (uint16_t)(hi << 8 | rd_byte(r));
}

/* Scales and offsets people write, and extremes. `exact`: values decoded
 * with them encode back to the same raw integer (no precision lost). */
static const struct {
	double v;
	int exact;
} scales[] = {{1.0, 1},	    {0.1, 1},	{0.01, 1},	{0.001, 1},  {10.0, 1},	 {-1.0, 1},
	      {0.5, 1},	    {0.3, 1},	{1.0 / 3.0, 1}, {1e-300, 0}, {1e300, 0}, {1e-5, 1},
	      {DBL_MIN, 0}, {-0.25, 1}, {1e6, 1},	{2.0, 1}};
static const struct {
	double v;
	int exact;
} offsets[] = {{0.0, 1},  {1.0, 1}, {-273.15, 1}, {1e308, 0},
	       {-0.5, 1}, {4.0, 1}, {-1e308, 0},  {100.0, 1}};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void rd_status(struct rd *r, struct wwtp_status_src *s)
{
	uint8_t b = rd_byte(r);
	memset(s, 0, sizeof(*s));
	s->mode = (enum wwtp_status_mode)(b % 3);
	if (s->mode == WWTP_STATUS_NONE)
		return;
	s->table = (b & 4) ? WWTP_TABLE_INPUT : WWTP_TABLE_HOLDING;
	s->address = rd_u16(r);
	s->calibrating = rd_u16(r);
	s->fault = rd_u16(r);
}

/* A point the loader would accept (station_config.c's checks). */
static void rd_point(struct rd *r, struct wwtp_point *p, int *exact)
{
	uint8_t a = rd_byte(r), b = rd_byte(r), c = rd_byte(r);
	memset(p, 0, sizeof(*p));
	p->table = (enum wwtp_table)(a & 3);
	p->type = (enum wwtp_type)((a >> 2) % 9);
	p->order = (enum wwtp_order)(a >> 6);
	p->bit = (b & 0x10) ? (b & 15) : -1;
	p->address = rd_u16(r);
	p->scale = scales[(c & 0xF) % NELEM(scales)].v;
	p->offset = offsets[(c >> 4) % NELEM(offsets)].v;
	*exact =
	    scales[(c & 0xF) % NELEM(scales)].exact && offsets[(c >> 4) % NELEM(offsets)].exact;
	if (p->table == WWTP_TABLE_COIL || p->table == WWTP_TABLE_DISCRETE) {
		p->type = WWTP_TYPE_BOOL;
		p->bit = -1;
	} else {
		if (p->type == WWTP_TYPE_BOOL)
			p->type = WWTP_TYPE_UINT16;
		if (p->type != WWTP_TYPE_INT16 && p->type != WWTP_TYPE_UINT16)
			p->bit = -1;
	}
	int regs = wwtp_type_regs(p->type);
	if (p->address + regs - 1 > 65535)
		p->address = (uint16_t)(65536 - regs);
	if (b & 0x20)
		rd_status(r, &p->status);
}

static int is_bits(enum wwtp_table t)
{
	return t == WWTP_TABLE_COIL || t == WWTP_TABLE_DISCRETE;
}

static void check_plan(const struct wwtp_read_item *items, size_t n,
		       const struct wwtp_read_plan *pl, int max_regs)
{
	FUZZ_ASSERT(pl->nitems == n && pl->nblocks >= 1 && pl->nblocks <= n);
	for (size_t k = 0; k < pl->nblocks; k++) {
		const struct wwtp_read_block *b = &pl->blocks[k];
		unsigned limit = is_bits(b->table) ? WWTP_MAX_READ_BITS : (unsigned)max_regs;
		uint32_t lo = 65536, hi = 0;
		FUZZ_ASSERT(b->count >= 1 && b->count <= limit);
		FUZZ_ASSERT((uint32_t)b->address + b->count <= 65536u);
		if (k > 0) {
			const struct wwtp_read_block *a = &pl->blocks[k - 1];
			FUZZ_ASSERT(a->table < b->table ||
				    (a->table == b->table && a->address <= b->address));
		}
		/* A block spans exactly its items: no register read for nothing
		 * at either end. */
		for (size_t i = 0; i < n; i++) {
			if (pl->item_block[i] != k)
				continue;
			if (items[i].address < lo)
				lo = items[i].address;
			if ((uint32_t)items[i].address + items[i].count > hi)
				hi = (uint32_t)items[i].address + items[i].count;
		}
		FUZZ_ASSERT(lo == b->address && hi == (uint32_t)b->address + b->count);
	}
	for (size_t i = 0; i < n; i++) {
		FUZZ_ASSERT(pl->item_block[i] < pl->nblocks);
		const struct wwtp_read_block *b = &pl->blocks[pl->item_block[i]];
		FUZZ_ASSERT(b->table == items[i].table && b->address <= items[i].address);
		FUZZ_ASSERT((uint32_t)items[i].address + items[i].count <=
			    (uint32_t)b->address + b->count);
	}
}

/* Encoding what was decoded gives it back. */
static void round_trip(const struct wwtp_point *p, const uint16_t *regs, double v, int exact)
{
	uint16_t enc[4];
	double v2;
	int nw = p->bit >= 0 ? 1 : wwtp_type_regs(p->type);
	int unit = p->scale == 1.0 && p->offset == 0.0;

	/* A bit point changes only its bit: start from the word read. */
	memcpy(enc, regs, (size_t)nw * sizeof(uint16_t));
	int rc = wwtp_encode_regs(p, v, enc, 4);
	FUZZ_ASSERT(rc == 0 || rc == WWTP_ERR_RANGE || rc == WWTP_ERR_NAN);
	switch (p->type) {
	case WWTP_TYPE_INT16:
	case WWTP_TYPE_UINT16:
	case WWTP_TYPE_INT32:
	case WWTP_TYPE_UINT32:
		if (!exact)
			return;
		FUZZ_ASSERT(rc == 0);
		FUZZ_ASSERT(memcmp(enc, regs, (size_t)nw * sizeof(uint16_t)) == 0);
		return;
	case WWTP_TYPE_INT64:
	case WWTP_TYPE_UINT64:
		/* decode.h: beyond 2^53 a double holds them only roughly (a
		 * uint64 near 2^64 reads as 2^64, which no uint64 is). */
		if (!unit || fabs(v) > 9007199254740992.0)
			return;
		FUZZ_ASSERT(rc == 0);
		FUZZ_ASSERT(wwtp_decode_regs(p, enc, 4, &v2) == 0 && v2 == v);
		return;
	case WWTP_TYPE_FLOAT32:
	case WWTP_TYPE_FLOAT64:
		if (!unit)
			return;
		FUZZ_ASSERT(rc == 0);
		FUZZ_ASSERT(wwtp_decode_regs(p, enc, 4, &v2) == 0 && v2 == v);
		return;
	default:
		return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = {data, size};
	struct wwtp_point pts[MAX_POINTS];
	int exact[MAX_POINTS];
	struct wwtp_device dev;
	struct wwtp_read_item *items = NULL;
	long *map = NULL, dev_status = -1;
	size_t nitems = 0;
	struct wwtp_read_plan plan;

	memset(&dev, 0, sizeof(dev));
	uint8_t h = rd_byte(&r);
	dev.max_gap = (h & 0x80) ? -1 : h % 40; /* -1: the poller reads it as 0 */
	dev.max_regs = 1 + rd_byte(&r) % WWTP_MAX_READ_REGS;
	dev.npoints = 1 + rd_byte(&r) % MAX_POINTS;
	dev.points = pts;
	for (size_t i = 0; i < dev.npoints; i++)
		rd_point(&r, &pts[i], &exact[i]);
	if (h & 0x40)
		rd_status(&r, &dev.status);

	FUZZ_ASSERT(wwtp_plan_device_items(&dev, &items, &nitems, &map, &dev_status) == 0);
	/* A register point can be longer than max_regs (a float64 with
	 * max_regs 2): the loader refuses that, so skip it here. */
	for (size_t i = 0; i < nitems; i++)
		if (!is_bits(items[i].table) && items[i].count > dev.max_regs)
			goto out;
	int max_gap = dev.max_gap >= 0 ? dev.max_gap : 0;
	FUZZ_ASSERT(wwtp_plan_build(items, nitems, max_gap, dev.max_regs, &plan) == 0);
	check_plan(items, nitems, &plan, dev.max_regs);

	/* The answers: the rest of the input as big-endian words (bits: one
	 * per byte's low bit), zeros once it runs out. Each block in its own
	 * exact-size array, so that ASan sees a read past the answer. */
	uint16_t **answers = calloc(plan.nblocks, sizeof(*answers));
	FUZZ_ASSERT(answers != NULL);
	for (size_t k = 0; k < plan.nblocks; k++) {
		const struct wwtp_read_block *b = &plan.blocks[k];
		answers[k] = malloc(b->count * sizeof(uint16_t));
		FUZZ_ASSERT(answers[k] != NULL);
		for (size_t j = 0; j < b->count; j++)
			answers[k][j] = is_bits(b->table) ? (rd_byte(&r) & 1) : rd_u16(&r);
	}
	for (size_t i = 0; i < dev.npoints; i++) {
		const struct wwtp_point *p = &pts[i];
		size_t k = plan.item_block[i];
		size_t off = items[i].address - plan.blocks[k].address;
		const uint16_t *words = answers[k] + off;
		double v = NAN;
		int rc;
		if (is_bits(p->table)) {
			rc = wwtp_decode_bit(p, (uint8_t)words[0], &v);
			FUZZ_ASSERT(rc == 0 || rc == WWTP_ERR_RANGE);
		} else {
			rc = wwtp_decode_regs(p, words, items[i].count, &v);
			if (rc == WWTP_ERR_NAN)
				FUZZ_ASSERT(p->bit < 0 && (p->type == WWTP_TYPE_FLOAT32 ||
							   p->type == WWTP_TYPE_FLOAT64));
			else
				FUZZ_ASSERT(rc == 0 || rc == WWTP_ERR_RANGE);
		}
		if (rc == 0)
			FUZZ_ASSERT(isfinite(v));
		if (rc == 0 && !is_bits(p->table))
			round_trip(p, words, v, exact[i]);
		if (map[i] >= 0) {
			size_t si = (size_t)map[i], sk = plan.item_block[si];
			uint16_t w = answers[sk][items[si].address - plan.blocks[sk].address];
			int st = wwtp_decode_status(&p->status, w);
			FUZZ_ASSERT(st == WWTP_READING_OK || st == WWTP_READING_CALIBRATING ||
				    st == WWTP_READING_FAULT);
		}
	}
	for (size_t k = 0; k < plan.nblocks; k++)
		free(answers[k]);
	free(answers);
	wwtp_plan_free(&plan);
out:
	free(items);
	free(map);
	return 0;
}
