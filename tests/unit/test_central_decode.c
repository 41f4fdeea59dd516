/* test_central_decode.c - the central side's payload decoder
 * (central/ingest/decode.c and central/ingest/registry.c): accepted
 * telemetry, status and alert payloads with every field, unknown keys
 * ignored, one case or more for every rejection reason, the time bounds,
 * and garbage (random and mutated payloads) that must never crash it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../central/ingest/confchange.h"
#include "../../central/ingest/decode.h"
#include "../../central/ingest/evalcut.h"
#include "../../central/ingest/registry.h"
#include "../../util/err.h"
#include "../../payload/payload.h"
#include "../../util/buf.h"

/* 2026-02-01T00:00:00.000Z: "now" for every test. */
#define NOW 1769904000000LL

static struct wwtp_registry *reg;

static int setup(void **state)
{
	static const char *const ids[] = {"thanh-thuy", "bat-trang"};
	(void)state;
	reg = wwtp_registry_new();
	assert_non_null(reg);
	for (size_t i = 0; i < 2; i++) {
		struct wwtp_reg_station st;
		memset(&st, 0, sizeof(st));
		snprintf(st.id, sizeof(st.id), "%s", ids[i]);
		snprintf(st.plan, sizeof(st.plan), "%s", i ? "review" : "task13");
		st.plan_review = i == 1;
		assert_int_equal(wwtp_registry_add(reg, &st), 0);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	wwtp_registry_free(reg);
	return 0;
}

static int decode(const char *topic, const char *payload, struct wwtp_in_msg *m,
		  struct wwtp_reject_info *why)
{
	return wwtp_decode(topic, strlen(topic), "wwtp", payload, strlen(payload), reg, NOW, m,
			   why);
}

#define TEL_TOPIC "wwtp/thanh-thuy/telemetry"
#define GOOD_TEL                                                                                   \
	"{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"outlet-analyzer\","                      \
	"\"ts\":\"2026-01-31T17:00:00.000Z\",\"seq\":41,\"readings\":["                            \
	"{\"param\":\"cod\",\"value\":42.1,\"unit\":\"mg/L\",\"status\":\"ok\"},"                  \
	"{\"param\":\"nh4\",\"value\":-0.5,\"unit\":\"mg/L\",\"status\":\"calibrating\","          \
	"\"reason\":\"instrument is calibrating\"},"                                               \
	"{\"param\":\"tss\",\"unit\":\"\",\"status\":\"offline\",\"reason\":\"timed out\"}]}"

/* ---- accepted ---- */

static void test_telemetry(void **state)
{
	struct wwtp_in_msg m;
	struct wwtp_reject_info why;
	(void)state;

	assert_int_equal(decode(TEL_TOPIC, GOOD_TEL, &m, &why), 0);
	assert_int_equal(m.kind, WWTP_MSG_TELEMETRY);
	assert_string_equal(m.station, "thanh-thuy");
	assert_string_equal(m.device, "outlet-analyzer");
	assert_int_equal(m.ts_ms, 1769878800000LL);
	assert_int_equal(m.seq, 41);
	assert_int_equal(m.nreadings, 3);
	assert_string_equal(m.readings[0].param, "cod");
	assert_true(m.readings[0].has_value);
	assert_true(m.readings[0].value == 42.1);
	assert_string_equal(m.readings[0].unit, "mg/L");
	assert_int_equal(m.readings[0].status, WWTP_READING_OK);
	assert_null(m.readings[0].reason);
	assert_int_equal(m.readings[1].status, WWTP_READING_CALIBRATING);
	assert_string_equal(m.readings[1].reason, "instrument is calibrating");
	assert_false(m.readings[2].has_value);
	assert_int_equal(m.readings[2].status, WWTP_READING_OFFLINE);
	assert_string_equal(m.readings[2].unit, "");
	assert_null(m.readings[0].suspect); /* a payload before issue 19: not checked */
	wwtp_in_msg_clear(&m);
	wwtp_in_msg_clear(&m); /* twice is harmless */
}

/* docs/plausibility.md: the mark is taken as given ([a-z_], a later
 * collector may name another check), dropped without a value, refused when
 * it is not a name. */
static void test_suspect(void **state)
{
	struct wwtp_in_msg m;
	struct wwtp_reject_info why;
	(void)state;

	const char *p =
	    "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"d\",\"ts\":\"2026-01-31T17:00:00."
	    "000Z\","
	    "\"seq\":1,\"readings\":[{\"param\":\"ph\",\"value\":256,\"unit\":\"pH\",\"status\":"
	    "\"ok\",\"suspect\":\"range\"},{\"param\":\"cod\",\"value\":12.2,\"unit\":\"mg/L\","
	    "\"status\":\"ok\",\"suspect\":\"some_new_check\"},{\"param\":\"tss\",\"unit\":\"\","
	    "\"status\":\"offline\",\"suspect\":\"flatline\"}]}";
	assert_int_equal(decode(TEL_TOPIC, p, &m, &why), 0);
	assert_string_equal(m.readings[0].suspect, "range");
	assert_string_equal(m.readings[1].suspect, "some_new_check");
	assert_null(m.readings[2].suspect);
	wwtp_in_msg_clear(&m);
	const char *bad =
	    "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"d\",\"ts\":\"2026-01-31T17:00:00."
	    "000Z\","
	    "\"seq\":1,\"readings\":[{\"param\":\"ph\",\"value\":7,\"unit\":\"pH\",\"status\":"
	    "\"ok\",\"suspect\":\"Range!\"}]}";
	assert_int_not_equal(decode(TEL_TOPIC, bad, &m, &why), 0);
	wwtp_in_msg_clear(&m);
}

static void test_unknown_keys_ignored(void **state)
{
	struct wwtp_in_msg m;
	struct wwtp_reject_info why;
	(void)state;

	/* New keys (the "eval" object, anything later) leave v at 1. */
	const char *p =
	    "{\"v\":1,\"station\":\"bat-trang\",\"device\":\"d_1\",\"future\":[1,{}],"
	    "\"ts\":\"2026-01-31T17:00:00.000Z\",\"seq\":0,\"eval\":{\"cod\":{\"avg\":3}},"
	    "\"readings\":[{\"param\":\"ph\",\"value\":7,\"unit\":\"\",\"status\":\"fault\","
	    "\"new\":null}]}";
	assert_int_equal(decode("wwtp/bat-trang/telemetry", p, &m, &why), 0);
	assert_int_equal(m.seq, 0);
	assert_true(m.readings[0].value == 7.0);
	assert_int_equal(m.readings[0].status, WWTP_READING_FAULT);
	wwtp_in_msg_clear(&m);
}

static void test_status(void **state)
{
	struct wwtp_in_msg m;
	struct wwtp_reject_info why;
	(void)state;

	assert_int_equal(decode("wwtp/thanh-thuy/status",
				"{\"v\":1,\"station\":\"thanh-thuy\",\"state\":\"offline\","
				"\"version\":\"0.1.0\",\"ts\":\"2026-01-31T17:00:00.000Z\"}",
				&m, &why),
			 0);
	assert_int_equal(m.kind, WWTP_MSG_STATUS);
	assert_string_equal(m.state, "offline");
	assert_string_equal(m.version, "0.1.0");
	assert_int_equal(m.ts_ms, 1769878800000LL);
	wwtp_in_msg_clear(&m);

	/* A prefix with levels of its own. */
	const char *sp = "{\"v\":1,\"station\":\"thanh-thuy\",\"state\":\"online\","
			 "\"ts\":\"2026-01-31T17:00:00.000Z\"}";
	const char *stopic = "a/b/thanh-thuy/status";
	assert_int_equal(
	    wwtp_decode(stopic, strlen(stopic), "a/b", sp, strlen(sp), reg, NOW, &m, &why), 0);
	assert_null(m.version);
	wwtp_in_msg_clear(&m);
}

static void test_alert(void **state)
{
	struct wwtp_in_msg m;
	struct wwtp_reject_info why;
	(void)state;

	assert_int_equal(
	    decode("wwtp/thanh-thuy/alert",
		   "{\"v\":1,\"id\":\"thanh-thuy:cod:exceedance:3600:1769878800000\","
		   "\"station\":\"thanh-thuy\",\"event\":\"cleared\",\"kind\":\"exceedance\","
		   "\"device\":\"outlet-analyzer\",\"param\":\"cod\",\"unit\":\"mg/"
		   "L\",\"window_s\":3600,\"value\":80.5,"
		   "\"limit\":100,\"ratio\":0.805,\"start\":\"2026-01-31T17:00:00.000Z\","
		   "\"end\":\"2026-01-31T19:00:00.000Z\",\"since\":\"2026-01-31T16:00:00.000Z\","
		   "\"ts\":\"2026-01-31T19:00:01.000Z\"}",
		   &m, &why),
	    0);
	assert_int_equal(m.kind, WWTP_MSG_ALERT);
	assert_string_equal(m.id, "thanh-thuy:cod:exceedance:3600:1769878800000");
	assert_string_equal(m.event, "cleared");
	assert_string_equal(m.alert_kind, "exceedance");
	assert_string_equal(m.alert_device, "outlet-analyzer");
	assert_string_equal(m.param, "cod");
	assert_string_equal(m.unit, "mg/L");
	assert_true(m.has_window && m.window_s == 3600);
	assert_true(m.has_value && m.value == 80.5);
	assert_true(m.has_limit && m.limit == 100);
	assert_true(m.has_ratio && m.ratio == 0.805);
	assert_int_equal(m.start_ms, 1769878800000LL);
	assert_true(m.has_end && m.end_ms == 1769886000000LL);
	assert_true(m.has_since && m.since_ms == 1769875200000LL);
	assert_true(m.has_ts && m.ts_ms == 1769886001000LL);
	wwtp_in_msg_clear(&m);

	/* Lenient: only id, station, event, kind and start; no v; nulls are absent. */
	assert_int_equal(decode("wwtp/thanh-thuy/alert",
				"{\"id\":\"a1\",\"station\":\"thanh-thuy\",\"event\":\"raised\","
				"\"kind\":\"fault\",\"start\":\"2026-01-31T17:00:00.000Z\","
				"\"value\":null,\"limit\":null,\"end\":null}",
				&m, &why),
			 0);
	assert_null(m.param);
	assert_null(m.alert_device);
	assert_null(m.unit);
	assert_false(m.has_window || m.has_value || m.has_limit || m.has_ratio || m.has_end ||
		     m.has_since || m.has_ts);
	wwtp_in_msg_clear(&m);
}

static void test_time_bounds(void **state)
{
	struct wwtp_in_msg m;
	struct wwtp_reject_info why;
	char p[512];
	(void)state;

	/* now + 1 day exactly is accepted; 1 ms later is not. */
	snprintf(p, sizeof(p),
		 "{\"v\":1,\"station\":\"thanh-thuy\",\"state\":\"online\",\"ts\":\"%s\"}",
		 "2026-02-02T00:00:00.000Z");
	assert_int_equal(decode("wwtp/thanh-thuy/status", p, &m, &why), 0);
	wwtp_in_msg_clear(&m);
	snprintf(p, sizeof(p),
		 "{\"v\":1,\"station\":\"thanh-thuy\",\"state\":\"online\",\"ts\":\"%s\"}",
		 "2026-02-02T00:00:00.001Z");
	assert_int_equal(decode("wwtp/thanh-thuy/status", p, &m, &why), WWTP_ERR_INVAL);
	assert_int_equal(why.reason, WWTP_REJECT_ABSURD_TIME);
	/* 2000-01-01 exactly is the first time believed. */
	snprintf(p, sizeof(p),
		 "{\"v\":1,\"station\":\"thanh-thuy\",\"state\":\"online\",\"ts\":\"%s\"}",
		 "2000-01-01T00:00:00.000Z");
	assert_int_equal(decode("wwtp/thanh-thuy/status", p, &m, &why), 0);
	wwtp_in_msg_clear(&m);
}

/* ---- rejected ---- */

struct bad_case {
	const char *topic;
	const char *payload;
	int reason;
};

#define TEL_HEAD                                                                                   \
	"{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"outlet\",\"ts\":\"2026-01-31T17:00:00."  \
	"000Z\","
#define RD(x) TEL_HEAD "\"seq\":1,\"readings\":[" x "]}"
#define OKR "{\"param\":\"cod\",\"value\":1,\"unit\":\"mg/L\",\"status\":\"ok\"}"
#define ALERT(x)                                                                                   \
	"{\"id\":\"a\",\"station\":\"thanh-thuy\",\"event\":\"raised\",\"kind\":\"range\","        \
	"\"start\":\"2026-01-31T17:00:00.000Z\"" x "}"
#define AT "wwtp/thanh-thuy/alert"
#define ST "wwtp/thanh-thuy/status"

static const struct bad_case bad_cases[] = {
    /* bad_json */
    {TEL_TOPIC, "", WWTP_REJECT_BAD_JSON},
    {TEL_TOPIC, "{not json", WWTP_REJECT_BAD_JSON},
    {TEL_TOPIC, "[1,2,3]", WWTP_REJECT_BAD_JSON},
    {TEL_TOPIC, "42", WWTP_REJECT_BAD_JSON},
    {TEL_TOPIC, "{\"v\":1,\"v\":1}", WWTP_REJECT_BAD_JSON}, /* duplicate key */
    {TEL_TOPIC, TEL_HEAD "\"seq\":1,\"readings\":[", WWTP_REJECT_BAD_JSON},
    {TEL_TOPIC, "{\"v\":1,\"x\":\"\\u0000\"}", WWTP_REJECT_BAD_JSON},
    {TEL_TOPIC, "{\"v\":1,\"x\":1e400}", WWTP_REJECT_BAD_JSON},
    {TEL_TOPIC, "{\"v\":1,\"x\":\"\xff\xfe\"}", WWTP_REJECT_BAD_JSON}, /* not UTF-8 */
    /* bad_version */
    {TEL_TOPIC, "{\"station\":\"thanh-thuy\"}", WWTP_REJECT_BAD_VERSION},
    {TEL_TOPIC, "{\"v\":2,\"station\":\"thanh-thuy\"}", WWTP_REJECT_BAD_VERSION},
    {TEL_TOPIC, "{\"v\":\"1\",\"station\":\"thanh-thuy\"}", WWTP_REJECT_BAD_VERSION},
    {TEL_TOPIC, "{\"v\":1.0,\"station\":\"thanh-thuy\"}", WWTP_REJECT_BAD_VERSION},
    {AT, "{\"v\":0,\"id\":\"a\"}", WWTP_REJECT_BAD_VERSION},
    /* unknown_station */
    {"wwtp/nowhere/telemetry", "{\"v\":1,\"station\":\"nowhere\"}", WWTP_REJECT_UNKNOWN_STATION},
    /* topic_mismatch */
    {TEL_TOPIC, "{\"v\":1,\"station\":\"bat-trang\"}", WWTP_REJECT_TOPIC_MISMATCH},
    {"wwtp/Thanh-Thuy/status", "{\"v\":1,\"station\":\"thanh-thuy\"}", WWTP_REJECT_TOPIC_MISMATCH},
    {"wwtp/nowhere/telemetry", "{\"v\":1,\"station\":\"thanh-thuy\"}", WWTP_REJECT_TOPIC_MISMATCH},
    {"wwtp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/alert",
     "{\"v\":1,\"station\":\"thanh-thuy\"}", WWTP_REJECT_TOPIC_MISMATCH},
    /* bad_field */
    {TEL_TOPIC, "{\"v\":1}", WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, "{\"v\":1,\"station\":\"Thanh Thuy\"}", WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, "{\"v\":1,\"station\":7}", WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC,
     "{\"v\":1,\"station\":\"thanh-thuy\",\"ts\":\"2026-01-31T17:00:00.000Z\",\"seq\":1,"
     "\"readings\":[" OKR "]}",
     WWTP_REJECT_BAD_FIELD}, /* no device */
    {TEL_TOPIC,
     "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"A B\",\"ts\":\"2026-01-31T17:00:00.000Z\","
     "\"seq\":1,\"readings\":[" OKR "]}",
     WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, TEL_HEAD "\"readings\":[" OKR "]}", WWTP_REJECT_BAD_FIELD}, /* no seq */
    {TEL_TOPIC, TEL_HEAD "\"seq\":-1,\"readings\":[" OKR "]}", WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, TEL_HEAD "\"seq\":1.5,\"readings\":[" OKR "]}", WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, TEL_HEAD "\"seq\":\"1\",\"readings\":[" OKR "]}", WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, TEL_HEAD "\"seq\":1}", WWTP_REJECT_BAD_FIELD}, /* no readings */
    {TEL_TOPIC, TEL_HEAD "\"seq\":1,\"readings\":[]}", WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, TEL_HEAD "\"seq\":1,\"readings\":{}}", WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, RD("7"), WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, RD("{\"value\":1,\"unit\":\"\",\"status\":\"ok\"}"), WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, RD("{\"param\":\"COD\",\"value\":1,\"unit\":\"\",\"status\":\"ok\"}"),
     WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, RD("{\"param\":\"co-d\",\"value\":1,\"unit\":\"\",\"status\":\"ok\"}"),
     WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, RD("{\"param\":\"cod\",\"value\":1,\"unit\":\"\",\"status\":\"good\"}"),
     WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, RD("{\"param\":\"cod\",\"value\":1,\"unit\":\"\"}"), WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, RD("{\"param\":\"cod\",\"value\":1,\"status\":\"ok\"}"), WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, RD("{\"param\":\"cod\",\"value\":\"1\",\"unit\":\"\",\"status\":\"ok\"}"),
     WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, RD("{\"param\":\"cod\",\"value\":true,\"unit\":\"\",\"status\":\"ok\"}"),
     WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, RD("{\"param\":\"cod\",\"value\":1,\"unit\":\"\",\"status\":\"ok\",\"reason\":5}"),
     WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC, RD(OKR "," OKR), WWTP_REJECT_BAD_FIELD}, /* cod twice */
    {TEL_TOPIC,
     "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"d\",\"ts\":\"2026-01-31 17:00:00\","
     "\"seq\":1,\"readings\":[" OKR "]}",
     WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC,
     "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"d\",\"ts\":1769878800000,"
     "\"seq\":1,\"readings\":[" OKR "]}",
     WWTP_REJECT_BAD_FIELD},
    {TEL_TOPIC,
     "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"d\",\"ts\":\"2026-02-30T17:00:00.000Z\","
     "\"seq\":1,\"readings\":[" OKR "]}",
     WWTP_REJECT_BAD_FIELD},
    {ST,
     "{\"v\":1,\"station\":\"thanh-thuy\",\"state\":\"up\",\"ts\":\"2026-01-31T17:00:00.000Z\"}",
     WWTP_REJECT_BAD_FIELD},
    {ST, "{\"v\":1,\"station\":\"thanh-thuy\",\"state\":\"online\"}", WWTP_REJECT_BAD_FIELD},
    {ST,
     "{\"v\":1,\"station\":\"thanh-thuy\",\"state\":\"online\",\"version\":\"a\\nb\","
     "\"ts\":\"2026-01-31T17:00:00.000Z\"}",
     WWTP_REJECT_BAD_FIELD},
    {AT,
     "{\"station\":\"thanh-thuy\",\"event\":\"raised\",\"kind\":\"range\","
     "\"start\":\"2026-01-31T17:00:00.000Z\"}",
     WWTP_REJECT_BAD_FIELD}, /* no id */
    {AT,
     "{\"id\":\"\",\"station\":\"thanh-thuy\",\"event\":\"raised\",\"kind\":\"range\","
     "\"start\":\"2026-01-31T17:00:00.000Z\"}",
     WWTP_REJECT_BAD_FIELD},
    {AT,
     "{\"id\":\"a\",\"station\":\"thanh-thuy\",\"event\":\"up\",\"kind\":\"range\","
     "\"start\":\"2026-01-31T17:00:00.000Z\"}",
     WWTP_REJECT_BAD_FIELD},
    {AT,
     "{\"id\":\"a\",\"station\":\"thanh-thuy\",\"event\":\"raised\",\"kind\":\"Big Kind\","
     "\"start\":\"2026-01-31T17:00:00.000Z\"}",
     WWTP_REJECT_BAD_FIELD},
    {AT, "{\"id\":\"a\",\"station\":\"thanh-thuy\",\"event\":\"raised\",\"kind\":\"range\"}",
     WWTP_REJECT_BAD_FIELD}, /* no start */
    {AT, ALERT(",\"window_s\":-1"), WWTP_REJECT_BAD_FIELD},
    {AT, ALERT(",\"window_s\":1.5"), WWTP_REJECT_BAD_FIELD},
    {AT, ALERT(",\"param\":\"p q\""), WWTP_REJECT_BAD_FIELD},
    {AT, ALERT(",\"device\":\"Pump 1\""), WWTP_REJECT_BAD_FIELD},
    {AT, ALERT(",\"value\":\"high\""), WWTP_REJECT_BAD_FIELD},
    {AT, ALERT(",\"end\":\"yesterday\""), WWTP_REJECT_BAD_FIELD},
    /* absurd_value */
    {TEL_TOPIC, RD("{\"param\":\"cod\",\"value\":1e12,\"unit\":\"\",\"status\":\"ok\"}"),
     WWTP_REJECT_ABSURD_VALUE},
    {TEL_TOPIC, RD("{\"param\":\"cod\",\"value\":-3e15,\"unit\":\"\",\"status\":\"ok\"}"),
     WWTP_REJECT_ABSURD_VALUE},
    {TEL_TOPIC,
     RD("{\"param\":\"cod\",\"value\":9223372036854775807,\"unit\":\"\",\"status\":\"ok\"}"),
     WWTP_REJECT_ABSURD_VALUE},
    {AT, ALERT(",\"limit\":1e300"), WWTP_REJECT_ABSURD_VALUE},
    {AT, ALERT(",\"window_s\":999999999"), WWTP_REJECT_ABSURD_VALUE},
    /* absurd_time */
    {TEL_TOPIC,
     "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"d\",\"ts\":\"1999-12-31T23:59:59.999Z\","
     "\"seq\":1,\"readings\":[" OKR "]}",
     WWTP_REJECT_ABSURD_TIME},
    {TEL_TOPIC,
     "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"d\",\"ts\":\"1970-01-01T00:00:00.000Z\","
     "\"seq\":1,\"readings\":[" OKR "]}",
     WWTP_REJECT_ABSURD_TIME},
    {TEL_TOPIC,
     "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"d\",\"ts\":\"2027-01-01T00:00:00.000Z\","
     "\"seq\":1,\"readings\":[" OKR "]}",
     WWTP_REJECT_ABSURD_TIME},
    {AT,
     "{\"id\":\"a\",\"station\":\"thanh-thuy\",\"event\":\"raised\",\"kind\":\"range\","
     "\"start\":\"1990-01-31T17:00:00.000Z\"}",
     WWTP_REJECT_ABSURD_TIME},
    {AT, ALERT(",\"end\":\"2099-01-01T00:00:00.000Z\""), WWTP_REJECT_ABSURD_TIME},
    /* bad_topic */
    {"other/thanh-thuy/telemetry", GOOD_TEL, WWTP_REJECT_BAD_TOPIC},
    {"wwtp//telemetry", GOOD_TEL, WWTP_REJECT_BAD_TOPIC},
    {"wwtp/thanh-thuy/health", GOOD_TEL, WWTP_REJECT_BAD_TOPIC},
    {"wwtp/thanh-thuy/telemetry/x", GOOD_TEL, WWTP_REJECT_BAD_TOPIC},
    {"wwtp/thanh-thuy", GOOD_TEL, WWTP_REJECT_BAD_TOPIC},
    {"wwtp", GOOD_TEL, WWTP_REJECT_BAD_TOPIC},
    {"", GOOD_TEL, WWTP_REJECT_BAD_TOPIC},
    {"wwtpx/thanh-thuy/telemetry", GOOD_TEL, WWTP_REJECT_BAD_TOPIC},
};

static void test_rejections(void **state)
{
	int seen[WWTP_REJECT_COUNT] = {0};
	(void)state;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct wwtp_in_msg m;
		struct wwtp_reject_info why;
		int rc = decode(c->topic, c->payload, &m, &why);
		if (rc != WWTP_ERR_INVAL || why.reason != c->reason) {
			print_error("case %zu: %s %s\n  want %s, got rc %d reason %s (%s)\n", i,
				    c->topic, c->payload, wwtp_reject_name(c->reason), rc,
				    wwtp_reject_name(why.reason), why.text);
			fail();
		}
		assert_true(why.text[0] != '\0');
		/* A rejected message holds nothing. */
		assert_null(m.priv);
		assert_null(m.readings);
		seen[why.reason]++;
	}
	/* too_large is tested below; every other reason has a case here. */
	for (int r = 0; r < WWTP_REJECT_COUNT; r++)
		if (r != WWTP_REJECT_TOO_LARGE && !seen[r])
			fail_msg("no case for %s", wwtp_reject_name(r));
}

