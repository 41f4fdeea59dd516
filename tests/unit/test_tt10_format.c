/* test_tt10_format.c - the Circular 10/2021 file as text
 * (collector/tt10_format.c): local time stamps across
 * day, month, year and leap-day boundaries, file names, exact file
 * contents in both layouts with decimals, empty values, statuses and line
 * ends, name stamps, and the remote folder pattern. Every expected string
 * is written out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../collector/tt10_format.h"
#include "../../util/timeutil.h"
#include "../../util/err.h"

/* UTC text to epoch ms. */
static int64_t at(const char *utc)
{
	int64_t ms = 0;
	assert_int_equal(wwtp_parse_utc(utc, &ms), 0);
	return ms;
}

static void expect_stamp(const char *utc, const char *local)
{
	char s[WWTP_TT10_STAMP_LEN + 1];
	assert_int_equal(wwtp_tt10_stamp(at(utc), s), 0);
	assert_string_equal(s, local);
}

static void test_stamp_local_time(void **state)
{
	(void)state;
	/* UTC+7, no daylight saving: 16:59:59Z is one second before local
	 * midnight; 17:00:00Z is the next local day. */
	expect_stamp("2026-01-31T16:59:59.000Z", "20260131235959");
	expect_stamp("2026-01-31T17:00:00.000Z", "20260201000000");
	/* Milliseconds are cut, not rounded. */
	expect_stamp("2026-01-31T16:59:59.999Z", "20260131235959");
	/* The local year starts 7 h before UTC's. */
	expect_stamp("2025-12-31T17:00:00.000Z", "20260101000000");
	expect_stamp("2025-12-31T16:59:59.000Z", "20251231235959");
	/* 2028 is a leap year: 28 Feb 17:00Z is 29 Feb local. */
	expect_stamp("2028-02-28T17:00:00.000Z", "20280229000000");
	/* July (no summer time in Vietnam): still +7. */
	expect_stamp("2026-07-15T03:04:05.000Z", "20260715100405");

	/* Before 1970: floor, not truncation (-1 ms is 06:59:59 local). */
	char s[WWTP_TT10_STAMP_LEN + 1];
	assert_int_equal(wwtp_tt10_stamp(-1, s), 0);
	assert_string_equal(s, "19700101065959");
}

/* HN / THANHTHUY / NT01 with COD (1 decimal), pH (2), Flow (0), TSS (1). */
static void config(struct wwtp_tt10_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->province, sizeof(c->province), "HN");
	snprintf(c->facility, sizeof(c->facility), "THANHTHUY");
	snprintf(c->station, sizeof(c->station), "NT01");
	c->period_s = 300;
	c->nparams = 4;
	static const struct {
		const char *param, *code, *unit;
		int decimals;
	} p[] = {
	    {"cod", "COD", "mg/L", 1},
	    {"ph", "pH", "pH", 2},
	    {"flow_out", "Flow", "m3/h", 0},
	    {"tss", "TSS", "mg/L", 1},
	};
	for (size_t i = 0; i < 4; i++) {
		snprintf(c->params[i].param, sizeof(c->params[i].param), "%s", p[i].param);
		snprintf(c->params[i].code, sizeof(c->params[i].code), "%s", p[i].code);
		snprintf(c->params[i].unit, sizeof(c->params[i].unit), "%s", p[i].unit);
		c->params[i].decimals = p[i].decimals;
	}
}

static void test_file_name(void **state)
{
	(void)state;
	struct wwtp_tt10_config c;
	char name[WWTP_TT10_NAME_MAX];

	config(&c);
	assert_int_equal(
	    wwtp_tt10_file_name(&c, at("2026-01-31T17:00:00.000Z"), name, sizeof(name)), 0);
	assert_string_equal(name, "HN_THANHTHUY_NT01_20260201000000.txt");
	/* Exactly long enough (36 bytes and the NUL), then one byte short. */
	assert_int_equal(strlen(name), 36);
	assert_int_equal(wwtp_tt10_file_name(&c, at("2026-01-31T17:00:00.000Z"), name, 37), 0);
	assert_int_equal(wwtp_tt10_file_name(&c, at("2026-01-31T17:00:00.000Z"), name, 36),
			 WWTP_ERR_RANGE);
}

