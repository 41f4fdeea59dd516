/* judge.c - the collector's evaluators, their events and their log lines
 * (see judge.h). */
#include "judge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../compliance/limits.h"
#include "../compliance/plausibility.h"
#include "../util/err.h"
#include "../util/log.h"

#define MOD "alert"

struct param_info {
	const struct wwtp_point *point;
	const struct wwtp_device *device;
	struct wwtp_plaus_state plaus; /* what the plausibility checks remember */
	char fault_reason[96];	       /* the last fault reading's reason */
};

struct kept {
	struct wwtp_alert_event e;
	int of_device; /* from the device evaluator: e.param is a device name */
};

struct wwtp_judge {
	const struct wwtp_station *st;
	struct wwtp_eval *params;  /* the station's params, with its limits */
	struct wwtp_eval *devices; /* one "param" per device: answered or not */
	struct param_info *info;   /* by param, in the order given to params */
	size_t nparams;
	struct wwtp_verdict *verdicts; /* one per point of the largest device */
	size_t nverdicts;
	struct wwtp_alert_event *scratch; /* what one feed or tick writes */
	size_t nscratch;
	struct kept *kept; /* events not flushed yet */
	size_t nkept, cap;
	struct wwtp_complain feed_complain;
	struct wwtp_complain full_complain;
};

static struct param_info *info_of(const struct wwtp_judge *j, const char *param)
{
	for (size_t i = 0; i < j->nparams; i++)
		if (strcmp(j->info[i].point->param, param) == 0)
			return &j->info[i];
	return NULL;
}

static const struct wwtp_device *device_named(const struct wwtp_judge *j, const char *name)
{
	for (size_t i = 0; i < j->st->ndevices; i++)
		if (strcmp(j->st->devices[i].name, name) == 0)
			return &j->st->devices[i];
	return NULL;
}

/* ---- log lines ---- */

/* "1h", "24h", "10min", "90s": the window as people say it. */
static void window_label(char *buf, size_t n, int s)
{
	if (s % 3600 == 0)
		snprintf(buf, n, "%dh", s / 3600);
	else if (s % 60 == 0)
		snprintf(buf, n, "%dmin", s / 60);
	else
		snprintf(buf, n, "%ds", s);
}

static void duration_label(char *buf, size_t n, int64_t ms)
{
	long long s = ms / 1000;
	if (s < 10)
		snprintf(buf, n, "%.1f s", (double)ms / 1000.0); /* short faults happen */
	else if (s < 120)
		snprintf(buf, n, "%lld s", s);
	else if (s < 7200)
		snprintf(buf, n, "%lld min", s / 60);
	else
		snprintf(buf, n, "%lld h %02lld min", s / 3600, (s / 60) % 60);
}

/* "5.5-9", ">= 2", "<= 9": a range limit as people write it. */
static void range_label(char *buf, size_t n, const struct wwtp_limit *l)
{
	double lo = l ? l->cmax_min : NAN, hi = l ? l->cmax_max : NAN;
	if (isfinite(lo) && isfinite(hi))
		snprintf(buf, n, "%g-%g", lo, hi);
	else if (isfinite(lo))
		snprintf(buf, n, ">= %g", lo);
	else if (isfinite(hi))
		snprintf(buf, n, "<= %g", hi);
	else
		snprintf(buf, n, "its range");
}

/* " mg/L", or "" for no unit and for pH's "-". */
static const char *unit_sfx(char *buf, size_t n, const char *unit)
{
	if (!unit || !unit[0] || strcmp(unit, "-") == 0 || strcmp(unit, "pH") == 0)
		buf[0] = '\0';
	else
		snprintf(buf, n, " %s", unit);
	return buf;
}

/* The sentence of an event, e.g. "cod 1h average 212.4 mg/L exceeds Cmax
 * 148.5 (1.43 times)". */
