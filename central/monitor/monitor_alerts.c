/* monitor_alerts.c - the inspector's alerts (episodes.h) over the monitor's
 * raw alert store: the JSON views of /api/alerts and of a station's open
 * alerts, the alert rates, and the notes to the listener of
 * alert_events.h. */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/err.h"
#include "../../util/timeutil.h"
#include "episodes.h"
#include "monitor-private.h"
#include "words.h"

/* Builds the episodes of station (NULL: all) and kind (NULL: all) under the
 * lock. NULL on NOMEM (logged by the caller). */
static struct wwtp_episodes *episodes_locked(struct wwtp_monitor *m, const char *station,
					     const char *kind, int64_t now_ms)
{
	struct wwtp_alert_filter f = {
	    .station = station, .kind = kind, .from_ms = 0, .to_ms = INT64_MAX};
	size_t max = wwtp_alerts_count(m->alerts);
	const struct wwtp_alert_rec **recs = malloc((max ? max : 1) * sizeof(*recs));
	struct wwtp_episodes *e = NULL;
	if (!recs)
		return NULL;
	size_t n = max ? wwtp_alerts_find(m->alerts, &f, recs, max) : 0;
	if (wwtp_episodes_build(recs, n < max ? n : max, &m->alarms, now_ms, &e) != 0)
		e = NULL;
	free(recs);
	return e;
}

static json_t *episode_json(const struct wwtp_episode *p)
{
	const struct wwtp_alert_rec *f = p->first, *s = p->shown;
	json_t *o = json_object(), *w = json_array();

	json_object_set_new(o, "id", json_string(f->id));
	json_object_set_new(o, "station", json_string(f->station));
	json_object_set_new(o, "kind", json_string(f->kind));
	json_object_set_new(o, "priority", json_string(wwtp_alert_priority_name(p->priority)));
	if (f->device[0])
		json_object_set_new(o, "device", json_string(f->device));
	/* An instrument's alert names the parameters it touched; its param is
	 * given when there is one only. */
	json_t *ps = json_array();
	for (size_t i = 0; i < p->nparams; i++)
		json_array_append_new(ps, json_string(p->params[i]));
	json_object_set_new(o, "params", ps);
	if (p->nparams == 1)
		json_object_set_new(o, "param", json_string(p->params[0]));
	if (f->unit[0])
		json_object_set_new(o, "unit", json_string(f->unit));
	for (size_t i = 0; i < p->nwindows; i++)
		json_array_append_new(w, json_integer(p->windows_s[i]));
	/* window_s: the shortest window it holds for (what one window alert
	 * used to say); windows_s: all of them. */
	if (p->nwindows)
		json_object_set_new(o, "window_s",
				    json_integer(s->window_s ? s->window_s : p->windows_s[0]));
	json_object_set_new(o, "windows_s", w);
	json_object_set_new(o, "state", json_string(p->end_ms ? "closed" : "open"));
	json_object_set_new(o, "start", wwtp_mon_time_json(p->start_ms));
	json_object_set_new(o, "since", wwtp_mon_time_json(p->since_ms));
	if (p->end_ms) { /* end: the condition's; closed_at: the alert's (off-delay) */
		json_object_set_new(o, "end", wwtp_mon_time_json(p->clear_ms));
		json_object_set_new(o, "closed_at", wwtp_mon_time_json(p->end_ms));
		json_object_set_new(o, "closed_by", json_string("cleared"));
		wwtp_mon_set_num(o, "end_value", s->end_value);
		wwtp_mon_set_num(o, "end_ratio", s->end_ratio);
	}
	wwtp_mon_set_num(o, "value", s->value);
	wwtp_mon_set_num(o, "limit", s->limit);
	wwtp_mon_set_num(o, "ratio", s->ratio);
	/* Availability is a share, not a concentration: say so (the param's
	 * unit stays in "unit"). */
	if (strcmp(f->kind, "availability") == 0) {
		json_object_set_new(o, "value_unit", json_string("%"));
		wwtp_mon_set_num(o, "value_pct", round(s->value * 1000) / 10);
		wwtp_mon_set_num(o, "limit_pct", round(s->limit * 1000) / 10);
	}
	json_object_set_new(o, "count", json_integer(p->count));
	json_object_set_new(o, "active_s", json_integer(p->active_ms / 1000));
	json_object_set_new(o, "raw_open", json_integer(p->open));
	json_object_set_new(o, "last_raw", wwtp_mon_time_json(p->last_ms));
	char vi[320];
	wwtp_words_alert(p, vi, sizeof(vi));
	json_object_set_new(o, "text_vi", json_string(vi));
	return o;
}

