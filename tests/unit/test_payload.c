/* Payload encoding: the exact bytes of docs/mqtt.md, and a round trip
 * through an independent JSON parser (jansson). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <math.h>

#include "../../compliance/evaluator.h"
#include "../../compliance/limits.h"
#include "../../payload/payload.h"
#include "../../util/err.h"
#include "../../util/sign.h"
#include "../../util/timeutil.h"

/* A small station built by hand: the loader is tested elsewhere. */
struct fixture {
	struct wwtp_station st;
	struct wwtp_device dev;
	struct wwtp_point pts[4];
	struct wwtp_buf buf;
};

static void set_point(struct wwtp_point *p, const char *param, const char *unit)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->param, sizeof(p->param), "%s", param);
	snprintf(p->unit, sizeof(p->unit), "%s", unit);
	p->bit = -1;
	p->scale = 1;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->st.id, sizeof(f->st.id), "thanh-thuy");
	snprintf(f->st.mqtt.topic_prefix, sizeof(f->st.mqtt.topic_prefix), "wwtp");
	snprintf(f->dev.name, sizeof(f->dev.name), "outlet");
	set_point(&f->pts[0], "cod", "mg/L");
	set_point(&f->pts[1], "ph", "");
	set_point(&f->pts[2], "flow_out", "m3/h");
	set_point(&f->pts[3], "tss", "mg/L");
	f->dev.points = f->pts;
	f->dev.npoints = 1;
	f->st.devices = &f->dev;
	f->st.ndevices = 1;
	wwtp_buf_init(&f->buf, WWTP_PAYLOAD_MAX);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	wwtp_buf_free(&f->buf);
	free(f);
	return 0;
}

static int64_t ts(const char *s)
{
	int64_t ms = 0;
	assert_int_equal(wwtp_parse_utc(s, &ms), 0);
	return ms;
}

/* Encodes f's device with readings set by the caller. */
static struct wwtp_sample *sample(struct fixture *f, size_t n)
{
	f->dev.npoints = n;
	struct wwtp_sample *s = wwtp_sample_new(&f->dev);
	assert_non_null(s);
	s->ts_ms = ts("2026-01-31T17:00:00.000Z");
	return s;
}

