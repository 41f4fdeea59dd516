/* api_routes.c - the API's routes and the one table of them
 * (wwtp_api_routes, at the end): a new route is a handler here and a row
 * in the table (docs/api.md). */
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
#include "../ingest/completeness.h"
#include "../ingest/evidence.h"
#include "../ingest/confchange.h"
#include "../ingest/labsample.h"
#include "../ingest/query.h"
#include "../../model/glossary.h"
#include "alerts_csv.h"
#include "api-private.h"
#include "series_csv.h"

static void api_add_acks(struct wwtp_api *a, json_t *alerts)
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

	if (api_check_args(q, known, r) != 0)
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
	api_finish(r, 200, o);
}

static void route_stations(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			   const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	(void)who;
	static const char *const known[] = {NULL};
	char e[80];

	if (api_check_args(q, known, r) != 0)
		return;
	json_t *o = wwtp_monitor_stations_json(a->mon, id, q->now_ms);
	if (!o && id) {
		api_echo(id, e, sizeof(e));
		api_error(r, 404, "no station '%s'", e);
		return;
	}
	if (!o) {
		api_error(r, 500, "out of memory");
		return;
	}
	if (id) {
		api_add_acks(a, json_object_get(o, "alerts"));
	} else {
		size_t i;
		json_t *st;
		json_array_foreach(o, i, st) api_add_acks(a, json_object_get(st, "alerts"));
	}
	api_finish(r, 200, o);
}

/* GET /api/stations/{id}/params: each param with its unit and limits. */
static void route_params(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			 const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	(void)who;
	static const char *const known[] = {NULL};
	char e[80];

	if (api_check_args(q, known, r) != 0)
		return;
	json_t *o = wwtp_monitor_limits_json(a->mon, id);
	if (!o) {
		api_echo(id, e, sizeof(e));
		api_error(r, 404, "no station '%s'", e);
		return;
	}
	api_finish(r, 200, o);
}

#define HANOI_MS (7 * 3600 * 1000LL)
#define DAY_MS (86400 * 1000LL)
#define COMPL_DAYS_MAX 62

static int64_t hanoi_day(int64_t ms)
{
	int64_t t = ms + HANOI_MS;
	return (t - ((t % DAY_MS) + DAY_MS) % DAY_MS) - HANOI_MS;
}

static json_t *gap_json(const struct wwtp_compl_gap *g)
{
	char f[32], t[32];
	wwtp_format_utc(g->from_ms, f, sizeof(f));
	wwtp_format_utc(g->to_ms, t, sizeof(t));
	return json_pack("{s:s,s:s,s:s,s:I,s:i,s:b,s:b}", "device", g->device, "from", f, "to", t,
			 "n", (json_int_t)g->n, "interval_ms", g->interval_ms, "starts_day",
			 g->from_start, "ends_day", g->to_end);
}

