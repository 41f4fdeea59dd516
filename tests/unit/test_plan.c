/* test_plan.c - read coalescing: fixed cases with the expected requests
 * written out, invariants of every plan, and a brute-force check that the
 * greedy plan uses the fewest requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../drivers/plan.h"
#include "../../util/err.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define H WWTP_TABLE_HOLDING
#define I WWTP_TABLE_INPUT
#define CO WWTP_TABLE_COIL
#define DI WWTP_TABLE_DISCRETE

/* Checks what every plan must satisfy, whatever the input: each item lies
 * in its block, on its table; blocks are sorted, non-empty, within the
 * limit, start and end on an item, and carry no unused run longer than
 * max_gap. */
static void check_invariants(const struct wwtp_read_item *items, size_t n, int max_gap,
			     int max_regs, const struct wwtp_read_plan *pl)
{
	assert_int_equal(pl->nitems, n);
	for (size_t b = 0; b < pl->nblocks; b++) {
		const struct wwtp_read_block *bl = &pl->blocks[b];
		int bits = bl->table == CO || bl->table == DI;
		uint32_t limit = bits ? WWTP_MAX_READ_BITS : (uint32_t)max_regs;
		uint32_t lo = bl->address, hi = (uint32_t)bl->address + bl->count;
		assert_true(bl->count >= 1 && bl->count <= limit);
		if (b > 0) {
			const struct wwtp_read_block *pr = &pl->blocks[b - 1];
			assert_true(pr->table < bl->table ||
				    (pr->table == bl->table && pr->address < bl->address));
		}
		/* Used registers of this block. */
		uint8_t *used = calloc(bl->count, 1);
		assert_non_null(used);
		int any = 0, starts = 0, ends = 0;
		for (size_t i = 0; i < n; i++) {
			if (pl->item_block[i] != b)
				continue;
			any = 1;
			uint32_t a = items[i].address, e = a + items[i].count;
			assert_int_equal(items[i].table, bl->table);
			assert_true(a >= lo && e <= hi);
			starts |= a == lo;
			ends |= e == hi;
			for (uint32_t r = a; r < e; r++)
				used[r - lo] = 1;
		}
		assert_true(any && starts && ends);
		int run = 0;
		for (uint32_t r = 0; r < bl->count; r++) {
			run = used[r] ? 0 : run + 1;
			assert_true(run <= max_gap);
		}
		free(used);
	}
	for (size_t i = 0; i < n; i++)
		assert_true(pl->item_block[i] < pl->nblocks);
}

struct want_block {
	enum wwtp_table table;
	uint16_t address;
	uint16_t count;
};

/* Builds the plan and compares it with the expected blocks and mapping. */
static void expect_plan(const struct wwtp_read_item *items, size_t n, int max_gap, int max_regs,
			const struct want_block *want, size_t nwant, const size_t *map)
{
	struct wwtp_read_plan pl;
	assert_int_equal(wwtp_plan_build(items, n, max_gap, max_regs, &pl), 0);
	check_invariants(items, n, max_gap, max_regs, &pl);
	if (pl.nblocks != nwant)
		fail_msg("got %zu blocks, want %zu", pl.nblocks, nwant);
	for (size_t b = 0; b < nwant; b++) {
		if (pl.blocks[b].table != want[b].table ||
		    pl.blocks[b].address != want[b].address || pl.blocks[b].count != want[b].count)
			fail_msg("block %zu: got table %d @%u x%u, want table %d @%u x%u", b,
				 (int)pl.blocks[b].table, pl.blocks[b].address, pl.blocks[b].count,
				 (int)want[b].table, want[b].address, want[b].count);
	}
	for (size_t i = 0; i < n; i++)
		if (pl.item_block[i] != map[i])
			fail_msg("item %zu: in block %zu, want %zu", i, pl.item_block[i], map[i]);
	wwtp_plan_free(&pl);
	assert_null(pl.blocks);
	assert_int_equal(pl.nblocks, 0);
}

static void test_adjacent_merged(void **state)
{
	(void)state;
	/* Three float32 at 0, 2, 4 (E+H style floats are 4 apart; these touch). */
	const struct wwtp_read_item items[] = {{H, 0, 2}, {H, 2, 2}, {H, 4, 2}};
	const struct want_block want[] = {{H, 0, 6}};
	const size_t map[] = {0, 0, 0};
	expect_plan(items, 3, 0, 125, want, 1, map);
}