static void test_too_large(void **state)
{
	struct wwtp_in_msg m;
	struct wwtp_reject_info why;
	struct wwtp_buf b;
	(void)state;

	/* Over the payload cap: refused before parsing. */
	size_t n = WWTP_PAYLOAD_MAX + 1;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	assert_int_equal(
	    wwtp_decode(TEL_TOPIC, strlen(TEL_TOPIC), "wwtp", big, n, reg, NOW, &m, &why),
	    WWTP_ERR_INVAL);
	assert_int_equal(why.reason, WWTP_REJECT_TOO_LARGE);
	/* At the cap exactly it is parsed (and is a valid empty object). */
	assert_int_equal(
	    wwtp_decode(TEL_TOPIC, strlen(TEL_TOPIC), "wwtp", big, n - 1, reg, NOW, &m, &why),
	    WWTP_ERR_INVAL);
	assert_int_equal(why.reason, WWTP_REJECT_BAD_JSON); /* the cut '}' */
	free(big);

	/* More readings than a message may carry. */
	wwtp_buf_init(&b, 1 << 20);
	assert_int_equal(wwtp_buf_adds(&b, TEL_HEAD "\"seq\":1,\"readings\":["), 0);
	for (int i = 0; i <= WWTP_DECODE_MAX_READINGS; i++)
		assert_int_equal(wwtp_buf_printf(&b,
						 "%s{\"param\":\"p%d\",\"unit\":\"\",\"status\":"
						 "\"offline\"}",
						 i ? "," : "", i),
				 0);
	assert_int_equal(wwtp_buf_adds(&b, "]}"), 0);
	assert_int_equal(decode(TEL_TOPIC, b.data, &m, &why), WWTP_ERR_INVAL);
	assert_int_equal(why.reason, WWTP_REJECT_TOO_LARGE);
	wwtp_buf_free(&b);
}