/* Polls expected, stored, lost and late per Hanoi day (completeness.h). */
static void route_completeness(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			       const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	(void)who;
	static const char *const known[] = {"from", "to", NULL};
	int64_t from, to;
	char e[80], why[320] = "", pct[16];

	if (api_check_args(q, known, r) != 0)
		return;
	const struct wwtp_reg_station *st = a->reg ? wwtp_registry_find(a->reg, id) : NULL;
	if (!st) {
		api_echo(id, e, sizeof(e));
		api_error(r, 404, "no station '%s'", e);
		return;
	}
	if (!a->have_influx) {
		api_error(r, 503, "no InfluxDB to read from");
		return;
	}
	if (api_time_arg(q, "to", q->now_ms, &to, r) != 0 ||
	    api_time_arg(q, "from", to - 6 * DAY_MS, &from, r) != 0)
		return;
	from = hanoi_day(from);
	if (to <= from || (to - from) > COMPL_DAYS_MAX * DAY_MS) {
		api_error(r, 400, "from must be before to, at most %d days apart", COMPL_DAYS_MAX);
		return;
	}
	json_t *days = json_array(), *o = json_object();
	int64_t te = 0, tr = 0, tl = 0, tlate = 0, first = INT64_MAX;
	pthread_mutex_lock(&a->ix_lock);
	int frc = wwtp_compl_first(&a->ix, &a->influx, st, to < q->now_ms ? to : q->now_ms, &first,
				   why, sizeof(why));
	pthread_mutex_unlock(&a->ix_lock);
	for (int64_t d = from; d < to; d += DAY_MS) {
		struct wwtp_compl c;
		char day[32];
		pthread_mutex_lock(&a->ix_lock);
		int rc = frc ? frc
			     : wwtp_compl_day(&a->ix, &a->influx, st, d, q->now_ms, first,
					      a->lost_after_s, &c, why, sizeof(why));
		pthread_mutex_unlock(&a->ix_lock);
		if (rc != 0) {
			json_decref(days);
			json_decref(o);
			api_echo(why, e, sizeof(e));
			LOG_WARN(API_MOD, "completeness query failed: %s", why);
			api_error(r, 502, "InfluxDB: %s", e);
			return;
		}
		json_t *gaps = json_array();
		for (size_t i = 0; i < c.ngaps; i++)
			json_array_append_new(gaps, gap_json(&c.gaps[i]));
		wwtp_format_utc(d + HANOI_MS, day, sizeof(day));
		day[10] = '\0';
		wwtp_compl_pct(c.lost, c.expected, pct, sizeof(pct));
		json_array_append_new(
		    days, json_pack("{s:s,s:I,s:I,s:I,s:I,s:s,s:o}", "day", day, "expected",
				    (json_int_t)c.expected, "received", (json_int_t)c.received,
				    "lost", (json_int_t)c.lost, "late", (json_int_t)c.late,
				    "lost_pct", pct, "gaps", gaps));
		te += c.expected;
		tr += c.received;
		tl += c.lost;
		tlate += c.late;
		wwtp_compl_clear(&c);
	}
	wwtp_compl_pct(tl, te, pct, sizeof(pct));
	json_object_set_new(o, "station", json_string(st->id));
	json_object_set_new(o, "lost_after_s", json_integer(a->lost_after_s));
	if (first == INT64_MAX) {
		json_object_set_new(o, "records_from", json_null());
	} else {
		char f[32];
		wwtp_format_utc(first, f, sizeof(f));
		json_object_set_new(o, "records_from", json_string(f));
	}
	json_object_set_new(o, "days", days);
	json_object_set_new(o, "total",
			    json_pack("{s:I,s:I,s:I,s:I,s:s}", "expected", (json_int_t)te,
				      "received", (json_int_t)tr, "lost", (json_int_t)tl, "late",
				      (json_int_t)tlate, "lost_pct", pct));
	api_finish(r, 200, o);
}

/* The alerts a query of /api/alerts or /api/alerts.csv asks for, with
 * their acknowledgements; *total: how many matched. NULL with a 4xx/500
 * answer in r. */
static json_t *alerts_query(struct wwtp_api *a, const struct wwtp_api_request *q,
			    struct wwtp_api_response *r, size_t *total_out)
{
	static const char *const known[] = {"station", "kind",	"state",    "param", "from",
					    "to",      "limit", "priority", "order", NULL};
	int acked = -1; /* -1 either, 0 not acknowledged, 1 acknowledged */
	const char *param = NULL;
	struct wwtp_alert_filter f = {.from_ms = 0, .to_ms = INT64_MAX, .limit = API_ALERTS_LIMIT};
	const char *v;
	char e[80];
	size_t total = 0;

