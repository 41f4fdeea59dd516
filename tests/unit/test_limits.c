/* test_limits.c - the regulation tables, their loader, Kq/Kf, effective
 * limits and the --limits table.
 *
 * Every expected number below was typed by hand from the project's
 * regulation notes (shared/regulation/README.md), not produced by the code
 * or read from the data file under test. Config files are found under
 * $WWTP_SRCDIR (tests/run.sh sets it), else the current folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../compliance/limits.h"
#include "../../util/buf.h"
#include "../../util/diag.h"
#include "../../util/err.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static char srcdir[512];

static void path_of(char *out, size_t n, const char *rel)
{
	snprintf(out, n, "%s/%s", srcdir, rel);
}

static struct wwtp_regulation *load_or_fail(const char *rel)
{
	char path[1024];
	struct wwtp_regulation *r = NULL;
	struct wwtp_diag *d = wwtp_diag_new();
	path_of(path, sizeof path, rel);
	int rc = wwtp_regulation_load(path, d, &r);
	if (rc != 0) {
		wwtp_diag_print(d, stderr);
		wwtp_diag_free(d);
		fail_msg("loading %s: %s", path, wwtp_strerror(rc));
	}
	wwtp_diag_free(d);
	return r;
}

static void check_near(double got, double want, const char *what)
{
	if (!(fabs(got - want) <= 1e-9 * (fabs(want) > 1 ? fabs(want) : 1)))
		fail_msg("%s: got %.17g, want %.17g", what, got, want);
}

static int diag_has(const struct wwtp_diag *d, const char *needle)
{
	for (size_t i = 0; wwtp_diag_get(d, i); i++)
		if (strstr(wwtp_diag_get(d, i), needle))
			return 1;
	return 0;
}

static void print_diag(const struct wwtp_diag *d)
{
	for (size_t i = 0; wwtp_diag_get(d, i); i++)
		fprintf(stderr, "  diag: %s\n", wwtp_diag_get(d, i));
}

#define EXPECT_DIAG(d, needle)                                                                     \
	do {                                                                                       \
		if (!diag_has((d), (needle))) {                                                    \
			print_diag(d);                                                             \
			fail_msg("no diagnostic contains \"%s\"", (needle));                       \
		}                                                                                  \
	} while (0)

/* ---- QCVN 40:2011 Table 1, typed from the regulation notes ---- */

struct row {
	int no;
	const char *param;
	const char *unit;
	double a_min, a_max;
	char a_conf;
	double b_min, b_max;
	char b_conf;
	int apply_factors;
};

#define N NAN
static const struct row qcvn2011[] = {
    {1, "temp", "°C", N, 40, 'H', N, 40, 'H', 0},
    {2, "color", "Pt/Co", N, 50, 'H', N, 150, 'H', 0},
    {3, "ph", "-", 6, 9, 'H', 5.5, 9, 'H', 0},
    {4, "bod5", "mg/L", N, 30, 'H', N, 50, 'H', 1},
    {5, "cod", "mg/L", N, 75, 'H', N, 150, 'H', 1},
    {6, "tss", "mg/L", N, 50, 'H', N, 100, 'H', 1},
    {7, "as", "mg/L", N, 0.05, 'H', N, 0.1, 'H', 1},
    {8, "hg", "mg/L", N, 0.005, 'H', N, 0.01, 'H', 1},
    {9, "pb", "mg/L", N, 0.1, 'H', N, 0.5, 'H', 1},
    {10, "cd", "mg/L", N, 0.05, 'H', N, 0.1, 'H', 1},
    {11, "cr6", "mg/L", N, 0.05, 'H', N, 0.1, 'H', 1},
    {12, "cr3", "mg/L", N, 0.2, 'H', N, 1, 'H', 1},
    {13, "cu", "mg/L", N, 2, 'H', N, 2, 'H', 1},
    {14, "zn", "mg/L", N, 3, 'H', N, 3, 'H', 1},
    {15, "ni", "mg/L", N, 0.2, 'H', N, 0.5, 'H', 1},
    {16, "mn", "mg/L", N, 0.5, 'H', N, 1, 'H', 1},
    {17, "fe", "mg/L", N, 1, 'H', N, 5, 'H', 1},
    {18, "cn", "mg/L", N, 0.07, 'H', N, 0.1, 'H', 1},
    {19, "phenol", "mg/L", N, 0.1, 'H', N, 0.5, 'H', 1},
    {20, "oil", "mg/L", N, 5, 'H', N, 10, 'H', 1},
    {21, "sulfide", "mg/L", N, 0.2, 'H', N, 0.5, 'H', 1},
    {22, "f", "mg/L", N, 5, 'H', N, 10, 'H', 1},
    {23, "nh4", "mg/L", N, 5, 'H', N, 10, 'H', 1},
    {24, "tn", "mg/L", N, 20, 'H', N, 40, 'H', 1},
    {25, "tp", "mg/L", N, 4, 'H', N, 6, 'H', 1},
    {26, "cl", "mg/L", N, 500, 'L', N, 1000, 'M', 1},
    {27, "cl2", "mg/L", N, 1, 'L', N, 2, 'M', 1},
    {28, "ocp", "mg/L", N, 0.05, 'L', N, 0.1, 'M', 1},
    {29, "opp", "mg/L", N, 0.3, 'L', N, 1, 'M', 1},
    {30, "pcb", "mg/L", N, 0.003, 'L', N, 0.01, 'M', 1},
    {31, "coliform", "MPN or CFU/100 mL", N, 3000, 'L', N, 5000, 'M', 0},
    {32, "alpha", "Bq/L", N, 0.1, 'L', N, 0.1, 'M', 0},
    {33, "beta", "Bq/L", N, 1.0, 'L', N, 1.0, 'M', 0},
};
#undef N

