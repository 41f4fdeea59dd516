/* cfgwalk.c - compliance/'s side of the shared walker (cfgwalk-private.h):
 * its messages, and the helpers its loaders share. */
#include "cfgwalk-private.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../util/conffile.h"

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

/* compliance/'s words for what the walker found. */
static void say(void *ctx, const struct wwtp_cs_issue *is)
{
	struct wwtp_cw *c = ctx;
	const struct wwtp_opt *o = is->o;
	const char *p = is->prefix, *key = o ? o->key : "", *h = o ? o->hint : NULL;

	switch (is->problem) {
	case WWTP_CS_UNKNOWN:
		wwtp_cw_problem(c, is->at, "%sunknown key '%.*s' (known keys: %s)", p, QUOTE_MAX,
				is->name, is->known);
		return;
	case WWTP_CS_TYPE:
		wwtp_cw_problem(c, is->at, "%s%s must be %s", p, key, wwtp_cs_wanted(o->kind));
		return;
	case WWTP_CS_EMPTY:
		wwtp_cw_problem(c, is->at, "%s%s must not be empty%s%s", p, key, h ? ": use " : "",
				h ? h : "");
		return;
	case WWTP_CS_TOO_LONG:
		wwtp_cw_problem(c, is->at, "%s%s is too long (%zu bytes, at most %zu): shorten it",
				p, key, strlen(is->str), o->size - 1);
		return;
	case WWTP_CS_CHARSET:
		wwtp_cw_problem(c, is->at, "%s%s \"%.*s\" has a character not allowed (use %s)", p,
				key, QUOTE_MAX, is->str, h ? h : o->charset);
		return;
	case WWTP_CS_NOT_FINITE:
		wwtp_cw_problem(c, is->at, "%s%s must be a finite number", p, key);
		return;
	case WWTP_CS_FLOAT_RANGE:
		wwtp_cw_problem(c, is->at, "%s%s = %g is out of range (%g to %g)", p, key, is->dval,
				is->lo, is->hi);
		return;
	case WWTP_CS_INT_RANGE:
		wwtp_cw_problem(c, is->at, "%s%s = %lld is out of range (%.0f to %.0f)", p, key,
				is->ival, is->lo, is->hi);
		return;
	case WWTP_CS_MISSING:
		if (h)
			wwtp_cw_problem(c, is->at, "%smissing required key '%s' (%s)", p, key, h);
		else
			wwtp_cw_problem(c, is->at, "%smissing required key '%s'", p, key);
		return;
	case WWTP_CS_NOT_ENUM:	  /* no ENUM entries here */
	case WWTP_CS_INT_INVALID: /* nor extra checks */
	case WWTP_CS_ZERO:	  /* nor NONZERO */
		wwtp_cw_problem(c, is->at, "%s%s is not allowed", p, key);
		return;
	}
}

uint64_t wwtp_cw_walk(struct wwtp_cw *c, const config_setting_t *grp, const struct wwtp_opt *tab,
		      size_t n, void *obj, const char *what, wwtp_cw_extra_fn extra, void *ctx)
{
	const struct wwtp_cs_walker w = {
	    .report = say, .ctx = c, .extra = extra, .extra_ctx = ctx, .order = WWTP_CS_BY_MEMBER};
	return wwtp_cs_walk(&w, grp, tab, n, obj, what, NULL);
}

uint64_t wwtp_cw_bit(const struct wwtp_opt *tab, size_t n, const char *key)
{
	for (size_t i = 0; i < n && i < 64; i++)
		if (strcmp(tab[i].key, key) == 0)
			return (uint64_t)1 << i;
	return 0;
}

int wwtp_cw_read_file(struct wwtp_cw *c, config_t *cfg, const char *path)
{
	int rc = wwtp_conffile_check(path, NULL, c->diag);
	if (rc != 0) {
		c->errors++;
		return -1;
	}
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