	if (api_check_args(q, known, r) != 0)
		return NULL;
	if ((v = api_arg(q, "priority")) != NULL &&
	    (f.priority = wwtp_alert_priority_parse(v)) == 0) {
		api_echo(v, e, sizeof(e));
		api_error(r, 400, "priority '%s' is not high, medium or low", e);
		return NULL;
	}
	if ((v = api_arg(q, "order")) != NULL) {
		if (strcmp(v, "page") == 0)
			f.order = WWTP_ALERTS_PAGE;
		else if (strcmp(v, "newest") != 0) {
			api_echo(v, e, sizeof(e));
			api_error(r, 400, "order '%s' is not newest or page", e);
			return NULL;
		}
	}
	f.now_ms = q->now_ms;
	if ((v = api_arg(q, "station")) != NULL) {
		if (wwtp_monitor_has(a->mon, v, NULL, NULL, 0) != 0) {
			api_echo(v, e, sizeof(e));
			api_error(r, 404, "no station '%s'", e);
			return NULL;
		}
		f.station = v;
	}
	if ((v = api_arg(q, "kind")) != NULL) {
		int k = 0;
		while (k < WWTP_ALERT_KINDS && strcmp(wwtp_alert_kind_name(k), v) != 0)
			k++;
		/* Central raises kinds of its own: forged or altered data, a
		 * measuring configuration changed, the analyzer against a
		 * laboratory result. */
		if (k == WWTP_ALERT_KINDS && strcmp(v, WWTP_ALERT_KIND_FORGED) != 0 &&
		    strcmp(v, WWTP_ALERT_KIND_CONFIG) != 0 && strcmp(v, WWTP_ALERT_KIND_LAB) != 0) {
			char list[256] = "";
			for (int i = 0; i < WWTP_ALERT_KINDS; i++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s, ",
					 wwtp_alert_kind_name(i));
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s, %s, %s",
				 WWTP_ALERT_KIND_FORGED, WWTP_ALERT_KIND_CONFIG,
				 WWTP_ALERT_KIND_LAB);
			api_echo(v, e, sizeof(e));
			api_error(r, 400, "kind '%s' is not one of %s", e, list);
			return NULL;
		}
		f.kind = v;
	}
	if ((v = api_arg(q, "state")) != NULL) {
		if (strcmp(v, "open") == 0)
			f.state = WWTP_ALERTS_OPEN;
		else if (strcmp(v, "closed") == 0)
			f.state = WWTP_ALERTS_CLOSED;
		else if (strcmp(v, "acked") == 0 || strcmp(v, "unacked") == 0) {
			f.state = WWTP_ALERTS_OPEN;
			acked = v[0] == 'a';
		} else if (strcmp(v, "all") != 0) {
			api_echo(v, e, sizeof(e));
			api_error(r, 400, "state '%s' is not open, acked, unacked, closed or all",
				  e);
			return NULL;
		}
	}
	if ((v = api_arg(q, "param")) != NULL) {
		if (!api_in_charset(v, API_CS_PARAM, WWTP_ID_MAX)) {
			api_echo(v, e, sizeof(e));
			api_error(r, 400, "param '%s' is not a parameter name", e);
			return NULL;
		}
		param = v;
	}
	if (api_time_arg(q, "from", 0, &f.from_ms, r) != 0 ||
	    api_time_arg(q, "to", INT64_MAX, &f.to_ms, r) != 0)
		return NULL;
	if (f.from_ms >= f.to_ms) {
		api_error(r, 400, "from must be before to");
		return NULL;
	}
	if ((v = api_arg(q, "limit")) != NULL) {
		char *end;
		errno = 0;
		long n = strtol(v, &end, 10);
		if (errno || end == v || *end || n < 1 || n > API_ALERTS_LIMIT_MAX) {
			api_echo(v, e, sizeof(e));
			api_error(r, 400, "limit '%s' is not a number 1..%d", e,
				  API_ALERTS_LIMIT_MAX);
			return NULL;
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
		return NULL;
	}
	api_add_acks(a, o);
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
	*total_out = total;
	return o;
}

/* GET /api/glossary: the names and units of the parameters
 * (model/glossary.h), for the page: one glossary for page, API and report. */
