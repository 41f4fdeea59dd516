/* history.c - a station's flag history from its hours (history.h). */
#include "history.h"

#include <stdlib.h>
#include <string.h>

#include "../../util/err.h"

int wwtp_flag_history(const struct wwtp_flag_cfg *cfg, const struct wwtp_flag_param *params,
		      size_t nparams, double design_m3d, const struct wwtp_hourly *h, int64_t end,
		      struct wwtp_flag_episode *out, size_t max)
{
	struct wwtp_param_summary *ps = calloc(nparams ? nparams : 1, sizeof(*ps));
	struct wwtp_flag_reason *why = calloc(WWTP_FLAG_REASONS_MAX, sizeof(*why));
	struct wwtp_flag_state *state = calloc(1, sizeof(*state));
	size_t n = 0;
	int judging = 0; /* the rules have had enough hours once */

	if (!ps || !why || !state) {
		free(ps);
		free(why);
		free(state);
		return WWTP_ERR_NOMEM;
	}
	/* The ring holds hours [end - nhours + 1, end]: the first window
	 * ending after its oldest hour holds one hour. */
	for (int64_t e = end - (int64_t)h->nhours + 2; e <= end; e++) {
		struct wwtp_station_summary sum;
		sum.params = ps;
		wwtp_hourly_summarise(h, params, e, cfg->window_h, cfg->hour_min_ok, &sum);
		size_t k = wwtp_flags_evaluate(cfg, params, nparams, design_m3d, &sum, state, why,
					       WWTP_FLAG_REASONS_MAX, NULL);
		int first = !judging && sum.hours >= cfg->min_hours;
		judging |= first;
		struct wwtp_flag_episode *last = n ? &out[(n - 1) % max] : NULL;
		int open = last && last->cleared_hour < 0;
		if (k && !open) {
			if (max == 0)
				continue;
			struct wwtp_flag_episode *x = &out[n % max];
			memset(x, 0, sizeof(*x));
			x->raised_hour = e;
			x->cleared_hour = -1;
			x->from_start = first;
			x->nreasons = k < WWTP_FLAG_HISTORY_REASONS ? k : WWTP_FLAG_HISTORY_REASONS;
			memcpy(x->reasons, why, x->nreasons * sizeof(*why));
			n++;
		} else if (!k && open) {
			last->cleared_hour = e;
		}
	}
	free(ps);
	free(why);
	free(state);
	if (n > max) { /* a ring: put the newest max in order */
		size_t s = n % max;
		struct wwtp_flag_episode *tmp = malloc(max * sizeof(*tmp));
		if (!tmp)
			return WWTP_ERR_NOMEM;
		for (size_t i = 0; i < max; i++)
			tmp[i] = out[(s + i) % max];
		memcpy(out, tmp, max * sizeof(*tmp));
		free(tmp);
		n = max;
	}
	return (int)n;
}
