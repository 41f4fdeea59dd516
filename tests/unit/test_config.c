/* test_config.c - the station loader: values and defaults of valid files,
 * one diagnostic with the right FILE:LINE for every kind of mistake, the
 * profiles, and every shipped config. Files are written to a mkdtemp()
 * folder laid out as <tmp>/stations/ and <tmp>/profiles/, as in config/. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw, mkdtemp: also when built without the Makefile's flags */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../compliance/evaluator.h"
#include "../../compliance/limits.h"
#include "../../station/station_config.h"
#include "../../util/err.h"
#include "fixture.h"

static char tmpdir[] = "/tmp/wwtp-test-config-XXXXXX";
static char station_path[512];

static int group_setup(void **state)
{
	static const char *const subdirs[] = {"stations", "profiles", NULL};
	(void)state;
	if (fx_mkdtemp(tmpdir, subdirs) != 0)
		return -1;
	snprintf(station_path, sizeof(station_path), "%s/stations/t.cfg", tmpdir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_rmtree(tmpdir);
}

/* Writes text to <tmpdir>/<rel>. */
static void write_file(const char *rel, const char *text)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	fx_write(path, text);
}

/* A station file built from parts; NULL parts take the valid default.
 * Lines: 1 station, 2 "devices = (", 3 device, 4 "points = (", 5 point,
 * 6 end of points and device, 7 ");", 8 mqtt, 9 top-level extra. */
struct parts {
	const char *station, *station_x;
	const char *dev, *dev_x;
	const char *point, *point_x;
	const char *more_points;  /* after the point, on line 5 */
	const char *more_devices; /* after the device, on line 6 */
	const char *mqtt, *mqtt_x;
	const char *top;
};

#define DEF(p, d) ((p) ? (p) : (d))

static char *build(const struct parts *p)
{
	char *buf = malloc(16384);
	assert_non_null(buf);
	snprintf(
	    buf, 16384,
	    "station = { %s %s };\n"
	    "devices = (\n"
	    "  { %s %s\n"
	    "    points = (\n"
	    "      { %s %s } %s\n"
	    "    ); } %s\n"
	    ");\n"
	    "mqtt = { %s %s };\n"
	    "%s\n",
	    DEF(p->station, "id = \"t\"; name = \"T\"; plan = \"qd6613\";"), DEF(p->station_x, ""),
	    DEF(p->dev, "name = \"d1\"; transport = \"tcp\"; host = \"127.0.0.1\"; unit_id = 1;"),
	    DEF(p->dev_x, ""),
	    DEF(p->point, "param = \"cod\"; table = \"holding\"; address = 0; type = \"float32\";"),
	    DEF(p->point_x, ""), DEF(p->more_points, ""), DEF(p->more_devices, ""),
	    DEF(p->mqtt, "uri = \"tcp://127.0.0.1:1883\";"), DEF(p->mqtt_x, ""), DEF(p->top, ""));
	return buf;
}

static int load_text(const char *text, struct wwtp_station **st, struct wwtp_diag *d)
{
	write_file("stations/t.cfg", text);
	return wwtp_station_load(station_path, NULL, st, d);
}

static void dump(const struct wwtp_diag *d)
{
	wwtp_diag_print(d, stderr);
}

/* Loads text and asserts it fails with a message at file:line holding want. */
static void expect_text(const char *text, const char *file, int line, const char *want)
{
	write_file("stations/t.cfg", text);
	fx_station_fails(station_path, file, line, want);
}

static void expect_parts(const struct parts *p, int line, const char *want)
{
	char *text = build(p);
	expect_text(text, station_path, line, want);
	free(text);
}

#define EXPECT(line, want, ...)                                                                    \
	do {                                                                                       \
		struct parts p_ = {__VA_ARGS__};                                                   \
		expect_parts(&p_, line, want);                                                     \
	} while (0)

/* Loads text that must be valid, without a warning; returns the station
 * (caller frees). */
static struct wwtp_station *load_ok(const char *text)
{
	size_t nd;
	write_file("stations/t.cfg", text);
	struct wwtp_station *st = fx_station_ok(station_path, &nd);
	assert_int_equal(nd, 0);
	return st;
}

static const struct wwtp_point *find_point(const struct wwtp_station *st, const char *param)
{
	for (size_t i = 0; i < st->ndevices; i++)
		for (size_t j = 0; j < st->devices[i].npoints; j++)
			if (strcmp(st->devices[i].points[j].param, param) == 0)
				return &st->devices[i].points[j];
	return NULL;
}

/* ---- valid files ---- */

static void test_minimal_defaults(void **state)
{
	(void)state;
	struct parts p = {0};
	char *text = build(&p);
	struct wwtp_station *st = load_ok(text);
	free(text);

	assert_string_equal(st->id, "t");
	assert_string_equal(st->district, "");
	assert_string_equal(st->plan, "qd6613");
	assert_int_equal(st->plan_review, 0);
	assert_true(st->design_flow_m3d == 0.0);
	assert_string_equal(st->path, station_path);
	assert_int_equal(st->ndevices, 1);
	const struct wwtp_device *d = &st->devices[0];
	assert_int_equal(d->transport, WWTP_TRANSPORT_TCP);
	assert_int_equal(d->port, 502);
	assert_int_equal(d->interval_ms, 10000);
	assert_int_equal(d->timeout_ms, 1000);
	assert_int_equal(d->retries, 2);
	assert_int_equal(d->max_gap, 8);
	assert_int_equal(d->max_regs, 125);
	assert_int_equal(d->address_base, 0);
	assert_string_equal(d->profile, "");
	assert_int_equal(d->status.mode, WWTP_STATUS_NONE);
	assert_int_equal(d->baud, 9600);
	assert_int_equal(d->parity, 'N');
	assert_int_equal(d->data_bits, 8);
	assert_int_equal(d->stop_bits, 1);
	assert_int_equal(d->rs485.enabled, 0);
	assert_int_equal(d->rs485.rts, 0);
	assert_int_equal(d->rs485.rts_delay_us, -1);
	assert_int_equal(d->line, 3);
	assert_int_equal(d->npoints, 1);
	const struct wwtp_point *pt = &d->points[0];
	assert_int_equal(pt->order, WWTP_ORDER_ABCD);
	assert_true(pt->scale == 1.0);
	assert_true(pt->offset == 0.0);
	assert_int_equal(pt->bit, -1);
	assert_string_equal(pt->unit, "");
	assert_int_equal(pt->status.mode, WWTP_STATUS_NONE);
	assert_string_equal(pt->source, station_path);
	assert_int_equal(pt->line, 5);
	assert_string_equal(st->mqtt.topic_prefix, "wwtp");
	assert_string_equal(st->mqtt.client_id, "wwtp-collector-t");
	assert_int_equal(st->mqtt.keepalive_s, 30);
	assert_int_equal(st->mqtt.qos, 1);
	wwtp_station_free(st);
}

static const char full_station[] =
    "# every key\n"
    "station = { id = \"thanh-thuy\"; name = \"CCN làng nghề Thanh Thùy\";\n"
    "  district = \"Thanh Oai\"; plan = \"review\"; design_flow_m3d = 1000; };\n"
    "devices = (\n"
    "  { name = \"outlet\"; transport = \"tcp\"; host = \"127.0.0.1\"; port = 15120;\n"
    "    unit_id = 255; interval_ms = 5000; timeout_ms = 500; retries = 0; max_gap = 0;\n"
    "    max_regs = 60; address_base = 1;\n"
    "    status = { table = \"input\"; address = 30101; mode = \"value\"; calibrating = 1;\n"
    "               fault = 2; };\n"
    "    points = (\n"
    "      { param = \"cod\"; table = \"holding\"; address = 40001; type = \"float32\";\n"
    "        order = \"CDAB\"; scale = 2; offset = -1.5; unit = \"mg/L\"; },\n"
    "      { param = \"ph\"; table = \"input\"; address = 30010; type = \"int16\";\n"
    "        scale = 0.01; order = \"BADC\";\n"
    "        status = { address = 41; mode = \"bits\"; calibrating = 0x0001; fault = 0x0006; }; "
    "},\n"
    "      { param = \"tss\"; table = \"holding\"; address = 5; type = \"uint32\"; },\n"
    "      { param = \"flow_total\"; table = \"holding\"; address = 465530; type = \"float64\";\n"
    "        order = \"DCBA\"; },\n"
    "      { param = \"alarm_a\"; table = \"holding\"; address = 40100; type = \"uint16\"; bit = "
    "0; },\n"
    "      { param = \"alarm_b\"; table = \"holding\"; address = 40100; type = \"uint16\"; bit = "
    "15; },\n"
    "      { param = \"pump_run\"; table = \"coil\"; address = 1; type = \"bool\"; },\n"
    "      { param = \"blower_run\"; table = \"discrete\"; address = 10003; type = \"bool\"; },\n"
    "      { param = \"level_hi\"; table = \"discrete\"; address = 100001; type = \"bool\"; },\n"
    "      { param = \"cnt\"; table = \"input\"; address = 300001; type = \"int64\"; }\n"
    "    ); },\n"
    "  { name = \"bus\"; transport = \"rtu\"; serial = \"/dev/ttyUSB0\"; baud = 19200;\n"
    "    parity = \"E\"; data_bits = 7; stop_bits = 2; unit_id = 247;\n"
    "    rs485 = { enabled = true; rts = \"down\"; rts_delay_us = 0; };\n"
    "    points = ( { param = \"temp\"; table = \"holding\"; address = 0; type = \"float32\";\n"
    "                 unit = \"°C\"; } ); }\n"
    ");\n"
    "mqtt = { uri = \"ssl://broker:8883\"; topic_prefix = \"hanoi/wwtp\"; client_id = \"x-1\";\n"
    "         keepalive_s = 0; qos = 2; ca_file = \"/etc/wwtp/ca.crt\"; cert_file = \"c.crt\";\n"
    "         key_file = \"c.key\"; username = \"gw-1@x\"; password_file = \"/etc/wwtp/pw\"; };\n"
    "profiles_dir = \"../profiles\";\n";