static void set_reading(struct wwtp_reading *r, int status, int has_value, double v,
			const char *reason)
{
	r->status = status;
	r->has_value = has_value;
	r->value = v;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

static void expect_telemetry(struct fixture *f, struct wwtp_sample *s, uint64_t seq,
			     const char *want)
{
	wwtp_buf_reset(&f->buf);
	assert_int_equal(wwtp_payload_telemetry(&f->st, s, seq, &f->buf), 0);
	assert_string_equal(f->buf.data, want);
	assert_int_equal(f->buf.len, strlen(want));
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(wwtp_reading_status_name(WWTP_READING_OK), "ok");
	assert_string_equal(wwtp_reading_status_name(WWTP_READING_CALIBRATING), "calibrating");
	assert_string_equal(wwtp_reading_status_name(WWTP_READING_FAULT), "fault");
	assert_string_equal(wwtp_reading_status_name(WWTP_READING_OFFLINE), "offline");
	assert_string_equal(wwtp_reading_status_name(4), "?");
	assert_string_equal(wwtp_reading_status_name(-1), "?");
}

static void test_sample_new(void **state)
{
	struct fixture *f = *state;
	struct wwtp_sample *s = sample(f, 3);
	assert_ptr_equal(s->device, &f->dev);
	assert_int_equal(s->nreadings, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_ptr_equal(s->readings[i].point, &f->pts[i]);
		assert_int_equal(s->readings[i].has_value, 0);
		assert_int_equal(s->readings[i].status, WWTP_READING_OK);
		assert_string_equal(s->readings[i].reason, "");
	}
	wwtp_sample_free(s);
	wwtp_sample_free(NULL);

	/* A device without points still gives a valid, empty sample. */
	s = sample(f, 0);
	assert_int_equal(s->nreadings, 0);
	expect_telemetry(f, s, 1,
			 "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"outlet\","
			 "\"ts\":\"2026-01-31T17:00:00.000Z\",\"seq\":1,\"readings\":[]}");
	wwtp_sample_free(s);
}

static void test_telemetry_ok(void **state)
{
	struct fixture *f = *state;
	struct wwtp_sample *s = sample(f, 1);
	set_reading(&s->readings[0], WWTP_READING_OK, 1, 42.1, "");
	expect_telemetry(
	    f, s, 41,
	    "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"outlet\","
	    "\"ts\":\"2026-01-31T17:00:00.000Z\",\"seq\":41,\"readings\":["
	    "{\"param\":\"cod\",\"value\":42.1,\"unit\":\"mg/L\",\"status\":\"ok\"}]}");
	wwtp_sample_free(s);
}

static void test_telemetry_mixed(void **state)
{
	struct fixture *f = *state;
	struct wwtp_sample *s = sample(f, 4);
	s->ts_ms = ts("2026-02-01T00:00:59.999Z");
	set_reading(&s->readings[0], WWTP_READING_CALIBRATING, 1, 7, "");
	set_reading(&s->readings[1], WWTP_READING_CALIBRATING, 1, 6.85, "zero check");
	set_reading(&s->readings[2], WWTP_READING_FAULT, 0, 0, "sensor fault bit 3");
	set_reading(&s->readings[3], WWTP_READING_OFFLINE, 0, 0, "timed out");
	expect_telemetry(
	    f, s, UINT64_C(18446744073709551615),
	    "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"outlet\","
	    "\"ts\":\"2026-02-01T00:00:59.999Z\",\"seq\":18446744073709551615,"
	    "\"readings\":["
	    "{\"param\":\"cod\",\"value\":7,\"unit\":\"mg/L\",\"status\":\"calibrating\"},"
	    "{\"param\":\"ph\",\"value\":6.85,\"unit\":\"\",\"status\":\"calibrating\","
	    "\"reason\":\"zero check\"},"
	    "{\"param\":\"flow_out\",\"unit\":\"m3/h\",\"status\":\"fault\","
	    "\"reason\":\"sensor fault bit 3\"},"
	    "{\"param\":\"tss\",\"unit\":\"mg/L\",\"status\":\"offline\","
	    "\"reason\":\"timed out\"}]}");
	wwtp_sample_free(s);
}

static void test_telemetry_edge_values(void **state)
{
	struct fixture *f = *state;
	struct wwtp_sample *s = sample(f, 4);
	/* An ok reading's stray reason is not sent; an empty reason without a
	 * value becomes "no value"; NaN is never written as a number. */
	set_reading(&s->readings[0], WWTP_READING_OK, 1, 0.1 + 0.2, "ignored");
	set_reading(&s->readings[1], WWTP_READING_FAULT, 0, 3, "");
	set_reading(&s->readings[2], WWTP_READING_OK, 1, NAN, "");
	set_reading(&s->readings[3], WWTP_READING_OK, 1, -1.5e-7, "");
	expect_telemetry(
	    f, s, 1,
	    "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"outlet\","
	    "\"ts\":\"2026-01-31T17:00:00.000Z\",\"seq\":1,\"readings\":["
	    "{\"param\":\"cod\",\"value\":0.30000000000000004,\"unit\":\"mg/L\","
	    "\"status\":\"ok\"},"
	    "{\"param\":\"ph\",\"unit\":\"\",\"status\":\"fault\",\"reason\":\"no value\"},"
	    "{\"param\":\"flow_out\",\"unit\":\"m3/h\",\"status\":\"ok\","
	    "\"reason\":\"value is not a finite number\"},"
	    "{\"param\":\"tss\",\"value\":-1.5e-07,\"unit\":\"mg/L\",\"status\":\"ok\"}]}");
	wwtp_sample_free(s);
}

static void test_telemetry_escaping(void **state)
{
	struct fixture *f = *state;
	snprintf(f->dev.name, sizeof(f->dev.name), "out\"let\\1");
	snprintf(f->pts[0].param, sizeof(f->pts[0].param), "a\tb\nc\x01\x1f");
	snprintf(f->pts[0].unit, sizeof(f->pts[0].unit), "m³/h µS/cm");
	struct wwtp_sample *s = sample(f, 1);
	set_reading(&s->readings[0], WWTP_READING_OFFLINE, 0, 0, "said \"no\"\r\n");
	expect_telemetry(f, s, 2,
			 "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"out\\\"let\\\\1\","
			 "\"ts\":\"2026-01-31T17:00:00.000Z\",\"seq\":2,\"readings\":["
			 "{\"param\":\"a\\tb\\nc\\u0001\\u001f\",\"unit\":\"m³/h µS/cm\","
			 "\"status\":\"offline\",\"reason\":\"said \\\"no\\\"\\r\\n\"}]}");

	/* The parser gives back the original bytes. */
	json_error_t err;
	json_t *root = json_loads(f->buf.data, JSON_REJECT_DUPLICATES, &err);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "device")), "out\"let\\1");
	json_t *r0 = json_array_get(json_object_get(root, "readings"), 0);
	assert_string_equal(json_string_value(json_object_get(r0, "param")), "a\tb\nc\x01\x1f");
	assert_string_equal(json_string_value(json_object_get(r0, "unit")), "m³/h µS/cm");
	assert_string_equal(json_string_value(json_object_get(r0, "reason")), "said \"no\"\r\n");
	json_decref(root);
	wwtp_sample_free(s);
}

