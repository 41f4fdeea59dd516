/* evaluator.c - rolling windows, availability and alerts (see evaluator.h).
 * Pure: no I/O, no clock, no allocation after wwtp_eval_new(). */
#include "evaluator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/reading.h"
#include "../util/err.h"

/* Availability is a ratio of counts; this absorbs the rounding of
 * count / (window / interval) so that 45 of 60 is exactly 0.75. */
#define AVAIL_EPS 1e-9

/* 16 bytes, not 24: a station's rings are most of the collector's heap
 * (40 parameters x a day of minutes). A slot is ring[idx mod nring]; it
 * holds bucket idx when its lap is idx / nring (mod 2^32: a stale slot
 * could match again only 2^32 laps, over a century, later). An unused
 * slot is all zero: whichever bucket it is taken for, it adds nothing. */
struct bucket {
	double sum;   /* of ok values */
	uint32_t lap; /* (uint32_t)floor(idx / nring) */
	uint32_t n;   /* ok values */
};

struct alert_state {
	int active;
	int64_t start_ms, since_ms;
	char id[WWTP_ALERT_ID_MAX];
};

struct pstate {
	char param[WWTP_ID_MAX];
	char unit[WWTP_UNIT_MAX];
	int has_limit, is_range;
	double lo, hi; /* effective bounds; NaN when none */
	int64_t interval_ms, offline_after_ms;
	struct bucket *ring;
	size_t nring;

	int64_t last_ts; /* last reading; valid when seen */
	int seen;
	int last_status;
	int has_instant;
	double instant;
	int64_t eval_ts; /* last evaluation; valid when evaluated */
	int evaluated;

	int fault_run;	 /* consecutive fault readings */
	int suspect_run; /* consecutive suspect ok readings */
	int64_t suspect_since;
	int last_suspect, suspect_kind;
	int64_t fault_since, calib_since, offline_since; /* -1: not in such a run */

	struct alert_state exceed[WWTP_EVAL_WINDOWS_MAX], avail[WWTP_EVAL_WINDOWS_MAX];
	struct alert_state fault, calib, offline, suspect;
	struct wwtp_window_verdict win[WWTP_EVAL_WINDOWS_MAX];
};

struct wwtp_eval {
	char station[WWTP_ID_MAX];
	struct wwtp_eval_config cfg;
	int64_t bucket_ms;
	int64_t t0; /* first time given to feed or tick */
	int started;
	size_t n;
	struct pstate *ps;
	size_t memory;
};

struct out {
	struct wwtp_alert_event *ev;
	size_t n, max;
};

/* ---- configuration ---- */

void wwtp_eval_config_default(struct wwtp_eval_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->windows_s[0] = 3600;
	cfg->windows_s[1] = 86400;
	cfg->nwindows = 2;
	cfg->min_availability = WWTP_EVAL_DEFAULT_MIN_AVAILABILITY;
	cfg->availability_margin = WWTP_EVAL_DEFAULT_AVAILABILITY_MARGIN;
	cfg->hysteresis = WWTP_EVAL_DEFAULT_HYSTERESIS;
	cfg->calibration_max_s = WWTP_EVAL_DEFAULT_CALIBRATION_MAX_S;
	cfg->offline_after_s = 0;
	cfg->fault_after = WWTP_EVAL_DEFAULT_FAULT_AFTER;
	cfg->bucket_s = WWTP_EVAL_DEFAULT_BUCKET_S;
}

