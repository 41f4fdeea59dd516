/* plan.h - read coalescing: turning a device's points into as few Modbus
 * requests as the protocol allows. Pure, no I/O.
 *
 * Items on the same table are merged into one block when the gap of unused
 * registers (or bits) between them is at most max_gap and the block stays
 * within the per-request limit (125 registers for functions 3/4, 2000 bits
 * for functions 1/2, or the device's smaller max_regs). An item never spans
 * two blocks. The result is deterministic: blocks sorted by table, then
 * address. */
#ifndef WWTP_PLAN_H
#define WWTP_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "../model/station.h"

#define WWTP_MAX_READ_REGS 125
#define WWTP_MAX_READ_BITS 2000

struct wwtp_read_item {
	enum wwtp_table table;
	uint16_t address; /* first register or bit */
	uint16_t count;	  /* registers (or bits) it needs, >= 1 */
};

struct wwtp_read_block {
	enum wwtp_table table;
	uint16_t address;
	uint16_t count;
};

struct wwtp_read_plan {
	struct wwtp_read_block *blocks;
	size_t nblocks;
	size_t *item_block; /* for item i: index of the block holding it; its
			       offset is items[i].address - blocks[b].address */
	size_t nitems;
};

/* Builds the plan. max_gap >= 0; max_regs in 1..125 (bit tables use 2000).
 * Returns 0, WWTP_ERR_INVAL (bad item: count 0, address+count past 65536,
 * count above the per-request limit) or WWTP_ERR_NOMEM. On error *out is
 * left empty. */
int wwtp_plan_build(const struct wwtp_read_item *items, size_t nitems, int max_gap, int max_regs,
		    struct wwtp_read_plan *out);
void wwtp_plan_free(struct wwtp_read_plan *p); /* accepts a zeroed plan */

/* The items a device needs, in this order: one per point (its value), then
 * one per point whose status.mode != NONE (its status register), then the
 * device's own status register if any. *items is malloc'd; *nitems set.
 * map_point_status[i] (malloc'd, npoints long) is the item index of point
 * i's status or -1; *dev_status_item is the device status item or -1. */
int wwtp_plan_device_items(const struct wwtp_device *dev, struct wwtp_read_item **items,
			   size_t *nitems, long **map_point_status, long *dev_status_item);

#endif
