/* api.c - the HTTP API (see api.h, docs/api.md): its answers and the
 * dispatch over the route table of api_routes.c. */
#include "api.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/timeutil.h"
#include "../ingest/influx.h"
#include "api-private.h"

struct wwtp_api *wwtp_api_new(const struct wwtp_api_opts *o)
{
	struct wwtp_api *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->mon = o->mon;
	if (o->influx) {
		a->have_influx = 1;
		a->influx = *o->influx;
	}
	a->health = o->health;
	a->health_ctx = o->health_ctx;
	a->auth = o->auth;
	a->acks = o->auth ? o->acks : NULL;
	a->reg = o->reg;
	a->lost_after_s = o->lost_after_s > 0 ? o->lost_after_s : 3600;
	if (o->lab)
		a->lab = *o->lab;
	else
		a->lab = (struct wwtp_central_lab){.window_s = 1800, .tolerance_pct = 20};
	pthread_mutex_init(&a->ix_lock, NULL);
	return a;
}

void wwtp_api_free(struct wwtp_api *a)
{
	if (!a)
		return;
	wwtp_influx_free(a->ix);
	pthread_mutex_destroy(&a->ix_lock);
	free(a);
}

/* ---- parsing ---- */

int wwtp_api_parse_time(const char *s, int64_t *ms)
{
	char buf[32];
	size_t n = strlen(s);

	if (n > 0 && n <= 15 && strspn(s, "0123456789") == n) {
		char *end;
		errno = 0;
		long long v = strtoll(s, &end, 10);
		if (errno || *end)
			return WWTP_ERR_INVAL;
		*ms = v;
		return 0;
	}
	/* The project's timestamp, with or without milliseconds. */
	if (n == 20 && s[19] == 'Z') {
		snprintf(buf, sizeof(buf), "%.19s.000Z", s);
		s = buf;
	}
	return wwtp_parse_utc(s, ms);
}

int wwtp_api_parse_duration(const char *s, int64_t *ms)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = {{'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}};
	size_t n = strlen(s), digits = strspn(s, "0123456789");

	if (digits == 0 || digits > 6 || n != digits + 1)
		return WWTP_ERR_INVAL;
	long v = strtol(s, NULL, 10);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s[digits] == units[i].unit && v > 0) {
			*ms = v * units[i].ms;
			return 0;
		}
	return WWTP_ERR_INVAL;
}

/* ---- answers ---- */

void api_finish(struct wwtp_api_response *r, int status, json_t *body)
{
	r->status = status;
	r->body = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
	json_decref(body);
	if (!r->body) {
		static const char oom[] = "{\"error\":\"out of memory\"}";
		r->status = 500;
		r->body = strdup(oom);
	}
	r->len = r->body ? strlen(r->body) : 0;
}

/* Text from a client, fit to be echoed in JSON: printable ASCII, at most
 * 64 bytes (anything else becomes '?'). */
void api_echo(const char *in, char *out, size_t n)
{
	size_t j = 0;
	for (size_t i = 0; in && in[i] && j + 4 < n && i < 64; i++)
		out[j++] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
	if (in && strlen(in) > 64 && j + 3 < n) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = '\0';
}

void api_error(struct wwtp_api_response *r, int status, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_t *o = json_object();
	json_object_set_new(o, "error", json_string(text));
	json_object_set_new(o, "status", json_integer(status));
	api_finish(r, status, o);
}

int api_in_charset(const char *s, const char *cs, size_t max)
{
	size_t n = strlen(s);
	return n > 0 && n < max && strspn(s, cs) == n;
}

/* Checks the query's parameters against those the route knows. Returns 0,
 * or -1 with a 400 answer. */
int api_check_args(const struct wwtp_api_request *q, const char *const *known,
		   struct wwtp_api_response *r)
{
	for (size_t i = 0; i < q->nargs; i++) {
		char k[80];
		size_t j = 0;
		while (known[j] && strcmp(known[j], q->args[i].key) != 0)
			j++;
		api_echo(q->args[i].key, k, sizeof(k));
		if (!known[j]) {
			char list[256] = "";
			size_t used = 0;
			for (j = 0; known[j]; j++) {
				int w = snprintf(list + used, sizeof(list) - used, "%s%s",
						 j ? ", " : "", known[j]);
				if (w > 0 && (size_t)w < sizeof(list) - used)
					used += (size_t)w;
			}
			api_error(r, 400, "unknown parameter '%s' (this route takes: %s)", k,
				  known[0] ? list : "none");
			return -1;
		}
		for (size_t m = 0; m < i; m++)
			if (strcmp(q->args[m].key, q->args[i].key) == 0) {
				api_error(r, 400, "parameter '%s' given twice", k);
				return -1;
			}
	}
	return 0;
}

const char *api_arg(const struct wwtp_api_request *q, const char *key)
{
	for (size_t i = 0; i < q->nargs; i++)
		if (strcmp(q->args[i].key, key) == 0)
			return q->args[i].value ? q->args[i].value : "";
	return NULL;
}

/* from/to: the time, or dflt when absent. -1 with a 400 answer when bad. */
int api_time_arg(const struct wwtp_api_request *q, const char *key, int64_t dflt, int64_t *out,
		 struct wwtp_api_response *r)
{
	const char *v = api_arg(q, key);
	char e[80];
	if (!v) {
		*out = dflt;
		return 0;
	}
	if (wwtp_api_parse_time(v, out) != 0) {
		api_echo(v, e, sizeof(e));
		api_error(
		    r, 400,
		    "%s '%s' is not a time: give 2026-01-31T17:00:00Z (UTC, optionally .mmm) or "
		    "epoch milliseconds",
		    key, e);
		return -1;
	}
	return 0;
}