static void same_bound(double got, double want, const char *param, const char *what)
{
	if (isnan(want)) {
		if (!isnan(got))
			fail_msg("%s %s: got %.17g, want no bound", param, what, got);
		return;
	}
	if (!(got == want))
		fail_msg("%s %s: got %.17g, want %.17g", param, what, got, want);
}

static void test_2011_every_row(void **state)
{
	(void)state;
	struct wwtp_regulation *r = load_or_fail("config/limits/qcvn40-2011.cfg");

	assert_string_equal(wwtp_regulation_id(r), "QCVN40:2011");
	assert_string_equal(wwtp_regulation_code(r), "QCVN 40:2011/BTNMT");
	assert_string_equal(wwtp_regulation_issued_by(r), "Thông tư 47/2011/TT-BTNMT");
	assert_string_equal(wwtp_regulation_in_force(r), "2012-02-15");
	assert_int_equal(wwtp_regulation_ncolumns(r), 2);
	assert_string_equal(wwtp_regulation_column(r, 0), "A");
	assert_string_equal(wwtp_regulation_column(r, 1), "B");
	assert_int_equal(wwtp_regulation_nparams(r), 33);
	assert_int_equal(NELEM(qcvn2011), 33);

	for (size_t i = 0; i < NELEM(qcvn2011); i++) {
		const struct row *w = &qcvn2011[i];
		const struct wwtp_reg_param *p = wwtp_regulation_param(r, i);
		assert_non_null(p);
		if (strcmp(p->param, w->param) != 0)
			fail_msg("row %zu: got '%s', want '%s' (regulation order)", i + 1, p->param,
				 w->param);
		assert_int_equal(p->no, w->no);
		if (strcmp(p->unit, w->unit) != 0)
			fail_msg("%s: unit \"%s\", want \"%s\"", w->param, p->unit, w->unit);
		if (p->apply_factors != w->apply_factors)
			fail_msg("%s: apply_factors %d, want %d", w->param, p->apply_factors,
				 w->apply_factors);
		if (!w->apply_factors) {
			/* The exemption list is L in the notes. */
			if (p->factors_confidence != 'L' || !p->factors_source[0])
				fail_msg("%s: exemption needs source and confidence L (got '%c')",
					 w->param,
					 p->factors_confidence ? p->factors_confidence : '0');
		}
		assert_int_equal(p->not_for_saline, strcmp(w->param, "cl") == 0);
		assert_true(p->name_vi[0] && p->name_en[0]);

		const struct wwtp_reg_value *a = wwtp_regulation_value(r, p, "A");
		const struct wwtp_reg_value *b = wwtp_regulation_value(r, p, "B");
		assert_non_null(a);
		assert_non_null(b);
		assert_true(a->set && b->set);
		same_bound(a->min, w->a_min, w->param, "A min");
		same_bound(a->max, w->a_max, w->param, "A max");
		same_bound(b->min, w->b_min, w->param, "B min");
		same_bound(b->max, w->b_max, w->param, "B max");
		if (a->confidence != w->a_conf || b->confidence != w->b_conf)
			fail_msg("%s: confidence A %c B %c, want A %c B %c", w->param,
				 a->confidence, b->confidence, w->a_conf, w->b_conf);
		assert_true(a->source[0] && b->source[0]);
	}
	assert_null(wwtp_regulation_param(r, 33));
	assert_null(wwtp_regulation_value(r, wwtp_regulation_param(r, 0), "C"));
	assert_non_null(wwtp_regulation_find_param(r, "cod"));
	assert_null(wwtp_regulation_find_param(r, "flow_out")); /* measured, never judged */
	wwtp_regulation_free(r);
}

/* ---- factor tables ---- */

static void kq_river_is(const struct wwtp_regulation *r, double q, double want)
{
	double kq = -1;
	int rc = wwtp_regulation_kq_river(r, q, &kq);
	if (rc != 0 || kq != want)
		fail_msg("river Q = %g: rc %d, Kq %g, want %g", q, rc, kq, want);
}

static void test_kq_river(void **state)
{
	(void)state;
	struct wwtp_regulation *r = load_or_fail("config/limits/qcvn40-2011.cfg");
	double kq;
	kq_river_is(r, 0, 0.9);
	kq_river_is(r, 50, 0.9);
	kq_river_is(r, 50.1, 1.0);
	kq_river_is(r, 200, 1.0);
	kq_river_is(r, 200.1, 1.1);
	kq_river_is(r, 500, 1.1);
	kq_river_is(r, 500.1, 1.2);
	kq_river_is(r, 20000, 1.2);
	kq_river_is(r, NAN, 0.9); /* no flow data */
	assert_int_equal(wwtp_regulation_kq_river(r, -1, &kq), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_regulation_kq_river(r, INFINITY, &kq), WWTP_ERR_INVAL);
	wwtp_regulation_free(r);
}