static void test_full_values(void **state)
{
	(void)state;
	struct wwtp_station *st = load_ok(full_station);
	assert_string_equal(st->name, "CCN làng nghề Thanh Thùy");
	assert_string_equal(st->district, "Thanh Oai");
	assert_int_equal(st->plan_review, 1);
	assert_true(st->design_flow_m3d == 1000.0);
	assert_int_equal(st->ndevices, 2);

	const struct wwtp_device *d = &st->devices[0];
	assert_string_equal(d->name, "outlet");
	assert_int_equal(d->port, 15120);
	assert_int_equal(d->unit_id, 255);
	assert_int_equal(d->interval_ms, 5000);
	assert_int_equal(d->timeout_ms, 500);
	assert_int_equal(d->retries, 0);
	assert_int_equal(d->max_gap, 0);
	assert_int_equal(d->max_regs, 60);
	assert_int_equal(d->address_base, 1);
	assert_int_equal(d->line, 5);
	assert_int_equal(d->status.mode, WWTP_STATUS_VALUE);
	assert_int_equal(d->status.table, WWTP_TABLE_INPUT);
	assert_int_equal(d->status.address, 100);
	assert_int_equal(d->status.calibrating, 1);
	assert_int_equal(d->status.fault, 2);
	assert_int_equal(d->status.line, 8);
	assert_int_equal(d->npoints, 10);

	const struct wwtp_point *p = find_point(st, "cod");
	assert_non_null(p);
	assert_int_equal(p->table, WWTP_TABLE_HOLDING);
	assert_int_equal(p->address, 0); /* 40001, base 1 */
	assert_int_equal(p->type, WWTP_TYPE_FLOAT32);
	assert_int_equal(p->order, WWTP_ORDER_CDAB);
	assert_true(p->scale == 2.0);
	assert_true(p->offset == -1.5);
	assert_string_equal(p->unit, "mg/L");
	assert_int_equal(p->line, 11);
	p = find_point(st, "ph");
	assert_int_equal(p->address, 9); /* 30010 on input */
	assert_int_equal(p->order, WWTP_ORDER_BADC);
	assert_true(p->scale == 0.01);
	assert_int_equal(p->status.mode, WWTP_STATUS_BITS);
	assert_int_equal(p->status.table, WWTP_TABLE_HOLDING);
	assert_int_equal(p->status.address, 40); /* 41, base 1, plain */
	assert_int_equal(p->status.calibrating, 0x0001);
	assert_int_equal(p->status.fault, 0x0006);
	assert_int_equal(find_point(st, "tss")->address, 4); /* 5 -> 4 */
	assert_int_equal(find_point(st, "flow_total")->address, 65529);
	assert_int_equal(find_point(st, "flow_total")->order, WWTP_ORDER_DCBA);
	assert_int_equal(find_point(st, "alarm_a")->address, 99);
	assert_int_equal(find_point(st, "alarm_a")->bit, 0);
	assert_int_equal(find_point(st, "alarm_b")->bit, 15);
	assert_int_equal(find_point(st, "pump_run")->address, 0);
	assert_int_equal(find_point(st, "pump_run")->table, WWTP_TABLE_COIL);
	assert_int_equal(find_point(st, "blower_run")->address, 2);
	assert_int_equal(find_point(st, "level_hi")->address, 0);
	assert_int_equal(find_point(st, "cnt")->address, 0);
	assert_int_equal(find_point(st, "cnt")->table, WWTP_TABLE_INPUT);

	d = &st->devices[1];
	assert_int_equal(d->transport, WWTP_TRANSPORT_RTU);
	assert_string_equal(d->serial, "/dev/ttyUSB0");
	assert_int_equal(d->baud, 19200);
	assert_int_equal(d->parity, 'E');
	assert_int_equal(d->data_bits, 7);
	assert_int_equal(d->stop_bits, 2);
	assert_int_equal(d->unit_id, 247);
	assert_int_equal(d->rs485.enabled, 1);
	assert_int_equal(d->rs485.rts, 2);
	assert_int_equal(d->rs485.rts_delay_us, 0);
	assert_string_equal(find_point(st, "temp")->unit, "°C");

	assert_string_equal(st->mqtt.uri, "ssl://broker:8883");
	assert_string_equal(st->mqtt.topic_prefix, "hanoi/wwtp");
	assert_string_equal(st->mqtt.client_id, "x-1");
	assert_int_equal(st->mqtt.keepalive_s, 0);
	assert_int_equal(st->mqtt.qos, 2);
	assert_string_equal(st->mqtt.auth.ca_file, "/etc/wwtp/ca.crt");
	assert_string_equal(st->mqtt.auth.cert_file, "c.crt");
	assert_string_equal(st->mqtt.auth.key_file, "c.key");
	assert_string_equal(st->mqtt.auth.username, "gw-1@x");
	assert_string_equal(st->mqtt.auth.password_file, "/etc/wwtp/pw");
	wwtp_station_free(st);
}

static void test_float_keys_accept_integers(void **state)
{
	(void)state;
	struct parts p = {.station_x = "design_flow_m3d = 1500.5;",
			  .point_x = "scale = 10; offset = 3;"};
	char *text = build(&p);
	struct wwtp_station *st = load_ok(text);
	free(text);
	assert_true(st->design_flow_m3d == 1500.5);
	assert_true(st->devices[0].points[0].scale == 10.0);
	assert_true(st->devices[0].points[0].offset == 3.0);
	wwtp_station_free(st);
}

static void test_null_diag_and_args(void **state)
{
	(void)state;
	struct parts p = {.station = "id = \"t\";"};
	char *text = build(&p);
	struct wwtp_station *st = (struct wwtp_station *)1;
	write_file("stations/t.cfg", text);
	free(text);
	assert_int_equal(wwtp_station_load(station_path, NULL, &st, NULL), WWTP_ERR_CONFIG);
	assert_null(st);
	struct wwtp_diag *d = wwtp_diag_new();
	assert_int_equal(wwtp_station_load(NULL, NULL, &st, d), WWTP_ERR_CONFIG);
	assert_true(wwtp_diag_count(d) > 0);
	wwtp_diag_free(d);
}

/* ---- each kind of mistake ---- */

static void test_file_errors(void **state)
{
	(void)state;
	char path[600];
	struct wwtp_diag *d = wwtp_diag_new();
	struct wwtp_station *st = NULL;

	snprintf(path, sizeof(path), "%s/stations/none.cfg", tmpdir);
	assert_int_equal(wwtp_station_load(path, NULL, &st, d), WWTP_ERR_CONFIG);
	assert_true(fx_diag_has(d, path, 0, "No such file"));
	snprintf(path, sizeof(path), "%s/stations", tmpdir);
	assert_int_equal(wwtp_station_load(path, NULL, &st, d), WWTP_ERR_CONFIG);
	assert_true(fx_diag_has(d, path, 0, "folder"));
	assert_null(st);
	wwtp_diag_free(d);
}

static void test_syntax_error(void **state)
{
	(void)state;
	expect_text("station = { id = \"t\";\n name = \"x\";\n plan = ; };\n", station_path, 3,
		    "syntax error");
	expect_text("a = 1;\na = 2;\n", station_path, 2, "duplicate setting");
	expect_text("station = { id = \"unterminated; };\n", station_path, -1, "");
}

static void test_unknown_keys(void **state)
{
	(void)state;
	EXPECT(9, "unknown top-level key 'foo' (known keys: station, devices, mqtt",
	       .top = "foo = 1;");
	EXPECT(1, "unknown key 'foo' in station (known keys: id,", .station_x = "foo = 1;");
	EXPECT(3, "unknown key 'foo' in device 'd1' (known keys: name, transport,",
	       .dev_x = "foo = 1;");
	EXPECT(5, "unknown key 'foo' in point 'cod' of device 'd1' (known keys: param,",
	       .point_x = "foo = 1;");
	EXPECT(3, "unknown key 'foo' in status of device 'd1'",
	       .dev_x = "status = { address = 9; mode = \"value\"; calibrating = 1; fault = 2; "
			"foo = 1; };");
	EXPECT(5, "unknown key 'foo' in status of point 'cod' of device 'd1'",
	       .point_x = "status = { address = 9; mode = \"value\"; calibrating = 1; fault = 2; "
			  "foo = 1; };");
	EXPECT(8, "unknown key 'foo' in mqtt (known keys: uri,", .mqtt_x = "foo = 1;");
	EXPECT(3,
	       "unknown key 'foo' in rs485 of device 'd1' (known keys: enabled, rts, rts_delay_us)",
	       .dev = "name = \"d1\"; transport = \"rtu\"; serial = \"/dev/ttyS0\"; unit_id = 1;",
	       .dev_x = "rs485 = { foo = 1; };");
}

/* The mqtt group's TLS and credential keys (util/mqtt_auth.h): taken, and
 * checked against each other and the uri. */
