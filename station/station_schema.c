/* station_schema.c - the schema of station and profile files (one
 * descriptor table per group, at the end) and the walker that applies a
 * table to a libconfig group (see station_schema.h). */
#include "station_schema.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/err.h"

/* User text quoted in messages is cut to this many bytes. */
#define QUOTE_MAX 64

int wwtp_ld_source(const struct wwtp_ld *L, const config_setting_t *s, char *buf, size_t n)
{
	const char *sf = s ? config_setting_source_file(s) : NULL;
	int w;

	if (!sf || strcmp(sf, L->file) == 0 || sf[0] == '/' || !L->include_dir)
		w = snprintf(buf, n, "%s", sf ? sf : L->file);
	else
		w = snprintf(buf, n, "%s/%s", L->include_dir, sf);
	return (w < 0 || (size_t)w >= n) ? -1 : 0;
}

void wwtp_ld_problem(struct wwtp_ld *L, const config_setting_t *s, const char *fmt, ...)
{
	char msg[700], file[512];
	va_list ap;
	int line = 0;

	wwtp_ld_source(L, s, file, sizeof(file)); /* cut if too long: it is only a message */
	if (s)
		line = (int)config_setting_source_line(s);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	wwtp_diag_add(L->diag, file, line, "%s", msg);
}

const char *wwtp_cfg_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number with a decimal point";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:
		return "a list ( ... )";
	default:
		return "nothing";
	}
}

/* The station loader's words for what the walker found. */
static void say(void *ctx, const struct wwtp_cs_issue *is)
{
	struct wwtp_ld *L = ctx;
	const struct wwtp_opt *o = is->o;
	const char *p = is->prefix, *key = o ? o->key : "", *h = o ? o->hint : NULL;

	switch (is->problem) {
	case WWTP_CS_UNKNOWN:
		if (*is->what)
			wwtp_ld_problem(L, is->at, "unknown key '%.*s' in %s (known keys: %s)",
					QUOTE_MAX, is->name ? is->name : "?", is->what, is->known);
		else
			wwtp_ld_problem(L, is->at, "unknown top-level key '%.*s' (known keys: %s)",
					QUOTE_MAX, is->name ? is->name : "?", is->known);
		return;
	case WWTP_CS_TYPE:
		wwtp_ld_problem(L, is->at, "%s%s must be %s, not %s", p, key,
				wwtp_cs_wanted(o->kind),
				wwtp_cfg_type_name(config_setting_type(is->at)));
		return;
	case WWTP_CS_EMPTY:
		wwtp_ld_problem(L, is->at, "%s%s must not be empty%s%s", p, key, h ? ": use " : "",
				h ? h : "");
		return;
	case WWTP_CS_NOT_ENUM:
		wwtp_ld_problem(L, is->at, "%s%s \"%.*s\" is not valid: use %s", p, key, QUOTE_MAX,
				is->str, h ? h : "a known value");
		return;
	case WWTP_CS_TOO_LONG:
		wwtp_ld_problem(L, is->at, "%s%s is too long (%zu bytes, at most %zu): shorten it",
				p, key, strlen(is->str), o->size - 1);
		return;
	case WWTP_CS_CHARSET:
		wwtp_ld_problem(L, is->at, "%s%s \"%.*s\" may only contain %s", p, key, QUOTE_MAX,
				is->str, h ? h : o->charset);
		return;
	case WWTP_CS_INT_RANGE:
		wwtp_ld_problem(L, is->at, "%s%s %lld out of range %.0f..%.0f%s%s%s", p, key,
				is->ival, is->lo, is->hi, h ? " (" : "", h ? h : "", h ? ")" : "");
		return;
	case WWTP_CS_INT_INVALID:
		wwtp_ld_problem(L, is->at, "%s%s %lld is not allowed: use %s", p, key, is->ival,
				h ? h : "another value");
		return;
	case WWTP_CS_NOT_FINITE:
		wwtp_ld_problem(L, is->at, "%s%s must be a finite number", p, key);
		return;
	case WWTP_CS_FLOAT_RANGE:
		wwtp_ld_problem(L, is->at, "%s%s %g out of range %g..%g", p, key, is->dval, is->lo,
				is->hi);
		return;
	case WWTP_CS_ZERO:
		wwtp_ld_problem(L, is->at, "%s%s must not be 0", p, key);
		return;
	case WWTP_CS_MISSING:
		wwtp_ld_problem(L, is->at, "%smissing required key '%s'%s%s", p, key, h ? ": " : "",
				h ? h : "");
		return;
	}
}

