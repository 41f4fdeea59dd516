/* Store and forward (collector/forward.c) over the real store (an SQLite
 * file) and the real outbox, against a fake MQTT client whose connection
 * and acknowledgements the tests control: nothing leaves before its commit,
 * an acknowledgement deletes, live messages go first and the backlog
 * follows oldest first at its rate, a message the client gives up goes
 * again in order, the window holds, seq survives a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <unistd.h>

#include "../../collector/forward.h"
#include "../../collector/outbox.h"
#include "../../collector/queue.h"
#include "../../collector/store.h"
#include "../../collector/confirm.h"
#include "../../collector/seqmark.h"

/* --- the fake client (fixture.h) ------------------------------------------ */

#define FX_FAKE_MQTT_TOPIC "wwtp/t/telemetry"
#include "fixture.h"
#include "../../util/err.h"
#include "../../collector/forward-private.h"
#include "../../util/timeutil.h"

static void connect_fake(struct wwtp_mqtt *m)
{
	m->connects++;
	m->connected = 1;
}

/* fx_ack(), once per message: here a second answer would be a test bug. */
static void ack(struct wwtp_mqtt *m, size_t i, int ok)
{
	assert_false(m->done[i]);
	fx_ack(m, i, ok);
}

static void ack_all(struct wwtp_mqtt *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (!m->done[i])
			ack(m, i, 1);
}

/* --- fixture ------------------------------------------------------------ */

static char path[256];

struct fx {
	struct wwtp_mqtt m;
	struct wwtp_store *s;
	struct wwtp_outbox *o;
	struct wwtp_forward *f;
};

static void fx_open(struct fx *x, int rate, size_t window)
{
	struct wwtp_forward_cfg cfg = {.commit_ms = 60000, .replay_rate = rate, .window = window};
	assert_int_equal(wwtp_store_open(path, 0, 0, &x->s), 0);
	x->o = wwtp_outbox_new(&x->m, 1000);
	assert_non_null(x->o);
	x->f = wwtp_forward_new(x->s, x->o, &x->m, &cfg);
	assert_non_null(x->f);
}

static void fx_close(struct fx *x)
{
	wwtp_forward_free(x->f);
	wwtp_outbox_free(x->o);
	wwtp_store_close(x->s);
	x->f = NULL;
	x->o = NULL;
	x->s = NULL;
}

static void put(struct fx *x, const char *text, uint64_t seq)
{
	assert_int_equal(wwtp_forward_put(x->f, "wwtp/t/telemetry", text, strlen(text), 1,
					  wwtp_now_ms(), seq, 0),
			 0);
}

/* One loop turn: the outbox takes the acknowledgements, then the forwarder
 * commits (commit = 1: now) and sends. */
static void turn(struct fx *x, int commit)
{
	wwtp_outbox_pump(x->o);
	wwtp_forward_pump(x->f, 1, commit);
}

static uint64_t rows(struct fx *x)
{
	struct wwtp_store_stats st;
	wwtp_store_get_stats(x->s, &st);
	return st.rows;
}

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "%s/wwtp-forward-%d.db",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	char p[300];
	(void)state;
	const char *suffix[] = {"", "-wal", "-shm", ".lock"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
	return 0;
}

/* --- tests --------------------------------------------------------------- */

static void test_commit_before_send_ack_deletes(void **state)
{
	struct fx x = {0};
	(void)state;
	fx_open(&x, 100, 50);
	connect_fake(&x.m);
	turn(&x, 0); /* takes note of the connection */

	put(&x, "a", 1);
	put(&x, "b", 2);
	turn(&x, 0);
	assert_int_equal(x.m.n, 0); /* not committed yet: nothing leaves */
	turn(&x, 1);
	assert_string_equal(fx_sent_from(&x.m, 0), "a b");
	assert_int_equal(rows(&x), 2); /* kept until acknowledged */

	ack(&x.m, 1, 1);
	turn(&x, 1);
	assert_int_equal(rows(&x), 1);
	ack(&x.m, 0, 1);
	turn(&x, 1);
	assert_int_equal(rows(&x), 0);

	struct wwtp_forward_stats fs;
	wwtp_forward_get_stats(x.f, &fs);
	assert_int_equal(fs.stored, 2);
	assert_int_equal(fs.acked, 2);
	assert_int_equal(fs.sent_live, 2);
	assert_int_equal(fs.sent_backlog, 0);
	assert_int_equal(fs.inflight, 0);
	fx_close(&x);
}

