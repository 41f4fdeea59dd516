/* test_tt10_period.c - the per-period values of the Circular 10/2021
 * files (collector/tt10_period.c): periods on the local
 * clock, the mean of ok readings, the status rules when no reading is ok,
 * when a period closes, late and far-ahead readings, and periods without
 * readings. Expected values are worked out by hand next to them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../collector/tt10_period.h"
#include "../../util/timeutil.h"
#include "../../util/err.h"
#include "../../payload/payload.h"

#define OK WWTP_READING_OK
#define CAL WWTP_READING_CALIBRATING
#define FAULT WWTP_READING_FAULT
#define OFFLINE WWTP_READING_OFFLINE
#define S 1000LL
#define MIN (60 * S)

static int64_t at(const char *utc)
{
	int64_t ms = 0;
	assert_int_equal(wwtp_parse_utc(utc, &ms), 0);
	return ms;
}

static void test_period_start_is_local(void **state)
{
	(void)state;
	/* 5 minutes: 17:03:20Z (00:03:20 local) is in the period from 17:00Z. */
	assert_int_equal(wwtp_tt10_period_start(at("2026-01-31T17:03:20.000Z"), 300),
			 at("2026-01-31T17:00:00.000Z"));
	assert_int_equal(wwtp_tt10_period_start(at("2026-01-31T16:59:59.999Z"), 300),
			 at("2026-01-31T16:55:00.000Z"));
	/* 2 hours: local 00:30 is in 00:00-02:00 local = 17:00Z-19:00Z, not in
	 * the UTC-aligned 16:00Z-18:00Z. */
	assert_int_equal(wwtp_tt10_period_start(at("2026-01-31T17:30:00.000Z"), 7200),
			 at("2026-01-31T17:00:00.000Z"));
	assert_int_equal(wwtp_tt10_period_start(at("2026-01-31T16:30:00.000Z"), 7200),
			 at("2026-01-31T15:00:00.000Z"));
	/* A day: local midnight. */
	assert_int_equal(wwtp_tt10_period_start(at("2026-02-01T12:00:00.000Z"), 86400),
			 at("2026-01-31T17:00:00.000Z"));
}

static void test_new_refuses_bad_arguments(void **state)
{
	(void)state;
	assert_null(wwtp_tt10_agg_new(0, 1));
	assert_null(wwtp_tt10_agg_new(7, 1)); /* does not divide a day */
	assert_null(wwtp_tt10_agg_new(300, 0));
	struct wwtp_tt10_agg *a = wwtp_tt10_agg_new(300, 1);
	assert_non_null(a);
	assert_int_equal(wwtp_tt10_agg_add(a, 1, at("2026-01-31T17:00:00.000Z"), OK, 1, 1.0),
			 WWTP_ERR_INVAL);
	wwtp_tt10_agg_free(a);
	wwtp_tt10_agg_free(NULL);
}

