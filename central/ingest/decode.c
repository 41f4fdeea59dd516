/* decode.c - payload validation and decoding with jansson (see decode.h);
 * the readings' "eval" members are cut out before (evalcut.h). */
#include "decode.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../payload/payload.h"
#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/timeutil.h"
#include "evalcut.h"

#define DEC_CS_ID "abcdefghijklmnopqrstuvwxyz0123456789-"
#define DEC_CS_NAME "abcdefghijklmnopqrstuvwxyz0123456789-_"
#define DEC_CS_PARAM "abcdefghijklmnopqrstuvwxyz0123456789_"
#define DEC_CS_SUSPECT "abcdefghijklmnopqrstuvwxyz_"
#define DEC_UNIT_MAX 64		  /* bytes; station files allow 23, some slack for later */
#define DEC_ID_MAX 256		  /* bytes of an alert id */
#define DEC_MAX_WINDOW_S 31622400 /* a year and a day */

static const char *const reject_names[WWTP_REJECT_COUNT] = {
    [WWTP_REJECT_BAD_JSON] = "bad_json",
    [WWTP_REJECT_BAD_VERSION] = "bad_version",
    [WWTP_REJECT_UNKNOWN_STATION] = "unknown_station",
    [WWTP_REJECT_TOPIC_MISMATCH] = "topic_mismatch",
    [WWTP_REJECT_BAD_FIELD] = "bad_field",
    [WWTP_REJECT_ABSURD_VALUE] = "absurd_value",
    [WWTP_REJECT_ABSURD_TIME] = "absurd_time",
    [WWTP_REJECT_TOO_LARGE] = "too_large",
    [WWTP_REJECT_BAD_TOPIC] = "bad_topic",
};

const char *wwtp_reject_name(int reason)
{
	return (reason >= 0 && reason < WWTP_REJECT_COUNT) ? reject_names[reason] : "?";
}

const char *wwtp_msg_kind_name(int kind)
{
	switch (kind) {
	case WWTP_MSG_TELEMETRY:
		return "telemetry";
	case WWTP_MSG_STATUS:
		return "status";
	case WWTP_MSG_ALERT:
		return "alert";
	case WWTP_MSG_CONFIG:
		return "config";
	default:
		return "?";
	}
}

/* Fills *why; returns WWTP_ERR_INVAL so that callers can `return reject(...)`. */
__attribute__((format(printf, 3, 4))) static int reject(struct wwtp_reject_info *why, int reason,
							const char *fmt, ...)
{
	va_list ap;
	why->reason = reason;
	va_start(ap, fmt);
	vsnprintf(why->text, sizeof(why->text), fmt, ap);
	va_end(ap);
	/* The text quotes what the sender wrote and goes into the log: no
	 * newline of theirs may start a line of ours. */
	for (char *c = why->text; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return WWTP_ERR_INVAL;
}

/* 1 when s is 1..max-1 bytes, all from set. */
static int in_set(const char *s, const char *set, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n >= max)
		return 0;
	return strspn(s, set) == n;
}

/* 1 when s has no control characters: free text goes into logs and
 * InfluxDB string fields, where they do no good. */
static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* get_str's set for free text: any characters, only the length is checked
 * (the line-protocol encoder blanks control characters). */
static const char dec_any_text[] = "";

/* A required or optional string member. Returns 0 with *out (NULL when
 * absent and optional), or a rejection. JSON null counts as absent. */
static int get_str(json_t *obj, const char *key, int required, const char *set, size_t max,
		   const char **out, const char *where, struct wwtp_reject_info *why)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return reject(why, WWTP_REJECT_BAD_FIELD, "%s%s is missing", where, key);
		return 0;
	}
	if (!json_is_string(v))
		return reject(why, WWTP_REJECT_BAD_FIELD, "%s%s is not a string", where, key);
	const char *s = json_string_value(v);
	int ok = set == dec_any_text ? strlen(s) < max
		 : set		     ? in_set(s, set, max)
				     : (strlen(s) < max && printable(s));
	if (!ok)
		return reject(why, WWTP_REJECT_BAD_FIELD,
			      "%s%s \"%.40s\" has a bad syntax or length", where, key, s);
	*out = s;
	return 0;
}