int wwtp_eval_config_check(const struct wwtp_eval_config *cfg)
{
	if (cfg->nwindows < 1 || cfg->nwindows > WWTP_EVAL_WINDOWS_MAX)
		return WWTP_ERR_INVAL;
	if (cfg->bucket_s < 1 || cfg->bucket_s > 3600)
		return WWTP_ERR_INVAL;
	for (size_t i = 0; i < cfg->nwindows; i++) {
		int w = cfg->windows_s[i];
		if (w < cfg->bucket_s || w % cfg->bucket_s != 0 ||
		    w / cfg->bucket_s > WWTP_EVAL_BUCKETS_MAX)
			return WWTP_ERR_INVAL;
		if (i > 0 && w <= cfg->windows_s[i - 1])
			return WWTP_ERR_INVAL;
	}
	if (!(cfg->min_availability >= 0 && cfg->min_availability <= 1) ||
	    !(cfg->availability_margin >= 0 && cfg->availability_margin <= 0.5) ||
	    !(cfg->hysteresis >= 0 && cfg->hysteresis < 1))
		return WWTP_ERR_INVAL;
	if (cfg->calibration_max_s < 1 || cfg->offline_after_s < 0 || cfg->fault_after < 1)
		return WWTP_ERR_INVAL;
	return 0;
}

const char *wwtp_alert_kind_priority(int kind)
{
	switch (kind) {
	case WWTP_ALERT_EXCEEDANCE:
	case WWTP_ALERT_RANGE:
		return "high";
	case WWTP_ALERT_FAULT:
	case WWTP_ALERT_CALIBRATION:
		return "low";
	default:
		return "medium";
	}
}

const char *wwtp_alert_kind_name(int kind)
{
	switch (kind) {
	case WWTP_ALERT_EXCEEDANCE:
		return "exceedance";
	case WWTP_ALERT_RANGE:
		return "range";
	case WWTP_ALERT_FAULT:
		return "fault";
	case WWTP_ALERT_CALIBRATION:
		return "calibration";
	case WWTP_ALERT_OFFLINE:
		return "offline";
	case WWTP_ALERT_AVAILABILITY:
		return "availability";
	case WWTP_ALERT_SUSPECT:
		return "suspect_data";
	default:
		return "unknown";
	}
}

const char *wwtp_alert_edge_name(int edge)
{
	return edge == WWTP_ALERT_RAISED ? "raised" : edge == WWTP_ALERT_CLEARED ? "cleared" : "?";
}

