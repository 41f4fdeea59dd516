#include "payload.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../compliance/evaluator.h"
#include "../compliance/plausibility.h"
#include "../util/err.h"
#include "../util/sign.h"
#include "../util/timeutil.h"

/* Appends `"key":` (key is a literal without characters to escape). */
static int add_key(struct wwtp_buf *b, const char *key)
{
	int rc = wwtp_buf_add_json_string(b, key);
	return rc ? rc : wwtp_buf_add(b, ":", 1);
}

static int add_str_field(struct wwtp_buf *b, const char *key, const char *val)
{
	int rc = add_key(b, key);
	return rc ? rc : wwtp_buf_add_json_string(b, val);
}

/* The common head of every payload: {"v":1,"station":"..", */
static int add_head(struct wwtp_buf *b, const struct wwtp_station *st)
{
	int rc = wwtp_buf_printf(b, "{\"v\":%d,", WWTP_PAYLOAD_VERSION);
	if (!rc)
		rc = add_str_field(b, "station", st->id);
	if (!rc)
		rc = wwtp_buf_add(b, ",", 1);
	return rc;
}

static int add_eval(struct wwtp_buf *b, const struct wwtp_verdict *v);

static int add_reading(struct wwtp_buf *b, const struct wwtp_reading *r,
		       const struct wwtp_verdict *v)
{
	const char *status = wwtp_reading_status_name(r->status);
	/* A non-finite value would make the whole document invalid JSON; the
	 * decoders already turn NaN into "no value", so this only guards
	 * against a producer bug without losing the other readings. */
	int has_value = r->has_value && isfinite(r->value);
	const char *reason = r->reason;
	int rc;

	if (status[0] == '?')
		return WWTP_ERR_INVAL;
	if (r->has_value && !has_value && reason[0] == '\0')
		reason = "value is not a finite number";
	rc = wwtp_buf_adds(b, "{");
	if (!rc)
		rc = add_str_field(b, "param", r->point->param);
	if (!rc && has_value) {
		rc = wwtp_buf_add(b, ",", 1);
		if (!rc)
			rc = add_key(b, "value");
		if (!rc)
			rc = wwtp_buf_add_json_number(b, r->value);
	}
	if (!rc)
		rc = wwtp_buf_add(b, ",", 1);
	if (!rc)
		rc = add_str_field(b, "unit", r->point->unit);
	if (!rc)
		rc = wwtp_buf_add(b, ",", 1);
	if (!rc)
		rc = add_str_field(b, "status", status);
	/* Without a value the reason is the only thing a reader has, so it is
	 * always there; with a value it is only worth sending when it says
	 * something (e.g. why a calibrating instrument's value is suspect). */
	if (!rc && (!has_value || (r->status != WWTP_READING_OK && reason[0] != '\0'))) {
		rc = wwtp_buf_add(b, ",", 1);
		if (!rc)
			rc = add_str_field(b, "reason", reason[0] ? reason : "no value");
	}
	/* docs/plausibility.md: the value is sent as read, with the check it
	 * failed; receivers never count it as valid. */
	if (!rc && has_value && r->suspect) {
		const char *sus = wwtp_suspect_name(r->suspect);
		if (!sus[0])
			return WWTP_ERR_INVAL;
		rc = wwtp_buf_add(b, ",", 1);
		if (!rc)
			rc = add_str_field(b, "suspect", sus);
	}
	if (!rc && v && v->param[0]) {
		if (strcmp(v->param, r->point->param) != 0)
			return WWTP_ERR_INVAL;
		rc = add_eval(b, v);
	}
	if (!rc)
		rc = wwtp_buf_add(b, "}", 1);
	return rc;
}

/* On failure the buffer goes back to what it held before the call, so a
 * caller never publishes half a document by mistake. */
static int rollback(struct wwtp_buf *b, size_t len, int rc)
{
	if (rc && b->data) {
		b->len = len;
		b->data[len] = '\0';
	}
	return rc;
}

/* ---- evaluation and alerts ---- */

