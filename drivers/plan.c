/* plan.c - read coalescing. Pure: no I/O.
 *
 * Why the greedy pass gives the fewest requests
 * ---------------------------------------------
 * Items are sorted by (table, address). The pass keeps one open block
 * [start, end), where start is the address of the block's first item f and
 * end the largest end of the items taken so far, and adds the next item x
 * while x.address - end <= max_gap (negative when x overlaps) and
 * max(end, x.end) - start <= limit. Otherwise x opens the next block.
 *
 * Call f_1, f_2, ..., f_k the items that opened the k blocks of one table
 * (tables are independent: a request reads one table). No request of any
 * valid plan can hold two of them, f_i and f_l with i < l; look at why f_l
 * could not join the block opened by f_(l-1):
 *  - the gap: every item sorted before f_l ends at or before E, the end of
 *    block l-1 (block ends only grow from one block to the next, see
 *    below), and every item from f_l on starts at or after f_l.address. So
 *    the registers [E, f_l.address), more than max_gap of them, are used by
 *    no item at all, and a request holding f_i (which ends by E) and f_l
 *    would have to carry that unused run.
 *  - the size: max(E, f_l.end) - f_(l-1).address > limit. Block l-1 is
 *    valid, so E - f_(l-1).address <= limit, hence f_l.end exceeds
 *    f_(l-1).address + limit >= f_i.address + limit (sorted order), and
 *    any request holding both f_i and f_l is longer than the limit. This
 *    also shows that f_l.end > E, the "ends only grow" used above.
 * So every plan needs k requests at least, and the greedy pass uses k.
 * Sorting costs O(n log n), the pass O(n). */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "../util/err.h"

/* An item with its position in the caller's array: the tie-break that makes
 * qsort (not stable by itself) give a stable, deterministic order. */
struct sorted_item {
	enum wwtp_table table;
	uint32_t address;
	uint32_t count;
	size_t index;
};

static int is_bit_table(enum wwtp_table t)
{
	return t == WWTP_TABLE_COIL || t == WWTP_TABLE_DISCRETE;
}

static int is_valid_table(enum wwtp_table t)
{
	return (unsigned)t <= (unsigned)WWTP_TABLE_INPUT;
}

static int cmp_item(const void *a, const void *b)
{
	const struct sorted_item *x = a, *y = b;
	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	if (x->address != y->address)
		return x->address < y->address ? -1 : 1;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return 0;
}

void wwtp_plan_free(struct wwtp_read_plan *p)
{
	if (!p)
		return;
	free(p->blocks);
	free(p->item_block);
	memset(p, 0, sizeof *p);
}

int wwtp_plan_build(const struct wwtp_read_item *items, size_t nitems, int max_gap, int max_regs,
		    struct wwtp_read_plan *out)
{
	if (!out)
		return WWTP_ERR_INVAL;
	memset(out, 0, sizeof *out);
	if ((nitems > 0 && !items) || max_gap < 0 || max_regs < 1 || max_regs > WWTP_MAX_READ_REGS)
		return WWTP_ERR_INVAL;

	for (size_t i = 0; i < nitems; i++) {
		const struct wwtp_read_item *it = &items[i];
		if (!is_valid_table(it->table) || it->count == 0)
			return WWTP_ERR_INVAL;
		uint32_t limit = is_bit_table(it->table) ? WWTP_MAX_READ_BITS : (uint32_t)max_regs;
		if (it->count > limit || (uint32_t)it->address + it->count > 65536u)
			return WWTP_ERR_INVAL;
	}
	if (nitems == 0)
		return 0;

	struct sorted_item *s = calloc(nitems, sizeof *s);
	struct wwtp_read_block *blocks = calloc(nitems, sizeof *blocks);
	size_t *item_block = calloc(nitems, sizeof *item_block);
	if (!s || !blocks || !item_block) {
		free(s);
		free(blocks);
		free(item_block);
		return WWTP_ERR_NOMEM;
	}

	for (size_t i = 0; i < nitems; i++) {
		s[i].table = items[i].table;
		s[i].address = items[i].address;
		s[i].count = items[i].count;
		s[i].index = i;
	}
	qsort(s, nitems, sizeof *s, cmp_item);