/* ---- construction ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static size_t floor_mod(int64_t a, size_t b)
{
	int64_t r = a % (int64_t)b;
	return (size_t)(r < 0 ? r + (int64_t)b : r);
}
static uint32_t lap_of(int64_t idx, size_t nring)
{
	return (uint32_t)floor_div(idx, (int64_t)nring);
}

int wwtp_eval_new(const char *station, const struct wwtp_limits_table *limits,
		  const struct wwtp_eval_config *cfg, const struct wwtp_eval_param *params,
		  size_t n, struct wwtp_eval **out)
{
	struct wwtp_eval_config def;

	*out = NULL;
	if (!cfg) {
		wwtp_eval_config_default(&def);
		cfg = &def;
	}
	if (!station || strlen(station) >= WWTP_ID_MAX || wwtp_eval_config_check(cfg) != 0 ||
	    (n > 0 && !params))
		return WWTP_ERR_INVAL;
	for (size_t i = 0; i < n; i++) {
		if (!params[i].param || !params[i].param[0] ||
		    strlen(params[i].param) >= WWTP_ID_MAX || params[i].interval_ms <= 0)
			return WWTP_ERR_INVAL;
		for (size_t k = 0; k < i; k++)
			if (strcmp(params[i].param, params[k].param) == 0)
				return WWTP_ERR_INVAL;
	}

	struct wwtp_eval *ev = calloc(1, sizeof *ev);
	if (!ev)
		return WWTP_ERR_NOMEM;
	snprintf(ev->station, sizeof ev->station, "%s", station);
	ev->cfg = *cfg;
	ev->bucket_ms = (int64_t)cfg->bucket_s * 1000;
	ev->n = n;
	ev->memory = sizeof *ev;
	ev->ps = calloc(n ? n : 1, sizeof *ev->ps);
	if (!ev->ps) {
		free(ev);
		return WWTP_ERR_NOMEM;
	}
	ev->memory += (n ? n : 1) * sizeof *ev->ps;
	/* One ring serves every window: it holds the longest one. */
	size_t nring = (size_t)(cfg->windows_s[cfg->nwindows - 1] / cfg->bucket_s);
	for (size_t i = 0; i < n; i++) {
		struct pstate *ps = &ev->ps[i];
		const struct wwtp_limit *lim = wwtp_limits_find(limits, params[i].param);

		snprintf(ps->param, sizeof ps->param, "%s", params[i].param);
		ps->lo = ps->hi = NAN;
		if (lim) {
			snprintf(ps->unit, sizeof ps->unit, "%s", lim->unit);
			if (lim->has_limit) {
				ps->has_limit = 1;
				ps->lo = lim->cmax_min;
				ps->hi = lim->cmax_max;
				ps->is_range = isfinite(ps->lo);
			}
		}
		ps->interval_ms = params[i].interval_ms;
		if (cfg->offline_after_s > 0) {
			ps->offline_after_ms = (int64_t)cfg->offline_after_s * 1000;
		} else {
			ps->offline_after_ms = 3 * ps->interval_ms;
			if (ps->offline_after_ms < WWTP_EVAL_OFFLINE_MIN_S * 1000LL)
				ps->offline_after_ms = WWTP_EVAL_OFFLINE_MIN_S * 1000LL;
		}
		ps->fault_since = ps->calib_since = ps->offline_since = -1;
		ps->last_status = -1;
		ps->instant = NAN;
		ps->ring = malloc(nring * sizeof *ps->ring);
		if (!ps->ring) {
			wwtp_eval_free(ev);
			return WWTP_ERR_NOMEM;
		}
		ev->memory += nring * sizeof *ps->ring;
		ps->nring = nring;
		for (size_t k = 0; k < nring; k++) {
			ps->ring[k].lap = 0;
			ps->ring[k].sum = 0;
			ps->ring[k].n = 0;
		}
		for (size_t w = 0; w < cfg->nwindows; w++) {
			ps->win[w].window_s = cfg->windows_s[w];
			ps->win[w].average = NAN;
			ps->win[w].ratio = NAN;
		}
	}
	*out = ev;
	return 0;
}

void wwtp_eval_free(struct wwtp_eval *ev)
{
	if (!ev)
		return;
	for (size_t i = 0; i < ev->n; i++)
		free(ev->ps[i].ring);
	free(ev->ps);
	free(ev);
}

static struct pstate *find(const struct wwtp_eval *ev, const char *param)
{
	for (size_t i = 0; param && i < ev->n; i++)
		if (strcmp(ev->ps[i].param, param) == 0)
			return &ev->ps[i];
	return NULL;
}

/* ---- events ---- */

static void raise_alert(const struct wwtp_eval *ev, const struct pstate *ps, struct alert_state *a,
			int kind, int window_s, int64_t t, int64_t since, double value,
			double limit, double ratio, struct out *o)
{
	a->active = 1;
	a->start_ms = t;
	a->since_ms = since;
	snprintf(a->id, sizeof a->id, "%s:%s:%s:%d:%lld", ev->station, ps->param,
		 wwtp_alert_kind_name(kind), window_s, (long long)t);
	if (o->n >= o->max)
		return; /* cannot happen: callers checked the room first */
	struct wwtp_alert_event *e = &o->ev[o->n++];
	memset(e, 0, sizeof *e);
	e->edge = WWTP_ALERT_RAISED;
	e->kind = kind;
	memcpy(e->id, a->id, sizeof e->id);
	memcpy(e->station, ev->station, sizeof e->station);
	memcpy(e->param, ps->param, sizeof e->param);
	memcpy(e->unit, ps->unit, sizeof e->unit);
	e->window_s = window_s;
	e->value = value;
	e->limit = limit;
	e->ratio = ratio;
	e->start_ms = t;
	e->end_ms = 0;
	e->since_ms = since;
}

