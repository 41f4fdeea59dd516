/* compose.c - see compose.h. */
#include "compose.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../util/err.h"
#include "../../util/timeutil.h"
#include "../monitor/alert_events.h"

#define HANOI_OFFSET_MS (7 * 3600 * 1000LL)
/* The text of one message at most (200 changes take some 60 KB). */
#define COMPOSE_TEXT_MAX ((size_t)1 << 20)

void wwtp_notify_hanoi_time(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)((ms + HANOI_OFFSET_MS) / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(out, n, "?");
		return;
	}
	snprintf(out, n, "%02d/%02d/%04d %02d:%02d", tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900,
		 tm.tm_hour, tm.tm_min);
}

void wwtp_notify_number(double v, char *out, size_t n)
{
	double a = fabs(v);
	int dec = a >= 1000 ? 0 : a >= 10 ? 1 : 2;
	char *p;

	if (!isfinite(v)) {
		snprintf(out, n, "?");
		return;
	}
	snprintf(out, n, "%.*f", dec, v);
	p = strchr(out, '.');
	if (p) {
		size_t len = strlen(out);
		while (len > 0 && out[len - 1] == '0')
			out[--len] = '\0';
		if (out[len - 1] == '.')
			out[--len] = '\0';
		else
			*p = ',';
	}
	if (strcmp(out, "-0") == 0)
		snprintf(out, n, "0");
}

/* The names an inspector reads (the glossary of issue 17 item 3 will be
 * the one source; until then the common ones here, others as keyed). */
static const char *param_name(const char *p)
{
	static const char *const tab[][2] = {
	    {"cod", "COD"},
	    {"bod5", "BOD5"},
	    {"tss", "TSS"},
	    {"nh4", "Amoni (NH4+)"},
	    {"tn", "Tổng nitơ"},
	    {"tp", "Tổng phốt pho"},
	    {"ph", "pH"},
	    {"temp", "Nhiệt độ"},
	    {"color", "Độ màu"},
	    {"flow_out", "Lưu lượng ra"},
	    {"flow_in", "Lưu lượng vào"},
	    {"turbidity", "Độ đục"},
	    {"coliform", "Coliform"},
	    {"do", "Oxy hòa tan (DO)"},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(p, tab[i][0]) == 0)
			return tab[i][1];
	return p;
}

static void window_text(int s, char *out, size_t n)
{
	if (s <= 0)
		out[0] = '\0';
	else if (s % 3600 == 0)
		snprintf(out, n, "trung bình %d giờ", s / 3600);
	else if (s % 60 == 0)
		snprintf(out, n, "trung bình %d phút", s / 60);
	else
		snprintf(out, n, "trung bình %d giây", s);
}

/* What the kind is, as said of the plant ("vượt quy chuẩn"). */
static const char *kind_phrase(const char *kind)
{
	if (strcmp(kind, "exceedance") == 0)
		return "vượt quy chuẩn";
	if (strcmp(kind, "range") == 0)
		return "ngoài khoảng cho phép";
	if (strcmp(kind, "availability") == 0)
		return "thiếu số liệu";
	if (strcmp(kind, "offline") == 0)
		return "mất kết nối";
	if (strcmp(kind, "fault") == 0)
		return "thiết bị đo báo lỗi";
	if (strcmp(kind, "calibration") == 0)
		return "đang hiệu chuẩn";
	if (strcmp(kind, "config_change") == 0) /* ingest/confchange.h */
		return "có thay đổi cấu hình đo";
	if (strcmp(kind, "lab_mismatch") == 0) /* ingest/labsample.h */
		return "thiết bị đo lệch kết quả phòng thí nghiệm";
	return NULL;
}