static void test_gap(void **state)
{
	(void)state;
	/* [0,2) and [5,7): 3 unused registers. */
	const struct wwtp_read_item a[] = {{H, 0, 2}, {H, 5, 2}};
	const struct want_block merged[] = {{H, 0, 7}};
	const struct want_block split[] = {{H, 0, 2}, {H, 5, 2}};
	const size_t m0[] = {0, 0}, m01[] = {0, 1};
	expect_plan(a, 2, 3, 125, merged, 1, m0);  /* gap == max_gap */
	expect_plan(a, 2, 10, 125, merged, 1, m0); /* gap < max_gap */
	expect_plan(a, 2, 2, 125, split, 2, m01);  /* gap > max_gap */
	expect_plan(a, 2, 0, 125, split, 2, m01);

	/* max_gap 0 still merges touching items, not a gap of one. */
	const struct wwtp_read_item b[] = {{H, 10, 1}, {H, 11, 1}, {H, 13, 1}};
	const struct want_block wb[] = {{H, 10, 2}, {H, 13, 1}};
	const size_t mb[] = {0, 0, 1};
	expect_plan(b, 3, 0, 125, wb, 2, mb);

	/* E+H Liquiline: floats at 0, 4, 8 leave 2 unused between them. */
	const struct wwtp_read_item c[] = {{I, 0, 2}, {I, 4, 2}, {I, 8, 2}};
	const struct want_block wc1[] = {{I, 0, 10}};
	const struct want_block wc3[] = {{I, 0, 2}, {I, 4, 2}, {I, 8, 2}};
	const size_t mc1[] = {0, 0, 0}, mc3[] = {0, 1, 2};
	expect_plan(c, 3, 2, 125, wc1, 1, mc1);
	expect_plan(c, 3, 1, 125, wc3, 3, mc3);
}

static void test_register_limit(void **state)
{
	(void)state;
	/* float32 at 0 and 124: 0..125 is 126 registers, one too many. */
	const struct wwtp_read_item a[] = {{H, 0, 2}, {H, 124, 2}};
	const struct want_block wa[] = {{H, 0, 2}, {H, 124, 2}};
	const size_t ma[] = {0, 1};
	expect_plan(a, 2, 200, 125, wa, 2, ma);

	/* At 123 it ends at 125: exactly 125 registers. */
	const struct wwtp_read_item b[] = {{H, 0, 2}, {H, 123, 2}};
	const struct want_block wb[] = {{H, 0, 125}};
	const size_t mb[] = {0, 0};
	expect_plan(b, 2, 200, 125, wb, 1, mb);

	/* 130 contiguous registers as 65 float32: 125 then 5. The split falls
	 * on an item boundary, never inside an item. */
	struct wwtp_read_item c[65];
	size_t mc[65];
	for (size_t i = 0; i < 65; i++) {
		c[i] = (struct wwtp_read_item){H, (uint16_t)(2 * i), 2};
		mc[i] = i < 62 ? 0 : 1; /* 62 floats = 124 registers; the 63rd would be 126 */
	}
	const struct want_block wc[] = {{H, 0, 124}, {H, 124, 6}};
	expect_plan(c, 65, 0, 125, wc, 2, mc);
}

static void test_max_regs_smaller(void **state)
{
	(void)state;
	const struct wwtp_read_item a[] = {{H, 0, 2}, {H, 8, 2}, {H, 9, 2}};
	/* max_regs 10: [0,10) fits; adding [9,11) would make 11. */
	const struct want_block w10[] = {{H, 0, 10}, {H, 9, 2}};
	const size_t m10[] = {0, 0, 1};
	expect_plan(a, 3, 50, 10, w10, 2, m10);
	/* max_regs 11: all in one. */
	const struct want_block w11[] = {{H, 0, 11}};
	const size_t m11[] = {0, 0, 0};
	expect_plan(a, 3, 50, 11, w11, 1, m11);
	/* max_regs 1: only single registers. */
	const struct wwtp_read_item b[] = {{H, 5, 1}, {H, 6, 1}};
	const struct want_block w1[] = {{H, 5, 1}, {H, 6, 1}};
	const size_t m1[] = {0, 1};
	expect_plan(b, 2, 0, 1, w1, 2, m1);
}

static void test_tables_never_merged(void **state)
{
	(void)state;
	/* Same addresses on four tables, given in reverse table order. */
	const struct wwtp_read_item a[] = {{I, 0, 2},  {H, 0, 2}, {DI, 0, 1},
					   {CO, 0, 1}, {H, 2, 1}, {I, 2, 1}};
	const struct want_block w[] = {{CO, 0, 1}, {DI, 0, 1}, {H, 0, 3}, {I, 0, 3}};
	const size_t m[] = {3, 2, 1, 0, 2, 3};
	expect_plan(a, NELEM(a), 10, 125, w, 4, m);
}

