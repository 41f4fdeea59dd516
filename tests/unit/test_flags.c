/* test_flags.c - the degraded-plant flags, pure parts (central/flags/hourly.c and
 * central/flags/flags.c): the hourly ring, what an hour counts as
 * (judged, within, in fault), the summary of a window, every rule raising
 * at its threshold with the numbers behind it, not judging without enough
 * data, and hysteresis: a raised rule holds until its clearing point and
 * clears past it. Numbers are computed by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../central/flags/flags.h"
#include "../../central/flags/hourly.h"
#include "../../util/err.h"

#define END 500000 /* the hour under way (epoch hours, any value will do) */

/* A station: outlet COD (limit 135), NH4 (9), pH (5.5-9), inlet COD and
 * NH4 (no limit), outlet flow (no limit). */
enum { P_COD, P_NH4, P_PH, P_COD_IN, P_NH4_IN, P_FLOW, NP };

static void params(struct wwtp_flag_param *p)
{
	static const struct {
		const char *name, *unit;
		double lo, hi;
	} d[NP] = {{"cod", "mg/L", NAN, 135},	 {"nh4", "mg/L", NAN, 9},
		   {"ph", "pH", 5.5, 9},	 {"cod_in", "mg/L", NAN, NAN},
		   {"nh4_in", "mg/L", NAN, NAN}, {"flow_out", "m3/h", NAN, NAN}};
	memset(p, 0, NP * sizeof(*p));
	for (int i = 0; i < NP; i++) {
		snprintf(p[i].name, sizeof(p[i].name), "%s", d[i].name);
		snprintf(p[i].unit, sizeof(p[i].unit), "%s", d[i].unit);
		snprintf(p[i].device, sizeof(p[i].device), "dev-%s", d[i].name);
		p[i].cmax_min = d[i].lo;
		p[i].cmax_max = d[i].hi;
		p[i].has_limit = isfinite(d[i].hi) || isfinite(d[i].lo);
		p[i].is_range = isfinite(d[i].lo);
	}
}

static void put(struct wwtp_hourly *h, int p, int64_t hour, uint32_t polls, uint32_t ok,
		uint32_t fault, double mean)
{
	struct wwtp_hour_cell *c = wwtp_hourly_cell(h, (size_t)p, hour);
	assert_non_null(c);
	c->polls = polls;
	c->ok = ok;
	c->fault = fault;
	c->mean = mean;
}

/* A healthy week: 12 polls an hour, all ok, values well inside. */
static void healthy_week(struct wwtp_hourly *h, int hours)
{
	for (int64_t hr = END - hours; hr < END; hr++) {
		put(h, P_COD, hr, 12, 12, 0, 50);
		put(h, P_NH4, hr, 12, 12, 0, 3);
		put(h, P_PH, hr, 12, 12, 0, 7.2);
		put(h, P_COD_IN, hr, 12, 12, 0, 500);
		put(h, P_NH4_IN, hr, 12, 12, 0, 40);
		put(h, P_FLOW, hr, 12, 12, 0, 30); /* 720 m3/day */
	}
}

struct run {
	struct wwtp_flag_cfg cfg;
	struct wwtp_flag_param p[NP];
	struct wwtp_param_summary ps[NP];
	struct wwtp_station_summary sum;
	struct wwtp_hourly h;
	struct wwtp_flag_state st;
	struct wwtp_flag_reason r[WWTP_FLAG_REASONS_MAX];
	struct wwtp_flag_checks ck;
	size_t n;
};

static void run_init(struct run *x)
{
	memset(x, 0, sizeof(*x));
	wwtp_flag_cfg_default(&x->cfg);
	params(x->p);
	assert_int_equal(wwtp_hourly_init(&x->h, NP, (size_t)x->cfg.window_h + 2), 0);
}

static size_t eval(struct run *x, double design)
{
	x->sum.params = x->ps;
	wwtp_hourly_summarise(&x->h, x->p, END, x->cfg.window_h, x->cfg.hour_min_ok, &x->sum);
	x->n = wwtp_flags_evaluate(&x->cfg, x->p, NP, design, &x->sum, &x->st, x->r,
				   WWTP_FLAG_REASONS_MAX, &x->ck);
	return x->n;
}

