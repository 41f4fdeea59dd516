/* flags.c - the degraded-plant rules (see flags.h and docs/flags.md). */
#include "flags.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void wwtp_flag_cfg_default(struct wwtp_flag_cfg *c)
{
	c->window_h = 168;
	c->min_hours = 12;
	c->hour_min_ok = 0.75;
	c->compliance_min = 0.90;
	c->availability_min = 0.75;
	c->fault_max = 0.20;
	c->cod_removal_min = 0.80;
	c->nh4_removal_min = 0.70;
	c->hydraulic_max = 1.10;
	c->suspect_max = 0.20;
	c->hysteresis = 0.03;
	c->refresh_s = 10;
}

const char *wwtp_flag_rule_name(int rule)
{
	static const char *const names[WWTP_FLAG_RULES] = {
	    "compliance",  "availability",   "faults",	    "cod_removal",
	    "nh4_removal", "hydraulic_load", "suspect_data"};
	return rule >= 0 && rule < WWTP_FLAG_RULES ? names[rule] : "?";
}

static int was_raised(const struct wwtp_flag_state *st, int rule, const char *param)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->raised[i].rule == rule && strcmp(st->raised[i].param, param) == 0)
			return 1;
	return 0;
}

struct eval {
	const struct wwtp_flag_cfg *cfg;
	const struct wwtp_flag_state *old;
	struct wwtp_flag_state new_state;
	struct wwtp_flag_reason *out;
	size_t max, n;
};

/* Whether a rule instance holds: past its threshold, or still short of its
 * clearing point after being raised. low_bad: small values are the bad side. */
static int holds(struct eval *ev, int rule, const char *key, double v, double threshold,
		 int low_bad, double *clear_at)
{
	double h = ev->cfg->hysteresis;
	*clear_at = low_bad ? threshold + h : threshold - h;
	if (!isfinite(v))
		return 0;
	int bad = low_bad ? v < threshold : v > threshold;
	if (!bad && was_raised(ev->old, rule, key))
		bad = low_bad ? v < *clear_at : v > *clear_at;
	return bad;
}

/* A new reason, remembered as raised; NULL when out is full. */
static struct wwtp_flag_reason *add(struct eval *ev, int rule, const char *key, const char *param,
				    double v, double threshold, double clear_at, int hours)
{
	if (ev->n >= ev->max || ev->new_state.n >= WWTP_FLAG_REASONS_MAX)
		return NULL;
	struct wwtp_flag_reason *r = &ev->out[ev->n++];
	memset(r, 0, sizeof(*r));
	r->rule = rule;
	snprintf(r->param, sizeof(r->param), "%s", param);
	r->value = v;
	r->threshold = threshold;
	r->clear_at = clear_at;
	r->hours = hours;
	r->limit = r->cmax_min = r->cmax_max = NAN;
	r->inlet = r->outlet = r->flow_m3d = r->design_m3d = r->mean = NAN;
	ev->new_state.raised[ev->new_state.n].rule = rule;
	snprintf(ev->new_state.raised[ev->new_state.n].param, WWTP_ID_MAX, "%s", key);
	ev->new_state.n++;
	return r;
}

static double pct(double share)
{
	return share * 100.0;
}

static void limit_text(const struct wwtp_flag_param *p, char *buf, size_t n)
{
	if (p->is_range && isfinite(p->cmax_min) && isfinite(p->cmax_max))
		snprintf(buf, n, "%g-%g%s%s", p->cmax_min, p->cmax_max, p->unit[0] ? " " : "",
			 p->unit);
	else if (isfinite(p->cmax_max))
		snprintf(buf, n, "%g%s%s", p->cmax_max, p->unit[0] ? " " : "", p->unit);
	else
		snprintf(buf, n, "at least %g%s%s", p->cmax_min, p->unit[0] ? " " : "", p->unit);
}

static void compliance(struct eval *ev, const struct wwtp_flag_param *params, size_t np,
		       const struct wwtp_station_summary *s)
{
	const struct wwtp_flag_cfg *c = ev->cfg;
	for (size_t i = 0; i < np; i++) {
		const struct wwtp_param_summary *ps = &s->params[i];
		double clear_at;
		if (!params[i].has_limit || ps->judged < c->min_hours)
			continue;
		double v = (double)ps->within / ps->judged;
		if (!holds(ev, WWTP_FLAG_COMPLIANCE, params[i].name, v, c->compliance_min, 1,
			   &clear_at))
			continue;
		struct wwtp_flag_reason *r =
		    add(ev, WWTP_FLAG_COMPLIANCE, params[i].name, params[i].name, v,
			c->compliance_min, clear_at, ps->judged);
		if (!r)
			return;
		char lim[64];
		limit_text(&params[i], lim, sizeof(lim));
		r->limit = params[i].is_range ? NAN : params[i].cmax_max;
		r->mean = ps->mean;
		r->cmax_min = params[i].cmax_min;
		r->cmax_max = params[i].cmax_max;
		snprintf(r->text, sizeof(r->text),
			 "%s: %.0f%% of %d hourly averages within %s (mean %.4g; flagged below "
			 "%.0f%%)",
			 params[i].name, pct(v), ps->judged, lim, ps->mean, pct(c->compliance_min));
	}
}

