/* test_plausibility.c - the plausibility checks (compliance/plausibility.c)
 * and their bounds as data (compliance/plaus_config.c, the shipped
 * config/plausibility.cfg): range, a spike against a level shift, a frozen
 * value, the layers of bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../compliance/plausibility.h"
#include "../../station/station_config.h"
#include "../../util/diag.h"
#include "../../util/err.h"

#define S 1000 /* ms */

static struct wwtp_plaus bounds(double min, double max, double step, double res, int flat_s)
{
	struct wwtp_plaus b = {
	    .on = 1, .min = min, .max = max, .step = step, .resolution = res, .flat_s = flat_s};
	return b;
}

static void test_range(void **state)
{
	struct wwtp_plaus b = bounds(0, 14, NAN, NAN, 0);
	struct wwtp_plaus_state s;
	char buf[32];
	(void)state;

	wwtp_plaus_state_reset(&s);
	assert_int_equal(wwtp_plaus_check(&b, &s, 0, 7.25), WWTP_SUSPECT_NONE);
	assert_int_equal(wwtp_plaus_check(&b, &s, 10 * S, -31722), WWTP_SUSPECT_RANGE);
	assert_int_equal(wwtp_plaus_check(&b, &s, 20 * S, 14.0001), WWTP_SUSPECT_RANGE);
	assert_int_equal(wwtp_plaus_check(&b, &s, 30 * S, 14), WWTP_SUSPECT_NONE);
	assert_string_equal(wwtp_suspect_name(WWTP_SUSPECT_RANGE), "range");
	assert_int_equal(wwtp_suspect_from_name("flatline"), WWTP_SUSPECT_FLATLINE);
	assert_int_equal(wwtp_suspect_from_name("none"), -1);
	wwtp_plaus_range_label(&b, buf, sizeof(buf));
	assert_string_equal(buf, "0-14");
	/* Bounds that are off check nothing (a point built in code). */
	b.on = 0;
	assert_int_equal(wwtp_plaus_check(&b, &s, 40 * S, -1e9), WWTP_SUSPECT_NONE);
}

static void test_step(void **state)
{
	struct wwtp_plaus b = bounds(0, 5000, 300, 0.1, 0);
	struct wwtp_plaus_state s;
	(void)state;

	wwtp_plaus_state_reset(&s);
	assert_int_equal(wwtp_plaus_check(&b, &s, 0, 50), WWTP_SUSPECT_NONE);
	/* A spike: only itself is suspect, the return to 52 is not. */
	assert_int_equal(wwtp_plaus_check(&b, &s, 30 * S, 900), WWTP_SUSPECT_STEP);
	assert_int_equal(wwtp_plaus_check(&b, &s, 60 * S, 52), WWTP_SUSPECT_NONE);
	/* A level shift: the first reading is suspect, the next near it is not. */
	assert_int_equal(wwtp_plaus_check(&b, &s, 90 * S, 700), WWTP_SUSPECT_STEP);
	assert_int_equal(wwtp_plaus_check(&b, &s, 120 * S, 710), WWTP_SUSPECT_NONE);
	assert_int_equal(wwtp_plaus_check(&b, &s, 150 * S, 705), WWTP_SUSPECT_NONE);
	/* After a gap of more than 10 minutes anything may have changed. */
	assert_int_equal(wwtp_plaus_check(&b, &s, 150 * S + WWTP_PLAUS_STEP_GAP_MS + 1, 40),
			 WWTP_SUSPECT_NONE);
}

