/* tt10_config.c - the `tt10` group of a station file (see tt10_config.h and
 * docs/tt10.md): descriptor tables walked by the station loader's walker,
 * plus what a table cannot say (URLs, name patterns, params that must be
 * the station's, codes unique, polls at least once a period). */
#include "tt10_config.h"

#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/diag.h"
#include "station_schema.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Parts of the file name: '_' separates them, so it is not allowed. */
#define CS_FIELD "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"
#define HINT_FIELD "letters A-Z a-z, digits and '-' ('_' separates the parts of the file name)"
#define CS_CODE "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-."
#define HINT_CODE "letters, digits, '_', '-' and '.' (\"COD\", \"NH4\", \"pH\")"
#define CS_SERVER "abcdefghijklmnopqrstuvwxyz0123456789-_."
#define HINT_SERVER "lowercase letters a-z, digits, '-', '_' and '.'"

/* What the walker fills besides the config itself. */
struct tt10_in {
	struct wwtp_tt10_config c;
	const config_setting_t *params, *upload;
};
struct param_in {
	struct wwtp_tt10_param p;
};
struct server_in {
	struct wwtp_tt10_server s;
};

static int p_layout(const char *s, void *f)
{
	if (strcmp(s, "lines") == 0)
		*(int *)f = WWTP_TT10_LINES;
	else if (strcmp(s, "single") == 0)
		*(int *)f = WWTP_TT10_SINGLE;
	else
		return -1;
	return 0;
}

static int p_stamp(const char *s, void *f)
{
	if (strcmp(s, "end") == 0)
		*(int *)f = WWTP_TT10_STAMP_END;
	else if (strcmp(s, "start") == 0)
		*(int *)f = WWTP_TT10_STAMP_START;
	else
		return -1;
	return 0;
}

static int p_tls(const char *s, void *f)
{
	if (strcmp(s, "none") == 0)
		*(int *)f = WWTP_TT10_TLS_NONE;
	else if (strcmp(s, "try") == 0)
		*(int *)f = WWTP_TT10_TLS_TRY;
	else if (strcmp(s, "required") == 0)
		*(int *)f = WWTP_TT10_TLS_REQUIRED;
	else
		return -1;
	return 0;
}

/* Periods start on multiples of the period on the local clock, so a day
 * must hold a whole number of them. */
static int v_period(long long v)
{
	return v > 0 && 86400 % v == 0;
}

static const struct wwtp_opt tt10_opts[] = {
    OPT_BOOL("enabled", 0, struct tt10_in, c.enabled, 1),
    OPT_STR("province", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct tt10_in, c.province, CS_FIELD,
	    NULL, HINT_FIELD),
    OPT_STR("facility", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct tt10_in, c.facility, CS_FIELD,
	    NULL, HINT_FIELD),
    OPT_STR("station", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct tt10_in, c.station, CS_FIELD, NULL,
	    HINT_FIELD),
    OPT_INTX("period_s", 0, struct tt10_in, c.period_s, WWTP_TT10_PERIOD_MIN_S, 86400,
	     WWTP_TT10_PERIOD_DEFAULT_S, v_period,
	     "a divisor of 86400, such as 60, 300, 600, 900 or 3600"),
    OPT_ENUM("layout", 0, struct tt10_in, c.layout, p_layout, "lines", "\"lines\" or \"single\""),
    OPT_ENUM("stamp", 0, struct tt10_in, c.stamp, p_stamp, "end", "\"end\" or \"start\""),
    OPT_BOOL("crlf", 0, struct tt10_in, c.crlf, 0),
    OPT_STR("dir", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct tt10_in, c.dir, NULL, NULL,
	    "a folder such as \"/var/lib/wwtp/tt10\""),
    OPT_INTX("max_age_days", 0, struct tt10_in, c.max_age_days, WWTP_TT10_MAX_AGE_DAYS_MIN, 3650,
	     WWTP_TT10_MAX_AGE_DAYS_MIN, NULL, "Circular 10/2021 asks for at least 60 days"),
    OPT_INTX("max_mb", 0, struct tt10_in, c.max_mb, 1, 1048576, 512, NULL, NULL),
    OPT_INTX("retry_max_s", 0, struct tt10_in, c.retry_max_s, 1, 3600, 60, NULL, NULL),
    OPT_SUB("params", WWTP_OPT_LIST, WWTP_OPT_REQ, struct tt10_in, params,
	    "add params = ( { param = \"cod\"; code = \"COD\"; decimals = 1; } );"),
    OPT_SUB("upload", WWTP_OPT_LIST, 0, struct tt10_in, upload, NULL),
};

