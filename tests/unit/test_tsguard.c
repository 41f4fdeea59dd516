/* Poll times that never go back (collector/tsguard.c): a clock stepped
 * back, caught up, stepped forward, and a floor kept across a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../collector/tsguard.h"

#define T0 1769878800000LL /* 2026-01-31T17:00:00Z */

static void test_step_back_and_catch_up(void **state)
{
	struct wwtp_tsguard *g;
	int64_t behind, last = 0, mono = 1000, wall = T0;
	(void)state;
	assert_int_equal(wwtp_tsguard_new(2, 0, &g), 0);
	/* Polls every second with a right clock: ts is the wall clock. */
	for (int i = 0; i < 5; i++, mono += 1000, wall += 1000) {
		last = wwtp_tsguard_poll(g, 0, wall, mono, &behind);
		assert_true(last == wall && behind == 0);
	}
	/* The clock steps back 10 s: never back, never equal, flagged; the
	 * wall clock catches up within twice the step, then leads again. */
	wall -= 10000;
	int caught = -1;
	for (int i = 0; i < 30; i++, mono += 1000, wall += 1000) {
		int64_t ts = wwtp_tsguard_poll(g, 0, wall, mono, &behind);
		assert_true(ts > last);
		assert_int_equal(behind, ts - wall);
		if (behind == 0 && caught < 0)
			caught = i;
		if (caught >= 0)
			assert_int_equal(behind, 0);
		last = ts;
	}
	assert_true(caught > 0 && caught <= 21);
	/* The other device was not polled across the step: its first poll
	 * after it is not held back by device 0. */
	assert_int_equal(wwtp_tsguard_poll(g, 1, wall, mono, &behind), wall);
	/* A step forward is followed at once. */
	wall += 3600000;
	assert_int_equal(wwtp_tsguard_poll(g, 0, wall, mono + 1000, &behind), wall);
	assert_int_equal(behind, 0);
	/* The same ms twice (or a frozen clock): 1 ms later at least. */
	int64_t a = wwtp_tsguard_poll(g, 0, wall + 5, mono + 2000, NULL);
	int64_t b = wwtp_tsguard_poll(g, 0, wall + 5, mono + 2000, &behind);
	assert_true(b == a + 1 && behind == 1);
	/* The evaluator's ticks never go before the readings. */
	assert_int_equal(wwtp_tsguard_now(g, T0), wwtp_tsguard_high(g));
	assert_int_equal(wwtp_tsguard_now(g, wall + 99999), wall + 99999);
	wwtp_tsguard_free(g);
}

/* A clock that was hours ahead: not held, followed back at once. */
static void test_large_step_not_held(void **state)
{
	struct wwtp_tsguard *g;
	int64_t behind;
	(void)state;
	/* Kept from a run whose clock said a day later. */
	assert_int_equal(wwtp_tsguard_new(2, T0 + 86400000, &g), 0);
	assert_int_equal(wwtp_tsguard_poll(g, 0, T0, 1000, &behind), T0);
	assert_int_equal(behind, 0);
	assert_int_equal(wwtp_tsguard_resyncs(g), 1);
	assert_int_equal(wwtp_tsguard_high(g), T0);
	assert_int_equal(wwtp_tsguard_poll(g, 1, T0 + 10, 1010, &behind), T0 + 10);
	assert_int_equal(wwtp_tsguard_resyncs(g), 1);
	/* Within the hold: held as usual. */
	assert_true(wwtp_tsguard_poll(g, 0, T0 - 1800000, 2000, &behind) > T0);
	assert_true(behind > 1800000);
	assert_int_equal(wwtp_tsguard_resyncs(g), 1);
	wwtp_tsguard_free(g);
}

static void test_floor_across_restart(void **state)
{
	struct wwtp_tsguard *g;
	int64_t behind;
	(void)state;
	/* Kept from the previous run: T0 + 60 s; the clock now says T0. */
	assert_int_equal(wwtp_tsguard_new(1, T0 + 60000, &g), 0);
	assert_int_equal(wwtp_tsguard_high(g), T0 + 60000);
	int64_t ts = wwtp_tsguard_poll(g, 0, T0, 5000, &behind);
	assert_true(ts > T0 + 60000 && behind == ts - T0);
	int64_t ts2 = wwtp_tsguard_poll(g, 0, T0 + 1000, 6000, &behind);
	assert_int_equal(ts2, ts + 500); /* half the real time */
	/* A device index out of range is left alone. */
	assert_int_equal(wwtp_tsguard_poll(g, 7, T0, 7000, &behind), T0);
	wwtp_tsguard_free(g);
	wwtp_tsguard_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_step_back_and_catch_up),
	    cmocka_unit_test(test_floor_across_restart),
	    cmocka_unit_test(test_large_step_not_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
