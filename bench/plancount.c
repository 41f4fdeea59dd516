/* plancount.c - benchmark 1 on paper: the Modbus requests and bytes one poll
 * cycle of a station costs, four ways, from the station file alone.
 *
 *   ours      drivers/plan.c, exactly as the collector builds it
 *   min       the fewest requests under the same rules (the device's
 *             max_gap and max_regs, an item never split), computed here by a
 *             dynamic programme that does not share code with plan.c, so
 *             that plan.c's claim to be minimal is checked, not assumed
 *   min125    the fewest requests the protocol allows at all (only the 125
 *             registers / 2000 bits per request; any gap read through)
 *   point     one request per item (each point, each status register)
 *   collectd  collectd 5.12's modbus plugin: one request per <Data> block,
 *             i.e. per point value and status register on a holding or
 *             input table (it cannot read coils or discrete inputs)
 *
 * Bytes are whole frames: Modbus TCP (MBAP 7 + PDU) and RTU (address 1 +
 * PDU + CRC 2). RTU wire time: bits per character times characters over the
 * baud rate, plus a 3.5-character silence after every frame.
 *
 * Other outputs, for the benchmark script:
 *   --blocks   one line per planned request: "HOST PORT UNIT FC ADDR COUNT"
 *              (what the bare libmodbus loop, bench/mbfloor.c, reads)
 *   --collectd a collectd modbus plugin configuration for the station
 *
 * Read-only: loads the files, prints, exits. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../drivers/plan.h"
#include "../station/station_config.h"
#include "../util/diag.h"

#define TCP_REQ 12 /* MBAP 7 + function 1 + address 2 + count 2 */
#define TCP_RSP 9  /* MBAP 7 + function 1 + byte count 1, then the data */
#define RTU_REQ 8  /* unit 1 + function 1 + address 2 + count 2 + CRC 2 */
#define RTU_RSP 5  /* unit 1 + function 1 + byte count 1 + CRC 2, then the data */

struct cost {
	long requests;
	long tcp_bytes;
	long rtu_bytes;
	double rtu_us_9600;
	double rtu_us_19200;
};

static int bits_per_char = 11; /* 8E1 or 8N2: what the Modbus serial spec asks */

static int is_bits(enum wwtp_table t)
{
	return t == WWTP_TABLE_COIL || t == WWTP_TABLE_DISCRETE;
}

static long data_bytes(enum wwtp_table t, long count)
{
	return is_bits(t) ? (count + 7) / 8 : 2 * count;
}

static double frame_us(long chars, int baud)
{
	/* The frame, then the 3.5-character silence that ends it. */
	return ((double)chars + 3.5) * bits_per_char * 1e6 / baud;
}

static void add_request(struct cost *c, enum wwtp_table t, long count)
{
	long d = data_bytes(t, count);
	c->requests++;
	c->tcp_bytes += TCP_REQ + TCP_RSP + d;
	c->rtu_bytes += RTU_REQ + RTU_RSP + d;
	c->rtu_us_9600 += frame_us(RTU_REQ, 9600) + frame_us(RTU_RSP + d, 9600);
	c->rtu_us_19200 += frame_us(RTU_REQ, 19200) + frame_us(RTU_RSP + d, 19200);
}

static void add_cost(struct cost *a, const struct cost *b)
{
	a->requests += b->requests;
	a->tcp_bytes += b->tcp_bytes;
	a->rtu_bytes += b->rtu_bytes;
	a->rtu_us_9600 += b->rtu_us_9600;
	a->rtu_us_19200 += b->rtu_us_19200;
}

static int cmp_items(const void *a, const void *b)
{
	const struct wwtp_read_item *x = a, *y = b;
	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	if (x->address != y->address)
		return x->address < y->address ? -1 : 1;
	return x->count < y->count ? -1 : x->count > y->count;
}

/* Fewest requests for items sorted by (table, address): best[j] is the
 * cheapest cover of the first j items; a request may take items i..j-1 when
 * they are on one table, span at most `limit`, and leave no run of more
 * than max_gap unused registers between them (max_gap < 0: any run).
 * Requests take runs of the sorted order. That is exact when no item
 * overlaps another (a request is an interval of addresses, and the items
 * inside an interval are then a run); items at the same address (points
 * sharing a status register) are merged by the caller first. No map here
 * has other overlaps. Adds the chosen blocks' cost to *c. */