static int matches(const struct wwtp_episode *p, const struct wwtp_alert_filter *f)
{
	if (!p->raised)
		return 0;
	if (f->priority && p->priority != f->priority)
		return 0;
	if (f->state == WWTP_ALERTS_OPEN && p->end_ms != 0)
		return 0;
	if (f->state == WWTP_ALERTS_CLOSED && p->end_ms == 0)
		return 0;
	if (p->start_ms >= f->to_ms)
		return 0;
	return p->end_ms == 0 || p->clear_ms >= f->from_ms;
}

static int newest(const struct wwtp_episode *a, const struct wwtp_episode *b)
{
	if (a->start_ms != b->start_ms)
		return a->start_ms > b->start_ms ? -1 : 1;
	return strcmp(a->first->id, b->first->id);
}

static int cmp_newest(const void *x, const void *y)
{
	return newest(*(const struct wwtp_episode *const *)x,
		      *(const struct wwtp_episode *const *)y);
}

/* The page's order (alerts.h): open high first by ratio, open others by
 * priority, then closed; newest first within each. */
static int cmp_page(const void *x, const void *y)
{
	const struct wwtp_episode *a = *(const struct wwtp_episode *const *)x;
	const struct wwtp_episode *b = *(const struct wwtp_episode *const *)y;
	int ao = a->end_ms == 0, bo = b->end_ms == 0;
	if (ao != bo)
		return bo - ao;
	if (ao && a->priority != b->priority)
		return b->priority - a->priority;
	if (ao && a->priority == WWTP_PRIO_HIGH) {
		double ra = isfinite(a->shown->ratio) ? a->shown->ratio : 0;
		double rb = isfinite(b->shown->ratio) ? b->shown->ratio : 0;
		if (ra != rb)
			return ra > rb ? -1 : 1;
	}
	return newest(a, b);
}

/* The matching raised episodes of e into *out (allocated), sorted. */
static size_t select_sorted(const struct wwtp_episodes *e, const struct wwtp_alert_filter *f,
			    const struct wwtp_episode ***out)
{
	size_t n = wwtp_episodes_count(e), k = 0;
	const struct wwtp_episode **v = malloc((n ? n : 1) * sizeof(*v));
	*out = v;
	if (!v)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (matches(wwtp_episodes_get(e, i), f))
			v[k++] = wwtp_episodes_get(e, i);
	qsort(v, k, sizeof(*v), f->order == WWTP_ALERTS_PAGE ? cmp_page : cmp_newest);
	return k;
}

static int64_t now_of(const struct wwtp_alert_filter *f)
{
	return f->now_ms ? f->now_ms : wwtp_now_ms();
}

json_t *wwtp_monitor_alerts_json(struct wwtp_monitor *m, const struct wwtp_alert_filter *f,
				 size_t *total)
{
	const struct wwtp_episode **v = NULL;
	json_t *out = json_array();
	size_t k = 0, lim = f->limit ? f->limit : 1000;

	pthread_mutex_lock(&m->lock);
	struct wwtp_episodes *e = episodes_locked(m, f->station, f->kind, now_of(f));
	if (e)
		k = select_sorted(e, f, &v);
	for (size_t i = 0; v && i < k && i < lim; i++)
		json_array_append_new(out, episode_json(v[i]));
	pthread_mutex_unlock(&m->lock);
	free(v);
	if (!e || !v) {
		wwtp_episodes_free(e);
		json_decref(out);
		return NULL;
	}
	wwtp_episodes_free(e);
	if (total)
		*total = k;
	return out;
}