static void clear_alert(const struct wwtp_eval *ev, const struct pstate *ps, struct alert_state *a,
			int kind, int window_s, int64_t t, double value, double limit, double ratio,
			struct out *o)
{
	a->active = 0;
	if (o->n >= o->max)
		return;
	struct wwtp_alert_event *e = &o->ev[o->n++];
	memset(e, 0, sizeof *e);
	e->edge = WWTP_ALERT_CLEARED;
	e->kind = kind;
	memcpy(e->id, a->id, sizeof e->id);
	memcpy(e->station, ev->station, sizeof e->station);
	memcpy(e->param, ps->param, sizeof e->param);
	memcpy(e->unit, ps->unit, sizeof e->unit);
	e->window_s = window_s;
	e->value = value;
	e->limit = limit;
	e->ratio = ratio;
	e->start_ms = a->start_ms;
	e->end_ms = t;
	e->since_ms = a->since_ms;
}

/* ---- windows ---- */

/* How many times outside the limits avg is: > 1 outside, <= 1 inside.
 * Above: avg / max. Below a lower bound: min / avg. */
static double ratio_of(const struct pstate *ps, double avg)
{
	double r = NAN;
	if (isfinite(ps->hi) && ps->hi > 0)
		r = avg / ps->hi;
	if (isfinite(ps->lo) && ps->lo > 0) {
		if (avg <= 0)
			return NAN;
		double rl = ps->lo / avg;
		if (isnan(r) || rl > r)
			r = rl;
	}
	return r;
}

static int outside(const struct pstate *ps, double avg)
{
	return (isfinite(ps->hi) && avg > ps->hi) || (isfinite(ps->lo) && avg < ps->lo);
}

/* Back inside by the hysteresis margin on every side that has a bound. */
static int clearly_inside(const struct pstate *ps, double avg, double h)
{
	if (isfinite(ps->hi) && !(avg < ps->hi * (1 - h)))
		return 0;
	if (isfinite(ps->lo) && !(avg > ps->lo * (1 + h)))
		return 0;
	return 1;
}

static void evaluate(struct wwtp_eval *ev, struct pstate *ps, int64_t t, struct out *o)
{
	const struct wwtp_eval_config *cfg = &ev->cfg;
	int64_t cur = floor_div(t, ev->bucket_ms);
	int64_t first = floor_div(ev->t0, ev->bucket_ms);

	ps->eval_ts = t;
	ps->evaluated = 1;
	for (size_t w = 0; w < cfg->nwindows; w++) {
		struct wwtp_window_verdict *v = &ps->win[w];
		int64_t nb = cfg->windows_s[w] / cfg->bucket_s;
		int64_t oldest = cur - nb + 1;
		double sum = 0;
		uint64_t count = 0;

		/* Walk the window's bucket numbers, not the ring: a slot counts only
		 * if it still holds that bucket (older data left in a slot whose
		 * bucket was never refilled is ignored). */
		for (int64_t b = oldest; b <= cur; b++) {
			const struct bucket *bk = &ps->ring[floor_mod(b, ps->nring)];
			if (bk->lap == lap_of(b, ps->nring)) {
				sum += bk->sum;
				count += bk->n;
			}
		}
		v->count = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count;
		v->average = count ? sum / (double)count : NAN;
		v->expected = (double)cfg->windows_s[w] * 1000.0 / (double)ps->interval_ms;
		v->availability = (double)count / v->expected;
		if (v->availability > 1)
			v->availability = 1;
		v->judged = count > 0 && v->availability + AVAIL_EPS >= cfg->min_availability;
		v->exceeds = 0;
		v->ratio = NAN;
		if (ps->has_limit && v->judged) {
			v->ratio = ratio_of(ps, v->average);
			v->exceeds = outside(ps, v->average);
		}

		/* Exceedance, with hysteresis. An unjudged window changes nothing:
		 * missing data neither proves nor disproves compliance. */
		int kind = ps->is_range ? WWTP_ALERT_RANGE : WWTP_ALERT_EXCEEDANCE;
		struct alert_state *a = &ps->exceed[w];
		if (ps->has_limit && v->judged) {
			/* The bound crossed, or the one nearest to being crossed. */
			double bound = ps->hi;
			if (isfinite(ps->lo) &&
			    (!isfinite(ps->hi) || v->average < ps->lo ||
			     (v->average <= ps->hi && ps->lo / v->average > v->average / ps->hi)))
				bound = ps->lo;
			if (!a->active && v->exceeds)
				raise_alert(ev, ps, a, kind, v->window_s, t, t, v->average, bound,
					    v->ratio, o);
			else if (a->active && clearly_inside(ps, v->average, cfg->hysteresis))
				clear_alert(ev, ps, a, kind, v->window_s, t, v->average, bound,
					    v->ratio, o);
		}
		v->alert = a->active;

		/* Availability, once the window lies wholly after the first input. */
		struct alert_state *av = &ps->avail[w];
		int warm = oldest >= first;
		double avr =
		    cfg->min_availability > 0 ? v->availability / cfg->min_availability : NAN;
		if (ps->has_limit && !av->active && warm &&
		    v->availability + AVAIL_EPS < cfg->min_availability)
			raise_alert(ev, ps, av, WWTP_ALERT_AVAILABILITY, v->window_s, t, t,
				    v->availability, cfg->min_availability, avr, o);
		else if (av->active && v->availability + AVAIL_EPS >=
					   cfg->min_availability + cfg->availability_margin)
			clear_alert(ev, ps, av, WWTP_ALERT_AVAILABILITY, v->window_s, t,
				    v->availability, cfg->min_availability, avr, o);
		v->availability_alert = av->active;
	}
}

