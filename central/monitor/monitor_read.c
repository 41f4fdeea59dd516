/* monitor_read.c - what the monitor reads back from InfluxDB, on its own
 * thread (monitor.h, monitor-private.h): a station's hours, and at start
 * the stations' last state and their alerts. */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/timeutil.h"
#include "../ingest/query.h"
#include "monitor-private.h"

/* Runs q; the parsed answer, or NULL (logged, rate-limited). */
static json_t *query(struct wwtp_monitor *m, const struct wwtp_buf *q)
{
	char why[320];
	json_t *doc = NULL;
	int rc = q->data ? wwtp_query_run(&m->ix, &m->influx, q->data, &m->answer, &doc, why,
					  sizeof(why))
			 : WWTP_ERR_NOMEM;

	if (!q->data)
		snprintf(why, sizeof(why), "cannot build the query");
	pthread_mutex_lock(&m->lock);
	m->queries_ok = rc == 0;
	pthread_mutex_unlock(&m->lock);
	if (rc != 0) {
		wwtp_complain(&m->qcomplain, WWTP_LOG_WARN, MON_MOD,
			      "cannot read from InfluxDB: %s; flags wait for it", why);
		return NULL;
	}
	if (m->qcomplain.interval_ms != 0)
		wwtp_complain_release(&m->qcomplain, MON_MOD, "InfluxDB answers queries again");
	return doc;
}

struct fill_ctx {
	struct mon_station *s;
	int what; /* 0 polls, 1 ok and mean, 2 fault, 3 suspect ok, 4 of them flatline */
};

static void fill_row(void *ctx, json_t *tags, json_t *columns, json_t *row)
{
	struct fill_ctx *f = ctx;
	json_t *p = json_object_get(tags, "param");
	double t = wwtp_query_col_num(columns, row, "time", -1);
	if (!json_is_string(p) || t < 0)
		return;
	int pi = wwtp_flag_param_find(f->s->params, f->s->nparams, json_string_value(p));
	if (pi < 0)
		return; /* a param the station file does not have: not judged */
	struct wwtp_hour_cell *c =
	    wwtp_hourly_cell(&f->s->hourly, (size_t)pi, wwtp_mon_hour_of((int64_t)t));
	if (!c)
		return;
	double n = wwtp_query_col_num(columns, row, "count", 0);
	uint32_t cnt = n > 0 ? (n < 4e9 ? (uint32_t)n : UINT32_MAX) : 0;
	if (f->what == 0) {
		c->polls = cnt;
	} else if (f->what == 1) {
		c->ok = cnt;
		c->mean = wwtp_query_col_num(columns, row, "mean", NAN);
	} else if (f->what == 2) {
		c->fault = cnt;
	} else if (f->what == 3) {
		c->suspect = cnt; /* their values are suspect_value: not in ok nor mean */
	} else {
		c->flat = cnt;
	}
}

/* Reads hours [lo, hi] of station s from InfluxDB into its ring. 0 or -1. */
int wwtp_mon_load_hours(struct wwtp_monitor *m, struct mon_station *s, int64_t lo, int64_t hi)
{
	struct wwtp_buf w, q;
	int64_t oldest = wwtp_mon_hour_of(wwtp_now_ms()) - m->cfg.window_h;

	if (lo < oldest)
		lo = oldest;
	if (hi < lo)
		return 0;
	wwtp_buf_init(&w, 512);
	wwtp_buf_init(&q, 2048);
	wwtp_buf_adds(&w, "station=");
	wwtp_query_str(&w, s->id);
	wwtp_buf_printf(&w, " AND time >= %" PRId64 "ms AND time < %" PRId64 "ms",
			lo * WWTP_HOUR_MS, (hi + 1) * WWTP_HOUR_MS);
	if (w.data)
		wwtp_buf_printf(
		    &q,
		    "SELECT count(status) FROM reading WHERE %s GROUP BY time(1h), param "
		    "fill(none);"
		    "SELECT count(value), mean(value) FROM reading WHERE %s AND status='ok' "
		    "GROUP BY time(1h), param fill(none);"
		    "SELECT count(status) FROM reading WHERE %s AND status='fault' "
		    "GROUP BY time(1h), param fill(none);"
		    /* Marked values are stored as suspect_value (lineproto.c), so
		     * the ok count and mean above already leave them out; these
		     * count them. A missing field matches no condition: readings
		     * without a mark are not counted here. */
		    "SELECT count(status) FROM reading WHERE %s AND status='ok' "
		    "AND suspect =~ /./ GROUP BY time(1h), param fill(none);"
		    "SELECT count(status) FROM reading WHERE %s AND status='ok' "
		    "AND suspect='flatline' GROUP BY time(1h), param fill(none)",
		    w.data, w.data, w.data, w.data, w.data);
	json_t *doc = query(m, &q);
	wwtp_buf_free(&w);
	wwtp_buf_free(&q);
	if (!doc)
		return -1;
	pthread_mutex_lock(&m->lock);
	wwtp_hourly_clear(&s->hourly, lo, hi + 1);
	for (int i = 0; i < 5; i++) {
		struct fill_ctx f = {s, i};
		wwtp_query_each_row(doc, (size_t)i, fill_row, &f);
	}
	s->hist_dirty = 1;
	pthread_mutex_unlock(&m->lock);
	json_decref(doc);
	return 0;
}

