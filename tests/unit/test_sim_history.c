/* test_sim_history.c - the simulator's history replay (firmware-sim/
 * history.c, with the model and the register image): the
 * messages a gateway's store-and-forward would send for a span of the past,
 * read back as JSON: every device at every instant of the grid, in time
 * order, seq counting up per station, each reading the model's decoded
 * value and status, alerts raised and cleared by the station's evaluator
 * right after the telemetry that caused them; repeatable; bad spans refused.
 * Uses the shipped station files (run from the top folder, as tests/run.sh
 * does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../firmware-sim/history.h"
#include "../../firmware-sim/image.h"
#include "../../firmware-sim/model.h"
#include "../../station/station_config.h"
#include "../../util/timeutil.h"
#include "../../util/err.h"
#include "../../payload/payload.h"

#define DAY_MS (86400 * 1000LL)
/* 2025-06-02T00:00:00+07:00, a Monday. */
#define T0_MS (1748797200LL * 1000)

struct fixture {
	struct wwtp_station *st[2]; /* yen-nghia (failed aeration), qd6613-01 (healthy) */
	struct wwtp_sim_site sites[2];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct wwtp_load_opts lo = {.profiles_dir = "config/profiles",
				    .limits_dir = "config/limits"};
	if (!f || wwtp_station_load("config/stations/yen-nghia.cfg", &lo, &f->st[0], NULL) != 0 ||
	    wwtp_station_load("config/stations/qd6613-01.cfg", &lo, &f->st[1], NULL) != 0)
		return -1;
	wwtp_sim_site_init(&f->sites[0], 1, f->st[0]->id, f->st[0]->design_flow_m3d,
			   WWTP_SIM_FX_AERATION);
	wwtp_sim_site_init(&f->sites[1], 1, f->st[1]->id, f->st[1]->design_flow_m3d,
			   WWTP_SIM_HEALTHY);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	wwtp_station_free(f->st[0]);
	wwtp_station_free(f->st[1]);
	free(f);
	return 0;
}

static int64_t ts_of(json_t *o, const char *key)
{
	int64_t ms = -1;
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v) || wwtp_parse_utc(json_string_value(v), &ms) != 0)
		fail_msg("bad %s", key);
	return ms;
}

static const struct wwtp_device *device_named(const struct wwtp_station *st, const char *name)
{
	for (size_t i = 0; i < st->ndevices; i++)
		if (strcmp(st->devices[i].name, name) == 0)
			return &st->devices[i];
	return NULL;
}

/* One day at 5 minutes for both stations, every message checked. */
static void test_one_day(void **state)
{
	struct fixture *f = *state;
	struct wwtp_sim_history_opts o = {.from_ms = T0_MS + 1234, /* off the grid on purpose */
					  .to_ms = T0_MS + DAY_MS,
					  .interval_ms = 300000,
					  .alerts = 1};
	struct wwtp_sim_history *h;
	struct wwtp_sim_history_stats hs;
	struct wwtp_buf b;
	char topic[128];
	int64_t last_ts[2] = {0, 0}, last_tel_ts[2] = {0, 0};
	uint64_t seq[2] = {0, 0}, tel[2] = {0, 0}, alerts[2] = {0, 0}, faults = 0;
	int raised_cod = 0, cleared = 0, got;

	assert_int_equal(wwtp_sim_history_new(f->st, f->sites, 2, &o, &h), 0);
	wwtp_sim_history_get_stats(h, &hs);
	/* 287 instants (the first is rounded up to the grid), 9 + 4 devices. */
	assert_int_equal(hs.telemetry_total, 287 * 13);
	wwtp_buf_init(&b, WWTP_PAYLOAD_MAX);
	while ((got = wwtp_sim_history_next(h, topic, sizeof(topic), &b)) == 1) {
		json_error_t err;
		json_t *m = json_loadb(b.data, b.len, 0, &err);
		if (!m)
			fail_msg("not JSON: %s: %.80s", err.text, b.data);
		const char *sid = json_string_value(json_object_get(m, "station"));
		int i = strcmp(sid, "yen-nghia") == 0 ? 0 : 1;
		const struct wwtp_station *st = f->st[i];
		char want[128];
		if (json_object_get(m, "event")) {
			/* An alert: after the telemetry that caused it, at its time. */
			snprintf(want, sizeof(want), "wwtp/%s/alert", sid);
			assert_string_equal(topic, want);
			int64_t t = ts_of(m, "ts");
			assert_true(t == last_tel_ts[i]);
			const char *kind = json_string_value(json_object_get(m, "kind"));
			const char *ev = json_string_value(json_object_get(m, "event"));
			const char *param = json_string_value(json_object_get(m, "param"));
			assert_non_null(json_object_get(m, "device"));
			if (strcmp(ev, "raised") == 0 && strcmp(kind, "exceedance") == 0 &&
			    strcmp(param, "cod") == 0 && i == 0) {
				raised_cod++;
				assert_true(json_number_value(json_object_get(m, "limit")) ==
					    135.0);
				assert_true(json_number_value(json_object_get(m, "value")) > 135.0);
			}
			cleared += strcmp(ev, "cleared") == 0;
			alerts[i]++;
			json_decref(m);
			continue;
		}
		snprintf(want, sizeof(want), "wwtp/%s/telemetry", sid);
		assert_string_equal(topic, want);
		int64_t t = ts_of(m, "ts");
		assert_true(t % o.interval_ms == 0);
		assert_true(t >= o.from_ms && t < o.to_ms);
		assert_true(t >= last_ts[i]); /* time order */
		last_ts[i] = last_tel_ts[i] = t;
		/* seq counts every message of the station, from 1, no gap. */
		assert_int_equal(json_integer_value(json_object_get(m, "seq")),
				 (json_int_t)++seq[i]);
		const struct wwtp_device *d =
		    device_named(st, json_string_value(json_object_get(m, "device")));
		assert_non_null(d);
		json_t *rs = json_object_get(m, "readings");
		assert_int_equal(json_array_size(rs), d->npoints);
		for (size_t k = 0; k < d->npoints; k++) {
			json_t *r = json_array_get(rs, k);
			const struct wwtp_point *p = &d->points[k];
			double v;
			assert_string_equal(json_string_value(json_object_get(r, "param")),
					    p->param);
			assert_string_equal(json_string_value(json_object_get(r, "unit")), p->unit);
			assert_int_equal(wwtp_sim_point_value(&f->sites[i], p, t / 1000, &v), 0);
			assert_true(json_number_value(json_object_get(r, "value")) == v);
			int status = wwtp_sim_point_status(&f->sites[i], d, p, t / 1000);
			assert_string_equal(json_string_value(json_object_get(r, "status")),
					    wwtp_reading_status_name(status));
			faults += status == WWTP_READING_FAULT;
			if (status != WWTP_READING_OK)
				assert_non_null(json_object_get(r, "reason"));
			assert_null(json_object_get(r, "eval"));
		}
		tel[i]++;
		json_decref(m);
	}
	assert_int_equal(got, 0);
	assert_int_equal(tel[0], 287 * 9);
	assert_int_equal(tel[1], 287 * 4);
	wwtp_sim_history_get_stats(h, &hs);
	assert_int_equal(hs.telemetry, tel[0] + tel[1]);
	assert_int_equal(hs.alerts, alerts[0] + alerts[1]);
	/* Failed aeration: COD over its limit raised an exceedance once the
	 * first hour was judged; its analyzers fault now and then, and each
	 * fault alert clears. A healthy day: few alerts, if any (excursions). */
	assert_true(raised_cod >= 1);
	assert_true(faults > 0 && cleared > 0);
	assert_true(alerts[0] > alerts[1]);
	/* Again: nothing more. */
	assert_int_equal(wwtp_sim_history_next(h, topic, sizeof(topic), &b), 0);
	wwtp_buf_free(&b);
	wwtp_sim_history_free(h);
}

