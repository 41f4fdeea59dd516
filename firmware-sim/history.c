/* history.c - past telemetry and alerts of simulated stations (see
 * history.h). */
#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../compliance/evaluator.h"
#include "../compliance/plausibility.h"
#include "../payload/payload.h"
#include "../util/err.h"
#include "image.h"

struct hist_station {
	const struct wwtp_station *st;
	const struct wwtp_sim_site *site;
	struct wwtp_sample **samples; /* one per device, reused */
	struct wwtp_eval *ev;	      /* NULL without alerts */
	/* What the collector's plausibility checks remember, one per point of
	 * the station in device order: the history carries the same marks. */
	struct wwtp_plaus_state *plaus;
	uint64_t seq;
	/* Alerts caused by the last telemetry, sent before anything else. */
	struct wwtp_alert_event *pending;
	size_t npending, next_pending, cap;
};

struct wwtp_sim_history {
	struct hist_station *hs;
	size_t n;
	struct wwtp_sim_history_opts o;
	int64_t t;	     /* the instant being replayed */
	size_t si, di;	     /* the next station and device at t */
	size_t pend_station; /* whose alerts are pending */
	struct wwtp_sim_history_stats stats;
	struct wwtp_alert_event scratch[WWTP_EVAL_FEED_EVENTS_MAX];
};

static void station_free(struct hist_station *h)
{
	for (size_t j = 0; h->samples && j < h->st->ndevices; j++)
		wwtp_sample_free(h->samples[j]);
	free(h->samples);
	wwtp_eval_free(h->ev);
	free(h->pending);
	free(h->plaus);
}

void wwtp_sim_history_free(struct wwtp_sim_history *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		station_free(&h->hs[i]);
	free(h->hs);
	free(h);
}

/* The evaluator the collector runs over the station's params, told the
 * history's interval so that a replayed hour is a whole hour of data. */
static int station_eval(struct hist_station *h, int64_t interval_ms)
{
	const struct wwtp_station *st = h->st;
	struct wwtp_eval_param *pp;
	size_t np = 0;
	int rc;

	for (size_t j = 0; j < st->ndevices; j++)
		np += st->devices[j].npoints;
	if (np == 0)
		return 0;
	pp = calloc(np, sizeof(*pp));
	if (!pp)
		return WWTP_ERR_NOMEM;
	np = 0;
	for (size_t j = 0; j < st->ndevices; j++)
		for (size_t k = 0; k < st->devices[j].npoints; k++)
			pp[np++] =
			    (struct wwtp_eval_param){st->devices[j].points[k].param, interval_ms};
	rc = wwtp_eval_new(st->id, st->limits, st->evaluation, pp, np, &h->ev);
	free(pp);
	return rc;
}

int wwtp_sim_history_new(struct wwtp_station *const *stations, const struct wwtp_sim_site *sites,
			 size_t n, const struct wwtp_sim_history_opts *o,
			 struct wwtp_sim_history **out)
{
	struct wwtp_sim_history *h;
	int rc = 0;

	*out = NULL;
	if (n == 0 || o->interval_ms <= 0 || o->from_ms < 0 || o->to_ms <= o->from_ms)
		return WWTP_ERR_INVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return WWTP_ERR_NOMEM;
	h->o = *o;
	h->hs = calloc(n, sizeof(*h->hs));
	if (!h->hs) {
		free(h);
		return WWTP_ERR_NOMEM;
	}
	h->n = n;
	/* On the interval's grid, so that two replays of the same span write
	 * the same instants (InfluxDB keeps one point per series and time). */
	int64_t first =
	    o->from_ms + (o->interval_ms - o->from_ms % o->interval_ms) % o->interval_ms;
	h->t = first;
	uint64_t instants =
	    first < o->to_ms ? (uint64_t)((o->to_ms - 1 - first) / o->interval_ms) + 1 : 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct hist_station *hs = &h->hs[i];
		hs->st = stations[i];
		hs->site = &sites[i];
		hs->samples = calloc(stations[i]->ndevices + 1, sizeof(*hs->samples));
		if (!hs->samples) {
			rc = WWTP_ERR_NOMEM;
			break;
		}
		for (size_t j = 0; j < stations[i]->ndevices && rc == 0; j++)
			if (!(hs->samples[j] = wwtp_sample_new(&stations[i]->devices[j])))
				rc = WWTP_ERR_NOMEM;
		size_t np = 0;
		for (size_t j = 0; j < stations[i]->ndevices; j++)
			np += stations[i]->devices[j].npoints;
		if (rc == 0 && !(hs->plaus = calloc(np + 1, sizeof(*hs->plaus))))
			rc = WWTP_ERR_NOMEM;
		if (rc == 0 && o->alerts)
			rc = station_eval(hs, o->interval_ms);
		h->stats.telemetry_total += instants * stations[i]->ndevices;
	}
	if (rc != 0) {
		wwtp_sim_history_free(h);
		return rc;
	}
	h->stats.ts_ms = h->t;
	*out = h;
	return 0;
}

