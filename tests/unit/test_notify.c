/* test_notify.c - the pure parts of central/notify: what a message says
 * (numbers, Hanoi time, the Vietnamese lines, the subject, the MIME e-mail,
 * the webhook's JSON, an event's file), when to write one (grouping) and
 * when to try again (back-off); and the outbox's files. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../central/monitor/alert_events.h"
#include "../../central/notify/compose.h"
#include "../../central/notify/notify.h"
#include "../../central/notify/outbox.h"
#include "../../central/notify/sched.h"
#include "../../util/err.h"
#include "../../util/timeutil.h"

static int64_t utc(const char *s)
{
	int64_t ms = 0;
	assert_int_equal(wwtp_parse_utc(s, &ms), 0);
	return ms;
}

static void test_number(void **state)
{
	static const struct {
		double v;
		const char *want;
	} t[] = {{1.542, "1,54"}, {148.5, "148,5"},   {208.0, "208"}, {208.24, "208,2"},
		 {0.5, "0,5"},	  {12345.6, "12346"}, {-0.001, "0"},  {3.0, "3"}};
	char out[32];
	(void)state;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		wwtp_notify_number(t[i].v, out, sizeof(out));
		assert_string_equal(out, t[i].want);
	}
	wwtp_notify_number(NAN, out, sizeof(out));
	assert_string_equal(out, "?");
}

static void test_hanoi_time(void **state)
{
	char out[32];
	(void)state;

	wwtp_notify_hanoi_time(utc("2026-12-03T07:00:00.000Z"), out, sizeof(out));
	assert_string_equal(out, "03/12/2026 14:00");
	/* UTC+7 crosses midnight and the year. */
	wwtp_notify_hanoi_time(utc("2026-12-31T17:30:59.000Z"), out, sizeof(out));
	assert_string_equal(out, "01/01/2027 00:30");
}

static struct wwtp_nevent ev(const char *station, const char *name, const char *kind, int raised)
{
	struct wwtp_nevent e;

	memset(&e, 0, sizeof(e));
	e.seq = 1;
	snprintf(e.station, sizeof(e.station), "%s", station);
	snprintf(e.station_name, sizeof(e.station_name), "%s", name);
	snprintf(e.kind, sizeof(e.kind), "%s", kind);
	snprintf(e.alert_id, sizeof(e.alert_id), "%s:cod:%s", station, kind);
	snprintf(e.key, sizeof(e.key), "%s/%s", e.alert_id, raised ? "raised" : "cleared");
	snprintf(e.param, sizeof(e.param), "cod");
	snprintf(e.device, sizeof(e.device), "cod-analyzer");
	snprintf(e.unit, sizeof(e.unit), "mg/L");
	e.raised = raised;
	e.priority = wwtp_alert_priority_of_kind(kind);
	e.window_s = 3600;
	e.value = 208.2;
	e.limit = 135;
	e.ratio = 1.542;
	e.t_ms = utc("2026-12-03T07:00:00.000Z");
	e.queued_ms = e.t_ms + 1000;
	return e;
}

static void test_event_text(void **state)
{
	struct wwtp_nevent e = ev("yen-nghia", "CCN Yên Nghĩa", "exceedance", 1);
	char out[512];
	(void)state;

	wwtp_notify_event_text(&e, out, sizeof(out));
	assert_string_equal(out, "CCN Yên Nghĩa: COD vượt quy chuẩn - trung bình 1 giờ 208,2 mg/L, "
				 "gấp 1,54 lần giới hạn 135 mg/L, từ 03/12/2026 14:00");
	e.raised = 0;
	e.t_ms += 2 * 3600 * 1000;
	wwtp_notify_event_text(&e, out, sizeof(out));
	assert_string_equal(
	    out, "CCN Yên Nghĩa: COD hết vượt quy chuẩn (trung bình 1 giờ) lúc 03/12/2026 "
		 "16:00");
	/* No name: the id; a device alert. */
	e = ev("qd6613-01", "", "offline", 1);
	e.param[0] = '\0';
	e.window_s = 0;
	wwtp_notify_event_text(&e, out, sizeof(out));
	assert_string_equal(out,
			    "qd6613-01: thiết bị cod-analyzer mất kết nối, từ 03/12/2026 14:00");
	e = ev("s", "Trạm S", "fault", 1);
	e.window_s = 0;
	wwtp_notify_event_text(&e, out, sizeof(out));
	assert_string_equal(
	    out, "Trạm S: COD thiết bị đo báo lỗi (thiết bị cod-analyzer), từ 03/12/2026 "
		 "14:00");
	/* A measuring-configuration change (ingest/confchange.h). */
	e = ev("s", "Trạm S", "config_change", 1);
	e.window_s = 0;
	wwtp_notify_event_text(&e, out, sizeof(out));
	assert_string_equal(out, "Trạm S: COD có thay đổi cấu hình đo (thiết bị cod-analyzer), từ "
				 "03/12/2026 14:00");
	/* The analyzer against a laboratory result (ingest/labsample.h):
	 * value the analyzer's, limit the laboratory's; medium. */
	e = ev("s", "Trạm S", "lab_mismatch", 1);
	e.window_s = 0;
	e.value = 80;
	e.limit = 50;
	wwtp_notify_event_text(&e, out, sizeof(out));
	assert_string_equal(out, "Trạm S: COD thiết bị đo lệch kết quả phòng thí nghiệm - thiết bị "
				 "đo 80 mg/L, phòng thí nghiệm 50 mg/L, từ 03/12/2026 14:00");
	assert_int_equal(e.priority, WWTP_PRIO_MEDIUM);
}