/* ---- offline ---- */

static void check_offline(struct wwtp_eval *ev, struct pstate *ps, int64_t t, struct out *o)
{
	if (ps->offline.active)
		return;
	int64_t since = ps->offline_since;
	if (since < 0) {
		/* Silence: no reading at all since the last one (or since start). */
		int64_t last = ps->seen ? ps->last_ts : ev->t0;
		if (t - last < ps->offline_after_ms)
			return;
		since = last;
		ps->offline_since = since;
	} else if (t - since < ps->offline_after_ms) {
		return;
	}
	double secs = (double)(t - since) / 1000.0;
	double lim = (double)ps->offline_after_ms / 1000.0;
	raise_alert(ev, ps, &ps->offline, WWTP_ALERT_OFFLINE, 0, t, since, secs, lim, secs / lim,
		    o);
}

/* ---- feeding ---- */

int wwtp_eval_feed(struct wwtp_eval *ev, const char *param, int64_t ts_ms, int status,
		   int has_value, double value, struct wwtp_alert_event *out, size_t max)
{
	return wwtp_eval_feed_checked(ev, param, ts_ms, status, has_value, value, 0, out, max);
}

/* suspect_data: raised after WWTP_EVAL_SUSPECT_AFTER suspect ok readings in
 * a row, cleared by a plausible ok one; other statuses leave it alone (an
 * instrument in fault or calibration says nothing of its values). */
static void check_suspect(struct wwtp_eval *ev, struct pstate *ps, int64_t ts_ms, int status,
			  int valid, double value, int suspect, struct out *o)
{
	if (status != WWTP_READING_OK || !valid)
		return;
	ps->last_suspect = suspect;
	if (suspect) {
		if (ps->suspect_run == 0)
			ps->suspect_since = ts_ms;
		if (ps->suspect_run < WWTP_EVAL_SUSPECT_AFTER)
			ps->suspect_run++;
		if (!ps->suspect.active && ps->suspect_run >= WWTP_EVAL_SUSPECT_AFTER) {
			size_t at = o->n;
			raise_alert(ev, ps, &ps->suspect, WWTP_ALERT_SUSPECT, 0, ts_ms,
				    ps->suspect_since, value, NAN, NAN, o);
			ps->suspect_kind = suspect;
			if (o->n > at)
				o->ev[at].suspect = suspect;
		}
		return;
	}
	ps->suspect_run = 0;
	if (ps->suspect.active) {
		size_t at = o->n;
		clear_alert(ev, ps, &ps->suspect, WWTP_ALERT_SUSPECT, 0, ts_ms, value, NAN, NAN, o);
		if (o->n > at)
			o->ev[at].suspect = ps->suspect_kind;
	}
}

