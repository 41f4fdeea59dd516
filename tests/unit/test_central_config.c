/* test_central_config.c - central.cfg (central/config/config.c): the
 * shipped file, defaults, the InfluxDB 1.x / 2.x choice, and one
 * "FILE:LINE: ..." diagnostic for each kind of mistake. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../central/config/config.h"
#include "../../util/err.h"

static char path[] = "/tmp/wwtp-test-central-cfg-XXXXXX";
static int have_file;

static int teardown(void **state)
{
	(void)state;
	if (have_file)
		unlink(path);
	return 0;
}

static const char *write_cfg(const char *text)
{
	if (!have_file) {
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		close(fd);
		have_file = 1;
	}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Loads text; expects failure with exactly one diagnostic holding `want`
 * at line `line` (0: do not check the line). */
static void expect_error(const char *text, int line, const char *want)
{
	struct wwtp_central_cfg cfg;
	struct wwtp_diag *d = wwtp_diag_new();
	char prefix[128];

	assert_int_equal(wwtp_central_config_load(write_cfg(text), &cfg, d), WWTP_ERR_CONFIG);
	if (wwtp_diag_count(d) != 1 || !strstr(wwtp_diag_get(d, 0), want)) {
		wwtp_diag_print(d, stderr);
		fail_msg("want one diagnostic with \"%s\"", want);
	}
	if (line > 0) {
		snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
		assert_true(strncmp(wwtp_diag_get(d, 0), prefix, strlen(prefix)) == 0);
	}
	wwtp_diag_free(d);
}

#define MIN_MQTT "mqtt = { uri = \"tcp://127.0.0.1:1883\"; };\n"
#define MIN_INFLUX "influxdb = { url = \"http://127.0.0.1:8086\"; database = \"wwtp\"; };\n"
#define MIN_DIR "stations_dir = \"config/stations\";\n"

