/* report_stats.c - the numbers of a monthly report (see report_stats.h). */
#include "../../compliance/period.h"
#include "report_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../payload/payload.h"
#include "../../util/err.h"

/* Noon UTC of the 15th of y-m: it lies in the local month whatever the
 * offset, for period.c to find the month's boundaries. */
static int64_t mid_month(int y, int m)
{
	int64_t yy = m <= 2 ? y - 1 : y;
	int64_t era = yy / 400; /* y >= 2000: no negative floors */
	int64_t yoe = yy - era * 400;
	int64_t mp = m > 2 ? m - 3 : m + 9;
	int64_t doy = (153 * mp + 2) / 5 + 15 - 1;
	int64_t days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
	return days * WWTP_DAY_MS + 12 * 3600000LL;
}

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int wwtp_report_period_parse(const char *s, int64_t now_ms, struct wwtp_report_period *p)
{
	int y, first, last;

	memset(p, 0, sizeof(*p));
	if (!s || strlen(s) < 4 || !digits(s, 4))
		return WWTP_ERR_INVAL;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	if (y < 2000 || y > 2199)
		return WWTP_ERR_INVAL;
	if (strlen(s) == 4) {
		p->kind = WWTP_PERIOD_YEAR;
		first = 1;
		last = 12;
	} else if (strlen(s) == 7 && s[4] == '-' && s[5] == 'Q' && s[6] >= '1' && s[6] <= '4') {
		p->kind = WWTP_PERIOD_QUARTER;
		p->quarter = s[6] - '0';
		first = 3 * p->quarter - 2;
		last = first + 2;
	} else if (strlen(s) == 7 && s[4] == '-' && digits(s + 5, 2)) {
		p->kind = WWTP_PERIOD_MONTH;
		first = last = (s[5] - '0') * 10 + (s[6] - '0');
		if (first < 1 || first > 12)
			return WWTP_ERR_INVAL;
	} else {
		return WWTP_ERR_INVAL;
	}
	p->year = y;
	p->month = first;
	memcpy(p->id, s, strlen(s) + 1);
	p->start_ms = wwtp_local_month_start(mid_month(y, first));
	p->end_ms = wwtp_local_next_month_start(mid_month(y, last));
	p->nhours = (size_t)((p->end_ms - p->start_ms) / 3600000LL);
	p->ndays = p->nhours / 24;
	p->until_ms = p->end_ms;
	if (now_ms < p->end_ms) {
		/* The hour under way is not complete. */
		int64_t h = wwtp_local_hour_start(now_ms);
		p->until_ms = h < p->start_ms ? p->start_ms : h;
	}
	p->hours = (size_t)((p->until_ms - p->start_ms) / 3600000LL);
	p->days = p->hours / 24;
	return 0;
}

void wwtp_report_hour_init(struct wwtp_report_hour *h)
{
	memset(h, 0, sizeof(*h));
	h->mean = h->min = h->max = NAN;
}

void wwtp_report_hours_add(struct wwtp_report_hour *hours, size_t nhours, int64_t start_ms,
			   const struct wwtp_report_sample *samples, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct wwtp_report_sample *s = &samples[i];
		if (s->ts_ms < start_ms)
			continue;
		int64_t k = (s->ts_ms - start_ms) / 3600000LL;
		if (k < 0 || (uint64_t)k >= nhours)
			continue;
		struct wwtp_report_hour *h = &hours[k];
		h->polls++;
		if (s->status == WWTP_READING_FAULT)
			h->fault++;
		if (s->status != WWTP_READING_OK || !s->has_value || !isfinite(s->value))
			continue;
		/* Running mean: the sum of a month of large values stays exact
		 * enough, and no separate sum needs keeping. */
		h->ok++;
		if (h->ok == 1) {
			h->mean = h->min = h->max = s->value;
		} else {
			h->mean += (s->value - h->mean) / (double)h->ok;
			if (s->value < h->min)
				h->min = s->value;
			if (s->value > h->max)
				h->max = s->value;
		}
	}
}

const char *wwtp_report_verdict_name(int v)
{
	switch (v) {
	case WWTP_REPORT_MET:
		return "met";
	case WWTP_REPORT_NOT_MET:
		return "not_met";
	case WWTP_REPORT_INSUFFICIENT:
		return "insufficient_data";
	case WWTP_REPORT_NOT_JUDGED:
		return "not_judged";
	default:
		return "?";
	}
}