static void test_flatline(void **state)
{
	/* 6 h without a change of more than 0.1. */
	struct wwtp_plaus b = bounds(0, 5000, 300, 0.1, 6 * 3600);
	struct wwtp_plaus_state s;
	int64_t t = 0;
	(void)state;

	wwtp_plaus_state_reset(&s);
	/* Within 0.1 of the first value for 6 h: fine up to 6 h, suspect after. */
	for (; t <= 6 * 3600 * (int64_t)S; t += 60 * S)
		assert_int_equal(wwtp_plaus_check(&b, &s, t, 23.0 + (t / (60 * S)) % 2 * 0.05),
				 WWTP_SUSPECT_NONE);
	assert_int_equal(wwtp_plaus_check(&b, &s, t, 23.0), WWTP_SUSPECT_FLATLINE);
	assert_true(wwtp_plaus_flat_ms(&s, t) > 6 * 3600 * (int64_t)S);
	/* A real change ends it. */
	t += 60 * S;
	assert_int_equal(wwtp_plaus_check(&b, &s, t, 23.5), WWTP_SUSPECT_NONE);
	assert_int_equal(wwtp_plaus_flat_ms(&s, t), 0);
	/* A slow drift inside the resolution is still a frozen value... */
	wwtp_plaus_state_reset(&s);
	for (t = 0; t <= 6 * 3600 * (int64_t)S; t += 60 * S)
		wwtp_plaus_check(&b, &s, t, 7.0 + (double)t / (6 * 3600 * S) * 0.09);
	assert_int_equal(wwtp_plaus_check(&b, &s, t, 7.09), WWTP_SUSPECT_FLATLINE);
	/* ...and flat_s 0 is no flat-line rule. */
	b.flat_s = 0;
	assert_int_equal(wwtp_plaus_check(&b, &s, t + 60 * S, 7.09), WWTP_SUSPECT_NONE);
}

static void test_layers(void **state)
{
	struct wwtp_plaus a, b;
	(void)state;

	wwtp_plaus_unset(&a);
	a.max = 200; /* the profile: the analyzer's range */
	wwtp_plaus_none(&b);
	b.min = 0;
	b.max = 5000;
	b.flat_s = 21600; /* the defaults */
	wwtp_plaus_fill(&a, &b);
	assert_true(a.min == 0 && a.max == 200 && a.flat_s == 21600 && isnan(a.step));
}

