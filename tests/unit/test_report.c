/* Unit tests of the monthly report's pure parts: the month in Hanoi time,
 * hourly aggregates from raw readings, the statistics (gaps, exactly at the
 * limit, pH on both sides, the last day's 17:00 UTC boundary, an empty
 * month), hours in alert, reading InfluxDB's answer, and the documents.
 * Every expected number is worked out by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../central/flags/flags.h"
#include "../../central/flags/hourly.h"
#include "../../central/ingest/influx.h"
#include "../../central/ingest/query.h"
#include "../../central/ingest/confchange.h"
#include "../../central/report/report_query.h"
#include "../../central/report/report_stats.h"
#include "../../central/report/schedule.h"
#include "../../central/report/report_text.h"
#include "../../central/report/report_write.h"
#include "../../util/err.h"
#include "../../payload/payload.h"
#include "../../util/timeutil.h"
#include "../../central/report/report_write-private.h"

#define H 3600000LL
/* 2026-10-01 00:00 UTC+7 = 2026-09-30T17:00:00Z */
#define OCT_START 1790787600000LL
#define NOV_START (OCT_START + 744 * H)
#define AFTER (NOV_START + 30 * 24 * H) /* "now" well after October */

static int64_t utc(const char *s)
{
	int64_t ms = 0;
	assert_int_equal(wwtp_parse_utc(s, &ms), 0);
	return ms;
}

/* ---- the period ---- */

static void test_period_october(void **state)
{
	struct wwtp_report_period p;
	(void)state;
	assert_int_equal(wwtp_report_period_parse("2026-10", AFTER, &p), 0);
	assert_int_equal(p.start_ms, utc("2026-09-30T17:00:00.000Z"));
	assert_int_equal(p.end_ms, utc("2026-10-31T17:00:00.000Z"));
	assert_int_equal(p.start_ms, OCT_START);
	assert_int_equal(p.nhours, 744);
	assert_int_equal(p.hours, 744);
	assert_int_equal(p.ndays, 31);
	assert_int_equal(p.days, 31);
	assert_int_equal(p.until_ms, p.end_ms);
}

static void test_period_february_and_new_year(void **state)
{
	struct wwtp_report_period p;
	(void)state;
	assert_int_equal(wwtp_report_period_parse("2028-02", AFTER * 2, &p), 0); /* leap year */
	assert_int_equal(p.ndays, 29);
	assert_int_equal(p.start_ms, utc("2028-01-31T17:00:00.000Z"));
	assert_int_equal(wwtp_report_period_parse("2026-02", AFTER, &p), 0);
	assert_int_equal(p.nhours, 28 * 24);
	/* December ends at 17:00 UTC on 31 December. */
	assert_int_equal(wwtp_report_period_parse("2025-12", AFTER, &p), 0);
	assert_int_equal(p.end_ms, utc("2025-12-31T17:00:00.000Z"));
	assert_int_equal(p.start_ms, utc("2025-11-30T17:00:00.000Z"));
}

static void test_period_under_way_and_future(void **state)
{
	struct wwtp_report_period p;
	(void)state;
	/* Now 2026-11-26T19:44Z: November (local) started 2026-10-31T17:00Z,
	 * the last complete hour ends at 19:00Z: 26 days and 2 hours. */
	assert_int_equal(wwtp_report_period_parse("2026-11", utc("2026-11-26T19:44:00.000Z"), &p),
			 0);
	assert_int_equal(p.until_ms, utc("2026-11-26T19:00:00.000Z"));
	assert_int_equal(p.hours, 26 * 24 + 2);
	assert_int_equal(p.days, 26);
	assert_int_equal(p.nhours, 720);
	/* A month that has not begun: nothing to judge. */
	assert_int_equal(wwtp_report_period_parse("2027-01", OCT_START, &p), 0);
	assert_int_equal(p.hours, 0);
	assert_int_equal(p.until_ms, p.start_ms);
}

static void test_period_refuses(void **state)
{
	struct wwtp_report_period p;
	const char *bad[] = {"2026-13", "2026-00", "2026-1",	 "26-10", "2026/10",  "abcd-ef",
			     "1999-12", "2200-01", "2026-10-01", "",	  " 2026-10", "2026-Q0",
			     "2026-Q5", "2026-q4", "2026-Q",	 "1999",  "20261",    "2026 "};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(wwtp_report_period_parse(bad[i], AFTER, &p), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_report_period_parse(NULL, AFTER, &p), WWTP_ERR_INVAL);
}

static void test_period_quarter_and_year(void **state)
{
	struct wwtp_report_period p;
	(void)state;
	/* Q4 2026: 1 October to 1 January, Hanoi time. */
	assert_int_equal(wwtp_report_period_parse("2026-Q4", utc("2027-02-01T00:00:00.000Z"), &p),
			 0);
	assert_int_equal(p.kind, WWTP_PERIOD_QUARTER);
	assert_int_equal(p.quarter, 4);
	assert_int_equal(p.month, 10);
	assert_string_equal(p.id, "2026-Q4");
	assert_true(p.start_ms == OCT_START);
	assert_true(p.end_ms == utc("2026-12-31T17:00:00.000Z"));
	assert_int_equal(p.nhours, 92 * 24);
	assert_int_equal(p.hours, 92 * 24);
	assert_int_equal(p.ndays, 92);
	/* Q1 of a leap year: 91 days. */
	assert_int_equal(wwtp_report_period_parse("2028-Q1", utc("2029-01-01T00:00:00.000Z"), &p),
			 0);
	assert_int_equal(p.ndays, 91);
	/* A year, and a year under way (judged up to its last complete hour). */
	assert_int_equal(wwtp_report_period_parse("2028", utc("2029-01-01T00:00:00.000Z"), &p), 0);
	assert_int_equal(p.kind, WWTP_PERIOD_YEAR);
	assert_int_equal(p.nhours, 366 * 24);
	assert_true(p.nhours <= WWTP_REPORT_HOURS_MAX);
	assert_true(p.start_ms == utc("2027-12-31T17:00:00.000Z"));
	assert_int_equal(wwtp_report_period_parse("2026", utc("2026-12-03T20:30:00.000Z"), &p), 0);
	assert_int_equal(p.nhours, 365 * 24);
	assert_true(p.until_ms == utc("2026-12-03T20:00:00.000Z"));
	assert_int_equal(p.hours, (size_t)((p.until_ms - p.start_ms) / H));
}

