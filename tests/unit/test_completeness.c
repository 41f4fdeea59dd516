/* test_completeness.c - counting a device's polls in a day
 * (central/ingest/completeness.h): holes, the edges of the day, jitter,
 * duplicates, the part not judged yet, the percentage and the late point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../central/ingest/completeness.h"
#include "../../util/buf.h"
#include "../../util/err.h"

#define DAY 86400000LL
#define T0 1796316000000LL /* 2026-12-03 00:00 in Hanoi */

static void test_full_day(void **state)
{
	(void)state;
	int64_t *t = malloc(8640 * sizeof(*t));
	assert_non_null(t);
	for (int i = 0; i < 8640; i++)
		t[i] = T0 + i * 10000LL + (i % 3) * 700; /* jitter under half an interval */
	struct wwtp_compl c = {0};
	assert_int_equal(wwtp_compl_count(T0, T0 + DAY, T0 + DAY, 10000, t, 8640, &c), 0);
	assert_int_equal(c.expected, 8640);
	assert_int_equal(c.received, 8640);
	assert_int_equal(c.lost, 0);
	assert_int_equal(c.ngaps, 0);
	wwtp_compl_clear(&c);
	free(t);
}

static void test_holes_and_edges(void **state)
{
	(void)state;
	/* 60 s polls over an hour: the first two, 10..12 and the last three missing. */
	int64_t t[64];
	size_t n = 0;
	for (int i = 0; i < 60; i++)
		if (i >= 2 && !(i >= 10 && i <= 12) && i < 57)
			t[n++] = T0 + i * 60000LL;
	t[n] = t[n - 1]; /* a duplicate */
	n++;
	struct wwtp_compl c = {0};
	assert_int_equal(wwtp_compl_count(T0, T0 + 3600000, T0 + 3600000, 60000, t, n, &c), 0);
	assert_int_equal(c.received, 52);
	assert_int_equal(c.lost, 8);
	assert_int_equal(c.expected, 60);
	assert_int_equal(c.ngaps, 3);
	assert_true(c.gaps[0].from_ms == T0 && c.gaps[0].to_ms == T0 + 60000 && c.gaps[0].n == 2);
	assert_true(c.gaps[1].from_ms == T0 + 600000 && c.gaps[1].n == 3);
	assert_true(c.gaps[1].to_ms == T0 + 720000);
	assert_true(c.gaps[2].from_ms == T0 + 57 * 60000LL && c.gaps[2].n == 3);
	wwtp_compl_clear(&c);
}

static void test_not_judged_yet(void **state)
{
	(void)state;
	/* Polls until 00:30, asked at 01:00 with lost_after 20 min: the hole
	 * from 00:30 to 00:40 is lost, the rest of the day not judged. */
	int64_t t[30];
	for (int i = 0; i < 30; i++)
		t[i] = T0 + i * 60000LL;
	struct wwtp_compl c = {0};
	assert_int_equal(wwtp_compl_count(T0, T0 + DAY, T0 + 2400000, 60000, t, 30, &c), 0);
	assert_int_equal(c.received, 30);
	assert_int_equal(c.lost, 10);
	assert_int_equal(c.expected, 40);
	/* Nothing stored at all: the judged part is lost in one gap. */
	struct wwtp_compl e = {0};
	assert_int_equal(wwtp_compl_count(T0, T0 + DAY, T0 + DAY, 10000, NULL, 0, &e), 0);
	assert_int_equal(e.lost, 8640);
	assert_int_equal(e.ngaps, 1);
	assert_true(e.gaps[0].from_ms == T0 && e.gaps[0].to_ms == T0 + DAY - 10000);
	/* Judged end before the day: nothing. */
	struct wwtp_compl z = {0};
	assert_int_equal(wwtp_compl_count(T0, T0 + DAY, T0 - 1, 10000, t, 30, &z), 0);
	assert_int_equal(z.expected, 0);
	assert_int_equal(wwtp_compl_count(T0, T0 + DAY, T0 + DAY, 0, t, 30, &z), WWTP_ERR_INVAL);
	wwtp_compl_clear(&c);
	wwtp_compl_clear(&e);
}

static void test_pct_and_late_line(void **state)
{
	(void)state;
	char p[16];
	wwtp_compl_pct(12, 8640, p, sizeof(p));
	assert_string_equal(p, "0,14");
	wwtp_compl_pct(0, 0, p, sizeof(p));
	assert_string_equal(p, "0,00");
	wwtp_compl_pct(3, 3, p, sizeof(p));
	assert_string_equal(p, "100,00");
	struct wwtp_buf b;
	wwtp_buf_init(&b, 1024);
	assert_int_equal(wwtp_compl_late_line(&b, "thanh-thuy", "outlet", 41, T0, 7200000), 0);
	assert_string_equal(b.data,
			    "late,device=outlet,station=thanh-thuy seq=41i,delay_ms=7200000i "
			    "1796316000000\n");
	assert_int_equal(wwtp_compl_late_line(&b, "thanh-thuy", "a b", 41, T0, 1), WWTP_ERR_INVAL);
	wwtp_buf_free(&b);
}

/* Days summed: a device's gap that runs on across midnight becomes one; one
 * of another device, or not continuing, stays apart; longest first. */