static uint64_t syncs(struct fx *x)
{
	struct wwtp_store_stats st;
	wwtp_store_get_stats(x->s, &st);
	return st.syncs;
}

/* A message is committed and sent after publish_ms, unsynced; the WAL is
 * synced commit_ms after the first message of the commit (the power-cut
 * window), once for several commits. */
static void test_publish_then_sync(void **state)
{
	struct fx x = {0};
	struct wwtp_forward_cfg cfg = {
	    .commit_ms = 400, .publish_ms = 20, .replay_rate = 100, .window = 50};
	(void)state;
	assert_int_equal(wwtp_store_open(path, 0, 0, &x.s), 0);
	x.o = wwtp_outbox_new(&x.m, 1000);
	x.f = wwtp_forward_new(x.s, x.o, &x.m, &cfg);
	assert_non_null(x.f);
	connect_fake(&x.m);
	turn(&x, 0);
	int64_t t0 = wwtp_mono_ms();
	put(&x, "a", 1);
	turn(&x, 0);
	assert_int_equal(x.m.n, 0); /* before publish_ms: nothing leaves */
	usleep(40 * 1000);
	turn(&x, 0);
	assert_string_equal(fx_sent_from(&x.m, 0), "a");
	if (wwtp_mono_ms() - t0 < 400)
		assert_int_equal(syncs(&x), 0); /* committed, not synced yet */
	put(&x, "b", 2);
	usleep(40 * 1000);
	turn(&x, 0);
	assert_int_equal(x.m.n, 2);
	while (wwtp_mono_ms() - t0 < 450)
		usleep(20 * 1000);
	turn(&x, 0);
	assert_int_equal(syncs(&x), 1); /* both commits, one sync */
	turn(&x, 0);
	assert_int_equal(syncs(&x), 1); /* nothing new: no sync */
	fx_close(&x);
}

static void test_outage_backlog_then_restart(void **state)
{
	struct fx x = {0};
	(void)state;
	fx_open(&x, 100, 50);

	/* Never connected: everything waits in the store. */
	for (int i = 1; i <= 5; i++) {
		char p[16];
		snprintf(p, sizeof(p), "o%d", i);
		put(&x, p, (uint64_t)i);
	}
	turn(&x, 1);
	assert_int_equal(x.m.n, 0);
	fx_close(&x); /* stopped before the broker came: all stays */

	fx_open(&x, 100, 50);
	assert_int_equal(wwtp_forward_last_seq(x.f), 5);
	connect_fake(&x.m);
	turn(&x, 0);
	/* Backlog at 100/s with one token to start with: one goes now. */
	assert_string_equal(fx_sent_from(&x.m, 0), "o1");
	wwtp_sleep_ms(60, NULL);
	turn(&x, 0);
	assert_string_equal(fx_sent_from(&x.m, 0), "o1 o2 o3 o4 o5");
	ack_all(&x.m);
	turn(&x, 1);
	assert_int_equal(rows(&x), 0);
	fx_close(&x);
}

static void test_live_first_backlog_at_its_rate(void **state)
{
	struct fx x = {0};
	(void)state;
	/* The forwarder's bucket starts with one token when it is made and
	 * earns 20 a second from then on, whatever the test does meanwhile:
	 * under qemu the 60 puts and their commit below take over a second,
	 * and the bucket is full (one second's worth) before the backlog goes. */
	int64_t opened = wwtp_mono_ms();
	fx_open(&x, 20, 100);
	for (int i = 1; i <= 60; i++) {
		char p[16];
		snprintf(p, sizeof(p), "b%d", i);
		put(&x, p, (uint64_t)i);
	}
	turn(&x, 1);
	connect_fake(&x.m);
	int64_t start = wwtp_mono_ms();
	turn(&x, 0);
	size_t before_live = x.m.n;
	put(&x, "live1", 61);
	turn(&x, 1);
	/* The live message goes at once, not behind 60 backlog messages. */
	assert_string_equal(x.m.payload[before_live], "live1");

	/* For half a second the backlog trickles at 20/s, never more than the
	 * tokens earned since the forwarder was made. */
	while (wwtp_mono_ms() - start < 500) {
		ack_all(&x.m);
		turn(&x, 0);
		wwtp_sleep_ms(20, NULL);
	}
	size_t backlog_sent = x.m.n - 1;
	int64_t earned_ms = wwtp_mono_ms() - opened;
	assert_true(backlog_sent >= 5);
	assert_true(backlog_sent <= (size_t)(1 + 20 * earned_ms / 1000));
	/* Oldest first, none twice. */
	for (size_t i = 0, k = 1; i < x.m.n; i++) {
		char want[8];
		if (strcmp(x.m.payload[i], "live1") == 0)
			continue;
		snprintf(want, sizeof(want), "b%zu", k++);
		assert_string_equal(x.m.payload[i], want);
	}
	fx_close(&x);
}