static const struct wwtp_flag_reason *reason(const struct run *x, int rule, const char *param)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->r[i].rule == rule && (!param || strcmp(x->r[i].param, param) == 0))
			return &x->r[i];
	return NULL;
}

static void test_ring(void **state)
{
	struct wwtp_hourly h;
	(void)state;

	assert_int_equal(wwtp_hourly_init(&h, 2, 10), 0);
	assert_null(wwtp_hourly_get(&h, 0, 100));
	put(&h, 0, 100, 5, 4, 1, 7.5);
	assert_true(wwtp_hourly_get(&h, 0, 100)->mean == 7.5);
	assert_null(wwtp_hourly_get(&h, 1, 100)); /* per param */
	assert_null(wwtp_hourly_get(&h, 0, 110)); /* same slot, another hour */
	/* Hour 110 takes the slot: 100 is gone, 110 starts empty. */
	struct wwtp_hour_cell *c = wwtp_hourly_cell(&h, 0, 110);
	assert_int_equal(c->polls, 0);
	assert_true(isnan(c->mean));
	assert_null(wwtp_hourly_get(&h, 0, 100));
	put(&h, 0, 111, 1, 1, 0, 1);
	put(&h, 1, 111, 1, 1, 0, 1);
	wwtp_hourly_clear(&h, 111, 112);
	assert_null(wwtp_hourly_get(&h, 0, 111));
	assert_null(wwtp_hourly_get(&h, 1, 111));
	assert_non_null(wwtp_hourly_get(&h, 0, 110));
	/* Out of range: no cell. */
	assert_null(wwtp_hourly_cell(&h, 2, 5));
	assert_null(wwtp_hourly_cell(&h, 0, -1));
	/* A clear wider than the ring empties the ring, nothing more. */
	wwtp_hourly_clear(&h, 0, 1000000);
	assert_null(wwtp_hourly_get(&h, 0, 110));
	wwtp_hourly_free(&h);
	assert_int_equal(wwtp_hourly_init(&h, 1, 0), WWTP_ERR_INVAL);
}

static void test_summary(void **state)
{
	struct run x;
	(void)state;
	run_init(&x);
	/* 20 hours of data: COD judged when ok >= 75 % of polls. */
	for (int64_t hr = END - 20; hr < END; hr++)
		put(&x.h, P_COD, hr, 12, 12, 0, 100);
	put(&x.h, P_COD, END - 20, 12, 9, 3, 200);  /* 9/12 = 75 %: judged, over */
	put(&x.h, P_COD, END - 19, 12, 8, 4, 200);  /* 8/12: not judged */
	put(&x.h, P_COD, END - 18, 0, 0, 0, NAN);   /* nothing */
	put(&x.h, P_COD, END - 17, 12, 12, 0, 135); /* exactly Cmax: within */
	put(&x.h, P_COD, END, 12, 12, 0, 999);	    /* the hour under way: not counted */
	x.sum.params = x.ps;
	wwtp_hourly_summarise(&x.h, x.p, END, x.cfg.window_h, 0.75, &x.sum);
	assert_int_equal(x.sum.first_hour, END - 20);
	assert_int_equal(x.sum.hours, 20);
	assert_int_equal(x.ps[P_COD].covered, 19);
	assert_int_equal(x.ps[P_COD].judged, 18);
	assert_int_equal(x.ps[P_COD].within, 17);
	/* (3/12 + 4/12) / 19 covered hours */
	assert_true(fabs(x.ps[P_COD].fault_share - (7.0 / 12) / 19) < 1e-12);
	/* (200 + 135 + 16 x 100) / 18 */
	assert_true(fabs(x.ps[P_COD].mean - 1935.0 / 18) < 1e-9);
	assert_int_equal(x.ps[P_NH4].covered, 0);
	assert_true(isnan(x.ps[P_NH4].fault_share) && isnan(x.ps[P_NH4].mean));
	/* No inlet data: no pairs; the flow param is found. */
	assert_int_equal(x.sum.cod_hours, 0);
	assert_int_equal(x.sum.flow_param, P_FLOW);
	assert_int_equal(x.sum.flow_hours, 0);
	/* ok > polls (three statements read at slightly different times)
	 * counts as all ok. */
	put(&x.h, P_NH4, END - 1, 10, 11, 0, 2);
	wwtp_hourly_summarise(&x.h, x.p, END, x.cfg.window_h, 0.75, &x.sum);
	assert_int_equal(x.ps[P_NH4].judged, 1);
	assert_true(x.ps[P_NH4].fault_share == 0.0);
	wwtp_hourly_free(&x.h);
}