uint64_t wwtp_walk(struct wwtp_ld *L, const config_setting_t *grp, const struct wwtp_opt *tab,
		   size_t n, void *obj, const char *what, uint64_t *bad)
{
	/* Transport keys are required only with their transport: the device
	 * loader checks them once it knows which. */
	const struct wwtp_cs_walker w = {
	    .report = say, .ctx = L, .req_by_caller = WWTP_OPT_TCP | WWTP_OPT_RTU};
	return wwtp_cs_walk(&w, grp, tab, n, obj, what, bad);
}

/* ---- the schema ---- */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- enum parsers (ENUM entries) ---- */

static int p_plan(const char *s, void *f)
{
	static const char *const plans[] = {"qd6613", "task13", "review"};
	for (size_t i = 0; i < NELEM(plans); i++) {
		if (strcmp(s, plans[i]) == 0) {
			snprintf(f, WWTP_ID_MAX, "%s", plans[i]);
			return 0;
		}
	}
	return -1;
}
static int p_transport(const char *s, void *f)
{
	enum wwtp_transport_kind *t = f;
	if (strcmp(s, "tcp") == 0)
		*t = WWTP_TRANSPORT_TCP;
	else if (strcmp(s, "rtu") == 0)
		*t = WWTP_TRANSPORT_RTU;
	else
		return -1;
	return 0;
}
static int p_parity(const char *s, void *f)
{
	if (strcmp(s, "N") && strcmp(s, "E") && strcmp(s, "O"))
		return -1;
	*(char *)f = s[0];
	return 0;
}
static int p_rts(const char *s, void *f)
{
	static const char *const modes[] = {"none", "up", "down"}; /* = wwtp_rs485.rts */
	for (size_t i = 0; i < NELEM(modes); i++) {
		if (strcmp(s, modes[i]) == 0) {
			*(int *)f = (int)i;
			return 0;
		}
	}
	return -1;
}
static int p_table(const char *s, void *f)
{
	return wwtp_table_parse(s, f) ? -1 : 0;
}
static int p_reg_table(const char *s, void *f)
{
	enum wwtp_table t;
	if (wwtp_table_parse(s, &t) || (t != WWTP_TABLE_HOLDING && t != WWTP_TABLE_INPUT))
		return -1;
	*(enum wwtp_table *)f = t;
	return 0;
}
static int p_type(const char *s, void *f)
{
	return wwtp_type_parse(s, f) ? -1 : 0;
}
static int p_order(const char *s, void *f)
{
	return wwtp_order_parse(s, f) ? -1 : 0;
}
static int p_mode(const char *s, void *f)
{
	enum wwtp_status_mode *m = f;
	if (strcmp(s, "value") == 0)
		*m = WWTP_STATUS_VALUE;
	else if (strcmp(s, "bits") == 0)
		*m = WWTP_STATUS_BITS;
	else
		return -1;
	return 0;
}
static int v_baud(long long v)
{
	static const long long rates[] = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200};
	for (size_t i = 0; i < NELEM(rates); i++)
		if (v == rates[i])
			return 1;
	return 0;
}

/* ---- the schema: one table per group ---- */

const struct wwtp_opt wwtp_top_opts[] = {
    OPT_SUB("station", WWTP_OPT_GROUP, WWTP_OPT_REQ, struct top_in, station,
	    "add station = { id = \"...\"; name = \"...\"; };"),
    OPT_SUB("devices", WWTP_OPT_LIST, WWTP_OPT_REQ, struct top_in, devices,
	    "add devices = ( { ... } );"),
    OPT_SUB("mqtt", WWTP_OPT_GROUP, WWTP_OPT_REQ, struct top_in, mqtt,
	    "add mqtt = { uri = \"tcp://127.0.0.1:1883\"; };"),
    OPT_STR("profiles_dir", WWTP_OPT_NONEMPTY, struct top_in, profiles_dir, NULL, "", NULL),
    /* The two compliance groups are only stored here: their own tables are
     * in compliance/ (limits.c, eval_config.c). */
    OPT_SUB("limits", WWTP_OPT_GROUP, 0, struct top_in, limits, NULL),
    OPT_SUB("evaluation", WWTP_OPT_GROUP, 0, struct top_in, evaluation, NULL),
    OPT_STR("limits_dir", WWTP_OPT_NONEMPTY, struct top_in, limits_dir, NULL, "", NULL),
    /* Its own table is in tt10_config.c. */
    OPT_SUB("tt10", WWTP_OPT_GROUP, 0, struct top_in, tt10, NULL),
    /* The collector's durable queue: its table is in store_config.c. */
    OPT_SUB("store", WWTP_OPT_GROUP, 0, struct top_in, store, NULL),
    /* docs/plausibility.md */
    OPT_SUB("plausibility", WWTP_OPT_LIST, 0, struct top_in, plausibility, NULL),
    OPT_STR("plausibility_file", WWTP_OPT_NONEMPTY, struct top_in, plausibility_file, NULL, "",
	    NULL),
    /* Keys of the signed chain: its table is in signing_config.c. */
    OPT_SUB("signing", WWTP_OPT_GROUP, 0, struct top_in, signing, NULL),
};