static void last_seen_row(void *ctx, json_t *tags, json_t *columns, json_t *row)
{
	struct wwtp_monitor *m = ctx;
	json_t *st = json_object_get(tags, "station");
	struct mon_station *s = json_is_string(st) ? wwtp_mon_find(m, json_string_value(st)) : NULL;
	int64_t t = (int64_t)wwtp_query_col_num(columns, row, "time", 0);
	if (!s)
		return;
	if (t > s->last_telemetry_ms)
		s->last_telemetry_ms = t;
	if (t > s->last_seen_ms)
		s->last_seen_ms = t;
}

static void status_row(void *ctx, json_t *tags, json_t *columns, json_t *row)
{
	struct wwtp_monitor *m = ctx;
	json_t *st = json_object_get(tags, "station");
	struct mon_station *s = json_is_string(st) ? wwtp_mon_find(m, json_string_value(st)) : NULL;
	int64_t t = (int64_t)wwtp_query_col_num(columns, row, "time", 0);
	const char *state = wwtp_query_col_str(columns, row, "last");
	if (!s || !state || t < s->status_ms)
		return;
	s->status_ms = t;
	snprintf(s->state, sizeof(s->state), "%s", state);
	if (t > s->last_seen_ms)
		s->last_seen_ms = t;
}

static void alert_row(void *ctx, json_t *tags, json_t *columns, json_t *row)
{
	struct wwtp_monitor *m = ctx;
	struct wwtp_alert_in a;
	const char *ev = wwtp_query_col_str(columns, row, "event"),
		   *win = wwtp_query_col_str(columns, row, "window");
	(void)tags;

	memset(&a, 0, sizeof(a));
	a.id = wwtp_query_col_str(columns, row, "id");
	a.station = wwtp_query_col_str(columns, row, "station");
	a.kind = wwtp_query_col_str(columns, row, "kind");
	a.device = wwtp_query_col_str(columns, row, "device");
	a.param = wwtp_query_col_str(columns, row, "param");
	a.unit = wwtp_query_col_str(columns, row, "unit");
	a.suspect = wwtp_query_col_str(columns, row, "suspect");
	a.setting = wwtp_query_col_str(columns, row, "setting");
	a.from = wwtp_query_col_str(columns, row, "from_value");
	a.to = wwtp_query_col_str(columns, row, "to_value");
	if (!ev || !a.station || !wwtp_mon_find(m, a.station))
		return;
	a.raised = strcmp(ev, "raised") == 0;
	a.window_s = win ? (int)strtol(win, NULL, 10) : 0;
	a.value = wwtp_query_col_num(columns, row, "value", NAN);
	a.limit = wwtp_query_col_num(columns, row, "limit_value", NAN);
	a.ratio = wwtp_query_col_num(columns, row, "ratio", NAN);
	a.start_ms = (int64_t)wwtp_query_col_num(columns, row, "start_ms", 0);
	a.since_ms = (int64_t)wwtp_query_col_num(columns, row, "since_ms", 0);
	a.end_ms = (int64_t)wwtp_query_col_num(columns, row, "end_ms", 0);
	a.ts_ms = (int64_t)wwtp_query_col_num(columns, row, "time", 0);
	wwtp_alerts_add(m->alerts, &a);
}

/* What the stations were when the last run stopped: when each was last
 * heard from, its collector's last status, and its alerts. 0 or -1. */
int wwtp_mon_recover(struct wwtp_monitor *m)
{
	struct wwtp_buf q;
	wwtp_buf_init(&q, 512);
	wwtp_buf_printf(&q,
			"SELECT last(seq) FROM reading WHERE time > now() - %dh GROUP BY station;"
			"SELECT last(state) FROM station_status GROUP BY station;"
			"SELECT * FROM alert WHERE time > now() - %dd",
			m->cfg.window_h, WWTP_MONITOR_ALERTS_DAYS);
	json_t *doc = query(m, &q);
	wwtp_buf_free(&q);
	if (!doc)
		return -1;
	pthread_mutex_lock(&m->lock);
	wwtp_query_each_row(doc, 0, last_seen_row, m);
	wwtp_query_each_row(doc, 1, status_row, m);
	wwtp_query_each_row(doc, 2, alert_row, m);
	m->recovered = 1;
	size_t na = wwtp_alerts_count(m->alerts);
	pthread_mutex_unlock(&m->lock);
	json_decref(doc);
	LOG_INFO(MON_MOD, "read back from InfluxDB: the stations' last state and %zu alerts", na);
	return 0;
}
