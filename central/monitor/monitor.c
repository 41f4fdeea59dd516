/* monitor.c - stations' liveness, alerts and degraded-plant flags (see
 * monitor.h). */
#include "monitor.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../compliance/limits.h"
#include "../../payload/payload.h"
#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/timeutil.h"
#include "../ingest/influx.h"
#include "../ingest/query.h"

#define MON_MOD "flags"
/* Cap of one query's answer: a week of hourly rows of a station is tens of
 * kilobytes; the alerts of a month, a few megabytes. */
#define MON_ANSWER_MAX ((size_t)256 << 20)

struct mon_station {
	char id[WWTP_ID_MAX];
	char name[WWTP_NAME_MAX];
	char district[WWTP_NAME_MAX];
	char plan[WWTP_ID_MAX];
	int plan_review;
	double design_m3d; /* 0: unknown */
	struct wwtp_flag_param *params;
	size_t nparams;
	struct wwtp_hourly hourly;
	struct wwtp_param_summary *psum; /* the last summary, nparams */
	/* Liveness, from the messages' own times. */
	int64_t last_seen_ms;	   /* newest message of any kind; 0 never */
	int64_t last_telemetry_ms; /* newest telemetry */
	int64_t status_ms;	   /* time of the newest status message */
	char state[8];		   /* its state; "" none */
	/* Hours [lo, hi] that received readings and are not yet queried
	 * (pend), or being queried (fly); lo -1 when none. */
	int64_t pend_lo, pend_hi, fly_lo, fly_hi;
	int64_t late_ms; /* wall time of the last reading for a past hour (a replay) */
	int backfilling; /* past hours are arriving: flags wait (kept as they were) */
	/* Flags. */
	struct wwtp_flag_state fstate;
	struct wwtp_flag_reason reasons[WWTP_FLAG_REASONS_MAX];
	size_t nreasons;
	struct wwtp_flag_checks checks;
	int64_t flagged_since_ms; /* 0: not flagged */
	int64_t evaluated_ms;	  /* 0: never */
};

struct wwtp_monitor {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int started, stop;
	struct wwtp_flag_cfg cfg;
	struct mon_station *st; /* sorted by id */
	size_t n;
	struct wwtp_alerts *alerts;
	/* The thread's. */
	struct wwtp_central_influx influx;
	wwtp_monitor_progress_fn progress;
	void *pctx;
	struct wwtp_influx *ix;
	struct wwtp_buf answer;
	int inflight;  /* a snapshot of notes waits for the writer */
	uint64_t mark; /* ... until done reaches this */
	struct wwtp_complain qcomplain;
	/* Under lock. */
	int recovered, queries_ok;
	int64_t refreshed_ms;
};

static int cmp_station(const void *a, const void *b)
{
	return strcmp(((const struct mon_station *)a)->id, ((const struct mon_station *)b)->id);
}

static int cmp_id(const void *key, const void *elem)
{
	return strcmp(key, ((const struct mon_station *)elem)->id);
}

static struct mon_station *find(const struct wwtp_monitor *m, const char *id)
{
	return id ? bsearch(id, m->st, m->n, sizeof(*m->st), cmp_id) : NULL;
}

static int64_t hour_of(int64_t ms)
{
	return ms >= 0 ? ms / WWTP_HOUR_MS : 0;
}

static void note(int64_t *lo, int64_t *hi, int64_t a, int64_t b)
{
	if (*lo < 0 || a < *lo)
		*lo = a;
	if (*lo >= 0 && b > *hi)
		*hi = b;
}