/* A time member "YYYY-MM-DDTHH:MM:SS.mmmZ" within [2000, now + 1 day]. */
static int get_time(json_t *obj, const char *key, int required, int64_t now_ms, int *present,
		    int64_t *ms, struct wwtp_reject_info *why)
{
	json_t *v = json_object_get(obj, key);

	*present = 0;
	if (!v || json_is_null(v)) {
		if (required)
			return reject(why, WWTP_REJECT_BAD_FIELD, "%s is missing", key);
		return 0;
	}
	if (!json_is_string(v) || wwtp_parse_utc(json_string_value(v), ms) != 0)
		return reject(why, WWTP_REJECT_BAD_FIELD,
			      "%s is not a UTC time like 2026-01-31T17:00:00.000Z", key);
	if (*ms < WWTP_DECODE_MIN_TS_MS || *ms > now_ms + WWTP_DECODE_MAX_AHEAD_MS)
		return reject(why, WWTP_REJECT_ABSURD_TIME, "%s %s is before 2000 or in the future",
			      key, json_string_value(v));
	*present = 1;
	return 0;
}

/* An optional finite number with |x| < WWTP_DECODE_MAX_ABS. */
static int get_num(json_t *obj, const char *key, int *present, double *x, const char *where,
		   struct wwtp_reject_info *why)
{
	json_t *v = json_object_get(obj, key);

	*present = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return reject(why, WWTP_REJECT_BAD_FIELD, "%s%s is not a number", where, key);
	double d = json_number_value(v);
	if (!isfinite(d) || fabs(d) >= WWTP_DECODE_MAX_ABS)
		return reject(why, WWTP_REJECT_ABSURD_VALUE, "%s%s %g is absurd", where, key, d);
	*x = d;
	*present = 1;
	return 0;
}

static int parse_status(const char *s)
{
	static const char *const names[] = {"ok", "calibrating", "fault", "offline"};
	static const int codes[] = {WWTP_READING_OK, WWTP_READING_CALIBRATING, WWTP_READING_FAULT,
				    WWTP_READING_OFFLINE};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return codes[i];
	return -1;
}

static int decode_reading(json_t *r, size_t i, struct wwtp_in_reading *out,
			  struct wwtp_reject_info *why)
{
	char where[32];
	const char *status;
	int rc;

	snprintf(where, sizeof(where), "readings[%zu].", i);
	if (!json_is_object(r))
		return reject(why, WWTP_REJECT_BAD_FIELD, "readings[%zu] is not an object", i);
	if ((rc = get_str(r, "param", 1, DEC_CS_PARAM, WWTP_ID_MAX, &out->param, where, why)) ||
	    (rc = get_str(r, "status", 1, NULL, 16, &status, where, why)) ||
	    (rc = get_str(r, "unit", 1, NULL, DEC_UNIT_MAX, &out->unit, where, why)) ||
	    (rc = get_str(r, "reason", 0, dec_any_text, WWTP_DECODE_MAX_TEXT, &out->reason, where,
			  why)) ||
	    (rc = get_str(r, "suspect", 0, DEC_CS_SUSPECT, 24, &out->suspect, where, why)) ||
	    (rc = get_num(r, "value", &out->has_value, &out->value, where, why)))
		return rc;
	/* A mark without a value marks nothing. */
	if (!out->has_value)
		out->suspect = NULL;
	out->status = parse_status(status);
	if (out->status < 0)
		return reject(why, WWTP_REJECT_BAD_FIELD,
			      "%sstatus \"%.20s\" is not ok, calibrating, fault or offline", where,
			      status);
	return 0;
}

/* An optional count the sender adds for the end-to-end acknowledgement:
 * anything but a non-negative integer reads as absent (0), which only
 * holds back that sender's own acknowledgement. */
static int64_t opt_count(json_t *root, const char *key)
{
	json_t *v = json_object_get(root, key);
	return json_is_integer(v) && json_integer_value(v) > 0 ? (int64_t)json_integer_value(v) : 0;
}

static int decode_telemetry(json_t *root, int64_t now_ms, struct wwtp_in_msg *m,
			    struct wwtp_reject_info *why)
{
	json_t *seq, *rd;
	int rc;