static void test_given_back_goes_again_in_order(void **state)
{
	struct fx x = {0};
	(void)state;
	fx_open(&x, 1000, 50);
	connect_fake(&x.m);
	turn(&x, 0);
	put(&x, "a", 1);
	put(&x, "b", 2);
	put(&x, "c", 3);
	turn(&x, 1);
	assert_string_equal(fx_sent_from(&x.m, 0), "a b c");
	/* The broker lost its session: the client gives a and c up. */
	ack(&x.m, 0, 0);
	ack(&x.m, 1, 1);
	ack(&x.m, 2, 0);
	turn(&x, 1);
	assert_string_equal(fx_sent_from(&x.m, 3), "a c");
	ack_all(&x.m);
	turn(&x, 1);
	assert_int_equal(rows(&x), 0);
	struct wwtp_forward_stats fs;
	wwtp_forward_get_stats(x.f, &fs);
	assert_int_equal(fs.given_back, 2);
	struct wwtp_outbox_stats os;
	wwtp_outbox_get_stats(x.o, &os);
	assert_int_equal(os.dropped, 0); /* not lost: the store had them */
	fx_close(&x);
}

static void test_window_and_disconnect(void **state)
{
	struct fx x = {0};
	(void)state;
	fx_open(&x, 1000, 3);
	connect_fake(&x.m);
	turn(&x, 0);
	for (int i = 1; i <= 7; i++) {
		char p[16];
		snprintf(p, sizeof(p), "w%d", i);
		put(&x, p, (uint64_t)i);
	}
	turn(&x, 1);
	assert_string_equal(fx_sent_from(&x.m, 0), "w1 w2 w3");
	ack(&x.m, 0, 1);
	turn(&x, 0);
	assert_string_equal(fx_sent_from(&x.m, 0), "w1 w2 w3 w4");

	/* The link drops: nothing more goes; after the reconnect the rest is
	 * backlog, and goes in order. */
	x.m.connected = 0;
	ack(&x.m, 1, 1);
	turn(&x, 0);
	assert_int_equal(x.m.n, 4);
	connect_fake(&x.m);
	ack(&x.m, 2, 1);
	ack(&x.m, 3, 1);
	for (int i = 0; i < 20 && x.m.n < 7; i++) {
		turn(&x, 0);
		ack_all(&x.m);
		wwtp_sleep_ms(5, NULL);
	}
	assert_string_equal(fx_sent_from(&x.m, 0), "w1 w2 w3 w4 w5 w6 w7");
	fx_close(&x);
}

static void test_seq_kept_with_its_batch(void **state)
{
	struct fx x = {0};
	(void)state;
	fx_open(&x, 100, 10);
	assert_int_equal(wwtp_forward_last_seq(x.f), 0);
	put(&x, "s1", 1);
	wwtp_forward_set_seq(x.f, 3); /* two polls lost after it */
	turn(&x, 1);
	fx_close(&x);
	fx_open(&x, 100, 10);
	assert_int_equal(wwtp_forward_last_seq(x.f), 3);
	fx_close(&x);
}

/* The in-flight set against a plain array, through many random adds and
 * deletes (deletion shifts members back: every member must stay found). */
static void test_idset(void **state)
{
	struct idset set;
	unsigned char ref[400] = {0};
	size_t n = 0;
	unsigned seed = 12345;
	(void)state;

	assert_int_equal(idset_init(&set, 100), 0);
	for (int k = 0; k < 20000; k++) {
		seed = seed * 1103515245u + 12345u;
		int64_t id = 1 + (int64_t)((seed >> 8) % 399);
		if (ref[id]) {
			assert_true(idset_del(&set, id));
			ref[id] = 0;
			n--;
		} else if (n < 100) {
			idset_add(&set, id);
			ref[id] = 1;
			n++;
		}
		assert_int_equal(set.n, n);
		if (k % 97 == 0)
			for (int64_t i = 1; i < 400; i++)
				assert_int_equal(idset_has(&set, i), ref[i]);
	}
	assert_false(idset_del(&set, 1000));
	free(set.slot);
}

