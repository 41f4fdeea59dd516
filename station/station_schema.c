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

static const char *kind_wanted(enum wwtp_opt_kind k)
{
	switch (k) {
	case WWTP_OPT_STR:
	case WWTP_OPT_ENUM:
		return "a string";
	case WWTP_OPT_INT:
		return "an integer";
	case WWTP_OPT_FLOAT:
		return "a number";
	case WWTP_OPT_BOOL:
		return "true or false";
	case WWTP_OPT_GROUP:
		return "a group { ... }";
	case WWTP_OPT_LIST:
		return "a list ( ... )";
	case WWTP_OPT_SEQ:
		return "an array [ ... ] or a list ( ... )";
	}
	return "?";
}

static int kind_accepts(enum wwtp_opt_kind k, int type)
{
	switch (k) {
	case WWTP_OPT_STR:
	case WWTP_OPT_ENUM:
		return type == CONFIG_TYPE_STRING;
	case WWTP_OPT_INT:
		return type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;
	case WWTP_OPT_FLOAT:
		/* Users write both 1000 and 1000.0; libconfig tells them apart. */
		return type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64 ||
		       type == CONFIG_TYPE_FLOAT;
	case WWTP_OPT_BOOL:
		return type == CONFIG_TYPE_BOOL;
	case WWTP_OPT_GROUP:
		return type == CONFIG_TYPE_GROUP;
	case WWTP_OPT_LIST:
		return type == CONFIG_TYPE_LIST;
	case WWTP_OPT_SEQ:
		return type == CONFIG_TYPE_LIST || type == CONFIG_TYPE_ARRAY;
	}
	return 0;
}

static void store_int(void *field, size_t size, long long v)
{
	if (size == sizeof(long long))
		*(long long *)field = v;
	else if (size == sizeof(uint16_t))
		*(uint16_t *)field = (uint16_t)v;
	else
		*(int *)field = (int)v;
}

/* "label: " or "" for the top level. */
static const char *pre(const char *what, char *buf, size_t n)
{
	if (!what || !*what)
		return "";
	snprintf(buf, n, "%s: ", what);
	return buf;
}

static void unknown_key(struct wwtp_ld *L, const config_setting_t *m, const struct wwtp_opt *tab,
			size_t n, const char *what)
{
	char known[512];
	size_t used = 0;

	known[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w =
		    snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "", tab[i].key);
		if (w < 0 || (size_t)w >= sizeof(known) - used)
			break;
		used += (size_t)w;
	}
	const char *name = config_setting_name(m) ? config_setting_name(m) : "?";
	if (what && *what)
		wwtp_ld_problem(L, m, "unknown key '%.*s' in %s (known keys: %s)", QUOTE_MAX, name,
				what, known);
	else
		wwtp_ld_problem(L, m, "unknown top-level key '%.*s' (known keys: %s)", QUOTE_MAX,
				name, known);
}

static void set_default(void *obj, const struct wwtp_opt *o)
{
	char *f = (char *)obj + o->off;

	switch (o->kind) {
	case WWTP_OPT_STR:
		if (o->def_s)
			snprintf(f, o->size, "%s", o->def_s); /* defaults are short constants */
		break;
	case WWTP_OPT_ENUM:
		if (o->def_s)
			(void)o->parse(o->def_s, f);
		break;
	case WWTP_OPT_INT:
	case WWTP_OPT_BOOL:
		store_int(f, o->kind == WWTP_OPT_BOOL ? sizeof(int) : o->size, (long long)o->def_n);
		break;
	case WWTP_OPT_FLOAT:
		*(double *)f = o->def_n;
		break;
	case WWTP_OPT_GROUP:
	case WWTP_OPT_LIST:
	case WWTP_OPT_SEQ:
		*(const config_setting_t **)f = NULL;
		break;
	}
}