static void test_schedule_due(void **state)
{
	struct wwtp_central_report rc = {.day = 5, .quarter_day = 15, .year_day = 10};
	char ids[3][16];
	int64_t due[3];
	(void)state;
	/* 3 December 2026, 10:00 Hanoi: November is not due before the 5th. */
	assert_int_equal(wwtp_report_due(&rc, utc("2026-12-03T03:00:00.000Z"), ids, due), 3);
	assert_string_equal(ids[0], "2026-10");
	assert_true(due[0] == utc("2026-11-04T17:00:00.000Z")); /* 05/11 00:00 UTC+7 */
	assert_string_equal(ids[1], "2026-Q3");
	assert_true(due[1] == utc("2026-09-14T17:00:00.000Z"));
	assert_string_equal(ids[2], "2025");
	assert_true(due[2] == utc("2025-12-09T17:00:00.000Z"));
	/* 00:00 of the 5th (Hanoi): November; 15/12: Q4; 10/12: the year. */
	assert_int_equal(wwtp_report_due(&rc, utc("2026-12-04T17:00:00.000Z"), ids, due), 3);
	assert_string_equal(ids[0], "2026-11");
	assert_int_equal(wwtp_report_due(&rc, utc("2026-12-14T17:00:00.000Z"), ids, due), 3);
	assert_string_equal(ids[1], "2026-Q4");
	assert_string_equal(ids[2], "2026");
	assert_true(due[2] == utc("2026-12-09T17:00:00.000Z"));
	/* January: December of the year before; February 4th: still December. */
	assert_int_equal(wwtp_report_due(&rc, utc("2027-01-20T00:00:00.000Z"), ids, due), 3);
	assert_string_equal(ids[0], "2026-12");
	assert_int_equal(wwtp_report_due(&rc, utc("2027-02-03T00:00:00.000Z"), ids, due), 3);
	assert_string_equal(ids[0], "2026-12");
	assert_string_equal(ids[1], "2026-Q4");
	/* 14/03 23:59 Hanoi: Q1 not yet; 15/03 00:00: Q1. */
	assert_int_equal(wwtp_report_due(&rc, utc("2027-03-14T16:59:00.000Z"), ids, due), 3);
	assert_string_equal(ids[1], "2026-Q4");
	assert_int_equal(wwtp_report_due(&rc, utc("2027-03-14T17:00:00.000Z"), ids, due), 3);
	assert_string_equal(ids[1], "2027-Q1");
}

/* ---- a small station: cod (Cmax 135), ph (5.5-9), flow (no limit) ---- */

enum { P_COD, P_PH, P_FLOW, NP };

struct fix {
	struct wwtp_report_period p;
	struct wwtp_flag_param params[NP];
	struct wwtp_report_hour *hours;
	struct wwtp_report_pstats ps[NP];
	struct wwtp_report_result res;
	struct wwtp_flag_cfg fcfg;
};

static struct fix *fix_new(void)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(wwtp_report_period_parse("2026-10", AFTER, &f->p), 0);
	const char *names[NP] = {"cod", "ph", "flow_out"};
	for (int i = 0; i < NP; i++) {
		snprintf(f->params[i].name, sizeof f->params[i].name, "%s", names[i]);
		f->params[i].cmax_min = f->params[i].cmax_max = NAN;
	}
	f->params[P_COD].has_limit = 1;
	f->params[P_COD].cmax_max = 135;
	f->params[P_PH].has_limit = f->params[P_PH].is_range = 1;
	f->params[P_PH].cmax_min = 5.5;
	f->params[P_PH].cmax_max = 9;
	f->hours = calloc(NP * f->p.nhours, sizeof(*f->hours));
	assert_non_null(f->hours);
	for (size_t i = 0; i < NP * f->p.nhours; i++)
		wwtp_report_hour_init(&f->hours[i]);
	wwtp_flag_cfg_default(&f->fcfg);
	f->res.p = f->ps;
	return f;
}

/* Six readings an hour (every 10 min) of value v, status st, over hours
 * [h0, h1) of the month. */
static void fill(struct fix *f, int param, int h0, int h1, int st, double v)
{
	struct wwtp_report_sample s[6];
	for (int h = h0; h < h1; h++) {
		for (int k = 0; k < 6; k++)
			s[k] =
			    (struct wwtp_report_sample){OCT_START + h * H + k * 600000LL, st, 1, v};
		wwtp_report_hours_add(&f->hours[(size_t)param * f->p.nhours], f->p.nhours,
				      f->p.start_ms, s, 6);
	}
}

/* Empties hours [h0, h1) of a param (a gap). */
static void gap(struct fix *f, int param, int h0, int h1)
{
	for (int h = h0; h < h1; h++)
		wwtp_report_hour_init(&f->hours[(size_t)param * f->p.nhours + (size_t)h]);
}

static void compute(struct fix *f, const struct wwtp_report_alert *a, size_t na)
{
	assert_int_equal(wwtp_report_compute(&f->p, &f->fcfg, 0.75, f->params, NP, 1000, f->hours,
					     a, na, &f->res),
			 0);
}

static void healthy(struct fix *f)
{
	fill(f, P_COD, 0, 744, WWTP_READING_OK, 60);
	fill(f, P_PH, 0, 744, WWTP_READING_OK, 7);
	fill(f, P_FLOW, 0, 744, WWTP_READING_OK, 30);
}