static void test_subject(void **state)
{
	struct wwtp_nevent a = ev("a", "Trạm A", "exceedance", 1),
			   b = ev("b", "Trạm B", "range", 1),
			   c = ev("a", "Trạm A", "exceedance", 0);
	const struct wwtp_nevent *v[] = {&a, &b, &c};
	char out[256];
	(void)state;

	wwtp_notify_subject(v, 3, out, sizeof(out));
	assert_string_equal(out, "[Giám sát nước thải] 2 cảnh báo mới, 1 đã hết - Trạm A, Trạm B");
	wwtp_notify_subject(v + 2, 1, out, sizeof(out));
	assert_string_equal(out, "[Giám sát nước thải] 1 đã hết - Trạm A");
}

static void test_base64(void **state)
{
	static const char *const t[][2] = {
	    {"", ""},	     {"f", "Zg=="},	   {"fo", "Zm8="},
	    {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"foobar", "Zm9vYmFy"}};
	struct wwtp_buf b;
	(void)state;

	wwtp_buf_init(&b, 64);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		wwtp_buf_reset(&b);
		assert_int_equal(wwtp_notify_base64(&b, t[i][0], strlen(t[i][0]), 0), 0);
		assert_int_equal(b.len, strlen(t[i][1]));
		assert_memory_equal(b.data, t[i][1], b.len);
	}
	wwtp_buf_free(&b);
}

/* The e-mail: headers as RFC 5322 wants them, every line ending in CRLF and
 * at most 78 characters, the raised (high first) before the cleared. */
static void test_mail(void **state)
{
	struct wwtp_nevent f = ev("a", "Trạm A", "fault", 1),
			   x = ev("a", "Trạm A", "exceedance", 1),
			   c = ev("b", "Trạm B", "exceedance", 0);
	const struct wwtp_nevent *v[] = {&f, &x, &c};
	struct wwtp_buf m, body;
	(void)state;

	wwtp_buf_init(&m, 1 << 20);
	wwtp_buf_init(&body, 1 << 20);
	assert_int_equal(wwtp_notify_mail(v, 3, "giamsat@example.vn", "thanhtra@example.vn",
					  "wwtp-notify.0123456789abcdef.7@example.vn",
					  utc("2026-12-03T14:05:09.000Z"), &m),
			 0);
	assert_int_equal(wwtp_buf_add(&m, "", 1), 0);
	const char *s = m.data;
	assert_non_null(strstr(s, "From: <giamsat@example.vn>\r\nTo: <thanhtra@example.vn>\r\n"));
	assert_non_null(strstr(s, "\r\nSubject: =?UTF-8?B?"));
	assert_non_null(strstr(s, "\r\nDate: Thu, 03 Dec 2026 21:05:09 +0700\r\n"));
	assert_non_null(
	    strstr(s, "\r\nMessage-ID: <wwtp-notify.0123456789abcdef.7@example.vn>\r\n"));
	assert_non_null(strstr(s, "\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(s, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
	assert_non_null(strstr(s, "\r\nContent-Transfer-Encoding: base64\r\n"));
	size_t col = 0;
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '\n') {
			assert_true(i > 0 && s[i - 1] == '\r'); /* no bare LF */
			col = 0;
		} else if (++col > 78) {
			fail_msg("a line longer than 78 characters at byte %zu", i);
		}
		assert_true((unsigned char)s[i] < 0x80); /* 7-bit on the wire */
	}
	/* The body is what wwtp_notify_body() writes, in base64 of its CRLF form. */
	assert_int_equal(wwtp_notify_body(v, 3, utc("2026-12-03T14:05:09.000Z"),
					  "wwtp-notify.0123456789abcdef.7@example.vn", &body),
			 0);
	assert_int_equal(wwtp_buf_add(&body, "", 1), 0);
	const char *hi = strstr(body.data, "COD vượt quy chuẩn");
	const char *lo = strstr(body.data, "thiết bị đo báo lỗi");
	const char *gone = strstr(body.data, "Đã hết (1):\n- Trạm B: COD hết vượt quy chuẩn");
	assert_non_null(strstr(body.data, "thông báo lúc 03/12/2026 21:05\n"));
	assert_non_null(strstr(body.data, "Cảnh báo mới (2):\n"));
	assert_true(hi && lo && gone && hi < lo && lo < gone);
	wwtp_buf_free(&m);
	wwtp_buf_free(&body);
}