static int check_string(struct wwtp_ld *L, const config_setting_t *s, const struct wwtp_opt *o,
			void *f, const char *p)
{
	const char *v = config_setting_get_string(s);
	size_t len = v ? strlen(v) : 0;

	if (!v)
		v = "";
	if ((o->flags & WWTP_OPT_NONEMPTY) && len == 0) {
		wwtp_ld_problem(L, s, "%s%s must not be empty%s%s", p, o->key,
				o->hint ? ": use " : "", o->hint ? o->hint : "");
		return -1;
	}
	if (o->kind == WWTP_OPT_ENUM) {
		if (o->parse(v, f) != 0) {
			wwtp_ld_problem(L, s, "%s%s \"%.*s\" is not valid: use %s", p, o->key,
					QUOTE_MAX, v, o->hint ? o->hint : "a known value");
			return -1;
		}
		return 0;
	}
	if (len >= o->size) {
		wwtp_ld_problem(L, s, "%s%s is too long (%zu bytes, at most %zu): shorten it", p,
				o->key, len, o->size - 1);
		return -1;
	}
	if (o->charset) {
		for (size_t i = 0; i < len; i++) {
			if (!strchr(o->charset, v[i])) {
				wwtp_ld_problem(L, s, "%s%s \"%.*s\" may only contain %s", p,
						o->key, QUOTE_MAX, v,
						o->hint ? o->hint : o->charset);
				return -1;
			}
		}
	}
	memcpy(f, v, len + 1);
	return 0;
}

static int check_number(struct wwtp_ld *L, const config_setting_t *s, const struct wwtp_opt *o,
			void *f, const char *p)
{
	if (o->kind == WWTP_OPT_INT) {
		long long v = config_setting_get_int64(s);
		if ((double)v < o->min || (double)v > o->max) {
			wwtp_ld_problem(L, s, "%s%s %lld out of range %.0f..%.0f%s%s%s", p, o->key,
					v, o->min, o->max, o->hint ? " (" : "",
					o->hint ? o->hint : "", o->hint ? ")" : "");
			return -1;
		}
		if (o->valid && !o->valid(v)) {
			wwtp_ld_problem(L, s, "%s%s %lld is not allowed: use %s", p, o->key, v,
					o->hint ? o->hint : "another value");
			return -1;
		}
		if ((o->flags & WWTP_OPT_NONZERO) && v == 0) {
			wwtp_ld_problem(L, s, "%s%s must not be 0", p, o->key);
			return -1;
		}
		store_int(f, o->size, v);
		return 0;
	}
	double v = config_setting_type(s) == CONFIG_TYPE_FLOAT
		       ? config_setting_get_float(s)
		       : (double)config_setting_get_int64(s);
	if (!isfinite(v)) {
		wwtp_ld_problem(L, s, "%s%s must be a finite number", p, o->key);
		return -1;
	}
	if (v < o->min || v > o->max) {
		wwtp_ld_problem(L, s, "%s%s %g out of range %g..%g", p, o->key, v, o->min, o->max);
		return -1;
	}
	if ((o->flags & WWTP_OPT_NONZERO) && v == 0.0) {
		wwtp_ld_problem(L, s, "%s%s must not be 0", p, o->key);
		return -1;
	}
	*(double *)f = v;
	return 0;
}

uint64_t wwtp_walk(struct wwtp_ld *L, const config_setting_t *grp, const struct wwtp_opt *tab,
		   size_t n, void *obj, const char *what, uint64_t *bad)
{
	uint64_t present = 0, wrong = 0;
	char pbuf[200];
	const char *p = pre(what, pbuf, sizeof(pbuf));

	if (grp) {
		int len = config_setting_length(grp);
		for (int i = 0; i < len; i++) {
			const config_setting_t *m = config_setting_get_elem(grp, (unsigned)i);
			const char *name = m ? config_setting_name(m) : NULL;
			size_t k = n;
			for (size_t j = 0; name && j < n; j++)
				if (strcmp(name, tab[j].key) == 0)
					k = j;
			if (m && k == n)
				unknown_key(L, m, tab, n, what);
		}
	}
	for (size_t i = 0; i < n && i < 64; i++) {
		const struct wwtp_opt *o = &tab[i];
		void *f = (char *)obj + o->off;
		const config_setting_t *s = grp ? config_setting_get_member(grp, o->key) : NULL;

		set_default(obj, o);
		if (!s) {
			if (grp && (o->flags & WWTP_OPT_REQ) &&
			    !(o->flags & (WWTP_OPT_TCP | WWTP_OPT_RTU)))
				wwtp_ld_problem(L, grp, "%smissing required key '%s'%s%s", p,
						o->key, o->hint ? ": " : "",
						o->hint ? o->hint : "");
			continue;
		}
		present |= (uint64_t)1 << i;
		if (!kind_accepts(o->kind, config_setting_type(s))) {
			wwtp_ld_problem(L, s, "%s%s must be %s, not %s", p, o->key,
					kind_wanted(o->kind),
					wwtp_cfg_type_name(config_setting_type(s)));
			wrong |= (uint64_t)1 << i;
			continue;
		}
		switch (o->kind) {
		case WWTP_OPT_STR:
		case WWTP_OPT_ENUM:
			if (check_string(L, s, o, f, p) != 0)
				wrong |= (uint64_t)1 << i;
			break;
		case WWTP_OPT_INT:
		case WWTP_OPT_FLOAT:
			if (check_number(L, s, o, f, p) != 0)
				wrong |= (uint64_t)1 << i;
			break;
		case WWTP_OPT_BOOL:
			*(int *)f = config_setting_get_bool(s) ? 1 : 0;
			break;
		case WWTP_OPT_GROUP:
		case WWTP_OPT_LIST:
		case WWTP_OPT_SEQ:
			*(const config_setting_t **)f = s;
			break;
		}
	}
	if (bad)
		*bad = wrong;
	return present;
}