static void test_unsorted_input(void **state)
{
	(void)state;
	const struct wwtp_read_item a[] = {
	    {H, 40, 2}, {H, 10, 2}, {H, 0, 2}, {H, 12, 1}, {H, 4, 2}};
	/* max_gap 4: 0..6, 10..13 merge (gap 4); 40 stays alone. */
	const struct want_block w[] = {{H, 0, 13}, {H, 40, 2}};
	const size_t m[] = {1, 0, 0, 0, 0};
	expect_plan(a, NELEM(a), 4, 125, w, 2, m);
	/* max_gap 3: three blocks. */
	const struct want_block w3[] = {{H, 0, 6}, {H, 10, 3}, {H, 40, 2}};
	const size_t m3[] = {2, 1, 0, 1, 0};
	expect_plan(a, NELEM(a), 3, 125, w3, 3, m3);
}

static void test_overlapping_items(void **state)
{
	(void)state;
	/* A float64 and a float32 inside it; an int32 straddling its end. */
	const struct wwtp_read_item a[] = {{H, 100, 4}, {H, 102, 2}, {H, 103, 2}};
	const struct want_block w[] = {{H, 100, 5}};
	const size_t m[] = {0, 0, 0};
	expect_plan(a, NELEM(a), 0, 125, w, 1, m);

	/* A short item inside a long one comes after it in sorted order but
	 * ends before it: the block end must not shrink. */
	const struct wwtp_read_item b[] = {{H, 0, 10}, {H, 1, 1}, {H, 10, 1}};
	const struct want_block wb[] = {{H, 0, 11}};
	const size_t mb[] = {0, 0, 0};
	expect_plan(b, NELEM(b), 0, 125, wb, 1, mb);

	/* Overlapping but too long together: two (overlapping) requests. */
	const struct wwtp_read_item c[] = {{H, 0, 100}, {H, 90, 50}};
	const struct want_block wc[] = {{H, 0, 100}, {H, 90, 50}};
	const size_t mc[] = {0, 1};
	expect_plan(c, NELEM(c), 0, 125, wc, 2, mc);
}

static void test_duplicate_addresses(void **state)
{
	(void)state;
	/* Two params on one register (e.g. two bits of a status word). */
	const struct wwtp_read_item a[] = {{H, 7, 1}, {H, 7, 1}, {H, 7, 2}};
	const struct want_block w[] = {{H, 7, 2}};
	const size_t m[] = {0, 0, 0};
	expect_plan(a, NELEM(a), 0, 125, w, 1, m);
}

static void test_bit_tables(void **state)
{
	(void)state;
	/* Coils use 2000, not max_regs. */
	const struct wwtp_read_item a[] = {{CO, 0, 1}, {CO, 1999, 1}};
	const struct want_block wa[] = {{CO, 0, 2000}};
	const size_t ma[] = {0, 0};
	expect_plan(a, 2, 2000, 10, wa, 1, ma);

	const struct wwtp_read_item b[] = {{CO, 0, 1}, {CO, 2000, 1}};
	const struct want_block wb[] = {{CO, 0, 1}, {CO, 2000, 1}};
	const size_t mb[] = {0, 1};
	expect_plan(b, 2, 5000, 125, wb, 2, mb);

	/* max_gap applies to bits too. */
	const struct wwtp_read_item c[] = {{DI, 0, 1}, {DI, 4, 1}, {DI, 10, 1}};
	const struct want_block wc[] = {{DI, 0, 5}, {DI, 10, 1}};
	const size_t mc[] = {0, 0, 1};
	expect_plan(c, 3, 3, 125, wc, 2, mc);

	/* A 2000-bit item is allowed on its own. */
	const struct wwtp_read_item d[] = {{DI, 100, 2000}};
	const struct want_block wd[] = {{DI, 100, 2000}};
	const size_t md[] = {0};
	expect_plan(d, 1, 0, 125, wd, 1, md);
}

static void test_address_edges(void **state)
{
	(void)state;
	/* The last registers of the address space. */
	const struct wwtp_read_item a[] = {{H, 65534, 2}, {H, 65532, 2}, {H, 65535, 1}};
	const struct want_block w[] = {{H, 65532, 4}};
	const size_t m[] = {0, 0, 0};
	expect_plan(a, NELEM(a), 0, 125, w, 1, m);
}