static void test_healthy_not_flagged(void **state)
{
	struct run x;
	(void)state;
	run_init(&x);
	healthy_week(&x.h, 168);
	/* Two excursions of an hour each: 166 of 168 within, 98.8 %. */
	put(&x.h, P_COD, END - 50, 12, 12, 0, 180);
	put(&x.h, P_NH4, END - 60, 12, 12, 0, 12);
	assert_int_equal(eval(&x, 1000), 0);
	assert_int_equal(x.st.n, 0);
	assert_int_equal(x.ck.hours, 168);
	assert_true(x.ck.availability == 1.0);
	assert_true(x.ck.faults == 0.0);
	/* 1 - mean outlet / mean inlet over the paired hours */
	assert_true(fabs(x.ck.cod_removal - (1 - (167 * 50 + 180) / 168.0 / 500)) < 1e-12);
	assert_true(fabs(x.ck.nh4_removal - (1 - (167 * 3 + 12) / 168.0 / 40)) < 1e-12);
	assert_true(fabs(x.ck.hydraulic_load - 0.72) < 1e-12);
	wwtp_hourly_free(&x.h);
}

static void test_each_rule(void **state)
{
	struct run x;
	const struct wwtp_flag_reason *r;
	(void)state;

	/* Compliance: COD over on 20 of 168 hours: 88.1 % < 90 %. */
	run_init(&x);
	healthy_week(&x.h, 168);
	for (int i = 0; i < 20; i++)
		put(&x.h, P_COD, END - 1 - i, 12, 12, 0, 150);
	assert_int_equal(eval(&x, 1000), 1);
	r = reason(&x, WWTP_FLAG_COMPLIANCE, "cod");
	assert_non_null(r);
	assert_true(fabs(r->value - 148.0 / 168) < 1e-12);
	assert_true(r->threshold == 0.90 && fabs(r->clear_at - 0.93) < 1e-12);
	assert_int_equal(r->hours, 168);
	assert_true(r->limit == 135 && r->cmax_max == 135);
	assert_non_null(strstr(r->text, "cod: 88% of 168 hourly averages within 135 mg/L"));
	assert_string_equal(wwtp_flag_rule_name(r->rule), "compliance");
	/* 19 hours over: 88.7 %, still flagged; 16 over: 90.5 %: not flagged
	 * by a fresh state, but a raised one holds until 93 %. */
	put(&x.h, P_COD, END - 20, 12, 12, 0, 50);
	assert_int_equal(eval(&x, 1000), 1);
	for (int i = 16; i < 20; i++)
		put(&x.h, P_COD, END - 1 - i, 12, 12, 0, 50);
	assert_int_equal(eval(&x, 1000), 1); /* hysteresis: 90.5 % < 93 % */
	struct wwtp_flag_state fresh;
	memset(&fresh, 0, sizeof(fresh));
	x.st = fresh;
	assert_int_equal(eval(&x, 1000), 0); /* a fresh look: 90.5 % is fine */
	for (int i = 0; i < 17; i++)
		put(&x.h, P_COD, END - 1 - i, 12, 12, 0, 150);
	assert_int_equal(eval(&x, 1000), 1); /* 151/168 = 89.9 % */
	for (int i = 5; i < 17; i++)
		put(&x.h, P_COD, END - 1 - i, 12, 12, 0, 50);
	assert_int_equal(eval(&x, 1000), 0); /* 163/168 = 97 % > 93 %: cleared */
	/* pH is a range: below 5.5 counts as outside. */
	for (int i = 0; i < 30; i++)
		put(&x.h, P_PH, END - 1 - i, 12, 12, 0, 5.0);
	assert_int_equal(eval(&x, 1000), 1);
	r = reason(&x, WWTP_FLAG_COMPLIANCE, "ph");
	assert_non_null(r);
	assert_true(isnan(r->limit) && r->cmax_min == 5.5 && r->cmax_max == 9);
	assert_non_null(strstr(r->text, "within 5.5-9 pH"));
	wwtp_hourly_free(&x.h);

	/* Availability: NH4 judged 100 of 168 hours (59.5 %); its hours are
	 * there but faulty, so faults flag too (0.5 x 68 / 168 = 20.2 %). */
	run_init(&x);
	healthy_week(&x.h, 168);
	for (int i = 0; i < 68; i++)
		put(&x.h, P_NH4, END - 1 - i, 12, 6, 6, 3);
	assert_int_equal(eval(&x, 1000), 2);
	r = reason(&x, WWTP_FLAG_AVAILABILITY, NULL);
	assert_non_null(r);
	assert_string_equal(r->param, "nh4");
	assert_true(fabs(r->value - 100.0 / 168) < 1e-12);
	assert_int_equal(r->count, 1);
	assert_int_equal(r->hours, 168);
	r = reason(&x, WWTP_FLAG_FAULTS, NULL);
	assert_non_null(r);
	assert_string_equal(r->param, "nh4");
	assert_true(fabs(r->value - 34.0 / 168) < 1e-12);
	assert_non_null(strstr(r->text, "device dev-nh4"));
	wwtp_hourly_free(&x.h);

	/* Availability from missing hours: the last 60 hours silent. */
	run_init(&x);
	healthy_week(&x.h, 168);
	wwtp_hourly_clear(&x.h, END - 60, END);
	assert_int_equal(eval(&x, 1000), 1);
	r = reason(&x, WWTP_FLAG_AVAILABILITY, NULL);
	assert_non_null(r);
	assert_true(fabs(r->value - 108.0 / 168) < 1e-12);
	assert_int_equal(r->count, 3); /* cod, nh4, ph */
	wwtp_hourly_free(&x.h);

	/* Removal: outlet COD 150 against inlet 500: 70 % < 80 %; also not
	 * compliant. NH4 65 %: 1 - 14/40. */
	run_init(&x);
	healthy_week(&x.h, 168);
	for (int64_t hr = END - 168; hr < END; hr++) {
		put(&x.h, P_COD, hr, 12, 12, 0, 150);
		put(&x.h, P_NH4, hr, 12, 12, 0, 14);
	}
	assert_int_equal(eval(&x, 1000), 4);
	r = reason(&x, WWTP_FLAG_COD_REMOVAL, NULL);
	assert_non_null(r);
	assert_true(fabs(r->value - 0.7) < 1e-12 && r->inlet == 500 && r->outlet == 150);
	assert_non_null(strstr(r->text, "COD removal 70% (inlet 500, outlet 150 mg/L"));
	r = reason(&x, WWTP_FLAG_NH4_REMOVAL, NULL);
	assert_non_null(r);
	assert_true(fabs(r->value - 0.65) < 1e-12);
	assert_non_null(reason(&x, WWTP_FLAG_COMPLIANCE, "cod"));
	assert_non_null(reason(&x, WWTP_FLAG_COMPLIANCE, "nh4"));
	wwtp_hourly_free(&x.h);

	/* Hydraulic load: 50 m3/h = 1200 m3/day against 1000: 120 %. */
	run_init(&x);
	healthy_week(&x.h, 168);
	for (int64_t hr = END - 168; hr < END; hr++)
		put(&x.h, P_FLOW, hr, 12, 12, 0, 50);
	assert_int_equal(eval(&x, 1000), 1);
	r = reason(&x, WWTP_FLAG_HYDRAULIC, NULL);
	assert_non_null(r);
	assert_true(fabs(r->value - 1.2) < 1e-12 && r->flow_m3d == 1200 && r->design_m3d == 1000);
	assert_true(fabs(r->clear_at - 1.07) < 1e-12);
	assert_non_null(strstr(r->text, "flow_out: 120% of the design flow (1200 of 1000 m3/day"));
	/* 44.8 m3/h = 107.5 %: holds (above 107 %); 44.5 = 106.8 %: clears. */
	for (int64_t hr = END - 168; hr < END; hr++)
		put(&x.h, P_FLOW, hr, 12, 12, 0, 44.8);
	assert_int_equal(eval(&x, 1000), 1);
	for (int64_t hr = END - 168; hr < END; hr++)
		put(&x.h, P_FLOW, hr, 12, 12, 0, 44.5);
	assert_int_equal(eval(&x, 1000), 0);
	/* Without a design flow there is no hydraulic rule. */
	for (int64_t hr = END - 168; hr < END; hr++)
		put(&x.h, P_FLOW, hr, 12, 12, 0, 500);
	assert_int_equal(eval(&x, 0), 0);
	assert_true(isnan(x.ck.hydraulic_load));
	wwtp_hourly_free(&x.h);
}

