/* monitor_views.c - the monitor's state as the API shows it (monitor.h):
 * stations, their checks and reasons, alerts, params and limits, as JSON. */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../compliance/limits.h"
#include "../../util/err.h"
#include "../../util/timeutil.h"
#include "monitor-private.h"
#include "words.h"
#include "../../model/glossary.h"

json_t *wwtp_mon_time_json(int64_t ms)
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

void wwtp_mon_set_num(json_t *o, const char *k, double v)
{
	if (isfinite(v))
		json_object_set_new(o, k, json_real(v));
}

static const char *unit_of(const struct mon_station *s, const char *param)
{
	int p = wwtp_flag_param_find(s->params, s->nparams, param);
	return p >= 0 ? s->params[p].unit : "";
}

static json_t *reason_json(const struct wwtp_flag_reason *r, const char *unit)
{
	char vi[320];
	json_t *o = json_object();
	json_object_set_new(o, "rule", json_string(wwtp_flag_rule_name(r->rule)));
	json_object_set_new(o, "param", json_string(r->param));
	json_object_set_new(o, "value", num4(r->value));
	json_object_set_new(o, "threshold", num4(r->threshold));
	json_object_set_new(o, "clears_at", num4(r->clear_at));
	json_object_set_new(o, "hours", json_integer(r->hours));
	switch (r->rule) {
	case WWTP_FLAG_COMPLIANCE:
		wwtp_mon_set_num(o, "mean", r->mean);
		wwtp_mon_set_num(o, "limit_min", r->cmax_min);
		wwtp_mon_set_num(o, "limit_max", r->cmax_max);
		break;
	case WWTP_FLAG_AVAILABILITY:
	case WWTP_FLAG_FAULTS:
		json_object_set_new(o, "params_past_threshold", json_integer(r->count));
		break;
	case WWTP_FLAG_COD_REMOVAL:
	case WWTP_FLAG_NH4_REMOVAL:
		wwtp_mon_set_num(o, "inlet_mean", round(r->inlet * 1e3) / 1e3);
		wwtp_mon_set_num(o, "outlet_mean", round(r->outlet * 1e3) / 1e3);
		break;
	case WWTP_FLAG_HYDRAULIC:
		wwtp_mon_set_num(o, "flow_m3d", round(r->flow_m3d * 10) / 10);
		wwtp_mon_set_num(o, "design_m3d", r->design_m3d);
		break;
	case WWTP_FLAG_SUSPECT:
		json_object_set_new(o, "flat_run_h", json_integer(r->flat_run));
		break;
	default:
		break;
	}
	json_object_set_new(o, "text", json_string(r->text));
	wwtp_words_reason(r, unit, vi, sizeof(vi));
	json_object_set_new(o, "text_vi", json_string(vi));
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

	json_object_set_new(o, "evaluated", wwtp_mon_time_json(s->evaluated_ms));
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

/* The regulation, its column and factors, and how Cmax follows from them:
 * "QCVN 40:2011/BTNMT cột B, Kq 0,9, Kf 1,0: Cmax = C × Kq × Kf". */
static json_t *regulation_json(const struct mon_station *s)
{
	const struct mon_reg *r = &s->reg;
	char a[24], b[24], t[WWTP_REG_TEXT_MAX + 96];
	if (!r->present)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "code", r->code[0] ? json_string(r->code) : json_null());
	if (r->title_vi[0])
		json_object_set_new(o, "title_vi", json_string(r->title_vi));
	json_object_set_new(o, "column", json_string(r->column));
	json_object_set_new(o, "kq", num(r->kq));
	json_object_set_new(o, "kf", num(r->kf));
	json_object_set_new(o, "kq_basis", json_string(r->kq_basis));
	json_object_set_new(o, "kf_basis", json_string(r->kf_basis));
	json_object_set_new(o, "formula", json_string("Cmax = C × Kq × Kf"));
	snprintf(t, sizeof(t), "%s cột %s, Kq = %s, Kf = %s: Cmax = C × Kq × Kf",
		 r->code[0] ? r->code : r->id, r->column, wwtp_words_num(r->kq, 2, a, sizeof a),
		 wwtp_words_num(r->kf, 2, b, sizeof b));
	json_object_set_new(o, "text_vi", json_string(t));
	return o;
}

static json_t *station_json(struct wwtp_monitor *m, const struct mon_station *s, int64_t now_ms)
{
	json_t *o = json_object(), *reasons = json_array();
	size_t nopen = 0;
	json_t *alerts = wwtp_mon_open_alerts_json(m, s, now_ms, 64, &nopen);

	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "name", json_string(s->name));
	json_object_set_new(o, "district", json_string(s->district));
	json_object_set_new(o, "plan", json_string(s->plan));
	json_object_set_new(o, "plan_review", json_boolean(s->plan_review));
	json_object_set_new(o, "design_flow_m3d",
			    s->design_m3d > 0 ? json_real(s->design_m3d) : json_null());
	json_object_set_new(o, "status", json_string(status_of(s, now_ms)));
	json_object_set_new(o, "last_seen", wwtp_mon_time_json(s->last_seen_ms));
	if (s->state[0]) {
		json_t *ls = json_object();
		json_object_set_new(ls, "state", json_string(s->state));
		json_object_set_new(ls, "ts", wwtp_mon_time_json(s->status_ms));
		json_object_set_new(o, "collector", ls);
	}
	json_object_set_new(o, "flagged", json_boolean(s->nreasons > 0));
	json_object_set_new(o, "backfilling", json_boolean(s->backfilling));
	json_object_set_new(o, "flagged_since", wwtp_mon_time_json(s->flagged_since_ms));
	for (size_t i = 0; i < s->nreasons; i++)
		json_array_append_new(reasons,
				      reason_json(&s->reasons[i], unit_of(s, s->reasons[i].param)));
	json_object_set_new(o, "reasons", reasons);
	json_object_set_new(o, "alerts", alerts);
	json_object_set_new(o, "open_alerts", json_integer((json_int_t)nopen));
	json_object_set_new(o, "checks", checks_json(m, s));
	json_object_set_new(o, "regulation", regulation_json(s));
	return o;
}

