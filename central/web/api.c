/* api.c - the HTTP API's routes (see api.h, docs/api.md). */
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
#include "../ingest/query.h"

#ifndef WWTP_VERSION
#define WWTP_VERSION "0.0.0"
#endif

#define API_MOD "api"
#define API_ALERTS_LIMIT 1000 /* default of /api/alerts?limit */
#define API_ALERTS_LIMIT_MAX 10000
#define API_SERIES_POINTS_MAX 10000 /* per answer */
#define API_SERIES_DEFAULT_MS (24 * 3600 * 1000LL)
#define API_SERIES_ANSWER_MAX ((size_t)64 << 20)
#define API_CS_ID "abcdefghijklmnopqrstuvwxyz0123456789-"
#define API_CS_PARAM "abcdefghijklmnopqrstuvwxyz0123456789_"

struct wwtp_api {
	struct wwtp_monitor *mon;
	int have_influx;
	struct wwtp_central_influx influx;
	wwtp_api_health_fn health;
	void *health_ctx;
	struct wwtp_auth *auth; /* NULL: open, read-only (tests) */
	struct wwtp_acks *acks;
	/* One InfluxDB client for the series route; requests take turns. */
	pthread_mutex_t ix_lock;
	struct wwtp_influx *ix;
};

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

static void finish(struct wwtp_api_response *r, int status, json_t *body)
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
static void echo(const char *in, char *out, size_t n)
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

__attribute__((format(printf, 3, 4))) static void api_error(struct wwtp_api_response *r, int status,
							    const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_t *o = json_object();
	json_object_set_new(o, "error", json_string(text));
	json_object_set_new(o, "status", json_integer(status));
	finish(r, status, o);
}

static int in_charset(const char *s, const char *cs, size_t max)
{
	size_t n = strlen(s);
	return n > 0 && n < max && strspn(s, cs) == n;
}

/* Checks the query's parameters against those the route knows. Returns 0,
 * or -1 with a 400 answer. */