static void test_healthy_month(void **state)
{
	struct fix *f = fix_new();
	(void)state;
	healthy(f);
	compute(f, NULL, 0);
	const struct wwtp_report_pstats *c = &f->ps[P_COD];
	assert_int_equal(c->samples, 744 * 6);
	assert_int_equal(c->valid, 744 * 6);
	assert_int_equal(c->hours_judged, 744);
	assert_true(c->availability == 1.0);
	assert_true(c->mean == 60 && c->min == 60 && c->max == 60);
	assert_int_equal(c->hours_exceeding, 0);
	assert_int_equal(c->days_judged, 31);
	assert_int_equal(c->days_exceeding, 0);
	assert_true(fabs(c->max_ratio - 60.0 / 135) < 1e-12);
	assert_int_equal(f->res.verdict, WWTP_REPORT_MET);
	assert_int_equal(f->res.params_limited, 2);
	assert_int_equal(f->res.nreasons, 0);
	/* The flow has no limit: counted, never judged against anything. */
	assert_int_equal(f->ps[P_FLOW].hours_judged, 744);
	assert_int_equal(f->ps[P_FLOW].hours_exceeding, 0);
	assert_true(isnan(f->ps[P_FLOW].max_ratio));
	assert_true(isnan(f->ps[P_FLOW].hours_exceeding_share) ||
		    f->ps[P_FLOW].hours_exceeding_share == 0);
	free(f->hours);
	free(f);
}

static void test_exactly_at_limit_is_within(void **state)
{
	struct fix *f = fix_new();
	(void)state;
	fill(f, P_COD, 0, 744, WWTP_READING_OK, 135); /* every reading at Cmax */
	fill(f, P_PH, 0, 744, WWTP_READING_OK, 7);
	compute(f, NULL, 0);
	assert_int_equal(f->ps[P_COD].hours_exceeding, 0);
	assert_int_equal(f->ps[P_COD].days_exceeding, 0);
	assert_true(f->ps[P_COD].max_ratio == 1.0);
	assert_int_equal(f->res.verdict, WWTP_REPORT_MET);
	/* pH exactly at both bounds is within too. */
	assert_int_equal(wwtp_report_outside(&f->params[P_PH], 5.5), 0);
	assert_int_equal(wwtp_report_outside(&f->params[P_PH], 9.0), 0);
	assert_int_equal(wwtp_report_outside(&f->params[P_PH], 9.0000001), 1);
	assert_int_equal(wwtp_report_outside(&f->params[P_PH], 5.4999999), 1);
	free(f->hours);
	free(f);
}

static void test_one_hour_over_is_not_a_day_over(void **state)
{
	struct fix *f = fix_new();
	(void)state;
	fill(f, P_COD, 0, 100, WWTP_READING_OK, 60);
	fill(f, P_COD, 100, 101, WWTP_READING_OK, 200); /* day 4, one hour */
	fill(f, P_COD, 101, 744, WWTP_READING_OK, 60);
	fill(f, P_PH, 0, 744, WWTP_READING_OK, 7);
	compute(f, NULL, 0);
	const struct wwtp_report_pstats *c = &f->ps[P_COD];
	assert_int_equal(c->hours_exceeding, 1);
	assert_true(fabs(c->hours_exceeding_share - 1.0 / 744) < 1e-12);
	assert_true(fabs(c->max_ratio - 200.0 / 135) < 1e-12);
	/* Day 4 (hours 96..119): (23 x 60 + 200) / 24 = 65.83: within. */
	assert_true(fabs(c->daily[4] - (23 * 60.0 + 200) / 24) < 1e-9);
	assert_int_equal(c->days_exceeding, 0);
	assert_true(c->max == 200);
	/* Monthly mean of the valid samples: (743 x 60 + 200) / 744. */
	assert_true(fabs(c->mean - (743 * 60.0 + 200) / 744) < 1e-9);
	assert_int_equal(f->res.verdict, WWTP_REPORT_MET);
	free(f->hours);
	free(f);
}

static void test_day_over_is_not_met(void **state)
{
	struct fix *f = fix_new();
	(void)state;
	healthy(f);
	for (int h = 48; h < 72; h++) /* day 2 all at 150 */
		wwtp_report_hour_init(&f->hours[P_COD * f->p.nhours + (size_t)h]);
	fill(f, P_COD, 48, 72, WWTP_READING_OK, 150);
	compute(f, NULL, 0);
	assert_int_equal(f->ps[P_COD].days_exceeding, 1);
	assert_int_equal(f->ps[P_COD].hours_exceeding, 24);
	assert_true(fabs(f->ps[P_COD].max_daily_ratio - 150.0 / 135) < 1e-12);
	assert_int_equal(f->res.verdict, WWTP_REPORT_NOT_MET);
	assert_int_equal(f->res.params_not_met, 1);
	free(f->hours);
	free(f);
}

static void test_ph_both_sides(void **state)
{
	struct fix *f = fix_new();
	(void)state;
	healthy(f);
	for (int h = 10; h < 12; h++)
		wwtp_report_hour_init(&f->hours[P_PH * f->p.nhours + (size_t)h]);
	fill(f, P_PH, 10, 11, WWTP_READING_OK, 5.0); /* below: ratio 5.5 / 5 = 1.1 */
	fill(f, P_PH, 11, 12, WWTP_READING_OK, 9.5); /* above: 9.5 / 9 = 1.0556 */
	compute(f, NULL, 0);
	const struct wwtp_report_pstats *p = &f->ps[P_PH];
	assert_int_equal(p->hours_exceeding, 2);
	assert_true(fabs(p->max_ratio - 1.1) < 1e-12);
	assert_true(p->min == 5.0 && p->max == 9.5);
	assert_true(fabs(wwtp_report_ratio(&f->params[P_PH], 9.5) - 9.5 / 9) < 1e-12);
	assert_true(isnan(wwtp_report_ratio(&f->params[P_PH], 0)));
	assert_int_equal(p->days_exceeding, 0); /* day 0: (22 x 7 + 5 + 9.5) / 24 */
	free(f->hours);
	free(f);
}