json_t *wwtp_monitor_stations_json(struct wwtp_monitor *m, const char *only_id, int64_t now_ms)
{
	json_t *out = NULL;
	pthread_mutex_lock(&m->lock);
	if (only_id) {
		const struct mon_station *s = wwtp_mon_find(m, only_id);
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

int wwtp_monitor_has(struct wwtp_monitor *m, const char *id, const char *param, char *unit,
		     size_t n)
{
	int rc = WWTP_ERR_NOTFOUND;
	pthread_mutex_lock(&m->lock);
	const struct mon_station *s = wwtp_mon_find(m, id);
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
	const struct mon_station *s = wwtp_mon_find(m, id);
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
	out->open_alerts = wwtp_mon_open_alerts_locked(m, wwtp_now_ms());
	pthread_mutex_unlock(&m->lock);
}

json_t *wwtp_monitor_limits_json(struct wwtp_monitor *m, const char *id)
{
	json_t *out = NULL;
	pthread_mutex_lock(&m->lock);
	const struct mon_station *s = wwtp_mon_find(m, id);
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
			/* How the limit follows: C of the column, the factors. */
			const struct wwtp_limit *l = &s->limits[i];
			if (p->has_limit) {
				wwtp_mon_set_num(o, "c_min", l->c_min);
				wwtp_mon_set_num(o, "c_max", l->c_max);
				json_object_set_new(o, "factors_applied",
						    json_boolean(l->factors_applied));
				json_object_set_new(o, "overridden", json_boolean(l->overridden));
				if (l->source[0])
					json_object_set_new(o, "source", json_string(l->source));
			}
			json_object_set_new(o, "name_vi",
					    json_string(wwtp_glossary_name(p->name, "vi")));
			json_object_set_new(o, "name_en",
					    json_string(wwtp_glossary_name(p->name, "en")));
			json_array_append_new(out, o);
		}
	}
	pthread_mutex_unlock(&m->lock);
	return out;
}

#define FLAG_HISTORY_MAX 64

json_t *wwtp_monitor_flags_json(struct wwtp_monitor *m, const char *id, int64_t now_ms, int *found)
{
	struct wwtp_flag_episode *ep = calloc(FLAG_HISTORY_MAX, sizeof(*ep));
	json_t *out = NULL;
	int64_t end = wwtp_mon_hour_of(now_ms);

	*found = 0;
	pthread_mutex_lock(&m->lock);
	const struct mon_station *s = wwtp_mon_find(m, id);
	int n = s && ep ? wwtp_flag_history(&m->cfg, s->params, s->nparams, s->design_m3d,
					    &s->hourly, end, ep, FLAG_HISTORY_MAX)
			: -1;
	*found = s != NULL;
	if (s && n >= 0) {
		json_t *list = json_array();
		out = json_object();
		json_object_set_new(out, "station", json_string(s->id));
		json_object_set_new(out, "window_h", json_integer(m->cfg.window_h));
		/* The ring's first complete window: what is older is not known. */
		json_object_set_new(
		    out, "known_from",
		    wwtp_mon_time_json((end - (int64_t)s->hourly.nhours + 2) * 3600000LL));
		json_object_set_new(out, "flagged", json_boolean(s->nreasons > 0));
		json_object_set_new(out, "flagged_since", wwtp_mon_time_json(s->flagged_since_ms));
		for (int i = n - 1; i >= 0; i--) {
			const struct wwtp_flag_episode *x = &ep[i];
			json_t *o = json_object(), *why = json_array();
			json_object_set_new(o, "raised",
					    wwtp_mon_time_json(x->raised_hour * 3600000LL));
			json_object_set_new(o, "cleared",
					    x->cleared_hour < 0
						? json_null()
						: wwtp_mon_time_json(x->cleared_hour * 3600000LL));
			json_object_set_new(o, "state",
					    json_string(x->cleared_hour < 0 ? "open" : "closed"));
			json_object_set_new(
			    o, "hours",
			    json_integer((x->cleared_hour < 0 ? end : x->cleared_hour) -
					 x->raised_hour));
			json_object_set_new(o, "from_start", json_boolean(x->from_start));
			for (size_t r = 0; r < x->nreasons; r++)
				json_array_append_new(
				    why,
				    reason_json(&x->reasons[r], unit_of(s, x->reasons[r].param)));
			json_object_set_new(o, "reasons", why);
			json_array_append_new(list, o);
		}
		json_object_set_new(out, "episodes", list);
	}
	pthread_mutex_unlock(&m->lock);
	free(ep);
	return out;
}