/* One period of four params, every status rule at once. */
static void test_status_rules(void **state)
{
	(void)state;
	struct wwtp_tt10_agg *a = wwtp_tt10_agg_new(300, 7);
	struct wwtp_tt10_value v[7];
	int64_t start = 0;
	int64_t t0 = at("2026-01-31T16:55:00.000Z"); /* 23:55 local */

	/* 0: ok 10, 20, 33 and a fault 1000: mean of the ok ones, 21. */
	wwtp_tt10_agg_add(a, 0, t0 + 10 * S, OK, 1, 10.0);
	wwtp_tt10_agg_add(a, 0, t0 + 70 * S, OK, 1, 20.0);
	wwtp_tt10_agg_add(a, 0, t0 + 130 * S, FAULT, 1, 1000.0);
	wwtp_tt10_agg_add(a, 0, t0 + 299 * S, OK, 1, 33.0);
	/* 1: calibrating 7.0 and 7.4, a fault 3.0: 01, mean 7.2 of the
	 * calibrating values. */
	wwtp_tt10_agg_add(a, 1, t0 + 10 * S, CAL, 1, 7.0);
	wwtp_tt10_agg_add(a, 1, t0 + 70 * S, FAULT, 1, 3.0);
	wwtp_tt10_agg_add(a, 1, t0 + 130 * S, CAL, 1, 7.4);
	/* 2: calibrating without a value: 01, no value. */
	wwtp_tt10_agg_add(a, 2, t0 + 10 * S, CAL, 0, 0);
	/* 3: fault 4 and 8, offline: 02, mean 6 of the fault values. */
	wwtp_tt10_agg_add(a, 3, t0 + 10 * S, FAULT, 1, 4.0);
	wwtp_tt10_agg_add(a, 3, t0 + 70 * S, OFFLINE, 0, 0);
	wwtp_tt10_agg_add(a, 3, t0 + 130 * S, FAULT, 1, 8.0);
	/* 4: offline only: 02, no value. */
	wwtp_tt10_agg_add(a, 4, t0 + 10 * S, OFFLINE, 0, 0);
	/* 5: nothing at all: 02, no value. */
	/* 6: "ok" without a value, and NaN: nothing to average, 02. */
	wwtp_tt10_agg_add(a, 6, t0 + 10 * S, OK, 0, 0);
	wwtp_tt10_agg_add(a, 6, t0 + 20 * S, OK, 1, NAN);

	assert_int_equal(wwtp_tt10_agg_close(a, t0 + 300 * S, &start, v), 1);
	assert_int_equal(start, t0);
	assert_int_equal(v[0].status, WWTP_TT10_MEASURING);
	assert_true(v[0].has_value);
	assert_true(fabs(v[0].value - 21.0) < 1e-12);
	assert_int_equal(v[1].status, WWTP_TT10_CALIBRATING);
	assert_true(v[1].has_value);
	assert_true(fabs(v[1].value - 7.2) < 1e-12);
	assert_int_equal(v[2].status, WWTP_TT10_CALIBRATING);
	assert_false(v[2].has_value);
	assert_int_equal(v[3].status, WWTP_TT10_FAULT);
	assert_true(v[3].has_value);
	assert_true(fabs(v[3].value - 6.0) < 1e-12);
	assert_int_equal(v[4].status, WWTP_TT10_FAULT);
	assert_false(v[4].has_value);
	assert_int_equal(v[5].status, WWTP_TT10_FAULT);
	assert_false(v[5].has_value);
	assert_int_equal(v[6].status, WWTP_TT10_FAULT);
	assert_false(v[6].has_value);
	assert_int_equal(wwtp_tt10_agg_close(a, t0 + 300 * S, &start, v), 0);
	assert_int_equal(wwtp_tt10_agg_dropped(a), 0);
	wwtp_tt10_agg_free(a);
}

/* A period closes once until reaches its end, not before; a reading that
 * comes afterwards is dropped and counted. */
static void test_close_timing_and_late_readings(void **state)
{
	(void)state;
	struct wwtp_tt10_agg *a = wwtp_tt10_agg_new(300, 1);
	struct wwtp_tt10_value v[1];
	int64_t start = 0;
	int64_t t0 = at("2026-01-31T16:55:00.000Z");
	int64_t end = t0 + 5 * MIN; /* local midnight */

	wwtp_tt10_agg_add(a, 0, t0 + 1 * S, OK, 1, 1.0);
	/* A reading of the next period arrives while this one waits for its
	 * late ones (the caller passes now - grace). */
	wwtp_tt10_agg_add(a, 0, end + 1 * S, OK, 1, 100.0);
	assert_int_equal(wwtp_tt10_agg_close(a, end - 1, &start, v), 0);
	/* Late, but its period is still open: counted in it. */
	assert_int_equal(wwtp_tt10_agg_add(a, 0, end - 1, OK, 1, 3.0), 0);
	assert_int_equal(wwtp_tt10_agg_close(a, end, &start, v), 1);
	assert_int_equal(start, t0);
	assert_true(fabs(v[0].value - 2.0) < 1e-12); /* (1 + 3) / 2, not the 100 */
	assert_int_equal(wwtp_tt10_agg_close(a, end, &start, v), 0);
	/* Too late now. */
	assert_int_equal(wwtp_tt10_agg_add(a, 0, end - 1, OK, 1, 5.0), WWTP_ERR_RANGE);
	assert_int_equal(wwtp_tt10_agg_dropped(a), 1);
	/* The next period: only the 100. */
	assert_int_equal(wwtp_tt10_agg_close(a, end + 5 * MIN, &start, v), 1);
	assert_int_equal(start, end);
	assert_true(fabs(v[0].value - 100.0) < 1e-12);
	wwtp_tt10_agg_free(a);
}

/* The first period is the one holding the first call's time, partial or
 * not; periods without any reading are skipped; a reading before the first
 * period is dropped. */
