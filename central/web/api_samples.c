/* api_samples.c - laboratory samples (docs/api.md, "Laboratory samples";
 * ingest/labsample.h): an operator records a grab sample's laboratory
 * result, central compares it with the analyzer's stored readings around
 * the time it was taken, stores both in InfluxDB (measurement `sample`)
 * and, when they disagree, raises a `lab_mismatch` alert. */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/timeutil.h"
#include "../ingest/labsample.h"
#include "../ingest/lineproto.h"
#include "../ingest/query.h"
#include "api-private.h"

#define SAMPLES_MAX 1000		     /* listed per answer */
#define SAMPLE_READINGS_MAX 20000	     /* compared per sample */
#define SAMPLE_DEFAULT_MS (366 * 86400000LL) /* the list's default span */

/* One sample as stored, for the answers. */
struct sample {
	int64_t taken_ms, recorded_ms, nearest_ms;
	const char *station, *param, *unit, *laboratory, *reference, *user, *verdict;
	double value;
	double window_s, tol_pct, tol_abs;
	struct wwtp_lab_cmp c;
};

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *sample_json(const struct sample *s)
{
	char id[WWTP_LAB_ID_MAX];
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "station", json_string(s->station));
	json_object_set_new(o, "param", json_string(s->param));
	json_object_set_new(o, "unit", s->unit ? json_string(s->unit) : json_null());
	json_object_set_new(o, "value", json_real(s->value));
	json_object_set_new(o, "taken", api_time_or_null(s->taken_ms));
	json_object_set_new(o, "laboratory", json_string(s->laboratory ? s->laboratory : ""));
	json_object_set_new(o, "reference", json_string(s->reference ? s->reference : ""));
	json_object_set_new(o, "recorded_by", s->user ? json_string(s->user) : json_null());
	json_object_set_new(o, "recorded", api_time_or_null(s->recorded_ms));
	json_object_set_new(o, "analyzer_n", json_integer((json_int_t)s->c.n));
	json_object_set_new(o, "analyzer_mean", num_or_null(s->c.mean));
	json_object_set_new(o, "analyzer_nearest", num_or_null(s->c.nearest));
	json_object_set_new(o, "nearest_time", api_time_or_null(s->nearest_ms));
	json_object_set_new(o, "difference", num_or_null(s->c.diff));
	json_object_set_new(o, "relative_pct", num_or_null(s->c.rel_pct));
	json_object_set_new(o, "allowed", num_or_null(s->c.allowed));
	json_object_set_new(o, "window_s", json_integer((json_int_t)s->window_s));
	json_object_set_new(o, "tolerance_pct", num_or_null(s->tol_pct));
	json_object_set_new(o, "tolerance_abs", num_or_null(s->tol_abs));
	json_object_set_new(o, "verdict", json_string(s->verdict ? s->verdict : "?"));
	if (s->verdict && strcmp(s->verdict, "disagree") == 0) {
		snprintf(id, sizeof id, "%s:%s:%s:%" PRId64, s->station, s->param,
			 WWTP_ALERT_KIND_LAB, s->taken_ms);
		json_object_set_new(o, "alert", json_string(id));
	} else {
		json_object_set_new(o, "alert", json_null());
	}
	return o;
}

/* One stored sample (docs/influxdb-schema.md, sample) into the array. */
static void sample_row(void *ctx, json_t *tags, json_t *cols, json_t *row)
{
	struct sample s;
	double t = wwtp_query_col_num(cols, row, "time", NAN);
	memset(&s, 0, sizeof s);
	s.station = wwtp_query_tag(tags, cols, row, "station");
	s.param = wwtp_query_tag(tags, cols, row, "param");
	s.value = wwtp_query_col_num(cols, row, "value", NAN);
	if (!s.station || !s.param || !(t > 0 && t < 1e13) || !isfinite(s.value))
		return;
	s.taken_ms = (int64_t)t;
	s.unit = wwtp_query_col_str(cols, row, "unit");
	s.laboratory = wwtp_query_col_str(cols, row, "laboratory");
	s.reference = wwtp_query_col_str(cols, row, "reference");
	s.user = wwtp_query_col_str(cols, row, "user");
	s.verdict = wwtp_query_col_str(cols, row, "verdict");
	s.recorded_ms = (int64_t)wwtp_query_col_num(cols, row, "recorded_ms", 0);
	s.nearest_ms = (int64_t)wwtp_query_col_num(cols, row, "nearest_ms", 0);
	s.c.n = (size_t)wwtp_query_col_num(cols, row, "analyzer_n", 0);
	s.c.mean = wwtp_query_col_num(cols, row, "analyzer_mean", NAN);
	s.c.nearest = wwtp_query_col_num(cols, row, "analyzer_nearest", NAN);
	s.c.diff = wwtp_query_col_num(cols, row, "difference", NAN);
	s.c.rel_pct = wwtp_query_col_num(cols, row, "relative_pct", NAN);
	s.c.allowed = wwtp_query_col_num(cols, row, "allowed", NAN);
	s.window_s = wwtp_query_col_num(cols, row, "window_s", 0);
	s.tol_pct = wwtp_query_col_num(cols, row, "tolerance_pct", NAN);
	s.tol_abs = wwtp_query_col_num(cols, row, "tolerance_abs", NAN);
	json_t *o = sample_json(&s);
	if (o)
		json_array_append_new(ctx, o);
}