static const struct wwtp_opt param_opts[] = {
    OPT_STR("param", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct param_in, p.param, CS_PARAM, NULL,
	    HINT_PARAM),
    OPT_STR("code", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct param_in, p.code, CS_CODE, NULL,
	    HINT_CODE),
    OPT_INTX("decimals", 0, struct param_in, p.decimals, 0, 6, 2, NULL, NULL),
    OPT_STR("unit", 0, struct param_in, p.unit, NULL, "", NULL),
};

static const struct wwtp_opt server_opts[] = {
    OPT_STR("name", WWTP_OPT_NONEMPTY, struct server_in, s.name, CS_SERVER, "", HINT_SERVER),
    OPT_STR("url", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct server_in, s.url, NULL, NULL,
	    "a folder URL such as \"ftp://192.0.2.10:21/inbox/\""),
    OPT_STR("remote_dir", 0, struct server_in, s.remote_dir, NULL, "", NULL),
    OPT_STR("user", WWTP_OPT_NONEMPTY, struct server_in, s.user, NULL, "anonymous", NULL),
    OPT_STR("password_file", WWTP_OPT_NONEMPTY, struct server_in, s.password_file, NULL, "", NULL),
    OPT_STR("ca_file", WWTP_OPT_NONEMPTY, struct server_in, s.ca_file, NULL, "", NULL),
    OPT_ENUM("tls", 0, struct server_in, s.tls, p_tls, "none", "\"none\", \"try\" or \"required\""),
    OPT_INTX("timeout_s", 0, struct server_in, s.timeout_s, 5, 3600, 60, NULL, NULL),
};

static uint64_t bit_of(const struct wwtp_opt *tab, size_t n, const char *key)
{
	for (size_t i = 0; i < n && i < 64; i++)
		if (strcmp(tab[i].key, key) == 0)
			return (uint64_t)1 << i;
	return 0;
}