static void test_reason_text_is_one_line(void **state)
{
	struct wwtp_in_msg m;
	struct wwtp_reject_info why;
	(void)state;
	/* What the sender wrote is quoted, but its newline does not reach the log. */
	assert_int_equal(decode(TEL_TOPIC, "{\"v\":1,\"station\":\"a\\nERROR forged\"}", &m, &why),
			 WWTP_ERR_INVAL);
	assert_int_equal(why.reason, WWTP_REJECT_BAD_FIELD);
	assert_non_null(strstr(why.text, "a?ERROR forged"));
	assert_null(strchr(why.text, '\n'));
}

static void test_topic_with_nul(void **state)
{
	struct wwtp_in_msg m;
	struct wwtp_reject_info why;
	(void)state;
	static const char t[] = "wwtp/thanh-thuy\0/telemetry";
	assert_int_equal(
	    wwtp_decode(t, sizeof(t) - 1, "wwtp", GOOD_TEL, strlen(GOOD_TEL), reg, NOW, &m, &why),
	    WWTP_ERR_INVAL);
	assert_int_equal(why.reason, WWTP_REJECT_BAD_TOPIC);
}

static void test_names(void **state)
{
	(void)state;
	for (int i = 0; i < WWTP_REJECT_COUNT; i++) {
		assert_string_not_equal(wwtp_reject_name(i), "?");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(wwtp_reject_name(i), wwtp_reject_name(j));
	}
	assert_string_equal(wwtp_reject_name(-1), "?");
	assert_string_equal(wwtp_reject_name(WWTP_REJECT_COUNT), "?");
	assert_string_equal(wwtp_reject_name(WWTP_REJECT_ABSURD_TIME), "absurd_time");
}