/* Fewer than min_hours hours behind a rule: it does not judge, and a flag
 * it held goes. */
static void test_not_enough_data(void **state)
{
	struct run x;
	(void)state;
	run_init(&x);
	for (int64_t hr = END - 11; hr < END; hr++) {
		put(&x.h, P_COD, hr, 12, 12, 0, 500); /* way over */
		put(&x.h, P_NH4, hr, 12, 0, 12, NAN); /* all fault */
		put(&x.h, P_FLOW, hr, 12, 12, 0, 500);
	}
	assert_int_equal(eval(&x, 1000), 0);
	assert_true(isnan(x.ck.availability) && isnan(x.ck.faults));
	put(&x.h, P_COD, END - 12, 12, 12, 0, 500);
	put(&x.h, P_NH4, END - 12, 12, 0, 12, NAN);
	put(&x.h, P_FLOW, END - 12, 12, 12, 0, 500);
	/* 12 hours: compliance (cod 0 %), availability (nh4 0 %), faults
	 * (nh4 100 %), hydraulic (1200 %). */
	assert_int_equal(eval(&x, 1000), 4);
	assert_int_equal(x.st.n, 4);
	/* The data goes (the ring moved on): so do the flags. */
	wwtp_hourly_clear(&x.h, END - 200, END);
	assert_int_equal(eval(&x, 1000), 0);
	assert_int_equal(x.st.n, 0);
	assert_int_equal(x.ck.hours, 0);
	wwtp_hourly_free(&x.h);
}

