/* The health payload and the telemetry's clock flag (payload/payload.c):
 * exact strings, parsed back with jansson, the optional keys and the
 * refusals; the device state names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../payload/payload.h"
#include "../../util/err.h"
#include "../../util/timeutil.h"

#define T0 1769878800000LL /* 2026-01-31T17:00:00.000Z */

static struct wwtp_point points[2];
static struct wwtp_device devices[2];
static struct wwtp_station station;

static int setup(void **state)
{
	(void)state;
	memset(&station, 0, sizeof(station));
	memset(devices, 0, sizeof(devices));
	memset(points, 0, sizeof(points));
	snprintf(station.id, sizeof(station.id), "thanh-thuy");
	snprintf(station.mqtt.topic_prefix, sizeof(station.mqtt.topic_prefix), "wwtp");
	snprintf(points[0].param, sizeof(points[0].param), "cod");
	snprintf(points[0].unit, sizeof(points[0].unit), "mg/L");
	snprintf(points[1].param, sizeof(points[1].param), "ph");
	snprintf(devices[0].name, sizeof(devices[0].name), "outlet");
	devices[0].points = &points[0];
	devices[0].npoints = 1;
	snprintf(devices[1].name, sizeof(devices[1].name), "ph-meter");
	devices[1].points = &points[1];
	devices[1].npoints = 1;
	station.devices = devices;
	station.ndevices = 2;
	return 0;
}

static void test_clock_flag(void **state)
{
	struct wwtp_buf b;
	struct wwtp_sample *s = wwtp_sample_new(&devices[0]);
	(void)state;

	wwtp_buf_init(&b, 4096);
	s->ts_ms = T0;
	s->readings[0].status = WWTP_READING_OK;
	s->readings[0].has_value = 1;
	s->readings[0].value = 42.1;
	assert_int_equal(wwtp_payload_telemetry(&station, s, 7, &b), 0);
	assert_string_equal(b.data, "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"outlet\","
				    "\"ts\":\"2026-01-31T17:00:00.000Z\",\"seq\":7,\"readings\":"
				    "[{\"param\":\"cod\",\"value\":42.1,\"unit\":\"mg/L\","
				    "\"status\":\"ok\"}]}");
	s->clock_unsynced = 1;
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_payload_telemetry(&station, s, 7, &b), 0);
	assert_string_equal(b.data, "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"outlet\","
				    "\"ts\":\"2026-01-31T17:00:00.000Z\",\"seq\":7,"
				    "\"clock\":\"unsynced\",\"readings\":"
				    "[{\"param\":\"cod\",\"value\":42.1,\"unit\":\"mg/L\","
				    "\"status\":\"ok\"}]}");
	/* A poll across a clock step back (collector/tsguard.h). */
	s->clock_unsynced = 0;
	s->clock_behind_ms = 7500;
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_payload_telemetry(&station, s, 8, &b), 0);
	assert_string_equal(b.data, "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"outlet\","
				    "\"ts\":\"2026-01-31T17:00:00.000Z\",\"seq\":8,"
				    "\"clock_behind_ms\":7500,\"readings\":"
				    "[{\"param\":\"cod\",\"value\":42.1,\"unit\":\"mg/L\","
				    "\"status\":\"ok\"}]}");
	wwtp_sample_free(s);
	wwtp_buf_free(&b);
}

static void fill(struct wwtp_device_health *dh)
{
	memset(dh, 0, 2 * sizeof(*dh));
	dh[0].polls = 100;
	dh[0].failures = 3;
	dh[0].partial = 2;
	dh[0].skipped = 1;
	dh[0].interval_ms = 10000;
	dh[0].last_poll_ms = T0;
	dh[0].last_ok_ms = T0;
	dh[0].last_unread = 1;
	snprintf(dh[0].last_error, sizeof(dh[0].last_error),
		 "exception 2 (illegal data address) at holding 100");
	dh[0].err_timeout = 4;
	dh[0].err_exception = 5;
	dh[0].err_frame = 6;
	dh[0].err_conn = 7;
	dh[0].err_other = 8;
	/* The second device has not answered since the start. */
	dh[1].polls = 3;
	dh[1].failures = 3;
	dh[1].consecutive_failures = 3;
	dh[1].interval_ms = 80000;
	dh[1].last_poll_ms = T0 - 1000;
	snprintf(dh[1].last_error, sizeof(dh[1].last_error), "timed out after 1000 ms");
	dh[1].err_timeout = 9;
}