static void test_mqtt_tls_keys(void **state)
{
	(void)state;
	EXPECT(8, "mqtt: ca_file, cert_file and key_file need a TLS uri",
	       .mqtt_x = "ca_file = \"ca.crt\";");
	EXPECT(8, "mqtt: password_file needs username", .mqtt = "uri = \"ssl://b:8883\";",
	       .mqtt_x = "password_file = \"pw\";");
	EXPECT(8, "mqtt: key_file needs cert_file", .mqtt = "uri = \"ssl://b:8883\";",
	       .mqtt_x = "key_file = \"k\";");
	EXPECT(8, "username", .mqtt = "uri = \"ssl://b:8883\";", .mqtt_x = "username = \"a b\";");
}

static void test_wrong_types(void **state)
{
	(void)state;
	EXPECT(3, "device 'd1': unit_id must be an integer, not a string",
	       .dev = "name = \"d1\"; transport = \"tcp\"; host = \"h\"; unit_id = \"1\";");
	EXPECT(3, "device 'd1': host must be a string, not an integer",
	       .dev = "name = \"d1\"; transport = \"tcp\"; host = 5; unit_id = 1;");
	EXPECT(3, "device 'd1': timeout_ms must be an integer, not a number with a decimal point",
	       .dev_x = "timeout_ms = 1000.0;");
	EXPECT(1, "station: design_flow_m3d must be a number, not a string",
	       .station_x = "design_flow_m3d = \"1000\";");
	EXPECT(3, "status must be a group { ... }, not a list", .dev_x = "status = ( 1 );");
	EXPECT(5, "status must be a group { ... }, not an integer", .point_x = "status = 3;");
	EXPECT(3, "rs485 must be a group { ... }, not a list",
	       .dev = "name = \"d1\"; transport = \"rtu\"; serial = \"/dev/ttyS0\"; unit_id = 1;",
	       .dev_x = "rs485 = ( 1 );");
	EXPECT(3, "rs485 of device 'd1': enabled must be true or false, not an integer",
	       .dev = "name = \"d1\"; transport = \"rtu\"; serial = \"/dev/ttyS0\"; unit_id = 1;",
	       .dev_x = "rs485 = { enabled = 1; };");
	EXPECT(8, "mqtt: qos must be an integer, not a boolean", .mqtt_x = "qos = true;");
	expect_text("station = ( 1 );\ndevices = ( );\nmqtt = { uri = \"tcp://h\"; };\n",
		    station_path, 1, "station must be a group { ... }, not a list");
	expect_text("station = { id = \"t\"; name = \"T\"; plan = \"qd6613\"; };\n"
		    "devices = { a = 1; };\nmqtt = { uri = \"tcp://h\"; };\n",
		    station_path, 2, "devices must be a list ( ... ), not a group");
	expect_text("station = { id = \"t\"; name = \"T\"; plan = \"qd6613\"; };\n"
		    "devices = ( 1 );\nmqtt = { uri = \"tcp://h\"; };\n",
		    station_path, 2, "device #1 must be a group");
	expect_text("station = { id = \"t\"; name = \"T\"; plan = \"qd6613\"; };\n"
		    "devices = ( { name = \"d\"; transport = \"tcp\"; host = \"h\"; unit_id = 1;\n"
		    "  points = ( [1, 2] ); } );\nmqtt = { uri = \"tcp://h\"; };\n",
		    station_path, 3, "point #1 of device 'd' must be a group");
	expect_text("station = { id = \"t\"; name = \"T\"; plan = \"qd6613\"; };\n"
		    "devices = ( { name = \"d\"; transport = \"tcp\"; host = \"h\"; unit_id = 1;\n"
		    "  points = { a = 1; }; } );\nmqtt = { uri = \"tcp://h\"; };\n",
		    station_path, 3, "device 'd': points must be a list ( ... ), not a group");
}

static void test_out_of_range(void **state)
{
	(void)state;
	static const char rtu[] =
	    "name = \"d1\"; transport = \"rtu\"; serial = \"/dev/ttyS0\"; unit_id = 1;";
	EXPECT(3, "device 'd1': unit_id 256 out of range 0..255",
	       .dev = "name = \"d1\"; transport = \"tcp\"; host = \"h\"; unit_id = 256;");
	EXPECT(3, "device 'd1': unit_id -1 out of range 0..255",
	       .dev = "name = \"d1\"; transport = \"tcp\"; host = \"h\"; unit_id = -1;");
	EXPECT(3, "device 'd1': unit_id 248 out of range 0..247",
	       .dev =
		   "name = \"d1\"; transport = \"rtu\"; serial = \"/dev/ttyS0\"; unit_id = 248;");
	EXPECT(3, "device 'd1': port 0 out of range 1..65535", .dev_x = "port = 0;");
	EXPECT(3, "device 'd1': port 65536 out of range 1..65535", .dev_x = "port = 65536;");
	EXPECT(3, "interval_ms 99 out of range 100..86400000", .dev_x = "interval_ms = 99;");
	EXPECT(3, "interval_ms 86400001 out of range", .dev_x = "interval_ms = 86400001;");
	EXPECT(3, "timeout_ms 9 out of range 10..60000", .dev_x = "timeout_ms = 9;");
	EXPECT(3, "timeout_ms 60001 out of range", .dev_x = "timeout_ms = 60001;");
	EXPECT(3, "retries 11 out of range 0..10", .dev_x = "retries = 11;");
	EXPECT(3, "retries -1 out of range 0..10", .dev_x = "retries = -1;");
	EXPECT(3, "max_gap 125 out of range 0..124", .dev_x = "max_gap = 125;");
	EXPECT(3, "max_regs 0 out of range 1..125", .dev_x = "max_regs = 0;");
	EXPECT(3, "max_regs 126 out of range 1..125", .dev_x = "max_regs = 126;");
	EXPECT(3, "address_base 2 out of range 0..1", .dev_x = "address_base = 2;");
	EXPECT(3, "baud 9601 is not allowed: use 1200, 2400", .dev = rtu, .dev_x = "baud = 9601;");
	EXPECT(3, "baud 230400 out of range 1200..115200", .dev = rtu, .dev_x = "baud = 230400;");
	EXPECT(3, "parity \"X\" is not valid: use \"N\", \"E\" or \"O\"", .dev = rtu,
	       .dev_x = "parity = \"X\";");
	EXPECT(3, "data_bits 6 out of range 7..8", .dev = rtu, .dev_x = "data_bits = 6;");
	EXPECT(3, "stop_bits 3 out of range 1..2", .dev = rtu, .dev_x = "stop_bits = 3;");
	EXPECT(3, "rts_delay_us -2 out of range", .dev = rtu,
	       .dev_x = "rs485 = { rts_delay_us = -2; };");
	EXPECT(3, "rts \"sideways\" is not valid: use \"none\", \"up\" or \"down\"", .dev = rtu,
	       .dev_x = "rs485 = { rts = \"sideways\"; };");
	EXPECT(5, "point 'cod' of device 'd1': address 65535 out of range 0..65534",
	       .point =
		   "param = \"cod\"; table = \"holding\"; address = 65535; type = \"float32\";");
	EXPECT(5, "address 65536 out of range 0..65535",
	       .point =
		   "param = \"cod\"; table = \"holding\"; address = 65536; type = \"uint16\";");
	EXPECT(5, "address -1 out of range 0..465536",
	       .point = "param = \"cod\"; table = \"holding\"; address = -1; type = \"uint16\";");
	EXPECT(5, "address 70000 out of range (wire address 69999 after address_base = 1",
	       .dev_x = "address_base = 1;",
	       .point =
		   "param = \"cod\"; table = \"holding\"; address = 70000; type = \"uint16\";");
	EXPECT(5, "bit 16 out of range -1..15",
	       .point =
		   "param = \"a\"; table = \"holding\"; address = 1; type = \"uint16\"; bit = 16;");
	EXPECT(5, "bit -2 out of range -1..15",
	       .point =
		   "param = \"a\"; table = \"holding\"; address = 1; type = \"uint16\"; bit = -2;");
	EXPECT(5, "scale must not be 0", .point_x = "scale = 0.0;");
	EXPECT(5, "scale must not be 0", .point_x = "scale = 0;");
	EXPECT(5, "scale must be a finite number", .point_x = "scale = 1e999;");
	EXPECT(5, "offset must be a finite number", .point_x = "offset = -1e999;");
	EXPECT(8, "mqtt: qos 3 out of range 0..2", .mqtt_x = "qos = 3;");
	EXPECT(8, "mqtt: keepalive_s -1 out of range 0..65535", .mqtt_x = "keepalive_s = -1;");
	EXPECT(8, "uri \"broker\" has no scheme", .mqtt = "uri = \"broker\";");
	EXPECT(8, "topic_prefix must not start or end with '/'",
	       .mqtt_x = "topic_prefix = \"a/\";");
	EXPECT(8, "topic_prefix \"a+\" may only contain", .mqtt_x = "topic_prefix = \"a+\";");
	EXPECT(1, "design_flow_m3d -1 out of range 0..1e+07", .station_x = "design_flow_m3d = -1;");
	EXPECT(3, "calibrating 70000 out of range 0..65535",
	       .dev_x =
		   "status = { address = 1; mode = \"bits\"; calibrating = 70000; fault = 1; };");
	EXPECT(3, "status of device 'd1': address 65536 out of range 0..65535",
	       .dev_x =
		   "status = { address = 65536; mode = \"bits\"; calibrating = 1; fault = 2; };");
	EXPECT(
	    3, "status of device 'd1': table \"coil\" is not valid: use \"holding\" or \"input\"",
	    .dev_x = "status = { table = \"coil\"; address = 1; mode = \"bits\"; calibrating = 1; "
		     "fault = 2; };");
	EXPECT(3, "mode \"level\" is not valid: use \"value\" or \"bits\"",
	       .dev_x = "status = { address = 1; mode = \"level\"; calibrating = 1; fault = 2; };");
	EXPECT(3, "calibrating and fault are both 3",
	       .dev_x = "status = { address = 1; mode = \"value\"; calibrating = 3; fault = 3; };");
	EXPECT(3, "masks calibrating 0x0003 and fault 0x0006 share bits",
	       .dev_x = "status = { address = 1; mode = \"bits\"; calibrating = 3; fault = 6; };");
	EXPECT(3, "both masks are 0",
	       .dev_x = "status = { address = 1; mode = \"bits\"; calibrating = 0; fault = 0; };");
}

