/* test_central_ackpub.c - central's end-to-end acknowledgements
 * (central/ingest/ackpub.c): contiguity, floors, the spool's fsync as the moment a
 * message counts, refused messages, republishing after a reconnect, and a
 * publish that fails. The MQTT client is a function that records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../../central/ingest/ackpub.h"
#include "../../util/err.h"

struct rec {
	int n;
	int fail;
	char topic[128];
	json_int_t seq, aseq;
};

static int record(void *ctx, const char *topic, const char *payload, size_t len)
{
	struct rec *r = ctx;
	if (r->fail)
		return WWTP_ERR_CONN;
	json_t *j = json_loadb(payload, len, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "v")), 1);
	r->seq = json_integer_value(json_object_get(j, "seq"));
	r->aseq = json_integer_value(json_object_get(j, "alert_seq"));
	json_decref(j);
	snprintf(r->topic, sizeof(r->topic), "%s", topic);
	r->n++;
	return 0;
}

static void test_contiguous(void **state)
{
	struct rec r = {0};
	struct wwtp_ackpub *a = wwtp_ackpub_new("wwtp", record, &r);
	(void)state;
	assert_non_null(a);
	/* 1, 2, 4 stored: 3 is missing, no floor says it is gone. */
	wwtp_ackpub_note(a, "st-a", 0, 1, 1, 10);
	wwtp_ackpub_note(a, "st-a", 0, 2, 1, 20);
	wwtp_ackpub_note(a, "st-a", 0, 4, 1, 30);
	/* Not synced yet: nothing. */
	wwtp_ackpub_pump(a, 5, 1, 0);
	assert_int_equal(r.n, 0);
	wwtp_ackpub_pump(a, 30, 1, 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.topic, "wwtp/st-a/ack");
	assert_int_equal(r.seq, 2);
	assert_int_equal(r.aseq, 0);
	/* Nothing new: nothing published. */
	wwtp_ackpub_pump(a, 30, 1, 0);
	assert_int_equal(r.n, 1);
	/* 3 arrives (a replay): up to 4. A repeat of 2 changes nothing. */
	wwtp_ackpub_note(a, "st-a", 0, 3, 1, 40);
	wwtp_ackpub_note(a, "st-a", 0, 2, 1, 50);
	wwtp_ackpub_pump(a, 35, 1, 0);
	assert_int_equal(r.n, 1); /* 3 is not synced yet */
	wwtp_ackpub_pump(a, 50, 1, 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.seq, 4);
	/* Alerts count apart. */
	wwtp_ackpub_note(a, "st-a", 1, 1, 1, 50);
	wwtp_ackpub_pump(a, 50, 1, 0);
	assert_int_equal(r.seq, 4);
	assert_int_equal(r.aseq, 1);
	wwtp_ackpub_free(a);
}

static void test_floor_closes_gaps(void **state)
{
	struct rec r = {0};
	struct wwtp_ackpub *a = wwtp_ackpub_new("wwtp", record, &r);
	(void)state;
	/* A central that starts late: it sees 41 first, whose sender holds
	 * nothing below 38; 38..40 come later. */
	wwtp_ackpub_note(a, "st-b", 0, 41, 38, 1);
	wwtp_ackpub_pump(a, 1, 1, 0);
	assert_int_equal(r.seq, 37);
	wwtp_ackpub_note(a, "st-b", 0, 38, 38, 2);
	wwtp_ackpub_note(a, "st-b", 0, 39, 38, 3);
	wwtp_ackpub_pump(a, 3, 1, 0);
	assert_int_equal(r.seq, 39);
	/* 40 was lost at the station (never sent): the next message's floor
	 * (nothing held below 42) closes the gap. */
	wwtp_ackpub_note(a, "st-b", 0, 42, 42, 4);
	wwtp_ackpub_pump(a, 4, 1, 0);
	assert_int_equal(r.seq, 42);
	/* A floor never takes the number back. */
	wwtp_ackpub_note(a, "st-b", 0, 43, 5, 5);
	wwtp_ackpub_pump(a, 5, 1, 0);
	assert_int_equal(r.seq, 43);
	wwtp_ackpub_free(a);
}

static void test_refused_and_publish_failure(void **state)
{
	struct rec r = {0};
	struct wwtp_ackpub *a = wwtp_ackpub_new("wwtp", record, &r);
	static const char bad[] = "{\"v\":1,\"station\":\"st-c\",\"seq\":2,\"floor\":1,"
				  "\"ts\":\"1970-01-01T00:00:00.000Z\"}";
	(void)state;
	wwtp_ackpub_note(a, "st-c", 0, 1, 1, 1);
	/* 2 refused for good (an absurd time): final at once. */
	wwtp_ackpub_note_refused(a, "wwtp/st-c/telemetry", 19, bad, strlen(bad));
	/* Not on our prefix, or not a numbered kind: ignored. */
	wwtp_ackpub_note_refused(a, "other/st-c/telemetry", 20, bad, strlen(bad));
	wwtp_ackpub_note_refused(a, "wwtp/st-c/status", 16, bad, strlen(bad));
	r.fail = 1;
	wwtp_ackpub_pump(a, 1, 1, 0);
	assert_int_equal(r.n, 0);
	/* Tried again at the next pump. */
	r.fail = 0;
	wwtp_ackpub_pump(a, 1, 1, 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.seq, 2);
	/* A reconnect: published again although nothing changed. */
	wwtp_ackpub_pump(a, 1, 2, 0);
	assert_int_equal(r.n, 2);
	struct wwtp_ackpub_stats st;
	wwtp_ackpub_get_stats(a, &st);
	assert_int_equal(st.published, 2);
	assert_int_equal(st.stations, 1);
	wwtp_ackpub_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_contiguous),
	    cmocka_unit_test(test_floor_closes_gaps),
	    cmocka_unit_test(test_refused_and_publish_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