static void test_shipped_defaults(void **state)
{
	struct wwtp_plaus_defaults *d = NULL;
	struct wwtp_diag *diag = wwtp_diag_new();
	struct wwtp_plaus b;
	char path[512];
	(void)state;

	const char *src = getenv("WWTP_SRCDIR");
	snprintf(path, sizeof(path), "%s/config/plausibility.cfg", src && *src ? src : ".");
	int rc = wwtp_plaus_defaults_load(path, diag, &d);
	if (rc)
		wwtp_diag_print(diag, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(wwtp_plaus_defaults_get(d, "ph", &b), 1);
	assert_true(b.min == 0 && b.max == 14 && b.flat_s == 4 * 3600);
	/* Every QCVN 40 parameter has a row, each at least "not negative". */
	static const char *const qcvn40[] = {
	    "temp",   "color", "ph",	  "bod5",     "cod",   "tss",  "as",	  "hg",	     "pb",
	    "cd",     "cr6",   "cr3",	  "cu",	      "zn",    "ni",   "mn",	  "fe",	     "cn",
	    "phenol", "oil",   "sulfide", "f",	      "nh4",   "tn",   "tp",	  "cl",	     "cl2",
	    "ocp",    "opp",   "pcb",	  "coliform", "alpha", "beta", "flow_in", "flow_out"};
	for (size_t i = 0; i < sizeof(qcvn40) / sizeof(qcvn40[0]); i++) {
		assert_int_equal(wwtp_plaus_defaults_get(d, qcvn40[i], &b), 1);
		assert_true(isfinite(b.min));
	}
	assert_int_equal(wwtp_plaus_defaults_get(d, "no_such_param", &b), 0);
	wwtp_plaus_defaults_free(d);
	wwtp_diag_free(diag);
}

static const struct wwtp_point *point_of(const struct wwtp_station *st, const char *param)
{
	for (size_t i = 0; i < st->ndevices; i++)
		for (size_t k = 0; k < st->devices[i].npoints; k++)
			if (strcmp(st->devices[i].points[k].param, param) == 0)
				return &st->devices[i].points[k];
	return NULL;
}

/* The three layers as the loader resolves them: the defaults file, the
 * profile's measuring range (eh-cm44x: COD 0-2000), the station's list. */
static void test_loaded_layers(void **state)
{
	const char *src = getenv("WWTP_SRCDIR");
	char path[600], dir[] = "/tmp/test_plausibility_st.XXXXXX";
	struct wwtp_station *st = NULL;
	struct wwtp_diag *diag = wwtp_diag_new();
	(void)state;
	if (!src || !*src)
		src = ".";

	snprintf(path, sizeof(path), "%s/config/stations/qd6613-01.cfg", src);
	assert_int_equal(wwtp_station_load(path, NULL, &st, diag), 0);
	const struct wwtp_point *cod = point_of(st, "cod"), *ph = point_of(st, "ph");
	assert_true(cod->plaus.on && cod->plaus.min == 0 && cod->plaus.max == 2000);
	assert_true(cod->plaus.step == 300 && cod->plaus.flat_s == 6 * 3600);
	assert_true(ph->plaus.min == 0 && ph->plaus.max == 14 && ph->plaus.flat_s == 4 * 3600);
	wwtp_station_free(st);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/st.cfg", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"station = { id = \"t\"; name = \"t\"; };\n"
		"profiles_dir = \"%s/config/profiles\";\n"
		"plausibility_file = \"%s/config/plausibility.cfg\";\n"
		"plausibility = ( { param = \"cod\"; max = 500.0; flat_h = 0.0; } );\n"
		"devices = ( { name = \"a\"; transport = \"tcp\"; host = \"127.0.0.1\"; "
		"unit_id = 1; profile = \"eh-cm44x\"; },\n"
		"  { name = \"p\"; transport = \"tcp\"; host = \"127.0.0.1\"; unit_id = 2;\n"
		"    points = ( { param = \"ph\"; table = \"holding\"; address = 0; type = "
		"\"float32\"; plausible = { min = 2.0; }; } ); } );\n"
		"mqtt = { uri = \"tcp://127.0.0.1:1883\"; };\n",
		src, src);
	fclose(f);
	int rc = wwtp_station_load(path, NULL, &st, diag);
	if (rc)
		wwtp_diag_print(diag, stderr);
	assert_int_equal(rc, 0);
	cod = point_of(st, "cod");
	ph = point_of(st, "ph");
	/* The station's max and flat_h over the profile's, the rest from below. */
	assert_true(cod->plaus.min == 0 && cod->plaus.max == 500 && cod->plaus.flat_s == 0);
	assert_true(cod->plaus.step == 300);
	assert_true(ph->plaus.min == 2 && ph->plaus.max == 14);
	/* tss: the profile's range and the defaults, checked. */
	assert_true(point_of(st, "tss")->plaus.on && point_of(st, "tss")->plaus.max == 4000);
	wwtp_station_free(st);
	unlink(path);
	rmdir(dir);
	wwtp_diag_free(diag);
}

static void test_bad_file(void **state)
{
	struct wwtp_plaus_defaults *d = NULL;
	struct wwtp_diag *diag = wwtp_diag_new();
	char path[] = "/tmp/test_plausibility.XXXXXX";
	(void)state;

	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("plausibility = ( { param = \"ph\"; min = 0.0; max = 14.0; colour = 1; },\n"
	      "  { param = \"ph\"; min = 9.0; max = 1.0; },\n"
	      "  { param = \"cod\"; flat_h = 6.0; } );\n",
	      f);
	fclose(f);
	assert_int_equal(wwtp_plaus_defaults_load(path, diag, &d), WWTP_ERR_CONFIG);
	assert_null(d);
	/* The unknown key, the row twice, min above max, flat_h without resolution. */
	assert_true(wwtp_diag_count(diag) >= 4);
	unlink(path);
	wwtp_diag_free(diag);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_range),
	    cmocka_unit_test(test_step),
	    cmocka_unit_test(test_flatline),
	    cmocka_unit_test(test_layers),
	    cmocka_unit_test(test_shipped_defaults),
	    cmocka_unit_test(test_bad_file),
	    cmocka_unit_test(test_loaded_layers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
