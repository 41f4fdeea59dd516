/* test_central_episodes.c - raw alerts gathered into the inspector's alerts
 * (central/monitor/episodes.c): on-delay, off-delay, re-arm, one alert per
 * station + parameter + kind naming its windows, episode counting, every
 * exceedance in an alert raised no later than it, order not mattering, and
 * the alert rates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../central/monitor/episodes.h"
#include "../../util/err.h"

#define MIN 60000LL
#define HOUR (60 * MIN)

static struct wwtp_alert_rec rec(const char *station, const char *param, const char *kind,
				 int window_s, int64_t start, int64_t end, double ratio)
{
	struct wwtp_alert_rec r;
	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "%s:%s:%s:%d:%lld", station, param, kind, window_s,
		 (long long)start);
	snprintf(r.station, sizeof(r.station), "%s", station);
	snprintf(r.kind, sizeof(r.kind), "%s", kind);
	snprintf(r.param, sizeof(r.param), "%s", param);
	r.window_s = window_s;
	r.has_raise = 1;
	r.value = 135 * ratio;
	r.limit = 135;
	r.ratio = ratio;
	r.start_ms = r.since_ms = start;
	r.end_ms = end;
	return r;
}

/* The tests' own delays, apart from the tuned defaults: fault 30 min on,
 * 2 h off, 6 h re-arm; exceedance none on, 1 h off, 2 h re-arm. */
static void fixed_policies(struct wwtp_alarm_policies *p)
{
	wwtp_alarm_policies_default(p);
	p->kind[WWTP_ALERT_FAULT] =
	    (struct wwtp_alarm_policy){.on_delay_s = 1800, .off_delay_s = 7200, .rearm_s = 21600};
	p->kind[WWTP_ALERT_EXCEEDANCE] =
	    (struct wwtp_alarm_policy){.on_delay_s = 0, .off_delay_s = 3600, .rearm_s = 7200};
	p->kind[WWTP_ALERT_AVAILABILITY] = p->kind[WWTP_ALERT_EXCEEDANCE];
}

static struct wwtp_episodes *build(struct wwtp_alert_rec *r, size_t n, int64_t now)
{
	const struct wwtp_alert_rec *p[64];
	struct wwtp_alarm_policies pol;
	struct wwtp_episodes *e = NULL;
	fixed_policies(&pol);
	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++)
		p[i] = &r[i];
	assert_int_equal(wwtp_episodes_build(p, n, &pol, now, &e), 0);
	return e;
}

static size_t raised(const struct wwtp_episodes *e)
{
	size_t k = 0;
	for (size_t i = 0; i < wwtp_episodes_count(e); i++)
		k += wwtp_episodes_get(e, i)->raised;
	return k;
}

/* An analyzer that faults 10 minutes every half hour, 31 times: one
 * episode, 31 faults, 5 h 10 min, raised once its faults made 30 minutes. */
static void test_chattering_fault_is_one_episode(void **state)
{
	struct wwtp_alert_rec r[31];
	(void)state;
	for (int i = 0; i < 31; i++)
		r[i] = rec("yen-nghia", "cod", "fault", 0, 1000 * HOUR + i * 30 * MIN,
			   1000 * HOUR + i * 30 * MIN + 10 * MIN, NAN);
	struct wwtp_episodes *e = build(r, 31, 1100 * HOUR);
	assert_int_equal(wwtp_episodes_count(e), 1);
	const struct wwtp_episode *p = wwtp_episodes_get(e, 0);
	assert_true(p->raised);
	assert_int_equal(p->count, 31);
	assert_int_equal(p->active_ms, 310 * MIN);
	assert_int_equal(p->priority, WWTP_PRIO_LOW);
	/* 10 + 10 + 10 minutes of fault: the third fault's end. */
	assert_int_equal(p->start_ms, 1000 * HOUR + 60 * MIN + 10 * MIN);
	/* Closed two hours (off-delay) after the last fault cleared. */
	assert_int_equal(p->end_ms, 1000 * HOUR + 30 * 30 * MIN + 10 * MIN + 2 * HOUR);
	assert_string_equal(p->first->id, r[0].id);
	wwtp_episodes_free(e);
}

/* An analyzer's fault touches each parameter it reads: one alert of the
 * device naming them; its exceedances stay per parameter. */