static void describe(const struct wwtp_judge *j, const struct kept *k,
		     const struct wwtp_alert_about *about, char *buf, size_t n)
{
	const struct wwtp_alert_event *e = &k->e;
	int up = e->edge == WWTP_ALERT_RAISED;
	char win[16], u[WWTP_UNIT_MAX + 2], dur[32];
	const char *p = about->param ? about->param : "";
	const char *dev = about->device ? about->device : "?";

	window_label(win, sizeof(win), e->window_s);
	unit_sfx(u, sizeof(u), about->unit);
	duration_label(dur, sizeof(dur), (up ? e->start_ms : e->end_ms) - e->since_ms);
	switch (e->kind) {
	case WWTP_ALERT_EXCEEDANCE:
		snprintf(buf, n, "%s %s average %.4g%s %s Cmax %.4g (%.2f times)", p, win, e->value,
			 u, up ? "exceeds" : "is back under", e->limit, e->ratio);
		break;
	case WWTP_ALERT_RANGE: {
		char range[64];
		range_label(range, sizeof(range), wwtp_limits_find(j->st->limits, p));
		if (up)
			snprintf(buf, n, "%s %s average %.4g%s is %s %.4g (%.2f times outside %s)",
				 p, win, e->value, u,
				 e->value < e->limit ? "below the minimum" : "above the maximum",
				 e->limit, e->ratio, range);
		else
			snprintf(buf, n, "%s %s average %.4g%s is back inside %s", p, win, e->value,
				 u, range);
		break;
	}
	case WWTP_ALERT_AVAILABILITY:
		snprintf(buf, n,
			 up ? "%s %s availability %.2f is below the minimum %.2f: its average is "
			      "not judged"
			    : "%s %s availability is back to %.2f (minimum %.2f)",
			 p, win, e->value, e->limit);
		break;
	case WWTP_ALERT_FAULT: {
		/* A Modbus exception is a fault too, but the instrument said
		 * nothing of itself: say what was said. */
		const struct param_info *pi = info_of(j, p);
		const char *why = pi ? pi->fault_reason : "";
		if (up && why[0] && strcmp(why, "instrument reports a fault") != 0)
			snprintf(buf, n, "%s: cannot be read: %s (device %s)", p, why, dev);
		else if (up)
			snprintf(buf, n, "%s: the instrument reports a fault (device %s)", p, dev);
		else
			snprintf(buf, n,
				 "%s: the instrument is ok again after %s in fault (device %s)", p,
				 dur, dev);
		break;
	}
	case WWTP_ALERT_CALIBRATION:
		snprintf(buf, n,
			 up ? "%s: calibrating for %.0f s, longer than %.0f s (device %s)"
			    : "%s: calibration over after %.0f s (limit %.0f s, device %s)",
			 p, e->value, e->limit, dev);
		break;
	case WWTP_ALERT_SUSPECT:
		if (up)
			snprintf(buf, n,
				 "%s: %.6g%s fails the %s check (device %s): not counted in the "
				 "averages (docs/plausibility.md)",
				 p, e->value, u, wwtp_suspect_name(e->suspect), dev);
		else
			snprintf(buf, n, "%s: plausible again after %s (device %s)", p, dur, dev);
		break;
	case WWTP_ALERT_OFFLINE:
		if (up)
			snprintf(buf, n, "device %s: no answer for %.0f s (offline after %.0f s)",
				 dev, e->value, e->limit);
		else
			snprintf(buf, n, "device %s answers again after %s offline", dev, dur);
		break;
	default:
		snprintf(buf, n, "%s: %s", p, wwtp_alert_kind_name(e->kind));
	}
}

