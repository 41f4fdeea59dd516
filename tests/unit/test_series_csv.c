/* test_series_csv.c - a series answer as CSV (central/web/series_csv.h):
 * averages and readings, cells quoted, formulas defused, empty series. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../central/web/series_csv.h"

static char *csv_of(const char *json)
{
	json_error_t e;
	json_t *o = json_loads(json, 0, &e);
	size_t len = 0;
	assert_non_null(o);
	char *c = wwtp_series_csv(o, &len);
	json_decref(o);
	assert_non_null(c);
	assert_int_equal(strlen(c), len);
	return c;
}

static void test_averages(void **state)
{
	(void)state;
	char *c = csv_of(
	    "{\"station\":\"yen-nghia\",\"param\":\"cod\",\"unit\":\"mg/L\",\"every\":\"1h\","
	    "\"points\":[{\"ts\":\"2026-12-02T01:00:00.000Z\",\"mean\":208.25,\"n\":60},"
	    "{\"ts\":\"2026-12-02T02:00:00.000Z\",\"mean\":135,\"n\":59}]}");
	assert_string_equal(c, "station,param,unit,time,mean,n\r\n"
			       "yen-nghia,cod,mg/L,2026-12-02T01:00:00.000Z,208.25,60\r\n"
			       "yen-nghia,cod,mg/L,2026-12-02T02:00:00.000Z,135,59\r\n");
	free(c);
}

static void test_readings_and_quoting(void **state)
{
	(void)state;
	/* without every: readings with their status; a unit with a comma is
	 * quoted, one that a spreadsheet would run as a formula is defused */
	char *c = csv_of(
	    "{\"station\":\"s\",\"param\":\"p\",\"unit\":\"=HYPERLINK(\\\"x\\\")\",\"every\":null,"
	    "\"points\":[{\"ts\":\"t1\",\"value\":-1.5,\"status\":\"ok\"},{\"ts\":\"t2\","
	    "\"status\":\"fault\"}]}");
	assert_string_equal(c, "station,param,unit,time,value,status\r\n"
			       "s,p,\"'=HYPERLINK(\"\"x\"\")\",t1,-1.5,ok\r\n"
			       "s,p,\"'=HYPERLINK(\"\"x\"\")\",t2,,fault\r\n");
	free(c);
	c = csv_of("{\"station\":\"s\",\"param\":\"p\",\"unit\":\"m3,h\",\"every\":\"10m\","
		   "\"points\":[]}");
	assert_string_equal(c, "station,param,unit,time,mean,n\r\n");
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_averages),
	    cmocka_unit_test(test_readings_and_quoting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