int wwtp_report_outside(const struct wwtp_flag_param *p, double avg)
{
	if (!p->has_limit || !isfinite(avg))
		return 0;
	/* Exactly at Cmax is within: the regulation says "not exceeding". */
	return (isfinite(p->cmax_max) && avg > p->cmax_max) ||
	       (isfinite(p->cmax_min) && avg < p->cmax_min);
}

double wwtp_report_ratio(const struct wwtp_flag_param *p, double avg)
{
	double r = NAN;
	if (!p->has_limit || !isfinite(avg))
		return NAN;
	if (isfinite(p->cmax_max) && p->cmax_max > 0)
		r = avg / p->cmax_max;
	if (isfinite(p->cmax_min) && p->cmax_min > 0) {
		if (avg <= 0)
			return NAN;
		double rl = p->cmax_min / avg;
		if (isnan(r) || rl > r)
			r = rl;
	}
	return r;
}

/* The flags' rule for an hour (hourly.c): ok readings, and enough of them. */
static int hour_judged(const struct wwtp_report_hour *h, double min_ok)
{
	if (h->ok == 0 || !isfinite(h->mean))
		return 0;
	uint32_t polls = h->polls > h->ok ? h->polls : h->ok;
	return (double)h->ok >= min_ok * (double)polls;
}

static double nan_max(double a, double b)
{
	if (isnan(a))
		return b;
	if (isnan(b))
		return a;
	return b > a ? b : a;
}