void wwtp_notify_event_text(const struct wwtp_nevent *e, char *out, size_t n)
{
	const char *who = e->station_name[0] ? e->station_name : e->station;
	const char *what = e->param[0] ? param_name(e->param) : "";
	const char *phrase = kind_phrase(e->kind);
	char when[32], win[48], v[32], l[32], r[32], detail[256], subject[160];
	const char *u = e->unit;

	wwtp_notify_hanoi_time(e->t_ms, when, sizeof(when));
	window_text(e->window_s, win, sizeof(win));
	wwtp_notify_number(e->value, v, sizeof(v));
	wwtp_notify_number(e->limit, l, sizeof(l));
	wwtp_notify_number(e->ratio, r, sizeof(r));
	detail[0] = '\0';
	if (e->param[0])
		snprintf(subject, sizeof(subject), "%s", what);
	else if (e->device[0])
		snprintf(subject, sizeof(subject), "thiết bị %s", e->device);
	else
		snprintf(subject, sizeof(subject), "trạm");
	if (!phrase) {
		snprintf(out, n, "%s: %s cảnh báo \"%s\" %s lúc %s", who, subject, e->kind,
			 e->raised ? "bắt đầu" : "kết thúc", when);
		return;
	}
	if (!e->raised) {
		snprintf(out, n, "%s: %s hết %s%s%s%s lúc %s", who, subject, phrase,
			 win[0] ? " (" : "", win, win[0] ? ")" : "", when);
		return;
	}
	if (strcmp(e->kind, "exceedance") == 0 && isfinite(e->value) && isfinite(e->limit)) {
		if (isfinite(e->ratio))
			snprintf(detail, sizeof(detail), " - %s%s%s %s, gấp %s lần giới hạn %s %s",
				 win, win[0] ? " " : "", v, u, r, l, u);
		else
			snprintf(detail, sizeof(detail), " - %s%s%s %s, giới hạn %s %s", win,
				 win[0] ? " " : "", v, u, l, u);
	} else if (strcmp(e->kind, "range") == 0 && isfinite(e->value)) {
		snprintf(detail, sizeof(detail), " - %s %s", v, u);
	} else if (strcmp(e->kind, "availability") == 0 && isfinite(e->value) && e->value >= 0 &&
		   e->value <= 1) {
		char pc[32];
		wwtp_notify_number(e->value * 100, pc, sizeof(pc));
		snprintf(detail, sizeof(detail), " - chỉ có %s%% số liệu%s%s", pc,
			 win[0] ? " " : "", win);
	} else if (strcmp(e->kind, "lab_mismatch") == 0 && isfinite(e->value) &&
		   isfinite(e->limit)) { /* value the analyzer's, limit the laboratory's */
		snprintf(detail, sizeof(detail), " - thiết bị đo %s %s, phòng thí nghiệm %s %s", v,
			 u, l, u);
	} else if (e->device[0] && e->param[0]) {
		snprintf(detail, sizeof(detail), " (thiết bị %s)", e->device);
	}
	snprintf(out, n, "%s: %s %s%s, từ %s", who, subject, phrase, detail, when);
}

static size_t count_raised(const struct wwtp_nevent *const *ev, size_t n)
{
	size_t r = 0;
	for (size_t i = 0; i < n; i++)
		r += ev[i]->raised != 0;
	return r;
}

void wwtp_notify_subject(const struct wwtp_nevent *const *ev, size_t n, char *out, size_t cap)
{
	size_t raised = count_raised(ev, n), cleared = n - raised, used, shown = 0;
	int w;

	w = snprintf(out, cap, "[Giám sát nước thải] ");
	used = w > 0 && (size_t)w < cap ? (size_t)w : 0;
	if (raised) {
		w = snprintf(out + used, cap - used, "%zu cảnh báo mới", raised);
		used += w > 0 && (size_t)w < cap - used ? (size_t)w : 0;
	}
	if (cleared) {
		w = snprintf(out + used, cap - used, "%s%zu đã hết", raised ? ", " : "", cleared);
		used += w > 0 && (size_t)w < cap - used ? (size_t)w : 0;
	}
	/* The plants, each once, at most three. */
	for (size_t i = 0; i < n && shown <= 3; i++) {
		const char *who = ev[i]->station_name[0] ? ev[i]->station_name : ev[i]->station;
		int seen = 0;
		for (size_t j = 0; j < i; j++)
			if (strcmp(ev[j]->station, ev[i]->station) == 0)
				seen = 1;
		if (seen)
			continue;
		w = snprintf(out + used, cap - used, "%s%s", shown == 0 ? " - " : ", ",
			     shown < 3 ? who : "...");
		used += w > 0 && (size_t)w < cap - used ? (size_t)w : 0;
		shown++;
	}
}

static int add_lines(const struct wwtp_nevent *const *ev, size_t n, int raised,
		     struct wwtp_buf *out)
{
	char line[768];