/* Limits are products of factors (50 x 0.9 x 1.1 is 49.50000000000001 in
 * binary) and averages are sums divided by counts: 12 significant digits
 * keep every digit a probe can give without the binary noise. */
static double sig12(double v)
{
	char tmp[40];
	snprintf(tmp, sizeof(tmp), "%.12g", v);
	return strtod(tmp, NULL);
}

/* Ratios and availabilities are read by people and compared with 1 or a
 * threshold: 4 decimals say all there is (the flags next to them carry
 * the exact verdict). */
static double dec4(double v)
{
	return round(v * 1e4) / 1e4;
}

/* A finite number; whole ones in plain digits, since the shortest form
 * would write a limit of 90 as 9e+01. */
static int add_num(struct wwtp_buf *b, double v)
{
	if (v == trunc(v) && fabs(v) < 1e15)
		return wwtp_buf_printf(b, "%.0f", v == 0 ? 0.0 : v); /* no "-0" */
	return wwtp_buf_add_json_number(b, v);
}

/* Appends `,"key":number`; the number must be finite. */
static int add_num_field(struct wwtp_buf *b, const char *key, double v)
{
	int rc = wwtp_buf_add(b, ",", 1);
	if (!rc)
		rc = add_key(b, key);
	if (!rc)
		rc = add_num(b, v);
	return rc;
}

static int add_bool_field(struct wwtp_buf *b, const char *key, int v)
{
	int rc = wwtp_buf_add(b, ",", 1);
	if (!rc)
		rc = add_key(b, key);
	if (!rc)
		rc = wwtp_buf_adds(b, v ? "true" : "false");
	return rc;
}

static int add_window(struct wwtp_buf *b, const struct wwtp_verdict *v,
		      const struct wwtp_window_verdict *w)
{
	int rc = wwtp_buf_printf(b, "{\"s\":%d", w->window_s);
	if (!rc && w->count > 0 && isfinite(w->average))
		rc = add_num_field(b, "avg", sig12(w->average));
	if (!rc)
		rc = wwtp_buf_printf(b, ",\"n\":%u", (unsigned)w->count);
	if (!rc)
		rc = add_num_field(b, "avail",
				   isfinite(w->availability) ? dec4(w->availability) : 0);
	if (!rc)
		rc = add_bool_field(b, "judged", w->judged);
	if (!rc && v->has_limit && w->judged)
		rc = add_bool_field(b, "exceeds", w->exceeds);
	if (!rc && isfinite(w->ratio))
		rc = add_num_field(b, "ratio", dec4(w->ratio));
	if (!rc && w->alert)
		rc = add_bool_field(b, "alert", 1);
	if (!rc && w->availability_alert)
		rc = add_bool_field(b, "avail_alert", 1);
	if (!rc)
		rc = wwtp_buf_add(b, "}", 1);
	return rc;
}

/* `,"eval":{...}` of one reading (see payload.h). */
static int add_eval(struct wwtp_buf *b, const struct wwtp_verdict *v)
{
	int rc = wwtp_buf_adds(b, ",\"eval\":{");
	const char *sep = "";

	if (!rc && v->has_limit) {
		rc = wwtp_buf_adds(b, "\"limit\":{");
		const char *in = "";
		if (!rc && isfinite(v->cmax_min)) {
			rc = wwtp_buf_adds(b, "\"min\":");
			if (!rc)
				rc = add_num(b, sig12(v->cmax_min));
			in = ",";
		}
		if (!rc && isfinite(v->cmax_max)) {
			rc = wwtp_buf_printf(b, "%s\"max\":", in);
			if (!rc)
				rc = add_num(b, sig12(v->cmax_max));
		}
		if (!rc)
			rc = wwtp_buf_add(b, "}", 1);
		sep = ",";
		if (!rc && v->instant_exceeds)
			rc = add_bool_field(b, "instant_exceeds", 1);
	}
	if (!rc)
		rc = wwtp_buf_printf(b, "%s\"windows\":[", sep);
	for (size_t i = 0; !rc && i < v->nwindows && i < WWTP_EVAL_WINDOWS_MAX; i++) {
		if (i > 0)
			rc = wwtp_buf_add(b, ",", 1);
		if (!rc)
			rc = add_window(b, v, &v->windows[i]);
	}
	if (!rc)
		rc = wwtp_buf_add(b, "]", 1);
	if (!rc &&
	    (v->fault_alert || v->calibration_alert || v->offline_alert || v->suspect_alert)) {
		const char *names[4];
		size_t n = 0;
		if (v->fault_alert)
			names[n++] = "fault";
		if (v->calibration_alert)
			names[n++] = "calibration";
		if (v->offline_alert)
			names[n++] = "offline";
		if (v->suspect_alert)
			names[n++] = "suspect_data";
		rc = wwtp_buf_adds(b, ",\"alerts\":[");
		for (size_t i = 0; !rc && i < n; i++)
			rc = wwtp_buf_printf(b, "%s\"%s\"", i ? "," : "", names[i]);
		if (!rc)
			rc = wwtp_buf_add(b, "]", 1);
	}
	if (!rc)
		rc = wwtp_buf_add(b, "}", 1);
	return rc;
}

