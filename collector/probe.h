/* probe.h - commissioning help: read a point's registers once and show
 * every way they can be read (docs/install-pi.md, "When a value is
 * wrong"). `wwtp-collector --probe`, and the hint --once gives for a value
 * outside its plausible range. */
#ifndef WWTP_PROBE_H
#define WWTP_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../model/station.h"

/* One interpretation of the registers. */
struct wwtp_probe_row {
	enum wwtp_type type;
	enum wwtp_order order;
	double value;	/* with the point's scale and offset */
	int plausible;	/* 1 within the point's plausible range, 0 outside, -1 no bounds */
	int configured; /* the type and order the station file gives */
};

#define WWTP_PROBE_ROWS_MAX 28 /* 2 x 2 sixteen-bit, 6 x 4 wider */

/* Every type x order that regs[0..nregs) can hold, as point p would decode
 * them (p's scale, offset and plausibility bounds; p's table, address, bit
 * and status are ignored). NaN and infinite floats are left out. Pure.
 * Returns how many rows were written (at most max). */
size_t wwtp_probe_interpret(const struct wwtp_point *p, const uint16_t *regs, size_t nregs,
			    struct wwtp_probe_row *rows, size_t max);

/* Reads up to 4 registers at the point's address of device dev (its own
 * link, opened and closed here) and writes into buf the plausible
 * interpretations other than the configured one, e.g. "float32 CDAB reads
 * 7.25", or "" when there is none. 0, or a negative code when the device
 * could not be read. */
int wwtp_probe_suggest(const struct wwtp_device *dev, const struct wwtp_point *p, char *buf,
		       size_t n);

/* --probe: device `device` of st, registers at `address` (numbered as the
 * collector's messages number them: the wire address plus the device's
 * address_base) of table `table` (-1: the table of the point at that
 * address, else holding). Prints the raw words and every interpretation to
 * out, marking the plausible ones for the point found there. Returns the
 * exit status: 0 read, 1 the device could not be read (said why on out),
 * 2 no such device or a register table with bits. */
int wwtp_probe_run(const struct wwtp_station *st, const char *device, long address, int table,
		   FILE *out);

#endif
