/* test_tt10_config.c - the `tt10` group of a station file, through the
 * station loader: every value and default of valid groups, relative paths,
 * server names and TLS from the URL, and one FILE:LINE diagnostic for each
 * kind of mistake. Files are written to a mkdtemp() folder laid out as
 * config/ is (<tmp>/stations/, <tmp>/profiles/). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../station/station_config.h"
#include "../../station/tt10_config.h"
#include "../../util/diag.h"
#include "../../util/err.h"
#include "fixture.h"

static char tmpdir[] = "/tmp/wwtp-test-tt10cfg-XXXXXX";
static char station_dir[600];
static char station_path[700];

static int group_setup(void **state)
{
	static const char *const subdirs[] = {"stations", "profiles", NULL};
	(void)state;
	if (fx_mkdtemp(tmpdir, subdirs) != 0)
		return -1;
	snprintf(station_dir, sizeof(station_dir), "%s/stations", tmpdir);
	snprintf(station_path, sizeof(station_path), "%s/t.cfg", station_dir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_rmtree(tmpdir);
}

/* Lines 1-9: a station with cod and ph polled every second and tss every
 * 10 minutes; the tt10 group starts on line 10:
 *   10 tt10 = { HEAD
 *   11   params = ( PARAMS );
 *   12   UPLOAD
 *   13   EXTRA
 *   14 }; */
static const char *const base = "station = { id = \"t\"; name = \"T\"; plan = \"qd6613\"; };\n"
				"devices = (\n"
				"  { name = \"d1\"; transport = \"tcp\"; host = \"127.0.0.1\"; "
				"unit_id = 1; interval_ms = 1000;\n"
				"    points = ( { param = \"cod\"; table = \"holding\"; address = "
				"0; type = \"float32\"; unit = \"mg/L\"; },\n"
				"               { param = \"ph\"; table = \"holding\"; address = "
				"2; type = \"float32\"; unit = \"pH\"; } ); },\n"
				"  { name = \"slow\"; transport = \"tcp\"; host = \"127.0.0.1\"; "
				"unit_id = 2; interval_ms = 600000;\n"
				"    points = ( { param = \"tss\"; table = \"holding\"; address = "
				"0; type = \"float32\"; unit = \"mg/L\"; } ); }\n"
				");\n"
				"mqtt = { uri = \"tcp://127.0.0.1:1883\"; };\n";

#define HEAD "province = \"HN\"; facility = \"THANHTHUY\"; station = \"NT01\"; dir = \"/tmp/x\";"
#define PARAMS "{ param = \"cod\"; code = \"COD\"; decimals = 1; }"

struct tt {
	const char *head, *params, *upload, *extra;
	const char *whole; /* instead of the group, on line 10 */
};

static void write_station(const struct tt *t)
{
	FILE *f = fopen(station_path, "w");
	assert_non_null(f);
	fputs(base, f);
	if (t->whole)
		fprintf(f, "%s\n", t->whole);
	else
		fprintf(f, "tt10 = { %s\n  params = ( %s );\n  %s\n  %s\n};\n",
			t->head ? t->head : HEAD, t->params ? t->params : PARAMS,
			t->upload ? t->upload : "", t->extra ? t->extra : "");
	assert_int_equal(fclose(f), 0);
}

static struct wwtp_station *load_ok(const struct tt *t)
{
	write_station(t);
	struct wwtp_station *st = fx_station_ok(station_path, NULL);
	assert_non_null(st->tt10);
	return st;
}

/* The load fails with an entry "<station file>:<line>: ...want...". */
static void expect(const struct tt *t, int line, const char *want)
{
	write_station(t);
	fx_station_fails(station_path, station_path, line, want);
}

#define EXPECT(line, want, ...)                                                                    \
	do {                                                                                       \
		struct tt t_ = {__VA_ARGS__};                                                      \
		expect(&t_, line, want);                                                           \
	} while (0)

static void test_no_group(void **state)
{
	(void)state;
	fx_write(station_path, base);
	struct wwtp_station *st = fx_station_ok(station_path, NULL);
	assert_null(st->tt10);
	wwtp_station_free(st);
}

static void test_defaults(void **state)
{
	(void)state;
	struct tt t = {.params = "{ param = \"ph\"; code = \"pH\"; }"};
	struct wwtp_station *st = load_ok(&t);
	const struct wwtp_tt10_config *c = st->tt10;

	assert_int_equal(c->enabled, 1);
	assert_string_equal(c->province, "HN");
	assert_string_equal(c->facility, "THANHTHUY");
	assert_string_equal(c->station, "NT01");
	assert_string_equal(c->dir, "/tmp/x");
	assert_int_equal(c->period_s, 300);
	assert_int_equal(c->layout, WWTP_TT10_LINES);
	assert_int_equal(c->stamp, WWTP_TT10_STAMP_END);
	assert_int_equal(c->crlf, 0);
	assert_int_equal(c->max_age_days, 60);
	assert_int_equal(c->max_mb, 512);
	assert_int_equal(c->retry_max_s, 60);
	assert_int_equal(c->nservers, 0);
	assert_int_equal(c->nparams, 1);
	assert_string_equal(c->params[0].param, "ph");
	assert_string_equal(c->params[0].code, "pH");
	assert_string_equal(c->params[0].unit, "pH"); /* the point's */
	assert_int_equal(c->params[0].decimals, 2);
	assert_int_equal(c->params[0].line, 11);
	assert_int_equal(c->line, 10);
	wwtp_station_free(st);
}