static void expect_inval(const struct wwtp_read_item *items, size_t n, int max_gap, int max_regs)
{
	struct wwtp_read_plan pl;
	memset(&pl, 0xA5, sizeof pl); /* must be emptied even on error */
	int rc = wwtp_plan_build(items, n, max_gap, max_regs, &pl);
	if (rc != WWTP_ERR_INVAL)
		fail_msg("rc %d, want WWTP_ERR_INVAL", rc);
	assert_null(pl.blocks);
	assert_null(pl.item_block);
	assert_int_equal(pl.nblocks, 0);
	assert_int_equal(pl.nitems, 0);
	wwtp_plan_free(&pl);
}

static void test_invalid_items(void **state)
{
	(void)state;
	const struct wwtp_read_item ok = {H, 0, 2};
	struct wwtp_read_item bad[2] = {ok, ok};

	bad[1] = (struct wwtp_read_item){H, 10, 0}; /* count 0 */
	expect_inval(bad, 2, 0, 125);
	bad[1] = (struct wwtp_read_item){H, 65535, 2}; /* past 65536 */
	expect_inval(bad, 2, 0, 125);
	bad[1] = (struct wwtp_read_item){CO, 65000, 537};
	expect_inval(bad, 2, 0, 125);
	bad[1] = (struct wwtp_read_item){H, 0, 126}; /* above 125 */
	expect_inval(bad, 2, 0, 125);
	bad[1] = (struct wwtp_read_item){I, 0, 11}; /* above max_regs */
	expect_inval(bad, 2, 0, 10);
	bad[1] = (struct wwtp_read_item){CO, 0, 2001}; /* above 2000 */
	expect_inval(bad, 2, 0, 125);
	bad[1] = (struct wwtp_read_item){(enum wwtp_table)4, 0, 1}; /* no such table */
	expect_inval(bad, 2, 0, 125);

	/* Bad limits. */
	expect_inval(&ok, 1, -1, 125);
	expect_inval(&ok, 1, 0, 0);
	expect_inval(&ok, 1, 0, 126);
	expect_inval(NULL, 1, 0, 125);
	assert_int_equal(wwtp_plan_build(&ok, 1, 0, 125, NULL), WWTP_ERR_INVAL);

	/* No items: an empty plan, not an error. */
	struct wwtp_read_plan pl;
	assert_int_equal(wwtp_plan_build(NULL, 0, 0, 125, &pl), 0);
	assert_int_equal(pl.nblocks, 0);
	assert_int_equal(pl.nitems, 0);
	wwtp_plan_free(&pl);
	wwtp_plan_free(NULL);
}

/* ---- Brute force: the fewest requests over every partition of the items. */

static uint32_t rng_state = 0x2545F491u;

static uint32_t rnd(uint32_t n)
{
	/* xorshift32: fixed seed, so a failure reproduces. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state % n;
}

#define BF_MAX 7

struct bf {
	const struct wwtp_read_item *items;
	size_t n;
	int max_gap, max_regs;
	int label[BF_MAX];
	int best;
};

/* Is the set of items with label g one valid request? */
static int group_ok(const struct bf *b, int g)
{
	uint64_t used = 0;
	int table = -1;
	uint32_t lo = 64, hi = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (b->label[i] != g)
			continue;
		const struct wwtp_read_item *it = &b->items[i];
		if (table >= 0 && (int)it->table != table)
			return 0;
		table = (int)it->table;
		for (uint32_t r = it->address; r < (uint32_t)it->address + it->count; r++)
			used |= UINT64_C(1) << r;
		if (it->address < lo)
			lo = it->address;
		if ((uint32_t)it->address + it->count > hi)
			hi = (uint32_t)it->address + it->count;
	}
	if (hi - lo > (uint32_t)b->max_regs)
		return 0;
	int run = 0;
	for (uint32_t r = lo; r < hi; r++) {
		run = (used >> r) & 1 ? 0 : run + 1;
		if (run > b->max_gap)
			return 0;
	}
	return 1;
}

/* Restricted growth strings: item i joins one of the groups so far or opens
 * group ngroups. Each complete labelling is a partition. */
static void bf_rec(struct bf *b, size_t i, int ngroups)
{
	if (ngroups >= b->best)
		return;
	if (i == b->n) {
		for (int g = 0; g < ngroups; g++)
			if (!group_ok(b, g))
				return;
		b->best = ngroups;
		return;
	}
	for (int g = 0; g <= ngroups; g++) {
		b->label[i] = g;
		bf_rec(b, i + 1, g == ngroups ? ngroups + 1 : ngroups);
	}
}