static void test_telemetry_bad_status(void **state)
{
	struct fixture *f = *state;
	struct wwtp_sample *s = sample(f, 2);
	set_reading(&s->readings[1], 9, 1, 1, "");
	wwtp_buf_reset(&f->buf);
	assert_int_equal(wwtp_buf_adds(&f->buf, "keep"), 0);
	assert_int_equal(wwtp_payload_telemetry(&f->st, s, 1, &f->buf), WWTP_ERR_INVAL);
	assert_string_equal(f->buf.data, "keep");
	wwtp_sample_free(s);
}

static void test_telemetry_full(void **state)
{
	struct fixture *f = *state;
	struct wwtp_sample *s = sample(f, 1);
	set_reading(&s->readings[0], WWTP_READING_OK, 1, 42.1, "");
	const char *want =
	    "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"outlet\","
	    "\"ts\":\"2026-01-31T17:00:00.000Z\",\"seq\":41,\"readings\":["
	    "{\"param\":\"cod\",\"value\":42.1,\"unit\":\"mg/L\",\"status\":\"ok\"}]}";
	size_t n = strlen(want);

	/* Exactly the size fits; one byte less is refused and leaves the
	 * buffer as it was, for every cap below the size. */
	struct wwtp_buf b;
	wwtp_buf_init(&b, n);
	assert_int_equal(wwtp_payload_telemetry(&f->st, s, 41, &b), 0);
	assert_string_equal(b.data, want);
	wwtp_buf_free(&b);
	for (size_t cap = 0; cap < n; cap++) {
		wwtp_buf_init(&b, cap);
		assert_int_equal(wwtp_payload_telemetry(&f->st, s, 41, &b), WWTP_ERR_FULL);
		assert_int_equal(b.len, 0);
		assert_true(b.data == NULL || b.data[0] == '\0');
		wwtp_buf_free(&b);
	}

	/* Appending after existing content: the content survives a refusal. */
	wwtp_buf_init(&b, n + 3);
	assert_int_equal(wwtp_buf_adds(&b, "abcd"), 0);
	assert_int_equal(wwtp_payload_telemetry(&f->st, s, 41, &b), WWTP_ERR_FULL);
	assert_string_equal(b.data, "abcd");
	wwtp_buf_free(&b);
	wwtp_sample_free(s);
}

static void test_status(void **state)
{
	struct fixture *f = *state;
	int64_t t = ts("2026-01-31T17:00:00.250Z");
	wwtp_buf_reset(&f->buf);
	assert_int_equal(wwtp_payload_status(&f->st, "online", "0.1.0", t, &f->buf), 0);
	assert_string_equal(f->buf.data,
			    "{\"v\":1,\"station\":\"thanh-thuy\",\"state\":\"online\","
			    "\"version\":\"0.1.0\",\"ts\":\"2026-01-31T17:00:00.250Z\"}");
	wwtp_buf_reset(&f->buf);
	assert_int_equal(wwtp_payload_status(&f->st, "offline", "1.2.3-rc\"1", 0, &f->buf), 0);
	assert_string_equal(f->buf.data,
			    "{\"v\":1,\"station\":\"thanh-thuy\",\"state\":\"offline\","
			    "\"version\":\"1.2.3-rc\\\"1\",\"ts\":\"1970-01-01T00:00:00.000Z\"}");

	struct wwtp_buf b;
	wwtp_buf_init(&b, 20);
	assert_int_equal(wwtp_payload_status(&f->st, "online", "0.1.0", t, &b), WWTP_ERR_FULL);
	assert_int_equal(b.len, 0);
	wwtp_buf_free(&b);
}

static void test_topic(void **state)
{
	struct fixture *f = *state;
	char t[64];
	assert_int_equal(wwtp_topic(&f->st, "telemetry", t, sizeof(t)), 0);
	assert_string_equal(t, "wwtp/thanh-thuy/telemetry");
	assert_int_equal(wwtp_topic(&f->st, "status", t, sizeof(t)), 0);
	assert_string_equal(t, "wwtp/thanh-thuy/status");
	snprintf(f->st.mqtt.topic_prefix, sizeof(f->st.mqtt.topic_prefix), "hanoi/wwtp");
	assert_int_equal(wwtp_topic(&f->st, "status", t, sizeof(t)), 0);
	assert_string_equal(t, "hanoi/wwtp/thanh-thuy/status");

	/* "wwtp/thanh-thuy/status" is 22 bytes: 23 fit, 22 do not. */
	snprintf(f->st.mqtt.topic_prefix, sizeof(f->st.mqtt.topic_prefix), "wwtp");
	assert_int_equal(wwtp_topic(&f->st, "status", t, 23), 0);
	assert_string_equal(t, "wwtp/thanh-thuy/status");
	assert_int_equal(wwtp_topic(&f->st, "status", t, 22), WWTP_ERR_RANGE);
	assert_string_equal(t, "");
}