/* ---- garbage ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Whatever comes in: 0 with a sane message, or INVAL with a reason. */
static void feed(const char *topic, const char *p, size_t n, size_t *accepted)
{
	struct wwtp_in_msg m;
	struct wwtp_reject_info why;
	int rc = wwtp_decode(topic, strlen(topic), "wwtp", p, n, reg, NOW, &m, &why);
	if (rc == 0) {
		(*accepted)++;
		assert_non_null(m.station);
		assert_non_null(wwtp_registry_find(reg, m.station));
		if (m.kind == WWTP_MSG_TELEMETRY) {
			assert_true(m.nreadings >= 1);
			for (size_t i = 0; i < m.nreadings; i++)
				assert_true(!m.readings[i].has_value ||
					    fabs(m.readings[i].value) < WWTP_DECODE_MAX_ABS);
		}
		wwtp_in_msg_clear(&m);
	} else {
		assert_int_equal(rc, WWTP_ERR_INVAL);
		assert_true(why.reason >= 0 && why.reason < WWTP_REJECT_COUNT);
	}
}

static void test_garbage(void **state)
{
	static const char *const seeds[] = {
	    GOOD_TEL,
	    "{\"v\":1,\"station\":\"thanh-thuy\",\"state\":\"online\",\"version\":\"0.1.0\","
	    "\"ts\":\"2026-01-31T17:00:00.000Z\"}",
	    ALERT(",\"value\":3,\"window_s\":60,\"end\":\"2026-01-31T18:00:00.000Z\""),
	};
	static const char *const topics[] = {TEL_TOPIC, ST, AT};
	static const char alphabet[] = "{}[]\":,0123456789.eE+-tfnul\\ \x01\xff";
	char buf[2048];
	size_t accepted = 0;
	(void)state;

	/* Random bytes, with a bias towards JSON's own characters. */
	for (int it = 0; it < 20000; it++) {
		size_t n = next_rand() % 200;
		for (size_t i = 0; i < n; i++)
			buf[i] = (next_rand() & 1) ? alphabet[next_rand() % (sizeof(alphabet) - 1)]
						   : (char)next_rand();
		feed(topics[it % 3], buf, n, &accepted);
	}
	/* Valid payloads with a few bytes changed, inserted or cut. */
	for (int it = 0; it < 30000; it++) {
		const char *s = seeds[it % 3];
		size_t n = strlen(s);
		memcpy(buf, s, n);
		int edits = 1 + (int)(next_rand() % 3);
		for (int e = 0; e < edits && n > 0; e++) {
			size_t at = next_rand() % n;
			switch (next_rand() % 3) {
			case 0:
				buf[at] = alphabet[next_rand() % (sizeof(alphabet) - 1)];
				break;
			case 1:
				n = at;
				break;
			default:
				if (n + 1 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = (char)next_rand();
					n++;
				}
			}
		}
		feed(topics[it % 3], buf, n, &accepted);
	}
	/* Some mutations keep a payload valid (a digit of a value changed):
	 * the loop reached the accepting paths too. */
	assert_true(accepted > 0);
}