static void test_gaps_and_availability(void **state)
{
	struct fix *f = fix_new();
	(void)state;
	healthy(f);
	gap(f, P_COD, 5 * 24, 5 * 24 + 6); /* day 5: 18 hours left: still judged */
	gap(f, P_COD, 6 * 24, 6 * 24 + 7); /* day 6: 17 hours left: not judged */
	for (int h = 200; h < 201; h++)	   /* an hour half calibrating */
		wwtp_report_hour_init(&f->hours[P_COD * f->p.nhours + (size_t)h]);
	fill(f, P_COD, 200, 201, WWTP_READING_OK, 60);
	{
		struct wwtp_report_sample s[6];
		for (int k = 0; k < 6; k++)
			s[k] = (struct wwtp_report_sample){OCT_START + 200 * H + k * 600000LL + 1,
							   WWTP_READING_CALIBRATING, 1, 999};
		wwtp_report_hours_add(&f->hours[P_COD * f->p.nhours], f->p.nhours, f->p.start_ms, s,
				      6);
	}
	compute(f, NULL, 0);
	const struct wwtp_report_pstats *c = &f->ps[P_COD];
	/* 744 - 6 - 7 - 1 (6 ok of 12 readings < 75 %) */
	assert_int_equal(c->hours_judged, 730);
	assert_int_equal(c->hours_covered, 731);
	assert_true(fabs(c->availability - 730.0 / 744) < 1e-12);
	assert_int_equal(c->days_judged, 30);
	assert_int_equal(c->day_judged[5], 1);
	assert_int_equal(c->day_judged[6], 0);
	/* The calibrating 999s are readings, not valid samples. */
	assert_int_equal(c->samples, (744 - 13) * 6 + 6);
	assert_int_equal(c->valid, (744 - 13) * 6);
	assert_true(c->max == 60);
	assert_int_equal(f->res.verdict, WWTP_REPORT_MET); /* 98 % available */
	free(f->hours);
	free(f);
}

static void test_low_availability_is_insufficient(void **state)
{
	struct fix *f = fix_new();
	(void)state;
	healthy(f);
	gap(f, P_PH, 0, 200); /* 544 / 744 = 73 % < 75 % */
	compute(f, NULL, 0);
	assert_int_equal(f->res.verdict, WWTP_REPORT_INSUFFICIENT);
	assert_int_equal(f->res.params_insufficient, 1);
	assert_true(fabs(f->res.worst_availability - 544.0 / 744) < 1e-12);
	free(f->hours);
	free(f);
}

static void test_faults_count(void **state)
{
	struct fix *f = fix_new();
	(void)state;
	healthy(f);
	struct wwtp_report_sample s = {OCT_START + 3 * H + 1, WWTP_READING_FAULT, 0, NAN};
	wwtp_report_hours_add(&f->hours[P_COD * f->p.nhours], f->p.nhours, f->p.start_ms, &s, 1);
	compute(f, NULL, 0);
	assert_int_equal(f->ps[P_COD].faults, 1);
	assert_int_equal(f->ps[P_COD].samples, 744 * 6 + 1);
	assert_int_equal(f->ps[P_COD].hours_judged, 744); /* 6 of 7 ok: 86 % */
	free(f->hours);
	free(f);
}

static void test_month_boundary_last_day(void **state)
{
	struct fix *f = fix_new();
	struct wwtp_report_sample s[] = {
	    {utc("2026-09-30T16:59:59.999Z"), WWTP_READING_OK, 1, 5000}, /* September */
	    {utc("2026-09-30T17:00:00.000Z"), WWTP_READING_OK, 1, 10},	 /* first of October */
	    {utc("2026-10-31T16:59:59.999Z"), WWTP_READING_OK, 1, 20},	 /* last of October */
	    {utc("2026-10-31T17:00:00.000Z"), WWTP_READING_OK, 1, 5000}, /* November */
	    {utc("2026-10-31T12:00:00.000Z"), WWTP_READING_OK, 1, NAN},	 /* no value */
	};
	(void)state;
	wwtp_report_hours_add(&f->hours[P_COD * f->p.nhours], f->p.nhours, f->p.start_ms, s, 5);
	compute(f, NULL, 0);
	const struct wwtp_report_pstats *c = &f->ps[P_COD];
	assert_int_equal(c->valid, 2);
	assert_int_equal(c->samples, 3);
	assert_true(c->min == 10 && c->max == 20 && c->mean == 15);
	assert_int_equal(f->hours[P_COD * f->p.nhours + 0].ok, 1);
	assert_int_equal(f->hours[P_COD * f->p.nhours + 743].ok, 1);
	/* The last hour is local 23:00-24:00 of 31 October: day 30. */
	assert_true(f->ps[P_COD].daily[30] == 20);
	assert_int_equal(wwtp_local_day_key(s[2].ts_ms), 20261031);
	assert_int_equal(wwtp_local_day_key(s[3].ts_ms), 20261101);
	free(f->hours);
	free(f);
}

static void test_empty_month(void **state)
{
	struct fix *f = fix_new();
	(void)state;
	compute(f, NULL, 0);
	for (int i = 0; i < NP; i++) {
		assert_int_equal(f->ps[i].samples, 0);
		assert_int_equal(f->ps[i].hours_judged, 0);
		assert_true(f->ps[i].availability == 0);
		assert_true(isnan(f->ps[i].mean) && isnan(f->ps[i].max) && isnan(f->ps[i].min));
		assert_true(isnan(f->ps[i].hours_exceeding_share));
		assert_true(f->ps[i].alert_hours == 0);
	}
	assert_int_equal(f->res.verdict, WWTP_REPORT_INSUFFICIENT);
	assert_int_equal(f->res.nreasons, 0); /* the flag rules need min_hours */
	/* A future month: no hours at all. */
	assert_int_equal(wwtp_report_period_parse("2027-01", OCT_START, &f->p), 0);
	compute(f, NULL, 0);
	assert_true(isnan(f->ps[P_COD].availability));
	free(f->hours);
	free(f);
}

static void test_no_limits_not_judged(void **state)
{
	struct fix *f = fix_new();
	(void)state;
	healthy(f);
	f->params[P_COD].has_limit = f->params[P_PH].has_limit = 0;
	compute(f, NULL, 0);
	assert_int_equal(f->res.verdict, WWTP_REPORT_NOT_JUDGED);
	assert_string_equal(wwtp_report_verdict_name(f->res.verdict), "not_judged");
	free(f->hours);
	free(f);
}