static void test_shipped(void **state)
{
	struct wwtp_central_cfg cfg;
	struct wwtp_diag *d = wwtp_diag_new();
	(void)state;

	/* The tests run from the top folder (tests/run.sh). */
	int rc = wwtp_central_config_load("config/central.cfg", &cfg, d);
	wwtp_diag_print(d, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(cfg.influx.api, WWTP_INFLUX_V1);
	assert_string_equal(cfg.influx.database, "wwtp");
	assert_string_equal(cfg.mqtt.topic_prefix, "wwtp");
	assert_string_equal(cfg.stations_dir, "config/stations");
	assert_string_equal(cfg.http_listen, "127.0.0.1:8080");
	assert_int_equal(cfg.http_enabled, 1);
	assert_int_equal(cfg.flags.window_h, 168);
	assert_int_equal(cfg.flags.refresh_s, 10);
	wwtp_diag_free(d);
}

static void test_defaults(void **state)
{
	struct wwtp_central_cfg cfg;
	(void)state;

	assert_int_equal(
	    wwtp_central_config_load(write_cfg(MIN_MQTT MIN_INFLUX MIN_DIR), &cfg, NULL), 0);
	assert_string_equal(cfg.mqtt.uri, "tcp://127.0.0.1:1883");
	assert_string_equal(cfg.mqtt.topic_prefix, "wwtp");
	assert_string_equal(cfg.mqtt.client_id, "wwtp-central");
	assert_int_equal(cfg.mqtt.keepalive_s, 30);
	assert_int_equal(cfg.mqtt.qos, 1);
	assert_int_equal(cfg.influx.api, WWTP_INFLUX_V1);
	assert_int_equal(cfg.influx.create_database, 0);
	assert_int_equal(cfg.influx.batch_max_points, 5000);
	assert_int_equal(cfg.influx.batch_max_ms, 250);
	assert_int_equal(cfg.influx.gzip_min_bytes, 4096);
	assert_int_equal(cfg.influx.timeout_ms, 10000);
	assert_int_equal(cfg.influx.connect_timeout_ms, 3000);
	assert_int_equal(cfg.influx.retry_min_ms, 1000);
	assert_int_equal(cfg.influx.retry_max_ms, 60000);
	assert_string_equal(cfg.influx.spool_dir, "/var/lib/wwtp-central/spool");
	assert_int_equal(cfg.influx.spool_max_mb, 1024);
	assert_string_equal(cfg.http_listen, "127.0.0.1:8080");
	/* Without an http group there is no API. */
	assert_int_equal(cfg.http_enabled, 0);
	/* The flags of docs/flags.md. */
	assert_int_equal(cfg.flags.window_h, 168);
	assert_int_equal(cfg.flags.min_hours, 12);
	assert_int_equal(cfg.flags.refresh_s, 10);
	assert_true(cfg.flags.hour_min_ok == 0.75);
	assert_true(cfg.flags.compliance_min == 0.90);
	assert_true(cfg.flags.availability_min == 0.75);
	assert_true(cfg.flags.fault_max == 0.20);
	assert_true(cfg.flags.cod_removal_min == 0.80);
	assert_true(cfg.flags.nh4_removal_min == 0.70);
	assert_true(cfg.flags.hydraulic_max == 1.10);
	assert_true(cfg.flags.hysteresis == 0.03);
	assert_string_equal(cfg.profiles_dir, "");
	assert_int_equal(cfg.stats_interval_s, 300);
	assert_string_equal(cfg.path, path);
}

static void test_flags_group(void **state)
{
	struct wwtp_central_cfg cfg;
	(void)state;

	assert_int_equal(
	    wwtp_central_config_load(
		write_cfg(MIN_MQTT MIN_INFLUX MIN_DIR
			  "http = { listen = \"[::1]:9090\"; accounts_file = \"a\";\n"
			  "  tls_cert_file = \"c.pem\"; tls_key_file = \"k.pem\"; session_idle_s = "
			  "60; };\n"
			  "flags = { window_h = 24; min_hours = 6; refresh_s = 1;\n"
			  "  compliance_min = 0.95; hydraulic_max = 1; hysteresis = 0; };\n"),
		&cfg, NULL),
	    0);
	assert_int_equal(cfg.http_enabled, 1);
	assert_string_equal(cfg.http_listen, "[::1]:9090");
	assert_string_equal(cfg.http.accounts_file, "a");
	assert_string_equal(cfg.http.tls_key_file, "k.pem");
	assert_int_equal(cfg.http.session_idle_s, 60);
	assert_int_equal(cfg.http.session_max_s, 43200);
	assert_int_equal(cfg.http.max_body_bytes, 16384);
	assert_string_equal(cfg.http.acks_file, "/var/lib/wwtp-central/acks.jsonl");
	assert_int_equal(cfg.flags.window_h, 24);
	assert_int_equal(cfg.flags.min_hours, 6);
	assert_int_equal(cfg.flags.refresh_s, 1);
	assert_true(cfg.flags.compliance_min == 0.95);
	assert_true(cfg.flags.hydraulic_max == 1.0); /* an integer is a number too */
	assert_true(cfg.flags.hysteresis == 0.0);
	assert_true(cfg.flags.fault_max == 0.20); /* the rest: defaults */
}

/* The lab group (ingest/labsample.h): the defaults without it, what is
 * given with it, unknown keys and out-of-range values refused. */
static void test_lab_group(void **state)
{
	struct wwtp_central_cfg cfg;
	(void)state;
	assert_int_equal(
	    wwtp_central_config_load(write_cfg(MIN_MQTT MIN_INFLUX MIN_DIR), &cfg, NULL), 0);
	assert_int_equal(cfg.lab.window_s, 1800);
	assert_true(cfg.lab.tolerance_pct == 20.0);
	assert_true(cfg.lab.tolerance_abs == 0.0);
	assert_int_equal(
	    wwtp_central_config_load(write_cfg(MIN_MQTT MIN_INFLUX MIN_DIR
					       "lab = { window_s = 900; tolerance_pct = 15; "
					       "tolerance_abs = 0.5; };\n"),
				     &cfg, NULL),
	    0);
	assert_int_equal(cfg.lab.window_s, 900);
	assert_true(cfg.lab.tolerance_pct == 15.0);
	assert_true(cfg.lab.tolerance_abs == 0.5);
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "lab = { tolerance = 10; };\n", 4,
		     "unknown key 'tolerance' in lab");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "lab = { window_s = 10; };\n", 4, "window_s");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "lab = { tolerance_pct = -1.0; };\n", 4,
		     "tolerance_pct");
}

/* The alarms group: per kind, what is given over the kind's defaults;
 * unknown kinds and keys refused; no on-delay for exceedances. */