static void route_glossary(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			   const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	static const char *const known[] = {NULL};
	(void)a;
	(void)id;
	(void)who;
	if (api_check_args(q, known, r) != 0)
		return;
	json_t *o = json_object();
	for (size_t i = 0; i < wwtp_glossary_count(); i++) {
		const struct wwtp_glossary_entry *g = wwtp_glossary_get(i);
		json_t *e = json_object();
		json_object_set_new(e, "vi", json_string(g->vi));
		json_object_set_new(e, "en", json_string(g->en));
		json_object_set_new(e, "unit", json_string(g->unit));
		json_object_set_new(e, "total", json_boolean(g->total));
		json_object_set_new(o, g->param, e);
	}
	api_finish(r, 200, o);
}

/* GET /api/stations/{id}/flags: when the plant's flag was raised and
 * cleared, and why (history.h). */
static void route_flags(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	static const char *const known[] = {NULL};
	char e[80];
	int found = 0;
	(void)who;
	if (api_check_args(q, known, r) != 0)
		return;
	json_t *o = wwtp_monitor_flags_json(a->mon, id, q->now_ms, &found);
	if (!o && !found) {
		api_echo(id, e, sizeof(e));
		api_error(r, 404, "no station '%s'", e);
		return;
	}
	if (!o) {
		api_error(r, 500, "out of memory");
		return;
	}
	api_finish(r, 200, o);
}

static void route_alerts(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			 const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	size_t total = 0;
	(void)id;
	(void)who;
	json_t *o = alerts_query(a, q, r, &total);
	if (!o)
		return;
	snprintf(r->total, sizeof(r->total), "%zu", total);
	api_finish(r, 200, o);
}

/* GET /api/alerts.csv?...: the same alerts as a CSV file (alerts_csv.h). */
static void route_alerts_csv(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			     const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	size_t total = 0, len = 0;
	(void)id;
	(void)who;
	json_t *o = alerts_query(a, q, r, &total);
	if (!o)
		return;
	char *csv = wwtp_alerts_csv(o, API_CSV_MAX, &len);
	json_decref(o);
	if (!csv) {
		api_error(r, 500, "out of memory");
		return;
	}
	r->status = 200;
	r->body = csv;
	r->len = len;
	r->content_type = "text/csv; charset=utf-8";
	r->attachment = "alerts.csv";
	snprintf(r->total, sizeof(r->total), "%zu", total);
}