/* The config message (docs/mqtt.md, "Config"): decoded with its changes;
 * a change of the station's own settings has device ""; a change of a
 * point gives rise to one config_change alert (confchange.h). */
#define CFG_TOPIC "wwtp/thanh-thuy/config"
#define FP64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_config(void **state)
{
	struct wwtp_in_msg m, a;
	struct wwtp_reject_info why;
	char id[WWTP_CONFCHANGE_ID_MAX];
	(void)state;
	assert_int_equal(
	    decode(CFG_TOPIC,
		   "{\"v\":1,\"station\":\"thanh-thuy\",\"ts\":\"2026-01-31T17:00:00.000Z\","
		   "\"seq\":5,\"fingerprint\":\"" FP64 "\",\"previous\":\"" FP64 "\",\"changes\":["
		   "{\"device\":\"outlet\",\"param\":\"cod\",\"setting\":\"scale\",\"from\":\"1\","
		   "\"to\":\"0.5\"},{\"device\":\"\",\"setting\":\"evaluation.min_availability\","
		   "\"from\":\"0.75\",\"to\":\"0.8\"},{\"device\":\"flow\",\"setting\":\"device\","
		   "\"from\":\"defined\",\"to\":null}],\"floor\":4}",
		   &m, &why),
	    0);
	assert_int_equal(m.kind, WWTP_MSG_CONFIG);
	assert_string_equal(wwtp_msg_kind_name(m.kind), "config");
	assert_int_equal(m.seq, 5);
	assert_int_equal(m.floor, 4);
	assert_string_equal(m.fingerprint, FP64);
	assert_string_equal(m.previous, FP64);
	assert_int_equal(m.nchanges, 3);
	assert_string_equal(m.changes[0].param, "cod");
	assert_string_equal(m.changes[0].from, "1");
	assert_string_equal(m.changes[0].to, "0.5");
	assert_string_equal(m.changes[1].device, "");
	assert_null(m.changes[1].param);
	assert_null(m.changes[2].to);
	assert_int_equal(wwtp_confchange_alert(&m, 0, id, &a), 0);
	assert_int_equal(a.kind, WWTP_MSG_ALERT);
	assert_string_equal(a.alert_kind, "config_change");
	assert_string_equal(a.event, "raised");
	assert_string_equal(a.alert_device, "outlet");
	assert_string_equal(a.param, "cod");
	assert_string_equal(a.setting, "scale");
	assert_string_equal(a.from, "1");
	assert_string_equal(a.to, "0.5");
	assert_string_equal(a.id, "thanh-thuy:config:5:1");
	assert_int_equal(a.start_ms, m.ts_ms);
	assert_int_equal(wwtp_confchange_alert(&m, 1, id, &a), 0);
	assert_null(a.alert_device);
	assert_int_equal(wwtp_confchange_alert(&m, 3, id, &a), WWTP_ERR_INVAL);
	wwtp_in_msg_clear(&m);

	/* The first run: previous null, no changes. */
	assert_int_equal(
	    decode(CFG_TOPIC,
		   "{\"v\":1,\"station\":\"thanh-thuy\",\"ts\":\"2026-01-31T17:00:00.000Z\","
		   "\"seq\":1,\"fingerprint\":\"" FP64 "\",\"previous\":null,\"changes\":[]}",
		   &m, &why),
	    0);
	assert_null(m.previous);
	assert_int_equal(m.nchanges, 0);
	wwtp_in_msg_clear(&m);

	/* Refused: a fingerprint that is not 64 hex digits; no changes array. */
	assert_int_equal(
	    decode(CFG_TOPIC,
		   "{\"v\":1,\"station\":\"thanh-thuy\",\"ts\":\"2026-01-31T17:00:00.000Z\","
		   "\"seq\":1,\"fingerprint\":\"abc\",\"changes\":[]}",
		   &m, &why),
	    WWTP_ERR_INVAL);
	assert_int_equal(why.reason, WWTP_REJECT_BAD_FIELD);
	assert_int_equal(
	    decode(CFG_TOPIC,
		   "{\"v\":1,\"station\":\"thanh-thuy\",\"ts\":\"2026-01-31T17:00:00.000Z\","
		   "\"seq\":1,\"fingerprint\":\"" FP64 "\"}",
		   &m, &why),
	    WWTP_ERR_INVAL);
	assert_int_equal(why.reason, WWTP_REJECT_BAD_FIELD);
}