static void about_of(const struct wwtp_judge *j, const struct kept *k, struct wwtp_alert_about *a)
{
	memset(a, 0, sizeof(*a));
	if (k->of_device) {
		const struct wwtp_device *d = device_named(j, k->e.param);
		a->device = d ? d->name : k->e.param;
		return;
	}
	const struct param_info *pi = info_of(j, k->e.param);
	a->param = k->e.param;
	a->device = pi ? pi->device->name : NULL;
	/* Only these kinds have value and limit in the param's unit: the
	 * others count seconds or a share of readings. A limit's unit is the
	 * regulation's; a fault's value is the instrument's. */
	if (k->e.kind == WWTP_ALERT_EXCEEDANCE || k->e.kind == WWTP_ALERT_RANGE)
		a->unit = k->e.unit[0] ? k->e.unit : (pi ? pi->point->unit : NULL);
	else if ((k->e.kind == WWTP_ALERT_FAULT || k->e.kind == WWTP_ALERT_SUSPECT) &&
		 isfinite(k->e.value) && pi)
		a->unit = pi->point->unit;
}

static void log_event(const struct wwtp_judge *j, const struct kept *k)
{
	struct wwtp_alert_about a;
	char text[400];

	about_of(j, k, &a);
	describe(j, k, &a, text, sizeof(text));
	if (k->e.edge == WWTP_ALERT_RAISED)
		LOG_WARN(MOD, "%s alert raised: %s [%s]", wwtp_alert_kind_name(k->e.kind), text,
			 k->e.id);
	else
		LOG_INFO(MOD, "%s alert cleared: %s [%s]", wwtp_alert_kind_name(k->e.kind), text,
			 k->e.id);
}

/* ---- events ---- */

static void keep(struct wwtp_judge *j, const struct wwtp_alert_event *ev, int n, int of_device)
{
	for (int i = 0; i < n; i++) {
		/* A param's offline alert repeats its device's: dropped. */
		if (!of_device && ev[i].kind == WWTP_ALERT_OFFLINE)
			continue;
		if (j->nkept == j->cap) {
			/* Cannot happen with the caller flushing after each sample and
			 * tick (cap holds the most one of them can make). */
			wwtp_complain(&j->full_complain, WWTP_LOG_ERROR, MOD,
				      "too many alert events at once: %s dropped", ev[i].id);
			continue;
		}
		struct kept *k = &j->kept[j->nkept++];
		k->e = ev[i];
		k->of_device = of_device;
		log_event(j, k);
	}
}

static void feed_failed(struct wwtp_judge *j, const char *what, const char *name, int rc)
{
	/* WWTP_ERR_INVAL here is a reading older than the last one: the wall
	 * clock went back (NTP step). Its value is not judged. */
	wwtp_complain(&j->feed_complain, WWTP_LOG_WARN, MOD, "%s %s not evaluated: %s%s", what,
		      name, wwtp_strerror(rc),
		      rc == WWTP_ERR_INVAL ? " (older than the previous reading: clock went back?)"
					   : "");
}

/* Runs the point's plausibility checks on an ok reading with a value. A
 * reading older than the last one checked (the clock went back) is not
 * checked: its order would make a step of nothing. */
static int check_plausible(struct wwtp_judge *j, const struct wwtp_reading *r, int64_t ts_ms)
{
	struct param_info *pi = info_of(j, r->point->param);
	if (!pi || r->status != WWTP_READING_OK || !r->has_value || !isfinite(r->value))
		return WWTP_SUSPECT_NONE;
	if (pi->plaus.has_ref && ts_ms < pi->plaus.ref_ts)
		return WWTP_SUSPECT_NONE;
	return wwtp_plaus_check(&pi->point->plaus, &pi->plaus, ts_ms, r->value);
}

