/* report_query.c - a station's month from InfluxDB (see report_query.h). */
#include "report_query.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/err.h"
#include "../ingest/query.h"

/* Times beyond this (year 2286) are not from a real alert, and would not
 * convert to int64_t. */
#define MS_MAX 1e13

int wwtp_report_query_text(const char *id, const struct wwtp_report_period *p, struct wwtp_buf *out)
{
	struct wwtp_buf w, sid;
	int rc;
	int64_t back = p->start_ms - (int64_t)WWTP_REPORT_ALERT_LOOKBACK_DAYS * 86400000LL;

	/* Ids go into the query as they are: only what station ids allow. */
	if (!id[0] || strlen(id) >= WWTP_ID_MAX)
		return WWTP_ERR_INVAL;
	for (const char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			return WWTP_ERR_INVAL;
	wwtp_buf_reset(out);
	wwtp_buf_init(&w, 256);
	wwtp_buf_init(&sid, 64);
	rc = wwtp_query_str(&sid, id);
	if (rc == 0)
		rc = wwtp_buf_printf(
		    &w, "station=%s AND time >= %" PRId64 "ms AND time < %" PRId64 "ms", sid.data,
		    p->start_ms, p->end_ms);
	if (rc == 0)
		rc = wwtp_buf_printf(
		    out,
		    "SELECT count(status) FROM reading WHERE %s GROUP BY time(1h), param "
		    "fill(none);"
		    "SELECT count(value), mean(value), min(value), max(value) FROM reading WHERE "
		    "%s "
		    "AND status='ok' GROUP BY time(1h), param fill(none);"
		    "SELECT count(status) FROM reading WHERE %s AND status='fault' "
		    "GROUP BY time(1h), param fill(none);"
		    "SELECT * FROM alert WHERE station=%s AND event='raised' AND "
		    "(kind='exceedance' OR kind='range') AND time >= %" PRId64
		    "ms AND time < %" PRId64 "ms;"
		    "SELECT * FROM alert WHERE station=%s AND event='cleared' AND "
		    "(kind='exceedance' OR kind='range') AND time >= %" PRId64 "ms;"
		    "SELECT * FROM config WHERE station=%s AND setting =~ /./ AND time >= %" PRId64
		    "ms AND time < %" PRId64 "ms;"
		    "SELECT * FROM sample WHERE %s",
		    w.data, w.data, w.data, sid.data, back, p->end_ms, sid.data, back, sid.data,
		    p->start_ms, p->end_ms, w.data);
	wwtp_buf_free(&w);
	wwtp_buf_free(&sid);
	return rc;
}

static int param_index(const struct wwtp_report_station *st, const char *name)
{
	return name ? wwtp_flag_param_find(st->params, st->nparams, name) : -1;
}

static uint32_t count_of(double n)
{
	if (!(n > 0))
		return 0;
	return n < 4e9 ? (uint32_t)n : UINT32_MAX;
}

struct clear {
	const char *id;
	int64_t end_ms;
};

static int cmp_clear(const void *a, const void *b)
{
	return strcmp(((const struct clear *)a)->id, ((const struct clear *)b)->id);
}

static int add_alert(struct wwtp_report_station *st, const struct wwtp_report_alert *a)
{
	if (st->nalerts == st->alerts_cap) {
		size_t cap = st->alerts_cap ? st->alerts_cap * 2 : 64;
		struct wwtp_report_alert *n = realloc(st->alerts, cap * sizeof(*n));
		if (!n)
			return WWTP_ERR_NOMEM;
		st->alerts = n;
		st->alerts_cap = cap;
	}
	st->alerts[st->nalerts++] = *a;
	return 0;
}

/* Statements 3 and 4: raises paired with their clears by id. */
static int read_alerts(json_t *results, struct wwtp_report_station *st)
{
	json_t *cs = json_object_get(json_array_get(results, 4), "series");
	json_t *rs = json_object_get(json_array_get(results, 3), "series");
	struct clear *clears = NULL;
	size_t nc = 0, cap = 0;
	int rc = 0;

	for (size_t k = 0; json_is_array(cs) && k < json_array_size(cs); k++) {
		json_t *s = json_array_get(cs, k);
		json_t *cols = json_object_get(s, "columns"), *vals = json_object_get(s, "values");
		for (size_t r = 0; json_is_array(vals) && r < json_array_size(vals); r++) {
			json_t *row = json_array_get(vals, r),
			       *id = wwtp_query_col(cols, row, "id");
			if (!json_is_string(id))
				continue;
			if (nc == cap) {
				cap = cap ? cap * 2 : 64;
				struct clear *n = realloc(clears, cap * sizeof(*n));
				if (!n) {
					free(clears);
					return WWTP_ERR_NOMEM;
				}
				clears = n;
			}
			double end = wwtp_query_col_num(cols, row, "end_ms", NAN);
			if (!isfinite(end))
				end = wwtp_query_col_num(cols, row, "time", NAN);
			if (!(end > 0 && end < MS_MAX))
				continue;
			clears[nc].id = json_string_value(id);
			clears[nc].end_ms = (int64_t)end;
			nc++;
		}
	}
	if (nc)
		qsort(clears, nc, sizeof(*clears), cmp_clear);

	for (size_t k = 0; rc == 0 && json_is_array(rs) && k < json_array_size(rs); k++) {
		json_t *s = json_array_get(rs, k), *tags = json_object_get(s, "tags");
		json_t *cols = json_object_get(s, "columns"), *vals = json_object_get(s, "values");
		for (size_t r = 0; rc == 0 && json_is_array(vals) && r < json_array_size(vals);
		     r++) {
			json_t *row = json_array_get(vals, r),
			       *id = wwtp_query_col(cols, row, "id");
			const char *param = wwtp_query_tag(tags, cols, row, "param");
			const char *win = wwtp_query_tag(tags, cols, row, "window");
			struct wwtp_report_alert a;
			if (param_index(st, param) < 0)
				continue;
			memset(&a, 0, sizeof(a));
			snprintf(a.param, sizeof(a.param), "%s", param);
			double start = wwtp_query_col_num(cols, row, "start_ms", NAN);
			if (!isfinite(start))
				start = wwtp_query_col_num(cols, row, "time", NAN);
			if (!(start > 0 && start < MS_MAX))
				continue;
			a.start_ms = (int64_t)start;
			a.ratio = wwtp_query_col_num(cols, row, "ratio", NAN);
			long ws = win ? strtol(win, NULL, 10) : 0;
			a.window_s = ws > 0 && ws < 100000000 ? (int)ws : 0;
			if (json_is_string(id) && nc) {
				struct clear key = {json_string_value(id), 0};
				struct clear *c =
				    bsearch(&key, clears, nc, sizeof(*clears), cmp_clear);
				if (c && c->end_ms >= a.start_ms)
					a.end_ms = c->end_ms;
			}
			rc = add_alert(st, &a);
		}
	}
	free(clears);
	return rc;
}

/* A row reader's station and its first error (the rows go on: a row
 * callback cannot stop wwtp_query_each_row). */
struct rows_ctx {
	struct wwtp_report_station *st;
	int rc;
};

/* The sixth statement: the configuration changes (docs/influxdb-schema.md,
 * config), in time order as InfluxDB gives them. */
static void conf_row(void *ctx, json_t *tags, json_t *cols, json_t *row)
{
	struct rows_ctx *x = ctx;
	struct wwtp_report_station *st = x->st;
	const char *dev = wwtp_query_tag(tags, cols, row, "device"),
		   *par = wwtp_query_tag(tags, cols, row, "param"),
		   *set = wwtp_query_tag(tags, cols, row, "setting"),
		   *from = wwtp_query_col_str(cols, row, "from_value"),
		   *to = wwtp_query_col_str(cols, row, "to_value");
	double t = wwtp_query_col_num(cols, row, "time", NAN);
	if (x->rc || !set || !(t > 0 && t < MS_MAX))
		return;
	struct wwtp_report_conf *n = realloc(st->conf, (st->nconf + 1) * sizeof(*n));
	if (!n) {
		x->rc = WWTP_ERR_NOMEM;
		return;
	}
	st->conf = n;
	struct wwtp_report_conf *c = &st->conf[st->nconf++];
	memset(c, 0, sizeof(*c));
	c->t_ms = (int64_t)t;
	snprintf(c->device, sizeof c->device, "%s", dev ? dev : "");
	snprintf(c->param, sizeof c->param, "%s", par ? par : "");
	snprintf(c->setting, sizeof c->setting, "%s", set);
	snprintf(c->from, sizeof c->from, "%s", from ? from : "");
	snprintf(c->to, sizeof c->to, "%s", to ? to : "");
	c->has_from = from != NULL;
	c->has_to = to != NULL;
}

/* The seventh statement: the laboratory samples (docs/influxdb-schema.md,
 * sample), in time order as InfluxDB gives them. */
static void lab_row(void *ctx, json_t *tags, json_t *cols, json_t *row)
{
	struct rows_ctx *x = ctx;
	struct wwtp_report_station *st = x->st;
	const char *par = wwtp_query_tag(tags, cols, row, "param"),
		   *unit = wwtp_query_col_str(cols, row, "unit"),
		   *lab = wwtp_query_col_str(cols, row, "laboratory"),
		   *ref = wwtp_query_col_str(cols, row, "reference");
	double t = wwtp_query_col_num(cols, row, "time", NAN);
	int v = wwtp_lab_verdict_parse(wwtp_query_col_str(cols, row, "verdict"));
	if (x->rc || !par || !(t > 0 && t < MS_MAX) || v < 0)
		return;
	struct wwtp_report_lab *n = realloc(st->lab, (st->nlab + 1) * sizeof(*n));
	if (!n) {
		x->rc = WWTP_ERR_NOMEM;
		return;
	}
	st->lab = n;
	struct wwtp_report_lab *l = &st->lab[st->nlab++];
	memset(l, 0, sizeof(*l));
	l->t_ms = (int64_t)t;
	snprintf(l->param, sizeof l->param, "%s", par);
	snprintf(l->unit, sizeof l->unit, "%s", unit ? unit : "");
	snprintf(l->laboratory, sizeof l->laboratory, "%s", lab ? lab : "");
	snprintf(l->reference, sizeof l->reference, "%s", ref ? ref : "");
	l->value = wwtp_query_col_num(cols, row, "value", NAN);
	l->mean = wwtp_query_col_num(cols, row, "analyzer_mean", NAN);
	l->diff = wwtp_query_col_num(cols, row, "difference", NAN);
	l->rel_pct = wwtp_query_col_num(cols, row, "relative_pct", NAN);
	l->verdict = v;
}

static int read_rows(json_t *doc, size_t i, wwtp_query_row_fn fn, struct wwtp_report_station *st)
{
	struct rows_ctx x = {st, 0};
	wwtp_query_each_row(doc, i, fn, &x);
	return x.rc;
}

int wwtp_report_parse_answer(const char *json, size_t len, const struct wwtp_report_period *p,
			     struct wwtp_report_station *st, char *err, size_t errlen)
{
	char why[256];
	json_t *doc = NULL, *results;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	for (size_t i = 0; i < st->nparams * p->nhours; i++)
		wwtp_report_hour_init(&st->hours[i]);
	st->nalerts = 0;
	rc = wwtp_query_parse(json, len, &doc, why, sizeof(why));
	if (rc != 0) {
		if (err)
			snprintf(err, errlen, "InfluxDB: %s", why);
		return rc;
	}
	results = json_object_get(doc, "results");
	for (size_t i = 0; i < 3 && i < json_array_size(results); i++) {
		json_t *series = json_object_get(json_array_get(results, i), "series");
		for (size_t k = 0; json_is_array(series) && k < json_array_size(series); k++) {
			json_t *s = json_array_get(series, k), *tags = json_object_get(s, "tags");
			json_t *cols = json_object_get(s, "columns"),
			       *vals = json_object_get(s, "values");
			int pi = param_index(st, wwtp_query_tag(tags, NULL, NULL, "param"));
			if (pi < 0)
				continue; /* not in the station file: not judged */
			for (size_t r = 0; json_is_array(vals) && r < json_array_size(vals); r++) {
				json_t *row = json_array_get(vals, r);
				double t = wwtp_query_col_num(cols, row, "time", NAN);
				if (!isfinite(t) || t < (double)p->start_ms ||
				    t >= (double)p->end_ms)
					continue;
				size_t hr = (size_t)(((int64_t)t - p->start_ms) / 3600000LL);
				if (hr >= p->nhours)
					continue;
				struct wwtp_report_hour *h =
				    &st->hours[(size_t)pi * p->nhours + hr];
				uint32_t n = count_of(wwtp_query_col_num(cols, row, "count", 0));
				if (i == 0) {
					h->polls = n;
				} else if (i == 2) {
					h->fault = n;
				} else {
					h->ok = n;
					h->mean = wwtp_query_col_num(cols, row, "mean", NAN);
					h->min = wwtp_query_col_num(cols, row, "min", NAN);
					h->max = wwtp_query_col_num(cols, row, "max", NAN);
					if (!isfinite(h->mean))
						h->ok = 0;
				}
			}
		}
	}
	if (json_array_size(results) >= 5)
		rc = read_alerts(results, st);
	st->nconf = 0;
	if (rc == 0 && json_array_size(results) >= 6)
		rc = read_rows(doc, 5, conf_row, st);
	st->nlab = 0;
	if (rc == 0 && json_array_size(results) >= 7)
		rc = read_rows(doc, 6, lab_row, st);
	json_decref(doc);
	return rc;
}

int wwtp_report_query_station(struct wwtp_influx *ix, const struct wwtp_report_period *p,
			      struct wwtp_report_station *st, struct wwtp_buf *answer, char *err,
			      size_t errlen)
{
	struct wwtp_buf q;
	struct wwtp_influx_resp r;
	int rc;

	wwtp_buf_init(&q, 8192);
	rc = wwtp_report_query_text(st->id, p, &q);
	if (rc != 0) {
		if (err)
			snprintf(err, errlen, "station id '%s' cannot be queried", st->id);
		wwtp_buf_free(&q);
		return rc;
	}
	int v = wwtp_influx_query(ix, q.data, answer, &r);
	wwtp_buf_free(&q);
	if (v != WWTP_INFLUX_OK) {
		if (err)
			snprintf(err, errlen, "InfluxDB %s did not answer the report's query: %s",
				 wwtp_influx_target(ix), r.text[0] ? r.text : "no answer");
		return WWTP_ERR_CONN;
	}
	return wwtp_report_parse_answer(answer->data ? answer->data : "", answer->len, p, st, err,
					errlen);
}