	if ((rc = get_str(root, "device", 1, DEC_CS_NAME, WWTP_ID_MAX, &m->device, "", why)) ||
	    (rc = get_time(root, "ts", 1, now_ms, &m->has_ts, &m->ts_ms, why)))
		return rc;
	seq = json_object_get(root, "seq");
	if (!json_is_integer(seq) || json_integer_value(seq) < 0)
		return reject(why, WWTP_REJECT_BAD_FIELD,
			      "seq is missing or not a non-negative "
			      "integer");
	m->seq = (int64_t)json_integer_value(seq);
	m->floor = opt_count(root, "floor");
	rd = json_object_get(root, "readings");
	if (!json_is_array(rd) || json_array_size(rd) == 0)
		return reject(why, WWTP_REJECT_BAD_FIELD,
			      "readings is missing, empty or not an array");
	if (json_array_size(rd) > WWTP_DECODE_MAX_READINGS)
		return reject(why, WWTP_REJECT_TOO_LARGE, "%zu readings (at most %d)",
			      json_array_size(rd), WWTP_DECODE_MAX_READINGS);
	m->nreadings = json_array_size(rd);
	m->readings = calloc(m->nreadings, sizeof(*m->readings));
	if (!m->readings)
		return WWTP_ERR_NOMEM;
	for (size_t i = 0; i < m->nreadings; i++) {
		if ((rc = decode_reading(json_array_get(rd, i), i, &m->readings[i], why)))
			return rc;
		/* Two readings of one param would be one InfluxDB point. */
		for (size_t j = 0; j < i; j++)
			if (strcmp(m->readings[j].param, m->readings[i].param) == 0)
				return reject(why, WWTP_REJECT_BAD_FIELD,
					      "readings[%zu].param \"%s\" appears twice", i,
					      m->readings[i].param);
	}
	return 0;
}

static int decode_status(json_t *root, int64_t now_ms, struct wwtp_in_msg *m,
			 struct wwtp_reject_info *why)
{
	int rc;

	if ((rc = get_time(root, "ts", 1, now_ms, &m->has_ts, &m->ts_ms, why)) ||
	    (rc = get_str(root, "state", 1, NULL, 16, &m->state, "", why)) ||
	    (rc = get_str(root, "version", 0, NULL, 64, &m->version, "", why)))
		return rc;
	if (strcmp(m->state, "online") != 0 && strcmp(m->state, "offline") != 0)
		return reject(why, WWTP_REJECT_BAD_FIELD,
			      "state \"%.20s\" is not online or offline", m->state);
	return 0;
}

static int decode_alert(json_t *root, int64_t now_ms, struct wwtp_in_msg *m,
			struct wwtp_reject_info *why)
{
	int rc, has_start;
	json_t *w;

	if ((rc = get_str(root, "id", 1, NULL, DEC_ID_MAX, &m->id, "", why)) ||
	    (rc = get_str(root, "event", 1, NULL, 16, &m->event, "", why)) ||
	    (rc = get_str(root, "kind", 1, DEC_CS_NAME, WWTP_ID_MAX, &m->alert_kind, "", why)) ||
	    (rc = get_time(root, "start", 1, now_ms, &has_start, &m->start_ms, why)) ||
	    (rc = get_time(root, "end", 0, now_ms, &m->has_end, &m->end_ms, why)) ||
	    (rc = get_time(root, "since", 0, now_ms, &m->has_since, &m->since_ms, why)) ||
	    (rc = get_time(root, "ts", 0, now_ms, &m->has_ts, &m->ts_ms, why)) ||
	    (rc =
		 get_str(root, "device", 0, DEC_CS_NAME, WWTP_ID_MAX, &m->alert_device, "", why)) ||
	    (rc = get_str(root, "param", 0, DEC_CS_PARAM, WWTP_ID_MAX, &m->param, "", why)) ||
	    (rc = get_str(root, "unit", 0, NULL, DEC_UNIT_MAX, &m->unit, "", why)) ||
	    (rc = get_str(root, "suspect", 0, DEC_CS_SUSPECT, 24, &m->suspect, "", why)) ||
	    (rc = get_num(root, "value", &m->has_value, &m->value, "", why)) ||
	    (rc = get_num(root, "limit", &m->has_limit, &m->limit, "", why)) ||
	    (rc = get_num(root, "ratio", &m->has_ratio, &m->ratio, "", why)))
		return rc;
	if (m->id[0] == '\0')
		return reject(why, WWTP_REJECT_BAD_FIELD, "id is empty");
	m->seq = opt_count(root, "seq");
	m->floor = opt_count(root, "floor");
	if (strcmp(m->event, "raised") != 0 && strcmp(m->event, "cleared") != 0)
		return reject(why, WWTP_REJECT_BAD_FIELD,
			      "event \"%.20s\" is not raised or cleared", m->event);
	w = json_object_get(root, "window_s");
	if (w && !json_is_null(w)) {
		if (!json_is_integer(w) || json_integer_value(w) < 0)
			return reject(why, WWTP_REJECT_BAD_FIELD,
				      "window_s is not a non-negative integer");
		if (json_integer_value(w) > DEC_MAX_WINDOW_S)
			return reject(why, WWTP_REJECT_ABSURD_VALUE, "window_s %lld is absurd",
				      (long long)json_integer_value(w));
		m->has_window = 1;
		m->window_s = (int64_t)json_integer_value(w);
	}
	return 0;
}