static void test_month_flag_uses_the_rules(void **state)
{
	struct fix *f = fix_new();
	(void)state;
	fill(f, P_COD, 0, 744, WWTP_READING_OK, 200); /* always above */
	fill(f, P_PH, 0, 744, WWTP_READING_OK, 7);
	compute(f, NULL, 0);
	assert_int_equal(f->res.nreasons, 1);
	assert_int_equal(f->res.reasons[0].rule, WWTP_FLAG_COMPLIANCE);
	assert_string_equal(f->res.reasons[0].param, "cod");
	/* The rule rests on the same judged hours as the report. */
	assert_int_equal(f->res.reasons[0].hours, (int)f->ps[P_COD].hours_judged);
	assert_true(f->res.reasons[0].value == 0);
	/* The mean the inspector's wording needs ("TB 200 mg/L, gấp N lần"). */
	assert_true(f->res.reasons[0].mean == 200);
	free(f->hours);
	free(f);
}

static void test_alert_hours(void **state)
{
	struct fix *f = fix_new();
	struct wwtp_report_alert a[] = {
	    /* 1 h and 24 h windows overlapping: 10:00-12:00 and 11:00-14:00 -> 4 h */
	    {"cod", OCT_START + 10 * H, OCT_START + 12 * H, 3600, 1.3},
	    {"cod", OCT_START + 11 * H, OCT_START + 14 * H, 86400, 1.1},
	    /* raised and cleared before the month: nothing */
	    {"cod", OCT_START - 50 * H, OCT_START - 40 * H, 3600, 2.0},
	    /* open since before the month, for pH: the whole month */
	    {"ph", OCT_START - 5 * H, 0, 3600, 1.2},
	    /* another station's param: ignored */
	    {"tn", OCT_START, 0, 3600, 9},
	    /* open, raised in the last hour: 1 h, the largest ratio */
	    {"cod", NOV_START - H, 0, 3600, 1.7},
	};
	(void)state;
	healthy(f);
	compute(f, a, sizeof(a) / sizeof(a[0]));
	assert_true(fabs(f->ps[P_COD].alert_hours - 5.0) < 1e-12);
	assert_int_equal(f->ps[P_COD].alerts_raised, 3);
	assert_true(f->ps[P_COD].max_alert_ratio == 1.7);
	assert_true(f->ps[P_PH].alert_hours == 744);
	assert_int_equal(f->ps[P_PH].alerts_raised, 0);
	assert_true(f->ps[P_FLOW].alert_hours == 0);
	free(f->hours);
	free(f);
}

/* ---- InfluxDB's answer ---- */

static struct wwtp_report_station *station_new(struct fix *f)
{
	struct wwtp_report_station *st = calloc(1, sizeof(*st));
	assert_non_null(st);
	snprintf(st->id, sizeof st->id, "thanh-thuy");
	snprintf(st->name, sizeof st->name, "CCN <Thanh Thùy> & co");
	st->nparams = NP;
	st->params = f->params;
	st->info = calloc(NP, sizeof(*st->info));
	st->hours = f->hours;
	st->res.p = f->ps;
	st->has_limits = 1;
	snprintf(st->regulation, sizeof st->regulation, "QCVN40:2011");
	snprintf(st->column, sizeof st->column, "B");
	st->kq = 0.9;
	st->kf = 1;
	st->min_availability = 0.75;
	return st;
}

static void test_query_text(void **state)
{
	struct fix *f = fix_new();
	struct wwtp_buf q;
	(void)state;
	wwtp_buf_init(&q, 1 << 16);
	assert_int_equal(wwtp_report_query_text("thanh-thuy", &f->p, &q), 0);
	assert_non_null(strstr(q.data, "station='thanh-thuy' AND time >= 1790787600000ms AND "
				       "time < 1793466000000ms GROUP BY time(1h), param"));
	assert_int_equal(wwtp_report_query_text("x' OR 1=1", &f->p, &q), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_report_query_text("", &f->p, &q), WWTP_ERR_INVAL);
	wwtp_buf_free(&q);
	free(f->hours);
	free(f);
}