static int station_init(struct mon_station *ms, const struct wwtp_station *st, int window_h)
{
	size_t np = 0;

	memset(ms, 0, sizeof(*ms));
	snprintf(ms->id, sizeof(ms->id), "%s", st->id);
	snprintf(ms->name, sizeof(ms->name), "%s", st->name);
	snprintf(ms->district, sizeof(ms->district), "%s", st->district);
	snprintf(ms->plan, sizeof(ms->plan), "%s", st->plan);
	ms->plan_review = st->plan_review;
	ms->design_m3d = st->design_flow_m3d > 0 ? st->design_flow_m3d : 0;
	ms->pend_lo = ms->fly_lo = -1;
	for (size_t d = 0; d < st->ndevices; d++)
		np += st->devices[d].npoints;
	ms->params = calloc(np ? np : 1, sizeof(*ms->params));
	ms->psum = calloc(np ? np : 1, sizeof(*ms->psum));
	if (!ms->params || !ms->psum)
		return WWTP_ERR_NOMEM;
	for (size_t d = 0; d < st->ndevices; d++)
		for (size_t k = 0; k < st->devices[d].npoints; k++) {
			const struct wwtp_point *pt = &st->devices[d].points[k];
			struct wwtp_flag_param *fp = &ms->params[ms->nparams++];
			const struct wwtp_limit *lim =
			    st->limits ? wwtp_limits_find(st->limits, pt->param) : NULL;
			snprintf(fp->name, sizeof(fp->name), "%s", pt->param);
			snprintf(fp->unit, sizeof(fp->unit), "%s", pt->unit);
			snprintf(fp->device, sizeof(fp->device), "%s", st->devices[d].name);
			fp->cmax_min = fp->cmax_max = NAN;
			if (lim && lim->has_limit) {
				fp->has_limit = 1;
				fp->is_range = lim->is_range;
				fp->cmax_min = lim->cmax_min;
				fp->cmax_max = lim->cmax_max;
			}
		}
	/* The window, the hour under way and one spare. */
	return wwtp_hourly_init(&ms->hourly, ms->nparams, (size_t)window_h + 2);
}

int wwtp_monitor_new(struct wwtp_station *const *stations, size_t n,
		     const struct wwtp_flag_cfg *cfg, struct wwtp_monitor **out)
{
	struct wwtp_monitor *m = calloc(1, sizeof(*m));
	int rc = 0;

	*out = NULL;
	if (!m)
		return WWTP_ERR_NOMEM;
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cond, &ca);
	pthread_condattr_destroy(&ca);
	m->cfg = *cfg;
	m->qcomplain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	wwtp_buf_init(&m->answer, MON_ANSWER_MAX);
	m->alerts = wwtp_alerts_new(WWTP_MONITOR_ALERTS_PER_STATION);
	m->st = calloc(n ? n : 1, sizeof(*m->st));
	if (!m->alerts || !m->st)
		rc = WWTP_ERR_NOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		m->n++;
		rc = station_init(&m->st[i], stations[i], cfg->window_h);
	}
	if (rc != 0) {
		wwtp_monitor_free(m);
		return rc;
	}
	qsort(m->st, m->n, sizeof(*m->st), cmp_station);
	*out = m;
	return 0;
}

void wwtp_monitor_free(struct wwtp_monitor *m)
{
	if (!m)
		return;
	if (m->started) {
		pthread_mutex_lock(&m->lock);
		m->stop = 1;
		pthread_cond_broadcast(&m->cond);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->thread, NULL);
	}
	for (size_t i = 0; i < m->n; i++) {
		free(m->st[i].params);
		free(m->st[i].psum);
		wwtp_hourly_free(&m->st[i].hourly);
	}
	free(m->st);
	wwtp_alerts_free(m->alerts);
	wwtp_influx_free(m->ix);
	wwtp_buf_free(&m->answer);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* ---- ingest ---- */