/* 1 when s is 64 lowercase hex digits. */
static int is_hash(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static int decode_config(json_t *root, int64_t now_ms, struct wwtp_in_msg *m,
			 struct wwtp_reject_info *why)
{
	json_t *seq, *ch, *more;
	int rc;

	if ((rc = get_time(root, "ts", 1, now_ms, &m->has_ts, &m->ts_ms, why)) ||
	    (rc = get_str(root, "fingerprint", 1, "0123456789abcdef", 65, &m->fingerprint, "",
			  why)) ||
	    (rc = get_str(root, "previous", 0, "0123456789abcdef", 65, &m->previous, "", why)))
		return rc;
	if (!is_hash(m->fingerprint) || (m->previous && !is_hash(m->previous)))
		return reject(why, WWTP_REJECT_BAD_FIELD,
			      "fingerprint or previous is not 64 hex digits");
	seq = json_object_get(root, "seq");
	if (!json_is_integer(seq) || json_integer_value(seq) < 0)
		return reject(why, WWTP_REJECT_BAD_FIELD,
			      "seq is missing or not a non-negative integer");
	m->seq = (int64_t)json_integer_value(seq);
	m->floor = opt_count(root, "floor");
	more = json_object_get(root, "more");
	m->more = json_is_integer(more) && json_integer_value(more) > 0
		      ? (int64_t)json_integer_value(more)
		      : 0;
	ch = json_object_get(root, "changes");
	if (!json_is_array(ch))
		return reject(why, WWTP_REJECT_BAD_FIELD, "changes is missing or not an array");
	if (json_array_size(ch) > WWTP_DECODE_MAX_CHANGES)
		return reject(why, WWTP_REJECT_TOO_LARGE, "%zu changes (at most %d)",
			      json_array_size(ch), WWTP_DECODE_MAX_CHANGES);
	m->nchanges = json_array_size(ch);
	if (m->nchanges == 0)
		return 0;
	m->changes = calloc(m->nchanges, sizeof(*m->changes));
	if (!m->changes)
		return WWTP_ERR_NOMEM;
	for (size_t i = 0; i < m->nchanges; i++) {
		json_t *c = json_array_get(ch, i);
		struct wwtp_in_change *o = &m->changes[i];
		char where[32];
		snprintf(where, sizeof where, "changes[%zu].", i);
		if (!json_is_object(c))
			return reject(why, WWTP_REJECT_BAD_FIELD, "%snot an object", where);
		/* "" is the station's own settings: get_str refuses an empty
		 * name, so it is taken apart. */
		json_t *d = json_object_get(c, "device");
		if (json_is_string(d) && json_string_value(d)[0] == '\0')
			o->device = "";
		else if ((rc = get_str(c, "device", 1, DEC_CS_NAME, WWTP_ID_MAX, &o->device, where,
				       why)))
			return rc;
		if ((rc = get_str(c, "param", 0, DEC_CS_PARAM, WWTP_ID_MAX, &o->param, where,
				  why)) ||
		    (rc = get_str(c, "setting", 1, "abcdefghijklmnopqrstuvwxyz_.",
				  WWTP_DECODE_MAX_SETTING, &o->setting, where, why)) ||
		    (rc = get_str(c, "from", 0, NULL, WWTP_DECODE_MAX_CONF_VALUE, &o->from, where,
				  why)) ||
		    (rc =
			 get_str(c, "to", 0, NULL, WWTP_DECODE_MAX_CONF_VALUE, &o->to, where, why)))
			return rc;
	}
	return 0;
}

/* Splits "<prefix>/<station>/<leaf>". Returns the message kind, or 0. */
static int split_topic(const char *topic, size_t tlen, const char *prefix, char *station, size_t n,
		       int *station_ok)
{
	size_t plen = strlen(prefix);
	const char *st, *slash, *end = topic + tlen;

	*station_ok = 0;
	if (memchr(topic, '\0', tlen) || tlen <= plen + 1 || memcmp(topic, prefix, plen) != 0 ||
	    topic[plen] != '/')
		return 0;
	st = topic + plen + 1;
	slash = memchr(st, '/', (size_t)(end - st));
	if (!slash || slash == st)
		return 0;
	/* A station id too long for the registry cannot be known; say so
	 * rather than calling the topic malformed. */
	if ((size_t)(slash - st) < n) {
		memcpy(station, st, (size_t)(slash - st));
		station[slash - st] = '\0';
		*station_ok = 1;
	}
	size_t llen = (size_t)(end - slash - 1);
	const char *leaf = slash + 1;
	if (llen == 9 && memcmp(leaf, "telemetry", 9) == 0)
		return WWTP_MSG_TELEMETRY;
	if (llen == 6 && memcmp(leaf, "status", 6) == 0)
		return WWTP_MSG_STATUS;
	if (llen == 5 && memcmp(leaf, "alert", 5) == 0)
		return WWTP_MSG_ALERT;
	if (llen == 6 && memcmp(leaf, "config", 6) == 0)
		return WWTP_MSG_CONFIG;
	return 0;
}

int wwtp_decode(const char *topic, size_t topic_len, const char *prefix, const void *payload,
		size_t len, const struct wwtp_registry *reg, int64_t now_ms,
		struct wwtp_in_msg *out, struct wwtp_reject_info *why)
{
	char tstation[WWTP_ID_MAX];
	json_error_t jerr;
	json_t *root, *v;
	int kind, station_ok, rc;

	memset(out, 0, sizeof(*out));
	why->reason = -1;
	why->text[0] = '\0';

	kind = split_topic(topic, topic_len, prefix, tstation, sizeof(tstation), &station_ok);
	if (kind == 0)
		return reject(why, WWTP_REJECT_BAD_TOPIC,
			      "topic is not %s/<station>/telemetry, status, alert or config",
			      prefix);
	if (len > WWTP_PAYLOAD_MAX)
		return reject(why, WWTP_REJECT_TOO_LARGE, "%zu bytes (at most %d)", len,
			      WWTP_PAYLOAD_MAX);
	/* The readings' "eval" objects, not stored, are not built either
	 * (evalcut.h): the same verdict, far fewer allocations. */
	struct wwtp_buf cut;
	wwtp_buf_init(&cut, WWTP_PAYLOAD_MAX);
	rc = wwtp_evalcut(payload, len, &cut);
	if (rc < 0) {
		wwtp_buf_free(&cut);
		return WWTP_ERR_NOMEM; /* FULL cannot be: len is within the cap */
	}
	/* Duplicate keys would make "which value counts" a guess. */
	root = rc == 1 ? json_loadb(cut.data, cut.len, JSON_REJECT_DUPLICATES, &jerr)
		       : json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
	wwtp_buf_free(&cut);
	if (!root)
		return reject(why, WWTP_REJECT_BAD_JSON, "line %d column %d: %.100s", jerr.line,
			      jerr.column, jerr.text);
	out->priv = root;
	out->kind = kind;
	if (!json_is_object(root)) {
		rc = reject(why, WWTP_REJECT_BAD_JSON, "not a JSON object");
		goto fail;
	}
	/* Alerts may leave out v (decoded leniently); when there, it is 1. */
	v = json_object_get(root, "v");
	if ((v || kind != WWTP_MSG_ALERT) &&
	    (!json_is_integer(v) || json_integer_value(v) != WWTP_PAYLOAD_VERSION)) {
		rc = reject(why, WWTP_REJECT_BAD_VERSION, "v is %s, not %d",
			    json_is_integer(v) ? "another number" : "missing or not an integer",
			    WWTP_PAYLOAD_VERSION);
		goto fail;
	}
	if ((rc = get_str(root, "station", 1, DEC_CS_ID, WWTP_ID_MAX, &out->station, "", why)))
		goto fail;
	if (!station_ok || strcmp(out->station, tstation) != 0) {
		rc =
		    reject(why, WWTP_REJECT_TOPIC_MISMATCH, "payload station \"%s\" on topic %.80s",
			   out->station, station_ok ? tstation : "(station too long)");
		goto fail;
	}
	if (!wwtp_registry_find(reg, out->station)) {
		rc = reject(why, WWTP_REJECT_UNKNOWN_STATION, "no station file for \"%s\"",
			    out->station);
		goto fail;
	}
	switch (kind) {
	case WWTP_MSG_TELEMETRY:
		rc = decode_telemetry(root, now_ms, out, why);
		break;
	case WWTP_MSG_STATUS:
		rc = decode_status(root, now_ms, out, why);
		break;
	case WWTP_MSG_CONFIG:
		rc = decode_config(root, now_ms, out, why);
		break;
	default:
		rc = decode_alert(root, now_ms, out, why);
		break;
	}
	if (rc == 0)
		return 0;
fail:
	wwtp_in_msg_clear(out);
	return rc;
}

void wwtp_in_msg_clear(struct wwtp_in_msg *m)
{
	if (m->priv)
		json_decref(m->priv);
	free(m->readings);
	free(m->changes);
	memset(m, 0, sizeof(*m));
}