static double nan_min(double a, double b)
{
	if (isnan(a))
		return b;
	if (isnan(b))
		return a;
	return b < a ? b : a;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Alerts of param p: hours open within [from, to) (the union of the
 * windows' alerts), how many were raised within and their largest ratio. */
static int alert_stats(const struct wwtp_report_alert *alerts, size_t nalerts, const char *param,
		       int64_t from, int64_t to, struct wwtp_report_pstats *ps)
{
	size_t n = 0;
	int64_t *iv = malloc((nalerts ? nalerts : 1) * 2 * sizeof(*iv));
	if (!iv)
		return WWTP_ERR_NOMEM;
	for (size_t i = 0; i < nalerts; i++) {
		const struct wwtp_report_alert *a = &alerts[i];
		if (strcmp(a->param, param) != 0)
			continue;
		if (a->start_ms >= from && a->start_ms < to) {
			ps->alerts_raised++;
			ps->max_alert_ratio = nan_max(ps->max_alert_ratio, a->ratio);
		}
		int64_t s = a->start_ms < from ? from : a->start_ms;
		int64_t e = (a->end_ms <= 0 || a->end_ms > to) ? to : a->end_ms;
		if (e > s) {
			iv[2 * n] = s;
			iv[2 * n + 1] = e;
			n++;
		}
	}
	/* Union of intervals: sort by start (pairs), sweep. */
	qsort(iv, n, 2 * sizeof(*iv), cmp_i64);
	int64_t total = 0, cs = 0, ce = -1;
	for (size_t i = 0; i < n; i++) {
		if (ce < 0 || iv[2 * i] > ce) {
			if (ce >= 0)
				total += ce - cs;
			cs = iv[2 * i];
			ce = iv[2 * i + 1];
		} else if (iv[2 * i + 1] > ce) {
			ce = iv[2 * i + 1];
		}
	}
	if (ce >= 0)
		total += ce - cs;
	ps->alert_hours = (double)total / 3600000.0;
	free(iv);
	return 0;
}

static void param_stats(const struct wwtp_report_period *per, const struct wwtp_flag_param *fp,
			const struct wwtp_report_hour *hours, double min_ok, double min_avail,
			struct wwtp_report_pstats *ps)
{
	double wsum = 0; /* sum of ok values, as sum of ok x mean per hour */
	double dsum[WWTP_REPORT_DAYS_MAX] = {0};
	uint64_t dok[WWTP_REPORT_DAYS_MAX] = {0};
	int djudged[WWTP_REPORT_DAYS_MAX] = {0};

	for (size_t k = 0; k < per->hours && k < per->nhours; k++) {
		const struct wwtp_report_hour *h = &hours[k];
		size_t d = k / 24;
		uint32_t polls = h->polls > h->ok ? h->polls : h->ok;
		ps->samples += polls;
		ps->faults += h->fault < polls ? h->fault : polls;
		if (polls > 0)
			ps->hours_covered++;
		if (h->ok > 0 && isfinite(h->mean)) {
			ps->valid += h->ok;
			wsum += h->mean * h->ok;
			ps->min = nan_min(ps->min, isfinite(h->min) ? h->min : h->mean);
			ps->max = nan_max(ps->max, isfinite(h->max) ? h->max : h->mean);
			if (d < WWTP_REPORT_DAYS_MAX) {
				dsum[d] += h->mean * h->ok;
				dok[d] += h->ok;
			}
		}
		if (!hour_judged(h, min_ok)) {
			ps->hours_lost++;
			if (polls == 0)
				ps->lost_nodata++;
			else if (2 * (uint64_t)h->fault >= polls - h->ok)
				ps->lost_fault++;
			else
				ps->lost_other++;
			continue;
		}
		ps->hours_judged++;
		if (d < WWTP_REPORT_DAYS_MAX)
			djudged[d]++;
		if (fp->has_limit) {
			ps->hours_exceeding += wwtp_report_outside(fp, h->mean);
			ps->max_ratio = nan_max(ps->max_ratio, wwtp_report_ratio(fp, h->mean));
		}
	}
	ps->mean = ps->valid ? wsum / (double)ps->valid : NAN;
	ps->availability = per->hours ? (double)ps->hours_judged / (double)per->hours : NAN;
	ps->hours_exceeding_share =
	    ps->hours_judged ? (double)ps->hours_exceeding / (double)ps->hours_judged : NAN;
	for (size_t d = 0; d < per->days && d < WWTP_REPORT_DAYS_MAX; d++) {
		ps->daily[d] = dok[d] ? dsum[d] / (double)dok[d] : NAN;
		/* A day is judged on the share of its hours that are. */
		if (dok[d] == 0 || (double)djudged[d] < min_avail * 24.0)
			continue;
		ps->day_judged[d] = 1;
		ps->days_judged++;
		if (fp->has_limit) {
			ps->days_exceeding += wwtp_report_outside(fp, ps->daily[d]);
			ps->max_daily_ratio =
			    nan_max(ps->max_daily_ratio, wwtp_report_ratio(fp, ps->daily[d]));
		}
	}
	ps->days_exceeding_share =
	    ps->days_judged ? (double)ps->days_exceeding / (double)ps->days_judged : NAN;
}

static int param_index(const struct wwtp_flag_param *params, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(params[i].name, name) == 0)
			return (int)i;
	return -1;
}

void wwtp_report_volume(const struct wwtp_report_period *per, const struct wwtp_flag_param *params,
			size_t nparams, const struct wwtp_report_hour *hours,
			const char *total_param, const char *flow_param, double design_m3d,
			struct wwtp_report_volume *out)
{
	int ti = param_index(params, nparams, total_param);
	int fi = param_index(params, nparams, flow_param);

	memset(out, 0, sizeof(*out));
	out->m3 = out->per_day = out->capacity_use = NAN;
	if (ti >= 0) {
		/* A running total: the increase from hour to hour, the first
		 * hour's own increase included. A counter that went back (a
		 * replaced meter, a wrap) counts from its new value. */
		const struct wwtp_report_hour *h = &hours[(size_t)ti * per->nhours];
		double sum = 0, prev = NAN;
		for (size_t k = 0; k < per->hours && k < per->nhours; k++) {
			if (h[k].ok == 0 || !isfinite(h[k].min) || !isfinite(h[k].max))
				continue;
			out->hours++;
			if (isnan(prev)) {
				sum += h[k].max - h[k].min;
			} else if (h[k].min >= prev) {
				sum += h[k].max - prev;
			} else {
				out->resets++;
				sum += h[k].max - h[k].min;
			}
			prev = h[k].max;
		}
		if (out->hours) {
			out->method = WWTP_VOL_TOTALISER;
			out->m3 = sum;
			out->per_day = per->hours ? sum / ((double)per->hours / 24.0) : NAN;
		}
	}
	if (out->method == WWTP_VOL_NONE && fi >= 0 &&
	    (strcmp(params[fi].unit, "m3/h") == 0 || strcmp(params[fi].unit, "m³/h") == 0)) {
		const struct wwtp_report_hour *h = &hours[(size_t)fi * per->nhours];
		double sum = 0;
		for (size_t k = 0; k < per->hours && k < per->nhours; k++)
			if (h[k].ok > 0 && isfinite(h[k].mean)) {
				sum += h[k].mean; /* m3/h x 1 h */
				out->hours++;
			}
		if (out->hours) {
			out->method = WWTP_VOL_INTEGRAL;
			out->m3 = sum;
			out->per_day = sum / ((double)out->hours / 24.0);
		}
	}
	if (isfinite(out->per_day) && design_m3d > 0)
		out->capacity_use = out->per_day / design_m3d;
}

/* The flag rules over the month: the month's hours put in the flags' ring,
 * summarised as the monitor does, judged with a fresh state (no
 * hysteresis: a month is judged once). */
static int month_flags(const struct wwtp_report_period *per, const struct wwtp_flag_cfg *fcfg,
		       const struct wwtp_flag_param *params, size_t nparams, double design_m3d,
		       const struct wwtp_report_hour *hours, struct wwtp_report_result *out)
{
	struct wwtp_hourly h;
	struct wwtp_station_summary sum;
	struct wwtp_flag_state state;
	int64_t h0 = per->start_ms / 3600000LL;
	int rc = wwtp_hourly_init(&h, nparams, per->nhours + 2);

	if (rc != 0)
		return rc;
	memset(&sum, 0, sizeof(sum));
	memset(&state, 0, sizeof(state));
	sum.params = calloc(nparams ? nparams : 1, sizeof(*sum.params));
	if (!sum.params) {
		wwtp_hourly_free(&h);
		return WWTP_ERR_NOMEM;
	}
	for (size_t p = 0; p < nparams; p++)
		for (size_t k = 0; k < per->hours && k < per->nhours; k++) {
			const struct wwtp_report_hour *src = &hours[p * per->nhours + k];
			if (src->polls + src->ok + src->fault == 0)
				continue;
			struct wwtp_hour_cell *c = wwtp_hourly_cell(&h, p, h0 + (int64_t)k);
			if (!c)
				continue;
			c->polls = src->polls;
			c->ok = src->ok;
			c->fault = src->fault;
			c->mean = src->mean;
		}
	wwtp_hourly_summarise(&h, params, h0 + (int64_t)per->hours, (int)per->hours,
			      fcfg->hour_min_ok, &sum);
	out->nreasons = wwtp_flags_evaluate(fcfg, params, nparams, design_m3d, &sum, &state,
					    out->reasons, WWTP_FLAG_REASONS_MAX, &out->checks);
	free(sum.params);
	wwtp_hourly_free(&h);
	return 0;
}

int wwtp_report_compute(const struct wwtp_report_period *period, const struct wwtp_flag_cfg *fcfg,
			double min_availability, const struct wwtp_flag_param *params,
			size_t nparams, double design_m3d, const struct wwtp_report_hour *hours,
			const struct wwtp_report_alert *alerts, size_t nalerts,
			struct wwtp_report_result *out)
{
	struct wwtp_report_pstats *ps = out->p;
	int rc;

	if (!period || !fcfg || !out || (nparams && (!params || !hours || !ps)) ||
	    (nalerts && !alerts) || period->nhours > WWTP_REPORT_HOURS_MAX)
		return WWTP_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	out->p = ps;
	out->worst_availability = NAN;
	for (size_t i = 0; i < nparams; i++) {
		struct wwtp_report_pstats *s = &ps[i];
		memset(s, 0, sizeof(*s));
		s->mean = s->min = s->max = s->max_ratio = s->max_daily_ratio = NAN;
		s->max_alert_ratio = NAN;
		for (size_t d = 0; d < WWTP_REPORT_DAYS_MAX; d++)
			s->daily[d] = NAN;
		param_stats(period, &params[i], &hours[i * period->nhours], fcfg->hour_min_ok,
			    min_availability, s);
		rc = alert_stats(alerts, nalerts, params[i].name, period->start_ms,
				 period->until_ms, s);
		if (rc != 0)
			return rc;
		if (!params[i].has_limit)
			continue;
		out->params_limited++;
		out->worst_availability = nan_min(out->worst_availability, s->availability);
		if (s->days_exceeding > 0)
			out->params_not_met++;
		else if (!(s->availability >= min_availability))
			out->params_insufficient++;
	}
	if (out->params_limited == 0)
		out->verdict = WWTP_REPORT_NOT_JUDGED;
	else if (out->params_not_met > 0)
		out->verdict = WWTP_REPORT_NOT_MET;
	else if (out->params_insufficient > 0)
		out->verdict = WWTP_REPORT_INSUFFICIENT;
	else
		out->verdict = WWTP_REPORT_MET;
	wwtp_report_volume(period, params, nparams, hours, "volume_out", "flow_out", design_m3d,
			   &out->vol_out);
	wwtp_report_volume(period, params, nparams, hours, "volume_in", "flow_in", design_m3d,
			   &out->vol_in);
	return month_flags(period, fcfg, params, nparams, design_m3d, hours, out);
}
