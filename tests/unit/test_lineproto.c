/* test_lineproto.c - the line-protocol builder and the payload encoder
 * (central/ingest/lineproto.c): exact output, escaping of every
 * special character, refusals with the buffer rolled back, and the schema of
 * docs/influxdb-schema.md byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../central/ingest/confchange.h"
#include "../../central/ingest/lineproto.h"
#include "../../util/err.h"
#include "../../payload/payload.h"

static struct wwtp_buf b;

static int setup(void **state)
{
	(void)state;
	wwtp_buf_init(&b, 1 << 16);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	wwtp_buf_free(&b);
	return 0;
}

static const char *text(void)
{
	return b.data ? b.data : "";
}

static void test_point(void **state)
{
	struct wwtp_lp p;
	(void)state;

	wwtp_buf_reset(&b);
	wwtp_lp_begin(&p, &b, "reading");
	wwtp_lp_tag(&p, "station", "thanh-thuy");
	wwtp_lp_float(&p, "value", 42.1);
	wwtp_lp_int(&p, "seq", 41);
	wwtp_lp_str(&p, "status", "ok");
	assert_int_equal(wwtp_lp_end(&p, 1769878800000LL), 0);
	assert_string_equal(text(), "reading,station=thanh-thuy value=42.1,seq=41i,status=\"ok\" "
				    "1769878800000\n");

	/* Floats: shortest round trip; integers of a float field stay floats. */
	wwtp_buf_reset(&b);
	wwtp_lp_begin(&p, &b, "m");
	wwtp_lp_float(&p, "a", 7);
	wwtp_lp_float(&p, "b", -1.5e-7);
	wwtp_lp_float(&p, "c", 0.1 + 0.2);
	wwtp_lp_float(&p, "d", 1e20);
	wwtp_lp_int(&p, "e", -9223372036854775807LL - 1);
	wwtp_lp_float(&p, "f", 100);
	wwtp_lp_float(&p, "g", -2500);
	wwtp_lp_float(&p, "h", 1e15);
	assert_int_equal(wwtp_lp_end(&p, -5), 0);
	assert_string_equal(text(),
			    "m a=7,b=-1.5e-07,c=0.30000000000000004,d=1e+20,"
			    "e=-9223372036854775808i,f=100,g=-2500,h=1000000000000000 -5\n");
}

static void test_escaping(void **state)
{
	struct wwtp_lp p;
	(void)state;

	wwtp_buf_reset(&b);
	/* Measurement: commas and spaces. Tag keys, tag values, field keys:
	 * commas, equals signs and spaces. String values: quotes, backslashes. */
	wwtp_lp_begin(&p, &b, "my meas,x=1");
	wwtp_lp_tag(&p, "tag key,=", "a b,c=d");
	wwtp_lp_str(&p, "field key,= x", "say \"hi\" \\ C:\\dir\\");
	wwtp_lp_str(&p, "ctl", "line1\nline2\r\tend\x7f");
	wwtp_lp_str(&p, "utf8", "m³/h Thanh Thùy");
	wwtp_lp_str(&p, "empty", "");
	assert_int_equal(wwtp_lp_end(&p, 1), 0);
	assert_string_equal(text(),
			    "my\\ meas\\,x=1,tag\\ key\\,\\==a\\ b\\,c\\=d "
			    "field\\ key\\,\\=\\ x=\"say \\\"hi\\\" \\\\ C:\\\\dir\\\\\","
			    "ctl=\"line1 line2  end \",utf8=\"m³/h Thanh Thùy\",empty=\"\" 1\n");
}

/* Each refusal: the right error, and the buffer exactly as before. */
static void refused(void (*build)(struct wwtp_lp *p), int want)
{
	struct wwtp_lp p;

	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_buf_adds(&b, "before\n"), 0);
	build(&p);
	assert_int_equal(wwtp_lp_end(&p, 1), want);
	assert_string_equal(text(), "before\n");
	assert_int_equal(b.len, 7);
}