	size_t nb = 0;
	uint32_t start = 0, end = 0; /* the open block, [start, end) */
	for (size_t i = 0; i < nitems; i++) {
		const struct sorted_item *it = &s[i];
		uint32_t it_end = it->address + it->count;
		int join = 0;
		if (nb > 0 && blocks[nb - 1].table == it->table) {
			uint32_t limit =
			    is_bit_table(it->table) ? WWTP_MAX_READ_BITS : (uint32_t)max_regs;
			uint32_t new_end = it_end > end ? it_end : end;
			/* it->address >= start (sorted), so no underflow below. */
			int gap_ok = it->address <= end || it->address - end <= (uint32_t)max_gap;
			join = gap_ok && new_end - start <= limit;
			if (join)
				end = new_end;
		}
		if (!join) {
			nb++;
			start = it->address;
			end = it_end;
			blocks[nb - 1].table = it->table;
			blocks[nb - 1].address = (uint16_t)start;
		}
		/* end - start <= 2000 here, so it fits. */
		blocks[nb - 1].count = (uint16_t)(end - start);
		item_block[it->index] = nb - 1;
	}
	free(s);

	/* Shrink to fit; keeping the larger array is fine if realloc refuses. */
	struct wwtp_read_block *shrunk = realloc(blocks, nb * sizeof *blocks);
	if (shrunk)
		blocks = shrunk;

	out->blocks = blocks;
	out->nblocks = nb;
	out->item_block = item_block;
	out->nitems = nitems;
	return 0;
}

/* Registers a point needs: a bit of a register needs that one register,
 * whatever its type says. */
static uint16_t point_count(const struct wwtp_point *p)
{
	if (is_bit_table(p->table) || p->bit >= 0)
		return 1;
	return (uint16_t)wwtp_type_regs(p->type);
}

static int status_table_ok(const struct wwtp_status_src *s)
{
	return s->table == WWTP_TABLE_HOLDING || s->table == WWTP_TABLE_INPUT;
}

int wwtp_plan_device_items(const struct wwtp_device *dev, struct wwtp_read_item **items,
			   size_t *nitems, long **map_point_status, long *dev_status_item)
{
	if (!items || !nitems || !map_point_status || !dev_status_item)
		return WWTP_ERR_INVAL;
	*items = NULL;
	*nitems = 0;
	*map_point_status = NULL;
	*dev_status_item = -1;
	if (!dev || (dev->npoints > 0 && !dev->points))
		return WWTP_ERR_INVAL;

	size_t n = dev->npoints;
	for (size_t i = 0; i < dev->npoints; i++) {
		const struct wwtp_point *p = &dev->points[i];
		if (!is_valid_table(p->table))
			return WWTP_ERR_INVAL;
		if (p->status.mode != WWTP_STATUS_NONE) {
			if (!status_table_ok(&p->status))
				return WWTP_ERR_INVAL;
			n++;
		}
	}
	int has_dev_status = dev->status.mode != WWTP_STATUS_NONE;
	if (has_dev_status) {
		if (!status_table_ok(&dev->status))
			return WWTP_ERR_INVAL;
		n++;
	}

	/* At least one element each, so that NULL always means "no memory". */
	struct wwtp_read_item *it = calloc(n ? n : 1, sizeof *it);
	long *map = calloc(dev->npoints ? dev->npoints : 1, sizeof *map);
	if (!it || !map) {
		free(it);
		free(map);
		return WWTP_ERR_NOMEM;
	}

	size_t k = 0;
	for (size_t i = 0; i < dev->npoints; i++) {
		const struct wwtp_point *p = &dev->points[i];
		it[k].table = p->table;
		it[k].address = p->address;
		it[k].count = point_count(p);
		k++;
	}
	for (size_t i = 0; i < dev->npoints; i++) {
		const struct wwtp_point *p = &dev->points[i];
		if (p->status.mode == WWTP_STATUS_NONE) {
			map[i] = -1;
			continue;
		}
		it[k].table = p->status.table;
		it[k].address = p->status.address;
		it[k].count = 1;
		map[i] = (long)k;
		k++;
	}
	if (has_dev_status) {
		it[k].table = dev->status.table;
		it[k].address = dev->status.address;
		it[k].count = 1;
		*dev_status_item = (long)k;
		k++;
	}

	*items = it;
	*nitems = k;
	*map_point_status = map;
	return 0;
}