/* Many readings with awkward values: every field parses back as written. */
static void test_roundtrip_jansson(void **state)
{
	struct fixture *f = *state;
	enum { N = 300 };
	static struct wwtp_point pts[N];
	static const double values[] = {0.0,
					-0.0,
					1.0,
					-1.0,
					0.1,
					1e-300,
					4.9e-324,
					1.7976931348623157e308,
					123456789.123,
					-42.75,
					9007199254740993.0,
					65535,
					3.14159265358979};
	struct wwtp_device dev = {0};
	snprintf(dev.name, sizeof(dev.name), "inlet");
	for (int i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof(name), "p%03d", i);
		set_point(&pts[i], name, i % 2 ? "mg/L" : "°C");
	}
	dev.points = pts;
	dev.npoints = N;
	struct wwtp_sample *s = wwtp_sample_new(&dev);
	assert_non_null(s);
	s->ts_ms = ts("2026-12-31T23:59:59.001Z");
	for (int i = 0; i < N; i++) {
		int st = i % 4;
		int hv = st == WWTP_READING_OK || st == WWTP_READING_CALIBRATING || i % 8 == 2;
		char reason[40] = "";
		if (st != WWTP_READING_OK)
			snprintf(reason, sizeof(reason), "reason %d", i);
		set_reading(&s->readings[i], st, hv,
			    values[i % (sizeof(values) / sizeof(values[0]))], reason);
	}
	wwtp_buf_reset(&f->buf);
	assert_int_equal(wwtp_payload_telemetry(&f->st, s, 77, &f->buf), 0);

	json_error_t err;
	json_t *root = json_loadb(f->buf.data, f->buf.len, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		fail_msg("jansson: %s at %d", err.text, err.position);
	assert_int_equal(json_object_size(root), 6);
	assert_int_equal(json_integer_value(json_object_get(root, "v")), 1);
	assert_string_equal(json_string_value(json_object_get(root, "station")), "thanh-thuy");
	assert_string_equal(json_string_value(json_object_get(root, "device")), "inlet");
	assert_string_equal(json_string_value(json_object_get(root, "ts")),
			    "2026-12-31T23:59:59.001Z");
	assert_int_equal(json_integer_value(json_object_get(root, "seq")), 77);
	json_t *rs = json_object_get(root, "readings");
	assert_true(json_is_array(rs));
	assert_int_equal(json_array_size(rs), N);
	for (int i = 0; i < N; i++) {
		const struct wwtp_reading *r = &s->readings[i];
		json_t *o = json_array_get(rs, (size_t)i);
		assert_string_equal(json_string_value(json_object_get(o, "param")), pts[i].param);
		assert_string_equal(json_string_value(json_object_get(o, "unit")), pts[i].unit);
		assert_string_equal(json_string_value(json_object_get(o, "status")),
				    wwtp_reading_status_name(r->status));
		json_t *v = json_object_get(o, "value");
		json_t *why = json_object_get(o, "reason");
		size_t keys = 3;
		if (r->has_value) {
			assert_true(json_is_number(v));
			/* Shortest round-trip form: the double comes back bit for bit
			 * (only the sign of zero may be lost to an integer parse). */
			assert_true(json_number_value(v) == r->value);
			keys++;
		} else {
			assert_null(v);
		}
		if (r->status != WWTP_READING_OK) {
			assert_string_equal(json_string_value(why), r->reason);
			keys++;
		} else {
			assert_null(why);
		}
		assert_int_equal(json_object_size(o), keys);
	}
	json_decref(root);
	wwtp_sample_free(s);
}

/* ---- evaluation in telemetry, and alerts ---- */

static void set_verdict(struct wwtp_verdict *v, const char *param, double lo, double hi)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->param, sizeof(v->param), "%s", param);
	v->has_limit = isfinite(lo) || isfinite(hi);
	v->is_range = isfinite(lo);
	v->cmax_min = lo;
	v->cmax_max = hi;
}

static void set_window(struct wwtp_window_verdict *w, int s, double avg, uint32_t n, double avail,
		       int judged, int exceeds, double ratio)
{
	memset(w, 0, sizeof(*w));
	w->window_s = s;
	w->average = avg;
	w->count = n;
	w->availability = avail;
	w->judged = judged;
	w->exceeds = exceeds;
	w->ratio = ratio;
}