static void alert_from_msg(const struct wwtp_in_msg *msg, struct wwtp_alert_in *a)
{
	memset(a, 0, sizeof(*a));
	a->id = msg->id;
	a->station = msg->station;
	a->kind = msg->alert_kind;
	a->device = msg->alert_device;
	a->param = msg->param;
	a->unit = msg->unit;
	a->raised = strcmp(msg->event, "raised") == 0;
	a->window_s = msg->has_window ? (int)msg->window_s : 0;
	a->value = msg->has_value ? msg->value : NAN;
	a->limit = msg->has_limit ? msg->limit : NAN;
	a->ratio = msg->has_ratio ? msg->ratio : NAN;
	a->start_ms = msg->start_ms;
	a->since_ms = msg->has_since ? msg->since_ms : 0;
	a->end_ms = msg->has_end ? msg->end_ms : 0;
	a->ts_ms = msg->has_ts ? msg->ts_ms : 0;
}

void wwtp_monitor_ingest(struct wwtp_monitor *m, const struct wwtp_in_msg *msg, int64_t now_ms)
{
	struct wwtp_alert_in a;

	pthread_mutex_lock(&m->lock);
	struct mon_station *s = find(m, msg->station);
	if (!s) {
		pthread_mutex_unlock(&m->lock);
		return;
	}
	int64_t ts = msg->has_ts ? msg->ts_ms : 0;
	switch (msg->kind) {
	case WWTP_MSG_TELEMETRY: {
		if (ts > s->last_telemetry_ms)
			s->last_telemetry_ms = ts;
		int64_t h = hour_of(ts), oldest = hour_of(now_ms) - m->cfg.window_h;
		if (h >= oldest)
			note(&s->pend_lo, &s->pend_hi, h, h);
		if (h < hour_of(now_ms) - 1)
			s->late_ms = now_ms;
		break;
	}
	case WWTP_MSG_STATUS:
		if (ts >= s->status_ms) {
			s->status_ms = ts;
			snprintf(s->state, sizeof(s->state), "%s", msg->state);
		}
		break;
	case WWTP_MSG_ALERT:
		alert_from_msg(msg, &a);
		if (wwtp_alerts_add(m->alerts, &a) != 0)
			LOG_DEBUG(MON_MOD, "alert %s of %s not kept", msg->id, msg->station);
		break;
	default:
		break;
	}
	if (ts > s->last_seen_ms)
		s->last_seen_ms = ts;
	pthread_mutex_unlock(&m->lock);
}

/* ---- evaluation ---- */

static void log_change(const struct mon_station *s, int was_flagged)
{
	char why[1024];
	size_t used = 0;

	why[0] = '\0';
	for (size_t i = 0; i < s->nreasons; i++) {
		int w = snprintf(why + used, sizeof(why) - used, "%s%s", i ? "; " : "",
				 s->reasons[i].text);
		if (w < 0 || (size_t)w >= sizeof(why) - used)
			break;
		used += (size_t)w;
	}
	if (s->nreasons && !was_flagged)
		LOG_WARN(MON_MOD, "station %s (%s) flagged: %s", s->id, s->name, why);
	else if (!s->nreasons && was_flagged)
		LOG_INFO(MON_MOD, "station %s (%s) no longer flagged: its data recovered", s->id,
			 s->name);
}

/* Whether readings of past hours are still coming in for s (a gateway
 * replaying its store, or the start-up read not done): judged now, its
 * window would look full of holes that are only late. Past the hour under
 * way and the one before (a poll at 10:59:59 arrives at 11:00:00). */
static int backfilling(const struct wwtp_monitor *m, const struct mon_station *s, int64_t now_ms)
{
	int64_t old = hour_of(now_ms) - 1;
	int64_t quiet = 2000LL * m->cfg.refresh_s;
	return (s->late_ms && now_ms - s->late_ms < quiet) ||
	       (s->pend_lo >= 0 && s->pend_lo < old) || (s->fly_lo >= 0 && s->fly_lo < old);
}