static void availability(struct eval *ev, const struct wwtp_flag_param *params, size_t np,
			 const struct wwtp_station_summary *s, struct wwtp_flag_checks *ck)
{
	const struct wwtp_flag_cfg *c = ev->cfg;
	double worst = NAN, clear_at;
	int wi = -1, count = 0;

	if (s->hours < c->min_hours)
		return;
	for (size_t i = 0; i < np; i++) {
		if (!params[i].has_limit)
			continue;
		double v = (double)s->params[i].judged / s->hours;
		count += v < c->availability_min;
		if (wi < 0 || v < worst) {
			worst = v;
			wi = (int)i;
		}
	}
	if (wi < 0)
		return;
	ck->availability = worst;
	snprintf(ck->availability_param, sizeof(ck->availability_param), "%s", params[wi].name);
	if (!holds(ev, WWTP_FLAG_AVAILABILITY, "", worst, c->availability_min, 1, &clear_at))
		return;
	struct wwtp_flag_reason *r = add(ev, WWTP_FLAG_AVAILABILITY, "", params[wi].name, worst,
					 c->availability_min, clear_at, s->hours);
	if (!r)
		return;
	r->count = count;
	snprintf(r->text, sizeof(r->text),
		 "%s: valid hourly averages for %.0f%% of %d hours (%d limited param%s below "
		 "%.0f%%; flagged below %.0f%%)",
		 params[wi].name, pct(worst), s->hours, count, count == 1 ? "" : "s",
		 pct(c->availability_min), pct(c->availability_min));
}

static void faults(struct eval *ev, const struct wwtp_flag_param *params, size_t np,
		   const struct wwtp_station_summary *s, struct wwtp_flag_checks *ck)
{
	const struct wwtp_flag_cfg *c = ev->cfg;
	double worst = NAN, clear_at;
	int wi = -1, count = 0;

	for (size_t i = 0; i < np; i++) {
		const struct wwtp_param_summary *ps = &s->params[i];
		if (ps->covered < c->min_hours || !isfinite(ps->fault_share))
			continue;
		count += ps->fault_share > c->fault_max;
		if (wi < 0 || ps->fault_share > worst) {
			worst = ps->fault_share;
			wi = (int)i;
		}
	}
	if (wi < 0)
		return;
	ck->faults = worst;
	snprintf(ck->faults_param, sizeof(ck->faults_param), "%s", params[wi].name);
	if (!holds(ev, WWTP_FLAG_FAULTS, "", worst, c->fault_max, 0, &clear_at))
		return;
	struct wwtp_flag_reason *r = add(ev, WWTP_FLAG_FAULTS, "", params[wi].name, worst,
					 c->fault_max, clear_at, s->params[wi].covered);
	if (!r)
		return;
	r->count = count;
	snprintf(r->text, sizeof(r->text),
		 "%s: instrument in fault %.0f%% of the time (device %s; %d param%s above "
		 "%.0f%%; flagged above %.0f%%)",
		 params[wi].name, pct(worst), params[wi].device, count, count == 1 ? "" : "s",
		 pct(c->fault_max), pct(c->fault_max));
}

static void removal(struct eval *ev, int rule, const char *what, const char *param, int hours,
		    double in, double out, double min, const char *unit,
		    struct wwtp_flag_checks *ck)
{
	const struct wwtp_flag_cfg *c = ev->cfg;
	double clear_at;

	if (hours < c->min_hours || !(in > 0.0))
		return;
	double v = 1.0 - out / in;
	if (rule == WWTP_FLAG_COD_REMOVAL)
		ck->cod_removal = v;
	else
		ck->nh4_removal = v;
	if (!holds(ev, rule, "", v, min, 1, &clear_at))
		return;
	struct wwtp_flag_reason *r = add(ev, rule, "", param, v, min, clear_at, hours);
	if (!r)
		return;
	r->inlet = in;
	r->outlet = out;
	snprintf(r->text, sizeof(r->text),
		 "%s removal %.0f%% (inlet %.4g, outlet %.4g %s over %d hours; flagged below "
		 "%.0f%%)",
		 what, pct(v), in, out, unit, hours, pct(min));
}