static void test_parse_answer(void **state)
{
	struct fix *f = fix_new();
	struct wwtp_report_station *st = station_new(f);
	char err[256];
	(void)state;
	const char *json =
	    "{\"results\":["
	    "{\"statement_id\":0,\"series\":["
	    "{\"name\":\"reading\",\"tags\":{\"param\":\"cod\"},\"columns\":[\"time\",\"count\"],"
	    "\"values\":[[1790787600000,6],[1790791200000,4],[1793466000000,9]]},"
	    "{\"name\":\"reading\",\"tags\":{\"param\":\"unknown\"},\"columns\":[\"time\","
	    "\"count\"],"
	    "\"values\":[[1790787600000,6]]}]},"
	    "{\"statement_id\":1,\"series\":["
	    "{\"name\":\"reading\",\"tags\":{\"param\":\"cod\"},"
	    "\"columns\":[\"time\",\"count\",\"mean\",\"min\",\"max\"],"
	    "\"values\":[[1790787600000,6,50.5,40,61],[1790791200000,3,70,70,70]]}]},"
	    "{\"statement_id\":2,\"series\":["
	    "{\"name\":\"reading\",\"tags\":{\"param\":\"cod\"},\"columns\":[\"time\",\"count\"],"
	    "\"values\":[[1790791200000,1]]}]},"
	    "{\"statement_id\":3,\"series\":[{\"name\":\"alert\",\"columns\":[\"time\",\"device\","
	    "\"event\",\"id\",\"kind\",\"param\",\"ratio\",\"start_ms\",\"station\",\"window\"],"
	    "\"values\":[[1790823600000,\"d\",\"raised\",\"a1\",\"exceedance\",\"cod\",1.4,"
	    "1790823600000,\"thanh-thuy\",\"3600\"],"
	    "[1790830800000,\"d\",\"raised\",\"a2\",\"range\",\"ph\",1.1,1790830800000,"
	    "\"thanh-thuy\",\"3600\"]]}]},"
	    "{\"statement_id\":4,\"series\":[{\"name\":\"alert\",\"columns\":[\"time\",\"end_ms\","
	    "\"id\"],\"values\":[[1790829000000,1790829000000,\"a1\"]]}]},"
	    /* The configuration changes: a point's scale, a device removed. */
	    "{\"statement_id\":5,\"series\":[{\"name\":\"config\",\"columns\":[\"time\","
	    "\"changes\",\"device\",\"fingerprint\",\"from_value\",\"param\",\"setting\","
	    "\"to_value\"],\"values\":[[1790823600000,2,\"outlet\",\"ab\",\"1\",\"cod\","
	    "\"scale\",\"0.5\"],[1790823600000,2,\"flow\",\"ab\",\"defined\",null,\"device\","
	    "null]]}]},"
	    /* The laboratory samples: one disagreeing, one without analyzer
	     * data, one of a verdict this version does not know (left out). */
	    "{\"statement_id\":6,\"series\":[{\"name\":\"sample\",\"columns\":[\"time\","
	    "\"analyzer_mean\",\"difference\",\"laboratory\",\"param\",\"reference\","
	    "\"relative_pct\",\"station\",\"unit\",\"value\",\"verdict\"],\"values\":["
	    "[1790823600000,80,30,\"Vilas 123\",\"cod\",\"KQ 88\",60,\"thanh-thuy\","
	    "\"mg/L\",50,\"disagree\"],"
	    "[1790830800000,null,null,\"Lab\",\"cod\",\"R2\",null,\"thanh-thuy\",\"mg/L\","
	    "48,\"no_data\"],"
	    "[1790834400000,null,null,\"Lab\",\"cod\",\"R3\",null,\"thanh-thuy\",\"mg/L\","
	    "48,\"maybe\"]]}]}]}";

	assert_int_equal(wwtp_report_parse_answer(json, strlen(json), &f->p, st, err, sizeof err),
			 0);
	const struct wwtp_report_hour *h = &st->hours[P_COD * f->p.nhours];
	assert_int_equal(h[0].polls, 6);
	assert_int_equal(h[0].ok, 6);
	assert_true(h[0].mean == 50.5 && h[0].min == 40 && h[0].max == 61);
	assert_int_equal(h[1].polls, 4);
	assert_int_equal(h[1].ok, 3);
	assert_int_equal(h[1].fault, 1);
	assert_int_equal(h[2].polls, 0); /* nothing said about hour 2 */
	assert_int_equal(st->nalerts, 2);
	assert_string_equal(st->alerts[0].param, "cod");
	assert_int_equal(st->alerts[0].start_ms, 1790823600000LL);
	assert_int_equal(st->alerts[0].end_ms, 1790829000000LL); /* paired by id: 1.5 h */
	assert_int_equal(st->alerts[0].window_s, 3600);
	assert_int_equal(st->alerts[1].end_ms, 0); /* still open */
	assert_int_equal(st->nconf, 2);
	assert_int_equal(st->conf[0].t_ms, 1790823600000LL);
	assert_string_equal(st->conf[0].param, "cod");
	assert_string_equal(st->conf[0].setting, "scale");
	assert_true(st->conf[0].has_from && st->conf[0].has_to);
	assert_string_equal(st->conf[0].to, "0.5");
	assert_string_equal(st->conf[1].param, "");
	assert_int_equal(st->conf[1].has_to, 0);
	char words[200];
	wwtp_confchange_words("vi", "thanh-thuy", st->conf[0].device, st->conf[0].param,
			      st->conf[0].setting, st->conf[0].from, st->conf[0].to, words,
			      sizeof words);
	assert_string_equal(words, "COD (outlet): hệ số (scale) 1 → 0,5");
	wwtp_confchange_words("en", "thanh-thuy", st->conf[1].device, NULL, st->conf[1].setting,
			      st->conf[1].from, NULL, words, sizeof words);
	assert_string_equal(words, "device flow: device removed");
	assert_int_equal(st->nlab, 2);
	assert_int_equal(st->lab[0].t_ms, 1790823600000LL);
	assert_string_equal(st->lab[0].laboratory, "Vilas 123");
	assert_string_equal(st->lab[0].reference, "KQ 88");
	assert_int_equal(st->lab[0].verdict, WWTP_LAB_DISAGREE);
	assert_true(st->lab[0].value == 50 && st->lab[0].mean == 80 && st->lab[0].rel_pct == 60);
	assert_int_equal(st->lab[1].verdict, WWTP_LAB_NO_DATA);
	assert_true(isnan(st->lab[1].mean) && isnan(st->lab[1].diff));

	const char *e1 = "{\"results\":[{\"statement_id\":0,\"error\":\"database not found: x\"}]}";
	assert_int_equal(wwtp_report_parse_answer(e1, strlen(e1), &f->p, st, err, sizeof err),
			 WWTP_ERR_PROTO);
	assert_non_null(strstr(err, "database not found"));
	assert_int_equal(wwtp_report_parse_answer("<html>", 6, &f->p, st, err, sizeof err),
			 WWTP_ERR_PROTO);
	assert_int_equal(wwtp_report_parse_answer("{}", 2, &f->p, st, err, sizeof err),
			 WWTP_ERR_PROTO);
	/* An answer without series: empty hours, no alerts. */
	const char *e2 = "{\"results\":[{\"statement_id\":0},{\"statement_id\":1}]}";
	assert_int_equal(wwtp_report_parse_answer(e2, strlen(e2), &f->p, st, err, sizeof err), 0);
	assert_int_equal(st->hours[0].polls, 0);
	assert_int_equal(st->nalerts, 0);
	assert_int_equal(st->nconf, 0);
	assert_int_equal(st->nlab, 0);
	free(st->conf);
	free(st->lab);
	free(st->alerts);
	free(st->info);
	free(st);
	free(f->hours);
	free(f);
}

/* ---- volume, hours lost ---- */