/* Does path match pattern? The {id} part goes to id (size n). */
static int route_match(const char *pattern, const char *path, char *id, size_t n)
{
	const char *open = strchr(pattern, '{');
	id[0] = '\0';
	if (!open)
		return strcmp(pattern, path) == 0;
	size_t pre = (size_t)(open - pattern);
	const char *close = strchr(open, '}'), *tail = close + 1;
	int many = close[-1] == '+';
	if (strncmp(pattern, path, pre) != 0)
		return 0;
	const char *v = path + pre;
	size_t len = strlen(v), tl = strlen(tail), vl;
	if (many) {
		if (len <= tl || strcmp(v + len - tl, tail) != 0)
			return 0;
		vl = len - tl;
	} else {
		vl = strcspn(v, "/");
		if (strcmp(v + vl, tail) != 0)
			return 0;
	}
	if (vl >= n)
		return 0;
	memcpy(id, v, vl);
	id[vl] = '\0';
	return 1;
}

/* What there is to read: the address a person is given first. */
void wwtp_api_route_index(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			  const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	static const char *const known[] = {NULL};
	(void)a;
	(void)id;
	(void)who;
	if (api_check_args(q, known, r) != 0)
		return;
	json_t *o = json_object(), *rs = json_array();
	json_object_set_new(o, "name", json_string("wwtp-central"));
	json_object_set_new(o, "version", json_string(WWTP_VERSION));
	for (size_t i = 0; i < wwtp_api_nroutes; i++)
		if (wwtp_api_routes[i].index)
			json_array_append_new(rs, json_string(wwtp_api_routes[i].index));
	json_object_set_new(o, "routes", rs);
	json_object_set_new(o, "docs", json_string("docs/api.md"));
	api_finish(r, 200, o);
}

static void no_route(const struct wwtp_api_request *q, struct wwtp_api_response *r)
{
	char e[80], list[512] = "";
	api_echo(q->path, e, sizeof(e));
	for (size_t i = 0; i < wwtp_api_nroutes; i++) {
		if (strcmp(wwtp_api_routes[i].path, "/") == 0 ||
		    strcmp(wwtp_api_routes[i].path, "/api") == 0)
			continue;
		size_t used = strlen(list);
		if (used && used + 2 < sizeof(list)) {
			memcpy(list + used, ", ", 2);
			used += 2;
		}
		for (const char *c = wwtp_api_routes[i].path; *c && used + 1 < sizeof(list); c++)
			if (*c != '+') /* "{id+}" is shown as "{id}" */
				list[used++] = *c;
		list[used] = '\0';
	}
	api_error(r, 404, "no route %s: %s (docs/api.md)", e, list);
}

/* A method the route does not take. */
static void bad_method(const struct wwtp_api_request *q, const char *allow,
		       struct wwtp_api_response *r)
{
	char e[80];
	api_echo(q->method, e, sizeof(e));
	api_error(r, 405, "method %s is not allowed here: %s", e, allow);
	r->allow = allow;
}

void wwtp_api_handle(struct wwtp_api *a, const struct wwtp_api_request *q,
		     struct wwtp_api_response *r)
{
	struct wwtp_principal who;
	char path[256], id[256];
	size_t n;

	memset(r, 0, sizeof(*r));
	int get = strcmp(q->method, "GET") == 0 || strcmp(q->method, "HEAD") == 0;
	int post = strcmp(q->method, "POST") == 0, del = strcmp(q->method, "DELETE") == 0;
	if (!get && (!a->auth || !(post || del))) {
		bad_method(q, a->auth ? "GET, HEAD, POST, DELETE" : "GET, HEAD", r);
		return;
	}
	/* The log-in is the one route before the access check; nothing else
	 * is looked at before it, not even the path's length. */
	if (post &&
	    (strcmp(q->path, "/api/session") == 0 || strcmp(q->path, "/api/session/") == 0)) {
		static const char *const known[] = {NULL};
		if (api_check_args(q, known, r) == 0)
			wwtp_api_route_login(a, q, r);
		return;
	}
	if (api_authorize(a, q, !get, &who, r) != 0)
		return;
	n = strlen(q->path);
	if (n >= sizeof(path)) {
		api_error(r, 404, "no such route");
		return;
	}
	memcpy(path, q->path, n + 1);
	if (n > 1 && path[n - 1] == '/')
		path[--n] = '\0'; /* "/api/stations/" is "/api/stations" */

	unsigned m = get ? M_GET : post ? M_POST : M_DELETE;
	for (size_t i = 0; i < wwtp_api_nroutes; i++) {
		const struct api_route *rt = &wwtp_api_routes[i];
		if (!route_match(rt->path, path, id, sizeof(id)))
			continue;
		if (!(rt->methods & m))
			bad_method(q, rt->allow, r);
		else if (rt->fn)
			rt->fn(a, q, strchr(rt->path, '{') ? id : NULL, &who, r);
		else
			no_route(q, r); /* a page of http.c's, asked of the API alone */
		return;
	}
	no_route(q, r);
}