static void hydraulic(struct eval *ev, const struct wwtp_flag_param *params, double design,
		      const struct wwtp_station_summary *s, struct wwtp_flag_checks *ck)
{
	const struct wwtp_flag_cfg *c = ev->cfg;
	double clear_at;

	if (!(design > 0.0) || s->flow_param < 0 || s->flow_hours < c->min_hours ||
	    !isfinite(s->flow_m3h))
		return;
	double m3d = s->flow_m3h * 24.0;
	double v = m3d / design;
	ck->hydraulic_load = v;
	if (!holds(ev, WWTP_FLAG_HYDRAULIC, "", v, c->hydraulic_max, 0, &clear_at))
		return;
	const char *fp = params[s->flow_param].name;
	struct wwtp_flag_reason *r =
	    add(ev, WWTP_FLAG_HYDRAULIC, "", fp, v, c->hydraulic_max, clear_at, s->flow_hours);
	if (!r)
		return;
	r->flow_m3d = m3d;
	r->design_m3d = design;
	snprintf(r->text, sizeof(r->text),
		 "%s: %.0f%% of the design flow (%.0f of %.0f m3/day over %d hours; flagged "
		 "above %.0f%%)",
		 fp, pct(v), m3d, design, s->flow_hours, pct(c->hydraulic_max));
}

/* A limited param whose data is implausible much of the time: its average
 * cannot be trusted, whatever it says. Per param, like compliance. */
static void suspect_data(struct eval *ev, const struct wwtp_flag_param *params, size_t np,
			 const struct wwtp_station_summary *s)
{
	const struct wwtp_flag_cfg *c = ev->cfg;
	for (size_t i = 0; i < np; i++) {
		const struct wwtp_param_summary *ps = &s->params[i];
		double clear_at;
		if (!params[i].has_limit || ps->covered < c->min_hours)
			continue;
		double v = (double)ps->suspect_hours / ps->covered;
		if (!holds(ev, WWTP_FLAG_SUSPECT, params[i].name, v, c->suspect_max, 0, &clear_at))
			continue;
		struct wwtp_flag_reason *r =
		    add(ev, WWTP_FLAG_SUSPECT, params[i].name, params[i].name, v, c->suspect_max,
			clear_at, ps->covered);
		if (!r)
			return;
		r->flat_run = ps->flat_run;
		if (ps->flat_run > 0)
			snprintf(r->text, sizeof(r->text),
				 "%s: implausible data %.0f%% of %d hours, unchanged for %d hours "
				 "in a row (tampering? flagged above %.0f%%)",
				 params[i].name, pct(v), ps->covered, ps->flat_run,
				 pct(c->suspect_max));
		else
			snprintf(r->text, sizeof(r->text),
				 "%s: implausible data %.0f%% of %d hours (flagged above %.0f%%)",
				 params[i].name, pct(v), ps->covered, pct(c->suspect_max));
	}
}

size_t wwtp_flags_evaluate(const struct wwtp_flag_cfg *cfg, const struct wwtp_flag_param *params,
			   size_t nparams, double design_m3d, const struct wwtp_station_summary *s,
			   struct wwtp_flag_state *state, struct wwtp_flag_reason *out, size_t max,
			   struct wwtp_flag_checks *checks)
{
	struct wwtp_flag_checks ck;
	struct eval ev;

	memset(&ev, 0, sizeof(ev));
	ev.cfg = cfg;
	ev.old = state;
	ev.out = out;
	ev.max = max;
	memset(&ck, 0, sizeof(ck));
	ck.hours = s->hours;
	ck.availability = ck.faults = ck.cod_removal = ck.nh4_removal = ck.hydraulic_load = NAN;

	compliance(&ev, params, nparams, s);
	availability(&ev, params, nparams, s, &ck);
	faults(&ev, params, nparams, s, &ck);
	int cod = wwtp_flag_param_find(params, nparams, "cod");
	int nh4 = wwtp_flag_param_find(params, nparams, "nh4");
	removal(&ev, WWTP_FLAG_COD_REMOVAL, "COD", "cod", s->cod_hours, s->cod_in, s->cod_out,
		cfg->cod_removal_min, cod >= 0 ? params[cod].unit : "", &ck);
	removal(&ev, WWTP_FLAG_NH4_REMOVAL, "NH4", "nh4", s->nh4_hours, s->nh4_in, s->nh4_out,
		cfg->nh4_removal_min, nh4 >= 0 ? params[nh4].unit : "", &ck);
	hydraulic(&ev, params, design_m3d, s, &ck);
	suspect_data(&ev, params, nparams, s);

	*state = ev.new_state;
	if (checks)
		*checks = ck;
	return ev.n;
}