static void test_every_key(void **state)
{
	(void)state;
	struct tt t = {
	    .head =
		"enabled = false; province = \"HN\"; facility = \"CCN-TT\"; station = \"NT01\"; "
		"dir = \"data/tt10\";",
	    .params = "{ param = \"cod\"; code = \"COD\"; decimals = 1; }, "
		      "{ param = \"ph\"; code = \"pH\"; decimals = 0; unit = \"-\"; }",
	    .upload =
		"upload = ( { url = \"ftp://127.0.0.1:2121/inbox/\"; user = \"u\"; "
		"password_file = \"secret/pw\"; remote_dir = \"%Y/%m/%d/\"; tls = \"required\"; "
		"ca_file = \"/etc/ssl/ca.pem\"; timeout_s = 30; },"
		" { name = \"backup\"; url = \"ftps://Recv.Example.VN/\"; } );",
	    .extra = "period_s = 600; layout = \"single\"; stamp = \"start\"; crlf = true; "
		     "max_age_days = 90; max_mb = 100; retry_max_s = 5;"};
	struct wwtp_station *st = load_ok(&t);
	const struct wwtp_tt10_config *c = st->tt10;
	char want[800];

	assert_int_equal(c->enabled, 0);
	assert_string_equal(c->facility, "CCN-TT");
	/* Relative paths are relative to the station file's folder. */
	snprintf(want, sizeof(want), "%s/data/tt10", station_dir);
	assert_string_equal(c->dir, want);
	assert_int_equal(c->period_s, 600);
	assert_int_equal(c->layout, WWTP_TT10_SINGLE);
	assert_int_equal(c->stamp, WWTP_TT10_STAMP_START);
	assert_int_equal(c->crlf, 1);
	assert_int_equal(c->max_age_days, 90);
	assert_int_equal(c->max_mb, 100);
	assert_int_equal(c->retry_max_s, 5);
	assert_int_equal(c->nparams, 2);
	assert_string_equal(c->params[0].unit, "mg/L");
	assert_int_equal(c->params[0].decimals, 1);
	assert_string_equal(c->params[1].unit, "-");
	assert_int_equal(c->params[1].decimals, 0);

	assert_int_equal(c->nservers, 2);
	const struct wwtp_tt10_server *s = &c->servers[0];
	assert_string_equal(s->name, "127.0.0.1-2121"); /* from host:port */
	assert_string_equal(s->url, "ftp://127.0.0.1:2121/inbox/");
	assert_string_equal(s->user, "u");
	snprintf(want, sizeof(want), "%s/secret/pw", station_dir);
	assert_string_equal(s->password_file, want);
	assert_string_equal(s->remote_dir, "%Y/%m/%d/");
	assert_int_equal(s->tls, WWTP_TT10_TLS_REQUIRED);
	assert_string_equal(s->ca_file, "/etc/ssl/ca.pem");
	assert_int_equal(s->timeout_s, 30);
	s = &c->servers[1];
	assert_string_equal(s->name, "backup");
	assert_string_equal(s->user, "anonymous");
	assert_string_equal(s->password_file, "");
	assert_int_equal(s->tls, WWTP_TT10_TLS_IMPLICIT);
	assert_int_equal(s->timeout_s, 60);
	wwtp_station_free(st);

	/* A default name is lowercased host[:port]. */
	struct tt t2 = {.upload = "upload = ( { url = \"ftp://Recv.Example.VN/in/\"; } );"};
	st = load_ok(&t2);
	assert_string_equal(st->tt10->servers[0].name, "recv.example.vn");
	assert_int_equal(st->tt10->servers[0].tls, WWTP_TT10_TLS_NONE);
	wwtp_station_free(st);
}

static void test_group_errors(void **state)
{
	(void)state;
	EXPECT(10, "tt10 must be a group", .whole = "tt10 = 5;");
	EXPECT(13, "unknown key 'perod_s' in tt10", .extra = "perod_s = 60;");
	EXPECT(10, "missing required key 'station'",
	       .head = "province = \"HN\"; facility = \"F\"; dir = \"/tmp/x\";");
	EXPECT(10, "province \"H_N\" may only contain",
	       .head = "province = \"H_N\"; facility = \"F\"; station = \"S\"; dir = \"/tmp/x\";");
	EXPECT(10, "facility must not be empty",
	       .head = "province = \"HN\"; facility = \"\"; station = \"S\"; dir = \"/tmp/x\";");
	EXPECT(13, "period_s 7 is not allowed: use a divisor of 86400", .extra = "period_s = 7;");
	EXPECT(13, "period_s 2 out of range 5..86400", .extra = "period_s = 2;");
	EXPECT(13, "max_age_days 30 out of range 60..3650", .extra = "max_age_days = 30;");
	EXPECT(13, "layout \"one\" is not valid", .extra = "layout = \"one\";");
	EXPECT(13, "stamp \"middle\" is not valid", .extra = "stamp = \"middle\";");
	EXPECT(13, "crlf must be true or false", .extra = "crlf = 1;");
	EXPECT(11, "params is empty", .params = "");
}