static void test_kq_lake_and_sea(void **state)
{
	(void)state;
	struct wwtp_regulation *r = load_or_fail("config/limits/qcvn40-2011.cfg");
	double kq = -1;
	static const struct {
		double v, kq;
	} lake[] = {{0, 0.6},	      {10e6, 0.6}, {10e6 + 1, 0.8}, {100e6, 0.8},
		    {100e6 + 1, 1.0}, {5e9, 1.0},  {NAN, 0.6}};
	for (size_t i = 0; i < NELEM(lake); i++) {
		assert_int_equal(wwtp_regulation_kq_lake(r, lake[i].v, &kq), 0);
		if (kq != lake[i].kq)
			fail_msg("lake V = %g: Kq %g, want %g", lake[i].v, kq, lake[i].kq);
	}
	assert_int_equal(wwtp_regulation_kq_sea(r, "other", &kq), 0);
	assert_true(kq == 1.3);
	assert_int_equal(wwtp_regulation_kq_sea(r, "protected", &kq), 0);
	assert_true(kq == 1.0);
	assert_int_equal(wwtp_regulation_kq_sea(r, "beach", &kq), WWTP_ERR_NOTFOUND);
	wwtp_regulation_free(r);
}

static void test_kf(void **state)
{
	(void)state;
	struct wwtp_regulation *r = load_or_fail("config/limits/qcvn40-2011.cfg");
	static const struct {
		double f, kf;
	} v[] = {{0, 1.2},   {50, 1.2},	  {50.5, 1.1}, {500, 1.1},
		 {501, 1.0}, {5000, 1.0}, {5001, 0.9}, {100000, 0.9}};
	double kf;
	for (size_t i = 0; i < NELEM(v); i++) {
		assert_int_equal(wwtp_regulation_kf(r, v[i].f, &kf), 0);
		if (kf != v[i].kf)
			fail_msg("F = %g: Kf %g, want %g", v[i].f, kf, v[i].kf);
	}
	assert_int_equal(wwtp_regulation_kf(r, NAN, &kf), WWTP_ERR_INVAL);
	wwtp_regulation_free(r);
}

/* ---- station spec and effective limits ---- */

/* Parses `text` (a station file fragment with a `limits` group). */
static int parse_spec(const char *text, struct wwtp_limits_spec *spec, struct wwtp_diag *d)
{
	config_t cfg;
	config_init(&cfg);
	if (config_read_string(&cfg, text) != CONFIG_TRUE) {
		int line = config_error_line(&cfg);
		config_destroy(&cfg);
		fail_msg("test text does not parse (line %d)", line);
	}
	int rc = wwtp_limits_spec_parse(config_lookup(&cfg, "limits"), "station.cfg", spec, d);
	config_destroy(&cfg);
	return rc;
}

/* Regulation + spec text -> table; fails the test on any problem. */
static struct wwtp_limits_table *effective(const struct wwtp_regulation *r, const char *text)
{
	struct wwtp_limits_spec spec;
	struct wwtp_limits_table *t = NULL;
	struct wwtp_diag *d = wwtp_diag_new();
	if (parse_spec(text, &spec, d) != 0 || wwtp_limits_effective(r, &spec, &t, d) != 0) {
		print_diag(d);
		wwtp_diag_free(d);
		fail_msg("spec rejected: %s", text);
	}
	wwtp_diag_free(d);
	return t;
}

static const struct wwtp_limit *row_of(const struct wwtp_limits_table *t, const char *param)
{
	const struct wwtp_limit *l = wwtp_limits_find(t, param);
	if (!l)
		fail_msg("no row for %s", param);
	return l;
}

static void test_spec_parse_example(void **state)
{
	(void)state;
	struct wwtp_limits_spec s;
	struct wwtp_diag *d = wwtp_diag_new();
	int rc = parse_spec("limits = { regulation = \"QCVN40:2011\"; column = \"B\"; kq = 0.9; "
			    "kf = 1.1;\n"
			    "  overrides = ( { param = \"cod\"; max = 100.0; } ); };",
			    &s, d);
	print_diag(d);
	assert_int_equal(rc, 0);
	assert_int_equal(s.present, 1);
	assert_string_equal(s.regulation, "QCVN40:2011");
	assert_string_equal(s.column, "B");
	assert_true(s.kq == 0.9 && s.kf == 1.1);
	assert_int_equal(s.water, WWTP_WATER_NONE);
	assert_int_equal(s.noverrides, 1);
	assert_string_equal(s.overrides[0].param, "cod");
	assert_true(s.overrides[0].max == 100.0);
	assert_true(isnan(s.overrides[0].min));
	assert_int_equal(s.overrides[0].line, 2);
	assert_int_equal(wwtp_diag_count(d), 0);

	/* No group: nothing configured, not an error. */
	assert_int_equal(wwtp_limits_spec_parse(NULL, "x.cfg", &s, d), 0);
	assert_int_equal(s.present, 0);
	wwtp_diag_free(d);
}