int wwtp_eval_feed_checked(struct wwtp_eval *ev, const char *param, int64_t ts_ms, int status,
			   int has_value, double value, int suspect, struct wwtp_alert_event *out,
			   size_t max)
{
	struct out o = {out, 0, max};
	struct pstate *ps = find(ev, param);

	if (!ps)
		return WWTP_ERR_NOTFOUND;
	if (!out || max < WWTP_EVAL_FEED_EVENTS_MAX)
		return WWTP_ERR_RANGE;
	if (status < WWTP_READING_OK || status > WWTP_READING_OFFLINE)
		return WWTP_ERR_INVAL;
	if (ps->seen && ts_ms < ps->last_ts)
		return WWTP_ERR_INVAL;
	if (!ev->started) {
		ev->started = 1;
		ev->t0 = ts_ms;
	}
	int valid = has_value && isfinite(value);

	ps->seen = 1;
	ps->last_ts = ts_ms;
	ps->last_status = status;
	ps->has_instant = valid;
	ps->instant = valid ? value : NAN;

	/* A suspect value is kept as the instant one (it is what the
	 * instrument said) but never averaged. */
	if (status == WWTP_READING_OK && valid && !suspect) {
		int64_t idx = floor_div(ts_ms, ev->bucket_ms);
		struct bucket *bk = &ps->ring[floor_mod(idx, ps->nring)];
		if (bk->lap != lap_of(idx, ps->nring)) {
			bk->lap = lap_of(idx, ps->nring);
			bk->sum = 0;
			bk->n = 0;
		}
		bk->sum += value;
		if (bk->n < UINT32_MAX)
			bk->n++;
	}

	/* Offline: an answer of any kind ends it. */
	if (status == WWTP_READING_OFFLINE) {
		if (ps->offline_since < 0)
			ps->offline_since = ts_ms;
	} else {
		ps->offline_since = -1;
		if (ps->offline.active) {
			double secs = (double)(ts_ms - ps->offline.since_ms) / 1000.0;
			double lim = (double)ps->offline_after_ms / 1000.0;
			clear_alert(ev, ps, &ps->offline, WWTP_ALERT_OFFLINE, 0, ts_ms, secs, lim,
				    secs / lim, &o);
		}
	}

	/* Fault: raised after fault_after in a row; only an ok reading ends it
	 * (calibrating or silent is not yet "repaired"). */
	if (status == WWTP_READING_FAULT) {
		if (ps->fault_run == 0)
			ps->fault_since = ts_ms;
		if (ps->fault_run < ev->cfg.fault_after)
			ps->fault_run++;
		if (!ps->fault.active && ps->fault_run >= ev->cfg.fault_after)
			raise_alert(ev, ps, &ps->fault, WWTP_ALERT_FAULT, 0, ts_ms, ps->fault_since,
				    valid ? value : NAN, NAN, NAN, &o);
	} else {
		ps->fault_run = 0;
		ps->fault_since = -1;
		if (status == WWTP_READING_OK && ps->fault.active)
			clear_alert(ev, ps, &ps->fault, WWTP_ALERT_FAULT, 0, ts_ms,
				    valid ? value : NAN, NAN, NAN, &o);
	}

	/* Calibration: too long is an alert; any other status ends the run. */
	double cal_lim = (double)ev->cfg.calibration_max_s;
	if (status == WWTP_READING_CALIBRATING) {
		if (ps->calib_since < 0)
			ps->calib_since = ts_ms;
		double secs = (double)(ts_ms - ps->calib_since) / 1000.0;
		if (!ps->calib.active && secs > cal_lim)
			raise_alert(ev, ps, &ps->calib, WWTP_ALERT_CALIBRATION, 0, ts_ms,
				    ps->calib_since, secs, cal_lim, secs / cal_lim, &o);
	} else {
		if (ps->calib.active) {
			double secs = (double)(ts_ms - ps->calib.since_ms) / 1000.0;
			clear_alert(ev, ps, &ps->calib, WWTP_ALERT_CALIBRATION, 0, ts_ms, secs,
				    cal_lim, secs / cal_lim, &o);
		}
		ps->calib_since = -1;
	}

	check_suspect(ev, ps, ts_ms, status, valid, value, suspect, &o);

	/* A reading polled just before a tick may arrive after it: its value
	 * counts in its own bucket, but evaluation time never goes back, so
	 * that alert times stay in order. */
	int64_t t = (ps->evaluated && ps->eval_ts > ts_ms) ? ps->eval_ts : ts_ms;
	evaluate(ev, ps, t, &o);
	check_offline(ev, ps, t, &o);
	return (int)o.n;
}