static void b_empty_tag(struct wwtp_lp *p)
{
	wwtp_lp_begin(p, &b, "m");
	wwtp_lp_tag(p, "station", "");
	wwtp_lp_int(p, "x", 1);
}
static void b_backslash_tag(struct wwtp_lp *p)
{
	wwtp_lp_begin(p, &b, "m");
	wwtp_lp_tag(p, "station", "a\\");
	wwtp_lp_int(p, "x", 1);
}
static void b_newline_tag(struct wwtp_lp *p)
{
	wwtp_lp_begin(p, &b, "m");
	wwtp_lp_tag(p, "station", "a\nb");
	wwtp_lp_int(p, "x", 1);
}
static void b_no_field(struct wwtp_lp *p)
{
	wwtp_lp_begin(p, &b, "m");
	wwtp_lp_tag(p, "station", "a");
}
static void b_tag_after_field(struct wwtp_lp *p)
{
	wwtp_lp_begin(p, &b, "m");
	wwtp_lp_int(p, "x", 1);
	wwtp_lp_tag(p, "station", "a");
}
static void b_comment(struct wwtp_lp *p)
{
	wwtp_lp_begin(p, &b, "#m");
	wwtp_lp_int(p, "x", 1);
}
static void b_empty_measurement(struct wwtp_lp *p)
{
	wwtp_lp_begin(p, &b, "");
	wwtp_lp_int(p, "x", 1);
}
static void b_empty_field_key(struct wwtp_lp *p)
{
	wwtp_lp_begin(p, &b, "m");
	wwtp_lp_int(p, "", 1);
}
static void b_nan(struct wwtp_lp *p)
{
	wwtp_lp_begin(p, &b, "m");
	wwtp_lp_int(p, "x", 1);
	wwtp_lp_float(p, "v", NAN);
}
static void b_inf(struct wwtp_lp *p)
{
	wwtp_lp_begin(p, &b, "m");
	wwtp_lp_float(p, "v", -INFINITY);
}
static void b_null_string(struct wwtp_lp *p)
{
	wwtp_lp_begin(p, &b, "m");
	wwtp_lp_str(p, "s", NULL);
}

static void test_refusals(void **state)
{
	(void)state;
	refused(b_empty_tag, WWTP_ERR_INVAL);
	refused(b_backslash_tag, WWTP_ERR_INVAL);
	refused(b_newline_tag, WWTP_ERR_INVAL);
	refused(b_no_field, WWTP_ERR_INVAL);
	refused(b_tag_after_field, WWTP_ERR_INVAL);
	refused(b_comment, WWTP_ERR_INVAL);
	refused(b_empty_measurement, WWTP_ERR_INVAL);
	refused(b_empty_field_key, WWTP_ERR_INVAL);
	refused(b_nan, WWTP_ERR_NAN);
	refused(b_inf, WWTP_ERR_NAN);
	refused(b_null_string, WWTP_ERR_INVAL);
}

static void test_full(void **state)
{
	struct wwtp_buf small;
	struct wwtp_lp p;
	(void)state;

	/* A point that does not fit leaves what was there. */
	wwtp_buf_init(&small, 20);
	assert_int_equal(wwtp_buf_adds(&small, "x v=1 1\n"), 0);
	wwtp_lp_begin(&p, &small, "reading");
	wwtp_lp_tag(&p, "station", "thanh-thuy");
	wwtp_lp_int(&p, "x", 1);
	assert_int_equal(wwtp_lp_end(&p, 1), WWTP_ERR_FULL);
	assert_string_equal(small.data, "x v=1 1\n");
	wwtp_buf_free(&small);
}

/* ---- the schema ---- */

static struct wwtp_in_reading rd[3];

static struct wwtp_in_msg telemetry(void)
{
	struct wwtp_in_msg m;
	memset(&m, 0, sizeof(m));
	memset(rd, 0, sizeof(rd));
	m.kind = WWTP_MSG_TELEMETRY;
	m.station = "thanh-thuy";
	m.device = "outlet-analyzer";
	m.has_ts = 1;
	m.ts_ms = 1769878800000LL;
	m.seq = 41;
	rd[0] = (struct wwtp_in_reading){.param = "cod",
					 .unit = "mg/L",
					 .status = WWTP_READING_OK,
					 .has_value = 1,
					 .value = 42.1};
	rd[1] = (struct wwtp_in_reading){.param = "ph",
					 .unit = "",
					 .status = WWTP_READING_CALIBRATING,
					 .has_value = 1,
					 .value = 7,
					 .reason = "cleaning"};
	rd[2] = (struct wwtp_in_reading){
	    .param = "tss", .unit = "mg/L", .status = WWTP_READING_OFFLINE, .reason = "timed out"};
	m.readings = rd;
	m.nreadings = 3;
	return m;
}

