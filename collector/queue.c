#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "../util/err.h"

struct wwtp_queue {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* signalled on push and on wake */
	void **ring;
	size_t cap;
	size_t head; /* index of the oldest item */
	size_t len;
	uint64_t refused;
	uint64_t wakes; /* bumped by wwtp_queue_wake so a waiter can tell */
};

struct wwtp_queue *wwtp_queue_new(size_t cap)
{
	pthread_condattr_t ca;
	struct wwtp_queue *q;

	if (cap == 0)
		return NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->ring = calloc(cap, sizeof(*q->ring));
	if (!q->ring) {
		free(q);
		return NULL;
	}
	q->cap = cap;
	pthread_mutex_init(&q->lock, NULL);
	/* Timed waits on the monotonic clock, so that setting the wall clock
	 * (NTP on a Pi that booted without an RTC) cannot stretch them. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cond, &ca);
	pthread_condattr_destroy(&ca);
	return q;
}

void wwtp_queue_free(struct wwtp_queue *q, void (*free_item)(void *))
{
	if (!q)
		return;
	for (size_t i = 0; free_item && i < q->len; i++)
		free_item(q->ring[(q->head + i) % q->cap]);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q->ring);
	free(q);
}

/* Adds item at the tail, or at the head (front = 1: it comes out next). */
static int push(struct wwtp_queue *q, void *item, int front)
{
	int rc = 0;
	pthread_mutex_lock(&q->lock);
	if (q->len == q->cap) {
		q->refused++;
		rc = WWTP_ERR_FULL;
	} else {
		if (front) {
			q->head = (q->head + q->cap - 1) % q->cap;
			q->ring[q->head] = item;
		} else {
			q->ring[(q->head + q->len) % q->cap] = item;
		}
		q->len++;
		pthread_cond_signal(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

int wwtp_queue_push(struct wwtp_queue *q, void *item)
{
	return push(q, item, 0);
}

int wwtp_queue_push_front(struct wwtp_queue *q, void *item)
{
	return push(q, item, 1);
}

void *wwtp_queue_pop(struct wwtp_queue *q, int timeout_ms)
{
	struct timespec until;
	void *item = NULL;

	pthread_mutex_lock(&q->lock);
	if (q->len == 0 && timeout_ms > 0) {
		uint64_t wakes = q->wakes;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += timeout_ms / 1000;
		until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (q->len == 0 && q->wakes == wakes)
			if (pthread_cond_timedwait(&q->cond, &q->lock, &until) == ETIMEDOUT)
				break;
	}
	if (q->len > 0) {
		item = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->len--;
	}
	pthread_mutex_unlock(&q->lock);
	return item;
}

void *wwtp_queue_peek(struct wwtp_queue *q)
{
	void *item;
	pthread_mutex_lock(&q->lock);
	item = q->len ? q->ring[q->head] : NULL;
	pthread_mutex_unlock(&q->lock);
	return item;
}

void wwtp_queue_wake(struct wwtp_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->wakes++;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

size_t wwtp_queue_len(struct wwtp_queue *q)
{
	size_t n;
	pthread_mutex_lock(&q->lock);
	n = q->len;
	pthread_mutex_unlock(&q->lock);
	return n;
}

size_t wwtp_queue_cap(const struct wwtp_queue *q)
{
	return q->cap;
}

uint64_t wwtp_queue_refused(struct wwtp_queue *q)
{
	uint64_t n;
	pthread_mutex_lock(&q->lock);
	n = q->refused;
	pthread_mutex_unlock(&q->lock);
	return n;
}