	/* Higher priorities first; arrival order within one. */
	for (int p = WWTP_PRIO_HIGH; p >= WWTP_PRIO_LOW; p--)
		for (size_t i = 0; i < n; i++) {
			if (ev[i]->raised != raised || ev[i]->priority != p)
				continue;
			wwtp_notify_event_text(ev[i], line, sizeof(line));
			if (wwtp_buf_printf(out, "- %s\n", line) != 0)
				return WWTP_ERR_NOMEM;
		}
	return 0;
}

int wwtp_notify_body(const struct wwtp_nevent *const *ev, size_t n, int64_t now_ms,
		     const char *msgid, struct wwtp_buf *out)
{
	size_t raised = count_raised(ev, n);
	char now[32];
	int rc = 0;

	wwtp_notify_hanoi_time(now_ms, now, sizeof(now));
	rc |= wwtp_buf_printf(out, "Hệ thống giám sát nước thải - thông báo lúc %s\n\n", now);
	if (raised) {
		rc |= wwtp_buf_printf(out, "Cảnh báo mới (%zu):\n", raised);
		rc |= add_lines(ev, n, 1, out);
		rc |= wwtp_buf_adds(out, "\n");
	}
	if (n - raised) {
		rc |= wwtp_buf_printf(out, "Đã hết (%zu):\n", n - raised);
		rc |= add_lines(ev, n, 0, out);
		rc |= wwtp_buf_adds(out, "\n");
	}
	rc |= wwtp_buf_printf(out,
			      "Giờ Hà Nội. Chi tiết trên trang giám sát.\n"
			      "Mã thông báo: %s\n",
			      msgid);
	return rc ? WWTP_ERR_NOMEM : 0;
}

int wwtp_notify_base64(struct wwtp_buf *out, const void *p, size_t n, int wrap)
{
	static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = p;
	size_t col = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		char q[4];
		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = A[(v >> 18) & 63];
		q[1] = A[(v >> 12) & 63];
		q[2] = i + 1 < n ? A[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? A[v & 63] : '=';
		if (wwtp_buf_add(out, q, 4) != 0)
			return WWTP_ERR_NOMEM;
		col += 4;
		if (wrap && col >= 76 && i + 3 < n) {
			if (wwtp_buf_add(out, "\r\n", 2) != 0)
				return WWTP_ERR_NOMEM;
			col = 0;
		}
	}
	return 0;
}

/* RFC 2047 encoded-words of at most 39 bytes of text each (52 characters of
 * base64: the first line, after "Subject:", stays under 78), cut between
 * UTF-8 characters, folded. */
static int add_encoded_header(struct wwtp_buf *out, const char *name, const char *text)
{
	size_t len = strlen(text), at = 0;

	if (wwtp_buf_printf(out, "%s:", name) != 0)
		return WWTP_ERR_NOMEM;
	while (at < len) {
		size_t take = len - at > 39 ? 39 : len - at;
		while (take > 0 && at + take < len &&
		       ((unsigned char)text[at + take] & 0xC0) == 0x80)
			take--;
		if (take == 0)
			take = len - at; /* not UTF-8: take the rest */
		if (wwtp_buf_adds(out, at ? "\r\n =?UTF-8?B?" : " =?UTF-8?B?") != 0 ||
		    wwtp_notify_base64(out, text + at, take, 0) != 0 ||
		    wwtp_buf_adds(out, "?=") != 0)
			return WWTP_ERR_NOMEM;
		at += take;
	}
	return wwtp_buf_adds(out, "\r\n") != 0 ? WWTP_ERR_NOMEM : 0;
}

/* "Thu, 03 Dec 2026 21:05:00 +0700" */
static void rfc5322_date(int64_t ms, char *out, size_t n)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)((ms + HANOI_OFFSET_MS) / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(out, n, "Thu, 01 Jan 1970 07:00:00 +0700");
		return;
	}
	snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d +0700", days[tm.tm_wday], tm.tm_mday,
		 mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int wwtp_notify_mail(const struct wwtp_nevent *const *ev, size_t n, const char *from,
		     const char *to, const char *msgid, int64_t now_ms, struct wwtp_buf *out)
{
	struct wwtp_buf text, crlf;
	char subject[512], date[64];
	int rc = 0;

	wwtp_notify_subject(ev, n, subject, sizeof(subject));
	rfc5322_date(now_ms, date, sizeof(date));
	wwtp_buf_init(&text, COMPOSE_TEXT_MAX);
	wwtp_buf_init(&crlf, COMPOSE_TEXT_MAX);
	rc |= wwtp_notify_body(ev, n, now_ms, msgid, &text);
	/* Text lines end in CRLF on the wire (RFC 5322), also inside base64. */
	for (size_t i = 0; rc == 0 && i < text.len; i++)
		rc |= text.data[i] == '\n' ? wwtp_buf_add(&crlf, "\r\n", 2)
					   : wwtp_buf_add(&crlf, &text.data[i], 1);
	rc |= wwtp_buf_printf(out, "From: <%s>\r\nTo: <%s>\r\n", from, to);
	rc |= add_encoded_header(out, "Subject", subject);
	rc |= wwtp_buf_printf(out,
			      "Date: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n"
			      "Content-Type: text/plain; charset=UTF-8\r\n"
			      "Content-Transfer-Encoding: base64\r\n"
			      "Auto-Submitted: auto-generated\r\n\r\n",
			      date, msgid);
	rc |= wwtp_notify_base64(out, crlf.data, crlf.len, 1);
	rc |= wwtp_buf_adds(out, "\r\n");
	wwtp_buf_free(&text);
	wwtp_buf_free(&crlf);
	return rc ? WWTP_ERR_NOMEM : 0;
}

