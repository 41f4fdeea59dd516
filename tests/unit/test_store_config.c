/* The `store` group of a station file (station/store_config.c, through the
 * loader): the values given, the defaults with and without the group, and
 * each kind of mistake refused with its FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../model/station.h"
#include "../../station/station_config.h"
#include "../../util/diag.h"
#include "../../util/err.h"
#include "fixture.h"

static char path[256];

static const char *head =
    "station = { id = \"t1\"; name = \"Test\"; plan = \"qd6613\"; };\n"
    "devices = ( { name = \"outlet\"; transport = \"tcp\"; host = \"127.0.0.1\"; port = 1502;\n"
    "    unit_id = 1; points = ( { param = \"cod\"; table = \"holding\"; address = 0;\n"
    "    type = \"float32\"; } ); } );\n"
    "mqtt = { uri = \"tcp://127.0.0.1:1883\"; };\n";

/* Loads head + tail; returns the loader's code, *st on success, the
 * messages joined by newlines in msgs. */
static int load(const char *tail, struct wwtp_station **st, char *msgs, size_t n)
{
	struct wwtp_diag *d = wwtp_diag_new();
	char text[2048];
	int rc;

	snprintf(path, sizeof(path), "%s/wwtp-store-config-%d.cfg",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	snprintf(text, sizeof(text), "%s%s", head, tail);
	fx_write(path, text);
	rc = wwtp_station_load(path, NULL, st, d);
	fx_diag_join(d, msgs, n);
	wwtp_diag_free(d);
	unlink(path);
	return rc;
}

static void test_given_and_defaults(void **state)
{
	struct wwtp_station *st = NULL;
	char msgs[2048];
	(void)state;

	assert_int_equal(
	    load("store = { path = \"/data/t1.db\"; max_mb = 512; max_age_days = 30;\n"
		 "  commit_ms = 1000; publish_ms = 50; replay_rate = 50; reserve_kb = 0; };\n",
		 &st, msgs, sizeof(msgs)),
	    0);
	assert_true(st->store.present);
	assert_string_equal(st->store.path, "/data/t1.db");
	assert_int_equal(st->store.max_mb, 512);
	assert_int_equal(st->store.max_age_days, 30);
	assert_int_equal(st->store.commit_ms, 1000);
	assert_int_equal(st->store.publish_ms, 50);
	assert_int_equal(st->store.replay_rate, 50);
	assert_int_equal(st->store.reserve_kb, 0); /* none */
	assert_int_equal(st->store.line, 6);
	wwtp_station_free(st);

	/* An empty group: every default, and it is there. */
	assert_int_equal(load("store = { };\n", &st, msgs, sizeof(msgs)), 0);
	assert_true(st->store.present);
	assert_string_equal(st->store.path, "");
	assert_int_equal(st->store.max_mb, 0); /* 0: 60 days of this station */
	assert_int_equal(st->store.max_age_days, 60);
	assert_int_equal(st->store.commit_ms, 5000);
	assert_int_equal(st->store.publish_ms, 200);
	assert_int_equal(st->store.replay_rate, 500);
	assert_int_equal(st->store.reserve_kb, -1); /* the store's own size */
	wwtp_station_free(st);

	/* No group: the same defaults, and not present. */
	assert_int_equal(load("", &st, msgs, sizeof(msgs)), 0);
	assert_false(st->store.present);
	assert_int_equal(st->store.max_age_days, 60);
	assert_int_equal(st->store.commit_ms, 5000);
	assert_int_equal(st->store.reserve_kb, -1);
	wwtp_station_free(st);
}

static void test_mistakes(void **state)
{
	struct wwtp_station *st = NULL;
	char msgs[4096];
	(void)state;

	assert_int_equal(load("store = { max_mb = 0; colour = 1; path = \"\";\n"
			      "  commit_ms = 5; replay_rate = \"fast\"; max_age_days = 4000; };\n",
			      &st, msgs, sizeof(msgs)),
			 WWTP_ERR_CONFIG);
	assert_null(st);
	static const char *const want[] = {
	    ":6: unknown key 'colour' in store (known keys: path, max_mb, max_age_days, commit_ms, "
	    "publish_ms, replay_rate, confirm, confirm_timeout_s, reserve_kb)",
	    ":6: store: max_mb 0 out of range 1..1048576",
	    ":6: store: path must not be empty",
	    ":7: store: commit_ms 5 out of range 10..600000",
	    ":7: store: replay_rate must be an integer, not a string",
	    ":7: store: max_age_days 4000 out of range 1..3650",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!strstr(msgs, want[i]))
			fprintf(stderr, "wanted ...%s... in:\n%s", want[i], msgs);
		assert_non_null(strstr(msgs, want[i]));
	}

	assert_int_equal(load("store = \"/data/t1.db\";\n", &st, msgs, sizeof(msgs)),
			 WWTP_ERR_CONFIG);
	assert_non_null(strstr(msgs, ":6: store must be a group"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_given_and_defaults),
	    cmocka_unit_test(test_mistakes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
