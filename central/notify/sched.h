/* sched.h - when to write and when to send, as pure functions.
 *
 * Grouping: a recipient gets a new message when it has events waiting, its
 * oldest waiting event has waited delay_ms (so that changes arriving
 * together go together), no earlier message of it is still undelivered,
 * and min_interval_ms has passed since its last message was made. Events
 * arriving meanwhile wait and go in the next message, all of them.
 *
 * Retries: a failed attempt k (1, 2, ...) waits min_ms * 2^(k-1), at most
 * max_ms. */
#ifndef WWTP_NOTIFY_SCHED_H
#define WWTP_NOTIFY_SCHED_H

#include <stdint.h>

struct wwtp_notify_due {
	int64_t oldest_waiting_ms; /* queued time of its oldest waiting event; 0 none */
	int64_t last_made_ms;	   /* when its last message was made; 0 never */
	int undelivered;	   /* a message of it is in the outbox */
};

/* 1 when a message is to be made at now_ms, else 0; *next_ms (may be NULL)
 * gets when to look again (INT64_MAX: only on a new event or delivery). */
int wwtp_notify_is_due(const struct wwtp_notify_due *d, int64_t now_ms, int64_t delay_ms,
		       int64_t min_interval_ms, int64_t *next_ms);

/* The wait after the attempt-th failure (attempt >= 1). */
int64_t wwtp_notify_backoff_ms(int attempt, int64_t min_ms, int64_t max_ms);

#endif