void wwtp_judge_explain(const struct wwtp_judge *j, const struct wwtp_reading *r, int64_t ts_ms,
			char *buf, size_t n)
{
	const struct param_info *pi = info_of(j, r->point->param);
	const struct wwtp_plaus *b = &r->point->plaus;
	char range[64], u[WWTP_UNIT_MAX + 2], dur[32];

	buf[0] = '\0';
	if (!pi || !r->suspect)
		return;
	unit_sfx(u, sizeof(u), r->point->unit);
	switch (r->suspect) {
	case WWTP_SUSPECT_RANGE:
		wwtp_plaus_range_label(b, range, sizeof(range));
		snprintf(buf, n, "%s %.6g%s is outside %s (what the instrument can read)",
			 r->point->param, r->value, u, range);
		break;
	case WWTP_SUSPECT_STEP:
		snprintf(buf, n, "%s %.6g%s jumped more than %g from %.6g (a spike?)",
			 r->point->param, r->value, u, b->step, pi->plaus.ref);
		break;
	case WWTP_SUSPECT_FLATLINE:
		duration_label(dur, sizeof(dur), wwtp_plaus_flat_ms(&pi->plaus, ts_ms));
		snprintf(buf, n, "%s %.6g%s unchanged (within %g) for %s: frozen instrument?",
			 r->point->param, r->value, u, b->resolution, dur);
		break;
	default:
		break;
	}
}

const struct wwtp_verdict *wwtp_judge_sample(struct wwtp_judge *j, struct wwtp_sample *s)
{
	int all_offline = s->nreadings > 0;

	for (size_t i = 0; i < s->nreadings && i < j->nverdicts; i++) {
		struct wwtp_reading *r = &s->readings[i];
		const char *param = r->point->param;
		r->suspect = check_plausible(j, r, s->ts_ms);
		struct param_info *pi = info_of(j, param);
		if (pi && r->status == WWTP_READING_FAULT)
			snprintf(pi->fault_reason, sizeof(pi->fault_reason), "%s", r->reason);
		int n = wwtp_eval_feed_checked(j->params, param, s->ts_ms, r->status, r->has_value,
					       r->value, r->suspect, j->scratch, j->nscratch);
		if (n < 0)
			feed_failed(j, "reading of", param, n);
		else
			keep(j, j->scratch, n, 0);
		if (r->status != WWTP_READING_OFFLINE)
			all_offline = 0;
		if (wwtp_eval_get(j->params, param, &j->verdicts[i]) != 0)
			j->verdicts[i].param[0] = '\0';
	}
	int n = wwtp_eval_feed(j->devices, s->device->name, s->ts_ms,
			       all_offline ? WWTP_READING_OFFLINE : WWTP_READING_OK, 0, NAN,
			       j->scratch, j->nscratch);
	if (n < 0)
		feed_failed(j, "poll of device", s->device->name, n);
	else
		keep(j, j->scratch, n, 1);

	struct wwtp_verdict dv;
	int offline = wwtp_eval_get(j->devices, s->device->name, &dv) == 0 && dv.offline_alert;
	for (size_t i = 0; i < s->nreadings && i < j->nverdicts; i++)
		j->verdicts[i].offline_alert = offline;
	return j->verdicts;
}

void wwtp_judge_tick(struct wwtp_judge *j, int64_t now_ms)
{
	int n = wwtp_eval_tick(j->params, now_ms, j->scratch, j->nscratch);
	if (n >= 0)
		keep(j, j->scratch, n, 0);
	n = wwtp_eval_tick(j->devices, now_ms, j->scratch, j->nscratch);
	if (n >= 0)
		keep(j, j->scratch, n, 1);
}

void wwtp_judge_flush(struct wwtp_judge *j, wwtp_alert_cb cb, void *ctx)
{
	for (size_t i = 0; i < j->nkept; i++) {
		struct wwtp_alert_about a;
		about_of(j, &j->kept[i], &a);
		if (cb)
			cb(&j->kept[i].e, &a, ctx);
	}
	j->nkept = 0;
}

/* ---- life ---- */

static size_t max_of(size_t a, size_t b)
{
	return a > b ? a : b;
}

struct wwtp_judge *wwtp_judge_new(const struct wwtp_station *st)
{
	struct wwtp_judge *j = calloc(1, sizeof(*j));
	struct wwtp_eval_param *pp = NULL, *dp = NULL;
	size_t np = 0, maxpts = 1;
	int rc = WWTP_ERR_NOMEM;