size_t wwtp_eval_tick_events_max(const struct wwtp_eval *ev)
{
	return (ev->n ? ev->n : 1) * WWTP_EVAL_FEED_EVENTS_MAX;
}

int wwtp_eval_tick(struct wwtp_eval *ev, int64_t now_ms, struct wwtp_alert_event *out, size_t max)
{
	struct out o = {out, 0, max};

	if (!out || max < wwtp_eval_tick_events_max(ev))
		return WWTP_ERR_RANGE;
	if (!ev->started) {
		ev->started = 1;
		ev->t0 = now_ms;
	}
	for (size_t i = 0; i < ev->n; i++) {
		struct pstate *ps = &ev->ps[i];
		if ((ps->seen && now_ms < ps->last_ts) || (ps->evaluated && now_ms < ps->eval_ts))
			continue;
		evaluate(ev, ps, now_ms, &o);
		check_offline(ev, ps, now_ms, &o);
	}
	return (int)o.n;
}

/* ---- queries ---- */

int wwtp_eval_get(const struct wwtp_eval *ev, const char *param, struct wwtp_verdict *out)
{
	const struct pstate *ps = find(ev, param);
	if (!ps)
		return WWTP_ERR_NOTFOUND;
	memset(out, 0, sizeof *out);
	memcpy(out->param, ps->param, sizeof out->param);
	memcpy(out->unit, ps->unit, sizeof out->unit);
	out->has_limit = ps->has_limit;
	out->is_range = ps->is_range;
	out->cmax_min = ps->lo;
	out->cmax_max = ps->hi;
	out->ts_ms = ps->evaluated ? ps->eval_ts : 0;
	out->last_reading_ms = ps->seen ? ps->last_ts : 0;
	out->last_status = ps->last_status;
	out->has_instant = ps->has_instant;
	out->instant = ps->instant;
	out->instant_exceeds = ps->has_limit && ps->has_instant &&
			       ps->last_status == WWTP_READING_OK && outside(ps, ps->instant);
	out->nwindows = ev->cfg.nwindows;
	memcpy(out->windows, ps->win, sizeof out->windows);
	out->fault_alert = ps->fault.active;
	out->calibration_alert = ps->calib.active;
	out->offline_alert = ps->offline.active;
	out->suspect_alert = ps->suspect.active;
	out->last_suspect = ps->last_suspect;
	return 0;
}

size_t wwtp_eval_nparams(const struct wwtp_eval *ev)
{
	return ev->n;
}

const char *wwtp_eval_param_name(const struct wwtp_eval *ev, size_t i)
{
	return i < ev->n ? ev->ps[i].param : NULL;
}

size_t wwtp_eval_memory(const struct wwtp_eval *ev)
{
	return ev->memory;
}