static void test_volume_and_lost_hours(void **state)
{
	struct fix *f = fix_new();
	struct wwtp_report_volume v;
	(void)state;
	/* flow_out in m3/h: 30 m3/h for 700 hours with data, 44 hours offline. */
	snprintf(f->params[P_FLOW].unit, sizeof f->params[P_FLOW].unit, "m3/h");
	fill(f, P_FLOW, 0, 700, WWTP_READING_OK, 30);
	fill(f, P_COD, 0, 600, WWTP_READING_OK, 60);
	fill(f, P_COD, 600, 620, WWTP_READING_FAULT, 0);
	fill(f, P_COD, 620, 650, WWTP_READING_CALIBRATING, 0);
	compute(f, NULL, 0);
	assert_int_equal(f->res.vol_out.method, WWTP_VOL_INTEGRAL);
	assert_int_equal(f->res.vol_out.hours, 700);
	assert_true(fabs(f->res.vol_out.m3 - 21000) < 1e-6);
	assert_true(fabs(f->res.vol_out.per_day - 720) < 1e-6);
	assert_true(fabs(f->res.vol_out.capacity_use - 0.72) < 1e-9); /* design 1000 m3/day */
	assert_int_equal(f->res.vol_in.method, WWTP_VOL_NONE);
	assert_true(isnan(f->res.vol_in.m3));
	const struct wwtp_report_pstats *c = &f->ps[P_COD];
	assert_int_equal(c->hours_lost, 144);
	assert_int_equal(c->lost_fault, 20);
	assert_int_equal(c->lost_other, 30);
	assert_int_equal(c->lost_nodata, 94);
	/* A unit that is not m3/h is not integrated. */
	snprintf(f->params[P_FLOW].unit, sizeof f->params[P_FLOW].unit, "L/s");
	wwtp_report_volume(&f->p, f->params, NP, f->hours, "volume_out", "flow_out", 0, &v);
	assert_int_equal(v.method, WWTP_VOL_NONE);
	/* A totaliser (as the flow's slot): its increase, a reset skipped. */
	snprintf(f->params[P_FLOW].name, sizeof f->params[P_FLOW].name, "volume_out");
	gap(f, P_FLOW, 0, 744);
	for (int h = 0; h < 744; h++) {
		double base = h < 400 ? 1000 + 30.0 * h : 5 + 30.0 * (h - 400);
		struct wwtp_report_sample s[2] = {
		    {OCT_START + h * H, WWTP_READING_OK, 1, base},
		    {OCT_START + h * H + 3599000LL, WWTP_READING_OK, 1, base + 29.99}};
		if (h >= 100 && h < 110)
			continue; /* offline: the counter goes on counting */
		wwtp_report_hours_add(&f->hours[(size_t)P_FLOW * f->p.nhours], f->p.nhours,
				      f->p.start_ms, s, 2);
	}
	wwtp_report_volume(&f->p, f->params, NP, f->hours, "volume_out", "flow_out", 1000, &v);
	assert_int_equal(v.method, WWTP_VOL_TOTALISER);
	assert_int_equal(v.resets, 1);
	/* 400 hours up to 1000 + 30*399 + 29.99, then from 5 to 5 + 30*343 + 29.99. */
	assert_true(fabs(v.m3 - ((30.0 * 399 + 29.99) + (30.0 * 343 + 29.99))) < 1e-6);
	assert_int_equal(v.hours, 734);
	free(f->hours);
	free(f);
}

static void test_number_pattern(void **state)
{
	char b[64];
	(void)state;
	wwtp_report_number("%n/BC-GSNT", 12, b, sizeof b);
	assert_string_equal(b, "12/BC-GSNT");
	wwtp_report_number("%n/BC-GSNT", 0, b, sizeof b);
	assert_string_equal(b, "      /BC-GSNT");
	wwtp_report_number("BC-%n-%n", 7, b, 6);
	assert_string_equal(b, "BC-7-");
}

/* ---- documents ---- */

