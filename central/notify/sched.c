/* sched.c - see sched.h. */
#include "sched.h"

int wwtp_notify_is_due(const struct wwtp_notify_due *d, int64_t now_ms, int64_t delay_ms,
		       int64_t min_interval_ms, int64_t *next_ms)
{
	int64_t at;

	if (next_ms)
		*next_ms = INT64_MAX;
	if (!d->oldest_waiting_ms || d->undelivered)
		return 0;
	at = d->oldest_waiting_ms + delay_ms;
	/* A clock stepped back must not hold messages for the size of the step. */
	if (d->last_made_ms && d->last_made_ms <= now_ms && d->last_made_ms + min_interval_ms > at)
		at = d->last_made_ms + min_interval_ms;
	if (now_ms >= at)
		return 1;
	if (next_ms)
		*next_ms = at;
	return 0;
}

int64_t wwtp_notify_backoff_ms(int attempt, int64_t min_ms, int64_t max_ms)
{
	int64_t w = min_ms;

	for (int i = 1; i < attempt && w < max_ms; i++)
		w *= 2;
	return w < max_ms ? w : max_ms;
}