static void test_telemetry(void **state)
{
	struct wwtp_in_msg m = telemetry();
	size_t np = 99;
	(void)state;

	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_lp_encode(&m, &b, &np), 0);
	assert_int_equal(np, 3);
	assert_string_equal(
	    text(),
	    "reading,device=outlet-analyzer,param=cod,station=thanh-thuy "
	    "value=42.1,status=\"ok\",unit=\"mg/L\",seq=41i 1769878800000\n"
	    "reading,device=outlet-analyzer,param=ph,station=thanh-thuy "
	    "value=7,status=\"calibrating\",unit=\"\",seq=41i,reason=\"cleaning\" 1769878800000\n"
	    "reading,device=outlet-analyzer,param=tss,station=thanh-thuy "
	    "status=\"offline\",unit=\"mg/L\",seq=41i,reason=\"timed out\" 1769878800000\n");

	/* The same message again (an MQTT redelivery, a spool replay) is the
	 * same points: same series, same time, so InfluxDB overwrites. */
	char first[1024];
	snprintf(first, sizeof(first), "%s", text());
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_lp_encode(&m, &b, &np), 0);
	assert_string_equal(text(), first);

	/* A value marked suspect (docs/plausibility.md) keeps its mark and is
	 * stored as suspect_value: no reader of `value` counts it. */
	rd[0].suspect = "flatline";
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_lp_encode(&m, &b, &np), 0);
	assert_non_null(strstr(text(),
			       "reading,device=outlet-analyzer,param=cod,station=thanh-thuy "
			       "suspect_value=42.1,status=\"ok\",unit=\"mg/L\",seq=41i,"
			       "suspect=\"flatline\" 1769878800000\n"));
}

static void test_all_or_nothing(void **state)
{
	struct wwtp_in_msg m = telemetry();
	size_t np = 99;
	(void)state;

	/* The last reading cannot be written: none of the message is. */
	rd[2].has_value = 1;
	rd[2].value = NAN;
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_buf_adds(&b, "x v=1 1\n"), 0);
	assert_int_equal(wwtp_lp_encode(&m, &b, &np), WWTP_ERR_NAN);
	assert_int_equal(np, 0);
	assert_string_equal(text(), "x v=1 1\n");

	m.kind = 0;
	assert_int_equal(wwtp_lp_encode(&m, &b, &np), WWTP_ERR_INVAL);
	assert_string_equal(text(), "x v=1 1\n");
}

static void test_status(void **state)
{
	struct wwtp_in_msg m;
	size_t np;
	(void)state;

	memset(&m, 0, sizeof(m));
	m.kind = WWTP_MSG_STATUS;
	m.station = "bat-trang";
	m.state = "online";
	m.version = "0.1.0";
	m.has_ts = 1;
	m.ts_ms = 1769878800123LL;
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_lp_encode(&m, &b, &np), 0);
	assert_int_equal(np, 1);
	assert_string_equal(text(), "station_status,station=bat-trang "
				    "state=\"online\",online=1i,version=\"0.1.0\" 1769878800123\n");
	m.state = "offline";
	m.version = NULL;
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_lp_encode(&m, &b, &np), 0);
	assert_string_equal(text(), "station_status,station=bat-trang state=\"offline\",online=0i "
				    "1769878800123\n");
}

static struct wwtp_in_msg alert(const char *event)
{
	struct wwtp_in_msg m;
	memset(&m, 0, sizeof(m));
	m.kind = WWTP_MSG_ALERT;
	m.station = "thanh-thuy";
	m.id = "thanh-thuy:cod:exceedance:3600:1769878800000";
	m.event = event;
	m.alert_kind = "exceedance";
	m.alert_device = "outlet-analyzer";
	m.param = "cod";
	m.unit = "mg/L";
	m.has_window = 1;
	m.window_s = 3600;
	m.has_value = m.has_limit = m.has_ratio = 1;
	m.value = 120.5;
	m.limit = 100;
	m.ratio = 1.205;
	m.start_ms = 1769878800000LL;
	m.has_since = 1;
	m.since_ms = 1769875200000LL;
	return m;
}