static int check_args(const struct wwtp_api_request *q, const char *const *known,
		      struct wwtp_api_response *r)
{
	for (size_t i = 0; i < q->nargs; i++) {
		char k[80];
		size_t j = 0;
		while (known[j] && strcmp(known[j], q->args[i].key) != 0)
			j++;
		echo(q->args[i].key, k, sizeof(k));
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

static const char *arg(const struct wwtp_api_request *q, const char *key)
{
	for (size_t i = 0; i < q->nargs; i++)
		if (strcmp(q->args[i].key, key) == 0)
			return q->args[i].value ? q->args[i].value : "";
	return NULL;
}

/* from/to: the time, or dflt when absent. -1 with a 400 answer when bad. */
static int time_arg(const struct wwtp_api_request *q, const char *key, int64_t dflt, int64_t *out,
		    struct wwtp_api_response *r)
{
	const char *v = arg(q, key);
	char e[80];
	if (!v) {
		*out = dflt;
		return 0;
	}
	if (wwtp_api_parse_time(v, out) != 0) {
		echo(v, e, sizeof(e));
		api_error(
		    r, 400,
		    "%s '%s' is not a time: give 2026-01-31T17:00:00Z (UTC, optionally .mmm) or "
		    "epoch milliseconds",
		    key, e);
		return -1;
	}
	return 0;
}

/* ---- the access check ---- */

static int starts_ci(const char *s, const char *prefix)
{
	return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* A request that changes something must come from the page's own origin:
 * browsers send Origin with every POST and DELETE; scripts send none. */
static int same_origin(const struct wwtp_api_request *q)
{
	if (!q->origin)
		return 1;
	const char *o = strstr(q->origin, "://");
	return o && q->host && strcasecmp(o + 3, q->host) == 0;
}

/* "Basic base64(user:password)" into user and pass. 0 or -1. */
static int parse_basic(const char *h, char *user, size_t un, char *pass, size_t pn)
{
	unsigned char bin[WWTP_AUTH_USER_MAX + WWTP_AUTH_PASSWORD_MAX + 8];
	size_t n = 0;
	int rc = -1;

	if (!starts_ci(h, "Basic "))
		return -1;
	h += 6;
	while (*h == ' ')
		h++;
	if (sodium_base642bin(bin, sizeof(bin) - 1, h, strlen(h), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	bin[n] = '\0';
	char *colon = memchr(bin, ':', n);
	if (colon && !memchr(bin, '\0', n)) {
		*colon = '\0';
		size_t ul = strlen((char *)bin), pl = strlen(colon + 1);
		if (ul < un && pl < pn) {
			memcpy(user, bin, ul + 1);
			memcpy(pass, colon + 1, pl + 1);
			rc = 0;
		}
	}
	sodium_memzero(bin, sizeof(bin));
	return rc;
}

/* The cookie that ends the browser's session. */
static void clear_cookie(const struct wwtp_api_request *q, struct wwtp_api_response *r)
{
	snprintf(r->set_cookie, sizeof(r->set_cookie),
		 WWTP_API_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
		 q->tls ? "; Secure" : "");
}

static void unauthorized(const struct wwtp_api_request *q, struct wwtp_api_response *r,
			 const char *why)
{
	api_error(r, 401, "%s", why);
	/* Not for the page's own requests: the browser would pop up its
	 * Basic dialog over the log-in form. */
	r->www_authenticate = q->requested_with == NULL;
}

static void too_many(struct wwtp_api_response *r, int64_t retry_ms)
{
	int s = (int)((retry_ms + 999) / 1000);
	if (s < 1)
		s = 1;
	api_error(r, 429, "too many failed log-ins: try again in %d s", s);
	r->retry_after_s = s;
}

int wwtp_api_authenticate(struct wwtp_api *a, const struct wwtp_api_request *q,
			  struct wwtp_principal *who, struct wwtp_api_response *r)
{
	memset(who, 0, sizeof(*who));
	if (!a->auth) {
		/* No access check (the tests): read-only. */
		snprintf(who->user, sizeof(who->user), "-");
		who->role = WWTP_ROLE_INSPECTOR;
		return 0;
	}
	if (q->authorization) {
		char user[WWTP_AUTH_USER_MAX], pass[WWTP_AUTH_PASSWORD_MAX + 1];
		int64_t retry = 0;
		if (parse_basic(q->authorization, user, sizeof(user), pass, sizeof(pass)) != 0) {
			unauthorized(
			    q, r, "the Authorization header is not HTTP Basic with user:password");
			return -1;
		}
		int rc = wwtp_auth_basic(a->auth, user, pass, q->client, q->now_ms, who, &retry);
		sodium_memzero(pass, sizeof(pass));
		if (rc == WWTP_AUTH_LIMITED) {
			too_many(r, retry);
			return -1;
		}
		if (rc != 0) {
			unauthorized(q, r, "wrong user name or password");
			return -1;
		}
		return 0;
	}
	if (q->session && wwtp_auth_session(a->auth, q->session, q->now_ms, who) == 0)
		return 0;
	unauthorized(q, r,
		     q->session ? "the session has ended: log in again"
				: "log in first: POST /api/session, or HTTP Basic (docs/web.md)");
	if (q->session)
		clear_cookie(q, r);
	return -1;
}

/* The access check before every route but the log-in: who asks, and for
 * what changes anything (changes), that it comes from our origin and, in a
 * session, carries the session's CSRF token. 0, or -1 with the answer. */
static int api_authorize(struct wwtp_api *a, const struct wwtp_api_request *q, int changes,
			 struct wwtp_principal *who, struct wwtp_api_response *r)
{
	if (wwtp_api_authenticate(a, q, who, r) != 0)
		return -1;
	if (!changes)
		return 0;
	if (!same_origin(q)) {
		api_error(r, 403, "cross-origin request refused");
		return -1;
	}
	if (who->session && (!q->csrf || strlen(q->csrf) != strlen(who->csrf) ||
			     sodium_memcmp(q->csrf, who->csrf, strlen(who->csrf)) != 0)) {
		api_error(r, 403,
			  "missing or wrong X-CSRF-Token header (the page sends the token "
			  "/api/me gives)");
		return -1;
	}
	return 0;
}

/* The JSON object of a request body that must be one. NULL with a 400 or
 * 415 answer. */
static json_t *body_object(const struct wwtp_api_request *q, struct wwtp_api_response *r)
{
	json_error_t e;
	if (!starts_ci(q->content_type, "application/json")) {
		api_error(r, 415, "send the body as Content-Type: application/json");
		return NULL;
	}
	json_t *o = q->body ? json_loadb(q->body, q->body_len, JSON_REJECT_DUPLICATES, &e) : NULL;
	if (!json_is_object(o)) {
		json_decref(o);
		api_error(r, 400, "the body is not a JSON object");
		return NULL;
	}
	return o;
}

static json_t *time_or_null(int64_t ms)
{
	char t[32];
	return ms > 0 && wwtp_format_utc(ms, t, sizeof(t)) == 0 ? json_string(t) : json_null();
}

static json_t *who_json(const struct wwtp_principal *who)
{
	json_t *o = json_object();
	json_object_set_new(o, "user", json_string(who->user));
	json_object_set_new(o, "role", json_string(wwtp_role_name(who->role)));
	json_object_set_new(o, "via", json_string(who->session ? "session" : "basic"));
	json_object_set_new(o, "can_ack", json_boolean(who->role == WWTP_ROLE_OPERATOR));
	if (who->session) {
		json_object_set_new(o, "csrf", json_string(who->csrf));
		json_object_set_new(o, "idle_until", time_or_null(who->idle_until_ms));
		json_object_set_new(o, "expires", time_or_null(who->expires_ms));
	}
	return o;
}

/* POST /api/session {"user", "password"}: the log-in. */
static void route_login(struct wwtp_api *a, const struct wwtp_api_request *q,
			struct wwtp_api_response *r)
{
	char token[WWTP_AUTH_TOKEN_LEN + 1];
	struct wwtp_principal who;
	int64_t retry = 0;

	if (!same_origin(q)) {
		api_error(r, 403, "cross-origin request refused");
		return;
	}
	json_t *o = body_object(q, r);
	if (!o)
		return;
	const char *user = json_string_value(json_object_get(o, "user"));
	const char *pass = json_string_value(json_object_get(o, "password"));
	if (!user || !pass) {
		json_decref(o);
		api_error(r, 400, "give {\"user\": \"...\", \"password\": \"...\"}");
		return;
	}
	int rc = wwtp_auth_login(a->auth, user, pass, q->client, q->now_ms, token, &who, &retry);
	json_decref(o);
	if (rc == WWTP_AUTH_LIMITED) {
		too_many(r, retry);
		return;
	}
	if (rc != 0) {
		api_error(r, rc == WWTP_AUTH_DENIED ? 401 : 500, "%s",
			  rc == WWTP_AUTH_DENIED ? "wrong user name or password" : "out of memory");
		return;
	}
	snprintf(r->set_cookie, sizeof(r->set_cookie),
		 WWTP_API_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", token,
		 (long long)((who.expires_ms - q->now_ms) / 1000), q->tls ? "; Secure" : "");
	sodium_memzero(token, sizeof(token));
	finish(r, 200, who_json(&who));
}

/* DELETE /api/session: the log-out. */
static void route_logout(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			 const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	(void)id;
	if (!who->session) {
		api_error(r, 400, "no session to end: HTTP Basic has none");
		return;
	}
	wwtp_auth_logout(a->auth, q->session);
	clear_cookie(q, r);
	json_t *o = json_object();
	json_object_set_new(o, "logged_out", json_string(who->user));
	finish(r, 200, o);
}

/* The acknowledgement of each alert of an array, where there is one. */
static void add_acks(struct wwtp_api *a, json_t *alerts)
{
	size_t i;
	json_t *al;
	if (!a->acks)
		return;
	json_array_foreach(alerts, i, al)
	{
		struct wwtp_ack k;
		const char *id = json_string_value(json_object_get(al, "id"));
		if (id && wwtp_acks_get(a->acks, id, &k) == 0)
			json_object_set_new(al, "ack", wwtp_ack_json(&k));
	}
}

/* ---- routes ---- */

static void route_health(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			 const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	(void)id;
	(void)who;
	static const char *const known[] = {NULL};
	struct wwtp_monitor_health h;
	char t[32];

	if (check_args(q, known, r) != 0)
		return;
	wwtp_monitor_health(a->mon, &h);
	json_t *o = json_object(), *f = json_object(), *al = json_object();
	json_object_set_new(o, "status", json_string("ok"));
	json_object_set_new(o, "version", json_string(WWTP_VERSION));
	wwtp_format_utc(q->now_ms, t, sizeof(t));
	json_object_set_new(o, "time", json_string(t));
	json_object_set_new(f, "recovered", json_boolean(h.recovered));
	json_object_set_new(f, "queries_ok", json_boolean(h.queries_ok));
	if (h.refreshed_ms && wwtp_format_utc(h.refreshed_ms, t, sizeof(t)) == 0)
		json_object_set_new(f, "evaluated", json_string(t));
	else
		json_object_set_new(f, "evaluated", json_null());
	json_object_set_new(f, "stations", json_integer((json_int_t)h.stations));
	json_object_set_new(f, "flagged", json_integer((json_int_t)h.flagged));
	json_object_set_new(o, "flags", f);
	json_object_set_new(al, "known", json_integer((json_int_t)h.alerts));
	json_object_set_new(al, "open", json_integer((json_int_t)h.open_alerts));
	json_object_set_new(o, "alerts", al);
	if (a->auth) {
		json_t *w = json_object();
		json_object_set_new(
		    w, "sessions",
		    json_integer((json_int_t)wwtp_auth_sessions(a->auth, q->now_ms)));
		json_object_set_new(
		    w, "acks", json_integer((json_int_t)(a->acks ? wwtp_acks_count(a->acks) : 0)));
		json_object_set_new(o, "web", w);
	}
	if (a->health)
		a->health(a->health_ctx, o);
	finish(r, 200, o);
}

static void route_stations(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			   const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	(void)who;
	static const char *const known[] = {NULL};
	char e[80];

	if (check_args(q, known, r) != 0)
		return;
	json_t *o = wwtp_monitor_stations_json(a->mon, id, q->now_ms);
	if (!o && id) {
		echo(id, e, sizeof(e));
		api_error(r, 404, "no station '%s'", e);
		return;
	}
	if (!o) {
		api_error(r, 500, "out of memory");
		return;
	}
	if (id) {
		add_acks(a, json_object_get(o, "alerts"));
	} else {
		size_t i;
		json_t *st;
		json_array_foreach(o, i, st) add_acks(a, json_object_get(st, "alerts"));
	}
	finish(r, 200, o);
}

/* GET /api/stations/{id}/params: each param with its unit and limits. */
static void route_params(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			 const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	(void)who;
	static const char *const known[] = {NULL};
	char e[80];

	if (check_args(q, known, r) != 0)
		return;
	json_t *o = wwtp_monitor_limits_json(a->mon, id);
	if (!o) {
		echo(id, e, sizeof(e));
		api_error(r, 404, "no station '%s'", e);
		return;
	}
	finish(r, 200, o);
}

static void route_alerts(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			 const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	(void)id;
	(void)who;
	static const char *const known[] = {"station", "kind", "state", "param",
					    "from",    "to",   "limit", NULL};
	int acked = -1; /* -1 either, 0 not acknowledged, 1 acknowledged */
	const char *param = NULL;
	struct wwtp_alert_filter f = {.from_ms = 0, .to_ms = INT64_MAX, .limit = API_ALERTS_LIMIT};
	const char *v;
	char e[80];
	size_t total = 0;

	if (check_args(q, known, r) != 0)
		return;
	if ((v = arg(q, "station")) != NULL) {
		if (wwtp_monitor_has(a->mon, v, NULL, NULL, 0) != 0) {
			echo(v, e, sizeof(e));
			api_error(r, 404, "no station '%s'", e);
			return;
		}
		f.station = v;
	}
	if ((v = arg(q, "kind")) != NULL) {
		int k = 0;
		while (k < WWTP_ALERT_KINDS && strcmp(wwtp_alert_kind_name(k), v) != 0)
			k++;
		if (k == WWTP_ALERT_KINDS) {
			char list[160] = "";
			for (int i = 0; i < WWTP_ALERT_KINDS; i++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
					 i ? ", " : "", wwtp_alert_kind_name(i));
			echo(v, e, sizeof(e));
			api_error(r, 400, "kind '%s' is not one of %s", e, list);
			return;
		}
		f.kind = v;
	}
	if ((v = arg(q, "state")) != NULL) {
		if (strcmp(v, "open") == 0)
			f.state = WWTP_ALERTS_OPEN;
		else if (strcmp(v, "closed") == 0)
			f.state = WWTP_ALERTS_CLOSED;
		else if (strcmp(v, "acked") == 0 || strcmp(v, "unacked") == 0) {
			f.state = WWTP_ALERTS_OPEN;
			acked = v[0] == 'a';
		} else if (strcmp(v, "all") != 0) {
			echo(v, e, sizeof(e));
			api_error(r, 400, "state '%s' is not open, acked, unacked, closed or all",
				  e);
			return;
		}
	}
	if ((v = arg(q, "param")) != NULL) {
		if (!in_charset(v, API_CS_PARAM, WWTP_ID_MAX)) {
			echo(v, e, sizeof(e));
			api_error(r, 400, "param '%s' is not a parameter name", e);
			return;
		}
		param = v;
	}
	if (time_arg(q, "from", 0, &f.from_ms, r) != 0 ||
	    time_arg(q, "to", INT64_MAX, &f.to_ms, r) != 0)
		return;
	if (f.from_ms >= f.to_ms) {
		api_error(r, 400, "from must be before to");
		return;
	}
	if ((v = arg(q, "limit")) != NULL) {
		char *end;
		errno = 0;
		long n = strtol(v, &end, 10);
		if (errno || end == v || *end || n < 1 || n > API_ALERTS_LIMIT_MAX) {
			echo(v, e, sizeof(e));
			api_error(r, 400, "limit '%s' is not a number 1..%d", e,
				  API_ALERTS_LIMIT_MAX);
			return;
		}
		f.limit = (size_t)n;
	}
	/* Filters the alert store does not know: applied here, over the first
	 * API_ALERTS_LIMIT_MAX that match the others. */
	size_t want = f.limit;
	int post = param || acked >= 0;
	if (post)
		f.limit = API_ALERTS_LIMIT_MAX;
	json_t *o = wwtp_monitor_alerts_json(a->mon, &f, &total);
	if (!o) {
		api_error(r, 500, "out of memory");
		return;
	}
	add_acks(a, o);
	if (post) {
		json_t *kept = json_array();
		size_t i;
		json_t *al;
		total = 0;
		json_array_foreach(o, i, al)
		{
			const char *ap = json_string_value(json_object_get(al, "param"));
			int has = json_object_get(al, "ack") != NULL;
			if ((param && (!ap || strcmp(ap, param) != 0)) ||
			    (acked >= 0 && has != acked))
				continue;
			if (total++ < want)
				json_array_append(kept, al);
		}
		json_decref(o);
		o = kept;
	}
	snprintf(r->total, sizeof(r->total), "%zu", total);
	finish(r, 200, o);
}

/* One InfluxQL query on the API's client; the parsed answer, or NULL with
 * a 502/503 answer. */
static json_t *series_query(struct wwtp_api *a, const char *ql, struct wwtp_api_response *r)
{
	struct wwtp_buf body;
	json_t *doc = NULL;
	char why[320] = "";

	if (!a->have_influx) {
		api_error(r, 503, "no InfluxDB to read from");
		return NULL;
	}
	wwtp_buf_init(&body, API_SERIES_ANSWER_MAX);
	pthread_mutex_lock(&a->ix_lock);
	int rc = ql ? wwtp_query_run(&a->ix, &a->influx, ql, &body, &doc, why, sizeof(why))
		    : WWTP_ERR_NOMEM;
	pthread_mutex_unlock(&a->ix_lock);
	wwtp_buf_free(&body);
	if (rc != 0) {
		char e[200];
		if (!ql)
			snprintf(why, sizeof(why), "cannot build the query");
		echo(why, e, sizeof(e));
		LOG_WARN(API_MOD, "series query failed: %s", why);
		api_error(r, 502, "InfluxDB: %s", e);
		return NULL;
	}
	return doc;
}

static void route_series(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			 const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	(void)who;
	static const char *const known[] = {"param", "from", "to", "every", NULL};
	char e[80], unit[WWTP_UNIT_MAX], ts[32];
	struct wwtp_buf ql; /* allocated only once the query is built */
	int64_t from, to, every = 0;
	const char *param, *ev;

	wwtp_buf_init(&ql, 2048);
	if (check_args(q, known, r) != 0)
		return;
	if (!in_charset(id, API_CS_ID, WWTP_ID_MAX) ||
	    wwtp_monitor_has(a->mon, id, NULL, NULL, 0) != 0) {
		echo(id, e, sizeof(e));
		api_error(r, 404, "no station '%s'", e);
		return;
	}
	param = arg(q, "param");
	if (!param || !in_charset(param, API_CS_PARAM, WWTP_ID_MAX) ||
	    wwtp_monitor_has(a->mon, id, param, unit, sizeof(unit)) != 0) {
		json_t *ps = wwtp_monitor_params_json(a->mon, id);
		char *list = ps ? json_dumps(ps, JSON_COMPACT) : NULL;
		echo(param, e, sizeof(e));
		if (!param)
			api_error(r, 400, "param is required: one of %s", list ? list : "?");
		else
			api_error(r, 404, "station %s has no param '%s': one of %s", id, e,
				  list ? list : "?");
		free(list);
		json_decref(ps);
		return;
	}
	if (time_arg(q, "to", q->now_ms, &to, r) != 0 ||
	    time_arg(q, "from", to - API_SERIES_DEFAULT_MS, &from, r) != 0)
		return;
	if (from >= to) {
		api_error(r, 400, "from must be before to");
		return;
	}
	if ((ev = arg(q, "every")) != NULL) {
		if (wwtp_api_parse_duration(ev, &every) != 0 || every < 1000 ||
		    every > 7 * 86400000LL) {
			echo(ev, e, sizeof(e));
			api_error(r, 400,
				  "every '%s' is not a duration 1s..7d such as 60s, 5m, 1h, 1d", e);
			return;
		}
		if ((to - from) / every > API_SERIES_POINTS_MAX) {
			api_error(
			    r, 400,
			    "more than %d intervals of %s: give a larger every or a shorter span",
			    API_SERIES_POINTS_MAX, ev);
			return;
		}
		wwtp_buf_adds(&ql, "SELECT mean(value), count(value) FROM reading WHERE station=");
		wwtp_query_str(&ql, id);
		wwtp_buf_adds(&ql, " AND param=");
		wwtp_query_str(&ql, param);
		wwtp_buf_printf(&ql,
				" AND status='ok' AND time >= %" PRId64 "ms AND time < %" PRId64
				"ms GROUP BY time(%" PRId64 "ms) fill(none)",
				from, to, every);
	} else {
		wwtp_buf_adds(&ql, "SELECT value, status FROM reading WHERE station=");
		wwtp_query_str(&ql, id);
		wwtp_buf_adds(&ql, " AND param=");
		wwtp_query_str(&ql, param);
		wwtp_buf_printf(&ql,
				" AND time >= %" PRId64 "ms AND time < %" PRId64
				"ms ORDER BY time ASC LIMIT %d",
				from, to, API_SERIES_POINTS_MAX + 1);
	}
	json_t *doc = series_query(a, ql.data, r);
	wwtp_buf_free(&ql);
	if (!doc)
		return;

	json_t *o = json_object(), *pts = json_array();
	json_object_set_new(o, "station", json_string(id));
	json_object_set_new(o, "param", json_string(param));
	json_object_set_new(o, "unit", json_string(unit));
	wwtp_format_utc(from, ts, sizeof(ts));
	json_object_set_new(o, "from", json_string(ts));
	wwtp_format_utc(to, ts, sizeof(ts));
	json_object_set_new(o, "to", json_string(ts));
	json_object_set_new(o, "every", ev ? json_string(ev) : json_null());
	json_t *s0 = json_array_get(
	    json_object_get(json_array_get(json_object_get(doc, "results"), 0), "series"), 0);
	json_t *vals = json_object_get(s0, "values");
	size_t nv = json_is_array(vals) ? json_array_size(vals) : 0;
	int truncated = !ev && nv > API_SERIES_POINTS_MAX;
	for (size_t i = 0; i < nv && i < API_SERIES_POINTS_MAX; i++) {
		json_t *row = json_array_get(vals, i), *p = json_object();
		json_t *t = json_array_get(row, 0), *v = json_array_get(row, 1);
		if (!json_is_number(t) ||
		    wwtp_format_utc((int64_t)json_number_value(t), ts, sizeof(ts)) != 0) {
			json_decref(p);
			continue;
		}
		json_object_set_new(p, "ts", json_string(ts));
		if (json_is_number(v))
			json_object_set_new(p, ev ? "mean" : "value",
					    json_real(json_number_value(v)));
		if (ev)
			json_object_set_new(
			    p, "n",
			    json_integer((json_int_t)json_number_value(json_array_get(row, 2))));
		else if (json_is_string(json_array_get(row, 2)))
			json_object_set_new(p, "status", json_copy(json_array_get(row, 2)));
		json_array_append_new(pts, p);
	}
	json_decref(doc);
	json_object_set_new(o, "points", pts);
	json_object_set_new(o, "truncated", json_boolean(truncated));
	finish(r, 200, o);
}

/* POST /api/alerts/{id}/ack {"comment": "..."}: an operator acknowledges. */
static void route_ack(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
		      const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	static const char *const known[] = {NULL};
	char station[WWTP_ID_MAX], e[200];
	struct wwtp_ack k, prev;
	size_t total = 0;

	if (check_args(q, known, r) != 0)
		return;
	if (who->role != WWTP_ROLE_OPERATOR) {
		api_error(r, 403, "%s is an inspector: only operators acknowledge alerts",
			  who->user);
		return;
	}
	json_t *body = body_object(q, r);
	if (!body)
		return;
	const char *comment = json_string_value(json_object_get(body, "comment"));
	if (!comment || !wwtp_ack_valid_comment(comment)) {
		json_decref(body);
		api_error(r, 400, "give {\"comment\": \"...\"}: one line of 1 to %d bytes",
			  WWTP_ACK_COMMENT_MAX - 1);
		return;
	}
	memset(&k, 0, sizeof(k));
	snprintf(k.comment, sizeof(k.comment), "%s", comment);
	json_decref(body);

	/* The alert: its id begins with its station's. */
	const char *colon = strchr(id, ':');
	size_t sn = colon ? (size_t)(colon - id) : 0;
	json_t *found = NULL, *list = NULL;
	if (sn > 0 && sn < sizeof(station) && strlen(id) < sizeof(k.alert)) {
		memcpy(station, id, sn);
		station[sn] = '\0';
		if (wwtp_monitor_has(a->mon, station, NULL, NULL, 0) == 0) {
			struct wwtp_alert_filter f = {.station = station,
						      .from_ms = 0,
						      .to_ms = INT64_MAX,
						      .limit = WWTP_MONITOR_ALERTS_PER_STATION};
			list = wwtp_monitor_alerts_json(a->mon, &f, &total);
			size_t i;
			json_t *al;
			json_array_foreach(list, i, al)
			{
				const char *aid = json_string_value(json_object_get(al, "id"));
				if (aid && strcmp(aid, id) == 0) {
					found = json_incref(al);
					break;
				}
			}
		}
	}
	json_decref(list);
	if (!found) {
		echo(id, e, sizeof(e));
		api_error(r, 404, "no alert '%s'", e);
		return;
	}
	memcpy(k.alert, id, strlen(id) + 1); /* checked above: it fits */
	snprintf(k.user, sizeof(k.user), "%s", who->user);
	k.time_ms = q->now_ms;
	int rc = wwtp_acks_add(a->acks, &k, &prev);
	if (rc == WWTP_ERR_FULL) {
		char t[32] = "?";
		wwtp_format_utc(prev.time_ms, t, sizeof(t));
		json_decref(found);
		api_error(r, 409, "already acknowledged by %s at %s", prev.user, t);
		return;
	}
	if (rc != 0) {
		json_decref(found);
		api_error(r, 500, "cannot keep the acknowledgement (see the log)");
		return;
	}
	LOG_INFO(API_MOD, "alert %s acknowledged by %s", id, who->user);
	json_object_set_new(found, "ack", wwtp_ack_json(&k));
	finish(r, 201, found);
}

/* GET /api/me: who is asking. */
static void route_me(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
		     const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	static const char *const known[] = {NULL};
	(void)a;
	(void)id;
	if (check_args(q, known, r) == 0)
		finish(r, 200, who_json(who));
}

static void route_index(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			const struct wwtp_principal *who, struct wwtp_api_response *r);

typedef void (*route_fn)(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			 const struct wwtp_principal *who, struct wwtp_api_response *r);

enum { M_GET = 1, M_POST = 2, M_DELETE = 4 }; /* HEAD is GET */

/* The one route table: it drives the dispatch, the index at /api, and the
 * 404 and 405 answers. A path is matched whole (after one trailing '/' is
 * dropped), the first row first; "{id}" stands for one path segment (any
 * bytes but '/'), "{id+}" for one or more bytes of any kind (alert ids
 * hold ':'). Adding a route is one handler and one row (docs/api.md). */
static const struct api_route {
	const char *path;
	unsigned methods;
	const char *allow; /* the Allow header of a 405 */
	route_fn fn;	   /* NULL: served by http.c, not JSON (see there) */
	const char *index; /* how /api lists it; NULL: not listed there */
} routes[] = {
    {"/", M_GET, "GET, HEAD", route_index, NULL},
    {"/api", M_GET, "GET, HEAD", route_index, NULL},
    {"/api/health", M_GET, "GET, HEAD", route_health, "/api/health"},
    {"/api/stations", M_GET, "GET, HEAD", route_stations, "/api/stations"},
    {"/api/stations/{id}", M_GET, "GET, HEAD", route_stations, "/api/stations/{id}"},
    {"/api/stations/{id}/params", M_GET, "GET, HEAD", route_params, "/api/stations/{id}/params"},
    {"/api/stations/{id}/series", M_GET, "GET, HEAD", route_series,
     "/api/stations/{id}/series?param=&from=&to=&every="},
    {"/api/alerts", M_GET, "GET, HEAD", route_alerts,
     "/api/alerts?station=&kind=&state=&param=&from=&to=&limit="},
    {"/api/alerts/{id+}/ack", M_POST, "POST", route_ack, "POST /api/alerts/{id}/ack"},
    /* POST is the log-in, dispatched before the access check (below). */
    {"/api/session", M_POST | M_DELETE, "POST (log in), DELETE (log out)", route_logout,
     "POST /api/session, DELETE /api/session"},
    {"/api/me", M_GET, "GET, HEAD", route_me, "/api/me"},
    /* The monthly report, HTML or CSV (http.c serves GET; the API answers
     * the other methods). Not in the index, which lists the JSON API. */
    {"/report", M_GET, "GET, HEAD", NULL, NULL},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

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
static void route_index(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	static const char *const known[] = {NULL};
	(void)a;
	(void)id;
	(void)who;
	if (check_args(q, known, r) != 0)
		return;
	json_t *o = json_object(), *rs = json_array();
	json_object_set_new(o, "name", json_string("wwtp-central"));
	json_object_set_new(o, "version", json_string(WWTP_VERSION));
	for (size_t i = 0; i < NROUTES; i++)
		if (routes[i].index)
			json_array_append_new(rs, json_string(routes[i].index));
	json_object_set_new(o, "routes", rs);
	json_object_set_new(o, "docs", json_string("docs/api.md"));
	finish(r, 200, o);
}

static void no_route(const struct wwtp_api_request *q, struct wwtp_api_response *r)
{
	char e[80], list[512] = "";
	echo(q->path, e, sizeof(e));
	for (size_t i = 0; i < NROUTES; i++) {
		if (strcmp(routes[i].path, "/") == 0 || strcmp(routes[i].path, "/api") == 0)
			continue;
		size_t used = strlen(list);
		if (used && used + 2 < sizeof(list)) {
			memcpy(list + used, ", ", 2);
			used += 2;
		}
		for (const char *c = routes[i].path; *c && used + 1 < sizeof(list); c++)
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
	echo(q->method, e, sizeof(e));
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
		if (check_args(q, known, r) == 0)
			route_login(a, q, r);
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
	for (size_t i = 0; i < NROUTES; i++) {
		const struct api_route *rt = &routes[i];
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