/* A message as long as one may be (200 changes) is made, not refused. */
static void test_mail_large(void **state)
{
	static struct wwtp_nevent e[200];
	const struct wwtp_nevent *v[200];
	struct wwtp_buf m;
	(void)state;

	for (size_t i = 0; i < 200; i++) {
		e[i] =
		    ev("a-long-station-id-of-forty-characters-xx", "Cụm công nghiệp có tên rất dài",
		       i % 2 ? "exceedance" : "availability", (int)(i % 3 != 0));
		v[i] = &e[i];
	}
	wwtp_buf_init(&m, 4u << 20);
	assert_int_equal(wwtp_notify_mail(v, 200, "g@example.vn", "t@example.vn", "id@example.vn",
					  utc("2026-12-03T14:05:09.000Z"), &m),
			 0);
	assert_true(m.len > 20000);
	wwtp_buf_reset(&m);
	assert_int_equal(wwtp_notify_hook_body(v, 200, "id", utc("2026-12-03T14:05:09.000Z"), &m),
			 0);
	wwtp_buf_free(&m);
}

static void test_hook_body(void **state)
{
	struct wwtp_nevent x = ev("a", "Trạm A", "exceedance", 1);
	const struct wwtp_nevent *v[] = {&x};
	struct wwtp_buf b;
	json_t *j;
	(void)state;

	x.limit = NAN;
	wwtp_buf_init(&b, 1024);
	assert_int_equal(wwtp_notify_hook_body(v, 1, "id-1", utc("2026-12-03T14:05:09.000Z"), &b),
			 0);
	j = json_loadb(b.data, b.len, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "id")), "id-1");
	assert_string_equal(json_string_value(json_object_get(j, "sent_at")),
			    "2026-12-03T14:05:09.000Z");
	json_t *e = json_array_get(json_object_get(j, "events"), 0);
	assert_int_equal(json_array_size(json_object_get(j, "events")), 1);
	assert_string_equal(json_string_value(json_object_get(e, "event")), "raised");
	assert_string_equal(json_string_value(json_object_get(e, "priority")), "high");
	assert_string_equal(json_string_value(json_object_get(e, "station_name")), "Trạm A");
	assert_true(json_is_null(json_object_get(e, "limit"))); /* absent: null */
	assert_true(json_real_value(json_object_get(e, "ratio")) == 1.542);
	assert_string_equal(json_string_value(json_object_get(e, "time")),
			    "2026-12-03T07:00:00.000Z");
	json_decref(j);
	wwtp_buf_free(&b);
}

static void test_event_file(void **state)
{
	struct wwtp_nevent a = ev("a", "Trạm A", "availability", 0), b;
	json_t *j;
	(void)state;

	a.seq = 42;
	a.ratio = NAN;
	j = wwtp_nevent_to_json(&a);
	assert_int_equal(wwtp_nevent_from_json(j, &b), 0);
	assert_true(b.seq == 42 && b.raised == 0 && b.priority == WWTP_PRIO_MEDIUM);
	assert_string_equal(b.key, a.key);
	assert_string_equal(b.station_name, "Trạm A");
	assert_true(b.value == a.value && isnan(b.ratio) && b.t_ms == a.t_ms);
	/* Damaged: a field missing, a wrong type, an unknown priority. */
	json_object_del(j, "station");
	assert_int_equal(wwtp_nevent_from_json(j, &b), WWTP_ERR_INVAL);
	json_object_set_new(j, "station", json_integer(3));
	assert_int_equal(wwtp_nevent_from_json(j, &b), WWTP_ERR_INVAL);
	json_object_set_new(j, "station", json_string("a"));
	json_object_set_new(j, "priority", json_string("urgent"));
	assert_int_equal(wwtp_nevent_from_json(j, &b), WWTP_ERR_INVAL);
	json_decref(j);
	j = json_string("x");
	assert_int_equal(wwtp_nevent_from_json(j, &b), WWTP_ERR_INVAL);
	json_decref(j);
}