	if (!j)
		goto fail;
	j->st = st;
	j->feed_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	j->full_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	for (size_t i = 0; i < st->ndevices; i++) {
		np += st->devices[i].npoints;
		maxpts = max_of(maxpts, st->devices[i].npoints);
	}
	pp = calloc(np + 1, sizeof(*pp));
	dp = calloc(st->ndevices + 1, sizeof(*dp));
	j->info = calloc(np + 1, sizeof(*j->info));
	j->verdicts = calloc(maxpts, sizeof(*j->verdicts));
	if (!pp || !dp || !j->info || !j->verdicts)
		goto fail;
	j->nverdicts = maxpts;
	for (size_t i = 0; i < st->ndevices; i++) {
		const struct wwtp_device *d = &st->devices[i];
		dp[i] = (struct wwtp_eval_param){d->name, d->interval_ms};
		for (size_t k = 0; k < d->npoints; k++) {
			pp[j->nparams] =
			    (struct wwtp_eval_param){d->points[k].param, d->interval_ms};
			j->info[j->nparams++] =
			    (struct param_info){.point = &d->points[k], .device = d};
		}
	}
	rc = wwtp_eval_new(st->id, st->limits, st->evaluation, pp, j->nparams, &j->params);
	if (rc)
		goto fail;
	/* Liveness needs no averages: one bucket-wide window keeps the device
	 * evaluator small; the offline rule is the station's. */
	struct wwtp_eval_config dcfg;
	if (st->evaluation)
		dcfg = *st->evaluation;
	else
		wwtp_eval_config_default(&dcfg);
	dcfg.nwindows = 1;
	dcfg.windows_s[0] = dcfg.bucket_s;
	rc = wwtp_eval_new(st->id, NULL, &dcfg, dp, st->ndevices, &j->devices);
	if (rc)
		goto fail;

	size_t tick_max =
	    wwtp_eval_tick_events_max(j->params) + wwtp_eval_tick_events_max(j->devices);
	size_t sample_max = (maxpts + 1) * WWTP_EVAL_FEED_EVENTS_MAX;
	j->nscratch = max_of(
	    max_of(wwtp_eval_tick_events_max(j->params), wwtp_eval_tick_events_max(j->devices)),
	    WWTP_EVAL_FEED_EVENTS_MAX);
	j->scratch = calloc(j->nscratch, sizeof(*j->scratch));
	j->cap = max_of(tick_max, sample_max);
	j->kept = calloc(j->cap, sizeof(*j->kept));
	rc = WWTP_ERR_NOMEM;
	if (!j->scratch || !j->kept)
		goto fail;
	free(pp);
	free(dp);
	size_t judged = 0;
	for (size_t i = 0; i < j->nparams; i++) {
		const struct wwtp_limit *l = wwtp_limits_find(st->limits, j->info[i].point->param);
		judged += l && l->has_limit;
	}
	if (st->limits)
		LOG_INFO(MOD, "station %s: %zu of %zu params judged against %s column %s", st->id,
			 judged, j->nparams, st->limits->regulation, st->limits->column);
	else
		LOG_INFO(MOD,
			 "station %s: no limits group, nothing judged (fault, calibration and "
			 "offline alerts only)",
			 st->id);
	return j;
fail:
	LOG_ERROR(MOD, "cannot set up the evaluation of station %s: %s", st->id, wwtp_strerror(rc));
	free(pp);
	free(dp);
	wwtp_judge_free(j);
	return NULL;
}

void wwtp_judge_free(struct wwtp_judge *j)
{
	if (!j)
		return;
	wwtp_eval_free(j->params);
	wwtp_eval_free(j->devices);
	free(j->info);
	free(j->verdicts);
	free(j->scratch);
	free(j->kept);
	free(j);
}
