/* tsguard.c - poll times that never go back (see tsguard.h). */
#include "tsguard.h"

#include <stdlib.h>

#include "../util/err.h"

struct dev_ts {
	int64_t last;	   /* last ts given */
	int64_t last_mono; /* when it was given */
	int seen;	   /* a poll was given a ts since start */
};

struct wwtp_tsguard {
	size_t n;
	int64_t floor, high;
	uint64_t resyncs;
	struct dev_ts *d;
};

int wwtp_tsguard_new(size_t ndevices, int64_t floor_ms, struct wwtp_tsguard **out)
{
	struct wwtp_tsguard *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (!g)
		return WWTP_ERR_NOMEM;
	g->n = ndevices;
	g->floor = floor_ms > 0 ? floor_ms : 0;
	g->high = g->floor;
	g->d = calloc(ndevices ? ndevices : 1, sizeof(*g->d));
	if (!g->d) {
		free(g);
		return WWTP_ERR_NOMEM;
	}
	*out = g;
	return 0;
}

void wwtp_tsguard_free(struct wwtp_tsguard *g)
{
	if (!g)
		return;
	free(g->d);
	free(g);
}

int64_t wwtp_tsguard_poll(struct wwtp_tsguard *g, size_t dev, int64_t wall_ms, int64_t mono_ms,
			  int64_t *behind_ms)
{
	int64_t ts = wall_ms;

	if (dev < g->n) {
		struct dev_ts *d = &g->d[dev];
		/* Before the first poll since start, the floor stands for the
		 * last ts (of any device: that is all that was kept). */
		int64_t last = d->seen ? d->last : g->floor;
		if (last - wall_ms > WWTP_TSGUARD_HOLD_MS) {
			/* Not held (tsguard.h): the old times were wrong. */
			g->resyncs++;
			g->floor = 0;
			g->high = wall_ms;
			for (size_t i = 0; i < g->n; i++)
				if (g->d[i].last > wall_ms)
					g->d[i].seen = 0;
		} else if (wall_ms <= last) {
			/* Half the elapsed time: the wall clock, running at full
			 * pace, catches up within twice the step. */
			int64_t step = d->seen ? (mono_ms - d->last_mono) / 2 : 0;
			ts = last + (step > 1 ? step : 1);
		}
		d->last = ts;
		d->last_mono = mono_ms;
		d->seen = 1;
	}
	if (ts > g->high)
		g->high = ts;
	if (behind_ms)
		*behind_ms = ts - wall_ms;
	return ts;
}

int64_t wwtp_tsguard_now(const struct wwtp_tsguard *g, int64_t wall_ms)
{
	return wall_ms > g->high ? wall_ms : g->high;
}

int64_t wwtp_tsguard_high(const struct wwtp_tsguard *g)
{
	return g->high;
}

uint64_t wwtp_tsguard_resyncs(const struct wwtp_tsguard *g)
{
	return g->resyncs;
}