static void test_telemetry_eval(void **state)
{
	struct fixture *f = *state;
	struct wwtp_sample *s = sample(f, 4);
	struct wwtp_verdict v[4];

	set_reading(&s->readings[0], WWTP_READING_OK, 1, 212.4, "");
	set_reading(&s->readings[1], WWTP_READING_OK, 1, 7.1, "");
	set_reading(&s->readings[2], WWTP_READING_FAULT, 0, 0, "no value (NaN)");
	set_reading(&s->readings[3], WWTP_READING_OK, 1, 20.5, "");

	/* cod: judged 1 h window above Cmax with its alert on; a 24 h window
	 * without enough data (no exceeds, no ratio). The limit carries the
	 * factors' binary noise, the averages a division's: both are cut to 12
	 * significant digits; ratio and availability to 4 decimals. */
	set_verdict(&v[0], "cod", NAN, 150 * 0.9 * 1.1);
	v[0].instant_exceeds = 1;
	v[0].nwindows = 2;
	set_window(&v[0].windows[0], 3600, 212.4 / 3 * 3, 58, 58.0 / 60, 1, 1, 212.4 / 148.5);
	v[0].windows[0].alert = 1;
	set_window(&v[0].windows[1], 86400, 42.099999999999994, 58, 58.0 / 1440, 0, 0, NAN);
	/* ph: a range, judged inside; a whole limit is written in plain digits. */
	set_verdict(&v[1], "ph", 5.5, 9);
	v[1].nwindows = 1;
	set_window(&v[1].windows[0], 3600, 7.1, 60, 1, 1, 0, 7.1 / 9);
	/* flow_out: no limit, no readings, an availability alert, fault and
	 * offline alerts. */
	set_verdict(&v[2], "flow_out", NAN, NAN);
	v[2].nwindows = 1;
	set_window(&v[2].windows[0], 3600, NAN, 0, 0, 0, 0, NAN);
	v[2].windows[0].availability_alert = 1;
	v[2].fault_alert = 1;
	v[2].offline_alert = 1;
	/* tss: no verdict. */
	memset(&v[3], 0, sizeof(v[3]));

	wwtp_buf_reset(&f->buf);
	assert_int_equal(wwtp_payload_telemetry_eval(&f->st, s, 5, v, &f->buf), 0);
	assert_string_equal(
	    f->buf.data,
	    "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"outlet\","
	    "\"ts\":\"2026-01-31T17:00:00.000Z\",\"seq\":5,\"readings\":["
	    "{\"param\":\"cod\",\"value\":212.4,\"unit\":\"mg/L\",\"status\":\"ok\","
	    "\"eval\":{\"limit\":{\"max\":148.5},\"instant_exceeds\":true,\"windows\":["
	    "{\"s\":3600,\"avg\":212.4,\"n\":58,\"avail\":0.9667,\"judged\":true,\"exceeds\":true,"
	    "\"ratio\":1.4303,\"alert\":true},"
	    "{\"s\":86400,\"avg\":42.1,\"n\":58,\"avail\":0.0403,\"judged\":false}]}},"
	    "{\"param\":\"ph\",\"value\":7.1,\"unit\":\"\",\"status\":\"ok\","
	    "\"eval\":{\"limit\":{\"min\":5.5,\"max\":9},\"windows\":["
	    "{\"s\":3600,\"avg\":7.1,\"n\":60,\"avail\":1,\"judged\":true,\"exceeds\":false,"
	    "\"ratio\":0.7889}]}},"
	    "{\"param\":\"flow_out\",\"unit\":\"m3/h\",\"status\":\"fault\",\"reason\":\"no value "
	    "(NaN)\","
	    "\"eval\":{\"windows\":[{\"s\":3600,\"n\":0,\"avail\":0,\"judged\":false,"
	    "\"avail_alert\":true}],\"alerts\":[\"fault\",\"offline\"]}},"
	    "{\"param\":\"tss\",\"value\":20.5,\"unit\":\"mg/L\",\"status\":\"ok\"}]}");

	/* The document parses, and the limit reads back as the regulation's
	 * rounded value. */
	json_error_t err;
	json_t *root = json_loadb(f->buf.data, f->buf.len, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		fail_msg("jansson: %s at %d", err.text, err.position);
	json_t *ev = json_object_get(json_array_get(json_object_get(root, "readings"), 0), "eval");
	assert_true(json_number_value(json_object_get(json_object_get(ev, "limit"), "max")) ==
		    148.5);
	json_decref(root);

	/* Without verdicts: the plain telemetry, byte for byte. */
	struct wwtp_buf plain;
	wwtp_buf_init(&plain, WWTP_PAYLOAD_MAX);
	assert_int_equal(wwtp_payload_telemetry(&f->st, s, 5, &plain), 0);
	wwtp_buf_reset(&f->buf);
	assert_int_equal(wwtp_payload_telemetry_eval(&f->st, s, 5, NULL, &f->buf), 0);
	assert_string_equal(f->buf.data, plain.data);
	wwtp_buf_free(&plain);

	/* A verdict of another param is a caller's bug: refused, nothing kept. */
	snprintf(v[1].param, sizeof(v[1].param), "temp");
	wwtp_buf_reset(&f->buf);
	assert_int_equal(wwtp_buf_adds(&f->buf, "keep"), 0);
	assert_int_equal(wwtp_payload_telemetry_eval(&f->st, s, 5, v, &f->buf), WWTP_ERR_INVAL);
	assert_string_equal(f->buf.data, "keep");
	wwtp_sample_free(s);
}

/* A real evaluator's verdict, through the encoder and back. */
static void test_telemetry_eval_from_evaluator(void **state)
{
	struct fixture *f = *state;
	struct wwtp_limit row = {0};
	struct wwtp_limits_table t = {0};
	struct wwtp_eval_config cfg;
	struct wwtp_eval *ev = NULL;
	struct wwtp_alert_event out[WWTP_EVAL_FEED_EVENTS_MAX];
	const struct wwtp_eval_param params[] = {{"cod", 1000}};

	snprintf(row.param, sizeof(row.param), "cod");
	snprintf(row.unit, sizeof(row.unit), "mg/L");
	row.has_limit = 1;
	row.cmax_min = NAN;
	row.cmax_max = 100;
	t.n = 1;
	t.rows = &row;
	wwtp_eval_config_default(&cfg);
	cfg.nwindows = 1;
	cfg.windows_s[0] = 10;
	cfg.bucket_s = 1;
	cfg.min_availability = 0.5;
	assert_int_equal(wwtp_eval_new("thanh-thuy", &t, &cfg, params, 1, &ev), 0);

	int64_t t0 = ts("2026-01-31T17:00:00.000Z");
	int raised = 0;
	for (int i = 0; i < 10; i++) {
		int n = wwtp_eval_feed(ev, "cod", t0 + i * 1000, WWTP_READING_OK, 1, 120.25, out,
				       WWTP_EVAL_FEED_EVENTS_MAX);
		assert_true(n >= 0);
		raised += n;
	}
	assert_int_equal(raised, 1);
	struct wwtp_sample *s = sample(f, 1);
	s->ts_ms = t0 + 9000;
	set_reading(&s->readings[0], WWTP_READING_OK, 1, 120.25, "");
	struct wwtp_verdict v;
	assert_int_equal(wwtp_eval_get(ev, "cod", &v), 0);
	wwtp_buf_reset(&f->buf);
	assert_int_equal(wwtp_payload_telemetry_eval(&f->st, s, 1, &v, &f->buf), 0);
	assert_string_equal(
	    f->buf.data, "{\"v\":1,\"station\":\"thanh-thuy\",\"device\":\"outlet\","
			 "\"ts\":\"2026-01-31T17:00:09.000Z\",\"seq\":1,\"readings\":["
			 "{\"param\":\"cod\",\"value\":120.25,\"unit\":\"mg/L\",\"status\":\"ok\","
			 "\"eval\":{\"limit\":{\"max\":100},\"instant_exceeds\":true,\"windows\":["
			 "{\"s\":10,\"avg\":120.25,\"n\":10,\"avail\":1,\"judged\":true,"
			 "\"exceeds\":true,\"ratio\":1.2025,\"alert\":true}]}}]}");
	wwtp_sample_free(s);
	wwtp_eval_free(ev);
}

static void set_event(struct wwtp_alert_event *e, int edge, int kind, int window_s, double value,
		      double limit, double ratio)
{
	memset(e, 0, sizeof(*e));
	e->edge = edge;
	e->kind = kind;
	snprintf(e->id, sizeof(e->id), "thanh-thuy:cod:%s:%d:1769878800000",
		 wwtp_alert_kind_name(kind), window_s);
	snprintf(e->station, sizeof(e->station), "thanh-thuy");
	snprintf(e->param, sizeof(e->param), "not-used");
	e->window_s = window_s;
	e->value = value;
	e->limit = limit;
	e->ratio = ratio;
	e->start_ms = ts("2026-01-31T17:00:00.000Z");
	e->since_ms = e->start_ms;
	if (edge == WWTP_ALERT_CLEARED)
		e->end_ms = ts("2026-01-31T18:30:00.500Z");
}

static void expect_alert(struct fixture *f, const struct wwtp_alert_event *e, const char *device,
			 const char *param, const char *unit, const char *want)
{
	wwtp_buf_reset(&f->buf);
	assert_int_equal(wwtp_payload_alert(&f->st, e, device, param, unit, &f->buf), 0);
	assert_string_equal(f->buf.data, want);
	json_error_t err;
	json_t *root = json_loadb(f->buf.data, f->buf.len, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		fail_msg("jansson: %s at %d", err.text, err.position);
	json_decref(root);
}

/* A stored message under a new number: the encoder's forms, signed or not,
 * get the new seq and floor and lose their signature; anything else is
 * refused. */
static void test_renumber(void **state)
{
	struct wwtp_buf in, out;
	unsigned char pk[WWTP_SIGN_PK_LEN], sk[WWTP_SIGN_SK_LEN], prev[WWTP_SIGN_HASH_LEN] = {0};
	const char *tele = "{\"v\":1,\"station\":\"s\",\"device\":\"a,\\\"seq\\\":9\",\"ts\":\"t\","
			   "\"seq\":12,\"readings\":[{\"param\":\"cod\",\"value\":44.8}]}";
	(void)state;
	wwtp_buf_init(&in, 4096);
	wwtp_buf_init(&out, 4096);

	/* Telemetry with its floor; the device name holds a quoted "seq"
	 * that must not be taken for the member. */
	assert_int_equal(wwtp_buf_adds(&in, tele), 0);
	assert_int_equal(wwtp_payload_add_member(&in, "floor", 3), 0);
	assert_int_equal(wwtp_payload_renumber(in.data, in.len, 640, 639, &out), 0);
	assert_string_equal(
	    out.data, "{\"v\":1,\"station\":\"s\",\"device\":\"a,\\\"seq\\\":9\",\"ts\":\"t\","
		      "\"seq\":640,\"readings\":[{\"param\":\"cod\",\"value\":44.8}],"
		      "\"floor\":639}");

	/* Signed as a link: the signature and link go, the rest as above. */
	assert_int_equal(wwtp_sign_keypair(pk, sk), 0);
	assert_int_equal(wwtp_sign_message(&in, sk, 77, prev, NULL), 0);
	assert_int_equal(wwtp_payload_renumber(in.data, in.len, 641, 639, &out), 0);
	assert_non_null(strstr(out.data, "\"seq\":641,\"readings\""));
	assert_null(strstr(out.data, "\"sig\""));
	assert_null(strstr(out.data, "\"chain\""));
	assert_null(strstr(out.data, "\"prev\""));
	assert_int_equal(out.data[out.len - 1], '}');
	assert_non_null(strstr(out.data, ",\"floor\":639}"));
	/* ...and it signs again into a message that checks. */
	assert_int_equal(wwtp_sign_message(&out, sk, 78, prev, NULL), 0);
	assert_int_equal(wwtp_sign_check(out.data, out.len, pk, NULL, NULL), WWTP_SIGN_OK);

	/* An alert: its seq is its last member before the floor. */
	wwtp_buf_reset(&in);
	assert_int_equal(wwtp_buf_adds(&in, "{\"v\":1,\"id\":\"x\",\"seq\":4,\"floor\":4}"), 0);
	assert_int_equal(wwtp_payload_renumber(in.data, in.len, 9, 9, &out), 0);
	assert_string_equal(out.data, "{\"v\":1,\"id\":\"x\",\"seq\":9,\"floor\":9}");

	/* Not the encoder's: no seq, no digits, not an object, a signature
	 * without its link. */
	const char *bad[] = {
	    "{\"v\":1}",
	    "{\"v\":1,\"seq\":\"7\"}",
	    "[1]",
	    "",
	    "{\"seq\":}",
	    "{\"v\":1,\"seq\":1,\"sig\":\"00000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000000000000000000"
	    "00000000\"}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(wwtp_payload_renumber(bad[i], strlen(bad[i]), 1, 1, &out),
				 WWTP_ERR_INVAL);
	wwtp_buf_free(&in);
	wwtp_buf_free(&out);
}

static void test_alert(void **state)
{
	struct fixture *f = *state;
	struct wwtp_alert_event e;

	set_event(&e, WWTP_ALERT_RAISED, WWTP_ALERT_EXCEEDANCE, 3600, 212.4, 150 * 0.9 * 1.1,
		  212.4 / (150 * 0.9 * 1.1));
	expect_alert(
	    f, &e, "outlet", "cod", "mg/L",
	    "{\"v\":1,\"station\":\"thanh-thuy\","
	    "\"id\":\"thanh-thuy:cod:exceedance:3600:1769878800000\",\"event\":\"raised\","
	    "\"kind\":\"exceedance\",\"priority\":\"high\",\"device\":\"outlet\",\"param\":\"cod\","
	    "\"unit\":\"mg/L\","
	    "\"window_s\":3600,\"value\":212.4,\"limit\":148.5,\"ratio\":1.4303,"
	    "\"since\":\"2026-01-31T17:00:00.000Z\",\"start\":\"2026-01-31T17:00:00.000Z\","
	    "\"ts\":\"2026-01-31T17:00:00.000Z\"}");

	/* The clear repeats id, start and since, adds end; ts is the end. */
	set_event(&e, WWTP_ALERT_CLEARED, WWTP_ALERT_EXCEEDANCE, 3600, 140.2, 148.5, 140.2 / 148.5);
	expect_alert(
	    f, &e, "outlet", "cod", "mg/L",
	    "{\"v\":1,\"station\":\"thanh-thuy\","
	    "\"id\":\"thanh-thuy:cod:exceedance:3600:1769878800000\",\"event\":\"cleared\","
	    "\"kind\":\"exceedance\",\"priority\":\"high\",\"device\":\"outlet\",\"param\":\"cod\","
	    "\"unit\":\"mg/L\","
	    "\"window_s\":3600,\"value\":140.2,\"limit\":148.5,\"ratio\":0.9441,"
	    "\"since\":\"2026-01-31T17:00:00.000Z\",\"start\":\"2026-01-31T17:00:00.000Z\","
	    "\"end\":\"2026-01-31T18:30:00.500Z\",\"ts\":\"2026-01-31T18:30:00.500Z\"}");

	/* A fault without a value: no window, value, limit or ratio (NaN
	 * fields are left out, never written). */
	set_event(&e, WWTP_ALERT_RAISED, WWTP_ALERT_FAULT, 0, NAN, NAN, NAN);
	e.since_ms = ts("2026-01-31T16:59:50.000Z");
	expect_alert(
	    f, &e, "outlet", "cod", NULL,
	    "{\"v\":1,\"station\":\"thanh-thuy\","
	    "\"id\":\"thanh-thuy:cod:fault:0:1769878800000\",\"event\":\"raised\","
	    "\"kind\":\"fault\",\"priority\":\"low\",\"device\":\"outlet\",\"param\":\"cod\","
	    "\"since\":\"2026-01-31T16:59:50.000Z\",\"start\":\"2026-01-31T17:00:00.000Z\","
	    "\"ts\":\"2026-01-31T17:00:00.000Z\"}");

	/* A device offline: no param, no unit; a whole number of seconds. */
	set_event(&e, WWTP_ALERT_RAISED, WWTP_ALERT_OFFLINE, 0, 90, 60, 1.5);
	expect_alert(f, &e, "flow-out", NULL, "",
		     "{\"v\":1,\"station\":\"thanh-thuy\","
		     "\"id\":\"thanh-thuy:cod:offline:0:1769878800000\",\"event\":\"raised\","
		     "\"kind\":\"offline\",\"priority\":\"medium\",\"device\":\"flow-out\","
		     "\"value\":90,\"limit\":60,"
		     "\"ratio\":1.5,\"since\":\"2026-01-31T17:00:00.000Z\","
		     "\"start\":\"2026-01-31T17:00:00.000Z\",\"ts\":\"2026-01-31T17:00:00.000Z\"}");

	/* Availability and range kinds keep their names. */
	set_event(&e, WWTP_ALERT_RAISED, WWTP_ALERT_AVAILABILITY, 86400, 0.5, 0.75, 0.5 / 0.75);
	wwtp_buf_reset(&f->buf);
	assert_int_equal(wwtp_payload_alert(&f->st, &e, "outlet", "cod", NULL, &f->buf), 0);
	assert_non_null(strstr(f->buf.data, "\"kind\":\"availability\",\"priority\":\"medium\","));
	assert_non_null(strstr(f->buf.data, "\"window_s\":86400,\"value\":0.5,\"limit\":0.75,"
					    "\"ratio\":0.6667,"));

	/* Unknown edge or kind: refused, the buffer kept. */
	wwtp_buf_reset(&f->buf);
	assert_int_equal(wwtp_buf_adds(&f->buf, "keep"), 0);
	e.edge = 0;
	assert_int_equal(wwtp_payload_alert(&f->st, &e, "outlet", "cod", NULL, &f->buf),
			 WWTP_ERR_INVAL);
	e.edge = WWTP_ALERT_RAISED;
	e.kind = 42;
	assert_int_equal(wwtp_payload_alert(&f->st, &e, "outlet", "cod", NULL, &f->buf),
			 WWTP_ERR_INVAL);
	assert_string_equal(f->buf.data, "keep");

	/* Too small a buffer: refused, nothing half written. */
	set_event(&e, WWTP_ALERT_RAISED, WWTP_ALERT_EXCEEDANCE, 3600, 212.4, 148.5, 1.43);
	struct wwtp_buf b;
	wwtp_buf_init(&b, 60);
	assert_int_equal(wwtp_payload_alert(&f->st, &e, "outlet", "cod", "mg/L", &b),
			 WWTP_ERR_FULL);
	assert_int_equal(b.len, 0);
	wwtp_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_names),
	    cmocka_unit_test_setup_teardown(test_sample_new, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_telemetry_ok, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_telemetry_mixed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_telemetry_edge_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_telemetry_escaping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_telemetry_bad_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_telemetry_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_topic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roundtrip_jansson, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_telemetry_eval, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_telemetry_eval_from_evaluator, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alert, setup, teardown),
	    cmocka_unit_test(test_renumber),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
