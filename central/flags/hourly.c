/* hourly.c - hourly aggregates of a station and their summary (see
 * hourly.h). */
#include "hourly.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/err.h"

int wwtp_hourly_init(struct wwtp_hourly *h, size_t nparams, size_t nhours)
{
	memset(h, 0, sizeof(*h));
	if (nhours == 0)
		return WWTP_ERR_INVAL;
	h->cells = calloc(nparams ? nparams * nhours : 1, sizeof(*h->cells));
	if (!h->cells)
		return WWTP_ERR_NOMEM;
	h->nparams = nparams;
	h->nhours = nhours;
	for (size_t i = 0; i < nparams * nhours; i++)
		h->cells[i].hour = -1;
	return 0;
}

void wwtp_hourly_free(struct wwtp_hourly *h)
{
	free(h->cells);
	memset(h, 0, sizeof(*h));
}

static struct wwtp_hour_cell *slot(const struct wwtp_hourly *h, size_t param, int64_t hour)
{
	size_t k = (size_t)(hour % (int64_t)h->nhours);
	return &h->cells[param * h->nhours + k];
}

void wwtp_hourly_clear(struct wwtp_hourly *h, int64_t from, int64_t to)
{
	/* Every cell once: the range may be wider than the ring. */
	for (size_t i = 0; i < h->nparams * h->nhours; i++)
		if (h->cells[i].hour >= from && h->cells[i].hour < to)
			h->cells[i].hour = -1;
}

struct wwtp_hour_cell *wwtp_hourly_cell(struct wwtp_hourly *h, size_t param, int64_t hour)
{
	if (param >= h->nparams || hour < 0)
		return NULL;
	struct wwtp_hour_cell *c = slot(h, param, hour);
	if (c->hour != hour) {
		memset(c, 0, sizeof(*c));
		c->hour = hour;
		c->mean = NAN;
	}
	return c;
}

const struct wwtp_hour_cell *wwtp_hourly_get(const struct wwtp_hourly *h, size_t param,
					     int64_t hour)
{
	if (param >= h->nparams || hour < 0)
		return NULL;
	const struct wwtp_hour_cell *c = slot(h, param, hour);
	return c->hour == hour ? c : NULL;
}

int wwtp_flag_param_find(const struct wwtp_flag_param *params, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(params[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Whether (param, hour) holds a valid average, and which. */
static int judged(const struct wwtp_hourly *h, int p, int64_t hour, double min_ok, double *mean)
{
	const struct wwtp_hour_cell *c = p >= 0 ? wwtp_hourly_get(h, (size_t)p, hour) : NULL;
	if (!c || c->ok == 0 || !isfinite(c->mean))
		return 0;
	/* The counts come from separate statements: a poll written in
	 * between could make ok exceed polls by a little. Suspect readings
	 * count as polls, never as ok: they lower the share. */
	uint32_t marked = c->ok + c->suspect;
	uint32_t polls = c->polls > marked ? c->polls : marked;
	if ((double)c->ok < min_ok * (double)polls)
		return 0;
	*mean = c->mean;
	return 1;
}

static int within(const struct wwtp_flag_param *p, double v)
{
	if (!p->has_limit)
		return 1;
	if (isfinite(p->cmax_max) && v > p->cmax_max)
		return 0;
	if (isfinite(p->cmax_min) && v < p->cmax_min)
		return 0;
	return 1; /* exactly at Cmax is compliant ("not exceeding") */
}

/* Paired hours of an inlet and an outlet parameter. */
static void pair(const struct wwtp_hourly *h, int pin, int pout, int64_t from, int64_t end,
		 double min_ok, int *hours, double *in, double *out)
{
	double si = 0, so = 0, vi, vo;
	int n = 0;

	for (int64_t hr = from; pin >= 0 && pout >= 0 && hr < end; hr++)
		if (judged(h, pin, hr, min_ok, &vi) && judged(h, pout, hr, min_ok, &vo)) {
			si += vi;
			so += vo;
			n++;
		}
	*hours = n;
	*in = n ? si / n : NAN;
	*out = n ? so / n : NAN;
}

void wwtp_hourly_summarise(const struct wwtp_hourly *h, const struct wwtp_flag_param *params,
			   int64_t end, int window_h, double min_ok,
			   struct wwtp_station_summary *out)
{
	int64_t from = end - window_h;
	struct wwtp_param_summary *ps = out->params;

	memset(out, 0, sizeof(*out));
	out->params = ps;
	out->first_hour = -1;
	if (from < 0)
		from = 0;
	for (size_t p = 0; p < h->nparams; p++)
		for (int64_t hr = from; hr < end; hr++) {
			const struct wwtp_hour_cell *c = wwtp_hourly_get(h, p, hr);
			if (c && c->polls + c->ok + c->fault > 0 &&
			    (out->first_hour < 0 || hr < out->first_hour))
				out->first_hour = hr;
		}
	out->hours = out->first_hour >= 0 ? (int)(end - out->first_hour) : 0;

	for (size_t p = 0; p < h->nparams; p++) {
		struct wwtp_param_summary *s = &ps[p];
		double fsum = 0, msum = 0, m;
		int run = 0;
		memset(s, 0, sizeof(*s));
		for (int64_t hr = from; hr < end; hr++) {
			const struct wwtp_hour_cell *c = wwtp_hourly_get(h, p, hr);
			if (!c) {
				run = 0;
				continue;
			}
			uint32_t marked = c->ok + c->suspect;
			uint32_t polls = c->polls > marked ? c->polls : marked;
			/* Mostly marked: the hour's data is not a measurement. */
			if (c->suspect > 0 && 2 * (uint64_t)c->suspect >= polls)
				s->suspect_hours++;
			if (c->flat > 0 && 2 * (uint64_t)c->flat >= polls) {
				if (++run > s->flat_run)
					s->flat_run = run;
			} else {
				run = 0;
			}
			if (polls > 0) {
				s->covered++;
				fsum +=
				    (double)(c->fault < polls ? c->fault : polls) / (double)polls;
			}
			if (judged(h, (int)p, hr, min_ok, &m)) {
				s->judged++;
				s->within += within(&params[p], m);
				msum += m;
			}
		}
		s->fault_share = s->covered ? fsum / s->covered : NAN;
		s->mean = s->judged ? msum / s->judged : NAN;
	}

	size_t n = h->nparams;
	int64_t f = out->first_hour >= 0 ? out->first_hour : end;
	pair(h, wwtp_flag_param_find(params, n, "cod_in"), wwtp_flag_param_find(params, n, "cod"),
	     f, end, min_ok, &out->cod_hours, &out->cod_in, &out->cod_out);
	pair(h, wwtp_flag_param_find(params, n, "nh4_in"), wwtp_flag_param_find(params, n, "nh4"),
	     f, end, min_ok, &out->nh4_hours, &out->nh4_in, &out->nh4_out);
	out->flow_param = wwtp_flag_param_find(params, n, "flow_out");
	if (out->flow_param < 0)
		out->flow_param = wwtp_flag_param_find(params, n, "flow_in");
	out->flow_m3h = NAN;
	if (out->flow_param >= 0) {
		out->flow_hours = ps[out->flow_param].judged;
		out->flow_m3h = ps[out->flow_param].mean;
	}
}