static const struct wwtp_tt10_value sample_values[4] = {
    {WWTP_TT10_MEASURING, 1, 123.46},  /* 1 decimal: 123.5 */
    {WWTP_TT10_CALIBRATING, 1, 7.004}, /* 2 decimals: 7.00 */
    {WWTP_TT10_MEASURING, 1, 20.6},    /* 0 decimals: 21 */
    {WWTP_TT10_FAULT, 0, 0},	       /* no value: empty field */
};

static void test_content_lines(void **state)
{
	(void)state;
	struct wwtp_tt10_config c;
	char out[1024];
	size_t len = 0;

	config(&c);
	assert_int_equal(wwtp_tt10_format(&c, at("2026-01-31T16:59:59.000Z"), sample_values, out,
					  sizeof(out), &len),
			 0);
	const char *want = "COD\t123.5\tmg/L\t20260131235959\t00\n"
			   "pH\t7.00\tpH\t20260131235959\t01\n"
			   "Flow\t21\tm3/h\t20260131235959\t00\n"
			   "TSS\t\tmg/L\t20260131235959\t02\n";
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));

	/* CR LF for receivers that want it. */
	c.crlf = 1;
	assert_int_equal(wwtp_tt10_format(&c, at("2026-01-31T16:59:59.000Z"), sample_values, out,
					  sizeof(out), &len),
			 0);
	assert_string_equal(out, "COD\t123.5\tmg/L\t20260131235959\t00\r\n"
				 "pH\t7.00\tpH\t20260131235959\t01\r\n"
				 "Flow\t21\tm3/h\t20260131235959\t00\r\n"
				 "TSS\t\tmg/L\t20260131235959\t02\r\n");
}

static void test_content_single_line(void **state)
{
	(void)state;
	struct wwtp_tt10_config c;
	char out[1024];
	size_t len = 0;

	config(&c);
	c.layout = WWTP_TT10_SINGLE;
	assert_int_equal(wwtp_tt10_format(&c, at("2026-02-01T03:05:00.000Z"), sample_values, out,
					  sizeof(out), &len),
			 0);
	assert_string_equal(out, "COD\t123.5\tmg/L\t20260201100500\t00\t"
				 "pH\t7.00\tpH\t20260201100500\t01\t"
				 "Flow\t21\tm3/h\t20260201100500\t00\t"
				 "TSS\t\tmg/L\t20260201100500\t02\n");
	assert_int_equal(len, strlen(out));
}

