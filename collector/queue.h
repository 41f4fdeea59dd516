/* queue.h - a bounded FIFO of pointers, safe between threads.
 *
 * The poller's link threads push samples, the collector's main thread pops
 * them; the outbox reuses it for messages it holds. Pushing never blocks:
 * a full queue refuses the item (and counts it), so a stalled consumer can
 * never stall a Modbus bus. The queue owns no item until it is pushed and
 * none after it is popped. */
#ifndef WWTP_QUEUE_H
#define WWTP_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct wwtp_queue;

/* A queue of at most cap items (cap >= 1). NULL when out of memory. */
struct wwtp_queue *wwtp_queue_new(size_t cap);
/* Frees the queue; items still in it are passed to free_item (may be NULL
 * to leave them alone). Accepts NULL. No thread may use it any more. */
void wwtp_queue_free(struct wwtp_queue *q, void (*free_item)(void *));

/* Appends item (not NULL). 0, or WWTP_ERR_FULL: the caller keeps the item
 * and the refusal is counted (wwtp_queue_refused). */
int wwtp_queue_push(struct wwtp_queue *q, void *item);
/* Puts item back at the head, to be popped next (a retry keeps its place
 * ahead of newer items). 0 or WWTP_ERR_FULL, as wwtp_queue_push. */
int wwtp_queue_push_front(struct wwtp_queue *q, void *item);
/* Takes the oldest item, waiting up to timeout_ms (0: do not wait) for one.
 * NULL when none came in time or wwtp_queue_wake was called. */
void *wwtp_queue_pop(struct wwtp_queue *q, int timeout_ms);
/* The oldest item without taking it; NULL if empty. Only meaningful when a
 * single thread pops. */
void *wwtp_queue_peek(struct wwtp_queue *q);
/* Makes a waiting wwtp_queue_pop return at once. */
void wwtp_queue_wake(struct wwtp_queue *q);

size_t wwtp_queue_len(struct wwtp_queue *q);
size_t wwtp_queue_cap(const struct wwtp_queue *q);
/* Items refused because the queue was full, since it was made. */
uint64_t wwtp_queue_refused(struct wwtp_queue *q);

#endif