static void test_device_kinds(void **state)
{
	struct wwtp_alert_rec r[4];
	(void)state;
	r[0] = rec("s", "cod", "fault", 0, 10 * HOUR, 0, NAN);
	r[1] = rec("s", "tss", "fault", 0, 10 * HOUR, 0, NAN);
	r[2] = rec("s", "cod", "exceedance", 3600, 10 * HOUR, 0, 1.2);
	r[3] = rec("s", "tss", "exceedance", 3600, 10 * HOUR, 0, 1.3);
	for (int i = 0; i < 4; i++)
		snprintf(r[i].device, sizeof(r[i].device), "outlet-analyzer");
	struct wwtp_episodes *e = build(r, 4, 12 * HOUR);
	assert_int_equal(wwtp_episodes_count(e), 3);
	size_t dev = 0;
	for (size_t i = 0; i < 3; i++) {
		const struct wwtp_episode *p = wwtp_episodes_get(e, i);
		if (!p->by_device)
			continue;
		dev++;
		assert_string_equal(p->subject, "outlet-analyzer");
		assert_int_equal(p->count, 2);
		assert_int_equal(p->nparams, 2);
	}
	assert_int_equal(dev, 1);
	wwtp_episodes_free(e);
}

/* One short fault stays below the on-delay: no alert; nor while pending. */
static void test_on_delay(void **state)
{
	struct wwtp_alert_rec r[2];
	(void)state;
	r[0] = rec("s", "cod", "fault", 0, 10 * HOUR, 10 * HOUR + 5 * MIN, NAN);
	struct wwtp_episodes *e = build(r, 1, 20 * HOUR);
	assert_int_equal(wwtp_episodes_count(e), 1);
	assert_int_equal(raised(e), 0);
	assert_true(wwtp_episodes_get(e, 0)->end_ms != 0);
	wwtp_episodes_free(e);
	/* Open for 20 minutes: pending; at 31 minutes: raised at 30. */
	r[0] = rec("s", "cod", "fault", 0, 10 * HOUR, 0, NAN);
	e = build(r, 1, 10 * HOUR + 20 * MIN);
	assert_int_equal(raised(e), 0);
	wwtp_episodes_free(e);
	e = build(r, 1, 10 * HOUR + 31 * MIN);
	assert_int_equal(raised(e), 1);
	assert_int_equal(wwtp_episodes_get(e, 0)->start_ms, 10 * HOUR + 30 * MIN);
	assert_int_equal(wwtp_episodes_get(e, 0)->end_ms, 0);
	wwtp_episodes_free(e);
}

/* Every exceedance raises at once; the 1-hour and the 24-hour average of
 * one parameter are one alert that names both windows; another parameter
 * or kind is another alert. */
static void test_exceedance_never_delayed(void **state)
{
	struct wwtp_alert_rec r[4];
	(void)state;
	r[0] = rec("s", "cod", "exceedance", 3600, 50 * HOUR, 0, 1.2);
	r[1] = rec("s", "cod", "exceedance", 86400, 60 * HOUR, 0, 1.54);
	r[2] = rec("s", "nh4", "exceedance", 3600, 50 * HOUR, 0, 2.0);
	r[3] = rec("s", "cod", "availability", 3600, 50 * HOUR, 0, 0.5);
	struct wwtp_episodes *e = build(r, 4, 50 * HOUR);
	/* At 50 h the 24-hour one has not come: cod, nh4, availability. */
	assert_int_equal(raised(e), 3);
	wwtp_episodes_free(e);
	e = build(r, 4, 61 * HOUR);
	assert_int_equal(wwtp_episodes_count(e), 3);
	for (size_t i = 0; i < 3; i++) {
		const struct wwtp_episode *p = wwtp_episodes_get(e, i);
		assert_true(p->raised);
		assert_int_equal(p->start_ms, 50 * HOUR);
		if (strcmp(p->subject, "cod") == 0 && strcmp(p->first->kind, "exceedance") == 0) {
			assert_int_equal(p->count, 2);
			assert_int_equal(p->nwindows, 2);
			assert_int_equal(p->windows_s[0], 3600);
			assert_int_equal(p->windows_s[1], 86400);
			assert_true(p->shown == &r[1]); /* the worse */
			assert_int_equal(p->priority, WWTP_PRIO_HIGH);
		}
	}
	struct wwtp_alarm_rates rt;
	wwtp_episodes_rates(e, 0, 100 * HOUR, &rt);
	assert_int_equal(rt.exceedances_raw, 3);
	assert_int_equal(rt.exceedances_in, 3);
	wwtp_episodes_free(e);
}

/* Off-delay and re-arm: an exceedance that clears and comes back within
 * the hour stays one alert; after the off-delay but within the re-arm of
 * its raise, too; after both, a new alert. Order does not matter. */