/* Runs ql with the API's client, the lock held by the caller: the parsed
 * answer, or NULL with a 502/503 answer. */
static json_t *locked_query(struct wwtp_api *a, const char *ql, struct wwtp_api_response *r)
{
	struct wwtp_buf body;
	json_t *doc = NULL;
	char why[320] = "", e[200];
	wwtp_buf_init(&body, (size_t)16 << 20);
	int rc = ql ? wwtp_query_run(&a->ix, &a->influx, ql, &body, &doc, why, sizeof(why))
		    : WWTP_ERR_NOMEM;
	wwtp_buf_free(&body);
	if (rc == 0)
		return doc;
	if (!ql)
		snprintf(why, sizeof(why), "cannot build the query");
	api_echo(why, e, sizeof(e));
	LOG_WARN(API_MOD, "samples query failed: %s", why);
	api_error(r, 502, "InfluxDB: %s", e);
	return NULL;
}

static int station_known(struct wwtp_api *a, const char *id, struct wwtp_api_response *r)
{
	char e[80];
	if (api_in_charset(id, API_CS_ID, WWTP_ID_MAX) &&
	    wwtp_monitor_has(a->mon, id, NULL, NULL, 0) == 0)
		return 1;
	api_echo(id, e, sizeof(e));
	api_error(r, 404, "no station '%s'", e);
	return 0;
}

/* GET /api/stations/{id}/samples?from=&to=: the samples taken in [from,
 * to), newest first, with their comparison. */
static void samples_list(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			 struct wwtp_api_response *r)
{
	static const char *const known[] = {"from", "to", NULL};
	int64_t from, to;
	struct wwtp_buf ql;

	if (api_check_args(q, known, r) != 0 || !station_known(a, id, r))
		return;
	if (api_time_arg(q, "to", q->now_ms + 60000, &to, r) != 0 ||
	    api_time_arg(q, "from", to - SAMPLE_DEFAULT_MS, &from, r) != 0)
		return;
	if (to <= from) {
		api_error(r, 400, "from must be before to");
		return;
	}
	if (!a->have_influx) {
		api_error(r, 503, "no InfluxDB to read from");
		return;
	}
	wwtp_buf_init(&ql, 1024);
	int bad = wwtp_buf_adds(&ql, "SELECT * FROM sample WHERE station=") ||
		  wwtp_query_str(&ql, id) ||
		  wwtp_buf_printf(&ql,
				  " AND time >= %" PRId64 "ms AND time < %" PRId64
				  "ms ORDER BY time DESC LIMIT %d",
				  from, to, SAMPLES_MAX);
	pthread_mutex_lock(&a->ix_lock);
	json_t *doc = locked_query(a, bad ? NULL : ql.data, r);
	pthread_mutex_unlock(&a->ix_lock);
	wwtp_buf_free(&ql);
	if (!doc)
		return;
	json_t *list = json_array();
	wwtp_query_each_row(doc, 0, sample_row, list);
	json_decref(doc);
	api_finish(r, 200, json_pack("{s:s,s:o}", "station", id, "samples", list));
}

/* The body of a POST, checked: 0, or -1 with a 400 answer. */
struct sample_in {
	const char *param, *laboratory, *reference;
	double value;
	int64_t taken_ms;
	char unit[WWTP_UNIT_MAX];
};