json_t *wwtp_mon_open_alerts_json(struct wwtp_monitor *m, const struct mon_station *s,
				  int64_t now_ms, size_t max, size_t *nopen)
{
	struct wwtp_alert_filter f = {.station = s->id,
				      .state = WWTP_ALERTS_OPEN,
				      .to_ms = INT64_MAX,
				      .order = WWTP_ALERTS_PAGE};
	const struct wwtp_episode **v = NULL;
	json_t *out = json_array();
	size_t k = 0;
	struct wwtp_episodes *e = episodes_locked(m, s->id, NULL, now_ms);
	if (e)
		k = select_sorted(e, &f, &v);
	for (size_t i = 0; v && i < k && i < max; i++)
		json_array_append_new(out, episode_json(v[i]));
	free(v);
	wwtp_episodes_free(e);
	*nopen = k;
	return out;
}

size_t wwtp_mon_open_alerts_locked(struct wwtp_monitor *m, int64_t now_ms)
{
	struct wwtp_alert_filter f = {.state = WWTP_ALERTS_OPEN, .to_ms = INT64_MAX};
	size_t k = 0;
	struct wwtp_episodes *e = episodes_locked(m, NULL, NULL, now_ms);
	for (size_t i = 0; e && i < wwtp_episodes_count(e); i++)
		k += matches(wwtp_episodes_get(e, i), &f);
	wwtp_episodes_free(e);
	return k;
}

