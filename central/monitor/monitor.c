/* monitor.c - stations' liveness, alerts and degraded-plant flags (see
 * monitor.h): the state, what ingest notes, the evaluation and the thread.
 * Reading InfluxDB is monitor_read.c; the JSON views, monitor_views.c. */
#include "monitor.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../compliance/limits.h"
#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/timeutil.h"
#include "../ingest/influx.h"
#include "monitor-private.h"

static int cmp_station(const void *a, const void *b)
{
	return strcmp(((const struct mon_station *)a)->id, ((const struct mon_station *)b)->id);
}

static int cmp_id(const void *key, const void *elem)
{
	return strcmp(key, ((const struct mon_station *)elem)->id);
}

struct mon_station *wwtp_mon_find(const struct wwtp_monitor *m, const char *id)
{
	return id ? bsearch(id, m->st, m->n, sizeof(*m->st), cmp_id) : NULL;
}

int64_t wwtp_mon_hour_of(int64_t ms)
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

/* What the station is judged by. The regulation's code and title come from
 * its file (read once here; the station loader read it before): never
 * made up from the id. */
static void regulation_of(struct mon_reg *r, const struct wwtp_station *st)
{
	const struct wwtp_limits_table *t = st->limits;
	struct wwtp_regulation *reg = NULL;

	memset(r, 0, sizeof(*r));
	if (!t)
		return;
	r->present = 1;
	snprintf(r->id, sizeof(r->id), "%s", t->regulation);
	snprintf(r->column, sizeof(r->column), "%s", t->column);
	r->kq = t->kq;
	r->kf = t->kf;
	snprintf(r->kq_basis, sizeof(r->kq_basis), "%s", t->kq_basis);
	snprintf(r->kf_basis, sizeof(r->kf_basis), "%s", t->kf_basis);
	if (st->limits_file[0] && wwtp_regulation_load(st->limits_file, NULL, &reg) == 0) {
		snprintf(r->code, sizeof(r->code), "%s", wwtp_regulation_code(reg));
		snprintf(r->title_vi, sizeof(r->title_vi), "%s", wwtp_regulation_title_vi(reg));
	}
	wwtp_regulation_free(reg);
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
	ms->limits = calloc(np ? np : 1, sizeof(*ms->limits));
	if (!ms->params || !ms->psum || !ms->limits)
		return WWTP_ERR_NOMEM;
	regulation_of(&ms->reg, st);
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
			if (lim)
				ms->limits[ms->nparams - 1] = *lim;
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
	wwtp_alarm_policies_default(&m->alarms);
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
		free(m->st[i].limits);
		wwtp_hourly_free(&m->st[i].hourly);
	}
	free(m->st);
	wwtp_alerts_free(m->alerts);
	free(m->seen);
	wwtp_influx_free(m->ix);
	wwtp_buf_free(&m->answer);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

int wwtp_monitor_on_alert(struct wwtp_monitor *m, wwtp_alert_note_fn fn, void *ctx)
{
	if (m->started)
		return WWTP_ERR_INVAL;
	m->note_fn = fn;
	m->note_ctx = ctx;
	return 0;
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
	a->suspect = msg->suspect;
	a->setting = msg->setting;
	a->from = msg->from;
	a->to = msg->to;
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
	struct mon_station *s = wwtp_mon_find(m, msg->station);
	if (!s) {
		pthread_mutex_unlock(&m->lock);
		return;
	}
	int64_t ts = msg->has_ts ? msg->ts_ms : 0;
	switch (msg->kind) {
	case WWTP_MSG_TELEMETRY: {
		if (ts > s->last_telemetry_ms)
			s->last_telemetry_ms = ts;
		int64_t h = wwtp_mon_hour_of(ts),
			oldest = wwtp_mon_hour_of(now_ms) - m->cfg.window_h;
		if (h >= oldest)
			note(&s->pend_lo, &s->pend_hi, h, h);
		if (h < wwtp_mon_hour_of(now_ms) - 1)
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
	int64_t old = wwtp_mon_hour_of(now_ms) - 1;
	int64_t quiet = 2000LL * m->cfg.refresh_s;
	return (s->late_ms && now_ms - s->late_ms < quiet) ||
	       (s->pend_lo >= 0 && s->pend_lo < old) || (s->fly_lo >= 0 && s->fly_lo < old);
}

/* When the flag of a flagged station was raised, from its hours (history.h):
 * the same whenever central started. When the history does not end flagged
 * (the live hysteresis began elsewhere), the oldest hour it knows. */
static void flagged_since(struct wwtp_monitor *m, struct mon_station *s, int64_t end,
			  int64_t now_ms)
{
	struct wwtp_flag_episode last[1];
	int n = wwtp_flag_history(&m->cfg, s->params, s->nparams, s->design_m3d, &s->hourly, end,
				  last, 1);
	s->hist_dirty = 0;
	s->hist_end = end;
	if (n == 1 && last[0].cleared_hour < 0)
		s->flagged_since_ms = last[0].raised_hour * 3600000LL;
	else if (n >= 0)
		s->flagged_since_ms = (end - m->cfg.window_h) * 3600000LL;
	else if (!s->flagged_since_ms)
		s->flagged_since_ms = now_ms; /* out of memory: as before */
}

static void evaluate_locked(struct wwtp_monitor *m, int64_t now_ms)
{
	int64_t end = wwtp_mon_hour_of(now_ms);

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
		if (!s->nreasons)
			s->flagged_since_ms = 0;
		else if (!was || s->hist_dirty || s->hist_end != end)
			flagged_since(m, s, end, now_ms);
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
	struct mon_station *s = wwtp_mon_find(m, station);
	int p = s ? wwtp_flag_param_find(s->params, s->nparams, param) : -1;
	struct wwtp_hour_cell *c = p >= 0 ? wwtp_hourly_cell(&s->hourly, (size_t)p, hour) : NULL;
	if (c) {
		s->hist_dirty = 1;
		c->polls = polls;
		c->ok = ok;
		c->fault = fault;
		c->mean = mean;
		rc = 0;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
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
		int rc = wwtp_mon_load_hours(m, s, lo, hi);
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
			wwtp_mon_recover(m);
		refresh(m);
		int64_t now = wwtp_now_ms();
		wwtp_monitor_evaluate(m, now);
		wwtp_mon_notify(m, now);

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
	int64_t now_h = wwtp_mon_hour_of(wwtp_now_ms());

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