static void test_param_errors(void **state)
{
	(void)state;
	EXPECT(11, "param 'bod5' is not a param of this station",
	       .params = "{ param = \"bod5\"; code = \"BOD5\"; }");
	EXPECT(11, "code 'COD' is given to two params",
	       .params =
		   "{ param = \"cod\"; code = \"COD\"; }, { param = \"ph\"; code = \"COD\"; }");
	EXPECT(11, "param 'cod' is listed twice",
	       .params =
		   "{ param = \"cod\"; code = \"COD\"; }, { param = \"cod\"; code = \"C2\"; }");
	EXPECT(11, "decimals 7 out of range 0..6",
	       .params = "{ param = \"cod\"; code = \"COD\"; decimals = 7; }");
	EXPECT(11, "unknown key 'digits' in tt10: params #1",
	       .params = "{ param = \"cod\"; code = \"COD\"; digits = 1; }");
	EXPECT(11, "code \"N H4\" may only contain",
	       .params = "{ param = \"cod\"; code = \"N H4\"; }");
	EXPECT(11, "device 'slow' is polled every 600000 ms",
	       .params = "{ param = \"tss\"; code = \"TSS\"; }");
	EXPECT(11, "the unit holds a control character",
	       .params = "{ param = \"cod\"; code = \"COD\"; unit = \"mg\\tL\"; }");
	EXPECT(11, "params #1 must be a group", .params = "\"cod\"");
	/* Polled every 10 min: fine once the period is as long. */
	struct tt ok = {.params = "{ param = \"tss\"; code = \"TSS\"; }",
			.extra = "period_s = 600;"};
	wwtp_station_free(load_ok(&ok));
}

static void test_upload_errors(void **state)
{
	(void)state;
	EXPECT(12, "url must start with ftp:// or ftps://",
	       .upload = "upload = ( { url = \"http://h/in/\"; } );");
	EXPECT(12, "url must not hold a user or password",
	       .upload = "upload = ( { url = \"ftp://u:pw@h/in/\"; } );");
	EXPECT(12, "must end with '/'", .upload = "upload = ( { url = \"ftp://h/in\"; } );");
	EXPECT(12, "must end with '/'", .upload = "upload = ( { url = \"ftp://h\"; } );");
	EXPECT(12, "url has no host", .upload = "upload = ( { url = \"ftp:///in/\"; } );");
	EXPECT(12, "url must not hold spaces",
	       .upload = "upload = ( { url = \"ftp://h/a b/\"; } );");
	EXPECT(12, "tls does not apply to an ftps:// url",
	       .upload = "upload = ( { url = \"ftps://h/\"; tls = \"required\"; } );");
	EXPECT(12, "tls \"yes\" is not valid",
	       .upload = "upload = ( { url = \"ftp://h/\"; tls = \"yes\"; } );");
	EXPECT(12, "remote_dir \"%x/\": the only conversions",
	       .upload = "upload = ( { url = \"ftp://h/\"; remote_dir = \"%x/\"; } );");
	EXPECT(12, "remote_dir \"/abs/\": it must not start with '/'",
	       .upload = "upload = ( { url = \"ftp://h/\"; remote_dir = \"/abs/\"; } );");
	EXPECT(12, "two servers are named 'h'",
	       .upload = "upload = ( { url = \"ftp://h/\"; }, { url = \"ftp://h/other/\"; } );");
	EXPECT(12, "unknown key 'password' in tt10: upload #1",
	       .upload = "upload = ( { url = \"ftp://h/\"; password = \"x\"; } );");
	EXPECT(12, "missing required key 'url'", .upload = "upload = ( { user = \"u\"; } );");
	EXPECT(12, "at most 4 upload servers",
	       .upload = "upload = ( { url = \"ftp://a/\"; }, { url = \"ftp://b/\"; }, { url = "
			 "\"ftp://c/\"; }, { url = \"ftp://d/\"; }, { url = \"ftp://e/\"; } );");
	EXPECT(12, "timeout_s 1 out of range 5..3600",
	       .upload = "upload = ( { url = \"ftp://h/\"; timeout_s = 1; } );");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_group),	 cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_every_key),	 cmocka_unit_test(test_group_errors),
	    cmocka_unit_test(test_param_errors), cmocka_unit_test(test_upload_errors),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