static void test_defaults_and_names(void **state)
{
	struct wwtp_flag_cfg c;
	(void)state;
	wwtp_flag_cfg_default(&c);
	assert_int_equal(c.window_h, 168);
	assert_int_equal(c.min_hours, 12);
	assert_true(c.compliance_min == 0.90 && c.availability_min == 0.75 && c.fault_max == 0.20 &&
		    c.cod_removal_min == 0.80 && c.nh4_removal_min == 0.70 &&
		    c.hydraulic_max == 1.10 && c.hysteresis == 0.03);
	assert_string_equal(wwtp_flag_rule_name(WWTP_FLAG_HYDRAULIC), "hydraulic_load");
	assert_string_equal(wwtp_flag_rule_name(WWTP_FLAG_RULES), "?");
	assert_string_equal(wwtp_flag_rule_name(-1), "?");
}

/* A full out[] never overruns, and the state keeps what was reported. */
static void test_small_out(void **state)
{
	struct run x;
	(void)state;
	run_init(&x);
	for (int64_t hr = END - 168; hr < END; hr++) {
		put(&x.h, P_COD, hr, 12, 12, 0, 500);
		put(&x.h, P_NH4, hr, 12, 12, 0, 50);
		put(&x.h, P_PH, hr, 12, 12, 0, 3);
	}
	x.sum.params = x.ps;
	wwtp_hourly_summarise(&x.h, x.p, END, x.cfg.window_h, x.cfg.hour_min_ok, &x.sum);
	x.n = wwtp_flags_evaluate(&x.cfg, x.p, NP, 1000, &x.sum, &x.st, x.r, 2, NULL);
	assert_int_equal(x.n, 2);
	assert_int_equal(x.st.n, 2);
	wwtp_hourly_free(&x.h);
}