/* Grouping: the first change waits delay; later ones wait for the interval
 * since the last message; nothing while one is undelivered. */
static void test_due(void **state)
{
	struct wwtp_notify_due d = {0, 0, 0};
	int64_t next;
	(void)state;

	assert_int_equal(wwtp_notify_is_due(&d, 1000, 10000, 300000, &next), 0);
	assert_true(next == INT64_MAX); /* nothing waits */
	d.oldest_waiting_ms = 100000;
	assert_int_equal(wwtp_notify_is_due(&d, 105000, 10000, 300000, &next), 0);
	assert_true(next == 110000);
	assert_int_equal(wwtp_notify_is_due(&d, 110000, 10000, 300000, &next), 1);
	/* A message was made at 110 s: the next not before 410 s. */
	d.last_made_ms = 110000;
	d.oldest_waiting_ms = 120000;
	assert_int_equal(wwtp_notify_is_due(&d, 400000, 10000, 300000, &next), 0);
	assert_true(next == 410000);
	assert_int_equal(wwtp_notify_is_due(&d, 410000, 10000, 300000, &next), 1);
	/* ... and an event long after the interval waits only its delay. */
	d.oldest_waiting_ms = 900000;
	assert_int_equal(wwtp_notify_is_due(&d, 905000, 10000, 300000, &next), 0);
	assert_true(next == 910000);
	/* Undelivered: never, whatever the time. */
	d.undelivered = 1;
	assert_int_equal(wwtp_notify_is_due(&d, 99999999, 10000, 300000, &next), 0);
	assert_true(next == INT64_MAX);
	/* The clock stepped back before the last message: not held for the step. */
	d.undelivered = 0;
	d.last_made_ms = 5000000;
	d.oldest_waiting_ms = 1000000;
	assert_int_equal(wwtp_notify_is_due(&d, 1010000, 10000, 300000, &next), 1);
}

static void test_backoff(void **state)
{
	(void)state;
	assert_true(wwtp_notify_backoff_ms(1, 30000, 3600000) == 30000);
	assert_true(wwtp_notify_backoff_ms(2, 30000, 3600000) == 60000);
	assert_true(wwtp_notify_backoff_ms(3, 30000, 3600000) == 120000);
	assert_true(wwtp_notify_backoff_ms(8, 30000, 3600000) == 3600000); /* 3 840 000 capped */
	assert_true(wwtp_notify_backoff_ms(1000, 30000, 3600000) == 3600000);
}