static void test_spec_parse_errors(void **state)
{
	(void)state;
	struct wwtp_limits_spec s;
	struct wwtp_diag *d = wwtp_diag_new();

	assert_int_equal(parse_spec("limits = {\n regulation = \"QCVN40:2011\";\n column = \"B\";\n"
				    " kq = 0.9; kf = 1.1;\n colum = \"A\";\n};",
				    &s, d),
			 WWTP_ERR_CONFIG);
	EXPECT_DIAG(d, "station.cfg:5: limits: unknown key 'colum'");
	wwtp_diag_free(d);

	d = wwtp_diag_new();
	assert_int_equal(
	    parse_spec("limits = { column = \"B\"; kq = 0.9; water = \"river\"; };", &s, d),
	    WWTP_ERR_CONFIG);
	EXPECT_DIAG(d, "missing required key 'regulation'");
	EXPECT_DIAG(d, "give either kq or the receiving water");
	wwtp_diag_free(d);

	d = wwtp_diag_new();
	assert_int_equal(parse_spec("limits = { regulation = \"QCVN40:2011\"; column = \"B\";\n"
				    " water = \"sea\"; flow_m3s = 30.0; kf = 5000; };",
				    &s, d),
			 WWTP_ERR_CONFIG);
	EXPECT_DIAG(d, "station.cfg:2: limits: water = \"sea\" needs sea_use");
	EXPECT_DIAG(d, "flow_m3s needs water = \"river\"");
	EXPECT_DIAG(d, "kf = 5000 is out of range");
	wwtp_diag_free(d);

	d = wwtp_diag_new();
	assert_int_equal(parse_spec("limits = { regulation = \"QCVN40:2011\"; column = \"B\"; "
				    "water = \"ocean\"; overrides = ( { param = \"ph\"; min = 9.0; "
				    "max = 6.0; }, { param = \"cod\"; }, { param = \"tss\"; max = "
				    "1.0; }, { param = \"tss\"; max = 2.0; } ); };",
				    &s, d),
			 WWTP_ERR_CONFIG);
	EXPECT_DIAG(d, "water \"ocean\" is not valid");
	EXPECT_DIAG(d, "limits.overrides[0]: min 9 is greater than max 6");
	EXPECT_DIAG(d, "limits.overrides[1]: give max, min, or both");
	EXPECT_DIAG(d, "parameter 'tss' is overridden twice");
	wwtp_diag_free(d);
}

static void test_cmax_given_factors(void **state)
{
	(void)state;
	struct wwtp_regulation *r = load_or_fail("config/limits/qcvn40-2011.cfg");
	struct wwtp_limits_table *t =
	    effective(r, "limits = { regulation = \"QCVN40:2011\"; column = \"B\"; kq = 0.9; "
			 "kf = 1.1; };");
	assert_true(t->kq == 0.9 && t->kf == 1.1);
	assert_int_equal(t->n, 33);

	const struct wwtp_limit *cod = row_of(t, "cod");
	check_near(cod->cmax_max, 148.5, "COD B x 0.9 x 1.1");
	assert_true(isnan(cod->cmax_min));
	assert_true(cod->c_max == 150.0);
	assert_true(cod->kq == 0.9 && cod->kf == 1.1);
	assert_int_equal(cod->factors_applied, 1);
	assert_int_equal(cod->has_limit, 1);
	assert_int_equal(cod->is_range, 0);
	assert_string_equal(cod->source, "QCVN40:2011 B (H)");
	check_near(row_of(t, "tss")->cmax_max, 99.0, "TSS B");
	check_near(row_of(t, "nh4")->cmax_max, 9.9, "NH4 B");
	check_near(row_of(t, "hg")->cmax_max, 0.0099, "Hg B");
	check_near(row_of(t, "cl")->cmax_max, 990.0, "chloride B (river by default)");
	assert_int_equal(row_of(t, "cl")->confidence, 'M');
	wwtp_limits_table_free(t);

	t = effective(r, "limits = { regulation = \"QCVN40:2011\"; column = \"A\"; kq = 0.9; kf = "
			 "1.1; };");
	check_near(row_of(t, "cod")->cmax_max, 74.25, "COD A x 0.99");
	check_near(row_of(t, "bod5")->cmax_max, 29.7, "BOD5 A x 0.99");
	wwtp_limits_table_free(t);
	wwtp_regulation_free(r);
}

static void test_cmax_from_facts(void **state)
{
	(void)state;
	struct wwtp_regulation *r = load_or_fail("config/limits/qcvn40-2011.cfg");

	/* River with Q = 100 m3/s -> Kq 1.0; F = 300 m3/day -> Kf 1.1. */
	struct wwtp_limits_table *t =
	    effective(r, "limits = { regulation = \"QCVN40:2011\"; column = \"B\"; water = "
			 "\"river\"; flow_m3s = 100.0; design_flow_m3d = 300; };");
	assert_true(t->kq == 1.0 && t->kf == 1.1);
	check_near(row_of(t, "cod")->cmax_max, 165.0, "COD B, Kq 1.0, Kf 1.1");
	check_near(row_of(t, "tss")->cmax_max, 110.0, "TSS B, Kq 1.0, Kf 1.1");
	assert_non_null(strstr(t->kq_basis, "river, Q = 100"));
	assert_non_null(strstr(t->kf_basis, "F = 300"));
	wwtp_limits_table_free(t);

	/* River without flow data -> 0.9; F = 6000 -> 0.9. */
	t = effective(r, "limits = { regulation = \"QCVN40:2011\"; column = \"B\"; water = "
			 "\"river\"; design_flow_m3d = 6000.0; };");
	assert_true(t->kq == 0.9 && t->kf == 0.9);
	check_near(row_of(t, "cod")->cmax_max, 121.5, "COD B, 0.9 x 0.9");
	assert_non_null(strstr(t->kq_basis, "no flow data"));
	wwtp_limits_table_free(t);

	/* Lake of 5 million m3 -> 0.6; F = 10000 -> 0.9. */
	t = effective(r, "limits = { regulation = \"QCVN40:2011\"; column = \"B\"; water = "
			 "\"lake\"; volume_m3 = 5000000.0; design_flow_m3d = 10000.0; };");
	check_near(row_of(t, "cod")->cmax_max, 81.0, "COD B, 0.6 x 0.9");
	wwtp_limits_table_free(t);

	/* Coastal sea, not used for recreation -> 1.3; F = 40 -> 1.2. */
	t = effective(r, "limits = { regulation = \"QCVN40:2011\"; column = \"B\"; water = "
			 "\"sea\"; sea_use = \"other\"; design_flow_m3d = 40.0; };");
	check_near(row_of(t, "cod")->cmax_max, 234.0, "COD B, 1.3 x 1.2");
	wwtp_limits_table_free(t);
	wwtp_regulation_free(r);
}

