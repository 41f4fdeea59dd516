/* compose.h - what a notification says: one alert edge as an event, a
 * group of them as a Vietnamese e-mail (RFC 5322 + MIME, UTF-8) or as the
 * webhook's JSON body (docs/notify.md).
 *
 * Words as an inspector writes them ("vượt quy chuẩn", "gấp 1,54 lần"),
 * the plant by its name, numbers with a decimal comma, times in Hanoi time
 * (UTC+7, no daylight saving) as dd/mm/yyyy HH:MM. Pure: the caller gives
 * the clock and the Message-ID. */
#ifndef WWTP_NOTIFY_COMPOSE_H
#define WWTP_NOTIFY_COMPOSE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../../compliance/evaluator.h"
#include "../../model/station.h"
#include "../../util/buf.h"

#define WWTP_NEVENT_KEY_MAX (WWTP_ALERT_ID_MAX + 8)

/* One alert raised or cleared, as queued (its file is this as JSON). */
struct wwtp_nevent {
	uint64_t seq;			  /* order of arrival, from 1 */
	char key[WWTP_NEVENT_KEY_MAX];	  /* "<alert id>/raised": the same edge twice is one */
	char station[WWTP_ID_MAX];	  /* id */
	char station_name[WWTP_NAME_MAX]; /* "" when unknown: the id is shown */
	char kind[24];			  /* "exceedance", "fault", ... */
	char param[WWTP_ID_MAX];	  /* "" when none */
	char device[WWTP_ID_MAX];	  /* "" when none */
	char unit[WWTP_UNIT_MAX];	  /* "" when none */
	char alert_id[WWTP_ALERT_ID_MAX];
	int raised;	   /* 1 raised, 0 cleared */
	int priority;	   /* enum wwtp_alert_priority (alert_events.h) */
	int window_s;	   /* 0 when none */
	double value;	   /* NaN when absent */
	double limit;	   /* NaN when absent */
	double ratio;	   /* NaN when absent */
	int64_t t_ms;	   /* the edge: the raise's start, the clear's end */
	int64_t queued_ms; /* when central took it */
};

/* "03/12/2026 14:05" in Hanoi time. */
void wwtp_notify_hanoi_time(int64_t ms, char *out, size_t n);
/* A number as Vietnamese write it: decimal comma, 2 decimals under 10, 1
 * under 1000, none above, trailing zeros dropped: 1,54; 148,5; 208; 0,5. */
void wwtp_notify_number(double v, char *out, size_t n);
/* One line about one event, e.g. "Yên Nghĩa: COD vượt quy chuẩn - trung
 * bình 1 giờ 208 mg/L, gấp 1,54 lần giới hạn 135 mg/L (từ 03/12/2026
 * 14:00)". */
void wwtp_notify_event_text(const struct wwtp_nevent *e, char *out, size_t n);
/* The subject (plain UTF-8), e.g. "[Giám sát nước thải] 2 cảnh báo mới, 1
 * đã hết - Yên Nghĩa, Thanh Thùy". */
void wwtp_notify_subject(const struct wwtp_nevent *const *ev, size_t n, char *out, size_t cap);
/* The text of a group: raised first (by priority), then cleared. */
int wwtp_notify_body(const struct wwtp_nevent *const *ev, size_t n, int64_t now_ms,
		     const char *msgid, struct wwtp_buf *out);

/* The whole e-mail, CRLF line ends: From, To, Subject (RFC 2047 encoded),
 * Date, Message-ID ("<msgid>"), MIME-Version, a UTF-8 text/plain part in
 * base64. 0 or WWTP_ERR_NOMEM. */
int wwtp_notify_mail(const struct wwtp_nevent *const *ev, size_t n, const char *from,
		     const char *to, const char *msgid, int64_t now_ms, struct wwtp_buf *out);
/* The webhook's body (docs/notify.md), one line of JSON. 0 or NOMEM. */
int wwtp_notify_hook_body(const struct wwtp_nevent *const *ev, size_t n, const char *msgid,
			  int64_t now_ms, struct wwtp_buf *out);

/* An attachment: name (ASCII, no quote), its MIME type and bytes. */
struct wwtp_mail_part {
	const char *name;
	const char *type; /* "application/pdf" */
	const void *data;
	size_t len;
};

/* An e-mail of a text (UTF-8, '\n' line ends) and attachments, CRLF line
 * ends: From, To, Subject (RFC 2047), Date (+0700), Message-ID,
 * multipart/mixed with the text first, each part in base64. 0 or
 * WWTP_ERR_NOMEM / WWTP_ERR_FULL (out's cap). */
int wwtp_notify_mail_attached(const char *from, const char *to, const char *subject,
			      const char *text, const struct wwtp_mail_part *parts, size_t nparts,
			      const char *msgid, int64_t now_ms, struct wwtp_buf *out);

/* An event as the JSON of its file, and back (0, or WWTP_ERR_INVAL for a
 * document that is not one: a damaged file). */
json_t *wwtp_nevent_to_json(const struct wwtp_nevent *e);
int wwtp_nevent_from_json(const json_t *j, struct wwtp_nevent *e);

/* Base64 of p[0..n) (RFC 4648), appended; a CRLF after every 76 output
 * characters when wrap is set. 0 or NOMEM. */
int wwtp_notify_base64(struct wwtp_buf *out, const void *p, size_t n, int wrap);

#endif