/* ---- the schema ---- */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define FSIZE(T, f) sizeof(((T *)0)->f)

/* Table entry helpers: one line per key. */
#define E_STR(k, fl, T, f, cs, def, h)                                                             \
	{                                                                                          \
		.key = k, .kind = WWTP_OPT_STR, .flags = fl, .off = offsetof(T, f),                \
		.size = FSIZE(T, f), .charset = cs, .def_s = def, .hint = h                        \
	}
#define E_ENUM(k, fl, T, f, fn, def, h)                                                            \
	{                                                                                          \
		.key = k, .kind = WWTP_OPT_ENUM, .flags = fl, .off = offsetof(T, f),               \
		.size = FSIZE(T, f), .parse = fn, .def_s = def, .hint = h                          \
	}
#define E_INT(k, fl, T, f, lo, hi, def)                                                            \
	{                                                                                          \
		.key = k, .kind = WWTP_OPT_INT, .flags = fl, .off = offsetof(T, f),                \
		.size = FSIZE(T, f), .min = lo, .max = hi, .def_n = def                            \
	}
/* An integer with an extra check and a hint for its messages. */
#define E_INTX(k, fl, T, f, lo, hi, def, fn, h)                                                    \
	{                                                                                          \
		.key = k, .kind = WWTP_OPT_INT, .flags = fl, .off = offsetof(T, f),                \
		.size = FSIZE(T, f), .min = lo, .max = hi, .def_n = def, .valid = fn, .hint = h    \
	}
#define E_FLT(k, fl, T, f, lo, hi, def)                                                            \
	{                                                                                          \
		.key = k, .kind = WWTP_OPT_FLOAT, .flags = fl, .off = offsetof(T, f),              \
		.size = FSIZE(T, f), .min = lo, .max = hi, .def_n = def                            \
	}
#define E_BOOL(k, fl, T, f, def)                                                                   \
	{                                                                                          \
		.key = k, .kind = WWTP_OPT_BOOL, .flags = fl, .off = offsetof(T, f),               \
		.size = FSIZE(T, f), .def_n = def                                                  \
	}
#define E_SUB(k, kd, fl, T, f, h)                                                                  \
	{                                                                                          \
		.key = k, .kind = kd, .flags = fl, .off = offsetof(T, f), .size = FSIZE(T, f),     \
		.hint = h                                                                          \
	}

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
    E_SUB("station", WWTP_OPT_GROUP, WWTP_OPT_REQ, struct top_in, station,
	  "add station = { id = \"...\"; name = \"...\"; plan = \"...\"; };"),
    E_SUB("devices", WWTP_OPT_LIST, WWTP_OPT_REQ, struct top_in, devices,
	  "add devices = ( { ... } );"),
    E_SUB("mqtt", WWTP_OPT_GROUP, WWTP_OPT_REQ, struct top_in, mqtt,
	  "add mqtt = { uri = \"tcp://127.0.0.1:1883\"; };"),
    E_STR("profiles_dir", WWTP_OPT_NONEMPTY, struct top_in, profiles_dir, NULL, "", NULL),
    /* The two compliance groups are only stored here: their own tables are
     * in compliance/ (limits.c, eval_config.c). */
    E_SUB("limits", WWTP_OPT_GROUP, 0, struct top_in, limits, NULL),
    E_SUB("evaluation", WWTP_OPT_GROUP, 0, struct top_in, evaluation, NULL),
    E_STR("limits_dir", WWTP_OPT_NONEMPTY, struct top_in, limits_dir, NULL, "", NULL),
    /* Its own table is in tt10_config.c. */
    E_SUB("tt10", WWTP_OPT_GROUP, 0, struct top_in, tt10, NULL),
    /* The collector's durable queue: its table is in store_config.c. */
    E_SUB("store", WWTP_OPT_GROUP, 0, struct top_in, store, NULL),
};