static void evaluate_locked(struct wwtp_monitor *m, int64_t now_ms)
{
	int64_t end = hour_of(now_ms);

	for (size_t i = 0; i < m->n; i++) {
		struct mon_station *s = &m->st[i];
		struct wwtp_station_summary sum;
		int was = s->nreasons > 0;
		/* The flags keep their last state until the past is in. */
		s->backfilling = backfilling(m, s, now_ms);
		if (s->backfilling)
			continue;
		sum.params = s->psum;
		wwtp_hourly_summarise(&s->hourly, s->params, end, m->cfg.window_h,
				      m->cfg.hour_min_ok, &sum);
		s->nreasons =
		    wwtp_flags_evaluate(&m->cfg, s->params, s->nparams, s->design_m3d, &sum,
					&s->fstate, s->reasons, WWTP_FLAG_REASONS_MAX, &s->checks);
		s->evaluated_ms = now_ms;
		if (s->nreasons && !was)
			s->flagged_since_ms = now_ms;
		else if (!s->nreasons)
			s->flagged_since_ms = 0;
		if ((s->nreasons > 0) != was)
			log_change(s, was);
	}
	m->refreshed_ms = now_ms;
}

void wwtp_monitor_evaluate(struct wwtp_monitor *m, int64_t now_ms)
{
	pthread_mutex_lock(&m->lock);
	evaluate_locked(m, now_ms);
	pthread_mutex_unlock(&m->lock);
}