const struct wwtp_opt wwtp_station_opts[] = {
    OPT_STR("id", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct wwtp_station, id, CS_ID, NULL, HINT_ID),
    OPT_STR("name", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct wwtp_station, name, NULL, NULL, NULL),
    OPT_STR("district", 0, struct wwtp_station, district, NULL, "", NULL),
    /* Optional: a plant outside Hanoi's plan (any new cluster) has none,
     * and the station group's first contract was id, name, district. */
    OPT_ENUM("plan", 0, struct wwtp_station, plan, p_plan, NULL,
	     "\"qd6613\", \"task13\" or \"review\""),
    OPT_FLT("design_flow_m3d", 0, struct wwtp_station, design_flow_m3d, 0, 1e7, 0),
};

const struct wwtp_opt wwtp_device_opts[] = {
    OPT_STR("name", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct dev_in, d.name, CS_NAME, NULL,
	    HINT_NAME),
    OPT_ENUM("transport", WWTP_OPT_REQ, struct dev_in, d.transport, p_transport, NULL,
	     "\"tcp\" or \"rtu\""),
    OPT_STR("host", WWTP_OPT_REQ | WWTP_OPT_TCP | WWTP_OPT_NONEMPTY, struct dev_in, d.host, NULL,
	    "", "an IP address or host name"),
    OPT_INT("port", WWTP_OPT_TCP, struct dev_in, d.port, 1, 65535, 502),
    OPT_STR("serial", WWTP_OPT_REQ | WWTP_OPT_RTU | WWTP_OPT_NONEMPTY, struct dev_in, d.serial,
	    NULL, "", "a serial device such as \"/dev/ttyUSB0\""),
    OPT_INTX("baud", WWTP_OPT_RTU, struct dev_in, d.baud, 1200, 115200, 9600, v_baud,
	     "1200, 2400, 4800, 9600, 19200, 38400, 57600 or 115200"),
    OPT_ENUM("parity", WWTP_OPT_RTU, struct dev_in, d.parity, p_parity, "N",
	     "\"N\", \"E\" or \"O\""),
    OPT_INT("data_bits", WWTP_OPT_RTU, struct dev_in, d.data_bits, 7, 8, 8),
    OPT_INT("stop_bits", WWTP_OPT_RTU, struct dev_in, d.stop_bits, 1, 2, 1),
    OPT_SUB("rs485", WWTP_OPT_GROUP, WWTP_OPT_RTU, struct dev_in, rs485, NULL),
    /* 0..255 here; the tighter 0..247 of RTU is checked with the transport. */
    OPT_INTX("unit_id", WWTP_OPT_REQ, struct dev_in, d.unit_id, 0, 255, 0, NULL,
	     "0..247 for transport \"rtu\""),
    OPT_INT("interval_ms", 0, struct dev_in, d.interval_ms, 100, 86400000, 10000),
    OPT_INT("timeout_ms", 0, struct dev_in, d.timeout_ms, 10, 60000, 1000),
    OPT_INT("retries", 0, struct dev_in, d.retries, 0, 10, 2),
    OPT_INT("max_gap", 0, struct dev_in, d.max_gap, 0, 124, 8),
    OPT_INT("max_regs", 0, struct dev_in, d.max_regs, 1, 125, 125),
    OPT_INT("address_base", 0, struct dev_in, d.address_base, 0, 1, 0),
    OPT_STR("profile", WWTP_OPT_NONEMPTY, struct dev_in, d.profile, CS_NAME, "", HINT_NAME),
    OPT_SUB("rename", WWTP_OPT_GROUP, 0, struct dev_in, rename, NULL),
    OPT_SUB("omit", WWTP_OPT_SEQ, 0, struct dev_in, omit, NULL),
    OPT_SUB("status", WWTP_OPT_GROUP, 0, struct dev_in, status, NULL),
    OPT_SUB("points", WWTP_OPT_LIST, 0, struct dev_in, points, NULL),
};

const struct wwtp_opt wwtp_rs485_opts[] = {
    OPT_BOOL("enabled", 0, struct wwtp_rs485, enabled, 0),
    OPT_ENUM("rts", 0, struct wwtp_rs485, rts, p_rts, "none", "\"none\", \"up\" or \"down\""),
    OPT_INT("rts_delay_us", 0, struct wwtp_rs485, rts_delay_us, -1, 1000000, -1),
};