static void test_values_and_statuses(void **state)
{
	(void)state;
	struct wwtp_tt10_config c;
	char out[256];
	size_t len;

	config(&c);
	c.nparams = 1;
	c.params[0].decimals = 1;
	struct {
		struct wwtp_tt10_value v;
		const char *want;
	} cases[] = {
	    /* A small negative rounds to 0.0, written without its sign. */
	    {{WWTP_TT10_MEASURING, 1, -0.04}, "COD\t0.0\tmg/L\t20260201000000\t00\n"},
	    {{WWTP_TT10_MEASURING, 1, -0.06}, "COD\t-0.1\tmg/L\t20260201000000\t00\n"},
	    {{WWTP_TT10_MEASURING, 1, 0.0}, "COD\t0.0\tmg/L\t20260201000000\t00\n"},
	    {{WWTP_TT10_MEASURING, 1, 1234567.0}, "COD\t1234567.0\tmg/L\t20260201000000\t00\n"},
	    /* Not finite: no value, whatever has_value says. */
	    {{WWTP_TT10_FAULT, 1, NAN}, "COD\t\tmg/L\t20260201000000\t02\n"},
	    {{WWTP_TT10_FAULT, 1, INFINITY}, "COD\t\tmg/L\t20260201000000\t02\n"},
	    {{WWTP_TT10_CALIBRATING, 0, 5.0}, "COD\t\tmg/L\t20260201000000\t01\n"},
	    /* An unknown status is a fault, never a measurement. */
	    {{7, 1, 5.0}, "COD\t5.0\tmg/L\t20260201000000\t02\n"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(wwtp_tt10_format(&c, at("2026-01-31T17:00:00.000Z"), &cases[i].v,
						  out, sizeof(out), &len),
				 0);
		assert_string_equal(out, cases[i].want);
	}
	/* Decimals 0 and 6. */
	struct wwtp_tt10_value v = {WWTP_TT10_MEASURING, 1, 2.5};
	c.params[0].decimals = 0;
	wwtp_tt10_format(&c, at("2026-01-31T17:00:00.000Z"), &v, out, sizeof(out), &len);
	assert_string_equal(out, "COD\t2\tmg/L\t20260201000000\t00\n"); /* half to even */
	c.params[0].decimals = 6;
	v.value = 0.1234567;
	wwtp_tt10_format(&c, at("2026-01-31T17:00:00.000Z"), &v, out, sizeof(out), &len);
	assert_string_equal(out, "COD\t0.123457\tmg/L\t20260201000000\t00\n");
}

static void test_content_too_long(void **state)
{
	(void)state;
	struct wwtp_tt10_config c;
	char out[1024];
	size_t len = 99;

	config(&c);
	int64_t t = at("2026-01-31T16:59:59.000Z");
	assert_int_equal(wwtp_tt10_format(&c, t, sample_values, out, sizeof(out), &len), 0);
	size_t need = len + 1;
	assert_int_equal(wwtp_tt10_format(&c, t, sample_values, out, need, &len), 0);
	len = 99;
	assert_int_equal(wwtp_tt10_format(&c, t, sample_values, out, need - 1, &len),
			 WWTP_ERR_RANGE);
	assert_int_equal(len, 99); /* untouched on failure */
}

static void test_name_stamp(void **state)
{
	(void)state;
	char s[WWTP_TT10_STAMP_LEN + 1];

	assert_int_equal(wwtp_tt10_name_stamp("HN_THANHTHUY_NT01_20260201000000.txt", s), 0);
	assert_string_equal(s, "20260201000000");
	assert_int_equal(wwtp_tt10_name_stamp("A_B_C_19991231235959.txt", s), 0);
	assert_string_equal(s, "19991231235959");
	static const char *const bad[] = {
	    "HN_THANHTHUY_NT01_20260201000000.txt.tmp", /* an upload in progress */
	    "HN_THANHTHUY_NT01_2026020100000.txt",	/* 13 digits */
	    "HN_THANHTHUY_NT01_2026020100000x.txt",	/* not a digit */
	    "HN-THANHTHUY-NT01-20260201000000.txt",	/* no '_' before the stamp */
	    "20260201000000.txt",			/* nothing before it */
	    "_20260201000000.TXT",			/* extension case */
	    ".txt",
	    "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(wwtp_tt10_name_stamp(bad[i], s), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_tt10_name_stamp("_20260201000000.txt", s), 0);
}

static void test_expand_dir(void **state)
{
	(void)state;
	char out[64];
	const char *st = "20260201093000";

	assert_int_equal(wwtp_tt10_expand_dir("inbox/%Y/%m/%d/", st, out, sizeof(out)), 0);
	assert_string_equal(out, "inbox/2026/02/01/");
	assert_int_equal(wwtp_tt10_expand_dir("%Y%m%d/%H/", st, out, sizeof(out)), 0);
	assert_string_equal(out, "20260201/09/");
	assert_int_equal(wwtp_tt10_expand_dir("a%%b/", st, out, sizeof(out)), 0);
	assert_string_equal(out, "a%b/");
	assert_int_equal(wwtp_tt10_expand_dir("", st, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(wwtp_tt10_expand_dir("%x/", st, out, sizeof(out)), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_tt10_expand_dir("a/%", st, out, sizeof(out)), WWTP_ERR_INVAL);
	/* "2026/02/" needs 9 bytes. */
	assert_int_equal(wwtp_tt10_expand_dir("%Y/%m/", st, out, 9), 0);
	assert_int_equal(wwtp_tt10_expand_dir("%Y/%m/", st, out, 8), WWTP_ERR_RANGE);
}

static void test_dir_pattern_check(void **state)
{
	(void)state;
	static const char *const good[] = {"",	    "inbox/",  "%Y/%m/%d/", "HN/%Y%m%d/%H/",
					   "a%%b/", "x-y_z.1/"};
	static const char *const bad[] = {"/abs/",  "no-slash", "%Y/%x/",  "a/%",
					  "../up/", "a//b/",	"sp ace/", "tab\t/"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_null(wwtp_tt10_dir_pattern_problem(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_non_null(wwtp_tt10_dir_pattern_problem(bad[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stamp_local_time),	cmocka_unit_test(test_file_name),
	    cmocka_unit_test(test_content_lines),	cmocka_unit_test(test_content_single_line),
	    cmocka_unit_test(test_values_and_statuses), cmocka_unit_test(test_content_too_long),
	    cmocka_unit_test(test_name_stamp),		cmocka_unit_test(test_expand_dir),
	    cmocka_unit_test(test_dir_pattern_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
