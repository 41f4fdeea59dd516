/* plausibility.c - the plausibility checks (see plausibility.h). Pure. */
#include "plausibility.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const names[WWTP_SUSPECTS] = {"", "range", "step", "flatline"};

const char *wwtp_suspect_name(int suspect)
{
	return suspect > 0 && suspect < WWTP_SUSPECTS ? names[suspect] : "";
}

int wwtp_suspect_from_name(const char *name)
{
	for (int i = 1; name && i < WWTP_SUSPECTS; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

void wwtp_plaus_none(struct wwtp_plaus *b)
{
	b->on = 0;
	b->min = b->max = b->step = b->resolution = NAN;
	b->flat_s = 0;
}

void wwtp_plaus_unset(struct wwtp_plaus *b)
{
	wwtp_plaus_none(b);
	b->flat_s = -1;
}

void wwtp_plaus_fill(struct wwtp_plaus *b, const struct wwtp_plaus *from)
{
	if (isnan(b->min))
		b->min = from->min;
	if (isnan(b->max))
		b->max = from->max;
	if (isnan(b->step))
		b->step = from->step;
	if (isnan(b->resolution))
		b->resolution = from->resolution;
	if (b->flat_s < 0)
		b->flat_s = from->flat_s;
}

int wwtp_plaus_any(const struct wwtp_plaus *b)
{
	return isfinite(b->min) || isfinite(b->max) || isfinite(b->step) || b->flat_s > 0;
}

void wwtp_plaus_state_reset(struct wwtp_plaus_state *s)
{
	memset(s, 0, sizeof(*s));
}

int wwtp_plaus_in_range(const struct wwtp_plaus *b, double v)
{
	if (!isfinite(v))
		return 0;
	if (!b->on)
		return 1;
	return !(isfinite(b->min) && v < b->min) && !(isfinite(b->max) && v > b->max);
}

void wwtp_plaus_range_label(const struct wwtp_plaus *b, char *buf, size_t n)
{
	if (isfinite(b->min) && isfinite(b->max))
		snprintf(buf, n, "%g-%g", b->min, b->max);
	else if (isfinite(b->min))
		snprintf(buf, n, ">= %g", b->min);
	else if (isfinite(b->max))
		snprintf(buf, n, "<= %g", b->max);
	else
		snprintf(buf, n, "any value");
}

int64_t wwtp_plaus_flat_ms(const struct wwtp_plaus_state *s, int64_t ts_ms)
{
	return s->has_flat && ts_ms > s->flat_since ? ts_ms - s->flat_since : 0;
}

int wwtp_plaus_check(const struct wwtp_plaus *b, struct wwtp_plaus_state *s, int64_t ts_ms,
		     double v)
{
	if (!b->on)
		return WWTP_SUSPECT_NONE;
	if (!wwtp_plaus_in_range(b, v))
		return WWTP_SUSPECT_RANGE;

	/* Step: against the last credible value, unless the reading before
	 * this one already sat near v (the jump persisted: a real change). */
	int step = 0;
	if (isfinite(b->step) && s->has_ref && ts_ms - s->ref_ts <= WWTP_PLAUS_STEP_GAP_MS &&
	    fabs(v - s->ref) > b->step)
		step = !(s->has_prev && fabs(v - s->prev) <= b->step);
	s->has_prev = 1;
	s->prev = v;
	if (!step) {
		s->has_ref = 1;
		s->ref = v;
		s->ref_ts = ts_ms;
	}

	/* Flat line: a run starts at a value and lasts while the readings
	 * stay within resolution of it (a slow drift inside the resolution is
	 * still a frozen value). */
	double res = isfinite(b->resolution) && b->resolution > 0 ? b->resolution : 0;
	if (!s->has_flat || fabs(v - s->flat_ref) > res) {
		s->has_flat = 1;
		s->flat_ref = v;
		s->flat_since = ts_ms;
	}
	if (step)
		return WWTP_SUSPECT_STEP;
	if (b->flat_s > 0 && ts_ms - s->flat_since > (int64_t)b->flat_s * 1000)
		return WWTP_SUSPECT_FLATLINE;
	return WWTP_SUSPECT_NONE;
}