static void test_alarms_group(void **state)
{
	struct wwtp_central_cfg cfg;
	struct wwtp_alarm_policies d;
	(void)state;

	wwtp_alarm_policies_default(&d);
	assert_int_equal(
	    wwtp_central_config_load(write_cfg(MIN_MQTT MIN_INFLUX MIN_DIR), &cfg, NULL), 0);
	assert_memory_equal(&cfg.alarms, &d, sizeof(d));
	assert_int_equal(wwtp_central_config_load(
			     write_cfg(MIN_MQTT MIN_INFLUX MIN_DIR
				       "alarms = { fault = { on_delay_s = 60; };\n"
				       "  exceedance = { off_delay_s = 0; rearm_s = 0; }; };\n"),
			     &cfg, NULL),
			 0);
	assert_int_equal(cfg.alarms.kind[WWTP_ALERT_FAULT].on_delay_s, 60);
	assert_int_equal(cfg.alarms.kind[WWTP_ALERT_FAULT].off_delay_s,
			 d.kind[WWTP_ALERT_FAULT].off_delay_s);
	assert_int_equal(cfg.alarms.kind[WWTP_ALERT_EXCEEDANCE].off_delay_s, 0);
	assert_int_equal(cfg.alarms.kind[WWTP_ALERT_OFFLINE].on_delay_s,
			 d.kind[WWTP_ALERT_OFFLINE].on_delay_s);
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "alarms = { smoke = { on_delay_s = 1; }; };\n", 4,
		     "smoke");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "alarms = { fault = { delay_s = 1; }; };\n", 4,
		     "delay_s");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "alarms = { fault = { rearm_s = -1; }; };\n", 4,
		     "rearm_s");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR
		     "alarms = { exceedance = { on_delay_s = 60; }; };\n",
		     4, "never later");
}