static void test_add_across_days(void **state)
{
	(void)state;
	int64_t t1[] = {T0, T0 + 10000};   /* day 1: polls until T0+10 s, then none */
	int64_t t2[] = {T0 + DAY + 60000}; /* day 2: the first poll at 00:01 */
	struct wwtp_compl d1 = {0}, d2 = {0}, sum = {0};
	assert_int_equal(wwtp_compl_count(T0, T0 + DAY, T0 + DAY, 10000, t1, 2, &d1), 0);
	snprintf(d1.gaps[0].device, sizeof d1.gaps[0].device, "cod");
	assert_int_equal(wwtp_compl_count(T0 + DAY, T0 + 2 * DAY, T0 + 2 * DAY, 10000, t2, 1, &d2),
			 0);
	assert_int_equal(d2.ngaps, 2); /* 00:00-00:00:50, then after 00:01 to the day's end */
	snprintf(d2.gaps[0].device, sizeof d2.gaps[0].device, "cod");
	snprintf(d2.gaps[1].device, sizeof d2.gaps[1].device, "cod");
	/* another device's gap between them must not stop the join */
	struct wwtp_compl other = {0};
	int64_t t3[] = {T0, T0 + DAY - 60000};
	assert_int_equal(wwtp_compl_count(T0, T0 + DAY, T0 + DAY, 60000, t3, 2, &other), 0);
	snprintf(other.gaps[0].device, sizeof other.gaps[0].device, "flow");

	assert_int_equal(wwtp_compl_add(&sum, &d1), 0);
	assert_int_equal(wwtp_compl_add(&sum, &other), 0);
	assert_int_equal(wwtp_compl_add(&sum, &d2), 0);
	assert_int_equal(sum.ngaps, 3);
	assert_true(sum.expected == d1.expected + d2.expected + other.expected);
	assert_true(sum.lost == d1.lost + d2.lost + other.lost);
	/* cod: from T0+20 s to T0+DAY+50 s, one gap */
	assert_string_equal(sum.gaps[0].device, "cod");
	assert_true(sum.gaps[0].from_ms == T0 + 20000 && sum.gaps[0].to_ms == T0 + DAY + 50000);
	assert_true(sum.gaps[0].n == d1.gaps[0].n + d2.gaps[0].n);
	assert_string_equal(sum.gaps[1].device, "flow");

	wwtp_compl_sort_longest(&sum);
	for (size_t i = 1; i < sum.ngaps; i++)
		assert_true(sum.gaps[i - 1].n >= sum.gaps[i].n);
	assert_true(sum.gaps[0].n == 8640 + 6 - 2);
	wwtp_compl_clear(&d1);
	wwtp_compl_clear(&d2);
	wwtp_compl_clear(&other);
	wwtp_compl_clear(&sum);
}

/* A device silent for a whole day and into the next, whose first poll of the
 * next day is off midnight's grid (5 s polls, the first at 00:04:58): the
 * empty day's gap ends 23:59:55, the next one starts at 00:00:03, 8 s later;
 * still one gap. A poll received just before midnight splits it. */
static void test_add_phase(void **state)
{
	(void)state;
	int64_t t2[] = {T0 + DAY + 298000};
	struct wwtp_compl d1 = {0}, d2 = {0}, sum = {0};
	assert_int_equal(wwtp_compl_count(T0, T0 + DAY, T0 + DAY, 5000, NULL, 0, &d1), 0);
	assert_int_equal(
	    wwtp_compl_count(T0 + DAY, T0 + 2 * DAY, T0 + DAY + 300000, 5000, t2, 1, &d2), 0);
	assert_int_equal(d1.ngaps, 1);
	assert_true(d1.gaps[0].from_start && d1.gaps[0].to_end);
	assert_int_equal(d2.ngaps, 1);
	assert_true(d2.gaps[0].from_start && !d2.gaps[0].to_end);
	assert_true(d2.gaps[0].from_ms == T0 + DAY + 3000 && d2.gaps[0].n == 59);
	assert_int_equal(wwtp_compl_add(&sum, &d1), 0);
	assert_int_equal(wwtp_compl_add(&sum, &d2), 0);
	assert_int_equal(sum.ngaps, 1);
	assert_true(sum.gaps[0].from_ms == T0 && sum.gaps[0].to_ms == T0 + DAY + 293000);
	assert_true(sum.gaps[0].n == 17280 + 59);
	assert_false(sum.gaps[0].to_end);
	wwtp_compl_clear(&sum);

	/* the same, but a poll stored at 23:59:59: two gaps */
	int64_t t1[] = {T0 + DAY - 1000};
	wwtp_compl_clear(&d1);
	assert_int_equal(wwtp_compl_count(T0, T0 + DAY, T0 + DAY, 5000, t1, 1, &d1), 0);
	assert_int_equal(wwtp_compl_add(&sum, &d1), 0);
	assert_int_equal(wwtp_compl_add(&sum, &d2), 0);
	assert_int_equal(sum.ngaps, 2);
	wwtp_compl_clear(&d1);
	wwtp_compl_clear(&d2);
	wwtp_compl_clear(&sum);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_day),	    cmocka_unit_test(test_holes_and_edges),
	    cmocka_unit_test(test_not_judged_yet),  cmocka_unit_test(test_pct_and_late_line),
	    cmocka_unit_test(test_add_across_days), cmocka_unit_test(test_add_phase),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
