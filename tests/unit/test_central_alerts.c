/* test_central_alerts.c - the central side's alert store (central/monitor/alerts.c):
 * raises and clears paired by id in any order and any number
 * of times, a raise superseded by a newer one of the same subject, the
 * filters (station, kind, open/closed, time range, limit, newest first),
 * and the bound per station. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../central/monitor/alerts.h"
#include "../../util/err.h"

static struct wwtp_alert_in ev(const char *id, const char *station, const char *kind,
			       const char *param, int raised, int64_t start, int64_t end)
{
	struct wwtp_alert_in e;
	memset(&e, 0, sizeof(e));
	e.id = id;
	e.station = station;
	e.kind = kind;
	e.device = "outlet-analyzer";
	e.param = param;
	e.unit = "mg/L";
	e.raised = raised;
	e.window_s = strcmp(kind, "exceedance") == 0 ? 3600 : 0;
	e.value = raised ? 150 : 120;
	e.limit = 135;
	e.ratio = e.value / 135;
	e.start_ms = start;
	e.since_ms = start;
	e.end_ms = end;
	e.ts_ms = raised ? start : end;
	return e;
}

static size_t find(const struct wwtp_alerts *a, const char *station, const char *kind, int state,
		   int64_t from, int64_t to, size_t limit, const struct wwtp_alert_rec **out,
		   size_t max)
{
	struct wwtp_alert_filter f = {.station = station,
				      .kind = kind,
				      .state = state,
				      .from_ms = from,
				      .to_ms = to,
				      .limit = limit};
	return wwtp_alerts_find(a, &f, out, max);
}

static void test_pairs_any_order(void **state)
{
	struct wwtp_alerts *a = wwtp_alerts_new(100);
	const struct wwtp_alert_rec *r[8];
	struct wwtp_alert_in raise =
	    ev("s:cod:exceedance:3600:1000", "s", "exceedance", "cod", 1, 1000, 0);
	struct wwtp_alert_in clear =
	    ev("s:cod:exceedance:3600:1000", "s", "exceedance", "cod", 0, 1000, 5000);
	(void)state;

	/* Raise, clear, the raise again (MQTT at least once): one closed alert. */
	assert_int_equal(wwtp_alerts_add(a, &raise), 0);
	assert_int_equal(find(a, NULL, NULL, WWTP_ALERTS_OPEN, 0, INT64_MAX, 0, r, 8), 1);
	assert_int_equal(wwtp_alerts_add(a, &clear), 0);
	assert_int_equal(wwtp_alerts_add(a, &raise), 0);
	assert_int_equal(wwtp_alerts_count(a), 1);
	assert_int_equal(find(a, NULL, NULL, WWTP_ALERTS_ANY, 0, INT64_MAX, 0, r, 8), 1);
	assert_true(r[0]->has_raise && r[0]->end_ms == 5000);
	assert_string_equal(r[0]->closed_by, "cleared");
	assert_true(r[0]->value == 150 && r[0]->end_value == 120 && r[0]->limit == 135);
	assert_string_equal(r[0]->device, "outlet-analyzer");
	assert_int_equal(r[0]->window_s, 3600);

	/* The clear before the raise (replayed from InfluxDB out of order):
	 * the same alert in the end. */
	struct wwtp_alert_in raise2 =
	    ev("t:cod:exceedance:3600:1000", "t", "exceedance", "cod", 1, 1000, 0);
	struct wwtp_alert_in clear2 =
	    ev("t:cod:exceedance:3600:1000", "t", "exceedance", "cod", 0, 1000, 5000);
	assert_int_equal(wwtp_alerts_add(a, &clear2), 0);
	assert_int_equal(find(a, "t", NULL, WWTP_ALERTS_ANY, 0, INT64_MAX, 0, r, 8), 1);
	assert_false(r[0]->has_raise);
	assert_int_equal(wwtp_alerts_add(a, &raise2), 0);
	assert_int_equal(find(a, "t", NULL, WWTP_ALERTS_CLOSED, 0, INT64_MAX, 0, r, 8), 1);
	assert_true(r[0]->has_raise && r[0]->end_ms == 5000 && r[0]->value == 150);
	/* A clear without end uses its ts. */
	struct wwtp_alert_in c3 = ev("t:x:fault:0:7", "t", "fault", "x", 0, 7, 0);
	c3.ts_ms = 70;
	assert_int_equal(wwtp_alerts_add(a, &c3), 0);
	assert_int_equal(find(a, "t", "fault", WWTP_ALERTS_ANY, 0, INT64_MAX, 0, r, 8), 1);
	assert_int_equal(r[0]->end_ms, 70);
	/* Refused: no id, no station, no kind, too long. */
	struct wwtp_alert_in bad = raise;
	bad.id = "";
	assert_int_equal(wwtp_alerts_add(a, &bad), WWTP_ERR_INVAL);
	bad = raise;
	bad.station = NULL;
	assert_int_equal(wwtp_alerts_add(a, &bad), WWTP_ERR_INVAL);
	bad = raise;
	bad.kind = "a-kind-name-that-is-far-too-long";
	assert_int_equal(wwtp_alerts_add(a, &bad), WWTP_ERR_INVAL);
	wwtp_alerts_free(a);
}