static void test_partial_first_and_empty_periods(void **state)
{
	(void)state;
	struct wwtp_tt10_agg *a = wwtp_tt10_agg_new(300, 2);
	struct wwtp_tt10_value v[2];
	int64_t start = 0;
	int64_t t0 = at("2026-02-01T03:00:00.000Z"); /* 10:00 local */

	/* Started at 10:03:20: the 10:00 period has readings from then on. */
	assert_int_equal(wwtp_tt10_agg_close(a, t0 + 200 * S, &start, v), 0);
	wwtp_tt10_agg_add(a, 0, t0 + 210 * S, OK, 1, 4.0);
	/* Nothing in 10:05-10:10; param 0 again in 10:10-10:15. */
	wwtp_tt10_agg_add(a, 0, t0 + 11 * MIN, OK, 1, 6.0);
	assert_int_equal(wwtp_tt10_agg_close(a, t0 + 20 * MIN, &start, v), 1);
	assert_int_equal(start, t0);
	assert_int_equal(v[0].status, WWTP_TT10_MEASURING);
	assert_true(fabs(v[0].value - 4.0) < 1e-12);
	assert_int_equal(v[1].status, WWTP_TT10_FAULT); /* never read in that period */
	assert_int_equal(wwtp_tt10_agg_close(a, t0 + 20 * MIN, &start, v), 1);
	assert_int_equal(start, t0 + 10 * MIN); /* 10:05 skipped */
	assert_true(fabs(v[0].value - 6.0) < 1e-12);
	assert_int_equal(wwtp_tt10_agg_close(a, t0 + 20 * MIN, &start, v), 0);
	wwtp_tt10_agg_free(a);
}

/* The reading dated 09:59:59 when the first call said 10:03:20 is before
 * the first period: dropped. (Checked apart, so the expectation is plain.) */
static void test_before_first_period(void **state)
{
	(void)state;
	struct wwtp_tt10_agg *a = wwtp_tt10_agg_new(300, 1);
	struct wwtp_tt10_value v[1];
	int64_t start = 0;
	int64_t t0 = at("2026-02-01T03:00:00.000Z");

	assert_int_equal(wwtp_tt10_agg_close(a, t0 + 200 * S, &start, v), 0);
	assert_int_equal(wwtp_tt10_agg_add(a, 0, t0 - 1, OK, 1, 9.0), WWTP_ERR_RANGE);
	assert_int_equal(wwtp_tt10_agg_dropped(a), 1);
	wwtp_tt10_agg_free(a);
}

/* Four periods may be open at once; a fifth, further ahead, is dropped
 * (a clock that jumped). Once they close, later ones are taken again. */
static void test_far_ahead(void **state)
{
	(void)state;
	struct wwtp_tt10_agg *a = wwtp_tt10_agg_new(60, 1);
	struct wwtp_tt10_value v[1];
	int64_t start = 0;
	int64_t t0 = at("2026-02-01T03:00:00.000Z");

	for (int k = 0; k < 4; k++)
		assert_int_equal(wwtp_tt10_agg_add(a, 0, t0 + k * MIN, OK, 1, k), 0);
	assert_int_equal(wwtp_tt10_agg_add(a, 0, t0 + 4 * MIN, OK, 1, 4), WWTP_ERR_RANGE);
	for (int k = 0; k < 4; k++) {
		assert_int_equal(wwtp_tt10_agg_close(a, t0 + 10 * MIN, &start, v), 1);
		assert_int_equal(start, t0 + k * MIN); /* in order */
		assert_true(fabs(v[0].value - k) < 1e-12);
	}
	assert_int_equal(wwtp_tt10_agg_close(a, t0 + 10 * MIN, &start, v), 0);
	assert_int_equal(wwtp_tt10_agg_add(a, 0, t0 + 10 * MIN, OK, 1, 10), 0);
	assert_int_equal(wwtp_tt10_agg_dropped(a), 1);
	wwtp_tt10_agg_free(a);
}

/* A period never mixes with the one a day later (slots are reused). */
static void test_many_periods(void **state)
{
	(void)state;
	struct wwtp_tt10_agg *a = wwtp_tt10_agg_new(300, 1);
	struct wwtp_tt10_value v[1];
	int64_t start = 0;
	int64_t t0 = at("2026-01-31T17:00:00.000Z");
	int n = 0;

	for (int64_t t = t0; t < t0 + 86400 * S; t += 10 * S) {
		wwtp_tt10_agg_add(a, 0, t, OK, 1, (double)((t - t0) / (300 * S)));
		while (wwtp_tt10_agg_close(a, t - 2 * S, &start, v) == 1) {
			assert_int_equal(start, t0 + n * 300 * S);
			assert_true(fabs(v[0].value - n) < 1e-12);
			n++;
		}
	}
	while (wwtp_tt10_agg_close(a, t0 + 86400 * S, &start, v) == 1)
		n++;
	assert_int_equal(n, 288);
	assert_int_equal(wwtp_tt10_agg_dropped(a), 0);
	wwtp_tt10_agg_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_period_start_is_local),
	    cmocka_unit_test(test_new_refuses_bad_arguments),
	    cmocka_unit_test(test_status_rules),
	    cmocka_unit_test(test_close_timing_and_late_readings),
	    cmocka_unit_test(test_partial_first_and_empty_periods),
	    cmocka_unit_test(test_before_first_period),
	    cmocka_unit_test(test_far_ahead),
	    cmocka_unit_test(test_many_periods),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