static void test_greedy_is_minimal(void **state)
{
	(void)state;
	for (int round = 0; round < 3000; round++) {
		struct wwtp_read_item items[BF_MAX];
		size_t n = 1 + rnd(BF_MAX);
		int max_regs = 1 + (int)rnd(12);
		int max_gap = (int)rnd(5);
		for (size_t i = 0; i < n; i++) {
			/* Mostly one table, sometimes a second, to check they stay apart. */
			items[i].table = rnd(6) == 0 ? I : H;
			items[i].count = (uint16_t)(1 + rnd((uint32_t)max_regs));
			items[i].address = (uint16_t)rnd(40);
		}
		struct bf b = {items, n, max_gap, max_regs, {0}, (int)n + 1};
		bf_rec(&b, 0, 0);

		struct wwtp_read_plan pl;
		assert_int_equal(wwtp_plan_build(items, n, max_gap, max_regs, &pl), 0);
		check_invariants(items, n, max_gap, max_regs, &pl);
		if ((int)pl.nblocks != b.best)
			fail_msg("round %d: greedy %zu blocks, best %d", round, pl.nblocks, b.best);
		wwtp_plan_free(&pl);
	}
}

/* ---- Device items. */

static struct wwtp_point mkpoint(enum wwtp_table t, uint16_t addr, enum wwtp_type type)
{
	struct wwtp_point p;
	memset(&p, 0, sizeof p);
	p.table = t;
	p.address = addr;
	p.type = type;
	p.bit = -1;
	p.scale = 1.0;
	return p;
}

static void test_device_items(void **state)
{
	(void)state;
	struct wwtp_point pts[5];
	pts[0] = mkpoint(H, 0, WWTP_TYPE_FLOAT32);
	pts[1] = mkpoint(CO, 5, WWTP_TYPE_BOOL);
	pts[2] = mkpoint(I, 10, WWTP_TYPE_INT16);
	pts[2].status.mode = WWTP_STATUS_VALUE;
	pts[2].status.table = I;
	pts[2].status.address = 20;
	pts[3] = mkpoint(H, 40, WWTP_TYPE_UINT64);
	pts[3].status.mode = WWTP_STATUS_BITS;
	pts[3].status.table = H;
	pts[3].status.address = 44;
	/* A bit of a register needs that register only, even if the type
	 * written with it is wider. */
	pts[4] = mkpoint(H, 30, WWTP_TYPE_UINT32);
	pts[4].bit = 3;

	struct wwtp_device dev;
	memset(&dev, 0, sizeof dev);
	dev.points = pts;
	dev.npoints = 5;
	dev.status.mode = WWTP_STATUS_BITS;
	dev.status.table = H;
	dev.status.address = 100;

	struct wwtp_read_item *items = NULL;
	size_t n = 0;
	long *map = NULL, dev_item = -2;
	assert_int_equal(wwtp_plan_device_items(&dev, &items, &n, &map, &dev_item), 0);

	const struct wwtp_read_item want[] = {
	    {H, 0, 2},	 {CO, 5, 1}, {I, 10, 1}, {H, 40, 4}, {H, 30, 1}, /* values */
	    {I, 20, 1},	 {H, 44, 1},					 /* point statuses */
	    {H, 100, 1},						 /* device status */
	};
	assert_int_equal(n, NELEM(want));
	for (size_t i = 0; i < n; i++) {
		if (items[i].table != want[i].table || items[i].address != want[i].address ||
		    items[i].count != want[i].count)
			fail_msg("item %zu: got %d @%u x%u, want %d @%u x%u", i,
				 (int)items[i].table, items[i].address, items[i].count,
				 (int)want[i].table, want[i].address, want[i].count);
	}
	assert_int_equal(map[0], -1);
	assert_int_equal(map[1], -1);
	assert_int_equal(map[2], 5);
	assert_int_equal(map[3], 6);
	assert_int_equal(map[4], -1);
	assert_int_equal(dev_item, 7);

	/* And the plan over them, max_gap 10. Holding: [0,2) alone (gap 28 to
	 * 30); the bit point [30,31), the uint64 [40,44) (gap 9) and its status
	 * at 44 (touching) make [30,45); 100 alone. Input: 10 and its status at
	 * 20 (gap 9) make [10,21). The coil alone. */
	struct wwtp_read_plan pl;
	assert_int_equal(wwtp_plan_build(items, n, 10, 125, &pl), 0);
	check_invariants(items, n, 10, 125, &pl);
	const struct want_block wb[] = {
	    {CO, 5, 1}, {H, 0, 2}, {H, 30, 15}, {H, 100, 1}, {I, 10, 11}};
	assert_int_equal(pl.nblocks, NELEM(wb));
	for (size_t b = 0; b < NELEM(wb); b++) {
		assert_int_equal(pl.blocks[b].table, wb[b].table);
		assert_int_equal(pl.blocks[b].address, wb[b].address);
		assert_int_equal(pl.blocks[b].count, wb[b].count);
	}
	const size_t ib[] = {1, 0, 4, 2, 2, 4, 2, 3};
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pl.item_block[i], ib[i]);
	wwtp_plan_free(&pl);
	free(items);
	free(map);
}