static int sample_body(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
		       json_t *body, struct sample_in *in, struct wwtp_api_response *r)
{
	static const char *const keys[] = {"param", "value", "taken", "laboratory", "reference"};
	const char *k;
	json_t *v;
	char e[80];

	json_object_foreach(body, k, v)
	{
		size_t i = 0;
		while (i < sizeof keys / sizeof keys[0] && strcmp(k, keys[i]) != 0)
			i++;
		if (i == sizeof keys / sizeof keys[0]) {
			api_echo(k, e, sizeof e);
			api_error(r, 400,
				  "unknown field '%s': give param, value, taken, laboratory, "
				  "reference",
				  e);
			return -1;
		}
	}
	in->param = json_string_value(json_object_get(body, "param"));
	if (!in->param || !api_in_charset(in->param, API_CS_PARAM, WWTP_ID_MAX) ||
	    wwtp_monitor_has(a->mon, id, in->param, in->unit, sizeof in->unit) != 0) {
		json_t *ps = wwtp_monitor_params_json(a->mon, id);
		char *list = ps ? json_dumps(ps, JSON_COMPACT) : NULL;
		api_echo(in->param ? in->param : "", e, sizeof e);
		if (!in->param)
			api_error(r, 400, "param is required (a string): one of %s",
				  list ? list : "?");
		else
			api_error(r, 400, "station %s has no param '%s': one of %s", id, e,
				  list ? list : "?");
		free(list);
		json_decref(ps);
		return -1;
	}
	v = json_object_get(body, "value");
	in->value = json_is_number(v) ? json_number_value(v) : NAN;
	if (!isfinite(in->value) || fabs(in->value) >= WWTP_DECODE_MAX_ABS) {
		api_error(r, 400, "value must be a finite number (the laboratory's result, in %s)",
			  in->unit[0] ? in->unit : "the param's unit");
		return -1;
	}
	const char *taken = json_string_value(json_object_get(body, "taken"));
	if (!taken || wwtp_api_parse_time(taken, &in->taken_ms) != 0) {
		api_error(r, 400,
			  "taken must be the time the sample was taken, UTC, as "
			  "\"2026-12-04T02:30:00Z\"");
		return -1;
	}
	if (!wwtp_lab_valid_time(in->taken_ms, q->now_ms)) {
		api_error(r, 400,
			  in->taken_ms > q->now_ms
			      ? "taken is in the future"
			      : "taken is too old: a sample taken over a year ago is refused");
		return -1;
	}
	in->laboratory = json_string_value(json_object_get(body, "laboratory"));
	in->reference = json_string_value(json_object_get(body, "reference"));
	if (!wwtp_lab_valid_text(in->laboratory) || !wwtp_lab_valid_text(in->reference)) {
		api_error(r, 400,
			  "%s must be one line of text, 1 to %d bytes, no control characters",
			  !wwtp_lab_valid_text(in->laboratory) ? "laboratory" : "reference",
			  WWTP_LAB_TEXT_MAX - 1);
		return -1;
	}
	return 0;
}

/* The readings of the window and any sample stored at the same time:
 * prev the stored sample's verdict and prev_user who recorded it ("":
 * none), the valid readings into rd and n. 0, or -1 with the answer. The
 * lock is held. */