static void test_exempt_and_ph(void **state)
{
	(void)state;
	struct wwtp_regulation *r = load_or_fail("config/limits/qcvn40-2011.cfg");
	/* Large factors, so that any wrongly applied factor shows. */
	struct wwtp_limits_table *t =
	    effective(r, "limits = { regulation = \"QCVN40:2011\"; column = \"B\"; kq = 1.3; "
			 "kf = 1.2; };");
	static const struct {
		const char *param;
		double cmax;
	} exempt[] = {
	    {"temp", 40}, {"color", 150}, {"coliform", 5000}, {"alpha", 0.1}, {"beta", 1.0}};
	for (size_t i = 0; i < NELEM(exempt); i++) {
		const struct wwtp_limit *l = row_of(t, exempt[i].param);
		if (!(l->cmax_max == exempt[i].cmax))
			fail_msg("%s: Cmax %g, want %g (exempt from Kq/Kf)", exempt[i].param,
				 l->cmax_max, exempt[i].cmax);
		assert_int_equal(l->factors_applied, 0);
		assert_true(l->kq == 1.0 && l->kf == 1.0);
		assert_non_null(strstr(l->source, "no Kq/Kf"));
	}
	/* pH B: 5.5 to 9 on both sides, never multiplied. */
	const struct wwtp_limit *ph = row_of(t, "ph");
	assert_true(ph->cmax_min == 5.5 && ph->cmax_max == 9.0);
	assert_int_equal(ph->is_range, 1);
	assert_int_equal(ph->has_limit, 1);
	assert_int_equal(ph->factors_applied, 0);
	check_near(row_of(t, "cod")->cmax_max, 234.0, "COD B x 1.56");
	wwtp_limits_table_free(t);

	t = effective(r, "limits = { regulation = \"QCVN40:2011\"; column = \"A\"; kq = 1.3; kf = "
			 "1.2; };");
	ph = row_of(t, "ph");
	assert_true(ph->cmax_min == 6.0 && ph->cmax_max == 9.0);
	wwtp_limits_table_free(t);
	wwtp_regulation_free(r);
}

static void test_overrides(void **state)
{
	(void)state;
	struct wwtp_regulation *r = load_or_fail("config/limits/qcvn40-2011.cfg");
	struct wwtp_limits_table *t = effective(
	    r, "limits = { regulation = \"QCVN40:2011\"; column = \"B\"; kq = 0.9; kf = 1.1;\n"
	       " overrides = ( { param = \"cod\"; max = 100.0; source = \"GP 01/GP-UBND\"; },\n"
	       "   { param = \"ph\"; max = 8.5; },\n"
	       "   { param = \"toc\"; max = 40.0; unit = \"mg/L\"; } ); };");
	const struct wwtp_limit *cod = row_of(t, "cod");
	assert_true(cod->cmax_max == 100.0); /* a permit value: no factors */
	assert_int_equal(cod->overridden, 1);
	assert_int_equal(cod->factors_applied, 0);
	assert_true(cod->c_max == 150.0); /* the regulation's C is still shown */
	assert_string_equal(cod->source, "permit override: GP 01/GP-UBND");
	const struct wwtp_limit *ph = row_of(t, "ph");
	assert_true(ph->cmax_min == 5.5 && ph->cmax_max == 8.5); /* min kept */
	const struct wwtp_limit *toc = row_of(t, "toc");
	assert_int_equal(toc->no, 0);
	assert_true(toc->cmax_max == 40.0 && toc->has_limit);
	assert_string_equal(toc->unit, "mg/L");
	assert_int_equal(t->n, 34);
	check_near(row_of(t, "tss")->cmax_max, 99.0, "TSS untouched");
	wwtp_limits_table_free(t);

	/* Unknown parameter without unit, and a unit that differs. */
	struct wwtp_limits_spec s;
	struct wwtp_diag *d = wwtp_diag_new();
	assert_int_equal(parse_spec("limits = { regulation = \"QCVN40:2011\"; column = \"B\"; kq = "
				    "1.0; kf = 1.0;\n overrides = ( { param = \"toc\"; max = 4.0; "
				    "},\n { param = \"cod\"; max = 90.0; unit = \"g/m3\"; } ); };",
				    &s, d),
			 0);
	assert_int_equal(wwtp_limits_effective(r, &s, &t, d), WWTP_ERR_CONFIG);
	assert_null(t);
	EXPECT_DIAG(d, "station.cfg:2: limits: override of 'toc'");
	EXPECT_DIAG(d, "station.cfg:3: limits: override of 'cod' in \"g/m3\"");
	wwtp_diag_free(d);
	wwtp_regulation_free(r);
}