static void test_device_items_no_status(void **state)
{
	(void)state;
	struct wwtp_point pts[2];
	pts[0] = mkpoint(DI, 3, WWTP_TYPE_BOOL);
	pts[1] = mkpoint(H, 7, WWTP_TYPE_FLOAT64);
	struct wwtp_device dev;
	memset(&dev, 0, sizeof dev);
	dev.points = pts;
	dev.npoints = 2;

	struct wwtp_read_item *items = NULL;
	size_t n = 99;
	long *map = NULL, dev_item = 99;
	assert_int_equal(wwtp_plan_device_items(&dev, &items, &n, &map, &dev_item), 0);
	assert_int_equal(n, 2);
	assert_int_equal(items[0].table, DI);
	assert_int_equal(items[0].count, 1);
	assert_int_equal(items[1].table, H);
	assert_int_equal(items[1].address, 7);
	assert_int_equal(items[1].count, 4);
	assert_int_equal(map[0], -1);
	assert_int_equal(map[1], -1);
	assert_int_equal(dev_item, -1);
	free(items);
	free(map);

	/* No points at all, only a device status. */
	dev.npoints = 0;
	dev.points = NULL;
	dev.status.mode = WWTP_STATUS_VALUE;
	dev.status.table = I;
	dev.status.address = 9;
	assert_int_equal(wwtp_plan_device_items(&dev, &items, &n, &map, &dev_item), 0);
	assert_int_equal(n, 1);
	assert_int_equal(items[0].table, I);
	assert_int_equal(items[0].address, 9);
	assert_int_equal(items[0].count, 1);
	assert_int_equal(dev_item, 0);
	free(items);
	free(map);
}

static void test_device_items_invalid(void **state)
{
	(void)state;
	struct wwtp_point pts[1];
	pts[0] = mkpoint(H, 0, WWTP_TYPE_INT16);
	pts[0].status.mode = WWTP_STATUS_VALUE;
	pts[0].status.table = CO; /* a status register must be a register */
	struct wwtp_device dev;
	memset(&dev, 0, sizeof dev);
	dev.points = pts;
	dev.npoints = 1;

	struct wwtp_read_item *items = NULL;
	size_t n = 5;
	long *map = NULL, dev_item = 5;
	assert_int_equal(wwtp_plan_device_items(&dev, &items, &n, &map, &dev_item), WWTP_ERR_INVAL);
	assert_null(items);
	assert_null(map);
	assert_int_equal(n, 0);
	assert_int_equal(dev_item, -1);

	pts[0].status.mode = WWTP_STATUS_NONE;
	dev.status.mode = WWTP_STATUS_BITS;
	dev.status.table = DI;
	assert_int_equal(wwtp_plan_device_items(&dev, &items, &n, &map, &dev_item), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_plan_device_items(NULL, &items, &n, &map, &dev_item), WWTP_ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_adjacent_merged),
	    cmocka_unit_test(test_gap),
	    cmocka_unit_test(test_register_limit),
	    cmocka_unit_test(test_max_regs_smaller),
	    cmocka_unit_test(test_tables_never_merged),
	    cmocka_unit_test(test_unsorted_input),
	    cmocka_unit_test(test_overlapping_items),
	    cmocka_unit_test(test_duplicate_addresses),
	    cmocka_unit_test(test_bit_tables),
	    cmocka_unit_test(test_address_edges),
	    cmocka_unit_test(test_invalid_items),
	    cmocka_unit_test(test_greedy_is_minimal),
	    cmocka_unit_test(test_device_items),
	    cmocka_unit_test(test_device_items_no_status),
	    cmocka_unit_test(test_device_items_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