static void test_alert(void **state)
{
	struct wwtp_in_msg m = alert("raised");
	size_t np;
	(void)state;

	/* A raise is dated by its start. */
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_lp_encode(&m, &b, &np), 0);
	assert_int_equal(np, 1);
	assert_string_equal(text(),
			    "alert,device=outlet-analyzer,event=raised,kind=exceedance,param=cod,"
			    "station=thanh-thuy,"
			    "window=3600 id=\"thanh-thuy:cod:exceedance:3600:1769878800000\","
			    "value=120.5,limit_value=100,ratio=1.205,unit=\"mg/L\","
			    "start_ms=1769878800000i,since_ms=1769875200000i 1769878800000\n");

	/* A clear by its end: another point, the raise stays. */
	m = alert("cleared");
	m.has_end = 1;
	m.end_ms = 1769886000000LL;
	m.has_ts = 1;
	m.ts_ms = 1769886000500LL;
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_lp_encode(&m, &b, &np), 0);
	assert_string_equal(text(),
			    "alert,device=outlet-analyzer,event=cleared,kind=exceedance,param=cod,"
			    "station=thanh-thuy,"
			    "window=3600 id=\"thanh-thuy:cod:exceedance:3600:1769878800000\","
			    "value=120.5,limit_value=100,ratio=1.205,unit=\"mg/L\","
			    "start_ms=1769878800000i,end_ms=1769886000000i,"
			    "since_ms=1769875200000i 1769886000000\n");

	/* A clear without end: its ts; without either: its start. */
	m.has_end = 0;
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_lp_encode(&m, &b, &np), 0);
	assert_non_null(strstr(text(), " 1769886000500\n"));
	m.has_ts = 0;
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_lp_encode(&m, &b, &np), 0);
	assert_non_null(strstr(text(), " 1769878800000\n"));

	/* An offline alert is about a device: no param. */
	m = alert("raised");
	m.alert_kind = "offline";
	m.param = NULL;
	m.unit = NULL;
	m.has_window = m.has_limit = m.has_ratio = m.has_since = 0;
	m.value = 90;
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_lp_encode(&m, &b, &np), 0);
	assert_string_equal(
	    text(), "alert,device=outlet-analyzer,event=raised,kind=offline,"
		    "station=thanh-thuy id=\"thanh-thuy:cod:exceedance:3600:1769878800000\","
		    "value=90,start_ms=1769878800000i 1769878800000\n");

	/* The least an alert has: id, station, event, kind, start. */
	memset(&m, 0, sizeof(m));
	m.kind = WWTP_MSG_ALERT;
	m.station = "thanh-thuy";
	m.id = "x";
	m.event = "raised";
	m.alert_kind = "fault";
	m.start_ms = 1000;
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_lp_encode(&m, &b, &np), 0);
	assert_string_equal(text(), "alert,event=raised,kind=fault,station=thanh-thuy "
				    "id=\"x\",start_ms=1000i 1000\n");
}

/* A config message: one point per change (its device, param and setting
 * as tags), or one without them when it lists none; the config_change
 * alert of a change carries the setting as a tag and the values. */
static void test_config(void **state)
{
	struct wwtp_in_change ch[2] = {
	    {.device = "outlet", .param = "cod", .setting = "scale", .from = "1", .to = "0.5"},
	    {.device = "",
	     .param = NULL,
	     .setting = "evaluation.fault_after",
	     .from = "3",
	     .to = NULL},
	};
	struct wwtp_in_msg m, a;
	char id[WWTP_CONFCHANGE_ID_MAX];
	size_t np;
	(void)state;
	memset(&m, 0, sizeof(m));
	m.kind = WWTP_MSG_CONFIG;
	m.station = "thanh-thuy";
	m.has_ts = 1;
	m.ts_ms = 1769878800000LL;
	m.seq = 7;
	m.fingerprint = "ab";
	m.previous = "cd";
	m.changes = ch;
	m.nchanges = 2;
	m.verified = 1;
	m.link = 40;
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_lp_encode(&m, &b, &np), 0);
	assert_int_equal(np, 2);
	assert_string_equal(text(),
			    "config,device=outlet,param=cod,setting=scale,station=thanh-thuy "
			    "fingerprint=\"ab\",previous=\"cd\",from_value=\"1\",to_value=\"0.5\","
			    "changes=2i,seq=7i,verified=1i,chain=40i 1769878800000\n"
			    "config,setting=evaluation.fault_after,station=thanh-thuy "
			    "fingerprint=\"ab\",previous=\"cd\",from_value=\"3\",changes=2i,seq=7i,"
			    "verified=1i,chain=40i 1769878800000\n");
	assert_int_equal(wwtp_confchange_alert(&m, 0, id, &a), 0);
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_lp_encode(&a, &b, &np), 0);
	assert_string_equal(text(), "alert,device=outlet,event=raised,kind=config_change,param=cod,"
				    "setting=scale,station=thanh-thuy id=\"thanh-thuy:config:7:1\","
				    "from_value=\"1\",to_value=\"0.5\",start_ms=1769878800000i,"
				    "verified=1i 1769878800000\n");
	/* The first run: no change, one point. */
	m.nchanges = 0;
	m.previous = NULL;
	wwtp_buf_reset(&b);
	assert_int_equal(wwtp_lp_encode(&m, &b, &np), 0);
	assert_int_equal(np, 1);
	assert_string_equal(text(),
			    "config,station=thanh-thuy fingerprint=\"ab\",changes=0i,seq=7i,"
			    "verified=1i,chain=40i 1769878800000\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_point),     cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_refusals),  cmocka_unit_test(test_full),
	    cmocka_unit_test(test_telemetry), cmocka_unit_test(test_all_or_nothing),
	    cmocka_unit_test(test_status),    cmocka_unit_test(test_alert),
	    cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