/* GET /api/alerts/rates?from=&to=: the alert rates (episodes.h). */
static void route_rates(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	static const char *const known[] = {"from", "to", NULL};
	int64_t from, to;
	(void)id;
	(void)who;
	if (api_check_args(q, known, r) != 0 ||
	    api_time_arg(q, "from", q->now_ms - 86400000LL, &from, r) != 0 ||
	    api_time_arg(q, "to", q->now_ms, &to, r) != 0)
		return;
	if (from >= to) {
		api_error(r, 400, "from must be before to");
		return;
	}
	json_t *o = wwtp_monitor_rates_json(a->mon, from, to, q->now_ms);
	if (!o) {
		api_error(r, 500, "out of memory");
		return;
	}
	api_finish(r, 200, o);
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
		api_echo(why, e, sizeof(e));
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
	if (api_check_args(q, known, r) != 0)
		return;
	if (!api_in_charset(id, API_CS_ID, WWTP_ID_MAX) ||
	    wwtp_monitor_has(a->mon, id, NULL, NULL, 0) != 0) {
		api_echo(id, e, sizeof(e));
		api_error(r, 404, "no station '%s'", e);
		return;
	}
	param = api_arg(q, "param");
	if (!param || !api_in_charset(param, API_CS_PARAM, WWTP_ID_MAX) ||
	    wwtp_monitor_has(a->mon, id, param, unit, sizeof(unit)) != 0) {
		json_t *ps = wwtp_monitor_params_json(a->mon, id);
		char *list = ps ? json_dumps(ps, JSON_COMPACT) : NULL;
		api_echo(param, e, sizeof(e));
		if (!param)
			api_error(r, 400, "param is required: one of %s", list ? list : "?");
		else
			api_error(r, 404, "station %s has no param '%s': one of %s", id, e,
				  list ? list : "?");
		free(list);
		json_decref(ps);
		return;
	}
	if (api_time_arg(q, "to", q->now_ms, &to, r) != 0 ||
	    api_time_arg(q, "from", to - API_SERIES_DEFAULT_MS, &from, r) != 0)
		return;
	if (from >= to) {
		api_error(r, 400, "from must be before to");
		return;
	}
	if ((ev = api_arg(q, "every")) != NULL) {
		if (wwtp_api_parse_duration(ev, &every) != 0 || every < 1000 ||
		    every > 7 * 86400000LL) {
			api_echo(ev, e, sizeof(e));
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
	api_finish(r, 200, o);
}

/* POST /api/alerts/{id}/ack {"comment": "..."}: an operator acknowledges. */
static void route_ack(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
		      const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	static const char *const known[] = {NULL};
	char station[WWTP_ID_MAX], e[200];
	struct wwtp_ack k, prev;
	size_t total = 0;

	if (api_check_args(q, known, r) != 0)
		return;
	if (who->role != WWTP_ROLE_OPERATOR) {
		api_error(r, 403, "%s is an inspector: only operators acknowledge alerts",
			  who->user);
		return;
	}
	json_t *body = api_body_object(q, r);
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
		api_echo(id, e, sizeof(e));
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
	api_finish(r, 201, found);
}

/* The one route table: it drives the dispatch, the index at /api, and the
 * 404 and 405 answers. A path is matched whole (after one trailing '/' is
 * dropped), the first row first; "{id}" stands for one path segment (any
 * bytes but '/'), "{id+}" for one or more bytes of any kind (alert ids
 * hold ':'). Adding a route is one handler above and one row here (docs/api.md).
 * The table is read by api.c. */
/* One stored configuration change (ingest/confchange.h) into the array. */
static void conf_row(void *ctx, json_t *tags, json_t *columns, json_t *row)
{
	json_t *list = ctx, *o;
	const char *set = wwtp_query_tag(tags, columns, row, "setting"),
		   *dev = wwtp_query_tag(tags, columns, row, "device"),
		   *par = wwtp_query_tag(tags, columns, row, "param"),
		   *st = wwtp_query_tag(tags, columns, row, "station"),
		   *from = wwtp_query_col_str(columns, row, "from_value"),
		   *to = wwtp_query_col_str(columns, row, "to_value"),
		   *fp = wwtp_query_col_str(columns, row, "fingerprint");
	double t = wwtp_query_col_num(columns, row, "time", NAN);
	char ts[32], vi[320];
	if (!set || !st || !(t > 0 && t < 1e13))
		return;
	wwtp_format_utc((int64_t)t, ts, sizeof(ts));
	wwtp_confchange_words("vi", st, dev, par, set, from, to, vi, sizeof(vi));
	o = json_pack("{s:s,s:s,s:s?,s:s?,s:s,s:s?,s:s?,s:s?,s:s}", "time", ts, "station", st,
		      "device", dev, "param", par, "setting", set, "from", from, "to", to,
		      "fingerprint", fp, "text_vi", vi);
	if (o)
		json_array_append_new(list, o);
}

/* The station's measuring-configuration changes (docs/api.md), newest
 * first, from the config measurement. */
static void route_config(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			 const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	(void)who;
	static const char *const known[] = {"from", "to", NULL};
	int64_t from, to;
	char e[80];
	struct wwtp_buf ql;

	if (api_check_args(q, known, r) != 0)
		return;
	if (!a->reg || !wwtp_registry_find(a->reg, id)) {
		api_echo(id, e, sizeof(e));
		api_error(r, 404, "no station '%s'", e);
		return;
	}
	if (api_time_arg(q, "to", q->now_ms, &to, r) != 0 ||
	    api_time_arg(q, "from", to - 366 * DAY_MS, &from, r) != 0)
		return;
	if (to <= from) {
		api_error(r, 400, "from must be before to");
		return;
	}
	wwtp_buf_init(&ql, 1024);
	int bad = wwtp_buf_adds(&ql, "SELECT * FROM config WHERE station=") ||
		  wwtp_query_str(&ql, id) ||
		  wwtp_buf_printf(&ql,
				  " AND setting =~ /./ AND time >= %" PRId64
				  "ms AND time < %" PRId64 "ms ORDER BY time DESC LIMIT 1000",
				  from, to);
	json_t *doc = series_query(a, bad ? NULL : ql.data, r);
	wwtp_buf_free(&ql);
	if (!doc)
		return;
	json_t *list = json_array();
	wwtp_query_each_row(doc, 0, conf_row, list);
	json_decref(doc);
	api_finish(r, 200, json_pack("{s:s,s:o}", "station", id, "changes", list));
}

const struct api_route wwtp_api_routes[] = {
    {"/", M_GET, "GET, HEAD", wwtp_api_route_index, NULL},
    {"/api", M_GET, "GET, HEAD", wwtp_api_route_index, NULL},
    {"/api/health", M_GET, "GET, HEAD", route_health, "/api/health"},
    {"/api/stations", M_GET, "GET, HEAD", route_stations, "/api/stations"},
    {"/api/stations/{id}", M_GET, "GET, HEAD", route_stations, "/api/stations/{id}"},
    {"/api/stations/{id}/params", M_GET, "GET, HEAD", route_params, "/api/stations/{id}/params"},
    {"/api/stations/{id}/completeness", M_GET, "GET, HEAD", route_completeness,
     "/api/stations/{id}/completeness?from=&to="},
    {"/api/stations/{id}/flags", M_GET, "GET, HEAD", route_flags, "/api/stations/{id}/flags"},
    {"/api/stations/{id}/config", M_GET, "GET, HEAD", route_config,
     "/api/stations/{id}/config?from=&to="},
    {"/api/stations/{id}/samples", M_GET | M_POST, "GET, HEAD, POST", wwtp_api_route_samples,
     "/api/stations/{id}/samples?from=&to=, POST /api/stations/{id}/samples"},
    {"/api/stations/{id}/series", M_GET, "GET, HEAD", route_series,
     "/api/stations/{id}/series?param=&from=&to=&every="},
    {"/api/stations/{id}/series.csv", M_GET, "GET, HEAD", wwtp_api_route_series_csv,
     "/api/stations/{id}/series.csv?param=&from=&to=&every="},
    {"/api/glossary", M_GET, "GET, HEAD", route_glossary, "/api/glossary"},
    {"/api/alerts", M_GET, "GET, HEAD", route_alerts,
     "/api/alerts?station=&kind=&priority=&state=&param=&from=&to=&order=&limit="},
    {"/api/alerts.csv", M_GET, "GET, HEAD", route_alerts_csv,
     "/api/alerts.csv?station=&kind=&priority=&state=&param=&from=&to=&order=&limit="},
    {"/api/alerts/rates", M_GET, "GET, HEAD", route_rates, "/api/alerts/rates?from=&to="},
    {"/api/alerts/{id+}/ack", M_POST, "POST", route_ack, "POST /api/alerts/{id}/ack"},
    /* POST is the log-in, dispatched before the access check (below). */
    {"/api/session", M_POST | M_DELETE, "POST (log in), DELETE (log out)", wwtp_api_route_logout,
     "POST /api/session, DELETE /api/session"},
    {"/api/me", M_GET, "GET, HEAD", wwtp_api_route_me, "/api/me"},
    /* The monthly report, HTML or CSV (http.c serves GET; the API answers
     * the other methods). Not in the index, which lists the JSON API. */
    {"/report", M_GET, "GET, HEAD", NULL, NULL},
    /* The scheduled documents' archive (http.c serves GET): the list, and
     * each archived file. */
    {"/api/reports", M_GET, "GET, HEAD", NULL, NULL},
    {"/reports/{id}/{id}", M_GET, "GET, HEAD", NULL, NULL},
};
const size_t wwtp_api_nroutes = sizeof(wwtp_api_routes) / sizeof(wwtp_api_routes[0]);