static void test_big_integer_literals(void **state)
{
	(void)state;
	/* libconfig 1.5 would read these as 705032704 and -1 without a word. */
	EXPECT(3, "integer 5000000000 does not fit in 32 bits", .dev_x = "port = 5000000000;");
	EXPECT(3, "integer 0xFFFFFFFF does not fit in 32 bits",
	       .dev_x = "interval_ms = 0xFFFFFFFF;");
	EXPECT(3, "integer -2147483649 does not fit", .dev_x = "retries = -2147483649;");
	/* Strings, comments and floats are not integers. */
	struct parts p = {.station_x = "district = \"5000000000\";",
			  .point_x = "offset = 5000000000.0;",
			  .top = "# 99999999999\n/* 0xFFFFFFFFFF */ // 12345678901234"};
	char *text = build(&p);
	struct wwtp_station *st = load_ok(text);
	free(text);
	wwtp_station_free(st);
	/* A 64-bit literal is read as such, then range-checked. */
	EXPECT(3, "port 5000000000 out of range 1..65535", .dev_x = "port = 5000000000L;");
}

static void test_strings(void **state)
{
	(void)state;
	char name[300], text[600];
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(text, sizeof(text), "id = \"t\"; plan = \"qd6613\"; name = \"%s\";", name);
	EXPECT(1, "station: name is too long (299 bytes, at most 127)", .station = text);
	EXPECT(1, "id is too long (48 bytes, at most 47)",
	       .station = "name = \"T\"; plan = \"qd6613\"; "
			  "id = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\";");
	EXPECT(1, "id \"Thanh Thuy\" may only contain lowercase letters a-z, digits and '-'",
	       .station = "name = \"T\"; plan = \"qd6613\"; id = \"Thanh Thuy\";");
	EXPECT(1, "station: id must not be empty",
	       .station = "name = \"T\"; plan = \"qd6613\"; id = \"\";");
	EXPECT(1, "plan \"qd\" is not valid: use \"qd6613\", \"task13\" or \"review\"",
	       .station = "name = \"T\"; plan = \"qd\"; id = \"t\";");
	EXPECT(5, "param \"COD\" may only contain",
	       .point = "param = \"COD\"; table = \"holding\"; "
			"address = 0; type = \"float32\";");
	EXPECT(5, "unit is too long", .point_x = "unit = \"123456789012345678901234\";");
	EXPECT(3, "name \"d 1\" may only contain",
	       .dev = "name = \"d 1\"; transport = \"tcp\"; host = \"h\"; unit_id = 1;");
	EXPECT(3, "host must not be empty",
	       .dev = "name = \"d1\"; transport = \"tcp\"; host = \"\"; unit_id = 1;");
	EXPECT(3, "transport \"udp\" is not valid: use \"tcp\" or \"rtu\"",
	       .dev = "name = \"d1\"; transport = \"udp\"; host = \"h\"; unit_id = 1;");
	/* Non-UTF-8 bytes in free text pass through. */
	struct parts p = {.station = "id = \"t\"; plan = \"qd6613\"; name = \"\xff\xfe plant\";"};
	char *t = build(&p);
	struct wwtp_station *st = load_ok(t);
	free(t);
	assert_string_equal(st->name, "\xff\xfe plant");
	wwtp_station_free(st);
}

/* The station group's first contract: id, name, district. A plant outside
 * Hanoi's plan (a new cluster) has no plan. */
static void test_minimal_station_group(void **state)
{
	(void)state;
	struct parts p = {.station = "id = \"t\"; name = \"T\"; district = \"D\";"};
	char *text = build(&p);
	struct wwtp_station *st = load_ok(text);
	free(text);
	assert_string_equal(st->plan, "");
	assert_int_equal(st->plan_review, 0);
	assert_string_equal(st->district, "D");
	wwtp_station_free(st);
}

static void test_missing_required(void **state)
{
	(void)state;
	EXPECT(1, "station: missing required key 'id'",
	       .station = "name = \"T\"; plan = \"qd6613\";");
	EXPECT(1, "station: missing required key 'name'",
	       .station = "id = \"t\"; plan = \"qd6613\";");
	EXPECT(3, "device #1: missing required key 'name'",
	       .dev = "transport = \"tcp\"; host = \"h\"; unit_id = 1;");
	EXPECT(3, "device 'd1': missing required key 'transport'",
	       .dev = "name = \"d1\"; host = \"h\"; unit_id = 1;");
	EXPECT(3, "device 'd1': missing required key 'unit_id'",
	       .dev = "name = \"d1\"; transport = \"tcp\"; host = \"h\";");
	EXPECT(3, "device 'd1': missing required key 'host' for transport \"tcp\"",
	       .dev = "name = \"d1\"; transport = \"tcp\"; unit_id = 1;");
	EXPECT(3, "device 'd1': missing required key 'serial' for transport \"rtu\"",
	       .dev = "name = \"d1\"; transport = \"rtu\"; unit_id = 1;");
	EXPECT(5, "point #1 of device 'd1': missing required key 'param'",
	       .point = "table = \"holding\"; address = 0; type = \"float32\";");
	EXPECT(5, "point 'cod' of device 'd1': missing required key 'table'",
	       .point = "param = \"cod\"; address = 0; type = \"float32\";");
	EXPECT(5, "missing required key 'address'",
	       .point = "param = \"cod\"; table = \"holding\"; type = \"float32\";");
	EXPECT(5, "missing required key 'type'",
	       .point = "param = \"cod\"; table = \"holding\"; address = 0;");
	EXPECT(5, "status of point 'cod' of device 'd1': missing required key 'mode'",
	       .point_x = "status = { address = 1; calibrating = 1; fault = 2; };");
	EXPECT(8, "mqtt: missing required key 'uri'", .mqtt = "topic_prefix = \"x\";");
	expect_text("station = { id = \"t\"; name = \"T\"; plan = \"qd6613\"; };\n"
		    "mqtt = { uri = \"tcp://h\"; };\n",
		    station_path, 0, "missing required key 'devices'");
	expect_text("devices = ( );\nmqtt = { uri = \"tcp://h\"; };\n", station_path, 0,
		    "missing required key 'station'");
	expect_text("station = { id = \"t\"; name = \"T\"; plan = \"qd6613\"; };\n"
		    "devices = ( { name = \"d\"; transport = \"tcp\"; host = \"h\"; unit_id = 1;\n"
		    "points = ( { param = \"x\"; table = \"coil\"; address = 0; type = \"bool\"; } "
		    "); } );\n",
		    station_path, 0, "missing required key 'mqtt'");
	expect_text("station = { id = \"t\"; name = \"T\"; plan = \"qd6613\"; };\n"
		    "devices = ( );\nmqtt = { uri = \"tcp://h\"; };\n",
		    station_path, 2, "devices is empty");
	expect_text(
	    "station = { id = \"t\"; name = \"T\"; plan = \"qd6613\"; };\n"
	    "devices = ( { name = \"d\"; transport = \"tcp\"; host = \"h\"; unit_id = 1; } );\n"
	    "mqtt = { uri = \"tcp://h\"; };\n",
	    station_path, 2, "device 'd': no points: add points");
}

static void test_transport_keys(void **state)
{
	(void)state;
	EXPECT(3, "device 'd1': key 'baud' does not apply to transport \"tcp\"",
	       .dev_x = "baud = 9600;");
	EXPECT(3, "key 'rs485' does not apply to transport \"tcp\"", .dev_x = "rs485 = { };");
	EXPECT(3, "key 'port' does not apply to transport \"rtu\"",
	       .dev = "name = \"d1\"; transport = \"rtu\"; serial = \"/dev/ttyS0\"; unit_id = 1;",
	       .dev_x = "port = 502;");
}

static void test_duplicates(void **state)
{
	(void)state;
	static const char dev2[] =
	    ", { name = \"d1\"; transport = \"tcp\"; host = \"127.0.0.1\"; unit_id = 2;\n"
	    "points = ( { param = \"ph\"; table = \"holding\"; address = 0; type = \"float32\"; } "
	    "); }";
	EXPECT(6, "device 'd1' is defined twice (first at line 3)", .more_devices = dev2);
	static const char dup_param[] =
	    ", { name = \"d2\"; transport = \"tcp\"; host = \"127.0.0.1\"; unit_id = 2;\n"
	    "points = ( { param = \"cod\"; table = \"holding\"; address = 0; type = \"float32\"; } "
	    "); }";
	EXPECT(7, "device 'd2': param 'cod' is already published by device 'd1' (point at",
	       .more_devices = dup_param);
	static const char same_slave[] =
	    ", { name = \"d2\"; transport = \"tcp\"; host = \"127.0.0.1\"; unit_id = 1;\n"
	    "points = ( { param = \"ph\"; table = \"holding\"; address = 0; type = \"float32\"; } "
	    "); }";
	EXPECT(
	    6,
	    "device 'd2': same slave as device 'd1' (line 3): unit_id 1 on the same host and port",
	    .more_devices = same_slave);
	/* Another port is another slave. */
	static const char other_port[] = ", { name = \"d2\"; transport = \"tcp\"; host = "
					 "\"127.0.0.1\"; port = 503; unit_id = 1;\n"
					 "points = ( { param = \"ph\"; table = \"holding\"; "
					 "address = 0; type = \"float32\"; } ); }";
	struct parts p = {.more_devices = other_port};
	char *text = build(&p);
	struct wwtp_station *st = load_ok(text);
	free(text);
	wwtp_station_free(st);
	static const char rtu1[] =
	    "name = \"d1\"; transport = \"rtu\"; serial = \"/dev/ttyS0\"; unit_id = 1;";
	static const char rtu2[] =
	    ", { name = \"d2\"; transport = \"rtu\"; serial = \"/dev/ttyS0\"; unit_id = 1;\n"
	    "points = ( { param = \"ph\"; table = \"holding\"; address = 0; type = \"float32\"; } "
	    "); }";
	EXPECT(6, "same slave as device 'd1' (line 3): unit_id 1 on the same serial port",
	       .dev = rtu1, .more_devices = rtu2);
	static const char rtu3[] = ", { name = \"d2\"; transport = \"rtu\"; serial = "
				   "\"/dev/ttyS0\"; unit_id = 2; baud = 19200;\n"
				   "points = ( { param = \"ph\"; table = \"holding\"; address = 0; "
				   "type = \"float32\"; } ); }";
	EXPECT(6, "one bus has one setting", .dev = rtu1, .more_devices = rtu3);
}