static void test_saline(void **state)
{
	(void)state;
	struct wwtp_regulation *r = load_or_fail("config/limits/qcvn40-2011.cfg");
	struct wwtp_limits_table *t =
	    effective(r, "limits = { regulation = \"QCVN40:2011\"; column = \"B\"; water = "
			 "\"sea\"; sea_use = \"protected\"; kf = 1.0; };");
	const struct wwtp_limit *cl = row_of(t, "cl");
	assert_int_equal(cl->has_limit, 0);
	assert_non_null(strstr(cl->source, "saline"));
	check_near(row_of(t, "cod")->cmax_max, 150.0, "COD B at sea, protected use");
	wwtp_limits_table_free(t);

	t = effective(r, "limits = { regulation = \"QCVN40:2011\"; column = \"B\"; kq = 1.0; kf = "
			 "1.0; saline = true; };");
	assert_int_equal(row_of(t, "cl")->has_limit, 0);
	wwtp_limits_table_free(t);
	wwtp_regulation_free(r);
}

static void test_effective_errors(void **state)
{
	(void)state;
	struct wwtp_regulation *r = load_or_fail("config/limits/qcvn40-2011.cfg");
	static const struct {
		const char *text, *msg;
	} bad[] = {
	    {"limits = { regulation = \"QCVN40:2011\"; column = \"B\"; kf = 1.0; };",
	     "station.cfg:1: limits: Kq unknown"},
	    {"limits = { regulation = \"QCVN40:2011\"; column = \"B\"; kq = 1.0; };",
	     "Kf unknown: give kf"},
	    {"limits = { regulation = \"QCVN40:2011\"; column = \"C\"; kq = 1.0; kf = 1.0; };",
	     "has no column \"C\""},
	    {"limits = { regulation = \"QCVN40:2025\"; column = \"B\"; kq = 1.0; kf = 1.0; };",
	     "regulation \"QCVN40:2025\" was asked for"},
	    {"limits = { regulation = \"QCVN40:2011\"; column = \"B\"; water = \"sea\"; sea_use = "
	     "\"beach\"; kf = 1.0; };",
	     "sea_use \"beach\" is not in QCVN40:2011's table"},
	};
	for (size_t i = 0; i < NELEM(bad); i++) {
		struct wwtp_limits_spec s;
		struct wwtp_limits_table *t = (void *)1;
		struct wwtp_diag *d = wwtp_diag_new();
		assert_int_equal(parse_spec(bad[i].text, &s, d), 0);
		assert_int_equal(wwtp_limits_effective(r, &s, &t, d), WWTP_ERR_CONFIG);
		assert_null(t);
		EXPECT_DIAG(d, bad[i].msg);
		wwtp_diag_free(d);
	}
	/* No limits group: not configured, no diagnostic. */
	struct wwtp_limits_spec none;
	struct wwtp_limits_table *t;
	wwtp_limits_spec_init(&none);
	assert_int_equal(wwtp_limits_effective(r, &none, &t, NULL), WWTP_ERR_NOTFOUND);
	wwtp_regulation_free(r);
}

static void test_2025_has_no_values(void **state)
{
	(void)state;
	struct wwtp_regulation *r = load_or_fail("config/limits/qcvn40-2025.cfg");
	assert_string_equal(wwtp_regulation_id(r), "QCVN40:2025");
	assert_string_equal(wwtp_regulation_issued_by(r), "Thông tư 06/2025/TT-BTNMT");
	assert_string_equal(wwtp_regulation_in_force(r), "2025-09-01");
	assert_int_equal(wwtp_regulation_nparams(r), 33);
	for (size_t i = 0; i < wwtp_regulation_nparams(r); i++) {
		const struct wwtp_reg_param *p = wwtp_regulation_param(r, i);
		assert_true(p->unit[0] != '\0');
		for (size_t c = 0; c < wwtp_regulation_ncolumns(r); c++)
			if (p->values[c].set)
				fail_msg(
				    "%s has a value in QCVN 40:2025: the tables were not found, "
				    "none may be invented",
				    p->param);
	}
	double f;
	assert_int_equal(wwtp_regulation_kf(r, 100, &f), WWTP_ERR_NOTFOUND);
	assert_int_equal(wwtp_regulation_kq_river(r, 100, &f), WWTP_ERR_NOTFOUND);

	struct wwtp_limits_table *t = effective(
	    r, "limits = { regulation = \"QCVN40:2025\"; column = \"B\";\n"
	       " overrides = ( { param = \"cod\"; max = 100.0; source = \"permit\"; } ); };");
	assert_true(t->kq == 1.0 && t->kf == 1.0);
	size_t judged = 0;
	for (size_t i = 0; i < t->n; i++)
		judged += (size_t)t->rows[i].has_limit;
	assert_int_equal(judged, 1);
	assert_true(row_of(t, "cod")->cmax_max == 100.0);
	assert_string_equal(row_of(t, "tss")->source, "not set — fill in from the permit");

	struct wwtp_buf b;
	wwtp_buf_init(&b, 1 << 20);
	assert_int_equal(wwtp_limits_format(t, &b), 0);
	assert_non_null(strstr(b.data, "tss  "));
	assert_non_null(strstr(b.data, "not set — fill in from the permit"));
	wwtp_buf_free(&b);
	wwtp_limits_table_free(t);
	wwtp_regulation_free(r);
}