int wwtp_notify_mail_attached(const char *from, const char *to, const char *subject,
			      const char *text, const struct wwtp_mail_part *parts, size_t nparts,
			      const char *msgid, int64_t now_ms, struct wwtp_buf *out)
{
	struct wwtp_buf crlf;
	char date[64], boundary[96];
	int rc = 0;

	rfc5322_date(now_ms, date, sizeof(date));
	/* From the Message-ID, '@' made '.' (a boundary may not hold it); no
	 * base64 line holds "--=_". */
	snprintf(boundary, sizeof boundary, "=_%s", msgid);
	for (char *c = boundary; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || strchr("=_-.", *c)))
			*c = '.';
	wwtp_buf_init(&crlf, COMPOSE_TEXT_MAX);
	for (const char *c = text; rc == 0 && c && *c; c++)
		rc |= *c == '\n' ? wwtp_buf_add(&crlf, "\r\n", 2) : wwtp_buf_add(&crlf, c, 1);
	rc |= wwtp_buf_printf(out, "From: <%s>\r\nTo: <%s>\r\n", from, to);
	rc |= add_encoded_header(out, "Subject", subject);
	rc |= wwtp_buf_printf(out,
			      "Date: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n"
			      "Auto-Submitted: auto-generated\r\n"
			      "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
			      "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
			      "Content-Transfer-Encoding: base64\r\n\r\n",
			      date, msgid, boundary, boundary);
	rc |= wwtp_notify_base64(out, crlf.data ? crlf.data : "", crlf.len, 1);
	for (size_t i = 0; rc == 0 && i < nparts; i++) {
		rc |= wwtp_buf_printf(out,
				      "\r\n--%s\r\nContent-Type: %s; name=\"%s\"\r\n"
				      "Content-Disposition: attachment; filename=\"%s\"\r\n"
				      "Content-Transfer-Encoding: base64\r\n\r\n",
				      boundary, parts[i].type, parts[i].name, parts[i].name);
		rc |= wwtp_notify_base64(out, parts[i].data, parts[i].len, 1);
	}
	rc |= wwtp_buf_printf(out, "\r\n--%s--\r\n", boundary);
	wwtp_buf_free(&crlf);
	return rc ? (out->len >= out->cap ? WWTP_ERR_FULL : WWTP_ERR_NOMEM) : 0;
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *utc_json(int64_t ms)
{
	char t[32];
	return wwtp_format_utc(ms, t, sizeof(t)) == 0 ? json_string(t) : json_null();
}

json_t *wwtp_nevent_to_json(const struct wwtp_nevent *e)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:o, "
			 "s:o, s:I, s:I}",
			 "seq", (json_int_t)e->seq, "key", e->key, "alert_id", e->alert_id, "event",
			 e->raised ? "raised" : "cleared", "station", e->station, "station_name",
			 e->station_name, "kind", e->kind, "priority",
			 wwtp_alert_priority_name(e->priority), "param", e->param, "device",
			 e->device, "unit", e->unit, "window_s", e->window_s, "value",
			 num_or_null(e->value), "limit", num_or_null(e->limit), "ratio",
			 num_or_null(e->ratio), "t_ms", (json_int_t)e->t_ms, "queued_ms",
			 (json_int_t)e->queued_ms);
}