static void test_overlaps_and_bits(void **state)
{
	(void)state;
	EXPECT(5, "point 'ph' (holding 1..1) overlaps point 'cod'",
	       .more_points =
		   ", { param = \"ph\"; table = \"holding\"; address = 1; type = \"uint16\"; }");
	EXPECT(5, "point 'ph' (holding 0..3) overlaps point 'cod'",
	       .more_points =
		   ", { param = \"ph\"; table = \"holding\"; address = 0; type = \"float64\"; }");
	EXPECT(5, "point 'b' (coil 7..7) overlaps point 'a'",
	       .point = "param = \"a\"; table = \"coil\"; address = 7; type = \"bool\";",
	       .more_points =
		   ", { param = \"b\"; table = \"coil\"; address = 7; type = \"bool\"; }");
	EXPECT(5, "reads bit 3 of holding 9, as point",
	       .point =
		   "param = \"a\"; table = \"holding\"; address = 9; type = \"uint16\"; bit = 3;",
	       .more_points =
		   ", { param = \"b\"; table = \"holding\"; address = 9; type = \"uint16\"; "
		   "bit = 3; }");
	/* Same address on another table, bits of one register shared: fine. */
	struct parts p = {
	    .more_points =
		", { param = \"ph\"; table = \"input\"; address = 0; type = \"float32\"; },"
		"{ param = \"a\"; table = \"holding\"; address = 9; type = \"uint16\"; bit = 0; },"
		"{ param = \"b\"; table = \"holding\"; address = 9; type = \"int16\"; bit = 1; },"
		"{ param = \"c\"; table = \"holding\"; address = 1; type = \"uint16\"; bit = 1; },"
		"{ param = \"d\"; table = \"coil\"; address = 0; type = \"bool\"; },"
		"{ param = \"e\"; table = \"holding\"; address = 2; type = \"uint16\"; }"};
	char *text = build(&p);
	struct wwtp_station *st = load_ok(text);
	free(text);
	wwtp_station_free(st);

	EXPECT(5, "bit is only allowed on int16 or uint16 points, not float32",
	       .point_x = "bit = 3;");
	EXPECT(5, "a coil point must have type = \"bool\", not \"uint16\"",
	       .point = "param = \"a\"; table = \"coil\"; address = 0; type = \"uint16\";");
	EXPECT(5, "a discrete point must have type = \"bool\"",
	       .point = "param = \"a\"; table = \"discrete\"; address = 0; type = \"float32\";");
	EXPECT(5, "type \"bool\" is only for coil and discrete tables",
	       .point = "param = \"a\"; table = \"holding\"; address = 0; type = \"bool\";");
	EXPECT(5, "bit applies only to holding and input registers",
	       .point = "param = \"a\"; table = \"coil\"; address = 0; type = \"bool\"; bit = 1;");
	EXPECT(5, "order \"ABDC\" is not valid: use \"ABCD\", \"CDAB\", \"BADC\" or \"DCBA\"",
	       .point_x = "order = \"ABDC\";");
	EXPECT(5, "type \"float\" is not valid: use \"bool\"",
	       .point = "param = \"a\"; table = \"holding\"; address = 0; type = \"float\";");
	EXPECT(5, "table \"holding_register\" is not valid: use \"holding\"",
	       .point =
		   "param = \"a\"; table = \"holding_register\"; address = 0; type = \"float32\";");
	EXPECT(5, "point 'ph' needs 4 registers but max_regs is 3", .dev_x = "max_regs = 3;",
	       .point = "param = \"ph\"; table = \"holding\"; address = 0; type = \"uint64\";");
}

static void test_address_base(void **state)
{
	(void)state;
	EXPECT(5, "address 0 with address_base = 1", .dev_x = "address_base = 1;");
	EXPECT(
	    3, "status of device 'd1': address 0 with address_base = 1",
	    .dev_x = "address_base = 1; status = { address = 0; mode = \"bits\"; calibrating = 1; "
		     "fault = 2; };",
	    .point = "param = \"cod\"; table = \"holding\"; address = 40001; type = \"float32\";");
	/* Base 0: numbers are wire addresses, 40001 included. */
	struct parts p = {.point = "param = \"cod\"; table = \"holding\"; address = 40001; "
				   "type = \"float32\";"};
	char *text = build(&p);
	struct wwtp_station *st = load_ok(text);
	free(text);
	assert_int_equal(st->devices[0].points[0].address, 40001);
	wwtp_station_free(st);
	/* Base 1: 40000 on holding is plain register 40000 (wire 39999); a
	 * Modicon prefix of another table is a plain number. */
	struct parts q = {
	    .dev_x = "address_base = 1;",
	    .point = "param = \"cod\"; table = \"holding\"; address = 40000; type = \"uint16\";",
	    .more_points =
		", { param = \"x\"; table = \"input\"; address = 40001; type = \"uint16\"; }"
		", { param = \"y\"; table = \"coil\"; address = 1; type = \"bool\"; }"
		", { param = \"z\"; table = \"discrete\"; address = 19999; type = \"bool\"; }"
		", { param = \"w\"; table = \"holding\"; address = 49999; type = \"uint16\"; }"};
	text = build(&q);
	st = load_ok(text);
	free(text);
	assert_int_equal(find_point(st, "cod")->address, 39999);
	assert_int_equal(find_point(st, "x")->address, 40000);
	assert_int_equal(find_point(st, "y")->address, 0);
	assert_int_equal(find_point(st, "z")->address, 9998);
	assert_int_equal(find_point(st, "w")->address, 9998);
	wwtp_station_free(st);
}

static void test_all_problems_collected(void **state)
{
	(void)state;
	struct parts p = {.station_x = "foo = 1;",
			  .dev_x = "retries = 99;",
			  .point_x = "bit = 99;",
			  .mqtt_x = "qos = 9;"};
	char *text = build(&p);
	struct wwtp_diag *d = wwtp_diag_new();
	struct wwtp_station *st = NULL;
	assert_int_equal(load_text(text, &st, d), WWTP_ERR_CONFIG);
	free(text);
	assert_true(wwtp_diag_count(d) >= 4);
	assert_true(fx_diag_has(d, station_path, 1, "foo"));
	assert_true(fx_diag_has(d, station_path, 3, "retries"));
	assert_true(fx_diag_has(d, station_path, 5, "bit 99"));
	assert_true(fx_diag_has(d, station_path, 8, "qos"));
	wwtp_diag_free(d);
}

/* ---- profiles ---- */

static const char analyzer_profile[] =
    "profile = { name = \"an\"; vendor = \"Test\"; model = \"T1\"; address_base = 1; };\n"
    "points = (\n"
    "  { param = \"cod\"; table = \"holding\"; address = 40001; type = \"float32\"; unit = "
    "\"mg/L\"; },\n"
    "  { param = \"nh4\"; table = \"holding\"; address = 40003; type = \"float32\"; unit = "
    "\"mg/L\"; },\n"
    "  { param = \"tss\"; table = \"holding\"; address = 40005; type = \"float32\"; unit = "
    "\"mg/L\";\n"
    "    status = { address = 40101; mode = \"value\"; calibrating = 1; fault = 2; }; }\n"
    ");\n"
    "status = { address = 40100; mode = \"bits\"; calibrating = 0x10; fault = 0x01; };\n";