const char *wwtp_tt10_dir_pattern_problem(const char *pat)
{
	static const char ok[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./";
	size_t len = strlen(pat);

	if (len == 0)
		return NULL;
	if (pat[0] == '/')
		return "it must not start with '/' (it is below the url's folder)";
	if (pat[len - 1] != '/')
		return "it names a folder: end it with '/'";
	if (strstr(pat, "..") || strstr(pat, "//"))
		return "it must not hold \"..\" or an empty folder \"//\"";
	for (size_t i = 0; i < len; i++) {
		if (pat[i] == '%') {
			char c = pat[i + 1];
			if (c != 'Y' && c != 'm' && c != 'd' && c != 'H' && c != '%')
				return "the only conversions are %Y, %m, %d, %H and %%";
			i++;
		} else if (!strchr(ok, pat[i])) {
			return "it may only hold letters, digits, '-', '_', '.', '/' and %Y %m %d "
			       "%H %%";
		}
	}
	return NULL;
}

/* Joins a relative path to the station file's folder. 0, or -1 when too long. */
static int resolve(char *path, size_t n, const char *base_dir)
{
	char tmp[WWTP_PATH_MAX];
	int w;

	if (!path[0] || path[0] == '/' || !base_dir || !base_dir[0])
		return 0;
	w = snprintf(tmp, sizeof(tmp), "%s/%s", base_dir, path);
	if (w < 0 || (size_t)w >= sizeof(tmp) || (size_t)w >= n)
		return -1;
	memcpy(path, tmp, (size_t)w + 1);
	return 0;
}

/* The station's point for param, or NULL; *dev gets its device. */
static const struct wwtp_point *find_point(const struct wwtp_station *st, const char *param,
					   const struct wwtp_device **dev)
{
	for (size_t i = 0; i < st->ndevices; i++) {
		for (size_t j = 0; j < st->devices[i].npoints; j++) {
			if (strcmp(st->devices[i].points[j].param, param) == 0) {
				*dev = &st->devices[i];
				return &st->devices[i].points[j];
			}
		}
	}
	return NULL;
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static void load_param(struct wwtp_ld *L, const config_setting_t *g, size_t idx,
		       const struct wwtp_station *st, struct wwtp_tt10_config *c)
{
	struct param_in in;
	char what[96];
	const struct wwtp_device *dev = NULL;

	memset(&in, 0, sizeof(in));
	snprintf(what, sizeof(what), "tt10: params #%zu", idx + 1);
	if (!config_setting_is_group(g)) {
		wwtp_ld_problem(L, g, "%s must be a group { param = ...; code = ...; }", what);
		return;
	}
	uint64_t bad = 0;
	uint64_t present = wwtp_walk(L, g, param_opts, NELEM(param_opts), &in, what, &bad);
	in.p.line = (int)config_setting_source_line(g);
	if (!in.p.param[0] || !in.p.code[0])
		return; /* reported by the walker */
	const struct wwtp_point *pt = find_point(st, in.p.param, &dev);
	if (!pt) {
		wwtp_ld_problem(
		    L, config_setting_get_member(g, "param"),
		    "tt10: param '%s' is not a param of this station (a point of one of "
		    "its devices)",
		    in.p.param);
		return;
	}
	if (!(present & bit_of(param_opts, NELEM(param_opts), "unit")))
		memcpy(in.p.unit, pt->unit, sizeof(in.p.unit));
	if (has_control(in.p.unit))
		wwtp_ld_problem(L, g,
				"tt10: param '%s': the unit holds a control character (TAB, CR or "
				"LF would break the file's fields): set unit here",
				in.p.param);
	if ((long long)dev->interval_ms > (long long)c->period_s * 1000)
		wwtp_ld_problem(L, g,
				"tt10: param '%s': device '%s' is polled every %d ms, less often "
				"than once a tt10 period (%d s): lower its interval_ms or raise "
				"period_s",
				in.p.param, dev->name, dev->interval_ms, c->period_s);
	for (size_t i = 0; i < c->nparams; i++) {
		if (strcmp(c->params[i].param, in.p.param) == 0)
			wwtp_ld_problem(L, g, "tt10: param '%s' is listed twice (also at line %d)",
					in.p.param, c->params[i].line);
		else if (strcmp(c->params[i].code, in.p.code) == 0)
			wwtp_ld_problem(L, g,
					"tt10: code '%s' is given to two params ('%s' at line %d "
					"and '%s')",
					in.p.code, c->params[i].param, c->params[i].line,
					in.p.param);
	}
	if (bad == 0)
		c->params[c->nparams++] = in.p;
}

/* Checks the URL's shape and fills tls and a default name from it. */
static void check_url(struct wwtp_ld *L, const config_setting_t *g, struct wwtp_tt10_server *s,
		      int tls_given)
{
	const config_setting_t *at = config_setting_get_member(g, "url");
	const char *u = s->url;
	const char *host;

	if (strncmp(u, "ftp://", 6) == 0) {
		host = u + 6;
	} else if (strncmp(u, "ftps://", 7) == 0) {
		host = u + 7;
		if (tls_given)
			wwtp_ld_problem(L, config_setting_get_member(g, "tls"),
					"tt10: upload: tls does not apply to an ftps:// url (TLS "
					"from the first byte); for explicit TLS write ftp:// and "
					"tls = \"required\"");
		s->tls = WWTP_TT10_TLS_IMPLICIT;
	} else {
		wwtp_ld_problem(L, at, "tt10: upload: url must start with ftp:// or ftps://");
		return;
	}
	for (const char *p = u; *p; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			wwtp_ld_problem(
			    L, at,
			    "tt10: upload: url must not hold spaces, control or non-ASCII "
			    "characters (percent-encode them)");
			return;
		}
	}
	const char *slash = strchr(host, '/');
	size_t hlen = slash ? (size_t)(slash - host) : strlen(host);
	if (hlen == 0) {
		wwtp_ld_problem(L, at, "tt10: upload: url has no host");
		return;
	}
	if (memchr(host, '@', hlen)) {
		/* A password in the URL would end up in logs and in ps. */
		wwtp_ld_problem(L, at,
				"tt10: upload: url must not hold a user or password: use user and "
				"password_file");
		return;
	}
	if (!slash || u[strlen(u) - 1] != '/') {
		wwtp_ld_problem(
		    L, at,
		    "tt10: upload: url names the receiver's folder and must end with '/' "
		    "(\"ftp://host/\" for its top folder)");
		return;
	}
	if (!s->name[0]) {
		/* host[:port] as a folder name: "127.0.0.1-2121". */
		size_t n = hlen < sizeof(s->name) - 1 ? hlen : sizeof(s->name) - 1;
		for (size_t i = 0; i < n; i++) {
			char ch = host[i];
			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			s->name[i] = strchr(CS_SERVER, ch) ? ch : '-';
		}
		s->name[n] = '\0';
	}
}

static void load_server(struct wwtp_ld *L, const config_setting_t *g, size_t idx,
			const char *base_dir, struct wwtp_tt10_config *c)
{
	struct server_in in;
	char what[96];
	uint64_t bad = 0;

	memset(&in, 0, sizeof(in));
	snprintf(what, sizeof(what), "tt10: upload #%zu", idx + 1);
	if (!config_setting_is_group(g)) {
		wwtp_ld_problem(L, g, "%s must be a group { url = ...; }", what);
		return;
	}
	uint64_t present = wwtp_walk(L, g, server_opts, NELEM(server_opts), &in, what, &bad);
	in.s.line = (int)config_setting_source_line(g);
	if (!in.s.url[0])
		return;
	check_url(L, g, &in.s, (present & bit_of(server_opts, NELEM(server_opts), "tls")) != 0);
	const char *why = wwtp_tt10_dir_pattern_problem(in.s.remote_dir);
	if (why)
		wwtp_ld_problem(L, config_setting_get_member(g, "remote_dir"),
				"tt10: upload: remote_dir \"%.64s\": %s", in.s.remote_dir, why);
	if (resolve(in.s.password_file, sizeof(in.s.password_file), base_dir) != 0 ||
	    resolve(in.s.ca_file, sizeof(in.s.ca_file), base_dir) != 0)
		wwtp_ld_problem(L, g, "tt10: upload: a path is too long once joined to %s",
				base_dir);
	if (has_control(in.s.user))
		wwtp_ld_problem(L, config_setting_get_member(g, "user"),
				"tt10: upload: user must not hold control characters");
	for (size_t i = 0; i < c->nservers && in.s.name[0]; i++)
		if (strcmp(c->servers[i].name, in.s.name) == 0)
			wwtp_ld_problem(L, g,
					"tt10: upload: two servers are named '%s' (line %d): give "
					"each its own name (it names its outbox folder)",
					in.s.name, c->servers[i].line);
	c->servers[c->nservers++] = in.s;
}

void wwtp_tt10_config_load(struct wwtp_ld *L, const config_setting_t *grp, const char *base_dir,
			   struct wwtp_station *st)
{
	struct tt10_in *in = calloc(1, sizeof(*in));
	if (!in) {
		L->nomem = 1;
		return;
	}
	wwtp_walk(L, grp, tt10_opts, NELEM(tt10_opts), in, "tt10", NULL);
	in->c.line = (int)config_setting_source_line(grp);
	if (resolve(in->c.dir, sizeof(in->c.dir), base_dir) != 0)
		wwtp_ld_problem(L, config_setting_get_member(grp, "dir"),
				"tt10: dir is too long once joined to %s", base_dir);

	if (in->params) {
		int n = config_setting_length(in->params);
		if (n == 0)
			wwtp_ld_problem(L, in->params,
					"tt10: params is empty: list the params the file carries");
		if (n > WWTP_TT10_PARAMS_MAX)
			wwtp_ld_problem(L, in->params, "tt10: at most %d params (%d listed)",
					WWTP_TT10_PARAMS_MAX, n);
		for (int i = 0; i < n && i < WWTP_TT10_PARAMS_MAX; i++)
			load_param(L, config_setting_get_elem(in->params, (unsigned)i), (size_t)i,
				   st, &in->c);
	}
	if (in->upload) {
		int n = config_setting_length(in->upload);
		if (n > WWTP_TT10_SERVERS_MAX)
			wwtp_ld_problem(L, in->upload,
					"tt10: at most %d upload servers (%d listed)",
					WWTP_TT10_SERVERS_MAX, n);
		for (int i = 0; i < n && i < WWTP_TT10_SERVERS_MAX; i++)
			load_server(L, config_setting_get_elem(in->upload, (unsigned)i), (size_t)i,
				    base_dir, &in->c);
	}

	st->tt10 = malloc(sizeof(*st->tt10));
	if (!st->tt10) {
		L->nomem = 1;
		free(in);
		return;
	}
	memcpy(st->tt10, &in->c, sizeof(*st->tt10));
	free(in);
}