int wwtp_monitor_set_alarms(struct wwtp_monitor *m, const struct wwtp_alarm_policies *p)
{
	if (wwtp_alarm_policies_check(p) != 0)
		return WWTP_ERR_INVAL;
	pthread_mutex_lock(&m->lock);
	m->alarms = *p;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

json_t *wwtp_monitor_rates_json(struct wwtp_monitor *m, int64_t from_ms, int64_t to_ms,
				int64_t now_ms)
{
	struct wwtp_alarm_rates r;
	pthread_mutex_lock(&m->lock);
	struct wwtp_episodes *e = episodes_locked(m, NULL, NULL, now_ms);
	if (e)
		wwtp_episodes_rates(e, from_ms, to_ms, &r);
	pthread_mutex_unlock(&m->lock);
	if (!e)
		return NULL;
	wwtp_episodes_free(e);
	json_t *o = json_object();
	json_object_set_new(o, "from", wwtp_mon_time_json(from_ms));
	json_object_set_new(o, "to", wwtp_mon_time_json(to_ms));
	json_object_set_new(o, "raised", json_integer((json_int_t)r.raised));
	json_object_set_new(o, "per_day", json_real(round(r.per_day * 100) / 100));
	json_object_set_new(o, "max_station_day", json_real(r.max_station_day));
	if (r.max_station[0])
		json_object_set_new(o, "max_station", json_string(r.max_station));
	json_object_set_new(o, "chattering_tags", json_integer((json_int_t)r.chattering));
	json_object_set_new(o, "exceedances_raw", json_integer((json_int_t)r.exceedances_raw));
	json_object_set_new(o, "exceedances_in_alerts", json_integer((json_int_t)r.exceedances_in));
	json_t *bk = json_object();
	for (int k = 0; k <= WWTP_ALERT_KINDS; k++)
		if (r.by_kind[k])
			json_object_set_new(
			    bk, k < WWTP_ALERT_KINDS ? wwtp_alert_kind_name(k) : "other",
			    json_integer((json_int_t)r.by_kind[k]));
	json_object_set_new(o, "by_kind", bk);
	return o;
}

/* ---- notes to the listener ---- */

struct mon_seen {
	char id[WWTP_ALERT_ID_MAX];
	unsigned count;
	size_t nwindows;
	int open;
};

static int seen_cmp(const void *x, const void *y)
{
	return strcmp(((const struct mon_seen *)x)->id, ((const struct mon_seen *)y)->id);
}

static void fill_note(const struct wwtp_monitor *m, const struct wwtp_episode *p, int edge,
		      int recovered, struct wwtp_alert_note *n)
{
	const struct wwtp_alert_rec *f = p->first, *s = p->shown;
	const struct mon_station *st = wwtp_mon_find(m, f->station);
	memset(n, 0, sizeof(*n));
	n->edge = edge;
	n->recovered = recovered;
	snprintf(n->id, sizeof(n->id), "%s", f->id);
	snprintf(n->station, sizeof(n->station), "%s", f->station);
	snprintf(n->station_name, sizeof(n->station_name), "%s", st ? st->name : f->station);
	snprintf(n->param, sizeof(n->param), "%s", p->nparams == 1 ? p->params[0] : "");
	snprintf(n->device, sizeof(n->device), "%s", f->device);
	snprintf(n->unit, sizeof(n->unit), "%s", f->unit);
	snprintf(n->kind, sizeof(n->kind), "%s", f->kind);
	n->priority = p->priority;
	memcpy(n->windows_s, p->windows_s, sizeof(n->windows_s));
	n->nwindows = p->nwindows;
	n->value = s->value;
	n->limit = s->limit;
	n->ratio = s->ratio;
	n->since_ms = p->since_ms;
	n->start_ms = p->start_ms;
	n->end_ms = p->end_ms;
	n->count = p->count;
	n->active_ms = p->active_ms;
}

void wwtp_mon_notify(struct wwtp_monitor *m, int64_t now_ms)
{
	struct wwtp_alert_note *notes = NULL;
	size_t nn = 0;

	pthread_mutex_lock(&m->lock);
	if (!m->note_fn || !m->recovered) {
		pthread_mutex_unlock(&m->lock);
		return;
	}
	struct wwtp_episodes *e = episodes_locked(m, NULL, NULL, now_ms);
	size_t n = e ? wwtp_episodes_count(e) : 0;
	struct mon_seen *seen = calloc(n ? n : 1, sizeof(*seen));
	notes = calloc(2 * (n ? n : 1), sizeof(*notes));
	if (!e || !seen || !notes) {
		LOG_WARN(MON_MOD, "out of memory: alert notes wait for the next pass");
		pthread_mutex_unlock(&m->lock);
		wwtp_episodes_free(e);
		free(seen);
		free(notes);
		return;
	}
	int first = !m->noted;
	size_t ns = 0;
	for (size_t i = 0; i < n; i++) {
		const struct wwtp_episode *p = wwtp_episodes_get(e, i);
		if (!p->raised)
			continue;
		struct mon_seen key, *old;
		snprintf(key.id, sizeof(key.id), "%s", p->first->id);
		old = m->seen ? bsearch(&key, m->seen, m->nseen, sizeof(*m->seen), seen_cmp) : NULL;
		int open = p->end_ms == 0;
		if (first) {
			if (open)
				fill_note(m, p, WWTP_ALERT_NOTE_RAISED, 1, &notes[nn++]);
		} else if (!old) {
			/* New: raised now, or raised and cleared since the last
			 * pass (not history replayed from long ago). */
			if (open || p->end_ms > m->noted_ms) {
				fill_note(m, p, WWTP_ALERT_NOTE_RAISED, 0, &notes[nn++]);
				if (!open)
					fill_note(m, p, WWTP_ALERT_NOTE_CLEARED, 0, &notes[nn++]);
			}
		} else if (old->open && !open) {
			fill_note(m, p, WWTP_ALERT_NOTE_CLEARED, 0, &notes[nn++]);
		} else if (open &&
			   (!old->open || old->count != p->count || old->nwindows != p->nwindows)) {
			/* More raw alerts, another window, or reopened within its re-arm. */
			fill_note(m, p, WWTP_ALERT_NOTE_CHANGED, 0, &notes[nn++]);
		}
		seen[ns].count = p->count;
		seen[ns].nwindows = p->nwindows;
		seen[ns].open = open;
		memcpy(seen[ns].id, key.id, sizeof(key.id));
		ns++;
	}
	qsort(seen, ns, sizeof(*seen), seen_cmp);
	free(m->seen);
	m->seen = seen;
	m->nseen = ns;
	m->noted = 1;
	m->noted_ms = now_ms;
	wwtp_alert_note_fn fn = m->note_fn;
	void *ctx = m->note_ctx;
	pthread_mutex_unlock(&m->lock);
	wwtp_episodes_free(e);
	for (size_t i = 0; i < nn; i++)
		fn(ctx, &notes[i]);
	free(notes);
}