static void test_default_bound(void **state)
{
	struct wwtp_station st;
	struct wwtp_device dev[2];
	struct wwtp_point pts[3];
	uint64_t per_day = 0;
	size_t bytes = 0;
	(void)state;

	memset(&st, 0, sizeof(st));
	memset(dev, 0, sizeof(dev));
	memset(pts, 0, sizeof(pts));
	snprintf(st.id, sizeof(st.id), "t");
	snprintf(st.mqtt.topic_prefix, sizeof(st.mqtt.topic_prefix), "wwtp");
	for (int i = 0; i < 3; i++) {
		snprintf(pts[i].param, sizeof(pts[i].param), "p%d", i);
		snprintf(pts[i].unit, sizeof(pts[i].unit), "mg/L");
	}
	snprintf(dev[0].name, sizeof(dev[0].name), "a");
	dev[0].interval_ms = 10000;
	dev[0].points = pts;
	dev[0].npoints = 2;
	snprintf(dev[1].name, sizeof(dev[1].name), "b");
	dev[1].interval_ms = 30000;
	dev[1].points = pts + 2;
	dev[1].npoints = 1;
	st.devices = dev;
	st.ndevices = 2;
	uint64_t b = wwtp_forward_default_bytes(&st, 60, &per_day, &bytes);
	assert_int_equal(per_day, 8640 + 2880);
	assert_true(bytes > 300 && bytes < 2000);
	/* 60 days of it, a quarter more, never below 16 MB. */
	assert_true(b >= (uint64_t)(60.0 * per_day * bytes));
	assert_true(b <= (uint64_t)(60.0 * per_day * bytes * 1.3));
	assert_int_equal(wwtp_forward_default_bytes(&st, 1, NULL, NULL), 16ull * 1024 * 1024);
}

/* With confirmations the broker's PUBACK deletes nothing: central's ack
 * does, up to its number; the floor is the lowest number held. */
static void test_confirm_deletes(void **state)
{
	struct fx x = {0};
	struct wwtp_forward_cfg cfg = {.commit_ms = 60000, .replay_rate = 100, .window = 50};
	static const char ack2[] = "{\"v\":1,\"station\":\"t\",\"seq\":2,\"alert_seq\":0}";
	(void)state;
	cfg.acks = wwtp_confirm_new("t");
	assert_non_null(cfg.acks);
	assert_int_equal(wwtp_store_open(path, 0, 0, &x.s), 0);
	x.o = wwtp_outbox_new(&x.m, 1000);
	x.f = wwtp_forward_new(x.s, x.o, &x.m, &cfg);
	assert_non_null(x.f);
	connect_fake(&x.m);
	turn(&x, 0);
	put(&x, "a", 1);
	put(&x, "b", 2);
	put(&x, "c", 3);
	assert_int_equal(wwtp_forward_floor(x.f, 0, 4), 1);
	turn(&x, 1);
	ack_all(&x.m);
	turn(&x, 1);
	assert_int_equal(rows(&x), 3); /* the broker has them, central has not said */
	/* Not an ack of this station, or not an ack: ignored. */
	assert_int_equal(wwtp_confirm_feed(cfg.acks,
					   "{\"v\":1,\"station\":\"u\",\"seq\":9,"
					   "\"alert_seq\":0}",
					   44),
			 WWTP_ERR_INVAL);
	assert_int_equal(wwtp_confirm_feed(cfg.acks, "garbage", 7), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_confirm_feed(cfg.acks, ack2, strlen(ack2)), 0);
	turn(&x, 1);
	assert_int_equal(rows(&x), 1); /* 3 waits */
	assert_int_equal(wwtp_forward_floor(x.f, 0, 4), 3);
	assert_int_equal(wwtp_forward_floor(x.f, 1, 1), 1); /* no alert held */
	fx_close(&x);
	wwtp_confirm_free(cfg.acks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_confirm_deletes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_before_send_ack_deletes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_publish_then_sync, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outage_backlog_then_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_live_first_backlog_at_its_rate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_given_back_goes_again_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_window_and_disconnect, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seq_kept_with_its_batch, setup, teardown),
	    cmocka_unit_test(test_idset),
	    cmocka_unit_test(test_default_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