/* docs/plausibility.md: suspect readings leave the hour's valid count (so
 * availability drops, the average is not judged) and a limited param whose
 * hours are mostly marked is flagged with the run of flat-line hours. */
static void test_suspect_data(void **state)
{
	struct run x;
	(void)state;

	run_init(&x);
	healthy_week(&x.h, 168);
	/* COD frozen and marked "flatline" the last 30 hours (12 polls, 12
	 * suspect, 0 valid), except hour END-10 with 6 of 12 marked (half:
	 * still a suspect hour, still flat) and END-9 with 5 of 12 (not mostly
	 * marked: the run of END-30..END-10, 21 hours, breaks there). */
	for (int64_t hr = END - 30; hr < END; hr++) {
		struct wwtp_hour_cell *c = wwtp_hourly_cell(&x.h, P_COD, hr);
		c->polls = 12;
		c->ok = 0;
		c->suspect = 12;
		c->flat = 12;
		c->mean = NAN;
	}
	struct wwtp_hour_cell *c = wwtp_hourly_cell(&x.h, P_COD, END - 10);
	c->ok = 6;
	c->suspect = c->flat = 6;
	c->mean = 50;
	c = wwtp_hourly_cell(&x.h, P_COD, END - 9);
	c->ok = 7;
	c->suspect = c->flat = 5; /* 5 of 12: not mostly marked: the run breaks */
	c->mean = 50;
	eval(&x, 0);
	/* 29 suspect hours of 168 = 17.3 %: under 20 %, not flagged. */
	assert_int_equal(x.ps[P_COD].suspect_hours, 29);
	assert_int_equal(x.ps[P_COD].flat_run, 21);
	assert_null(reason(&x, WWTP_FLAG_SUSPECT, "cod"));
	/* Suspect readings are polls without a valid value: none of the 30
	 * hours is judged (6 and 7 of 12 ok are under 75 %). */
	assert_int_equal(x.ps[P_COD].judged, 168 - 30);

	/* Eight more marked hours before them: 37 / 168 = 22 %, and a run of
	 * 29 flat hours. */
	for (int64_t hr = END - 38; hr < END - 30; hr++) {
		c = wwtp_hourly_cell(&x.h, P_COD, hr);
		c->ok = 0;
		c->suspect = c->flat = 12;
	}
	eval(&x, 0);
	const struct wwtp_flag_reason *r = reason(&x, WWTP_FLAG_SUSPECT, "cod");
	assert_non_null(r);
	assert_int_equal(r->flat_run, 29);
	assert_int_equal(r->hours, 168);
	assert_true(fabs(r->value - 37.0 / 168) < 1e-9);
	assert_non_null(strstr(r->text, "unchanged for 29 hours"));
	assert_string_equal(wwtp_flag_rule_name(WWTP_FLAG_SUSPECT), "suspect_data");
	/* A param without a limit is never flagged for it. */
	for (int64_t hr = END - 168; hr < END; hr++) {
		c = wwtp_hourly_cell(&x.h, P_FLOW, hr);
		c->ok = 0;
		c->suspect = 12;
	}
	eval(&x, 0);
	assert_null(reason(&x, WWTP_FLAG_SUSPECT, "flow_out"));
	wwtp_hourly_free(&x.h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ring),
	    cmocka_unit_test(test_summary),
	    cmocka_unit_test(test_healthy_not_flagged),
	    cmocka_unit_test(test_each_rule),
	    cmocka_unit_test(test_not_enough_data),
	    cmocka_unit_test(test_defaults_and_names),
	    cmocka_unit_test(test_small_out),
	    cmocka_unit_test(test_suspect_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