static void test_profile_points(void **state)
{
	(void)state;
	char prof_path[600];
	write_file("profiles/an.cfg", analyzer_profile);
	snprintf(prof_path, sizeof(prof_path), "%s/stations/../profiles/an.cfg", tmpdir);
	/* Device base 0 for its own point; profile base 1 for the profile's. */
	struct parts p = {
	    .dev_x = "profile = \"an\";",
	    .point =
		"param = \"nh4\"; table = \"input\"; address = 7; type = \"int16\"; scale = 0.1;",
	    .more_devices =
		", { name = \"inlet\"; transport = \"tcp\"; host = \"127.0.0.1\"; unit_id = 2;\n"
		"profile = \"an\"; rename = { cod = \"cod_in\"; nh4 = \"nh4_in\"; }; omit = "
		"[\"tss\"];\n"
		"status = { address = 5; mode = \"value\"; calibrating = 3; fault = 4; }; }"};
	char *text = build(&p);
	struct wwtp_station *st = load_ok(text);
	free(text);
	const struct wwtp_device *d = &st->devices[0];
	assert_string_equal(d->profile, "an");
	assert_int_equal(d->npoints, 3);
	assert_string_equal(d->points[0].param, "cod");
	assert_int_equal(d->points[0].address, 0);
	assert_string_equal(d->points[0].source, prof_path);
	assert_int_equal(d->points[0].line, 3);
	/* The device's nh4 replaces the profile's, in place. */
	assert_string_equal(d->points[1].param, "nh4");
	assert_int_equal(d->points[1].table, WWTP_TABLE_INPUT);
	assert_int_equal(d->points[1].address, 7);
	assert_string_equal(d->points[1].source, station_path);
	assert_int_equal(d->points[2].address, 4);
	assert_int_equal(d->points[2].status.mode, WWTP_STATUS_VALUE);
	assert_int_equal(d->points[2].status.address, 100);
	/* The profile's device-wide status. */
	assert_int_equal(d->status.mode, WWTP_STATUS_BITS);
	assert_int_equal(d->status.address, 99);
	assert_int_equal(d->status.calibrating, 0x10);

	d = &st->devices[1];
	assert_int_equal(d->npoints, 2);
	assert_string_equal(d->points[0].param, "cod_in");
	assert_string_equal(d->points[1].param, "nh4_in");
	assert_int_equal(d->points[1].address, 2);
	/* Its own status wins over the profile's (and uses its own base, 0). */
	assert_int_equal(d->status.mode, WWTP_STATUS_VALUE);
	assert_int_equal(d->status.address, 5);
	wwtp_station_free(st);
}

static void test_profile_errors(void **state)
{
	(void)state;
	char prof_path[600];
	snprintf(prof_path, sizeof(prof_path), "%s/stations/../profiles/bad.cfg", tmpdir);
	write_file("profiles/an.cfg", analyzer_profile);

	EXPECT(3, "device 'd1': unknown profile 'nope': no file", .dev_x = "profile = \"nope\";");
	EXPECT(3, "profile \"../an\" may only contain", .dev_x = "profile = \"../an\";");
	EXPECT(3, "rename and omit apply to a profile's points", .dev_x = "omit = [\"cod\"];");
	EXPECT(3, "omit: profile 'an' has no point 'ph' (its points: cod, nh4, tss)",
	       .dev_x = "profile = \"an\"; omit = [\"ph\"];");
	EXPECT(3, "rename: profile 'an' has no point 'ph'",
	       .dev_x = "profile = \"an\"; rename = { ph = \"ph_in\"; };");
	EXPECT(3, "rename.cod \"COD-in\" is not a valid param",
	       .dev_x = "profile = \"an\"; rename = { cod = \"COD-in\"; };");
	EXPECT(3, "rename.cod must be a string",
	       .dev_x = "profile = \"an\"; rename = { cod = 1; };");
	EXPECT(3, "rename: point 'cod' is also omitted",
	       .dev_x = "profile = \"an\"; omit = [\"cod\"]; rename = { cod = \"c\"; };");
	/* Two devices of one profile publish the same params: an error, fixed by rename. */
	EXPECT(6,
	       "device 'd2': param 'nh4' (from profile 'an') is already published by device 'd1' "
	       "(point at",
	       .dev_x = "profile = \"an\";",
	       .more_devices =
		   ", { name = \"d2\"; transport = \"tcp\"; host = \"h\"; unit_id = 1;\n"
		   "profile = \"an\"; }");

	/* Errors inside the profile carry the profile's file name and line. */
	static const char bad_key_and_bit[] =
	    "profile = { name = \"bad\"; colour = 1; };\n"
	    "points = (\n"
	    "  { param = \"cod\"; table = \"holding\"; address = 0; type = \"float32\"; },\n"
	    "  { param = \"ph\"; table = \"holding\"; address = 0; type = \"float32\"; bit = 2; }\n"
	    ");\n";
	static const struct {
		const char *profile;
		int line;
		const char *want;
	} cases[] = {
	    {bad_key_and_bit, 1, "unknown key 'colour' in profile 'bad'"},
	    {bad_key_and_bit, 4, "point 'ph' of profile 'bad': bit is only allowed"},
	    {"profile = { name = \"bad\" ;\npoints = ( ;\n", 2, "syntax error"},
	    {"profile = { name = \"other\"; };\npoints = (\n"
	     "  { param = \"cod\"; table = \"holding\"; address = 0; type = \"float32\"; }\n);\n",
	     1, "name 'other' differs from the file name bad.cfg"},
	    {"profile = { name = \"bad\"; address_base = 1; };\npoints = (\n"
	     "  { param = \"cod\"; table = \"holding\"; address = 0; type = \"float32\"; }\n);\n",
	     3, "address 0 with address_base = 1"},
	    {"profile = { name = \"bad\"; };\n", 0, "missing required key 'points'"},
	};
	struct parts p = {.dev_x = "profile = \"bad\";",
			  .point = "param = \"tp\"; table = \"holding\"; "
				   "address = 100; type = \"float32\";"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file("profiles/bad.cfg", cases[i].profile);
		char *text = build(&p);
		expect_text(text, prof_path, cases[i].line, cases[i].want);
		free(text);
	}
}

static void test_profiles_dir_option(void **state)
{
	(void)state;
	char dir[600];
	write_file("profiles/an.cfg", analyzer_profile);
	/* profiles_dir in the file, relative to the file's folder */
	struct parts p = {.dev_x = "profile = \"an\"; omit = [\"cod\"];",
			  .top = "profiles_dir = \"..\";"};
	EXPECT(3, "unknown profile 'an'", .dev_x = "profile = \"an\";",
	       .top = "profiles_dir = \"..\";");
	p.top = "profiles_dir = \"../profiles\";";
	p.point = "param = \"ph\"; table = \"holding\"; address = 10; type = \"float32\";";
	char *text = build(&p);
	struct wwtp_station *st = load_ok(text);
	wwtp_station_free(st);
	/* The caller's folder wins. */
	snprintf(dir, sizeof(dir), "%s/stations", tmpdir);
	struct wwtp_load_opts opts = {.profiles_dir = dir};
	struct wwtp_diag *d = wwtp_diag_new();
	write_file("stations/t.cfg", text);
	free(text);
	assert_int_equal(wwtp_station_load(station_path, &opts, &st, d), WWTP_ERR_CONFIG);
	assert_true(fx_diag_has(d, station_path, 3, "unknown profile 'an'"));
	wwtp_diag_free(d);
}

static void test_include(void **state)
{
	(void)state;
	char inc[600];
	snprintf(inc, sizeof(inc), "%s/stations/common.inc", tmpdir);
	/* Relative to the station file's folder, not the working directory. */
	write_file("stations/common.inc", "mqtt = { uri = \"tcp://127.0.0.1:1883\"; qos = 0; };\n");
	struct wwtp_station *st =
	    load_ok("station = { id = \"t\"; name = \"T\"; plan = \"qd6613\"; };\n"
		    "devices = ( { name = \"d\"; transport = \"tcp\"; host = \"h\"; unit_id = 1;\n"
		    "  points = ( { param = \"x\"; table = \"coil\"; address = 0; type = \"bool\"; "
		    "} ); } );\n"
		    "@include \"common.inc\"\n");
	assert_int_equal(st->mqtt.qos, 0);
	wwtp_station_free(st);
	/* A problem in the included file is reported with its name. */
	write_file("stations/common.inc",
		   "\nmqtt = { uri = \"tcp://127.0.0.1:1883\"; qos = 7; };\n");
	expect_text("station = { id = \"t\"; name = \"T\"; plan = \"qd6613\"; };\n"
		    "devices = ( { name = \"d\"; transport = \"tcp\"; host = \"h\"; unit_id = 1;\n"
		    "  points = ( { param = \"x\"; table = \"coil\"; address = 0; type = \"bool\"; "
		    "} ); } );\n"
		    "@include \"common.inc\"\n",
		    inc, 2, "mqtt: qos 7 out of range 0..2");
}

/* ---- folders and the shipped files ---- */

static void test_load_dir(void **state)
{
	(void)state;
	char dir[600];
	struct wwtp_diag *d = wwtp_diag_new();
	struct wwtp_station **list = NULL;
	size_t n = 99;

	snprintf(dir, sizeof(dir), "%s/dirtest", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(wwtp_station_load_dir(dir, NULL, &list, &n, d), WWTP_ERR_CONFIG);
	assert_true(fx_diag_has(d, dir, 0, "no *.cfg station files"));
	assert_null(list);
	assert_int_equal(n, 0);

	struct parts p = {0};
	char *text = build(&p);
	write_file("dirtest/a.cfg", text);
	write_file("dirtest/b.cfg", text);
	write_file("dirtest/notes.txt", "not a station");
	free(text);
	assert_int_equal(wwtp_station_load_dir(dir, NULL, &list, &n, d), WWTP_ERR_CONFIG);
	char b[700];
	snprintf(b, sizeof(b), "%s/b.cfg", dir);
	assert_true(fx_diag_has(d, b, 0, "station id 't' is also used by"));

	struct parts q = {.station = "id = \"u\"; name = \"U\"; plan = \"task13\";"};
	text = build(&q);
	write_file("dirtest/b.cfg", text);
	free(text);
	assert_int_equal(wwtp_station_load_dir(dir, NULL, &list, &n, d), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0]->id, "t");
	assert_string_equal(list[1]->id, "u");
	wwtp_station_list_free(list, n);
	assert_int_equal(wwtp_station_check_dir(dir, NULL, d), 0);
	wwtp_diag_free(d);
}

static const char *srcdir(void)
{
	const char *s = getenv("WWTP_SRCDIR");
	return s && *s ? s : ".";
}