/* A collector that restarts forgets its open alerts and raises them again
 * under new ids: the old one ends where the new one starts. */
static void test_superseded(void **state)
{
	struct wwtp_alerts *a = wwtp_alerts_new(100);
	const struct wwtp_alert_rec *r[8];
	struct wwtp_alert_in old =
	    ev("s:cod:exceedance:3600:1000", "s", "exceedance", "cod", 1, 1000, 0);
	struct wwtp_alert_in nw =
	    ev("s:cod:exceedance:3600:9000", "s", "exceedance", "cod", 1, 9000, 0);
	struct wwtp_alert_in other_window = old;
	(void)state;

	other_window.id = "s:cod:exceedance:86400:2000";
	other_window.window_s = 86400;
	other_window.start_ms = 2000;
	assert_int_equal(wwtp_alerts_add(a, &old), 0);
	assert_int_equal(wwtp_alerts_add(a, &other_window), 0);
	assert_int_equal(wwtp_alerts_add(a, &nw), 0);
	/* newest first */
	assert_int_equal(find(a, "s", NULL, WWTP_ALERTS_ANY, 0, INT64_MAX, 0, r, 8), 3);
	assert_string_equal(r[0]->id, "s:cod:exceedance:3600:9000");
	assert_true(r[0]->end_ms == 0);
	assert_string_equal(r[2]->id, "s:cod:exceedance:3600:1000");
	assert_int_equal(r[2]->end_ms, 9000);
	assert_string_equal(r[2]->closed_by, "superseded");
	/* Another window is another subject: still open. */
	assert_true(r[1]->end_ms == 0);
	/* Arriving the other way round gives the same. */
	struct wwtp_alerts *b = wwtp_alerts_new(100);
	assert_int_equal(wwtp_alerts_add(b, &nw), 0);
	assert_int_equal(wwtp_alerts_add(b, &old), 0);
	assert_int_equal(find(b, "s", NULL, WWTP_ALERTS_OPEN, 0, INT64_MAX, 0, r, 8), 1);
	assert_string_equal(r[0]->id, "s:cod:exceedance:3600:9000");
	/* A real clear of the old one, late: it wins over "superseded". */
	struct wwtp_alert_in clear =
	    ev("s:cod:exceedance:3600:1000", "s", "exceedance", "cod", 0, 1000, 4000);
	assert_int_equal(wwtp_alerts_add(b, &clear), 0);
	assert_int_equal(find(b, "s", NULL, WWTP_ALERTS_CLOSED, 0, INT64_MAX, 0, r, 8), 1);
	assert_int_equal(r[0]->end_ms, 4000);
	assert_string_equal(r[0]->closed_by, "cleared");
	wwtp_alerts_free(a);
	wwtp_alerts_free(b);
}