static int sample_look(struct wwtp_api *a, const char *id, const struct sample_in *in,
		       char prev[24], char prev_user[64], struct wwtp_lab_reading **rd, size_t *n,
		       struct wwtp_api_response *r)
{
	struct wwtp_buf ql;
	int64_t w = (int64_t)a->lab.window_s * 1000;
	wwtp_buf_init(&ql, 2048);
	int bad = wwtp_buf_adds(&ql, "SELECT verdict, \"user\" FROM sample WHERE station=") ||
		  wwtp_query_str(&ql, id) || wwtp_buf_adds(&ql, " AND param=") ||
		  wwtp_query_str(&ql, in->param) ||
		  wwtp_buf_printf(&ql, " AND time = %" PRId64 "ms;", in->taken_ms) ||
		  wwtp_buf_adds(&ql, "SELECT value, suspect FROM reading WHERE station=") ||
		  wwtp_query_str(&ql, id) || wwtp_buf_adds(&ql, " AND param=") ||
		  wwtp_query_str(&ql, in->param) ||
		  wwtp_buf_printf(&ql,
				  " AND status='ok' AND time >= %" PRId64 "ms AND time <= %" PRId64
				  "ms ORDER BY time ASC LIMIT %d",
				  in->taken_ms - w, in->taken_ms + w, SAMPLE_READINGS_MAX);
	json_t *doc = locked_query(a, bad ? NULL : ql.data, r);
	wwtp_buf_free(&ql);
	if (!doc)
		return -1;
	prev[0] = prev_user[0] = '\0';
	json_t *s0 = json_array_get(wwtp_query_series(doc, 0), 0);
	json_t *cols = json_object_get(s0, "columns"),
	       *row = json_array_get(json_object_get(s0, "values"), 0);
	if (row) {
		const char *v = wwtp_query_col_str(cols, row, "verdict"),
			   *u = wwtp_query_col_str(cols, row, "user");
		snprintf(prev, 24, "%s", v ? v : "?");
		snprintf(prev_user, 64, "%s", u ? u : "?");
	}
	json_t *s1 = json_array_get(wwtp_query_series(doc, 1), 0);
	json_t *vals = json_object_get(s1, "values");
	cols = json_object_get(s1, "columns");
	size_t nv = json_is_array(vals) ? json_array_size(vals) : 0;
	*rd = calloc(nv ? nv : 1, sizeof(**rd));
	*n = 0;
	if (!*rd) {
		json_decref(doc);
		api_error(r, 500, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < nv; i++) {
		row = json_array_get(vals, i);
		double t = wwtp_query_col_num(cols, row, "time", NAN),
		       v = wwtp_query_col_num(cols, row, "value", NAN);
		/* A value a plausibility check marked is not the analyzer's
		 * word (docs/plausibility.md): the writer keeps it as
		 * suspect_value, not value, so it has none here; the mark is
		 * checked too, should a row carry both. */
		if (wwtp_query_col_str(cols, row, "suspect") || !isfinite(t) || !isfinite(v))
			continue;
		(*rd)[*n].ts_ms = (int64_t)t;
		(*rd)[(*n)++].value = v;
	}
	json_decref(doc);
	return 0;
}

/* The sample's point (docs/influxdb-schema.md, sample). */
static int sample_point(struct wwtp_buf *b, const char *id, const struct sample_in *in,
			const struct wwtp_principal *who, int64_t now_ms, const struct wwtp_api *a,
			const struct wwtp_lab_cmp *c)
{
	struct wwtp_lp p;
	wwtp_lp_begin(&p, b, WWTP_LP_SAMPLE);
	wwtp_lp_tag(&p, "param", in->param);
	wwtp_lp_tag(&p, "station", id);
	wwtp_lp_float(&p, "value", in->value);
	if (in->unit[0])
		wwtp_lp_str(&p, "unit", in->unit);
	wwtp_lp_str(&p, "laboratory", in->laboratory);
	wwtp_lp_str(&p, "reference", in->reference);
	wwtp_lp_str(&p, "user", who->user);
	wwtp_lp_int(&p, "recorded_ms", now_ms);
	wwtp_lp_str(&p, "verdict", wwtp_lab_verdict_name(c->verdict));
	wwtp_lp_int(&p, "analyzer_n", (int64_t)c->n);
	if (c->n) {
		wwtp_lp_float(&p, "analyzer_mean", c->mean);
		wwtp_lp_float(&p, "analyzer_nearest", c->nearest);
		wwtp_lp_int(&p, "nearest_ms", c->nearest_ms);
		wwtp_lp_float(&p, "difference", c->diff);
	}
	if (isfinite(c->rel_pct))
		wwtp_lp_float(&p, "relative_pct", c->rel_pct);
	wwtp_lp_float(&p, "allowed", c->allowed);
	wwtp_lp_int(&p, "window_s", a->lab.window_s);
	wwtp_lp_float(&p, "tolerance_pct", a->lab.tolerance_pct);
	wwtp_lp_float(&p, "tolerance_abs", a->lab.tolerance_abs);
	return wwtp_lp_end(&p, in->taken_ms);
}

/* POST /api/stations/{id}/samples: an operator records a laboratory result. */
static void samples_add(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	static const char *const known[] = {NULL};
	struct sample_in in;
	struct wwtp_lab_reading *rd = NULL;
	size_t nrd = 0, np = 0;
	char prev[24], prev_user[64], aid[WWTP_LAB_ID_MAX];
	struct wwtp_lab_cmp c;
	struct wwtp_in_msg al;
	struct wwtp_buf lines;
	struct wwtp_influx_resp ir;

	if (api_check_args(q, known, r) != 0)
		return;
	/* Operators and inspectors alike (issue 20): an inspector takes grab
	 * samples at inspections; recording one changes no reading, it is
	 * stored with who recorded it. */
	if (who->role != WWTP_ROLE_OPERATOR && who->role != WWTP_ROLE_INSPECTOR) {
		api_error(r, 403, "log in to record a laboratory result");
		return;
	}
	if (!station_known(a, id, r))
		return;
	json_t *body = api_body_object(q, r);
	if (!body)
		return;
	memset(&in, 0, sizeof in);
	if (sample_body(a, q, id, body, &in, r) != 0) {
		json_decref(body);
		return;
	}
	if (!a->have_influx) {
		json_decref(body);
		api_error(r, 503, "no InfluxDB to store the sample in");
		return;
	}
	wwtp_buf_init(&lines, (size_t)1 << 20);
	/* Looked up, compared and written in one turn: two operators sending
	 * the same sample at once make one record. */
	pthread_mutex_lock(&a->ix_lock);
	if (sample_look(a, id, &in, prev, prev_user, &rd, &nrd, r) != 0)
		goto out;
	/* A stored result stands; one the analyzer's data had not come in
	 * for yet is compared again (the collector's backlog arrives late). */
	if (prev[0] && strcmp(prev, "no_data") != 0) {
		char t[32] = "?";
		wwtp_format_utc(in.taken_ms, t, sizeof t);
		api_error(r, 409, "a %s sample taken at %s is already recorded (by %s)", in.param,
			  t, prev_user);
		goto out;
	}
	wwtp_lab_compare(in.value, in.taken_ms, rd, nrd, a->lab.tolerance_pct, a->lab.tolerance_abs,
			 &c);
	int rc = sample_point(&lines, id, &in, who, q->now_ms, a, &c);
	int alerted = rc == 0 && wwtp_lab_alert(id, in.param, in.unit, in.value, in.taken_ms, &c,
						aid, &al) == 0;
	if (alerted)
		rc = wwtp_lp_encode(&al, &lines, &np);
	if (rc != 0) {
		api_error(r, 500, "cannot make the sample's record");
		goto out;
	}
	/* Stored before it is confirmed: the answer means InfluxDB has it. */
	int v = a->ix ? wwtp_influx_post(a->ix, lines.data, lines.len, &ir) : WWTP_INFLUX_RETRY;
	if (v != WWTP_INFLUX_OK) {
		char e[200];
		api_echo(a->ix ? ir.text : "no client", e, sizeof e);
		LOG_WARN(API_MOD, "sample of %s %s not stored: %s", id, in.param, e);
		api_error(r, 503, "InfluxDB did not store the sample (%s): send it again later", e);
		goto out;
	}
	pthread_mutex_unlock(&a->ix_lock);
	if (alerted)
		wwtp_monitor_ingest(a->mon, &al, q->now_ms);
	LOG_INFO(API_MOD, "sample of %s %s (%s %s) recorded by %s: %s", id, in.param, in.laboratory,
		 in.reference, who->user, wwtp_lab_verdict_name(c.verdict));
	struct sample s = {.taken_ms = in.taken_ms,
			   .recorded_ms = q->now_ms,
			   .nearest_ms = c.nearest_ms,
			   .station = id,
			   .param = in.param,
			   .unit = in.unit[0] ? in.unit : NULL,
			   .laboratory = in.laboratory,
			   .reference = in.reference,
			   .user = who->user,
			   .verdict = wwtp_lab_verdict_name(c.verdict),
			   .value = in.value,
			   .window_s = a->lab.window_s,
			   .tol_pct = a->lab.tolerance_pct,
			   .tol_abs = a->lab.tolerance_abs,
			   .c = c};
	api_finish(r, 201, sample_json(&s));
	free(rd);
	wwtp_buf_free(&lines);
	json_decref(body);
	return;
out:
	pthread_mutex_unlock(&a->ix_lock);
	free(rd);
	wwtp_buf_free(&lines);
	json_decref(body);
}

void wwtp_api_route_samples(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			    const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	if (strcmp(q->method, "POST") == 0)
		samples_add(a, q, id, who, r);
	else
		samples_list(a, q, id, r);
}
