/* probe.c - every interpretation of a point's registers (see probe.h). */
#include "probe.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../compliance/plausibility.h"
#include "../drivers/decode.h"
#include "../drivers/link.h"
#include "../util/err.h"

#define PROBE_REGS 4 /* enough for the widest type */

static const enum wwtp_type types[] = {
    WWTP_TYPE_INT16, WWTP_TYPE_UINT16, WWTP_TYPE_INT32,	  WWTP_TYPE_UINT32,
    WWTP_TYPE_INT64, WWTP_TYPE_UINT64, WWTP_TYPE_FLOAT32, WWTP_TYPE_FLOAT64,
};
static const enum wwtp_order orders[] = {WWTP_ORDER_ABCD, WWTP_ORDER_CDAB, WWTP_ORDER_BADC,
					 WWTP_ORDER_DCBA};

/* Within one register only the byte order counts: ABCD = CDAB, BADC = DCBA. */
static int byte_order(enum wwtp_order o)
{
	return o == WWTP_ORDER_BADC || o == WWTP_ORDER_DCBA;
}

static int is_float(enum wwtp_type t)
{
	return t == WWTP_TYPE_FLOAT32 || t == WWTP_TYPE_FLOAT64;
}

size_t wwtp_probe_interpret(const struct wwtp_point *p, const uint16_t *regs, size_t nregs,
			    struct wwtp_probe_row *rows, size_t max)
{
	size_t n = 0;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		int regs_needed = wwtp_type_regs(types[t]);
		if ((size_t)regs_needed > nregs)
			continue;
		for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]) && n < max; o++) {
			/* One register has only two orders: AB (= CDAB) and BA (= DCBA). */
			if (regs_needed == 1 &&
			    (orders[o] == WWTP_ORDER_CDAB || orders[o] == WWTP_ORDER_DCBA))
				continue;
			struct wwtp_point q = *p;
			q.table = WWTP_TABLE_HOLDING;
			q.type = types[t];
			q.order = orders[o];
			q.bit = -1;
			double v;
			if (wwtp_decode_regs(&q, regs, nregs, &v) != 0)
				continue;
			struct wwtp_probe_row *r = &rows[n++];
			r->type = q.type;
			r->order = q.order;
			r->value = v;
			r->plausible = p->plaus.on ? wwtp_plaus_in_range(&p->plaus, v) : -1;
			/* Floats read from the wrong words are mostly tiny (1e-38):
			 * inside a range that starts at 0, never a measurement. */
			if (r->plausible == 1 && is_float(q.type) && v != 0 && fabs(v) < 1e-9)
				r->plausible = 0;
			r->configured =
			    p->type == q.type &&
			    (regs_needed == 1 ? byte_order(p->order) == byte_order(q.order)
					      : p->order == q.order);
		}
	}
	return n;
}

static const char *order_label(enum wwtp_type t, enum wwtp_order o)
{
	if (wwtp_type_regs(t) == 1)
		return o == WWTP_ORDER_ABCD ? "AB" : "BA";
	return wwtp_order_name(o);
}

/* Reads up to PROBE_REGS registers, fewer when the device refuses the
 * longer read (the point may sit at the end of its map). *nregs gets how
 * many. On failure, why names it. */
static int read_regs(const struct wwtp_device *dev, enum wwtp_table table, uint16_t addr,
		     uint16_t *regs, size_t *nregs, char *why, size_t wn)
{
	struct wwtp_link *l = wwtp_link_new(dev);
	int rc;

	*nregs = 0;
	if (!l)
		return WWTP_ERR_NOMEM;
	wwtp_link_set_timeout(l, dev->timeout_ms);
	rc = wwtp_link_open(l);
	for (uint16_t count = PROBE_REGS; rc == 0 && count >= 1; count /= 2) {
		if ((unsigned)addr + count > 65536u)
			continue;
		for (int attempt = 0; attempt <= dev->retries; attempt++) {
			rc = wwtp_link_read_regs(l, dev->unit_id, table, addr, count, regs);
			if (rc != WWTP_ERR_TIMEOUT && rc != WWTP_ERR_PROTO)
				break;
		}
		if (rc == 0) {
			*nregs = count;
			break;
		}
		if (rc != WWTP_ERR_EXCEPTION)
			break;
	}
	if (rc != 0) {
		int ex = wwtp_link_last_exception(l);
		snprintf(why, wn, "%s%s", wwtp_link_last_error(l),
			 ex == 2 ? ": no such register here, wrong address or table?" : "");
	}
	wwtp_link_free(l);
	return rc;
}