static void test_filters(void **state)
{
	struct wwtp_alerts *a = wwtp_alerts_new(100);
	const struct wwtp_alert_rec *r[16];
	char id[64];
	(void)state;

	/* Station s: exceedances starting at 1000, 2000, ... 5000, each lasting
	 * 500 (the last one open); station t: one fault 1500..1600. */
	for (int i = 1; i <= 5; i++) {
		snprintf(id, sizeof(id), "s:p%d:exceedance:3600:%d", i, i * 1000);
		char param[16];
		snprintf(param, sizeof(param), "p%d", i);
		struct wwtp_alert_in e = ev(id, "s", "exceedance", param, 1, i * 1000, 0);
		assert_int_equal(wwtp_alerts_add(a, &e), 0);
		if (i < 5) {
			e = ev(id, "s", "exceedance", param, 0, i * 1000, i * 1000 + 500);
			assert_int_equal(wwtp_alerts_add(a, &e), 0);
		}
	}
	struct wwtp_alert_in f = ev("t:cod:fault:0:1500", "t", "fault", "cod", 1, 1500, 0);
	assert_int_equal(wwtp_alerts_add(a, &f), 0);
	f = ev("t:cod:fault:0:1500", "t", "fault", "cod", 0, 1500, 1600);
	assert_int_equal(wwtp_alerts_add(a, &f), 0);

	assert_int_equal(find(a, NULL, NULL, WWTP_ALERTS_ANY, 0, INT64_MAX, 0, r, 16), 6);
	assert_int_equal(find(a, "s", NULL, WWTP_ALERTS_ANY, 0, INT64_MAX, 0, r, 16), 5);
	assert_int_equal(find(a, "nobody", NULL, WWTP_ALERTS_ANY, 0, INT64_MAX, 0, r, 16), 0);
	assert_int_equal(find(a, NULL, "fault", WWTP_ALERTS_ANY, 0, INT64_MAX, 0, r, 16), 1);
	assert_string_equal(r[0]->station, "t");
	assert_int_equal(find(a, NULL, NULL, WWTP_ALERTS_OPEN, 0, INT64_MAX, 0, r, 16), 1);
	assert_string_equal(r[0]->param, "p5");
	assert_int_equal(find(a, NULL, NULL, WWTP_ALERTS_CLOSED, 0, INT64_MAX, 0, r, 16), 5);
	/* Active at some time in [2200, 3100): p2 (2000..2500) and p3
	 * (3000..3500); not p1 (ended 1500) nor p4 (starts 4000). */
	assert_int_equal(find(a, "s", NULL, WWTP_ALERTS_ANY, 2200, 3100, 0, r, 16), 2);
	assert_string_equal(r[0]->param, "p3");
	assert_string_equal(r[1]->param, "p2");
	/* An open alert is active until now: found by any range after its start. */
	assert_int_equal(find(a, "s", NULL, WWTP_ALERTS_ANY, 100000, 200000, 0, r, 16), 1);
	assert_string_equal(r[0]->param, "p5");
	/* The edges: to is exclusive, an end at from counts. */
	assert_int_equal(find(a, "s", NULL, WWTP_ALERTS_ANY, 1500, 2000, 0, r, 16), 1);
	assert_string_equal(r[0]->param, "p1");
	/* limit: the newest; the total says how many matched. */
	assert_int_equal(find(a, NULL, NULL, WWTP_ALERTS_ANY, 0, INT64_MAX, 2, r, 16), 6);
	assert_string_equal(r[0]->param, "p5");
	assert_string_equal(r[1]->param, "p4");
	wwtp_alerts_free(a);
}

/* At the bound the oldest closed alerts go; open ones stay. */
static void test_bound(void **state)
{
	struct wwtp_alerts *a = wwtp_alerts_new(8);
	const struct wwtp_alert_rec *r[16];
	char id[64];
	(void)state;

	struct wwtp_alert_in open = ev("s:keep:offline:0:1", "s", "offline", "keep", 1, 1, 0);
	assert_int_equal(wwtp_alerts_add(a, &open), 0);
	for (int i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "s:x:fault:0:%d", 100 + i);
		struct wwtp_alert_in e = ev(id, "s", "fault", "x", 1, 100 + i, 0);
		assert_int_equal(wwtp_alerts_add(a, &e), 0);
		e = ev(id, "s", "fault", "x", 0, 100 + i, 100 + i);
		assert_int_equal(wwtp_alerts_add(a, &e), 0);
	}
	assert_true(wwtp_alerts_count(a) <= 8);
	assert_int_equal(find(a, "s", "offline", WWTP_ALERTS_OPEN, 0, INT64_MAX, 0, r, 16), 1);
	/* the newest fault is kept */
	assert_true(find(a, "s", "fault", WWTP_ALERTS_ANY, 0, INT64_MAX, 0, r, 16) >= 1);
	assert_int_equal(r[0]->start_ms, 139);
	wwtp_alerts_free(a);
	wwtp_alerts_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pairs_any_order),
	    cmocka_unit_test(test_superseded),
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
