/* The collector's outbox (collector/outbox.c, compiled in here) against a
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

#include "../../collector/outbox.c"
#include "../../collector/queue.c"

/* --- the fake client ---------------------------------------------------- */

#define FAKE_MAX 64

struct wwtp_mqtt {
	uint64_t connects;
	int refuse;            /* 0, or the error wwtp_mqtt_publish returns */
	uint64_t next_token;
	size_t n;              /* messages accepted */
	uint64_t token[FAKE_MAX];
	char payload[FAKE_MAX][32];
	wwtp_mqtt_ack_cb cb;
	void *ctx;
};

int wwtp_mqtt_publish(struct wwtp_mqtt *m, const char *topic, const void *payload, size_t len,
		      int qos, int retained, uint64_t *token_out)
{
	assert_string_equal(topic, "wwtp/t1/telemetry");
	assert_int_equal(qos, 1);
	assert_int_equal(retained, 0);
	if (m->refuse)
		return m->refuse;
	assert_true(m->n < FAKE_MAX);
	assert_true(len < sizeof(m->payload[0]));
	m->token[m->n] = ++m->next_token;
	memcpy(m->payload[m->n], payload, len);
	m->payload[m->n][len] = '\0';
	m->n++;
	*token_out = m->next_token;
	return 0;
}

void wwtp_mqtt_get_stats(struct wwtp_mqtt *m, struct wwtp_mqtt_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->connects = m->connects;
}

void wwtp_mqtt_set_ack_cb(struct wwtp_mqtt *m, wwtp_mqtt_ack_cb cb, void *ctx)
{
	m->cb = cb;
	m->ctx = ctx;
}

/* Acknowledges (ok = 1) or gives up (ok = 0) the i-th accepted message. */
static void ack(struct wwtp_mqtt *m, size_t i, int ok)
{
	assert_non_null(m->cb);
	m->cb(m->token[i], ok, m->ctx);
}

/* --- helpers ------------------------------------------------------------- */

static void put(struct wwtp_outbox *o, const char *text, int want)
{
	assert_int_equal(wwtp_outbox_put(o, "wwtp/t1/telemetry", text, strlen(text), 1, 0), want);
}

/* The payloads the client accepted, joined by spaces. */
static const char *sent(struct wwtp_mqtt *m)
{
	static char all[FAKE_MAX * 33];
	size_t at = 0;
	all[0] = '\0';
	for (size_t i = 0; i < m->n; i++)
		at += (size_t)snprintf(all + at, sizeof(all) - at, "%s%s", i ? " " : "",
				       m->payload[i]);
	return all;
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
	assert_string_equal(sent(&m), "a b c");
	assert_int_equal(stats(o).held, 0);
	assert_int_equal(stats(o).inflight, 3);
	assert_int_equal(wwtp_outbox_pending(o), 3);

	put(o, "d", 0); /* nothing held: straight to the client */
	assert_string_equal(sent(&m), "a b c d");

	ack(&m, 1, 1);
	ack(&m, 0, 1);
	wwtp_outbox_pump(o);
	assert_int_equal(stats(o).acked, 2);
	assert_int_equal(wwtp_outbox_pending(o), 2);
	assert_int_equal(wwtp_outbox_flush(o, 50), WWTP_ERR_TIMEOUT);
	ack(&m, 3, 1);
	ack(&m, 2, 1);
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
	assert_string_equal(sent(&m), "a b c");

	/* Any other refusal is final: dropped and counted. */
	m.refuse = WWTP_ERR_INVAL;
	put(o, "x", WWTP_ERR_INVAL);
	m.refuse = 0;
	assert_int_equal(stats(o).dropped, 1);
	for (size_t i = 0; i < 3; i++)
		ack(&m, i, 1);
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
	ack(&m, 2, 0);
	ack(&m, 1, 1);
	ack(&m, 0, 0);
	wwtp_outbox_pump(o);
	/* Sent again, oldest first, with new tokens. */
	assert_string_equal(sent(&m), "a b c d a c");
	assert_true(m.token[4] != m.token[0]);
	struct wwtp_outbox_stats s = stats(o);
	assert_int_equal(s.retried, 2);
	assert_int_equal(s.acked, 1);
	assert_int_equal(s.inflight, 3);
	assert_int_equal(s.dropped, 0);

	/* An acknowledgement for a token no longer in flight changes nothing. */
	ack(&m, 0, 1);
	wwtp_outbox_pump(o);
	assert_int_equal(stats(o).acked, 1);

	ack(&m, 3, 1);
	ack(&m, 4, 1);
	ack(&m, 5, 1);
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
		ack(&m, (size_t)i, 0);
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
	assert_string_equal(sent(&m), "a b");
	ack(&m, 0, 1);
	wwtp_outbox_pump(o);
	assert_string_equal(sent(&m), "a b d");

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
