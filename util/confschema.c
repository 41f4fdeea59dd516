/* confschema.c - the descriptor-table walker (confschema.h). */
#include "confschema.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define BIT(i) ((uint64_t)1 << (i))

const char *wwtp_cs_wanted(enum wwtp_opt_kind k)
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

static int accepts(enum wwtp_opt_kind k, int type)
{
	switch (k) {
	case WWTP_OPT_STR:
	case WWTP_OPT_ENUM:
		return type == CONFIG_TYPE_STRING;
	case WWTP_OPT_INT:
		return type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;
	case WWTP_OPT_FLOAT:
		/* People write 150 as often as 150.0; libconfig tells them apart. */
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

/* One walk: the walker, and what every issue of it shares. */
struct walk {
	const struct wwtp_cs_walker *w;
	const char *what, *prefix;
};

static void report(const struct walk *k, struct wwtp_cs_issue is)
{
	is.what = k->what;
	is.prefix = k->prefix;
	k->w->report(k->w->ctx, &is);
}

static int check_string(const struct walk *k, const config_setting_t *s, const struct wwtp_opt *o,
			void *f)
{
	const char *v = config_setting_get_string(s);
	size_t len = v ? strlen(v) : 0;

	if (!v)
		v = "";
	struct wwtp_cs_issue is = {.at = s, .o = o, .str = v};
	if ((o->flags & WWTP_OPT_NONEMPTY) && len == 0)
		is.problem = WWTP_CS_EMPTY;
	else if (o->kind == WWTP_OPT_ENUM && o->parse(v, f) != 0)
		is.problem = WWTP_CS_NOT_ENUM;
	else if (o->kind == WWTP_OPT_ENUM)
		return 0;
	else if (len >= o->size)
		is.problem = WWTP_CS_TOO_LONG;
	else if (o->charset && strspn(v, o->charset) < len)
		is.problem = WWTP_CS_CHARSET;
	else {
		memcpy(f, v, len + 1);
		return 0;
	}
	report(k, is);
	return -1;
}

static int check_number(const struct walk *k, const config_setting_t *s, const struct wwtp_opt *o,
			void *f)
{
	int bounded = o->min < o->max;
	struct wwtp_cs_issue is = {.at = s, .o = o, .lo = o->min, .hi = o->max};

	if (o->kind == WWTP_OPT_INT) {
		long long v = config_setting_get_int64(s);
		if (!bounded) {
			is.lo = -2147483648.0;
			is.hi = 2147483647.0;
		}
		/* What the field can hold bounds the value too, whatever the
		 * table says: a value store_int() would cut is refused. */
		if (o->size == sizeof(uint16_t)) {
			is.lo = is.lo < 0.0 ? 0.0 : is.lo;
			is.hi = is.hi > 65535.0 ? 65535.0 : is.hi;
		} else if (o->size == sizeof(int)) {
			is.lo = is.lo < -2147483648.0 ? -2147483648.0 : is.lo;
			is.hi = is.hi > 2147483647.0 ? 2147483647.0 : is.hi;
		}
		is.ival = v;
		if ((double)v < is.lo || (double)v > is.hi)
			is.problem = WWTP_CS_INT_RANGE;
		else if (o->valid && !o->valid(v))
			is.problem = WWTP_CS_INT_INVALID;
		else if ((o->flags & WWTP_OPT_NONZERO) && v == 0)
			is.problem = WWTP_CS_ZERO;
		else {
			store_int(f, o->size, v);
			return 0;
		}
		report(k, is);
		return -1;
	}
	double v = config_setting_type(s) == CONFIG_TYPE_FLOAT
		       ? config_setting_get_float(s)
		       : (double)config_setting_get_int64(s);
	is.dval = v;
	if (!isfinite(v))
		is.problem = WWTP_CS_NOT_FINITE;
	else if (bounded && (v < o->min || v > o->max))
		is.problem = WWTP_CS_FLOAT_RANGE;
	else if ((o->flags & WWTP_OPT_NONZERO) && v == 0.0)
		is.problem = WWTP_CS_ZERO;
	else {
		*(double *)f = v;
		return 0;
	}
	report(k, is);
	return -1;
}

/* Type-checks member s against entry o and stores it. Returns 0, 1 when it
 * is of the wrong type, -1 when its value is refused (both reported). */
static int take(const struct walk *k, const config_setting_t *s, const struct wwtp_opt *o,
		void *obj)
{
	void *f = (char *)obj + o->off;

	if (!accepts(o->kind, config_setting_type(s))) {
		report(k, (struct wwtp_cs_issue){.problem = WWTP_CS_TYPE, .at = s, .o = o});
		return 1;
	}
	switch (o->kind) {
	case WWTP_OPT_STR:
	case WWTP_OPT_ENUM:
		return check_string(k, s, o, f);
	case WWTP_OPT_INT:
	case WWTP_OPT_FLOAT:
		return check_number(k, s, o, f);
	case WWTP_OPT_BOOL:
		*(int *)f = config_setting_get_bool(s) ? 1 : 0;
		return 0;
	case WWTP_OPT_GROUP:
	case WWTP_OPT_LIST:
	case WWTP_OPT_SEQ:
		*(const config_setting_t **)f = s;
		return 0;
	}
	return 0;
}

static size_t find(const struct wwtp_opt *tab, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (strcmp(tab[i].key, name) == 0)
			return i;
	return n;
}

static void unknown(const struct walk *k, const config_setting_t *m, const struct wwtp_opt *tab,
		    size_t n, const char *name)
{
	char known[600];
	size_t used = 0;

	known[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w =
		    snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "", tab[i].key);
		if (w < 0 || (size_t)w >= sizeof(known) - used)
			break;
		used += (size_t)w;
	}
	report(k, (struct wwtp_cs_issue){
		      .problem = WWTP_CS_UNKNOWN, .at = m, .name = name, .known = known});
}

static int required(const struct walk *k, const struct wwtp_opt *o)
{
	return (o->flags & WWTP_OPT_REQ) && !(o->flags & k->w->req_by_caller);
}

uint64_t wwtp_cs_walk(const struct wwtp_cs_walker *w, const config_setting_t *grp,
		      const struct wwtp_opt *tab, size_t n, void *obj, const char *what,
		      uint64_t *bad)
{
	char pbuf[200];
	struct walk k = {.w = w, .what = what ? what : "", .prefix = ""};
	uint64_t present = 0, wrong = 0;
	int len = grp ? config_setting_length(grp) : 0;

	if (what && *what) {
		snprintf(pbuf, sizeof(pbuf), "%s: ", what);
		k.prefix = pbuf;
	}
	if (n > 64)
		n = 64;
	for (size_t i = 0; i < n; i++)
		set_default(obj, &tab[i]);

	if (w->order == WWTP_CS_BY_MEMBER) {
		for (int j = 0; j < len; j++) {
			const config_setting_t *m = config_setting_get_elem(grp, (unsigned)j);
			const char *name = config_setting_name(m);
			size_t i = find(tab, n, name);
			if (!name)
				continue; /* groups only have named members */
			if (i == n) {
				if (!w->extra || !w->extra(w->extra_ctx, m))
					unknown(&k, m, tab, n, name);
				continue;
			}
			int rc = take(&k, m, &tab[i], obj);
			if (rc != 1)
				present |=
				    BIT(i); /* a member of the wrong type counts as missing */
			if (rc != 0)
				wrong |= BIT(i);
		}
		for (size_t i = 0; grp && i < n; i++)
			if (required(&k, &tab[i]) && !(present & BIT(i)))
				report(&k, (struct wwtp_cs_issue){.problem = WWTP_CS_MISSING,
								  .at = grp,
								  .o = &tab[i]});
	} else {
		for (int j = 0; j < len; j++) {
			const config_setting_t *m = config_setting_get_elem(grp, (unsigned)j);
			const char *name = m ? config_setting_name(m) : NULL;
			if (m && find(tab, n, name) == n)
				unknown(&k, m, tab, n, name);
		}
		for (size_t i = 0; i < n; i++) {
			const config_setting_t *s =
			    grp ? config_setting_get_member(grp, tab[i].key) : NULL;
			if (!s) {
				if (grp && required(&k, &tab[i]))
					report(&k,
					       (struct wwtp_cs_issue){.problem = WWTP_CS_MISSING,
								      .at = grp,
								      .o = &tab[i]});
				continue;
			}
			present |= BIT(i);
			if (take(&k, s, &tab[i], obj) != 0)
				wrong |= BIT(i);
		}
	}
	if (bad)
		*bad = wrong;
	return present;
}