static void test_health_exact(void **state)
{
	struct wwtp_device_health dh[2];
	struct wwtp_health h;
	struct wwtp_buf b;
	(void)state;

	fill(dh);
	memset(&h, 0, sizeof(h));
	h.ts_ms = T0 + 500;
	h.started_ms = T0 - 3600000;
	h.uptime_s = 3600;
	h.version = "0.1.0";
	h.clock = "unsynced";
	h.durable = 1;
	h.backlog = 12;
	h.oldest_ms = T0 - 120000;
	h.store_bytes = 81920;
	h.store_max_bytes = 1048576;
	h.polls = 103;
	h.dropped_full = 1;
	h.dropped_age = 2;
	h.dropped_lost = 3;
	h.dropped_damaged = 4;
	h.confirm = 1;
	h.confirmed_seq = 90;
	h.resent = 5;
	h.ndevices = 2;
	h.devices = dh;
	wwtp_buf_init(&b, 8192);
	assert_int_equal(wwtp_payload_health(&station, &h, &b), 0);
	assert_string_equal(
	    b.data,
	    "{\"v\":1,\"station\":\"thanh-thuy\",\"ts\":\"2026-01-31T17:00:00.500Z\","
	    "\"version\":\"0.1.0\",\"started\":\"2026-01-31T16:00:00.000Z\",\"uptime_s\":3600,"
	    "\"clock\":\"unsynced\",\"backlog\":{\"durable\":true,\"messages\":12,"
	    "\"oldest\":\"2026-01-31T16:58:00.000Z\",\"bytes\":81920,\"max_bytes\":1048576,"
	    "\"confirmed_seq\":90,\"resent\":5},"
	    "\"dropped\":{\"total\":10,\"store_full\":1,\"too_old\":2,\"lost\":3,"
	    "\"damaged\":4},\"polls\":103,"
	    "\"devices\":[{\"device\":\"outlet\",\"state\":\"partial\",\"polls\":100,"
	    "\"failures\":3,\"partial\":2,\"skipped\":1,\"consecutive_failures\":0,"
	    "\"interval_ms\":10000,\"last_poll\":\"2026-01-31T17:00:00.000Z\","
	    "\"last_ok\":\"2026-01-31T17:00:00.000Z\","
	    "\"last_error\":\"exception 2 (illegal data address) at holding 100\","
	    "\"errors\":{\"timeout\":4,\"exception\":5,\"frame\":6,\"connection\":7,\"other\":8}},"
	    "{\"device\":\"ph-meter\",\"state\":\"offline\",\"polls\":3,\"failures\":3,"
	    "\"partial\":0,\"skipped\":0,\"consecutive_failures\":3,\"interval_ms\":80000,"
	    "\"last_poll\":\"2026-01-31T16:59:59.000Z\","
	    "\"last_error\":\"timed out after 1000 ms\","
	    "\"errors\":{\"timeout\":9,\"exception\":0,\"frame\":0,\"connection\":0,\"other\":0}}]"
	    "}");

	/* Valid JSON, read back. */
	json_error_t err;
	json_t *j = json_loads(b.data, 0, &err);
	assert_non_null(j);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "dropped"), "total")), 10);
	json_decref(j);

	/* In memory: no bytes, no oldest without a backlog. */
	h.durable = 0;
	h.backlog = 0;
	h.clock = "synced";
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_payload_health(&station, &h, &b), 0);
	assert_non_null(strstr(b.data, "\"backlog\":{\"durable\":false,\"messages\":0},"));
	assert_null(strstr(b.data, "oldest"));

	/* Refused, buffer untouched. */
	size_t len = b.len;
	h.ndevices = 1;
	assert_int_equal(wwtp_payload_health(&station, &h, &b), WWTP_ERR_INVAL);
	h.ndevices = 2;
	h.clock = NULL;
	assert_int_equal(wwtp_payload_health(&station, &h, &b), WWTP_ERR_INVAL);
	assert_int_equal(b.len, len);
	/* Too small a buffer: rolled back. */
	h.clock = "synced";
	struct wwtp_buf small;
	wwtp_buf_init(&small, 100);
	assert_int_equal(wwtp_payload_health(&station, &h, &small), WWTP_ERR_FULL);
	assert_int_equal(small.len, 0);
	wwtp_buf_free(&small);
	wwtp_buf_free(&b);
}

static void test_state_names(void **state)
{
	struct wwtp_device_health h;
	(void)state;
	memset(&h, 0, sizeof(h));
	assert_string_equal(wwtp_device_state_name(&h), "unknown");
	h.polls = 1;
	assert_string_equal(wwtp_device_state_name(&h), "ok");
	h.last_unread = 2;
	assert_string_equal(wwtp_device_state_name(&h), "partial");
	h.consecutive_failures = 1;
	assert_string_equal(wwtp_device_state_name(&h), "offline");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_clock_flag, setup),
	    cmocka_unit_test_setup(test_health_exact, setup),
	    cmocka_unit_test_setup(test_state_names, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