int wwtp_probe_suggest(const struct wwtp_device *dev, const struct wwtp_point *p, char *buf,
		       size_t n)
{
	uint16_t regs[PROBE_REGS];
	size_t nregs, used = 0;
	struct wwtp_probe_row rows[WWTP_PROBE_ROWS_MAX];
	char why[128];

	buf[0] = '\0';
	if (p->table != WWTP_TABLE_HOLDING && p->table != WWTP_TABLE_INPUT)
		return 0;
	int rc = read_regs(dev, p->table, p->address, regs, &nregs, why, sizeof(why));
	if (rc)
		return rc;
	size_t nr = wwtp_probe_interpret(p, regs, nregs, rows, WWTP_PROBE_ROWS_MAX);
	/* Floats first (a float read as an integer is the usual mistake, and
	 * small integers fit many ranges by chance), at most three. */
	int said = 0;
	for (size_t k = 0; k < 2 * nr && used < n && said < 3; k++) {
		size_t i = k % nr;
		if (k == nr && said)
			break; /* a float fits: the integers are chance */
		if ((k < nr) != is_float(rows[i].type))
			continue;
		if (rows[i].plausible != 1 || rows[i].configured)
			continue;
		said++;
		int w = snprintf(buf + used, n - used, "%s%s %s reads %.6g", used ? "; " : "",
				 wwtp_type_name(rows[i].type),
				 order_label(rows[i].type, rows[i].order), rows[i].value);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (used >= n && n > 4)
		memcpy(buf + n - 4, "...", 4); /* cut: say so */
	return 0;
}

static const struct wwtp_point *point_at(const struct wwtp_device *d, enum wwtp_table t,
					 uint16_t addr, int any_table)
{
	for (size_t i = 0; i < d->npoints; i++) {
		const struct wwtp_point *p = &d->points[i];
		if (p->address == addr && (any_table || p->table == t) &&
		    (p->table == WWTP_TABLE_HOLDING || p->table == WWTP_TABLE_INPUT))
			return p;
	}
	return NULL;
}

int wwtp_probe_run(const struct wwtp_station *st, const char *device, long address, int table,
		   FILE *out)
{
	const struct wwtp_device *dev = NULL;
	for (size_t i = 0; i < st->ndevices && !dev; i++)
		if (strcmp(st->devices[i].name, device) == 0)
			dev = &st->devices[i];
	if (!dev) {
		fprintf(out, "no device \"%s\" in station %s; its devices:", device, st->id);
		for (size_t i = 0; i < st->ndevices; i++)
			fprintf(out, " %s", st->devices[i].name);
		fprintf(out, "\n");
		return 2;
	}
	int base = dev->address_base > 0 ? dev->address_base : 0;
	long wire = address - base;
	if (wire < 0 || wire > 65535) {
		fprintf(out, "address %ld is outside %d..%d for device %s (address_base %d)\n",
			address, base, 65535 + base, dev->name, base);
		return 2;
	}
	if (table == WWTP_TABLE_COIL || table == WWTP_TABLE_DISCRETE) {
		fprintf(out, "--probe reads registers: table is holding or input\n");
		return 2;
	}
	const struct wwtp_point *found =
	    point_at(dev, (enum wwtp_table)(table < 0 ? WWTP_TABLE_HOLDING : table), (uint16_t)wire,
		     table < 0);
	enum wwtp_table t = table >= 0 ? (enum wwtp_table)table
			    : found    ? found->table
				       : WWTP_TABLE_HOLDING;
	struct wwtp_point plain;
	memset(&plain, 0, sizeof(plain));
	plain.scale = 1.0;
	plain.bit = -1;
	plain.type = (enum wwtp_type) - 1; /* matches no row */
	const struct wwtp_point *p = found ? found : &plain;

	uint16_t regs[PROBE_REGS];
	size_t nregs;
	char why[160];
	fprintf(out, "device %s (unit %d), %s %ld:", dev->name, dev->unit_id, wwtp_table_name(t),
		address);
	int rc = read_regs(dev, t, (uint16_t)wire, regs, &nregs, why, sizeof(why));
	if (rc) {
		fprintf(out, " not read: %s\n", why);
		return 1;
	}
	for (size_t i = 0; i < nregs; i++)
		fprintf(out, " 0x%04X", regs[i]);
	fprintf(out, "\n");
	if (found) {
		char range[64];
		wwtp_plaus_range_label(&found->plaus, range, sizeof(range));
		fprintf(out,
			"point %s (%s), scale %g, offset %g; the station file reads it as %s %s; "
			"plausible: %s%s%s\n",
			found->param, found->unit[0] ? found->unit : "no unit", found->scale,
			found->offset, wwtp_type_name(found->type),
			order_label(found->type, found->order),
			found->plaus.on ? range : "no bounds", found->plaus.on ? " " : "",
			found->plaus.on ? found->unit : "");
	} else {
		fprintf(out, "no point of the station file at %s %ld: raw values, scale 1\n",
			wwtp_table_name(t), address);
	}
	struct wwtp_probe_row rows[WWTP_PROBE_ROWS_MAX];
	size_t nr = wwtp_probe_interpret(p, regs, nregs, rows, WWTP_PROBE_ROWS_MAX);
	fprintf(out, "%-8s %-5s %s\n", "type", "order", "value");
	for (size_t i = 0; i < nr; i++) {
		const char *mark = rows[i].plausible == 1   ? "plausible"
				   : rows[i].plausible == 0 ? "implausible"
							    : "";
		char v[32];
		snprintf(v, sizeof(v), "%.10g", rows[i].value);
		if (!mark[0] && !rows[i].configured)
			fprintf(out, "%-8s %-5s %s\n", wwtp_type_name(rows[i].type),
				order_label(rows[i].type, rows[i].order), v);
		else
			fprintf(out, "%-8s %-5s %-24s %s%s\n", wwtp_type_name(rows[i].type),
				order_label(rows[i].type, rows[i].order), v, mark,
				rows[i].configured ? " (the station file's)" : "");
	}
	return 0;
}