static void test_shipped_stations(void **state)
{
	(void)state;
	static const char *const ids[] = {
	    "qd6613-01", "qd6613-02", "qd6613-03", "qd6613-04", "qd6613-05",  "qd6613-06",
	    "qd6613-07", "qd6613-08", "qd6613-09", "qd6613-10", "qd6613-11",  "thanh-thuy",
	    "chang-son", "yen-nghia", "lien-ha",   "bat-trang", "duyen-thai", "tan-trieu"};
	char dir[600];
	struct wwtp_diag *d = wwtp_diag_new();
	struct wwtp_station **list = NULL;
	size_t n = 0;

	snprintf(dir, sizeof(dir), "%s/config/stations", srcdir());
	int rc = wwtp_station_load_dir(dir, NULL, &list, &n, d);
	if (rc != 0)
		dump(d);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 18);
	for (size_t i = 0; i < 18; i++) {
		size_t k = n;
		for (size_t j = 0; j < n; j++)
			if (strcmp(list[j]->id, ids[i]) == 0)
				k = j;
		assert_true(k < n);
		const struct wwtp_station *st = list[k];
		/* The file name is the id; the ports follow the numbering 15000 + 10 k. */
		char want[700];
		snprintf(want, sizeof(want), "%s/%s.cfg", dir, ids[i]);
		assert_string_equal(st->path, want);
		assert_string_equal(st->plan, i < 11 ? "qd6613" : i < 13 ? "task13" : "review");
		assert_true(st->design_flow_m3d > 0);
		for (size_t j = 0; j < st->ndevices; j++) {
			const struct wwtp_device *dv = &st->devices[j];
			assert_int_equal(dv->transport, WWTP_TRANSPORT_TCP);
			assert_string_equal(dv->host, "127.0.0.1");
			assert_true(dv->port == 15000 + 10 * (int)(i + 1) ||
				    dv->port == 15000 + 10 * (int)(i + 1) + 1);
			assert_true(dv->interval_ms >= 5000 && dv->interval_ms <= 60000);
		}
		static const char *const must[] = {"flow_in", "flow_out", "temp", "ph",
						   "tss",     "cod",	  "nh4"};
		for (size_t m = 0; m < sizeof(must) / sizeof(must[0]); m++) {
			if (!find_point(st, must[m]))
				fprintf(stderr, "%s lacks %s\n", st->id, must[m]);
			assert_non_null(find_point(st, must[m]));
		}
		assert_string_equal(st->mqtt.uri, "tcp://127.0.0.1:1883");
		/* Judged: QCVN 40:2011 column B, the no-data Kq of a river. */
		assert_non_null(st->limits);
		assert_string_equal(st->limits->regulation, "QCVN40:2011");
		assert_string_equal(st->limits->column, "B");
		assert_true(st->limits->kq == 0.9);
		assert_non_null(st->evaluation);
	}
	wwtp_station_list_free(list, n);
	wwtp_diag_free(d);
}

static void test_shipped_examples(void **state)
{
	(void)state;
	static const char *const files[] = {"config/examples/rtu-station.cfg",
					    "config/examples/annotated-station.cfg"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[600];
		struct wwtp_diag *d = wwtp_diag_new();
		struct wwtp_station *st = NULL;
		snprintf(path, sizeof(path), "%s/%s", srcdir(), files[i]);
		int rc = wwtp_station_load(path, NULL, &st, d);
		if (rc != 0)
			dump(d);
		assert_int_equal(rc, 0);
		assert_non_null(st);
		wwtp_station_free(st);
		wwtp_diag_free(d);
	}
}

/* Every shipped profile loads on its own (some may be used by no station). */
static void test_shipped_profiles(void **state)
{
	(void)state;
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/config/profiles", srcdir());
	DIR *dh = opendir(dir);
	assert_non_null(dh);
	int count = 0;
	for (struct dirent *de; (de = readdir(dh)) != NULL;) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".cfg") != 0)
			continue;
		char dev[300];
		snprintf(dev, sizeof(dev),
			 "name = \"d1\"; transport = \"tcp\"; host = \"127.0.0.1\"; unit_id = 1; "
			 "profile = \"%.*s\";",
			 (int)(len - 4), de->d_name);
		struct parts p = {.dev = dev,
				  .point = "param = \"zz_test\"; table = \"holding\"; "
					   "address = 60000; type = \"uint16\";"};
		char *text = build(&p);
		struct wwtp_load_opts opts = {.profiles_dir = dir};
		struct wwtp_diag *d = wwtp_diag_new();
		struct wwtp_station *st = NULL;
		write_file("stations/t.cfg", text);
		free(text);
		int rc = wwtp_station_load(station_path, &opts, &st, d);
		if (rc != 0)
			dump(d);
		assert_int_equal(rc, 0);
		assert_true(st->devices[0].npoints >= 2);
		wwtp_station_free(st);
		wwtp_diag_free(d);
		count++;
	}
	closedir(dh);
	assert_true(count >= 6);
}

/* ---- hostile input: no crash, an error ---- */

static void test_garbage(void **state)
{
	(void)state;
	static const char *const inputs[] = {
	    "",
	    "\x01\x02\x03\xff\xfe",
	    "station = { id = \"t\"; name = \"T\"; plan = \"qd6613\"; };\n"
	    "devices = ( { name = \"d\"; transport = \"tcp\"; host = \"h\"; unit_id = 1;\n"
	    "points = ( { param = \"p\"; table = \"holding\"; address = 0; type = \"uint16\";\n"
	    "status = { address = [1, 2]; mode = ( ); calibrating = { }; fault = \"x\"; }; } );\n"
	    "rename = ( 1 ); omit = ( { } ); } );\nmqtt = 1;\n",
	    "station = { }; devices = ( { }, { points = ( ); }, [ ] ); mqtt = { };",
	    "station = { id = 1.5; name = true; plan = [ \"a\" ]; district = { }; "
	    "design_flow_m3d = ( ); };",
	    "devices = ( { name = \"d\"; transport = \"tcp\"; host = \"h\"; unit_id = 1; "
	    "profile = \"\"; rename = { }; omit = [ 1, 2 ]; status = { }; } );",
	    "a = 0x; b = 1e; c = --1; d = 99999999999999999999999999;",
	    "@include \"/nonexistent/file.cfg\"\n",
	    "x = "
	    "((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))"
	    ";",
	};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct wwtp_diag *d = wwtp_diag_new();
		struct wwtp_station *st = (struct wwtp_station *)1;
		int rc = load_text(inputs[i], &st, d);
		assert_int_equal(rc, WWTP_ERR_CONFIG);
		assert_null(st);
		assert_true(wwtp_diag_count(d) > 0);
		wwtp_diag_free(d);
	}
}

/* ---- limits and evaluation ---- */

/* <tmpdir>/<rel_dir>/qcvn40-2011.cfg: a copy of the shipped regulation. */
static void copy_regulation(const char *rel_dir)
{
	char src[600], dir[600], *text = malloc(1 << 20);
	assert_non_null(text);
	snprintf(src, sizeof(src), "%s/config/limits/qcvn40-2011.cfg", srcdir());
	FILE *f = fopen(src, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	text[n] = '\0';
	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, rel_dir);
	assert_true(mkdir(dir, 0700) == 0 || errno == EEXIST);
	snprintf(dir, sizeof(dir), "%s/qcvn40-2011.cfg", rel_dir);
	write_file(dir, text);
	free(text);
}

static const struct wwtp_limit *row_of(const struct wwtp_station *st, const char *param)
{
	const struct wwtp_limit *l = wwtp_limits_find(st->limits, param);
	assert_non_null(l);
	return l;
}

static void test_limits_groups(void **state)
{
	(void)state;
	copy_regulation("limits");
	/* Kq from the river without flow data, Kf from the station's design
	 * flow, one permit override, and the evaluation group. */
	struct parts p = {
	    .station_x = "design_flow_m3d = 1000;",
	    .more_points =
		", { param = \"ph\"; table = \"holding\"; address = 2; type = \"float32\"; }",
	    .top =
		"limits = { regulation = \"QCVN40:2011\"; column = \"B\"; water = \"river\";\n"
		"  overrides = ( { param = \"tss\"; max = 60.0; source = \"permit 1\"; } ); };\n"
		"evaluation = { windows_s = [ 3600, 600 ]; min_availability = 0.8; bucket_s = 30;\n"
		"  offline_after_s = 120; };"};
	char *text = build(&p);
	struct wwtp_station *st = load_ok(text);
	free(text);

	assert_non_null(st->limits_spec);
	assert_int_equal(st->limits_spec->present, 1);
	assert_true(st->limits_spec->design_flow_m3d == 1000.0); /* copied from the station */
	assert_non_null(st->limits);
	assert_string_equal(st->limits->regulation, "QCVN40:2011");
	assert_string_equal(st->limits->column, "B");
	assert_true(st->limits->kq == 0.9);
	assert_true(st->limits->kf == 1.0);
	assert_true(fabs(row_of(st, "cod")->cmax_max - 135.0) < 1e-9);
	assert_true(row_of(st, "tss")->cmax_max == 60.0);
	assert_int_equal(row_of(st, "tss")->overridden, 1);
	assert_true(row_of(st, "ph")->cmax_min == 5.5 && row_of(st, "ph")->cmax_max == 9.0);
	char want[700];
	snprintf(want, sizeof(want), "%s/stations/../limits/qcvn40-2011.cfg", tmpdir);
	assert_string_equal(st->limits_file, want);

	assert_non_null(st->evaluation);
	assert_int_equal(st->evaluation->nwindows, 2);
	assert_int_equal(st->evaluation->windows_s[0], 600); /* sorted */
	assert_int_equal(st->evaluation->windows_s[1], 3600);
	assert_true(st->evaluation->min_availability == 0.8);
	assert_int_equal(st->evaluation->bucket_s, 30);
	assert_int_equal(st->evaluation->offline_after_s, 120);
	assert_true(st->evaluation->hysteresis == WWTP_EVAL_DEFAULT_HYSTERESIS);
	wwtp_station_free(st);

	/* kf from the permit: the design flow is not copied in. */
	p.top = "limits = { regulation = \"QCVN40:2011\"; column = \"A\"; kq = 1.0; kf = 1.1; };";
	text = build(&p);
	st = load_ok(text);
	free(text);
	assert_true(isnan(st->limits_spec->design_flow_m3d));
	assert_true(fabs(row_of(st, "cod")->cmax_max - 75 * 1.1) < 1e-9);
	wwtp_station_free(st);
}