static void test_off_delay_rearm_order(void **state)
{
	struct wwtp_alert_rec r[3];
	(void)state;
	r[0] = rec("s", "tss", "exceedance", 3600, 100 * HOUR, 100 * HOUR + 10 * MIN, 1.1);
	r[1] =
	    rec("s", "tss", "exceedance", 3600, 101 * HOUR + 15 * MIN, 101 * HOUR + 20 * MIN, 1.1);
	r[2] = rec("s", "tss", "exceedance", 3600, 104 * HOUR, 104 * HOUR + 5 * MIN, 1.1);
	struct wwtp_episodes *e = build(r, 3, 200 * HOUR);
	assert_int_equal(wwtp_episodes_count(e), 2);
	assert_int_equal(wwtp_episodes_get(e, 0)->count, 2);
	/* The second came after the first had closed (10:10 + 1 h) but within
	 * the re-arm of its raise (2 h): it reopened it. Closed an hour after
	 * its last clear. */
	assert_int_equal(wwtp_episodes_get(e, 0)->end_ms, 102 * HOUR + 20 * MIN);
	assert_int_equal(wwtp_episodes_get(e, 0)->clear_ms, 101 * HOUR + 20 * MIN);
	assert_int_equal(wwtp_episodes_get(e, 1)->start_ms, 104 * HOUR);
	wwtp_episodes_free(e);

	struct wwtp_alert_rec s[3] = {r[2], r[0], r[1]};
	e = build(s, 3, 200 * HOUR);
	assert_int_equal(wwtp_episodes_count(e), 2);
	assert_int_equal(wwtp_episodes_get(e, 0)->count, 2);
	assert_int_equal(wwtp_episodes_get(e, 0)->end_ms, 102 * HOUR + 20 * MIN);
	wwtp_episodes_free(e);

	/* In its off-delay it is still open. */
	e = build(r, 1, 100 * HOUR + 30 * MIN);
	assert_int_equal(wwtp_episodes_get(e, 0)->end_ms, 0);
	assert_int_equal(wwtp_episodes_get(e, 0)->open, 0);
	wwtp_episodes_free(e);
}

/* The rates: raised per day, the most at one plant in a day, chattering
 * tags (with no delays at all, three raises within an hour). */
static void test_rates(void **state)
{
	struct wwtp_alert_rec r[4];
	const struct wwtp_alert_rec *p[4];
	struct wwtp_alarm_policies pol;
	struct wwtp_episodes *e = NULL;
	struct wwtp_alarm_rates rt;
	(void)state;
	for (int i = 0; i < 3; i++)
		r[i] = rec("a", "ph", "fault", 0, 24 * HOUR + i * 10 * MIN,
			   24 * HOUR + i * 10 * MIN + MIN, NAN);
	r[3] = rec("b", "ph", "fault", 0, 24 * HOUR, 24 * HOUR + MIN, NAN);
	for (int i = 0; i < 4; i++)
		p[i] = &r[i];
	wwtp_alarm_policies_default(&pol);
	memset(&pol.kind[WWTP_ALERT_FAULT], 0, sizeof(pol.kind[0]));
	assert_int_equal(wwtp_alarm_policies_check(&pol), 0);
	assert_int_equal(wwtp_episodes_build(p, 4, &pol, 48 * HOUR, &e), 0);
	wwtp_episodes_rates(e, 24 * HOUR, 48 * HOUR, &rt);
	assert_int_equal(rt.raised, 4);
	assert_true(rt.per_day == 4.0);
	assert_true(rt.max_station_day == 3.0);
	assert_string_equal(rt.max_station, "a");
	assert_int_equal(rt.chattering, 1);
	wwtp_episodes_free(e);
	/* With delays: one pending episode each, nothing raised. */
	fixed_policies(&pol);
	assert_int_equal(wwtp_episodes_build(p, 4, &pol, 48 * HOUR, &e), 0);
	wwtp_episodes_rates(e, 24 * HOUR, 48 * HOUR, &rt);
	assert_int_equal(rt.raised, 0);
	assert_int_equal(rt.chattering, 0);
	wwtp_episodes_free(e);
	/* An on-delay for exceedances is refused. */
	pol.kind[WWTP_ALERT_EXCEEDANCE].on_delay_s = 60;
	assert_int_equal(wwtp_alarm_policies_check(&pol), WWTP_ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chattering_fault_is_one_episode),
	    cmocka_unit_test(test_on_delay),
	    cmocka_unit_test(test_device_kinds),
	    cmocka_unit_test(test_exceedance_never_delayed),
	    cmocka_unit_test(test_off_delay_rearm_order),
	    cmocka_unit_test(test_rates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