static void test_v2(void **state)
{
	struct wwtp_central_cfg cfg;
	(void)state;

	assert_int_equal(
	    wwtp_central_config_load(
		write_cfg(MIN_MQTT MIN_DIR
			  "influxdb = { url = \"https://influx.example/base//\";\n"
			  "  org = \"hanoi\"; bucket = \"wwtp\"; token_file = \"/t\";\n"
			  "  batch_max_points = 10; spool_dir = \"/tmp/s\"; };\n"),
		&cfg, NULL),
	    0);
	assert_int_equal(cfg.influx.api, WWTP_INFLUX_V2);
	assert_string_equal(cfg.influx.url, "https://influx.example/base");
	assert_string_equal(cfg.influx.org, "hanoi");
	assert_string_equal(cfg.influx.token_file, "/t");
	assert_int_equal(cfg.influx.batch_max_points, 10);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "colour = \"blue\";\n", 4,
		     "unknown top-level key 'colour'");
	expect_error("mqtt = { uri = \"tcp://h:1\";\n  port = 5; };\n" MIN_INFLUX MIN_DIR, 2,
		     "unknown key 'port' in mqtt");
	expect_error(MIN_INFLUX MIN_DIR, 0, "missing required key 'mqtt'");
	expect_error(MIN_MQTT MIN_INFLUX, 0, "missing required key 'stations_dir'");
	expect_error(MIN_MQTT MIN_DIR "influxdb = { database = \"w\"; };\n", 3,
		     "missing required key 'url'");
	expect_error("mqtt = { uri = \"http://h:1\"; };\n" MIN_INFLUX MIN_DIR, 1,
		     "must start with tcp://");
	expect_error("mqtt = { uri = \"tcp://h:1\"; topic_prefix = \"/x\"; };\n" MIN_INFLUX MIN_DIR,
		     1, "must not begin or end with '/'");
	expect_error(
	    "mqtt = { uri = \"tcp://h:1\"; topic_prefix = \"a+b\"; };\n" MIN_INFLUX MIN_DIR, 1,
	    "may only contain");
	expect_error("mqtt = { uri = \"tcp://h:1\"; qos = 0; };\n" MIN_INFLUX MIN_DIR, 1,
		     "qos 0 out of range 1..2");
	expect_error(MIN_MQTT MIN_DIR "influxdb = { url = \"ftp://h\"; database = \"w\"; };\n", 3,
		     "must start with http:// or https://");
	expect_error(MIN_MQTT MIN_DIR
		     "influxdb = { url = \"http://h?db=x\"; database = \"w\"; };\n",
		     3, "must not hold a query");
	expect_error(MIN_MQTT MIN_DIR "influxdb = { url = \"http://h\"; };\n", 3,
		     "say where to write");
	expect_error(MIN_MQTT MIN_DIR "influxdb = { url = \"http://h\"; database = \"w\";\n"
				      "  bucket = \"b\"; };\n",
		     3, "not both");
	expect_error(MIN_MQTT MIN_DIR
		     "influxdb = { url = \"http://h\"; org = \"o\"; bucket = \"b\"; };\n",
		     3, "needs all of org, bucket and token_file");
	expect_error(MIN_MQTT MIN_DIR
		     "influxdb = { url = \"http://h\"; org = \"o\"; bucket = \"b\";\n"
		     "  token_file = \"/t\"; create_database = true; };\n",
		     4, "create_database is for InfluxDB 1.x");
	expect_error(MIN_MQTT MIN_DIR "influxdb = { url = \"http://h\"; database = \"w\";\n"
				      "  username = \"u\"; };\n",
		     4, "username and password_file go together");
	expect_error(MIN_MQTT MIN_DIR "influxdb = { url = \"http://h\"; database = \"w\";\n"
				      "  retry_min_ms = 5000; retry_max_ms = 1000; };\n",
		     4, "retry_min_ms (5000) must not exceed retry_max_ms (1000)");
	expect_error(MIN_MQTT MIN_DIR "influxdb = { url = \"http://h\"; database = \"w\";\n"
				      "  batch_max_points = 0; };\n",
		     4, "batch_max_points 0 out of range");
	expect_error(MIN_MQTT MIN_DIR "influxdb = { url = \"http://h\"; database = \"w\";\n"
				      "  batch_max_ms = \"fast\"; };\n",
		     4, "batch_max_ms must be an integer, not a string");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR
		     "http = { listen = \"8080\"; accounts_file = \"a\"; };\n",
		     4, "must be \"host:port\"");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR
		     "http = { listen = \"h:99999\"; accounts_file = \"a\"; };\n",
		     4, "must be \"host:port\"");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "http = { listen = \"h:80\"; };\n", 4,
		     "missing required key 'accounts_file'");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR
		     "http = { accounts_file = \"a\"; tls_key_file = \"k\"; };\n",
		     4, "tls_cert_file and tls_key_file go together");
	expect_error(
	    MIN_MQTT MIN_INFLUX MIN_DIR
	    "http = { accounts_file = \"a\"; session_idle_s = 600; session_max_s = 60; };\n",
	    4, "must not exceed session_max_s");
	expect_error(MIN_MQTT MIN_INFLUX "stations_dir = ;\n", 3, "syntax error");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "flags = { window_days = 7; };\n", 4,
		     "window_days");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "flags = { window_h = 0; };\n", 4, "window_h");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "flags = { fault_max = 1.5; };\n", 4, "fault_max");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "flags = { compliance_min = \"high\"; };\n", 4,
		     "compliance_min");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "flags = { window_h = 24;\n  min_hours = 48; };\n",
		     5, "min_hours (48) must not exceed window_h (24)");

	/* libconfig would wrap this to 705032704: said so, not taken. */
	struct wwtp_central_cfg cfg;
	struct wwtp_diag *d = wwtp_diag_new();
	assert_int_equal(
	    wwtp_central_config_load(
		write_cfg(MIN_MQTT MIN_INFLUX MIN_DIR "stats_interval_s = 5000000000;\n"), &cfg, d),
	    WWTP_ERR_CONFIG);
	assert_non_null(strstr(wwtp_diag_get(d, 0), "does not fit in 32 bits"));
	wwtp_diag_free(d);

	d = wwtp_diag_new();
	assert_int_equal(wwtp_central_config_load("/nonexistent/central.cfg", &cfg, d),
			 WWTP_ERR_CONFIG);
	assert_non_null(strstr(wwtp_diag_get(d, 0), "cannot read the configuration file"));
	wwtp_diag_free(d);
}

