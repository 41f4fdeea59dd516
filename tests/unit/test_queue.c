/* The collector's bounded queue (collector/queue.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <pthread.h>

#include "../../collector/queue.h"
#include "../../util/timeutil.h"
#include "../../util/err.h"

static int freed;
static void count_free(void *p)
{
	(void)p;
	freed++;
}

static void test_fifo_and_cap(void **state)
{
	int v[5];
	(void)state;
	assert_null(wwtp_queue_new(0));
	struct wwtp_queue *q = wwtp_queue_new(3);
	assert_non_null(q);
	assert_int_equal(wwtp_queue_cap(q), 3);
	assert_null(wwtp_queue_pop(q, 0));
	assert_null(wwtp_queue_peek(q));
	/* Wrap around the ring a few times. */
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 3; i++)
			assert_int_equal(wwtp_queue_push(q, &v[i]), 0);
		assert_int_equal(wwtp_queue_push(q, &v[3]), WWTP_ERR_FULL);
		assert_int_equal(wwtp_queue_len(q), 3);
		assert_ptr_equal(wwtp_queue_peek(q), &v[0]);
		for (int i = 0; i < 3; i++)
			assert_ptr_equal(wwtp_queue_pop(q, 0), &v[i]);
		assert_null(wwtp_queue_pop(q, 0));
	}
	assert_int_equal(wwtp_queue_refused(q), 4);

	/* push_front puts an item back ahead of the others. */
	assert_int_equal(wwtp_queue_push(q, &v[1]), 0);
	assert_int_equal(wwtp_queue_push(q, &v[2]), 0);
	assert_int_equal(wwtp_queue_push_front(q, &v[0]), 0);
	assert_int_equal(wwtp_queue_push_front(q, &v[4]), WWTP_ERR_FULL);
	assert_int_equal(wwtp_queue_refused(q), 5);
	assert_ptr_equal(wwtp_queue_pop(q, 0), &v[0]);
	assert_ptr_equal(wwtp_queue_pop(q, 0), &v[1]);

	/* Items left are handed to free_item. */
	freed = 0;
	wwtp_queue_free(q, count_free);
	assert_int_equal(freed, 1);
	wwtp_queue_free(NULL, count_free);
}

static void test_pop_timeout(void **state)
{
	(void)state;
	struct wwtp_queue *q = wwtp_queue_new(1);
	int64_t t0 = wwtp_mono_ms();
	assert_null(wwtp_queue_pop(q, 150));
	int64_t dt = wwtp_mono_ms() - t0;
	assert_true(dt >= 140);
	assert_true(dt < 2000);
	wwtp_queue_free(q, NULL);
}

struct waker {
	struct wwtp_queue *q;
	int delay_ms;
	void *item; /* NULL: wake instead of push */
};

static void *wake_later(void *arg)
{
	struct waker *w = arg;
	wwtp_sleep_ms(w->delay_ms, NULL);
	if (w->item)
		wwtp_queue_push(w->q, w->item);
	else
		wwtp_queue_wake(w->q);
	return NULL;
}

static void test_pop_wakes(void **state)
{
	(void)state;
	int x;
	pthread_t t;
	struct wwtp_queue *q = wwtp_queue_new(2);
	struct waker w = {q, 50, &x};

	/* A push ends the wait with the item... */
	int64_t t0 = wwtp_mono_ms();
	assert_int_equal(pthread_create(&t, NULL, wake_later, &w), 0);
	assert_ptr_equal(wwtp_queue_pop(q, 5000), &x);
	assert_true(wwtp_mono_ms() - t0 < 4000);
	pthread_join(t, NULL);

	/* ...and a wake without one. */
	w.item = NULL;
	t0 = wwtp_mono_ms();
	assert_int_equal(pthread_create(&t, NULL, wake_later, &w), 0);
	assert_null(wwtp_queue_pop(q, 5000));
	assert_true(wwtp_mono_ms() - t0 < 4000);
	pthread_join(t, NULL);
	wwtp_queue_free(q, NULL);
}

enum { PRODUCERS = 4, PER_PRODUCER = 20000 };

struct producer {
	struct wwtp_queue *q;
	uintptr_t base;
	int pushed;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	for (int i = 0; i < PER_PRODUCER; i++)
		if (wwtp_queue_push(p->q, (void *)(p->base + (uintptr_t)i + 1)) == 0)
			p->pushed++;
	return NULL;
}

/* Several threads push while one pops: nothing is lost or duplicated, each
 * producer's items come out in its order, and every refusal is counted. */
static void test_threads(void **state)
{
	(void)state;
	struct wwtp_queue *q = wwtp_queue_new(64);
	struct producer p[PRODUCERS];
	pthread_t t[PRODUCERS];
	uintptr_t last[PRODUCERS] = {0};
	int popped = 0, pushed = 0;

	for (int i = 0; i < PRODUCERS; i++) {
		p[i] = (struct producer){q, (uintptr_t)i * 1000000, 0};
		assert_int_equal(pthread_create(&t[i], NULL, produce, &p[i]), 0);
	}
	for (;;) {
		void *item = wwtp_queue_pop(q, 200);
		if (!item)
			break; /* producers are done and the queue is empty */
		uintptr_t v = (uintptr_t)item;
		int who = (int)(v / 1000000);
		assert_true(who >= 0 && who < PRODUCERS);
		assert_true(v > last[who]);
		last[who] = v;
		popped++;
	}
	for (int i = 0; i < PRODUCERS; i++) {
		pthread_join(t[i], NULL);
		pushed += p[i].pushed;
	}
	assert_int_equal(popped, pushed);
	assert_int_equal(wwtp_queue_refused(q), (uint64_t)(PRODUCERS * PER_PRODUCER - pushed));
	wwtp_queue_free(q, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fifo_and_cap),
	    cmocka_unit_test(test_pop_timeout),
	    cmocka_unit_test(test_pop_wakes),
	    cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