static int min_cover(const struct wwtp_read_item *it, size_t n, int max_gap, int max_regs,
		     struct cost *c)
{
	long *best = calloc(n + 1, sizeof *best);
	size_t *from = calloc(n + 1, sizeof *from);
	if (!best || !from) {
		free(best);
		free(from);
		return -1;
	}
	best[0] = 0;
	for (size_t j = 1; j <= n; j++) {
		best[j] = -1;
		/* Walk i down from j-1, growing the request [start, end). */
		uint32_t start = it[j - 1].address, end = it[j - 1].address + it[j - 1].count;
		/* Unused runs: recompute from scratch per (i, j) is O(n^3);
		 * n is a few dozen, so clarity wins. */
		for (size_t i = j; i-- > 0;) {
			if (it[i].table != it[j - 1].table)
				break;
			uint32_t e = it[i].address + it[i].count;
			if (it[i].address < start)
				start = it[i].address;
			if (e > end)
				end = e;
			uint32_t limit =
			    is_bits(it[i].table) ? WWTP_MAX_READ_BITS : (uint32_t)max_regs;
			if (end - start > limit)
				break;
			int ok = 1;
			if (max_gap >= 0) {
				uint32_t covered =
				    it[i].address; /* sorted: a sweep finds the runs */
				for (size_t k = i; k < j && ok; k++) {
					if (it[k].address > covered &&
					    it[k].address - covered > (uint32_t)max_gap)
						ok = 0;
					uint32_t ke = it[k].address + it[k].count;
					if (ke > covered)
						covered = ke;
				}
			}
			if (ok && best[i] >= 0 && (best[j] < 0 || best[i] + 1 < best[j])) {
				best[j] = best[i] + 1;
				from[j] = i;
			}
		}
		if (best[j] < 0) { /* cannot happen for valid items */
			free(best);
			free(from);
			return -1;
		}
	}
	for (size_t j = n; j > 0; j = from[j]) {
		size_t i = from[j];
		uint32_t s = it[i].address, e = 0;
		for (size_t k = i; k < j; k++) {
			if (it[k].address < s)
				s = it[k].address;
			if (it[k].address + it[k].count > e)
				e = it[k].address + it[k].count;
		}
		add_request(c, it[i].table, (long)(e - s));
	}
	free(best);
	free(from);
	return 0;
}

static int fc_of(enum wwtp_table t)
{
	switch (t) {
	case WWTP_TABLE_COIL:
		return 1;
	case WWTP_TABLE_DISCRETE:
		return 2;
	case WWTP_TABLE_HOLDING:
		return 3;
	case WWTP_TABLE_INPUT:
		return 4;
	}
	return 0;
}

/* collectd register type of an item of `count` registers. */
static const char *collectd_type(const struct wwtp_read_item *it)
{
	switch (it->count) {
	case 1:
		return "Uint16";
	case 2:
		return "Float";
	default:
		return "Uint64";
	}
}

struct opts {
	int blocks;
	FILE *collectd;
	const char *profiles;
	const char *limits;
	int header;
	const char *label;
	const char *cd_host;
	int port_offset;
};

