#include "payload.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../util/err.h"
#include "../util/timeutil.h"

static const char *const status_names[] = {"ok", "calibrating", "fault", "offline"};

const char *wwtp_reading_status_name(int status)
{
	if (status < 0 || (size_t)status >= sizeof(status_names) / sizeof(status_names[0]))
		return "?";
	return status_names[status];
}

struct wwtp_sample *wwtp_sample_new(const struct wwtp_device *dev)
{
	struct wwtp_sample *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->device = dev;
	if (dev->npoints > 0) {
		s->readings = calloc(dev->npoints, sizeof(*s->readings));
		if (!s->readings) {
			free(s);
			return NULL;
		}
	}
	s->nreadings = dev->npoints;
	/* Pointing each reading at its point costs nothing and saves every
	 * producer from getting the pairing wrong. */
	for (size_t i = 0; i < dev->npoints; i++)
		s->readings[i].point = &dev->points[i];
	return s;
}

void wwtp_sample_free(struct wwtp_sample *s)
{
	if (!s)
		return;
	free(s->readings);
	free(s);
}

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

static int add_reading(struct wwtp_buf *b, const struct wwtp_reading *r)
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

int wwtp_payload_telemetry(const struct wwtp_station *st, const struct wwtp_sample *s,
			   uint64_t seq, struct wwtp_buf *out)
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
		rc = wwtp_buf_printf(out, ",\"seq\":%" PRIu64 ",\"readings\":[", seq);
	for (size_t i = 0; !rc && i < s->nreadings; i++) {
		if (i > 0)
			rc = wwtp_buf_add(out, ",", 1);
		if (!rc)
			rc = add_reading(out, &s->readings[i]);
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