/* ---- "eval" cut before parsing (evalcut.h) ---- */

/* A reading's eval as the collector writes it, and a telemetry payload
 * whose readings carry eval objects: with `e1`, `e2` put in as they are. */
#define EVAL_OK                                                                                    \
	"{\"limit\":{\"max\":135},\"windows\":[{\"s\":3600,\"avg\":59.46,\"n\":1,"                 \
	"\"avail\":0.0003,\"judged\":false},{\"s\":86400,\"avg\":null,\"n\":0}]}"
#define TEL_EVAL(e1, e2)                                                                           \
	"{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"outlet-analyzer\","                      \
	"\"ts\":\"2026-01-31T17:00:00.000Z\",\"seq\":41,\"readings\":["                            \
	"{\"param\":\"cod\",\"value\":42.1,\"eval\":" e1 ",\"unit\":\"mg/L\",\"status\":\"ok\"},"  \
	"{\"eval\":" e2 ",\"param\":\"nh4\",\"value\":-0.5,\"unit\":\"mg/L\",\"status\":\"ok\"}]}"

/* wwtp_evalcut on `in`: its answer, and the output when it cut. */
static int cut(const char *in, char *out, size_t size)
{
	struct wwtp_buf b;
	wwtp_buf_init(&b, 1 << 20);
	int rc = wwtp_evalcut(in, strlen(in), &b);
	out[0] = '\0';
	if (rc == 1)
		snprintf(out, size, "%s", b.data);
	else
		assert_int_equal(b.len, 0);
	wwtp_buf_free(&b);
	return rc;
}