static int copy_str(const json_t *j, const char *k, char *dst, size_t n)
{
	const char *s = json_string_value(json_object_get(j, k));
	if (!s || strlen(s) >= n)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static double num_of(const json_t *j, const char *k)
{
	const json_t *v = json_object_get(j, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

int wwtp_nevent_from_json(const json_t *j, struct wwtp_nevent *e)
{
	const char *ev, *prio;
	json_int_t seq;

	memset(e, 0, sizeof(*e));
	if (!json_is_object(j) || !json_is_integer(json_object_get(j, "seq")))
		return WWTP_ERR_INVAL;
	seq = json_integer_value(json_object_get(j, "seq"));
	ev = json_string_value(json_object_get(j, "event"));
	prio = json_string_value(json_object_get(j, "priority"));
	if (seq <= 0 || !ev || !prio || copy_str(j, "key", e->key, sizeof(e->key)) ||
	    copy_str(j, "alert_id", e->alert_id, sizeof(e->alert_id)) ||
	    copy_str(j, "station", e->station, sizeof(e->station)) ||
	    copy_str(j, "station_name", e->station_name, sizeof(e->station_name)) ||
	    copy_str(j, "kind", e->kind, sizeof(e->kind)) ||
	    copy_str(j, "param", e->param, sizeof(e->param)) ||
	    copy_str(j, "device", e->device, sizeof(e->device)) ||
	    copy_str(j, "unit", e->unit, sizeof(e->unit)) ||
	    (e->priority = wwtp_alert_priority_parse(prio)) == 0 || !e->key[0] || !e->station[0])
		return WWTP_ERR_INVAL;
	e->seq = (uint64_t)seq;
	e->raised = strcmp(ev, "raised") == 0;
	e->window_s = (int)json_integer_value(json_object_get(j, "window_s"));
	e->value = num_of(j, "value");
	e->limit = num_of(j, "limit");
	e->ratio = num_of(j, "ratio");
	e->t_ms = json_integer_value(json_object_get(j, "t_ms"));
	e->queued_ms = json_integer_value(json_object_get(j, "queued_ms"));
	return 0;
}

int wwtp_notify_hook_body(const struct wwtp_nevent *const *ev, size_t n, const char *msgid,
			  int64_t now_ms, struct wwtp_buf *out)
{
	json_t *root = json_object(), *arr = json_array();
	struct wwtp_buf text;
	char subject[512], line[768];
	int rc = 0;

	wwtp_buf_init(&text, COMPOSE_TEXT_MAX);
	if (!root || !arr || wwtp_notify_body(ev, n, now_ms, msgid, &text) != 0) {
		json_decref(root);
		json_decref(arr);
		wwtp_buf_free(&text);
		return WWTP_ERR_NOMEM;
	}
	wwtp_notify_subject(ev, n, subject, sizeof(subject));
	rc |= json_object_set_new(root, "id", json_string(msgid));
	rc |= json_object_set_new(root, "sent_at", utc_json(now_ms));
	rc |= json_object_set_new(root, "subject", json_string(subject));
	rc |= json_object_set_new(root, "text", json_stringn(text.data, text.len));
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct wwtp_nevent *e = ev[i];
		wwtp_notify_event_text(e, line, sizeof(line));
		json_t *o = json_pack(
		    "{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s}",
		    "event", e->raised ? "raised" : "cleared", "alert_id", e->alert_id, "station",
		    e->station, "station_name", e->station_name[0] ? e->station_name : e->station,
		    "kind", e->kind, "priority", wwtp_alert_priority_name(e->priority), "param",
		    e->param[0] ? json_string(e->param) : json_null(), "device",
		    e->device[0] ? json_string(e->device) : json_null(), "unit",
		    e->unit[0] ? json_string(e->unit) : json_null(), "window_s",
		    e->window_s ? json_integer(e->window_s) : json_null(), "value",
		    num_or_null(e->value), "limit", num_or_null(e->limit), "ratio",
		    num_or_null(e->ratio), "text", line);
		if (!o || json_object_set_new(o, "time", utc_json(e->t_ms)) != 0)
			rc = -1;
		rc |= json_array_append_new(arr, o);
	}
	rc |= json_object_set_new(root, "events", arr);
	char *s = rc == 0 ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	wwtp_buf_free(&text);
	if (!s)
		return WWTP_ERR_NOMEM;
	rc = wwtp_buf_adds(out, s);
	free(s);
	return rc ? WWTP_ERR_NOMEM : 0;
}