int wwtp_monitor_set_hour(struct wwtp_monitor *m, const char *station, const char *param,
			  int64_t hour, uint32_t polls, uint32_t ok, uint32_t fault, double mean)
{
	int rc = WWTP_ERR_NOTFOUND;
	pthread_mutex_lock(&m->lock);
	struct mon_station *s = find(m, station);
	int p = s ? wwtp_flag_param_find(s->params, s->nparams, param) : -1;
	struct wwtp_hour_cell *c = p >= 0 ? wwtp_hourly_cell(&s->hourly, (size_t)p, hour) : NULL;
	if (c) {
		c->polls = polls;
		c->ok = ok;
		c->fault = fault;
		c->mean = mean;
		rc = 0;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* ---- reading InfluxDB (the monitor's thread) ---- */

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
	int what; /* 0 polls, 1 ok and mean, 2 fault */
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
	struct wwtp_hour_cell *c = wwtp_hourly_cell(&f->s->hourly, (size_t)pi, hour_of((int64_t)t));
	if (!c)
		return;
	double n = wwtp_query_col_num(columns, row, "count", 0);
	uint32_t cnt = n > 0 ? (n < 4e9 ? (uint32_t)n : UINT32_MAX) : 0;
	if (f->what == 0) {
		c->polls = cnt;
	} else if (f->what == 1) {
		c->ok = cnt;
		c->mean = wwtp_query_col_num(columns, row, "mean", NAN);
	} else {
		c->fault = cnt;
	}
}

/* Reads hours [lo, hi] of station s from InfluxDB into its ring. 0 or -1. */
static int load_hours(struct wwtp_monitor *m, struct mon_station *s, int64_t lo, int64_t hi)
{
	struct wwtp_buf w, q;
	int64_t oldest = hour_of(wwtp_now_ms()) - m->cfg.window_h;

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
		    "GROUP BY time(1h), param fill(none)",
		    w.data, w.data, w.data);
	json_t *doc = query(m, &q);
	wwtp_buf_free(&w);
	wwtp_buf_free(&q);
	if (!doc)
		return -1;
	pthread_mutex_lock(&m->lock);
	wwtp_hourly_clear(&s->hourly, lo, hi + 1);
	for (int i = 0; i < 3; i++) {
		struct fill_ctx f = {s, i};
		wwtp_query_each_row(doc, (size_t)i, fill_row, &f);
	}
	pthread_mutex_unlock(&m->lock);
	json_decref(doc);
	return 0;
}

static void last_seen_row(void *ctx, json_t *tags, json_t *columns, json_t *row)
{
	struct wwtp_monitor *m = ctx;
	json_t *st = json_object_get(tags, "station");
	struct mon_station *s = json_is_string(st) ? find(m, json_string_value(st)) : NULL;
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
	struct mon_station *s = json_is_string(st) ? find(m, json_string_value(st)) : NULL;
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
	if (!ev || !a.station || !find(m, a.station))
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
static int recover(struct wwtp_monitor *m)
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

/* Queries the hours noted since the last snapshot, once the writer has
 * written what was accepted before the snapshot. */
static void refresh(struct wwtp_monitor *m)
{
	uint64_t entered = 0, done = 0;

	pthread_mutex_lock(&m->lock);
	int fresh = 0;
	if (!m->inflight) {
		for (size_t i = 0; i < m->n; i++) {
			struct mon_station *s = &m->st[i];
			if (s->pend_lo < 0)
				continue;
			note(&s->fly_lo, &s->fly_hi, s->pend_lo, s->pend_hi);
			s->pend_lo = s->pend_hi = -1;
			m->inflight = fresh = 1;
		}
	}
	/* Read after the notes were taken, under the lock that ingest takes
	 * after handing its points to the writer: every point behind a note
	 * has entered the spool by now. (Lock order: monitor, then writer;
	 * the writer never takes the monitor's.) */
	if (m->progress)
		m->progress(m->pctx, &entered, &done);
	if (fresh)
		m->mark = entered;
	int ready = m->inflight && done >= m->mark;
	pthread_mutex_unlock(&m->lock);
	if (!ready)
		return;
	for (size_t i = 0; i < m->n; i++) {
		struct mon_station *s = &m->st[i];
		pthread_mutex_lock(&m->lock);
		int64_t lo = s->fly_lo, hi = s->fly_hi;
		pthread_mutex_unlock(&m->lock);
		if (lo < 0)
			continue;
		int rc = load_hours(m, s, lo, hi);
		pthread_mutex_lock(&m->lock);
		s->fly_lo = s->fly_hi = -1;
		if (rc != 0) /* asked again next time */
			note(&s->pend_lo, &s->pend_hi, lo, hi);
		pthread_mutex_unlock(&m->lock);
	}
	pthread_mutex_lock(&m->lock);
	m->inflight = 0;
	pthread_mutex_unlock(&m->lock);
}

static void *monitor_main(void *arg)
{
	struct wwtp_monitor *m = arg;
	int64_t period = (int64_t)m->cfg.refresh_s * 1000;

	for (;;) {
		pthread_mutex_lock(&m->lock);
		int stop = m->stop, recovered = m->recovered;
		pthread_mutex_unlock(&m->lock);
		if (stop)
			break;
		int64_t t0 = wwtp_mono_ms();
		if (!recovered)
			recover(m);
		refresh(m);
		wwtp_monitor_evaluate(m, wwtp_now_ms());

		struct timespec ts;
		int64_t wake = t0 + period;
		ts.tv_sec = (time_t)(wake / 1000);
		ts.tv_nsec = (long)(wake % 1000) * 1000000L;
		pthread_mutex_lock(&m->lock);
		while (!m->stop && wwtp_mono_ms() < wake)
			if (pthread_cond_timedwait(&m->cond, &m->lock, &ts) != 0)
				break;
		pthread_mutex_unlock(&m->lock);
	}
	return NULL;
}

int wwtp_monitor_start(struct wwtp_monitor *m, const struct wwtp_central_influx *influx,
		       wwtp_monitor_progress_fn progress, void *ctx)
{
	int64_t now_h = hour_of(wwtp_now_ms());

	m->influx = *influx;
	m->progress = progress;
	m->pctx = ctx;
	/* Every hour of the window, at once. */
	for (size_t i = 0; i < m->n; i++)
		note(&m->st[i].pend_lo, &m->st[i].pend_hi, now_h - m->cfg.window_h, now_h);
	if (pthread_create(&m->thread, NULL, monitor_main, m) != 0)
		return WWTP_ERR_NOMEM;
	m->started = 1;
	return 0;
}

/* ---- views ---- */

static json_t *time_json(int64_t ms)
{
	char b[32];
	if (ms <= 0 || wwtp_format_utc(ms, b, sizeof(b)) != 0)
		return json_null();
	return json_string(b);
}

/* A number that may be NaN: rounded to 4 decimals (shares, ratios), or
 * null. */
static json_t *num4(double v)
{
	return isfinite(v) ? json_real(round(v * 1e4) / 1e4) : json_null();
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static void set_opt_str(json_t *o, const char *k, const char *v)
{
	if (v && v[0])
		json_object_set_new(o, k, json_string(v));
}

static void set_opt_num(json_t *o, const char *k, double v)
{
	if (isfinite(v))
		json_object_set_new(o, k, json_real(v));
}

static json_t *alert_json(const struct wwtp_alert_rec *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "station", json_string(r->station));
	json_object_set_new(o, "kind", json_string(r->kind));
	set_opt_str(o, "device", r->device);
	set_opt_str(o, "param", r->param);
	set_opt_str(o, "unit", r->unit);
	if (r->window_s)
		json_object_set_new(o, "window_s", json_integer(r->window_s));
	json_object_set_new(o, "state", json_string(r->end_ms ? "closed" : "open"));
	json_object_set_new(o, "start", time_json(r->start_ms));
	json_object_set_new(o, "since", time_json(r->since_ms));
	if (r->end_ms) {
		json_object_set_new(o, "end", time_json(r->end_ms));
		json_object_set_new(o, "closed_by",
				    json_string(r->closed_by ? r->closed_by : "cleared"));
	}
	set_opt_num(o, "value", r->value);
	set_opt_num(o, "limit", r->limit);
	set_opt_num(o, "ratio", r->ratio);
	set_opt_num(o, "end_value", r->end_value);
	set_opt_num(o, "end_ratio", r->end_ratio);
	return o;
}

static json_t *reason_json(const struct wwtp_flag_reason *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "rule", json_string(wwtp_flag_rule_name(r->rule)));
	json_object_set_new(o, "param", json_string(r->param));
	json_object_set_new(o, "value", num4(r->value));
	json_object_set_new(o, "threshold", num4(r->threshold));
	json_object_set_new(o, "clears_at", num4(r->clear_at));
	json_object_set_new(o, "hours", json_integer(r->hours));
	switch (r->rule) {
	case WWTP_FLAG_COMPLIANCE:
		set_opt_num(o, "limit_min", r->cmax_min);
		set_opt_num(o, "limit_max", r->cmax_max);
		break;
	case WWTP_FLAG_AVAILABILITY:
	case WWTP_FLAG_FAULTS:
		json_object_set_new(o, "params_past_threshold", json_integer(r->count));
		break;
	case WWTP_FLAG_COD_REMOVAL:
	case WWTP_FLAG_NH4_REMOVAL:
		set_opt_num(o, "inlet_mean", round(r->inlet * 1e3) / 1e3);
		set_opt_num(o, "outlet_mean", round(r->outlet * 1e3) / 1e3);
		break;
	case WWTP_FLAG_HYDRAULIC:
		set_opt_num(o, "flow_m3d", round(r->flow_m3d * 10) / 10);
		set_opt_num(o, "design_m3d", r->design_m3d);
		break;
	default:
		break;
	}
	json_object_set_new(o, "text", json_string(r->text));
	return o;
}

static const char *status_of(const struct mon_station *s, int64_t now_ms)
{
	if (s->last_seen_ms == 0)
		return "unknown";
	if (strcmp(s->state, "offline") == 0 && s->status_ms >= s->last_telemetry_ms)
		return "offline";
	if (now_ms - s->last_telemetry_ms > WWTP_MONITOR_SILENT_MS)
		return "silent";
	return "online";
}

static json_t *checks_json(const struct wwtp_monitor *m, const struct mon_station *s)
{
	const struct wwtp_flag_checks *c = &s->checks;
	json_t *o = json_object(), *comp = json_object();

	json_object_set_new(o, "evaluated", time_json(s->evaluated_ms));
	json_object_set_new(o, "window_h", json_integer(m->cfg.window_h));
	json_object_set_new(o, "hours", json_integer(c->hours));
	for (size_t i = 0; i < s->nparams; i++) {
		const struct wwtp_param_summary *ps = &s->psum[i];
		if (!s->params[i].has_limit || ps->judged == 0)
			continue;
		json_t *p = json_object();
		json_object_set_new(p, "within", num4((double)ps->within / ps->judged));
		json_object_set_new(p, "hours", json_integer(ps->judged));
		json_object_set_new(p, "mean", num(round(ps->mean * 1e3) / 1e3));
		json_object_set_new(comp, s->params[i].name, p);
	}
	json_object_set_new(o, "compliance", comp);
	json_object_set_new(o, "availability", num4(c->availability));
	if (c->availability_param[0])
		json_object_set_new(o, "availability_param", json_string(c->availability_param));
	json_object_set_new(o, "faults", num4(c->faults));
	if (c->faults_param[0])
		json_object_set_new(o, "faults_param", json_string(c->faults_param));
	json_object_set_new(o, "cod_removal", num4(c->cod_removal));
	json_object_set_new(o, "nh4_removal", num4(c->nh4_removal));
	json_object_set_new(o, "hydraulic_load", num4(c->hydraulic_load));
	return o;
}

static json_t *station_json(struct wwtp_monitor *m, const struct mon_station *s, int64_t now_ms)
{
	json_t *o = json_object(), *reasons = json_array(), *alerts = json_array();
	const struct wwtp_alert_rec *open[64];
	struct wwtp_alert_filter f = {.station = s->id,
				      .state = WWTP_ALERTS_OPEN,
				      .from_ms = 0,
				      .to_ms = INT64_MAX,
				      .limit = 64};
	size_t nopen = wwtp_alerts_find(m->alerts, &f, open, 64);

	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "name", json_string(s->name));
	json_object_set_new(o, "district", json_string(s->district));
	json_object_set_new(o, "plan", json_string(s->plan));
	json_object_set_new(o, "plan_review", json_boolean(s->plan_review));
	json_object_set_new(o, "design_flow_m3d",
			    s->design_m3d > 0 ? json_real(s->design_m3d) : json_null());
	json_object_set_new(o, "status", json_string(status_of(s, now_ms)));
	json_object_set_new(o, "last_seen", time_json(s->last_seen_ms));
	if (s->state[0]) {
		json_t *ls = json_object();
		json_object_set_new(ls, "state", json_string(s->state));
		json_object_set_new(ls, "ts", time_json(s->status_ms));
		json_object_set_new(o, "collector", ls);
	}
	json_object_set_new(o, "flagged", json_boolean(s->nreasons > 0));
	json_object_set_new(o, "backfilling", json_boolean(s->backfilling));
	json_object_set_new(o, "flagged_since", time_json(s->flagged_since_ms));
	for (size_t i = 0; i < s->nreasons; i++)
		json_array_append_new(reasons, reason_json(&s->reasons[i]));
	json_object_set_new(o, "reasons", reasons);
	for (size_t i = 0; i < nopen && i < 64; i++)
		json_array_append_new(alerts, alert_json(open[i]));
	json_object_set_new(o, "alerts", alerts);
	json_object_set_new(o, "open_alerts", json_integer((json_int_t)nopen));
	json_object_set_new(o, "checks", checks_json(m, s));
	return o;
}

