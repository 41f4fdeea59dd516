/* test_central_notes.c - what the monitor tells its listener
 * (central/monitor/alert_events.h, monitor_alerts.c): after start-up the
 * open alerts once with recovered = 1; then a raise, a change (another
 * window joins), a clear only once the off-delay has run out; nothing
 * twice. Whitebox: it sets the monitor's "recovered" as the read-back from
 * InfluxDB would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../central/monitor/monitor-private.h"
#include "../../station/station_config.h"
#include "../../util/err.h"

#define NOW_MS 1780000000000LL
#define HOUR 3600000LL

struct seen {
	struct wwtp_alert_note n[16];
	size_t k;
};

static void listener(void *ctx, const struct wwtp_alert_note *n)
{
	struct seen *s = ctx;
	if (s->k < 16)
		s->n[s->k] = *n;
	s->k++;
}

static void alert(struct wwtp_monitor *m, const char *id, const char *kind, int window_s,
		  const char *event, int64_t start, int64_t end)
{
	struct wwtp_in_msg msg;
	memset(&msg, 0, sizeof(msg));
	msg.kind = WWTP_MSG_ALERT;
	msg.station = "yen-nghia";
	msg.id = id;
	msg.event = event;
	msg.alert_kind = kind;
	msg.alert_device = "outlet-analyzer";
	msg.param = "cod";
	msg.unit = "mg/L";
	msg.has_window = window_s > 0;
	msg.window_s = window_s;
	msg.has_value = msg.has_limit = msg.has_ratio = 1;
	msg.value = 208;
	msg.limit = 135;
	msg.ratio = 1.5407;
	msg.start_ms = start;
	msg.has_end = end != 0;
	msg.end_ms = end;
	msg.has_ts = 1;
	msg.ts_ms = end ? end : start;
	wwtp_monitor_ingest(m, &msg, NOW_MS);
}

static void test_notes(void **state)
{
	struct wwtp_load_opts lo = {.profiles_dir = "config/profiles",
				    .limits_dir = "config/limits"};
	struct wwtp_station *st = NULL;
	struct wwtp_monitor *m = NULL;
	struct wwtp_flag_cfg cfg;
	struct seen s;
	(void)state;

	memset(&s, 0, sizeof(s));
	assert_int_equal(wwtp_station_load("config/stations/yen-nghia.cfg", &lo, &st, NULL), 0);
	wwtp_flag_cfg_default(&cfg);
	assert_int_equal(wwtp_monitor_new(&st, 1, &cfg, &m), 0);
	assert_int_equal(wwtp_monitor_on_alert(m, listener, &s), 0);

	/* Nothing is told before the start-up read-back is done. */
	alert(m, "yen-nghia:cod:exceedance:3600:1", "exceedance", 3600, "raised", NOW_MS - 2 * HOUR,
	      0);
	wwtp_mon_notify(m, NOW_MS);
	assert_int_equal(s.k, 0);
	m->recovered = 1;
	/* The first pass: what is open, recovered. */
	wwtp_mon_notify(m, NOW_MS);
	assert_int_equal(s.k, 1);
	assert_int_equal(s.n[0].edge, WWTP_ALERT_NOTE_RAISED);
	assert_int_equal(s.n[0].recovered, 1);
	assert_int_equal(s.n[0].priority, WWTP_PRIO_HIGH);
	assert_string_equal(s.n[0].id, "yen-nghia:cod:exceedance:3600:1");
	assert_string_equal(s.n[0].station_name, "CCN Yên Nghĩa");
	assert_string_equal(s.n[0].param, "cod");
	assert_true(s.n[0].ratio == 1.5407 && s.n[0].limit == 135);
	assert_int_equal(s.n[0].nwindows, 1);
	/* Nothing changed: nothing told. */
	wwtp_mon_notify(m, NOW_MS + 1000);
	assert_int_equal(s.k, 1);
	/* The 24-hour average joins: changed, two windows, same id. */
	alert(m, "yen-nghia:cod:exceedance:86400:2", "exceedance", 86400, "raised", NOW_MS - HOUR,
	      0);
	wwtp_mon_notify(m, NOW_MS + 2000);
	assert_int_equal(s.k, 2);
	assert_int_equal(s.n[1].edge, WWTP_ALERT_NOTE_CHANGED);
	assert_int_equal(s.n[1].recovered, 0);
	assert_int_equal(s.n[1].nwindows, 2);
	assert_int_equal(s.n[1].count, 2);
	assert_string_equal(s.n[1].id, "yen-nghia:cod:exceedance:3600:1");
	/* Both clear: not yet told (off-delay 6 h), then cleared, once. */
	alert(m, "yen-nghia:cod:exceedance:3600:1", "exceedance", 3600, "cleared",
	      NOW_MS - 2 * HOUR, NOW_MS + 60000);
	alert(m, "yen-nghia:cod:exceedance:86400:2", "exceedance", 86400, "cleared", NOW_MS - HOUR,
	      NOW_MS + 60000);
	wwtp_mon_notify(m, NOW_MS + HOUR);
	assert_int_equal(s.k, 2);
	wwtp_mon_notify(m, NOW_MS + 7 * HOUR);
	assert_int_equal(s.k, 3);
	assert_int_equal(s.n[2].edge, WWTP_ALERT_NOTE_CLEARED);
	assert_int_equal(s.n[2].end_ms, NOW_MS + 60000 + 6 * HOUR);
	wwtp_mon_notify(m, NOW_MS + 8 * HOUR);
	assert_int_equal(s.k, 3);
	/* A fault shorter than its on-delay: never told. */
	alert(m, "yen-nghia:cod:fault:0:3", "fault", 0, "raised", NOW_MS + 8 * HOUR, 0);
	alert(m, "yen-nghia:cod:fault:0:3", "fault", 0, "cleared", NOW_MS + 8 * HOUR,
	      NOW_MS + 8 * HOUR + 60000);
	wwtp_mon_notify(m, NOW_MS + 9 * HOUR);
	assert_int_equal(s.k, 3);

	wwtp_monitor_free(m);
	wwtp_station_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_notes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