static int add_opt_str_field(struct wwtp_buf *b, const char *key, const char *val)
{
	if (!val || !val[0])
		return 0;
	int rc = wwtp_buf_add(b, ",", 1);
	return rc ? rc : add_str_field(b, key, val);
}

static int add_time_field(struct wwtp_buf *b, const char *key, int64_t ms)
{
	char ts[32];
	int rc = wwtp_format_utc(ms, ts, sizeof(ts));
	if (!rc)
		rc = wwtp_buf_add(b, ",", 1);
	return rc ? rc : add_str_field(b, key, ts);
}

int wwtp_payload_alert(const struct wwtp_station *st, const struct wwtp_alert_event *e,
		       const char *device, const char *param, const char *unit,
		       struct wwtp_buf *out)
{
	size_t start = out->len;
	const char *kind = wwtp_alert_kind_name(e->kind);
	int cleared = e->edge == WWTP_ALERT_CLEARED;
	int rc = 0;

	if ((e->edge != WWTP_ALERT_RAISED && !cleared) || strcmp(kind, "unknown") == 0)
		return WWTP_ERR_INVAL;
	rc = add_head(out, st);
	if (!rc)
		rc = add_str_field(out, "id", e->id);
	if (!rc)
		rc = wwtp_buf_add(out, ",", 1);
	if (!rc)
		rc = add_str_field(out, "event", wwtp_alert_edge_name(e->edge));
	if (!rc)
		rc = wwtp_buf_add(out, ",", 1);
	if (!rc)
		rc = add_str_field(out, "kind", kind);
	if (!rc)
		rc = wwtp_buf_add(out, ",", 1);
	if (!rc)
		rc = add_str_field(out, "priority", wwtp_alert_kind_priority(e->kind));
	if (!rc)
		rc = add_opt_str_field(out, "device", device);
	if (!rc)
		rc = add_opt_str_field(out, "param", param);
	if (!rc)
		rc = add_opt_str_field(out, "unit", unit);
	if (!rc && e->window_s)
		rc = wwtp_buf_printf(out, ",\"window_s\":%d", e->window_s);
	if (!rc && isfinite(e->value))
		rc = add_num_field(out, "value", sig12(e->value));
	if (!rc && isfinite(e->limit))
		rc = add_num_field(out, "limit", sig12(e->limit));
	if (!rc && isfinite(e->ratio))
		rc = add_num_field(out, "ratio", dec4(e->ratio));
	if (!rc && e->kind == WWTP_ALERT_SUSPECT && e->suspect)
		rc = add_opt_str_field(out, "suspect", wwtp_suspect_name(e->suspect));
	if (!rc)
		rc = add_time_field(out, "since", e->since_ms);
	if (!rc)
		rc = add_time_field(out, "start", e->start_ms);
	if (!rc && cleared)
		rc = add_time_field(out, "end", e->end_ms);
	if (!rc)
		rc = add_time_field(out, "ts", cleared ? e->end_ms : e->start_ms);
	if (!rc)
		rc = wwtp_buf_add(out, "}", 1);
	return rollback(out, start, rc);
}

