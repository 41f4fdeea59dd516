/* test_labsample.c - a laboratory result against the analyzer
 * (central/ingest/labsample.h): the mean of the given readings, the
 * nearest one, the difference and the relative difference; agree within
 * the tolerance (relative, or the absolute floor near zero), disagree
 * beyond it, no data without readings; what a laboratory's name and
 * reference may hold; which times are taken; the alert of a disagreement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../central/ingest/labsample.h"
#include "../../util/err.h"

#define T0 1796400000000LL /* 2026-12-04T... */
#define MIN 60000LL

static void test_agree(void **state)
{
	struct wwtp_lab_reading r[] = {
	    {T0 - 10 * MIN, 49}, {T0 + 4 * MIN, 50}, {T0 + 10 * MIN, 51}, {T0 - 4 * MIN, NAN}};
	struct wwtp_lab_cmp c;
	(void)state;
	wwtp_lab_compare(48, T0, r, 4, 20, 0, &c);
	assert_int_equal(c.verdict, WWTP_LAB_AGREE);
	assert_int_equal(c.n, 3); /* the NaN is not a reading */
	assert_float_equal(c.mean, 50, 1e-12);
	assert_float_equal(c.nearest, 50, 1e-12);
	assert_int_equal(c.nearest_ms, T0 + 4 * MIN);
	assert_float_equal(c.diff, 2, 1e-12);
	assert_float_equal(c.rel_pct, 100.0 * 2 / 48, 1e-9);
	assert_float_equal(c.allowed, 9.6, 1e-12);
	assert_string_equal(wwtp_lab_verdict_name(c.verdict), "agree");
}

static void test_disagree_and_edges(void **state)
{
	struct wwtp_lab_reading r[] = {{T0 - 15 * MIN, 78}, {T0 + 15 * MIN, 82}};
	struct wwtp_lab_cmp c;
	(void)state;
	wwtp_lab_compare(50, T0, r, 2, 20, 0, &c);
	assert_int_equal(c.verdict, WWTP_LAB_DISAGREE);
	assert_float_equal(c.mean, 80, 1e-12);
	assert_float_equal(c.rel_pct, 60, 1e-9);
	/* Two equally near: the earlier one. */
	assert_int_equal(c.nearest_ms, T0 - 15 * MIN);
	/* The analyzer below the laboratory: a negative difference. */
	wwtp_lab_compare(100, T0, r, 2, 20, 0, &c);
	assert_int_equal(c.verdict, WWTP_LAB_AGREE);
	assert_float_equal(c.diff, -20, 1e-12);
	assert_float_equal(c.rel_pct, -20, 1e-9);     /* exactly the tolerance: agrees */
	wwtp_lab_compare(100.5, T0, r, 2, 20, 0, &c); /* 20.5 over 20.1 */
	assert_int_equal(c.verdict, WWTP_LAB_DISAGREE);
	/* Near zero the absolute floor decides: 0.1 against 0.3 mg/L. */
	struct wwtp_lab_reading z[] = {{T0, 0.3}};
	wwtp_lab_compare(0.1, T0, z, 1, 20, 0, &c);
	assert_int_equal(c.verdict, WWTP_LAB_DISAGREE);
	wwtp_lab_compare(0.1, T0, z, 1, 20, 0.5, &c);
	assert_int_equal(c.verdict, WWTP_LAB_AGREE);
	assert_float_equal(c.allowed, 0.5, 1e-12);
	/* A laboratory zero: no relative difference. */
	wwtp_lab_compare(0, T0, z, 1, 20, 0.5, &c);
	assert_int_equal(c.verdict, WWTP_LAB_AGREE);
	assert_true(isnan(c.rel_pct));
	/* No readings: no data, no figures. */
	wwtp_lab_compare(50, T0, NULL, 0, 20, 0, &c);
	assert_int_equal(c.verdict, WWTP_LAB_NO_DATA);
	assert_int_equal(c.n, 0);
	assert_true(isnan(c.mean) && isnan(c.diff) && isnan(c.rel_pct) && isnan(c.nearest));
	assert_string_equal(wwtp_lab_verdict_name(c.verdict), "no_data");
	assert_int_equal(wwtp_lab_verdict_parse("disagree"), WWTP_LAB_DISAGREE);
	assert_int_equal(wwtp_lab_verdict_parse("maybe"), -1);
}

static void test_text_and_time(void **state)
{
	char big[200];
	(void)state;
	assert_true(wwtp_lab_valid_text("Phòng thí nghiệm Trung tâm Quan trắc Hà Nội"));
	assert_true(wwtp_lab_valid_text("PT-2026/0412"));
	assert_false(wwtp_lab_valid_text(""));
	assert_false(wwtp_lab_valid_text(NULL));
	assert_false(wwtp_lab_valid_text("   "));
	assert_false(wwtp_lab_valid_text("PT\n1"));
	assert_false(wwtp_lab_valid_text("PT\t1"));
	assert_false(wwtp_lab_valid_text("PT\x7f"));
	assert_false(wwtp_lab_valid_text("PT \xc2\x85 1")); /* C1 NEL */
	assert_false(wwtp_lab_valid_text("\xff\xfe"));	    /* not UTF-8 */
	memset(big, 'x', sizeof big);
	big[128] = '\0';
	assert_true(wwtp_lab_valid_text(big));
	big[128] = 'x';
	big[129] = '\0';
	assert_false(wwtp_lab_valid_text(big));

	assert_true(wwtp_lab_valid_time(T0, T0));
	assert_true(wwtp_lab_valid_time(T0 + 30000, T0)); /* clocks a little apart */
	assert_false(wwtp_lab_valid_time(T0 + 2 * MIN, T0));
	assert_true(wwtp_lab_valid_time(T0 - 300LL * 86400000, T0));
	assert_false(wwtp_lab_valid_time(T0 - 400LL * 86400000, T0));
}

static void test_alert(void **state)
{
	struct wwtp_lab_reading r[] = {{T0, 80}};
	struct wwtp_lab_cmp c;
	struct wwtp_in_msg m;
	char id[WWTP_LAB_ID_MAX];
	(void)state;
	wwtp_lab_compare(50, T0, r, 1, 20, 0, &c);
	assert_int_equal(wwtp_lab_alert("ci-lab", "cod", "mg/L", 50, T0, &c, id, &m), 0);
	assert_string_equal(m.id, "ci-lab:cod:lab_mismatch:1796400000000");
	assert_string_equal(m.alert_kind, "lab_mismatch");
	assert_string_equal(m.event, "raised");
	assert_int_equal(m.kind, WWTP_MSG_ALERT);
	assert_float_equal(m.value, 80, 1e-12);
	assert_float_equal(m.limit, 50, 1e-12);
	assert_float_equal(m.ratio, 1.6, 1e-12);
	assert_int_equal(m.start_ms, T0);
	assert_int_equal(m.has_ts, 0); /* the station was not heard from */
	wwtp_lab_compare(75, T0, r, 1, 20, 0, &c);
	assert_int_equal(wwtp_lab_alert("ci-lab", "cod", "mg/L", 75, T0, &c, id, &m),
			 WWTP_ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_agree),
	    cmocka_unit_test(test_disagree_and_edges),
	    cmocka_unit_test(test_text_and_time),
	    cmocka_unit_test(test_alert),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