static void test_eval_cut(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"{\"a\":1,\"eval\":{\"x\":[1,2,{\"y\":\"z\"}]},\"b\":2}", "{\"a\":1,\"b\":2}"},
	    {"{\"a\":1,\"eval\":3}", "{\"a\":1}"},
	    {"{\"eval\":1, \"a\":2}", "{ \"a\":2}"},
	    {" { \"eval\" : [ ] } ", " {  } "},
	    {"[{\"eval\":{},\"p\":1},{\"p\":2,\"eval\":\"x\"},{\"q\":{\"eval\":null}}]",
	     "[{\"p\":1},{\"p\":2},{\"q\":{}}]"},
	    /* quotes, backslashes, braces and the key itself inside strings */
	    {"{\"s\":\"\\\"eval\\\":{\",\"eval\":{\"t\":\"he said \\\"}\\\", \\\\\\\"eval\\\":\","
	     "\"u\":\"\\u00e9\\ud83d\\ude00 caf\xc3\xa9 }]\"},\"n\":\"eval\"}",
	     "{\"s\":\"\\\"eval\\\":{\",\"n\":\"eval\"}"},
	    /* an "eval" key inside a cut value is cut with it */
	    {"{\"eval\":{\"eval\":1}}", "{}"},
	};
	char out[512];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cut(cases[i].in, out, sizeof(out)), 1);
		assert_string_equal(out, cases[i].out);
		json_error_t e;
		json_t *j = json_loads(out, JSON_REJECT_DUPLICATES, &e);
		assert_non_null(j);
		json_decref(j);
	}
	/* Nothing to cut: the original is parsed. */
	assert_int_equal(cut("{\"a\":1}", out, sizeof(out)), 0);
	assert_int_equal(cut("{\"evaluation\":1}", out, sizeof(out)), 0);
	assert_int_equal(cut("{\"a\":\"\\\"eval\\\"\"}", out, sizeof(out)), 0);
	/* Anything it does not judge itself goes to jansson whole. */
	static const char *const whole[] = {
	    "{\"ev\\u0061l\":1,\"eval\":2}", /* a key with escapes */
	    "{\"eval\":1,\"eval\":2}",	     /* twice in one object */
	    "{\"eval\":{\"a\":tru}}",
	    "{\"eval\":{\"a\":1,}}",
	    "{\"eval\":[1,]}",
	    "{\"eval\":\"\x01\"}",
	    "{\"eval\":\"\\ud800\"}",
	    "{\"eval\":\"\\udc00\"}",
	    "{\"eval\":\"\\u0000\"}",
	    "{\"eval\":\"\\x\"}",
	    "{\"eval\":\"\xc0\xaf\"}",
	    "{\"eval\":\"\xed\xa0\x80\"}",
	    "{\"eval\":\"\xf4\x90\x80\x80\"}",
	    "{\"eval\":\"\xe2\x82\"}",
	    "{\"eval\":{\"a\":1,\"a\":2}}",
	    "{\"eval\":01}",
	    "{\"eval\":1.}",
	    "{\"eval\":-}",
	    "{\"eval\":1e400}",
	    "{\"eval\":99999999999999999999}",
	    "{\"eval\":1} x",
	    "{\"eval\":1",
	    "{\"eval\":\"abc",
	    "{\"eval\" 1}",
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{\"eval\":1}"
	    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	};
	for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		assert_int_equal(cut(whole[i], out, sizeof(out)), 0);
}