const struct wwtp_opt wwtp_point_opts[] = {
    OPT_STR("param", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct point_in, p.param, CS_PARAM, NULL,
	    HINT_PARAM),
    OPT_ENUM("table", WWTP_OPT_REQ, struct point_in, p.table, p_table, NULL,
	     "\"holding\", \"input\", \"coil\" or \"discrete\""),
    /* Up to the 6-digit Modicon form; the wire address is checked after the base. */
    OPT_INT("address", WWTP_OPT_REQ, struct point_in, address, 0, 465536, 0),
    OPT_ENUM("type", WWTP_OPT_REQ, struct point_in, p.type, p_type, NULL,
	     "\"bool\", \"int16\", \"uint16\", \"int32\", \"uint32\", \"int64\", \"uint64\", "
	     "\"float32\" or \"float64\""),
    OPT_ENUM("order", 0, struct point_in, p.order, p_order, "ABCD",
	     "\"ABCD\", \"CDAB\", \"BADC\" or \"DCBA\""),
    OPT_FLT("scale", WWTP_OPT_NONZERO, struct point_in, p.scale, -DBL_MAX, DBL_MAX, 1.0),
    OPT_FLT("offset", 0, struct point_in, p.offset, -DBL_MAX, DBL_MAX, 0.0),
    OPT_STR("unit", 0, struct point_in, p.unit, NULL, "", NULL),
    OPT_INT("bit", 0, struct point_in, p.bit, -1, 15, -1),
    OPT_SUB("status", WWTP_OPT_GROUP, 0, struct point_in, status, NULL),
    OPT_SUB("plausible", WWTP_OPT_GROUP, 0, struct point_in, plausible, NULL),
};

const struct wwtp_opt wwtp_status_opts[] = {
    OPT_ENUM("table", 0, struct status_in, s.table, p_reg_table, "holding",
	     "\"holding\" or \"input\""),
    OPT_INT("address", WWTP_OPT_REQ, struct status_in, address, 0, 465536, 0),
    OPT_ENUM("mode", WWTP_OPT_REQ, struct status_in, s.mode, p_mode, NULL, "\"value\" or \"bits\""),
    OPT_INT("calibrating", WWTP_OPT_REQ, struct status_in, s.calibrating, 0, 65535, 0),
    OPT_INT("fault", WWTP_OPT_REQ, struct status_in, s.fault, 0, 65535, 0),
};

const struct wwtp_opt wwtp_mqtt_opts[] = {
    /* A station's client id defaults to "wwtp-collector-<id>" (set by the
     * loader once the id is known). */
    WWTP_MQTT_GROUP_OPTS("", 0, 0),
};

const struct wwtp_opt wwtp_prof_top_opts[] = {
    OPT_SUB("profile", WWTP_OPT_GROUP, WWTP_OPT_REQ, struct prof_in, profile,
	    "add profile = { name = \"...\"; };"),
    OPT_SUB("points", WWTP_OPT_LIST, WWTP_OPT_REQ, struct prof_in, points,
	    "add points = ( { ... } );"),
    OPT_SUB("status", WWTP_OPT_GROUP, 0, struct prof_in, status, NULL),
};

const struct wwtp_opt wwtp_prof_hdr_opts[] = {
    OPT_STR("name", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct prof_hdr, name, CS_NAME, NULL,
	    HINT_NAME),
    OPT_STR("vendor", 0, struct prof_hdr, vendor, NULL, "", NULL),
    OPT_STR("model", 0, struct prof_hdr, model, NULL, "", NULL),
    OPT_STR("description", 0, struct prof_hdr, description, NULL, "", NULL),
    OPT_INT("address_base", 0, struct prof_hdr, address_base, 0, 1, 0),
};

const size_t wwtp_ntop_opts = NELEM(wwtp_top_opts);
const size_t wwtp_nstation_opts = NELEM(wwtp_station_opts);
const size_t wwtp_ndevice_opts = NELEM(wwtp_device_opts);
const size_t wwtp_nrs485_opts = NELEM(wwtp_rs485_opts);
const size_t wwtp_npoint_opts = NELEM(wwtp_point_opts);
const size_t wwtp_nstatus_opts = NELEM(wwtp_status_opts);
const size_t wwtp_nmqtt_opts = NELEM(wwtp_mqtt_opts);
const size_t wwtp_nprof_top_opts = NELEM(wwtp_prof_top_opts);
const size_t wwtp_nprof_hdr_opts = NELEM(wwtp_prof_hdr_opts);