static int do_station(const char *path, const struct opts *o, struct cost tot[5])
{
	struct wwtp_load_opts lo = {.profiles_dir = o->profiles, .limits_dir = o->limits};
	struct wwtp_diag *diag = wwtp_diag_new();
	struct wwtp_station *st = NULL;
	if (wwtp_station_load(path, &lo, &st, diag) != 0) {
		fprintf(stderr, "plancount: %s does not load:\n", path);
		wwtp_diag_print(diag, stderr);
		wwtp_diag_free(diag);
		return -1;
	}
	wwtp_diag_free(diag);

	struct cost c[5];
	memset(c, 0, sizeof c);
	long npoints = 0, nitems_all = 0, skipped_cd = 0;
	for (size_t d = 0; d < st->ndevices; d++) {
		const struct wwtp_device *dev = &st->devices[d];
		struct wwtp_read_item *items = NULL;
		size_t n = 0;
		long *map = NULL, dev_status = -1;
		struct wwtp_read_plan plan;
		if (wwtp_plan_device_items(dev, &items, &n, &map, &dev_status) != 0 ||
		    wwtp_plan_build(items, n, dev->max_gap, dev->max_regs, &plan) != 0) {
			fprintf(stderr, "plancount: %s: device %s: cannot plan\n", path, dev->name);
			free(items);
			free(map);
			wwtp_station_free(st);
			return -1;
		}
		npoints += (long)dev->npoints;
		nitems_all += (long)n;
		for (size_t b = 0; b < plan.nblocks; b++) {
			add_request(&c[0], plan.blocks[b].table, plan.blocks[b].count);
			if (o->blocks && dev->transport == WWTP_TRANSPORT_TCP)
				printf("%s %d %d %d %u %u\n", dev->host, dev->port, dev->unit_id,
				       fc_of(plan.blocks[b].table), plan.blocks[b].address,
				       plan.blocks[b].count);
		}
		wwtp_plan_free(&plan);

		/* Several items at one address (points sharing a status
		 * register) are one read for every way of counting. */
		qsort(items, n, sizeof *items, cmp_items);
		size_t u = 0;
		for (size_t i = 0; i < n; i++) {
			if (u > 0 && items[u - 1].table == items[i].table &&
			    items[u - 1].address == items[i].address) {
				if (items[i].count > items[u - 1].count)
					items[u - 1].count = items[i].count;
				continue;
			}
			items[u++] = items[i];
		}
		if (min_cover(items, u, dev->max_gap, dev->max_regs, &c[1]) != 0 ||
		    min_cover(items, u, -1, WWTP_MAX_READ_REGS, &c[2]) != 0) {
			fprintf(stderr, "plancount: %s: device %s: no cover\n", path, dev->name);
			free(items);
			free(map);
			wwtp_station_free(st);
			return -1;
		}
		for (size_t i = 0; i < u; i++) {
			add_request(&c[3], items[i].table, items[i].count);
			if (is_bits(items[i].table)) {
				skipped_cd++;
				continue;
			}
			add_request(&c[4], items[i].table, items[i].count);
		}
		if (o->collectd && dev->transport == WWTP_TRANSPORT_TCP) {
			for (size_t i = 0; i < u; i++) {
				if (is_bits(items[i].table))
					continue;
				fprintf(o->collectd,
					"  <Data \"%s-%s-%zu\">\n    RegisterBase %u\n"
					"    RegisterType %s\n    RegisterCmd %s\n"
					"    Type \"gauge\"\n    Instance \"%s-%zu\"\n  </Data>\n",
					st->id, dev->name, i, items[i].address,
					collectd_type(&items[i]),
					items[i].table == WWTP_TABLE_HOLDING ? "ReadHolding"
									     : "ReadInput",
					dev->name, i);
			}
		}
		free(items);
		free(map);
	}

	if (o->collectd) {
		/* One <Host> per device: collectd's Host is one connection with
		 * its own interval; several slaves could share it, but a Host
		 * per device keeps the Collect lists simple. */
		for (size_t d = 0; d < st->ndevices; d++) {
			const struct wwtp_device *dev = &st->devices[d];
			if (dev->transport != WWTP_TRANSPORT_TCP)
				continue;
			fprintf(o->collectd,
				"  <Host \"%s-%s\">\n    Address \"%s\"\n    Port \"%d\"\n"
				"    Interval 1\n    <Slave %d>\n      Instance \"%s\"\n",
				st->id, dev->name, o->cd_host ? o->cd_host : dev->host,
				dev->port + o->port_offset, dev->unit_id, dev->name);
			/* The same items again, to name them. */
			struct wwtp_read_item *items = NULL;
			size_t n = 0;
			long *map = NULL, ds = -1;
			if (wwtp_plan_device_items(dev, &items, &n, &map, &ds) == 0) {
				qsort(items, n, sizeof *items, cmp_items);
				size_t u = 0;
				for (size_t i = 0; i < n; i++) {
					if (u > 0 && items[u - 1].table == items[i].table &&
					    items[u - 1].address == items[i].address) {
						if (items[i].count > items[u - 1].count)
							items[u - 1].count = items[i].count;
						continue;
					}
					items[u++] = items[i];
				}
				for (size_t i = 0; i < u; i++)
					if (!is_bits(items[i].table))
						fprintf(o->collectd,
							"      Collect \"%s-%s-%zu\"\n", st->id,
							dev->name, i);
			}
			free(items);
			free(map);
			fprintf(o->collectd, "    </Slave>\n  </Host>\n");
		}
	}

	if (!o->blocks) {
		const char *name = o->label ? o->label : st->id;
		/* station devices points items | requests: ours min min125 point
		 * collectd | tcp bytes: same | rtu ms at 9600 and 19200: same */
		printf("%s %zu %ld %ld", name, st->ndevices, npoints, nitems_all);
		for (int k = 0; k < 5; k++)
			printf(" %ld", c[k].requests);
		for (int k = 0; k < 5; k++)
			printf(" %ld", c[k].tcp_bytes);
		for (int k = 0; k < 5; k++)
			printf(" %.1f", c[k].rtu_us_9600 / 1000.0);
		for (int k = 0; k < 5; k++)
			printf(" %.1f", c[k].rtu_us_19200 / 1000.0);
		printf(" %ld\n", skipped_cd);
	}
	for (int k = 0; k < 5; k++)
		add_cost(&tot[k], &c[k]);
	wwtp_station_free(st);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: plancount [--blocks] [--collectd FILE [--collectd-host H]\n"
	    "                 [--port-offset N]] [--bits-per-char 10|11]\n"
	    "                 [--profiles DIR] [--limits-dir DIR] [--label NAME] STATION.cfg...\n"
	    "Without --blocks, one line per station:\n"
	    "  id devices points items, then requests, TCP bytes, RTU ms at 9600 and at\n"
	    "  19200 baud, each for: ours min min125 point collectd; then the items\n"
	    "  collectd cannot read (coils, discrete inputs).\n");
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	const char *cd_path = NULL;
	static const struct option lo[] = {{"blocks", no_argument, NULL, 'b'},
					   {"collectd", required_argument, NULL, 'c'},
					   {"collectd-host", required_argument, NULL, 'H'},
					   {"port-offset", required_argument, NULL, 'o'},
					   {"bits-per-char", required_argument, NULL, 'B'},
					   {"profiles", required_argument, NULL, 'p'},
					   {"limits-dir", required_argument, NULL, 'L'},
					   {"label", required_argument, NULL, 'l'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "bc:H:o:B:p:L:l:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'b':
			o.blocks = 1;
			break;
		case 'c':
			cd_path = optarg;
			break;
		case 'H':
			o.cd_host = optarg;
			break;
		case 'o':
			o.port_offset = (int)strtol(optarg, NULL, 10);
			break;
		case 'B':
			bits_per_char = (int)strtol(optarg, NULL, 10);
			if (bits_per_char != 10 && bits_per_char != 11) {
				fprintf(stderr, "plancount: --bits-per-char is 10 or 11\n");
				return 2;
			}
			break;
		case 'p':
			o.profiles = optarg;
			break;
		case 'L':
			o.limits = optarg;
			break;
		case 'l':
			o.label = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (cd_path) {
		o.collectd = fopen(cd_path, "w");
		if (!o.collectd) {
			fprintf(stderr, "plancount: %s: %s\n", cd_path, strerror(errno));
			return 1;
		}
		fprintf(o.collectd, "LoadPlugin modbus\n<Plugin modbus>\n");
	}
	struct cost tot[5];
	memset(tot, 0, sizeof tot);
	int rc = 0;
	for (int i = optind; i < argc; i++)
		if (do_station(argv[i], &o, tot) != 0)
			rc = 1;
	if (o.collectd) {
		fprintf(o.collectd, "</Plugin>\n");
		if (fclose(o.collectd) != 0)
			rc = 1;
	}
	return rc;
}
