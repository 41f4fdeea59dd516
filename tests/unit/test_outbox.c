/* The collector's outbox (collector/outbox.c) against a
 * fake MQTT client whose connection, refusals and acknowledgements the
 * tests control: holding before the first connection, order, retries when
 * the client gives a message up, bounds, and what flush reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../collector/outbox.h"
#include "../../collector/queue.h"

/* --- the fake client (fixture.h) ------------------------------------------ */

#define FX_FAKE_MQTT_TOPIC "wwtp/t1/telemetry"
#include "fixture.h"
#include "../../util/err.h"

/* --- helpers ------------------------------------------------------------- */

static void put(struct wwtp_outbox *o, const char *text, int want)
{
	assert_int_equal(wwtp_outbox_put(o, "wwtp/t1/telemetry", text, strlen(text), 1, 0), want);
}

static struct wwtp_outbox_stats stats(struct wwtp_outbox *o)
{
	struct wwtp_outbox_stats s;
	wwtp_outbox_get_stats(o, &s);
	return s;
}

/* --- tests --------------------------------------------------------------- */

static void test_held_until_connected(void **state)
{
	struct wwtp_mqtt m = {0};
	(void)state;
	struct wwtp_outbox *o = wwtp_outbox_new(&m, 8);
	assert_non_null(o);
	assert_ptr_equal(m.ctx, o);

	put(o, "a", 0);
	put(o, "b", 0);
	wwtp_outbox_pump(o);
	assert_int_equal(m.n, 0); /* the client takes nothing before it connected */
	assert_int_equal(stats(o).held, 2);
	assert_int_equal(wwtp_outbox_flush(o, 0), WWTP_ERR_TIMEOUT);

	m.connects = 1;
	put(o, "c", 0); /* behind the held ones, not ahead */
	assert_int_equal(m.n, 0);
	wwtp_outbox_pump(o);
	assert_string_equal(fx_sent_from(&m, 0), "a b c");
	assert_int_equal(stats(o).held, 0);
	assert_int_equal(stats(o).inflight, 3);
	assert_int_equal(wwtp_outbox_pending(o), 3);

	put(o, "d", 0); /* nothing held: straight to the client */
	assert_string_equal(fx_sent_from(&m, 0), "a b c d");

	fx_ack(&m, 1, 1);
	fx_ack(&m, 0, 1);
	wwtp_outbox_pump(o);
	assert_int_equal(stats(o).acked, 2);
	assert_int_equal(wwtp_outbox_pending(o), 2);
	assert_int_equal(wwtp_outbox_flush(o, 50), WWTP_ERR_TIMEOUT);
	fx_ack(&m, 3, 1);
	fx_ack(&m, 2, 1);
	assert_int_equal(wwtp_outbox_flush(o, 0), 0);
	struct wwtp_outbox_stats s = stats(o);
	assert_int_equal(s.put, 4);
	assert_int_equal(s.acked, 4);
	assert_int_equal(s.dropped, 0);
	assert_int_equal(s.retried, 0);
	wwtp_outbox_free(o);
	assert_null(m.cb); /* unregistered */
}

static void test_client_refuses(void **state)
{
	struct wwtp_mqtt m = {.connects = 1};
	(void)state;
	struct wwtp_outbox *o = wwtp_outbox_new(&m, 8);

	/* Full or disconnected: held and tried again later, in order. */
	m.refuse = WWTP_ERR_FULL;
	put(o, "a", 0);
	m.refuse = WWTP_ERR_CONN;
	put(o, "b", 0);
	wwtp_outbox_pump(o);
	assert_int_equal(stats(o).held, 2);
	m.refuse = 0;
	put(o, "c", 0);
	assert_int_equal(m.n, 0);
	wwtp_outbox_pump(o);
	assert_string_equal(fx_sent_from(&m, 0), "a b c");

	/* Any other refusal is final: dropped and counted. */
	m.refuse = WWTP_ERR_INVAL;
	put(o, "x", WWTP_ERR_INVAL);
	m.refuse = 0;
	assert_int_equal(stats(o).dropped, 1);
	for (size_t i = 0; i < 3; i++)
		fx_ack(&m, i, 1);
	assert_int_equal(wwtp_outbox_flush(o, 0), WWTP_ERR_MQTT); /* one never made it */
	wwtp_outbox_free(o);
}