json_t *wwtp_monitor_stations_json(struct wwtp_monitor *m, const char *only_id, int64_t now_ms)
{
	json_t *out = NULL;
	pthread_mutex_lock(&m->lock);
	if (only_id) {
		const struct mon_station *s = find(m, only_id);
		if (s)
			out = station_json(m, s, now_ms);
	} else {
		out = json_array();
		for (size_t i = 0; i < m->n; i++)
			json_array_append_new(out, station_json(m, &m->st[i], now_ms));
	}
	pthread_mutex_unlock(&m->lock);
	return out;
}

json_t *wwtp_monitor_alerts_json(struct wwtp_monitor *m, const struct wwtp_alert_filter *f,
				 size_t *total)
{
	size_t max = f->limit ? f->limit : 1000;
	const struct wwtp_alert_rec **recs = calloc(max, sizeof(*recs));
	json_t *out = json_array();

	if (!recs) {
		json_decref(out);
		return NULL;
	}
	pthread_mutex_lock(&m->lock);
	size_t n = wwtp_alerts_find(m->alerts, f, recs, max);
	for (size_t i = 0; i < n && i < max; i++)
		json_array_append_new(out, alert_json(recs[i]));
	pthread_mutex_unlock(&m->lock);
	free(recs);
	if (total)
		*total = n;
	return out;
}