/* ---- telemetry and status ---- */

int wwtp_payload_telemetry(const struct wwtp_station *st, const struct wwtp_sample *s, uint64_t seq,
			   struct wwtp_buf *out)
{
	return wwtp_payload_telemetry_eval(st, s, seq, NULL, out);
}

int wwtp_payload_telemetry_eval(const struct wwtp_station *st, const struct wwtp_sample *s,
				uint64_t seq, const struct wwtp_verdict *verdicts,
				struct wwtp_buf *out)
{
	size_t start = out->len;
	char ts[32];
	int rc = wwtp_format_utc(s->ts_ms, ts, sizeof(ts));

	if (!rc)
		rc = add_head(out, st);
	if (!rc)
		rc = add_str_field(out, "device", s->device->name);
	if (!rc)
		rc = wwtp_buf_add(out, ",", 1);
	if (!rc)
		rc = add_str_field(out, "ts", ts);
	if (!rc)
		rc = wwtp_buf_printf(out, ",\"seq\":%" PRIu64, seq);
	/* Only when unsynced: a reader that knows nothing of it reads the
	 * message as before, and a synced clock is the normal case. */
	if (!rc && s->clock_unsynced)
		rc = wwtp_buf_adds(out, ",\"clock\":\"unsynced\"");
	/* Likewise only across a clock step back. */
	if (!rc && s->clock_behind_ms > 0)
		rc = wwtp_buf_printf(out, ",\"clock_behind_ms\":%" PRId64, s->clock_behind_ms);
	if (!rc)
		rc = wwtp_buf_adds(out, ",\"readings\":[");
	for (size_t i = 0; !rc && i < s->nreadings; i++) {
		if (i > 0)
			rc = wwtp_buf_add(out, ",", 1);
		if (!rc)
			rc = add_reading(out, &s->readings[i], verdicts ? &verdicts[i] : NULL);
	}
	if (!rc)
		rc = wwtp_buf_adds(out, "]}");
	return rollback(out, start, rc);
}

int wwtp_payload_status(const struct wwtp_station *st, const char *state, const char *version,
			int64_t ts_ms, struct wwtp_buf *out)
{
	size_t start = out->len;
	char ts[32];
	int rc = wwtp_format_utc(ts_ms, ts, sizeof(ts));

	if (!rc)
		rc = add_head(out, st);
	if (!rc)
		rc = add_str_field(out, "state", state);
	if (!rc)
		rc = wwtp_buf_add(out, ",", 1);
	if (!rc)
		rc = add_str_field(out, "version", version);
	if (!rc)
		rc = wwtp_buf_add(out, ",", 1);
	if (!rc)
		rc = add_str_field(out, "ts", ts);
	if (!rc)
		rc = wwtp_buf_add(out, "}", 1);
	return rollback(out, start, rc);
}

/* ---- health ---- */

static int add_u64_field(struct wwtp_buf *b, const char *key, uint64_t v)
{
	return wwtp_buf_printf(b, ",\"%s\":%" PRIu64, key, v);
}