static void test_documents(void **state)
{
	struct fix *f = fix_new();
	struct wwtp_report_station *st = station_new(f);
	struct wwtp_buf b;
	(void)state;
	fill(f, P_COD, 0, 744, WWTP_READING_OK, 200);
	fill(f, P_PH, 0, 744, WWTP_READING_OK, 7);
	compute(f, NULL, 0);
	st->res = f->res;
	snprintf(st->info[P_COD].name_vi, sizeof st->info[P_COD].name_vi, "COD");
	const struct wwtp_report_station *l[] = {st};
	/* Two laboratory samples: the table, in the office's words. */
	struct wwtp_report_lab lab[2] = {{.t_ms = OCT_START + 3600000LL,
					  .param = "cod",
					  .unit = "mg/L",
					  .laboratory = "Vilas <123>",
					  .reference = "KQ 88/2026",
					  .value = 50,
					  .mean = 80,
					  .diff = 30,
					  .rel_pct = 60,
					  .verdict = WWTP_LAB_DISAGREE},
					 {.t_ms = OCT_START + 7200000LL,
					  .param = "cod",
					  .unit = "mg/L",
					  .laboratory = "PTN",
					  .reference = "R2",
					  .value = 48,
					  .mean = NAN,
					  .diff = NAN,
					  .rel_pct = NAN,
					  .verdict = WWTP_LAB_NO_DATA}};
	st->lab = lab;
	st->nlab = 2;

	wwtp_buf_init(&b, 4 << 20);
	assert_int_equal(wwtp_report_html_station(&f->p, st, WWTP_LANG_VI, OCT_START, &b), 0);
	assert_non_null(strstr(b.data, "So sánh với kết quả phòng thí nghiệm"));
	assert_non_null(strstr(b.data, "<tr class=\"lab bad\"><td class=\"l\">01/10/2026 01:00</td>"
				       "<td class=\"l\">COD (mg/L)</td><td class=\"l\">Vilas "
				       "&lt;123&gt;</td><td class=\"l\">KQ 88/2026</td><td>50</td>"
				       "<td>80</td><td>+30 (+60 %)</td><td class=\"l\">Không phù "
				       "hợp</td></tr>"));
	assert_non_null(strstr(b.data, "<td>48</td><td>—</td><td>—</td><td class=\"l\">Không "
				       "có số liệu thiết bị đo</td>"));
	assert_non_null(strstr(b.data, "<html lang=\"vi\">"));
	assert_non_null(strstr(b.data, "Kết quả các thông số theo quy chuẩn"));
	/* The administrative document (Nghị định 30/2020/NĐ-CP). */
	assert_non_null(strstr(b.data, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
	assert_non_null(strstr(b.data, "Độc lập - Tự do - Hạnh phúc"));
	assert_non_null(strstr(b.data, "HỆ THỐNG GIÁM SÁT NƯỚC THẢI"));
	assert_non_null(strstr(b.data, "Hà Nội, ngày 01 tháng 10 năm 2026"));
	assert_non_null(strstr(b.data, "Nơi nhận:"));
	assert_non_null(strstr(b.data, "counter(page) \"/\" counter(pages)"));
	assert_non_null(strstr(b.data, "Số: &nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;/BC-GSNT"));
	assert_non_null(strstr(b.data, "PHỤ LỤC 2"));
	assert_null(strstr(b.data, "(UTC)"));
	assert_non_null(strstr(b.data, "Không đạt quy chuẩn"));
	assert_non_null(strstr(b.data, "<svg xmlns"));
	assert_non_null(strstr(b.data, "CCN &lt;Thanh Thùy&gt; &amp; co")); /* escaped */
	assert_null(strstr(b.data, "<Thanh"));
	assert_null(strstr(b.data, "<script"));
	assert_non_null(strstr(b.data, "01/10/2026 00:00 – 01/11/2026 00:00"));
	assert_non_null(strstr(b.data, "Lưu lượng ra")); /* the flow's Vietnamese name */
	/* The only URL is the SVG namespace. */
	for (const char *p = strstr(b.data, "http"); p; p = strstr(p + 1, "http"))
		assert_int_equal(strncmp(p, "http://www.w3.org/2000/svg", 26), 0);

	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_report_html_fleet(&f->p, l, 1, WWTP_LANG_EN, OCT_START, &b), 0);
	assert_non_null(strstr(b.data, "Plants that met the regulation: 0/1 (0%)"));
	assert_non_null(
	    strstr(b.data, "Plants: 1; met the regulation: 0; not met: 1; insufficient"));
	assert_non_null(strstr(b.data, "SOCIALIST REPUBLIC OF VIET NAM"));
	assert_non_null(strstr(b.data, "0% of 744 hourly averages within 135"));

	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_report_csv_params(&f->p, l, 1, &b), 0);
	assert_non_null(strstr(b.data, "2026-10,thanh-thuy,cod,,1,,135,QCVN40:2011,B,"));
	assert_non_null(strstr(b.data, ",4464,4464,0,744,744,744,1,200,200,200,744,1,31,31,31,1,"));
	int lines = 0;
	for (const char *p = b.data; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 1 + NP);
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_report_csv_stations(&f->p, l, 1, &b), 0);
	assert_non_null(strstr(b.data, ",CCN <Thanh Thùy> & co,")); /* CSV needs no escaping */
	assert_non_null(strstr(b.data, "not_met"));
	assert_non_null(strstr(b.data, "compliance:cod"));
	wwtp_buf_free(&b);

	/* A buffer too small: refused whole, not cut. */
	wwtp_buf_init(&b, 2000);
	assert_int_equal(wwtp_report_html_station(&f->p, st, WWTP_LANG_VI, OCT_START, &b),
			 WWTP_ERR_FULL);
	wwtp_buf_free(&b);
	st->lab = NULL;
	st->nlab = 0;
	free(st->info);
	free(st);
	free(f->hours);
	free(f);
}

static void test_numbers_and_words(void **state)
{
	char b[32];
	int lang = -1;
	(void)state;
	assert_string_equal(num(b, sizeof b, WWTP_LANG_VI, 61.5, 1), "61,5");
	assert_string_equal(num(b, sizeof b, WWTP_LANG_EN, 61.5, 1), "61.5");
	assert_string_equal(num(b, sizeof b, WWTP_LANG_VI, 100.0, 1), "100");
	assert_string_equal(num(b, sizeof b, WWTP_LANG_VI, NAN, 1), "—");
	assert_string_equal(num(b, sizeof b, WWTP_LANG_EN, -0.00001, 2), "0");
	assert_int_equal(wwtp_report_lang_parse(NULL, &lang), 0);
	assert_int_equal(lang, WWTP_LANG_VI);
	assert_int_equal(wwtp_report_lang_parse("en", &lang), 0);
	assert_int_equal(lang, WWTP_LANG_EN);
	assert_int_equal(wwtp_report_lang_parse("fr", &lang), WWTP_ERR_INVAL);
	/* Every entry has both languages. */
	for (int i = 0; i < RT_COUNT; i++) {
		assert_string_not_equal(wwtp_report_txt(WWTP_LANG_VI, i), "?");
		assert_non_null(wwtp_report_txt(WWTP_LANG_EN, i)); /* texts[i][1] */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_period_october),
	    cmocka_unit_test(test_period_february_and_new_year),
	    cmocka_unit_test(test_period_under_way_and_future),
	    cmocka_unit_test(test_period_refuses),
	    cmocka_unit_test(test_healthy_month),
	    cmocka_unit_test(test_exactly_at_limit_is_within),
	    cmocka_unit_test(test_one_hour_over_is_not_a_day_over),
	    cmocka_unit_test(test_day_over_is_not_met),
	    cmocka_unit_test(test_ph_both_sides),
	    cmocka_unit_test(test_gaps_and_availability),
	    cmocka_unit_test(test_low_availability_is_insufficient),
	    cmocka_unit_test(test_faults_count),
	    cmocka_unit_test(test_month_boundary_last_day),
	    cmocka_unit_test(test_empty_month),
	    cmocka_unit_test(test_no_limits_not_judged),
	    cmocka_unit_test(test_month_flag_uses_the_rules),
	    cmocka_unit_test(test_alert_hours),
	    cmocka_unit_test(test_query_text),
	    cmocka_unit_test(test_parse_answer),
	    cmocka_unit_test(test_volume_and_lost_hours),
	    cmocka_unit_test(test_number_pattern),
	    cmocka_unit_test(test_period_quarter_and_year),
	    cmocka_unit_test(test_schedule_due),
	    cmocka_unit_test(test_documents),
	    cmocka_unit_test(test_numbers_and_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