static int queue_events(struct hist_station *hs, const struct wwtp_alert_event *e, size_t n)
{
	if (hs->npending + n > hs->cap) {
		size_t cap = hs->cap ? hs->cap * 2 : 32;
		while (cap < hs->npending + n)
			cap *= 2;
		struct wwtp_alert_event *p = realloc(hs->pending, cap * sizeof(*p));
		if (!p)
			return WWTP_ERR_NOMEM;
		hs->pending = p;
		hs->cap = cap;
	}
	memcpy(hs->pending + hs->npending, e, n * sizeof(*e));
	hs->npending += n;
	return 0;
}

/* The point and device of a param of the station. */
static const struct wwtp_point *find_point(const struct wwtp_station *st, const char *param,
					   const struct wwtp_device **dev)
{
	for (size_t j = 0; j < st->ndevices; j++)
		for (size_t k = 0; k < st->devices[j].npoints; k++)
			if (strcmp(st->devices[j].points[k].param, param) == 0) {
				*dev = &st->devices[j];
				return &st->devices[j].points[k];
			}
	return NULL;
}

static int emit_alert(struct wwtp_sim_history *h, char *topic, size_t tn, struct wwtp_buf *out)
{
	struct hist_station *hs = &h->hs[h->pend_station];
	const struct wwtp_alert_event *e = &hs->pending[hs->next_pending++];
	const struct wwtp_device *dev = NULL;
	const struct wwtp_point *p = find_point(hs->st, e->param, &dev);

	if (hs->next_pending == hs->npending)
		hs->npending = hs->next_pending = 0;
	h->stats.alerts++;
	int rc = wwtp_topic(hs->st, "alert", topic, tn);
	if (rc == 0)
		rc = wwtp_payload_alert(hs->st, e, dev ? dev->name : NULL, e->param,
					p ? p->unit : NULL, out);
	return rc == 0 ? 1 : rc;
}

/* One poll of device j of station hs at instant t: what the collector would
 * have read, published and fed to its evaluator. */
static int emit_telemetry(struct wwtp_sim_history *h, struct hist_station *hs, size_t j,
			  char *topic, size_t tn, struct wwtp_buf *out)
{
	const struct wwtp_device *dev = &hs->st->devices[j];
	struct wwtp_sample *s = hs->samples[j];
	int64_t t_s = h->t / 1000;
	int rc;

	size_t base = 0;
	for (size_t d = 0; d < j; d++)
		base += hs->st->devices[d].npoints;
	s->ts_ms = h->t;
	for (size_t k = 0; k < dev->npoints; k++) {
		struct wwtp_reading *r = &s->readings[k];
		const struct wwtp_point *p = &dev->points[k];
		r->point = p;
		r->reason[0] = '\0';
		r->has_value = wwtp_sim_point_value(hs->site, p, t_s, &r->value) == 0;
		r->status = wwtp_sim_point_status(hs->site, dev, p, t_s);
		if (!r->has_value) {
			/* Only a value the point cannot hold gets here: the
			 * collector would read the register's old content. */
			r->status = WWTP_READING_FAULT;
			snprintf(r->reason, sizeof(r->reason), "cannot decode");
		} else if (r->status == WWTP_READING_FAULT) {
			snprintf(r->reason, sizeof(r->reason), "instrument reports a fault");
		} else if (r->status == WWTP_READING_CALIBRATING) {
			snprintf(r->reason, sizeof(r->reason), "instrument is calibrating");
		}
		r->suspect = r->status == WWTP_READING_OK && r->has_value
				 ? wwtp_plaus_check(&p->plaus, &hs->plaus[base + k], h->t, r->value)
				 : WWTP_SUSPECT_NONE;
	}
	hs->seq++;
	h->stats.telemetry++;
	rc = wwtp_topic(hs->st, "telemetry", topic, tn);
	if (rc == 0)
		rc = wwtp_payload_telemetry(hs->st, s, hs->seq, out);
	for (size_t k = 0; hs->ev && k < dev->npoints; k++) {
		const struct wwtp_reading *r = &s->readings[k];
		int ne = wwtp_eval_feed_checked(hs->ev, r->point->param, h->t, r->status,
						r->has_value, r->value, r->suspect, h->scratch,
						WWTP_EVAL_FEED_EVENTS_MAX);
		if (ne > 0 && queue_events(hs, h->scratch, (size_t)ne) != 0 && rc == 0)
			rc = WWTP_ERR_NOMEM;
	}
	if (hs->npending > 0)
		h->pend_station = (size_t)(hs - h->hs);
	return rc == 0 ? 1 : rc;
}

int wwtp_sim_history_next(struct wwtp_sim_history *h, char *topic, size_t tn, struct wwtp_buf *out)
{
	wwtp_buf_reset(out);
	for (;;) {
		if (h->hs[h->pend_station].npending > 0)
			return emit_alert(h, topic, tn, out);
		if (h->t >= h->o.to_ms)
			return 0;
		struct hist_station *hs = &h->hs[h->si];
		if (h->di < hs->st->ndevices)
			return emit_telemetry(h, hs, h->di++, topic, tn, out);
		h->di = 0;
		if (++h->si == h->n) {
			h->si = 0;
			h->t += h->o.interval_ms;
			h->stats.ts_ms = h->t;
		}
	}
}

void wwtp_sim_history_get_stats(const struct wwtp_sim_history *h,
				struct wwtp_sim_history_stats *out)
{
	*out = h->stats;
}