static int add_device_health(struct wwtp_buf *b, const struct wwtp_device *d,
			     const struct wwtp_device_health *h)
{
	int rc = wwtp_buf_add(b, "{", 1);
	if (!rc)
		rc = add_str_field(b, "device", d->name);
	if (!rc)
		rc = wwtp_buf_add(b, ",", 1);
	if (!rc)
		rc = add_str_field(b, "state", wwtp_device_state_name(h));
	if (!rc)
		rc = add_u64_field(b, "polls", h->polls);
	if (!rc)
		rc = add_u64_field(b, "failures", h->failures);
	if (!rc)
		rc = add_u64_field(b, "partial", h->partial);
	if (!rc)
		rc = add_u64_field(b, "skipped", h->skipped);
	if (!rc)
		rc = add_u64_field(b, "consecutive_failures", h->consecutive_failures);
	if (!rc)
		rc = wwtp_buf_printf(b, ",\"interval_ms\":%d", h->interval_ms);
	if (!rc && h->last_poll_ms > 0)
		rc = add_time_field(b, "last_poll", h->last_poll_ms);
	if (!rc && h->last_ok_ms > 0)
		rc = add_time_field(b, "last_ok", h->last_ok_ms);
	if (!rc)
		rc = add_opt_str_field(b, "last_error", h->last_error);
	if (!rc)
		rc = wwtp_buf_printf(
		    b,
		    ",\"errors\":{\"timeout\":%" PRIu64 ",\"exception\":%" PRIu64
		    ",\"frame\":%" PRIu64 ",\"connection\":%" PRIu64 ",\"other\":%" PRIu64 "}}",
		    h->err_timeout, h->err_exception, h->err_frame, h->err_conn, h->err_other);
	return rc;
}

int wwtp_payload_health(const struct wwtp_station *st, const struct wwtp_health *h,
			struct wwtp_buf *out)
{
	size_t start = out->len;
	char ts[32];
	int rc;

	if (!h->version || !h->clock || (h->ndevices > 0 && !h->devices) ||
	    h->ndevices != st->ndevices)
		return WWTP_ERR_INVAL;
	rc = wwtp_format_utc(h->ts_ms, ts, sizeof(ts));
	if (!rc)
		rc = add_head(out, st);
	if (!rc)
		rc = add_str_field(out, "ts", ts);
	if (!rc)
		rc = add_opt_str_field(out, "version", h->version);
	if (!rc && h->started_ms > 0)
		rc = add_time_field(out, "started", h->started_ms);
	if (!rc)
		rc = wwtp_buf_printf(out, ",\"uptime_s\":%" PRId64, h->uptime_s);
	if (!rc)
		rc = wwtp_buf_add(out, ",", 1);
	if (!rc)
		rc = add_str_field(out, "clock", h->clock);
	if (!rc)
		rc = wwtp_buf_printf(out, ",\"backlog\":{\"durable\":%s,\"messages\":%" PRIu64,
				     h->durable ? "true" : "false", h->backlog);
	if (!rc && h->backlog > 0 && h->oldest_ms > 0)
		rc = add_time_field(out, "oldest", h->oldest_ms);
	if (!rc && h->durable)
		rc = add_u64_field(out, "bytes", h->store_bytes);
	if (!rc && h->durable)
		rc = add_u64_field(out, "max_bytes", h->store_max_bytes);
	if (!rc && h->durable && h->confirm)
		rc = add_u64_field(out, "confirmed_seq", h->confirmed_seq);
	if (!rc && h->durable && h->confirm)
		rc = add_u64_field(out, "resent", h->resent);
	if (!rc)
		rc = wwtp_buf_printf(
		    out,
		    "},\"dropped\":{\"total\":%" PRIu64 ",\"store_full\":%" PRIu64
		    ",\"too_old\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"damaged\":%" PRIu64 "}",
		    h->dropped_full + h->dropped_age + h->dropped_lost + h->dropped_damaged,
		    h->dropped_full, h->dropped_age, h->dropped_lost, h->dropped_damaged);
	if (!rc)
		rc = add_u64_field(out, "polls", h->polls);
	if (!rc)
		rc = wwtp_buf_adds(out, ",\"devices\":[");
	for (size_t i = 0; !rc && i < h->ndevices; i++) {
		if (i > 0)
			rc = wwtp_buf_add(out, ",", 1);
		if (!rc)
			rc = add_device_health(out, &st->devices[i], &h->devices[i]);
	}
	if (!rc)
		rc = wwtp_buf_adds(out, "]}");
	return rollback(out, start, rc);
}