/* The mqtt group's TLS and credential keys (util/mqtt_auth.h). */
static void test_mqtt_tls(void **state)
{
	struct wwtp_central_cfg cfg;
	(void)state;

	assert_int_equal(
	    wwtp_central_config_load(
		write_cfg(
		    "mqtt = { uri = \"ssl://broker:8883\"; ca_file = \"/etc/ca.crt\";\n"
		    "  cert_file = \"/etc/c.crt\"; key_file = \"/etc/c.key\";\n"
		    "  username = \"wwtp-central\"; password_file = \"/etc/pw\"; };\n" MIN_INFLUX
			MIN_DIR),
		&cfg, NULL),
	    0);
	assert_string_equal(cfg.mqtt.auth.ca_file, "/etc/ca.crt");
	assert_string_equal(cfg.mqtt.auth.cert_file, "/etc/c.crt");
	assert_string_equal(cfg.mqtt.auth.key_file, "/etc/c.key");
	assert_string_equal(cfg.mqtt.auth.username, "wwtp-central");
	assert_string_equal(cfg.mqtt.auth.password_file, "/etc/pw");
	expect_error(
	    "mqtt = { uri = \"tcp://b:1883\";\n  ca_file = \"/etc/ca.crt\"; };\n" MIN_INFLUX
		MIN_DIR,
	    2, "ca_file, cert_file and key_file need a TLS uri");
	expect_error(
	    "mqtt = { uri = \"ssl://b:8883\";\n  password_file = \"/etc/pw\"; };\n" MIN_INFLUX
		MIN_DIR,
	    2, "password_file needs username");
	expect_error(
	    "mqtt = { uri = \"ssl://b:8883\";\n  key_file = \"/etc/k\"; };\n" MIN_INFLUX MIN_DIR, 2,
	    "key_file needs cert_file");
	expect_error(
	    "mqtt = { uri = \"ssl://b:8883\";\n  username = \"a b\"; };\n" MIN_INFLUX MIN_DIR, 2,
	    "username");
}

/* The notify group: the contract keys exactly, the defaults, and
 * one FILE:LINE error for each mistake. */
#define NOTIFY_CONTRACT                                                                            \
	"notify = {\n"                                                                             \
	"  smtp = { url = \"smtp://127.0.0.1:2525\"; from = \"giamsat@example.vn\"; };\n"          \
	"  recipients = ( { email = \"thanhtra@example.vn\"; stations = [ \"*\" ]; min_priority "  \
	"= "                                                                                       \
	"\"high\"; } );\n"                                                                         \
	"  webhooks = ( { url = \"http://127.0.0.1:9000/hook\"; min_priority = \"medium\"; } );\n" \
	"  min_interval_s = 300;\n"                                                                \
	"};\n"

static void test_notify(void **state)
{
	struct wwtp_central_cfg cfg;
	(void)state;

	assert_int_equal(
	    wwtp_central_config_load(write_cfg(MIN_MQTT MIN_INFLUX MIN_DIR), &cfg, NULL), 0);
	assert_int_equal(cfg.notify.enabled, 0); /* no group: no notifications */
	assert_int_equal(wwtp_central_config_load(
			     write_cfg(MIN_MQTT MIN_INFLUX MIN_DIR NOTIFY_CONTRACT), &cfg, NULL),
			 0);
	assert_int_equal(cfg.notify.enabled, 1);
	assert_int_equal(cfg.notify.has_smtp, 1);
	assert_string_equal(cfg.notify.smtp.url, "smtp://127.0.0.1:2525");
	assert_string_equal(cfg.notify.smtp.from, "giamsat@example.vn");
	assert_int_equal(cfg.notify.smtp.use_ssl, 0);
	assert_int_equal(cfg.notify.ntargets, 2);
	assert_int_equal(cfg.notify.targets[0].mail, 1);
	assert_string_equal(cfg.notify.targets[0].addr, "thanhtra@example.vn");
	assert_int_equal(cfg.notify.targets[0].nstations, 1);
	assert_string_equal(cfg.notify.targets[0].stations[0], "*");
	assert_string_equal(cfg.notify.targets[0].min_priority, "high");
	assert_int_equal(cfg.notify.targets[1].mail, 0);
	assert_string_equal(cfg.notify.targets[1].addr, "http://127.0.0.1:9000/hook");
	assert_string_equal(cfg.notify.targets[1].min_priority, "medium");
	assert_string_equal(cfg.notify.targets[1].stations[0], "*"); /* not given: all */
	assert_int_equal(cfg.notify.min_interval_s, 300);
	assert_int_equal(cfg.notify.delay_s, 10);
	assert_int_equal(cfg.notify.retry_min_s, 30);
	assert_int_equal(cfg.notify.retry_max_s, 3600);
	assert_string_equal(cfg.notify.dir, "/var/lib/wwtp-central/notify");

	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR
		     "notify = {\n  recipients = ( { email = \"a@b.vn\"; } );\n};\n",
		     5, "recipients need an smtp group");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR
		     "notify = { smtp = { url = \"smtp://h\"; from = \"g@b.vn\"; };\n"
		     "  recipients = ( { email = \"not an address\"; } ); };\n",
		     5, "is not an address");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR
		     "notify = { smtp = { url = \"http://h\"; from = \"g@b.vn\"; }; };\n",
		     4, "must start with smtp:// or smtps://");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR
		     "notify = {\n  webhooks = ( { url = \"ftp://h/x\"; } ); };\n",
		     5, "must start with http:// or https://");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR
		     "notify = {\n  webhooks = ( { url = \"http://h/x\";\n"
		     "  min_priority = \"urgent\"; } ); };\n",
		     6, "min_priority");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "notify = {\n  colour = 1; };\n", 5, "colour");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR
		     "notify = { smtp = { url = \"smtp://h\"; from = \"g@b.vn\";\n"
		     "  username = \"u\"; }; };\n",
		     5, "username and password_file go together");
}

