/* cfgwalk.c - the descriptor-table walker of compliance/ (cfgwalk-private.h). */
#include "cfgwalk-private.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* User text quoted in messages is cut to this many bytes. */
#define QUOTE_MAX 64

void wwtp_cw_problem(struct wwtp_cw *c, const config_setting_t *s, const char *fmt, ...)
{
	char msg[700];
	va_list ap;
	const char *file = c->file;
	int line = 0;

	if (s) {
		if (config_setting_source_file(s))
			file = config_setting_source_file(s);
		line = (int)config_setting_source_line(s);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->errors++;
	if (c->diag)
		wwtp_diag_add(c->diag, file, line, "%s", msg);
}

int wwtp_cw_copy(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);
	if (len >= n) {
		if (n)
			dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

char wwtp_cw_confidence(const char *s)
{
	if (s && (s[0] == 'H' || s[0] == 'M' || s[0] == 'L') && s[1] == '\0')
		return s[0];
	return 0;
}

static const char *wanted(enum wwtp_cw_kind k)
{
	switch (k) {
	case WWTP_CW_STR:
		return "a string";
	case WWTP_CW_FLOAT:
		return "a number";
	case WWTP_CW_INT:
		return "an integer";
	case WWTP_CW_BOOL:
		return "true or false";
	case WWTP_CW_GROUP:
		return "a group { ... }";
	case WWTP_CW_LIST:
		return "a list ( ... )";
	case WWTP_CW_SEQ:
		return "an array [ ... ] or a list ( ... )";
	}
	return "?";
}

static int accepts(enum wwtp_cw_kind k, int type)
{
	switch (k) {
	case WWTP_CW_STR:
		return type == CONFIG_TYPE_STRING;
	case WWTP_CW_FLOAT:
		/* People write 150 as often as 150.0; libconfig tells them apart. */
		return type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64 ||
		       type == CONFIG_TYPE_FLOAT;
	case WWTP_CW_INT:
		return type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;
	case WWTP_CW_BOOL:
		return type == CONFIG_TYPE_BOOL;
	case WWTP_CW_GROUP:
		return type == CONFIG_TYPE_GROUP;
	case WWTP_CW_LIST:
		return type == CONFIG_TYPE_LIST;
	case WWTP_CW_SEQ:
		return type == CONFIG_TYPE_LIST || type == CONFIG_TYPE_ARRAY;
	}
	return 0;
}

static void set_default(void *obj, const struct wwtp_cw_opt *o)
{
	char *f = (char *)obj + o->off;

	switch (o->kind) {
	case WWTP_CW_STR:
		if (wwtp_cw_copy(f, o->size, o->def_s ? o->def_s : "") != 0)
			f[0] = '\0';
		break;
	case WWTP_CW_FLOAT:
		*(double *)f = o->def;
		break;
	case WWTP_CW_INT:
	case WWTP_CW_BOOL:
		*(int *)f = (int)o->def;
		break;
	case WWTP_CW_GROUP:
	case WWTP_CW_LIST:
	case WWTP_CW_SEQ:
		*(const config_setting_t **)f = NULL;
		break;
	}
}

static const char *label(const char *what, char *buf, size_t n)
{
	if (!what || !*what)
		return "";
	snprintf(buf, n, "%s: ", what);
	return buf;
}

static void store(struct wwtp_cw *c, const config_setting_t *m, const struct wwtp_cw_opt *o,
		  void *obj, const char *p)
{
	char *f = (char *)obj + o->off;
	int bounded = o->min < o->max; /* both 0 (left out): no bounds */

	switch (o->kind) {
	case WWTP_CW_STR: {
		const char *v = config_setting_get_string(m);
		if (!v)
			v = "";
		if ((o->flags & WWTP_CW_NONEMPTY) && !*v) {
			wwtp_cw_problem(c, m, "%s%s must not be empty%s%s", p, o->key,
					o->hint ? ": use " : "", o->hint ? o->hint : "");
			return;
		}
		if (strlen(v) >= o->size) {
			wwtp_cw_problem(c, m,
					"%s%s is too long (%zu bytes, at most %zu): shorten it", p,
					o->key, strlen(v), o->size - 1);
			return;
		}
		if (o->charset) {
			for (const char *q = v; *q; q++) {
				if (!strchr(o->charset, *q)) {
					wwtp_cw_problem(c, m,
							"%s%s \"%.*s\" has a character not allowed "
							"(use %s)",
							p, o->key, QUOTE_MAX, v,
							o->hint ? o->hint : o->charset);
					return;
				}
			}
		}
		wwtp_cw_copy(f, o->size, v);
		return;
	}
	case WWTP_CW_FLOAT: {
		double v = config_setting_type(m) == CONFIG_TYPE_FLOAT
			       ? config_setting_get_float(m)
			       : (double)config_setting_get_int64(m);
		if (!isfinite(v)) {
			wwtp_cw_problem(c, m, "%s%s must be a finite number", p, o->key);
			return;
		}
		if (bounded && (v < o->min || v > o->max)) {
			wwtp_cw_problem(c, m, "%s%s = %g is out of range (%g to %g)", p, o->key, v,
					o->min, o->max);
			return;
		}
		*(double *)f = v;
		return;
	}
	case WWTP_CW_INT: {
		long long v = config_setting_get_int64(m);
		double lo = bounded ? o->min : -2147483648.0, hi = bounded ? o->max : 2147483647.0;
		if ((double)v < lo || (double)v > hi) {
			wwtp_cw_problem(c, m, "%s%s = %lld is out of range (%.0f to %.0f)", p,
					o->key, v, lo, hi);
			return;
		}
		*(int *)f = (int)v;
		return;
	}
	case WWTP_CW_BOOL:
		*(int *)f = config_setting_get_bool(m) ? 1 : 0;
		return;
	case WWTP_CW_GROUP:
	case WWTP_CW_LIST:
	case WWTP_CW_SEQ:
		*(const config_setting_t **)f = m;
		return;
	}
}

uint64_t wwtp_cw_walk(struct wwtp_cw *c, const config_setting_t *grp, const struct wwtp_cw_opt *tab,
		      size_t n, void *obj, const char *what, wwtp_cw_extra_fn extra, void *ctx)
{
	char lb[160];
	const char *p = label(what, lb, sizeof(lb));
	uint64_t seen = 0;

	for (size_t i = 0; i < n; i++)
		set_default(obj, &tab[i]);
	if (!grp)
		return 0;

	int count = config_setting_length(grp);
	for (int k = 0; k < count; k++) {
		const config_setting_t *m = config_setting_get_elem(grp, (unsigned)k);
		const char *name = config_setting_name(m);
		size_t i;

		if (!name)
			continue; /* groups only have named members */
		for (i = 0; i < n; i++)
			if (strcmp(tab[i].key, name) == 0)
				break;
		if (i == n) {
			if (extra && extra(ctx, m))
				continue;
			char known[600];
			size_t used = 0;
			known[0] = '\0';
			for (size_t j = 0; j < n; j++) {
				int w = snprintf(known + used, sizeof(known) - used, "%s%s",
						 j ? ", " : "", tab[j].key);
				if (w < 0 || (size_t)w >= sizeof(known) - used)
					break;
				used += (size_t)w;
			}
			wwtp_cw_problem(c, m, "%sunknown key '%.*s' (known keys: %s)", p, QUOTE_MAX,
					name, known);
			continue;
		}
		if (!accepts(tab[i].kind, config_setting_type(m))) {
			wwtp_cw_problem(c, m, "%s%s must be %s", p, name, wanted(tab[i].kind));
			continue;
		}
		if (i < 64)
			seen |= (uint64_t)1 << i;
		store(c, m, &tab[i], obj, p);
	}
	for (size_t i = 0; i < n && i < 64; i++)
		if ((tab[i].flags & WWTP_CW_REQ) && !(seen & ((uint64_t)1 << i))) {
			if (tab[i].hint)
				wwtp_cw_problem(c, grp, "%smissing required key '%s' (%s)", p,
						tab[i].key, tab[i].hint);
			else
				wwtp_cw_problem(c, grp, "%smissing required key '%s'", p,
						tab[i].key);
		}
	return seen;
}

uint64_t wwtp_cw_bit(const struct wwtp_cw_opt *tab, size_t n, const char *key)
{
	for (size_t i = 0; i < n && i < 64; i++)
		if (strcmp(tab[i].key, key) == 0)
			return (uint64_t)1 << i;
	return 0;
}

int wwtp_cw_read_file(struct wwtp_cw *c, config_t *cfg, const char *path)
{
	errno = 0;
	if (config_read_file(cfg, path) == CONFIG_TRUE)
		return 0;
	if (config_error_type(cfg) == CONFIG_ERR_FILE_IO) {
		c->errors++;
		if (c->diag)
			wwtp_diag_add(c->diag, path, 0, "cannot read: %s",
				      errno ? strerror(errno) : "I/O error");
		return -1;
	}
	c->errors++;
	if (c->diag)
		wwtp_diag_add(c->diag, config_error_file(cfg) ? config_error_file(cfg) : path,
			      config_error_line(cfg), "%s",
			      config_error_text(cfg) ? config_error_text(cfg) : "parse error");
	return -1;
}