static void test_outbox(void **state)
{
	char dir[] = "/tmp/wwtp-test-outbox-XXXXXX", path[128], cmd[160];
	struct wwtp_nbox *ob;
	char(*names)[WWTP_OB_NAME_MAX];
	struct wwtp_buf b;
	size_t n;
	FILE *f;
	(void)state;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(wwtp_nbox_open(dir, &ob), 0);
	assert_int_equal(wwtp_nbox_put(ob, WWTP_OB_OUT, "b.msg", "hello", 5), 0);
	assert_int_equal(wwtp_nbox_put(ob, WWTP_OB_OUT, "a.msg", "x", 1), 0);
	/* A write a crash interrupted. */
	snprintf(path, sizeof(path), "%s/out/.tmp-c.msg", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(wwtp_nbox_list(ob, WWTP_OB_OUT, &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "a.msg");
	assert_string_equal(names[1], "b.msg");
	free(names);
	assert_int_not_equal(access(path, F_OK), 0); /* removed */
	wwtp_buf_init(&b, 16);
	assert_int_equal(wwtp_nbox_get(ob, WWTP_OB_OUT, "b.msg", 100, &b), 0);
	assert_int_equal(b.len, 5);
	assert_int_equal(wwtp_nbox_get(ob, WWTP_OB_OUT, "b.msg", 4, &b), WWTP_ERR_RANGE);
	assert_int_equal(wwtp_nbox_get(ob, WWTP_OB_OUT, "zz", 4, &b), WWTP_ERR_NOTFOUND);
	assert_int_equal(wwtp_nbox_move(ob, WWTP_OB_OUT, "b.msg", "b.sending"), 0);
	assert_int_equal(wwtp_nbox_set_aside(ob, WWTP_OB_OUT, "b.sending"), 0);
	snprintf(path, sizeof(path), "%s/bad/out-b.sending", dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(wwtp_nbox_del(ob, WWTP_OB_OUT, "a.msg"), 0);
	assert_int_equal(wwtp_nbox_del(ob, WWTP_OB_OUT, "a.msg"), 0); /* gone: fine */
	assert_int_equal(wwtp_nbox_list(ob, WWTP_OB_OUT, &names, &n), 0);
	assert_int_equal(n, 0);
	free(names);
	wwtp_buf_free(&b);
	wwtp_nbox_close(ob);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The room without its thread: an edge is on disk when the note returns;
 * the same edge again, before or after a restart, is a duplicate; a
 * damaged event file is set aside at start, not a crash. */
static void test_room_dedupe(void **state)
{
	static struct wwtp_central_notify cfg;
	char dir[] = "/tmp/wwtp-test-notify-XXXXXX", path[160], cmd[160];
	struct wwtp_notify *n;
	struct wwtp_notify_stats st;
	struct wwtp_alert_note a;
	FILE *f;
	(void)state;

	assert_non_null(mkdtemp(dir));
	memset(&cfg, 0, sizeof(cfg));
	cfg.enabled = 1;
	snprintf(cfg.dir, sizeof(cfg.dir), "%s", dir);
	cfg.ntargets = 1;
	snprintf(cfg.targets[0].addr, sizeof(cfg.targets[0].addr), "http://127.0.0.1:9/hook");
	snprintf(cfg.targets[0].stations[0], sizeof(cfg.targets[0].stations[0]), "*");
	cfg.targets[0].nstations = 1;
	snprintf(cfg.targets[0].min_priority, sizeof(cfg.targets[0].min_priority), "low");
	cfg.min_interval_s = 300;
	cfg.timeout_s = 5;
	cfg.retry_min_s = 1;
	cfg.retry_max_s = 2;
	cfg.keep_days = 30;

	memset(&a, 0, sizeof(a));
	a.edge = WWTP_ALERT_NOTE_RAISED;
	snprintf(a.id, sizeof(a.id), "s:cod:exceedance:3600:1");
	snprintf(a.station, sizeof(a.station), "s");
	snprintf(a.kind, sizeof(a.kind), "exceedance");
	a.priority = WWTP_PRIO_HIGH;
	a.value = a.limit = a.ratio = NAN;
	a.start_ms = wwtp_now_ms();

	assert_int_equal(wwtp_notify_new(&cfg, &n), 0);
	wwtp_notify_note(n, &a);
	wwtp_notify_note(n, &a); /* a redelivery */
	a.edge = WWTP_ALERT_NOTE_CHANGED;
	wwtp_notify_note(n, &a); /* not sent */
	wwtp_notify_get_stats(n, &st);
	assert_true(st.events == 1 && st.duplicates == 1 && st.lost == 0);
	snprintf(path, sizeof(path), "%s/ev/%020d.json", dir, 1);
	assert_int_equal(access(path, F_OK), 0);
	wwtp_notify_free(n);

	/* Restarted: the raise is remembered; its clear is new. A damaged
	 * event file is set aside. */
	snprintf(path, sizeof(path), "%s/ev/%020d.json", dir, 7);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"seq\": 7, \"key\": tru", f);
	fclose(f);
	assert_int_equal(wwtp_notify_new(&cfg, &n), 0);
	a.edge = WWTP_ALERT_NOTE_RAISED;
	a.recovered = 1;
	wwtp_notify_note(n, &a);
	a.edge = WWTP_ALERT_NOTE_CLEARED;
	a.end_ms = a.start_ms + 1000;
	wwtp_notify_note(n, &a);
	wwtp_notify_get_stats(n, &st);
	assert_true(st.events == 1 && st.duplicates == 1 && st.set_aside == 1);
	snprintf(path, sizeof(path), "%s/bad/ev-%020d.json", dir, 7);
	assert_int_equal(access(path, F_OK), 0);
	wwtp_notify_free(n);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_number),	cmocka_unit_test(test_hanoi_time),
	    cmocka_unit_test(test_event_text),	cmocka_unit_test(test_subject),
	    cmocka_unit_test(test_base64),	cmocka_unit_test(test_mail),
	    cmocka_unit_test(test_mail_large),	cmocka_unit_test(test_hook_body),
	    cmocka_unit_test(test_event_file),	cmocka_unit_test(test_due),
	    cmocka_unit_test(test_backoff),	cmocka_unit_test(test_outbox),
	    cmocka_unit_test(test_room_dedupe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