const struct wwtp_opt wwtp_station_opts[] = {
    E_STR("id", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct wwtp_station, id, CS_ID, NULL, HINT_ID),
    E_STR("name", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct wwtp_station, name, NULL, NULL, NULL),
    E_STR("district", 0, struct wwtp_station, district, NULL, "", NULL),
    E_ENUM("plan", WWTP_OPT_REQ, struct wwtp_station, plan, p_plan, NULL,
	   "\"qd6613\", \"task13\" or \"review\""),
    E_FLT("design_flow_m3d", 0, struct wwtp_station, design_flow_m3d, 0, 1e7, 0),
};

const struct wwtp_opt wwtp_device_opts[] = {
    E_STR("name", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct dev_in, d.name, CS_NAME, NULL,
	  HINT_NAME),
    E_ENUM("transport", WWTP_OPT_REQ, struct dev_in, d.transport, p_transport, NULL,
	   "\"tcp\" or \"rtu\""),
    E_STR("host", WWTP_OPT_REQ | WWTP_OPT_TCP | WWTP_OPT_NONEMPTY, struct dev_in, d.host, NULL, "",
	  "an IP address or host name"),
    E_INT("port", WWTP_OPT_TCP, struct dev_in, d.port, 1, 65535, 502),
    E_STR("serial", WWTP_OPT_REQ | WWTP_OPT_RTU | WWTP_OPT_NONEMPTY, struct dev_in, d.serial, NULL,
	  "", "a serial device such as \"/dev/ttyUSB0\""),
    E_INTX("baud", WWTP_OPT_RTU, struct dev_in, d.baud, 1200, 115200, 9600, v_baud,
	   "1200, 2400, 4800, 9600, 19200, 38400, 57600 or 115200"),
    E_ENUM("parity", WWTP_OPT_RTU, struct dev_in, d.parity, p_parity, "N", "\"N\", \"E\" or \"O\""),
    E_INT("data_bits", WWTP_OPT_RTU, struct dev_in, d.data_bits, 7, 8, 8),
    E_INT("stop_bits", WWTP_OPT_RTU, struct dev_in, d.stop_bits, 1, 2, 1),
    E_SUB("rs485", WWTP_OPT_GROUP, WWTP_OPT_RTU, struct dev_in, rs485, NULL),
    /* 0..255 here; the tighter 0..247 of RTU is checked with the transport. */
    E_INTX("unit_id", WWTP_OPT_REQ, struct dev_in, d.unit_id, 0, 255, 0, NULL,
	   "0..247 for transport \"rtu\""),
    E_INT("interval_ms", 0, struct dev_in, d.interval_ms, 100, 86400000, 10000),
    E_INT("timeout_ms", 0, struct dev_in, d.timeout_ms, 10, 60000, 1000),
    E_INT("retries", 0, struct dev_in, d.retries, 0, 10, 2),
    E_INT("max_gap", 0, struct dev_in, d.max_gap, 0, 124, 8),
    E_INT("max_regs", 0, struct dev_in, d.max_regs, 1, 125, 125),
    E_INT("address_base", 0, struct dev_in, d.address_base, 0, 1, 0),
    E_STR("profile", WWTP_OPT_NONEMPTY, struct dev_in, d.profile, CS_NAME, "", HINT_NAME),
    E_SUB("rename", WWTP_OPT_GROUP, 0, struct dev_in, rename, NULL),
    E_SUB("omit", WWTP_OPT_SEQ, 0, struct dev_in, omit, NULL),
    E_SUB("status", WWTP_OPT_GROUP, 0, struct dev_in, status, NULL),
    E_SUB("points", WWTP_OPT_LIST, 0, struct dev_in, points, NULL),
};