static void test_retry_given_up(void **state)
{
	struct wwtp_mqtt m = {.connects = 1};
	(void)state;
	struct wwtp_outbox *o = wwtp_outbox_new(&m, 8);

	put(o, "a", 0);
	put(o, "b", 0);
	put(o, "c", 0);
	put(o, "d", 0);
	/* The broker lost its session: the client gives up a and c (in flight),
	 * b is acknowledged, d still flies. */
	fx_ack(&m, 2, 0);
	fx_ack(&m, 1, 1);
	fx_ack(&m, 0, 0);
	wwtp_outbox_pump(o);
	/* Sent again, oldest first, with new tokens. */
	assert_string_equal(fx_sent_from(&m, 0), "a b c d a c");
	assert_true(m.token[4] != m.token[0]);
	struct wwtp_outbox_stats s = stats(o);
	assert_int_equal(s.retried, 2);
	assert_int_equal(s.acked, 1);
	assert_int_equal(s.inflight, 3);
	assert_int_equal(s.dropped, 0);

	/* An acknowledgement for a token no longer in flight changes nothing. */
	fx_ack(&m, 0, 1);
	wwtp_outbox_pump(o);
	assert_int_equal(stats(o).acked, 1);

	fx_ack(&m, 3, 1);
	fx_ack(&m, 4, 1);
	fx_ack(&m, 5, 1);
	assert_int_equal(wwtp_outbox_flush(o, 0), 0);
	wwtp_outbox_free(o);
}

static void test_tries_used_up(void **state)
{
	struct wwtp_mqtt m = {.connects = 1};
	(void)state;
	struct wwtp_outbox *o = wwtp_outbox_new(&m, 8);

	put(o, "a", 0);
	for (int i = 0; i < WWTP_OUTBOX_TRIES; i++) {
		assert_int_equal(m.n, (size_t)i + 1);
		fx_ack(&m, (size_t)i, 0);
		wwtp_outbox_pump(o);
	}
	assert_int_equal(m.n, WWTP_OUTBOX_TRIES); /* not handed over a sixth time */
	struct wwtp_outbox_stats s = stats(o);
	assert_int_equal(s.retried, WWTP_OUTBOX_TRIES - 1);
	assert_int_equal(s.dropped, 1);
	assert_int_equal(wwtp_outbox_pending(o), 0);
	assert_int_equal(wwtp_outbox_flush(o, 0), WWTP_ERR_MQTT);
	wwtp_outbox_free(o);
}

static void test_bounds(void **state)
{
	struct wwtp_mqtt m = {0};
	(void)state;
	struct wwtp_outbox *o = wwtp_outbox_new(&m, 2);

	/* At most 2 held... */
	put(o, "a", 0);
	put(o, "b", 0);
	put(o, "c", WWTP_ERR_FULL);
	assert_int_equal(stats(o).dropped, 1);

	/* ...and at most 2 with the client: the rest waits here. */
	m.connects = 1;
	wwtp_outbox_pump(o);
	put(o, "d", 0);
	put(o, "e", 0);
	put(o, "f", WWTP_ERR_FULL);
	assert_string_equal(fx_sent_from(&m, 0), "a b");
	fx_ack(&m, 0, 1);
	wwtp_outbox_pump(o);
	assert_string_equal(fx_sent_from(&m, 0), "a b d");

	/* Freeing with messages in flight and held loses them, cleanly. */
	struct wwtp_outbox_stats s = stats(o);
	assert_int_equal(s.held, 1);
	assert_int_equal(s.inflight, 2);
	assert_int_equal(s.dropped, 2);
	wwtp_outbox_free(o);
	wwtp_outbox_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_held_until_connected),
	    cmocka_unit_test(test_client_refuses),
	    cmocka_unit_test(test_retry_given_up),
	    cmocka_unit_test(test_tries_used_up),
	    cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