/* Two replays of one span publish the same bytes: InfluxDB overwrites
 * rather than doubles. Without alerts only telemetry comes out. */
static void test_repeatable(void **state)
{
	struct fixture *f = *state;
	struct wwtp_sim_history_opts o = {.from_ms = T0_MS,
					  .to_ms = T0_MS + 3 * 3600 * 1000LL,
					  .interval_ms = 60000,
					  .alerts = 0};
	struct wwtp_sim_history *a, *b;
	struct wwtp_buf ba, bb;
	char ta[128], tb[128];
	int n = 0, ra, rb;

	assert_int_equal(wwtp_sim_history_new(f->st, f->sites, 2, &o, &a), 0);
	assert_int_equal(wwtp_sim_history_new(f->st, f->sites, 2, &o, &b), 0);
	wwtp_buf_init(&ba, WWTP_PAYLOAD_MAX);
	wwtp_buf_init(&bb, WWTP_PAYLOAD_MAX);
	while ((ra = wwtp_sim_history_next(a, ta, sizeof(ta), &ba)) == 1) {
		rb = wwtp_sim_history_next(b, tb, sizeof(tb), &bb);
		assert_int_equal(rb, 1);
		assert_string_equal(ta, tb);
		assert_string_equal(ba.data, bb.data);
		assert_null(strstr(ta, "/alert"));
		n++;
	}
	assert_int_equal(ra, 0);
	assert_int_equal(n, 180 * 13);
	assert_int_equal(wwtp_sim_history_next(b, tb, sizeof(tb), &bb), 0);
	wwtp_buf_free(&ba);
	wwtp_buf_free(&bb);
	wwtp_sim_history_free(a);
	wwtp_sim_history_free(b);
}

static void test_bad_spans(void **state)
{
	struct fixture *f = *state;
	struct wwtp_sim_history *h = (struct wwtp_sim_history *)1;
	struct wwtp_sim_history_opts o = {.from_ms = T0_MS, .to_ms = T0_MS, .interval_ms = 1000};

	assert_int_equal(wwtp_sim_history_new(f->st, f->sites, 2, &o, &h), WWTP_ERR_INVAL);
	assert_null(h);
	o.to_ms = T0_MS + 1000;
	o.interval_ms = 0;
	assert_int_equal(wwtp_sim_history_new(f->st, f->sites, 2, &o, &h), WWTP_ERR_INVAL);
	o.interval_ms = 1000;
	assert_int_equal(wwtp_sim_history_new(f->st, f->sites, 0, &o, &h), WWTP_ERR_INVAL);
	o.from_ms = -5000;
	assert_int_equal(wwtp_sim_history_new(f->st, f->sites, 2, &o, &h), WWTP_ERR_INVAL);
	/* A span shorter than the interval, off the grid: nothing to send. */
	o.from_ms = T0_MS + 1;
	o.to_ms = T0_MS + 999;
	assert_int_equal(wwtp_sim_history_new(f->st, f->sites, 2, &o, &h), 0);
	struct wwtp_buf b;
	char topic[64];
	wwtp_buf_init(&b, 1024);
	assert_int_equal(wwtp_sim_history_next(h, topic, sizeof(topic), &b), 0);
	wwtp_buf_free(&b);
	wwtp_sim_history_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_day),
	    cmocka_unit_test(test_repeatable),
	    cmocka_unit_test(test_bad_spans),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