const struct wwtp_opt wwtp_rs485_opts[] = {
    E_BOOL("enabled", 0, struct wwtp_rs485, enabled, 0),
    E_ENUM("rts", 0, struct wwtp_rs485, rts, p_rts, "none", "\"none\", \"up\" or \"down\""),
    E_INT("rts_delay_us", 0, struct wwtp_rs485, rts_delay_us, -1, 1000000, -1),
};

const struct wwtp_opt wwtp_point_opts[] = {
    E_STR("param", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct point_in, p.param, CS_PARAM, NULL,
	  HINT_PARAM),
    E_ENUM("table", WWTP_OPT_REQ, struct point_in, p.table, p_table, NULL,
	   "\"holding\", \"input\", \"coil\" or \"discrete\""),
    /* Up to the 6-digit Modicon form; the wire address is checked after the base. */
    E_INT("address", WWTP_OPT_REQ, struct point_in, address, 0, 465536, 0),
    E_ENUM("type", WWTP_OPT_REQ, struct point_in, p.type, p_type, NULL,
	   "\"bool\", \"int16\", \"uint16\", \"int32\", \"uint32\", \"int64\", \"uint64\", "
	   "\"float32\" or \"float64\""),
    E_ENUM("order", 0, struct point_in, p.order, p_order, "ABCD",
	   "\"ABCD\", \"CDAB\", \"BADC\" or \"DCBA\""),
    E_FLT("scale", WWTP_OPT_NONZERO, struct point_in, p.scale, -DBL_MAX, DBL_MAX, 1.0),
    E_FLT("offset", 0, struct point_in, p.offset, -DBL_MAX, DBL_MAX, 0.0),
    E_STR("unit", 0, struct point_in, p.unit, NULL, "", NULL),
    E_INT("bit", 0, struct point_in, p.bit, -1, 15, -1),
    E_SUB("status", WWTP_OPT_GROUP, 0, struct point_in, status, NULL),
};

const struct wwtp_opt wwtp_status_opts[] = {
    E_ENUM("table", 0, struct status_in, s.table, p_reg_table, "holding",
	   "\"holding\" or \"input\""),
    E_INT("address", WWTP_OPT_REQ, struct status_in, address, 0, 465536, 0),
    E_ENUM("mode", WWTP_OPT_REQ, struct status_in, s.mode, p_mode, NULL, "\"value\" or \"bits\""),
    E_INT("calibrating", WWTP_OPT_REQ, struct status_in, s.calibrating, 0, 65535, 0),
    E_INT("fault", WWTP_OPT_REQ, struct status_in, s.fault, 0, 65535, 0),
};

const struct wwtp_opt wwtp_mqtt_opts[] = {
    E_STR("uri", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct wwtp_mqtt_cfg, uri, NULL, NULL,
	  "a broker URI such as \"tcp://127.0.0.1:1883\""),
    E_STR("topic_prefix", WWTP_OPT_NONEMPTY, struct wwtp_mqtt_cfg, topic_prefix,
	  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/", "wwtp",
	  "letters, digits, '-', '_' and '/'"),
    E_STR("client_id", WWTP_OPT_NONEMPTY, struct wwtp_mqtt_cfg, client_id, NULL, "", NULL),
    E_INT("keepalive_s", 0, struct wwtp_mqtt_cfg, keepalive_s, 0, 65535, 30),
    E_INT("qos", 0, struct wwtp_mqtt_cfg, qos, 0, 2, 1),
};

const struct wwtp_opt wwtp_prof_top_opts[] = {
    E_SUB("profile", WWTP_OPT_GROUP, WWTP_OPT_REQ, struct prof_in, profile,
	  "add profile = { name = \"...\"; };"),
    E_SUB("points", WWTP_OPT_LIST, WWTP_OPT_REQ, struct prof_in, points,
	  "add points = ( { ... } );"),
    E_SUB("status", WWTP_OPT_GROUP, 0, struct prof_in, status, NULL),
};

const struct wwtp_opt wwtp_prof_hdr_opts[] = {
    E_STR("name", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct prof_hdr, name, CS_NAME, NULL,
	  HINT_NAME),
    E_STR("vendor", 0, struct prof_hdr, vendor, NULL, "", NULL),
    E_STR("model", 0, struct prof_hdr, model, NULL, "", NULL),
    E_STR("description", 0, struct prof_hdr, description, NULL, "", NULL),
    E_INT("address_base", 0, struct prof_hdr, address_base, 0, 1, 0),
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
