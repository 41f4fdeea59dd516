/* tt10_period.c - per-period means and statuses for the Circular 10/2021
 * files (see tt10_period.h). */
#include "tt10_period.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../compliance/period.h"
#include "../payload/payload.h"
#include "../util/err.h"

/* Open periods kept at once: the one waiting for its late readings, the
 * next one, and room for a clock that stepped ahead. */
#define SLOTS 4

struct stat_acc {
	uint32_t n_ok, n_cal, n_fault; /* readings by status (offline counts as fault) */
	uint32_t nv_cal, nv_fault;     /* of those, the ones that carried a value */
	double sum_ok, sum_cal, sum_fault;
};

struct slot {
	int used;
	int64_t period; /* period number: local ms / period ms */
	struct stat_acc *acc;
};

struct wwtp_tt10_agg {
	int64_t period_ms;
	size_t nparams;
	int started;
	int64_t floor; /* lowest period number still accepting readings */
	uint64_t dropped;
	struct slot slot[SLOTS];
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

static int64_t period_of(const struct wwtp_tt10_agg *a, int64_t ts_ms)
{
	return floor_div(ts_ms + WWTP_VN_UTC_OFFSET_MS, a->period_ms);
}

int64_t wwtp_tt10_period_start(int64_t ts_ms, int period_s)
{
	int64_t p = (int64_t)period_s * 1000;
	return floor_div(ts_ms + WWTP_VN_UTC_OFFSET_MS, p) * p - WWTP_VN_UTC_OFFSET_MS;
}

struct wwtp_tt10_agg *wwtp_tt10_agg_new(int period_s, size_t nparams)
{
	if (period_s < 1 || 86400 % period_s != 0 || nparams == 0)
		return NULL;
	struct wwtp_tt10_agg *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->period_ms = (int64_t)period_s * 1000;
	a->nparams = nparams;
	for (int k = 0; k < SLOTS; k++) {
		a->slot[k].acc = calloc(nparams, sizeof(struct stat_acc));
		if (!a->slot[k].acc) {
			wwtp_tt10_agg_free(a);
			return NULL;
		}
	}
	return a;
}

void wwtp_tt10_agg_free(struct wwtp_tt10_agg *a)
{
	if (!a)
		return;
	for (int k = 0; k < SLOTS; k++)
		free(a->slot[k].acc);
	free(a);
}

static void start(struct wwtp_tt10_agg *a, int64_t ts_ms)
{
	if (!a->started) {
		a->started = 1;
		a->floor = period_of(a, ts_ms);
	}
}

int wwtp_tt10_agg_add(struct wwtp_tt10_agg *a, size_t i, int64_t ts_ms, int status, int has_value,
		      double value)
{
	struct slot *s = NULL, *spare = NULL;

	if (i >= a->nparams)
		return WWTP_ERR_INVAL;
	start(a, ts_ms);
	int64_t p = period_of(a, ts_ms);
	if (p < a->floor) {
		a->dropped++;
		return WWTP_ERR_RANGE;
	}
	for (int k = 0; k < SLOTS; k++) {
		if (a->slot[k].used && a->slot[k].period == p)
			s = &a->slot[k];
		else if (!a->slot[k].used && !spare)
			spare = &a->slot[k];
	}
	if (!s) {
		if (!spare) {
			a->dropped++;
			return WWTP_ERR_RANGE;
		}
		s = spare;
		s->used = 1;
		s->period = p;
		memset(s->acc, 0, a->nparams * sizeof(*s->acc));
	}
	struct stat_acc *x = &s->acc[i];
	/* A value that is not finite is no value. */
	int hv = has_value && isfinite(value);
	switch (status) {
	case WWTP_READING_OK:
		if (hv) {
			x->n_ok++;
			x->sum_ok += value;
		} else {
			/* "ok" without a value cannot be averaged: it says as
			 * much as a fault does. */
			x->n_fault++;
		}
		break;
	case WWTP_READING_CALIBRATING:
		x->n_cal++;
		if (hv) {
			x->nv_cal++;
			x->sum_cal += value;
		}
		break;
	default: /* fault, offline */
		x->n_fault++;
		if (hv) {
			x->nv_fault++;
			x->sum_fault += value;
		}
		break;
	}
	return 0;
}

static void result(const struct stat_acc *x, struct wwtp_tt10_value *v)
{
	memset(v, 0, sizeof(*v));
	if (x->n_ok > 0) {
		v->status = WWTP_TT10_MEASURING;
		v->has_value = 1;
		v->value = x->sum_ok / x->n_ok;
	} else if (x->n_cal > 0) {
		v->status = WWTP_TT10_CALIBRATING;
		v->has_value = x->nv_cal > 0;
		v->value = x->nv_cal ? x->sum_cal / x->nv_cal : 0;
	} else {
		v->status = WWTP_TT10_FAULT;
		v->has_value = x->nv_fault > 0;
		v->value = x->nv_fault ? x->sum_fault / x->nv_fault : 0;
	}
}

int wwtp_tt10_agg_close(struct wwtp_tt10_agg *a, int64_t until_ms, int64_t *start_ms,
			struct wwtp_tt10_value *values)
{
	start(a, until_ms);
	int64_t target = period_of(a, until_ms); /* periods before it have ended */
	struct slot *oldest = NULL;

	for (int k = 0; k < SLOTS; k++) {
		struct slot *s = &a->slot[k];
		if (s->used && s->period < target && (!oldest || s->period < oldest->period))
			oldest = s;
	}
	if (!oldest) {
		if (a->floor < target)
			a->floor = target;
		return 0;
	}
	for (size_t i = 0; i < a->nparams; i++)
		result(&oldest->acc[i], &values[i]);
	*start_ms = oldest->period * a->period_ms - WWTP_VN_UTC_OFFSET_MS;
	a->floor = oldest->period + 1;
	oldest->used = 0;
	return 1;
}

uint64_t wwtp_tt10_agg_dropped(const struct wwtp_tt10_agg *a)
{
	return a->dropped;
}