int wwtp_monitor_has(struct wwtp_monitor *m, const char *id, const char *param, char *unit,
		     size_t n)
{
	int rc = WWTP_ERR_NOTFOUND;
	pthread_mutex_lock(&m->lock);
	const struct mon_station *s = find(m, id);
	if (s && !param) {
		rc = 0;
	} else if (s) {
		int p = wwtp_flag_param_find(s->params, s->nparams, param);
		if (p >= 0) {
			if (unit)
				snprintf(unit, n, "%s", s->params[p].unit);
			rc = 0;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

json_t *wwtp_monitor_params_json(struct wwtp_monitor *m, const char *id)
{
	json_t *out = NULL;
	pthread_mutex_lock(&m->lock);
	const struct mon_station *s = find(m, id);
	if (s) {
		out = json_array();
		for (size_t i = 0; i < s->nparams; i++)
			json_array_append_new(out, json_string(s->params[i].name));
	}
	pthread_mutex_unlock(&m->lock);
	return out;
}

void wwtp_monitor_health(struct wwtp_monitor *m, struct wwtp_monitor_health *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&m->lock);
	out->recovered = m->recovered;
	out->queries_ok = m->queries_ok;
	out->refreshed_ms = m->refreshed_ms;
	out->stations = m->n;
	for (size_t i = 0; i < m->n; i++)
		out->flagged += m->st[i].nreasons > 0;
	out->alerts = wwtp_alerts_count(m->alerts);
	struct wwtp_alert_filter f = {.state = WWTP_ALERTS_OPEN, .to_ms = INT64_MAX, .limit = 1};
	const struct wwtp_alert_rec *one[1];
	out->open_alerts = wwtp_alerts_find(m->alerts, &f, one, 1);
	pthread_mutex_unlock(&m->lock);
}

json_t *wwtp_monitor_limits_json(struct wwtp_monitor *m, const char *id)
{
	json_t *out = NULL;
	pthread_mutex_lock(&m->lock);
	const struct mon_station *s = find(m, id);
	if (s) {
		out = json_array();
		for (size_t i = 0; i < s->nparams; i++) {
			const struct wwtp_flag_param *p = &s->params[i];
			json_t *o = json_object();
			json_object_set_new(o, "param", json_string(p->name));
			json_object_set_new(o, "unit", json_string(p->unit));
			json_object_set_new(o, "device", json_string(p->device));
			json_object_set_new(o, "limited", json_boolean(p->has_limit));
			if (p->has_limit && isfinite(p->cmax_min))
				json_object_set_new(o, "limit_min", json_real(p->cmax_min));
			if (p->has_limit && isfinite(p->cmax_max))
				json_object_set_new(o, "limit_max", json_real(p->cmax_max));
			json_array_append_new(out, o);
		}
	}
	pthread_mutex_unlock(&m->lock);
	return out;
}