static void test_format(void **state)
{
	(void)state;
	struct wwtp_regulation *r = load_or_fail("config/limits/qcvn40-2011.cfg");
	struct wwtp_limits_table *t =
	    effective(r, "limits = { regulation = \"QCVN40:2011\"; column = \"B\"; kq = 0.9; "
			 "kf = 1.1; };");
	struct wwtp_buf b;
	wwtp_buf_init(&b, 1 << 20);
	assert_int_equal(wwtp_limits_format(t, &b), 0);
	/* Widths worked out by hand: parameter 9+2, unit "MPN or CFU/100 mL"
	 * 17+2, C "5.5-9" 5+2, Kq and Kf 3+2, Cmax "0.0099" 6+2. "°C" is two
	 * characters wide though three bytes long. */
	const char *lines[] = {
	    "\nparameter  unit               C      Kq   Kf   Cmax    source\n",
	    "\ncod        mg/L               150    0.9  1.1  148.5   QCVN40:2011 B (H)\n",
	    "\ntemp       °C                 40     -    -    40      QCVN40:2011 B (H); no Kq/Kf "
	    "for this parameter (L)\n",
	    "\nph         -                  5.5-9  -    -    5.5-9   QCVN40:2011 B (H); no Kq/Kf "
	    "for this parameter (L)\n",
	    "\ncoliform   MPN or CFU/100 mL  5000   -    -    5000    QCVN40:2011 B (M); no Kq/Kf "
	    "for this parameter (L)\n",
	    "Effective limits: QCVN40:2011 column B\n",
	    "Kq = 0.9: given in the station file (permit)\n",
	};
	for (size_t i = 0; i < NELEM(lines); i++)
		if (!strstr(b.data, lines[i]))
			fail_msg("line not found:\n%s\nin:\n%s", lines[i], b.data);

	/* A capped buffer reports it rather than cutting a line silently. */
	struct wwtp_buf small;
	wwtp_buf_init(&small, 100);
	assert_int_equal(wwtp_limits_format(t, &small), WWTP_ERR_FULL);
	wwtp_buf_free(&small);
	wwtp_buf_free(&b);
	wwtp_limits_table_free(t);
	wwtp_regulation_free(r);
}

static void test_find_file(void **state)
{
	(void)state;
	char dir[1024], path[1024];
	path_of(dir, sizeof dir, "config/limits");
	struct wwtp_diag *d = wwtp_diag_new();
	assert_int_equal(wwtp_regulation_find_file(dir, "QCVN40:2011", path, sizeof path, d), 0);
	assert_non_null(strstr(path, "/qcvn40-2011.cfg"));
	assert_int_equal(wwtp_regulation_find_file(dir, "QCVN40:2025", path, sizeof path, d), 0);
	assert_non_null(strstr(path, "/qcvn40-2025.cfg"));
	assert_int_equal(wwtp_diag_count(d), 0);
	assert_int_equal(wwtp_regulation_find_file(dir, "QCVN14:2008", path, sizeof path, d),
			 WWTP_ERR_NOTFOUND);
	EXPECT_DIAG(d, "no limit table has regulation id \"QCVN14:2008\"");
	struct wwtp_regulation *r = NULL;
	assert_int_equal(wwtp_regulation_load_id(dir, "QCVN40:2011", d, &r), 0);
	assert_string_equal(wwtp_regulation_id(r), "QCVN40:2011");
	wwtp_regulation_free(r);
	wwtp_diag_free(d);
}

/* ---- bad files ---- */

/* A minimal valid file, one line per element so that lines are known. */
static const char *const good_file[] = {
    "regulation = {",								 /* 1 */
    "  id = \"T:1\"; code = \"T 1\"; title_vi = \"t\"; title_en = \"t\";",	 /* 2 */
    "  issued_by = \"x\"; in_force = \"2012-02-15\"; formula = \"C\";",		 /* 3 */
    "  columns = ( { id = \"A\"; }, { id = \"B\"; } );",			 /* 4 */
    "  sources = ( { id = \"s\"; text = \"somewhere\"; } );",			 /* 5 */
    "};",									 /* 6 */
    "parameters = (",								 /* 7 */
    "  { no = 1; param = \"ph\"; name_vi = \"pH\"; name_en = \"pH\";",		 /* 8 */
    "    unit = \"-\"; apply_factors = false;",					 /* 9 */
    "    factors_source = \"s\"; factors_confidence = \"L\";",			 /* 10 */
    "    A = { min = 6.0; max = 9.0; source = \"s\"; confidence = \"H\"; };",	 /* 11 */
    "    B = { min = 5.5; max = 9.0; source = \"s\"; confidence = \"H\"; }; },", /* 12 */
    "  { no = 2; param = \"cod\"; name_vi = \"COD\"; name_en = \"COD\";",	 /* 13 */
    "    unit = \"mg/L\"; apply_factors = true;",				 /* 14 */
    "    B = { max = 150.0; source = \"s\"; confidence = \"H\"; }; }",		 /* 15 */
    ");",									 /* 16 */
    "kf = { source = \"s\"; confidence = \"L\";",				 /* 17 */
    "  bands = ( { upto = 50.0; kf = 1.2; }, { kf = 0.9; } ); };",		 /* 18 */
};

static char tmpdir[64];

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/wwtp-test-limits-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	(void)state;
	char p[128];
	snprintf(p, sizeof p, "%s/t.cfg", tmpdir);
	unlink(p);
	rmdir(tmpdir);
	return 0;
}

/* Writes good_file with line `line` (1-based) replaced by `repl` (NULL:
 * unchanged), loads it, and returns the result with the diagnostics. */
static int load_variant(int line, const char *repl, struct wwtp_diag *d, char *path, size_t n)
{
	snprintf(path, n, "%s/t.cfg", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < NELEM(good_file); i++)
		fprintf(f, "%s\n", (int)i + 1 == line && repl ? repl : good_file[i]);
	fclose(f);
	struct wwtp_regulation *r = NULL;
	int rc = wwtp_regulation_load(path, d, &r);
	if (rc == 0)
		assert_non_null(r);
	else
		assert_null(r);
	wwtp_regulation_free(r);
	return rc;
}