static void test_report_group(void **state)
{
	static struct wwtp_central_cfg cfg;
	(void)state;

	/* No group: the defaults, no scheduled run. */
	assert_int_equal(
	    wwtp_central_config_load(write_cfg(MIN_MQTT MIN_INFLUX MIN_DIR), &cfg, NULL), 0);
	assert_int_equal(cfg.report.enabled, 0);
	assert_string_equal(cfg.report.issuer, "HỆ THỐNG GIÁM SÁT NƯỚC THẢI");
	assert_string_equal(cfg.report.number_pattern, "%n/BC-GSNT");
	assert_string_equal(cfg.report.lang, "vi");
	assert_int_equal(cfg.report.day, 5);
	assert_int_equal(cfg.report.quarter_day, 15);
	assert_int_equal(cfg.report.year_day, 10);
	assert_int_equal(cfg.report.ndistribution, 4);
	assert_string_equal(cfg.report.distribution[3], "Lưu: VT");
	assert_int_equal(cfg.report.nemails, 0);

	assert_int_equal(
	    wwtp_central_config_load(
		write_cfg(MIN_MQTT MIN_INFLUX MIN_DIR
			  "notify = { smtp = { url = \"smtp://h\"; from = \"g@b.vn\"; }; };\n"
			  "report = { issuer = \"Ban Quản lý\"; number_pattern = \"%n/BC-BQL\";\n"
			  "  distribution = [ \"Sở Công Thương\", \"Lưu: VT\" ]; day = 19;\n"
			  "  emails = [ \"a@b.vn\" ]; lang = \"en\"; };\n"),
		&cfg, NULL),
	    0);
	assert_int_equal(cfg.report.enabled, 1);
	assert_string_equal(cfg.report.issuer, "Ban Quản lý");
	assert_int_equal(cfg.report.ndistribution, 2);
	assert_int_equal(cfg.report.day, 19);
	assert_int_equal(cfg.report.nemails, 1);
	assert_string_equal(cfg.report.emails[0], "a@b.vn");
	assert_string_equal(cfg.report.lang, "en");

	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "report = {\n  colour = 1; };\n", 5, "colour");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "report = {\n  day = 20; };\n", 5, "day");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "report = {\n  number_pattern = \"BC\"; };\n", 5,
		     "must hold %n");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "report = {\n  emails = [ \"a@b.vn\" ]; };\n", 5,
		     "emails need notify.smtp");
	expect_error(MIN_MQTT MIN_INFLUX MIN_DIR "report = {\n  lang = \"fr\"; };\n", 5, "lang");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipped),	 cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_flags_group),	 cmocka_unit_test(test_alarms_group),
	    cmocka_unit_test(test_v2),		 cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_mqtt_tls),	 cmocka_unit_test(test_notify),
	    cmocka_unit_test(test_report_group), cmocka_unit_test(test_lab_group),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