/* Decoding with eval: the readings as without it; an eval jansson would
 * refuse still makes the payload bad_json. */
static void test_eval_skipped(void **state)
{
	struct wwtp_in_msg m;
	struct wwtp_reject_info why;
	(void)state;

	assert_int_equal(decode(TEL_TOPIC, TEL_EVAL(EVAL_OK, "{\"s\":\"\\\"}{\"}"), &m, &why), 0);
	assert_int_equal(m.nreadings, 2);
	assert_string_equal(m.readings[0].param, "cod");
	assert_true(m.readings[0].value == 42.1);
	assert_string_equal(m.readings[0].unit, "mg/L");
	assert_string_equal(m.readings[1].param, "nh4");
	assert_true(m.readings[1].value == -0.5);
	assert_int_equal(m.seq, 41);
	wwtp_in_msg_clear(&m);

	static const char *const bad[] = {
	    TEL_EVAL("{\"a\":tru}", "1"),      TEL_EVAL("1", "{\"a\":1,\"a\":2}"),
	    TEL_EVAL("\"\\ud800\"", "1"),      TEL_EVAL("1e999", "1"),
	    TEL_EVAL("{\"x\":\"\x01\"}", "1"), TEL_EVAL("[1,]", "1"),
	    TEL_EVAL("1,\"eval\":2", "1"),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(decode(TEL_TOPIC, bad[i], &m, &why), WWTP_ERR_INVAL);
		assert_int_equal(why.reason, WWTP_REJECT_BAD_JSON);
	}
	/* Deeper than the scanner follows: jansson reads it whole, and takes it. */
	assert_int_equal(
	    decode(TEL_TOPIC,
		   TEL_EVAL("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
			    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
			    "1"),
		   &m, &why),
	    0);
	wwtp_in_msg_clear(&m);
}

/* Removes every "eval" member, at any depth: what the cut should equal. */
static void drop_eval(json_t *j)
{
	size_t i;
	json_t *v;
	const char *k;
	if (json_is_object(j)) {
		json_object_del(j, "eval");
		json_object_foreach(j, k, v) drop_eval(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) drop_eval(v);
	}
}

/* Mutated payloads with eval: whenever the scanner cuts, jansson takes the
 * cut document exactly when it takes the whole, and they read the same
 * apart from eval. */
static void test_eval_cut_differential(void **state)
{
	static const char *const seeds[] = {
	    TEL_EVAL(EVAL_OK, "{\"s\":\"\\\"}{\\\\\",\"t\":[true,false,null,-0.5e-3]}"),
	    "{\"eval\":{\"a\":[{\"b\":\"\\u00e9\\ud83d\\ude00\"}]},\"x\":{\"eval\":1,\"y\":2}}",
	};
	static const char alphabet[] = "{}[]\":,0123456789.eE+-tfnul\\ \x01\xff\xc3\xa9";
	char buf[1024];
	size_t cuts = 0, same = 0;
	(void)state;

	for (int it = 0; it < 40000; it++) {
		const char *s = seeds[it % 2];
		size_t n = strlen(s);
		memcpy(buf, s, n);
		int edits = 1 + (int)(next_rand() % 2);
		for (int e = 0; e < edits && n > 0; e++) {
			size_t at = next_rand() % n;
			if (next_rand() % 4 == 0)
				memmove(buf + at, buf + at + 1, n-- - at - 1);
			else
				buf[at] = alphabet[next_rand() % (sizeof(alphabet) - 1)];
		}
		struct wwtp_buf b;
		json_error_t e;
		wwtp_buf_init(&b, sizeof(buf));
		int rc = wwtp_evalcut(buf, n, &b);
		assert_true(rc == 0 || rc == 1);
		if (rc == 1) {
			cuts++;
			json_t *whole = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &e);
			json_t *part = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &e);
			assert_int_equal(whole != NULL, part != NULL);
			if (whole) {
				drop_eval(whole);
				assert_true(json_equal(whole, part));
				same++;
			}
			json_decref(whole);
			json_decref(part);
		}
		wwtp_buf_free(&b);
	}
	assert_true(cuts > 0 && same > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_telemetry),
	    cmocka_unit_test(test_unknown_keys_ignored),
	    cmocka_unit_test(test_status),
	    cmocka_unit_test(test_alert),
	    cmocka_unit_test(test_time_bounds),
	    cmocka_unit_test(test_rejections),
	    cmocka_unit_test(test_too_large),
	    cmocka_unit_test(test_topic_with_nul),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_reason_text_is_one_line),
	    cmocka_unit_test(test_suspect),
	    cmocka_unit_test(test_config),
	    cmocka_unit_test(test_eval_cut),
	    cmocka_unit_test(test_eval_skipped),
	    cmocka_unit_test(test_eval_cut_differential),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