int wwtp_payload_add_member(struct wwtp_buf *out, const char *key, uint64_t v)
{
	size_t start = out->len;
	int rc;

	if (out->len < 2 || out->data[out->len - 1] != '}')
		return WWTP_ERR_INVAL;
	out->len--; /* the closing brace goes after the new member */
	rc = wwtp_buf_printf(out, ",\"%s\":%" PRIu64 "}", key, v);
	if (rc) {
		out->len = start;
		out->data[out->len - 1] = '}';
		out->data[out->len] = '\0';
	}
	return rc;
}

/* The length of w[0..n) once a trailing `,"key":<digits>` member (before
 * the closing brace, which is not in w) is cut, or n when w does not end
 * so. A raw `,"key":` cannot occur inside a JSON string (its quotes would
 * be escaped), so the last one found is a member. */
static size_t cut_member(const char *w, size_t n, const char *key)
{
	char pat[24];
	int plen = snprintf(pat, sizeof(pat), ",\"%s\":", key);
	if (plen <= 0 || (size_t)plen >= sizeof(pat) || n < (size_t)plen + 1)
		return n;
	for (size_t i = n - (size_t)plen; i-- > 0;) {
		if (memcmp(w + i, pat, (size_t)plen) != 0)
			continue;
		size_t d = i + (size_t)plen;
		if (d == n)
			return n;
		for (size_t k = d; k < n; k++)
			if (w[k] < '0' || w[k] > '9')
				return n;
		return i;
	}
	return n;
}

int wwtp_payload_renumber(const void *payload, size_t len, uint64_t seq, uint64_t floor,
			  struct wwtp_buf *out)
{
	static const char sig_head[] = ",\"sig\":\"";
	static const char prev_head[] = ",\"prev\":\"";
	const size_t prev_len = sizeof(prev_head) - 1 + 2 * WWTP_SIGN_HASH_LEN + 1;
	const char *w = payload;
	size_t n = len;

	if (!w || n < 2 || w[0] != '{' || w[n - 1] != '}')
		return WWTP_ERR_INVAL;
	n--; /* w[0..n) is the object without its closing brace */
	/* The signature and the link, at their fixed places (util/sign.h). */
	if (n >= WWTP_SIGN_SUFFIX_LEN - 1 &&
	    memcmp(w + n - (WWTP_SIGN_SUFFIX_LEN - 1), sig_head, sizeof(sig_head) - 1) == 0) {
		n -= WWTP_SIGN_SUFFIX_LEN - 1;
		if (n < prev_len || memcmp(w + n - prev_len, prev_head, sizeof(prev_head) - 1) != 0)
			return WWTP_ERR_INVAL;
		n -= prev_len;
		n = cut_member(w, n, "chain");
	}
	n = cut_member(w, n, "floor");
	/* The first top-level "seq" (telemetry: after "ts"; alerts: the last
	 * member now), and its digits. */
	const char *k = NULL;
	for (size_t i = 0; i + 7 <= n; i++)
		if (memcmp(w + i, ",\"seq\":", 7) == 0) {
			k = w + i + 7;
			break;
		}
	if (!k)
		return WWTP_ERR_INVAL;
	size_t d = 0;
	while ((size_t)(k - w) + d < n && k[d] >= '0' && k[d] <= '9')
		d++;
	if (d == 0 || d > 20)
		return WWTP_ERR_INVAL;
	wwtp_buf_reset(out);
	int rc = wwtp_buf_add(out, w, (size_t)(k - w));
	if (!rc)
		rc = wwtp_buf_printf(out, "%" PRIu64, seq);
	if (!rc)
		rc = wwtp_buf_add(out, k + d, n - (size_t)(k - w) - d);
	if (!rc)
		rc = floor > 0 ? wwtp_buf_printf(out, ",\"floor\":%" PRIu64 "}", floor)
			       : wwtp_buf_add(out, "}", 1);
	return rc;
}

int wwtp_topic(const struct wwtp_station *st, const char *leaf, char *out, size_t n)
{
	int w = snprintf(out, n, "%s/%s/%s", st->mqtt.topic_prefix, st->id, leaf);
	if (w < 0 || (size_t)w >= n) {
		if (n > 0)
			out[0] = '\0';
		return WWTP_ERR_RANGE;
	}
	return 0;
}