static void test_bad_files(void **state)
{
	(void)state;
	char path[128], want[256];
	struct wwtp_diag *d = wwtp_diag_new();

	/* The template itself is fine (else every case below proves nothing). */
	assert_int_equal(load_variant(0, NULL, d, path, sizeof path), 0);
	assert_int_equal(wwtp_diag_count(d), 0);
	wwtp_diag_free(d);

	static const struct {
		int line;
		const char *repl;
		int at; /* line the message must name */
		const char *msg;
	} cases[] = {
	    {15, "    B = { max = 150.0; maxx = 1.0; source = \"s\"; confidence = \"H\"; }; }", 15,
	     "unknown key 'maxx'"},
	    {14, "    units = \"mg/L\"; apply_factors = true;", 14, "unknown key 'units'"},
	    {14, "    apply_factors = true;", 13, "parameter 'cod': missing required key 'unit'"},
	    {11, "    A = { min = 9.0; max = 6.0; source = \"s\"; confidence = \"H\"; };", 11,
	     "min 9 is greater than max 6"},
	    {15, "    B = { max = 150.0; source = \"s\"; confidence = \"X\"; }; }", 15,
	     "confidence \"X\" is not valid"},
	    {15, "    B = { max = 150.0; source = \"s\"; confidence = \"High\"; }; }", 15,
	     "confidence \"High\" is not valid"},
	    {15, "    B = { max = 150.0; source = \"nowhere\"; confidence = \"H\"; }; }", 15,
	     "source \"nowhere\" is not in regulation.sources"},
	    {15, "    B = { max = 150.0; confidence = \"H\"; }; }", 15, "missing source"},
	    {15, "    C = { max = 150.0; source = \"s\"; confidence = \"H\"; }; }", 15,
	     "unknown key 'C'"},
	    {10, "    factors_confidence = \"L\";", 8,
	     "apply_factors = false needs factors_source"},
	    {13, "  { no = 2; param = \"ph\"; name_vi = \"COD\"; name_en = \"COD\";", 13,
	     "parameter 'ph' is listed twice"},
	    {18,
	     "  bands = ( { upto = 500.0; kf = 1.2; }, { upto = 50.0; kf = 1.1; }, { kf = 0.9; "
	     "} ); };",
	     18, "upto 50 must be greater than the band before"},
	    {18, "  bands = ( { upto = 50.0; kf = 1.2; }, { upto = 60.0; kf = 0.9; } ); };", 18,
	     "the last band must leave out upto"},
	    {3, "  issued_by = \"x\"; in_force = \"15/02/2012\"; formula = \"C\";", 3,
	     "in_force \"15/02/2012\" has a character not allowed"},
	    {3, "  issued_by = \"x\"; in_force = \"2012-13-15\"; formula = \"C\";", 3,
	     "in_force \"2012-13-15\" is not a date"},
	    {12, "    B = { min = 5.5; max = ; source = \"s\"; confidence = \"H\"; }; },", 12,
	     "syntax error"},
	    {15, "    B = { max = -1.0; source = \"s\"; confidence = \"H\"; }; }", 15,
	     "max = -1 is out of range"},
	};
	for (size_t i = 0; i < NELEM(cases); i++) {
		d = wwtp_diag_new();
		int rc = load_variant(cases[i].line, cases[i].repl, d, path, sizeof path);
		if (rc != WWTP_ERR_CONFIG) {
			print_diag(d);
			fail_msg("case %zu (%s): loaded (rc %d)", i, cases[i].msg, rc);
		}
		snprintf(want, sizeof want, "%s:%d: ", path, cases[i].at);
		int found = 0;
		for (size_t k = 0; wwtp_diag_get(d, k); k++) {
			const char *m = wwtp_diag_get(d, k);
			if (strncmp(m, want, strlen(want)) == 0 && strstr(m, cases[i].msg))
				found = 1;
		}
		if (!found) {
			print_diag(d);
			fail_msg("case %zu: no \"%s...%s\"", i, want, cases[i].msg);
		}
		wwtp_diag_free(d);
	}

	/* A missing file. */
	d = wwtp_diag_new();
	struct wwtp_regulation *r = NULL;
	assert_int_equal(wwtp_regulation_load("/nonexistent/x.cfg", d, &r), WWTP_ERR_CONFIG);
	EXPECT_DIAG(d, "/nonexistent/x.cfg: cannot read");
	wwtp_diag_free(d);
}

int main(void)
{
	const char *s = getenv("WWTP_SRCDIR");
	snprintf(srcdir, sizeof srcdir, "%s", s && *s ? s : ".");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_2011_every_row),
	    cmocka_unit_test(test_kq_river),
	    cmocka_unit_test(test_kq_lake_and_sea),
	    cmocka_unit_test(test_kf),
	    cmocka_unit_test(test_spec_parse_example),
	    cmocka_unit_test(test_spec_parse_errors),
	    cmocka_unit_test(test_cmax_given_factors),
	    cmocka_unit_test(test_cmax_from_facts),
	    cmocka_unit_test(test_exempt_and_ph),
	    cmocka_unit_test(test_overrides),
	    cmocka_unit_test(test_saline),
	    cmocka_unit_test(test_effective_errors),
	    cmocka_unit_test(test_2025_has_no_values),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_find_file),
	    cmocka_unit_test_setup_teardown(test_bad_files, setup_tmp, teardown_tmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