static void test_no_limits(void **state)
{
	(void)state;
	struct parts p = {0};
	char *text = build(&p);
	struct wwtp_station *st = load_ok(text);
	free(text);
	/* Not judged; evaluated with the defaults. */
	assert_null(st->limits);
	assert_null(st->limits_spec);
	assert_string_equal(st->limits_file, "");
	assert_non_null(st->evaluation);
	assert_int_equal(st->evaluation->nwindows, 2);
	assert_int_equal(st->evaluation->windows_s[0], 3600);
	assert_int_equal(st->evaluation->windows_s[1], 86400);
	assert_true(st->evaluation->min_availability == WWTP_EVAL_DEFAULT_MIN_AVAILABILITY);
	assert_int_equal(st->evaluation->bucket_s, WWTP_EVAL_DEFAULT_BUCKET_S);
	wwtp_station_free(st);
}

static void test_limits_errors(void **state)
{
	(void)state;
	copy_regulation("limits");
	EXPECT(
	    9, "regulation \"QCVN40:1999\" not found", .station_x = "design_flow_m3d = 100;",
	    .top =
		"limits = { regulation = \"QCVN40:1999\"; column = \"B\"; water = \"river\"; };");
	EXPECT(
	    9, "has no column \"C\"", .station_x = "design_flow_m3d = 100;",
	    .top =
		"limits = { regulation = \"QCVN40:2011\"; column = \"C\"; water = \"river\"; };");
	EXPECT(10, "override of 'xyz', which QCVN40:2011 does not list: give its unit",
	       .station_x = "design_flow_m3d = 100;",
	       .top =
		   "limits = { regulation = \"QCVN40:2011\"; column = \"B\"; water = \"river\";\n"
		   "  overrides = ( { param = \"xyz\"; max = 3.0; } ); };");
	EXPECT(
	    9, "Kf unknown",
	    .top =
		"limits = { regulation = \"QCVN40:2011\"; column = \"B\"; water = \"river\"; };");
	EXPECT(9, "Kq unknown", .station_x = "design_flow_m3d = 100;",
	       .top = "limits = { regulation = \"QCVN40:2011\"; column = \"B\"; };");
	EXPECT(9, "unknown key 'colum'",
	       .top = "limits = { regulation = \"QCVN40:2011\"; colum = \"B\"; kq = 1; kf = 1; };");
	EXPECT(9, "limits", .top = "limits = 5;");
	EXPECT(9, "min_availability", .top = "evaluation = { min_availability = 1.5; };");
	EXPECT(9, "unknown key 'window'", .top = "evaluation = { window = [ 60 ]; };");
	EXPECT(9, "unknown top-level key 'limit'", .top = "limit = { regulation = \"x\"; };");
	/* Every problem at once: the limits group's and the evaluation's. */
	struct parts p = {
	    .top = "limits = { regulation = \"QCVN40:2011\"; column = \"Z\"; kq = 1; kf = 1; };\n"
		   "evaluation = { hysteresis = 0.9; };"};
	char *text = build(&p);
	struct wwtp_diag *d = wwtp_diag_new();
	struct wwtp_station *st = NULL;
	assert_int_equal(load_text(text, &st, d), WWTP_ERR_CONFIG);
	free(text);
	assert_true(fx_diag_has(d, station_path, 9, "no column \"Z\""));
	assert_true(fx_diag_has(d, station_path, 10, "hysteresis"));
	wwtp_diag_free(d);
}

static void test_limits_dir(void **state)
{
	(void)state;
	char dir[600];
	copy_regulation("regs");
	const char *lim =
	    "limits = { regulation = \"QCVN40:2011\"; column = \"B\"; kq = 1; kf = 1; };";

	/* The file's limits_dir, relative to the file's folder. */
	struct parts p = {.top = lim};
	char top[400];
	snprintf(top, sizeof(top), "%s\nlimits_dir = \"../regs\";", lim);
	p.top = top;
	char *text = build(&p);
	struct wwtp_station *st = load_ok(text);
	char want[700];
	snprintf(want, sizeof(want), "%s/stations/../regs/qcvn40-2011.cfg", tmpdir);
	assert_string_equal(st->limits_file, want);
	wwtp_station_free(st);

	/* The caller's folder wins over the file's: one without the id is an
	 * error at the regulation key, naming the folder. */
	snprintf(dir, sizeof(dir), "%s/profiles", tmpdir);
	struct wwtp_load_opts opts = {.limits_dir = dir};
	struct wwtp_diag *d = wwtp_diag_new();
	write_file("stations/t.cfg", text);
	free(text);
	assert_int_equal(wwtp_station_load(station_path, &opts, &st, d), WWTP_ERR_CONFIG);
	assert_true(fx_diag_has(d, station_path, 9, "regulation \"QCVN40:2011\" not found"));
	assert_true(fx_diag_has(d, station_path, 9, dir));
	wwtp_diag_free(d);

	/* A folder that is not there. */
	snprintf(top, sizeof(top), "%s\nlimits_dir = \"/nonexistent/limits\";", lim);
	EXPECT(9, "cannot read the folder of limit tables", .top = top);

	/* A station file away from any limits folder (<tmp>/away/deep/../limits
	 * does not exist): the limits folder next to the profiles is used. */
	snprintf(dir, sizeof(dir), "%s/away", tmpdir);
	assert_true(mkdir(dir, 0700) == 0 || errno == EEXIST);
	snprintf(dir, sizeof(dir), "%s/away/deep", tmpdir);
	assert_true(mkdir(dir, 0700) == 0 || errno == EEXIST);
	p.top = lim;
	text = build(&p);
	write_file("away/deep/t.cfg", text);
	free(text);
	char away[700];
	snprintf(away, sizeof(away), "%s/away/deep/t.cfg", tmpdir);
	snprintf(dir, sizeof(dir), "%s/regs/x", tmpdir); /* its ../limits: regs/limits, absent */
	struct wwtp_load_opts po = {.profiles_dir = dir};
	/* Last, config/limits of the working folder: from the source tree it
	 * is there, from the test's own folder not (then the message names the
	 * folder next to the file). */
	d = wwtp_diag_new();
	char cwd[600];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(srcdir()), 0);
	if (wwtp_station_load(away, &po, &st, d) != 0)
		dump(d);
	assert_non_null(st);
	assert_string_equal(st->limits_file, "config/limits/qcvn40-2011.cfg");
	wwtp_station_free(st);
	assert_int_equal(chdir(tmpdir), 0);
	assert_int_equal(wwtp_station_load(away, &po, &st, d), WWTP_ERR_CONFIG);
	snprintf(want, sizeof(want), "%s/away/deep/../limits", tmpdir);
	assert_true(fx_diag_has(d, away, 9, want));
	assert_int_equal(chdir(cwd), 0);
	wwtp_diag_free(d);
	copy_regulation("limits");
	snprintf(dir, sizeof(dir), "%s/profiles", tmpdir);
	po.profiles_dir = dir;
	d = wwtp_diag_new();
	if (wwtp_station_load(away, &po, &st, d) != 0)
		dump(d);
	assert_non_null(st);
	snprintf(want, sizeof(want), "%s/profiles/../limits/qcvn40-2011.cfg", tmpdir);
	assert_string_equal(st->limits_file, want);
	wwtp_station_free(st);
	wwtp_diag_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_minimal_defaults),
	    cmocka_unit_test(test_minimal_station_group),
	    cmocka_unit_test(test_full_values),
	    cmocka_unit_test(test_float_keys_accept_integers),
	    cmocka_unit_test(test_null_diag_and_args),
	    cmocka_unit_test(test_file_errors),
	    cmocka_unit_test(test_syntax_error),
	    cmocka_unit_test(test_unknown_keys),
	    cmocka_unit_test(test_mqtt_tls_keys),
	    cmocka_unit_test(test_wrong_types),
	    cmocka_unit_test(test_out_of_range),
	    cmocka_unit_test(test_big_integer_literals),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_missing_required),
	    cmocka_unit_test(test_transport_keys),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_overlaps_and_bits),
	    cmocka_unit_test(test_address_base),
	    cmocka_unit_test(test_all_problems_collected),
	    cmocka_unit_test(test_profile_points),
	    cmocka_unit_test(test_profile_errors),
	    cmocka_unit_test(test_profiles_dir_option),
	    cmocka_unit_test(test_include),
	    cmocka_unit_test(test_load_dir),
	    cmocka_unit_test(test_shipped_stations),
	    cmocka_unit_test(test_shipped_examples),
	    cmocka_unit_test(test_shipped_profiles),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_limits_groups),
	    cmocka_unit_test(test_no_limits),
	    cmocka_unit_test(test_limits_errors),
	    cmocka_unit_test(test_limits_dir),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
