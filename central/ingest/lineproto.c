/* lineproto.c - line protocol builder and payload encoder (see lineproto.h). */
#include "lineproto.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../payload/payload.h"
#include "../../util/err.h"

static void lp_fail(struct wwtp_lp *p, int err)
{
	if (p->err == 0)
		p->err = err;
}

/* Appends a name, a backslash before each byte of `esc`. Refuses what
 * lineproto.h says names may not hold. */
static void lp_name(struct wwtp_lp *p, const char *s, const char *esc)
{
	const char *run = s;

	if (p->err)
		return;
	if (!s || !*s) {
		lp_fail(p, WWTP_ERR_INVAL);
		return;
	}
	for (const char *c = s; *c; c++) {
		unsigned char u = (unsigned char)*c;
		if (u < 0x20 || u == 0x7f || u == '\\') {
			lp_fail(p, WWTP_ERR_INVAL);
			return;
		}
		if (strchr(esc, *c)) {
			int rc = wwtp_buf_add(p->b, run, (size_t)(c - run));
			if (rc == 0)
				rc = wwtp_buf_add(p->b, "\\", 1);
			if (rc != 0) {
				lp_fail(p, rc);
				return;
			}
			run = c;
		}
	}
	int rc = wwtp_buf_adds(p->b, run);
	if (rc != 0)
		lp_fail(p, rc);
}

static void lp_add(struct wwtp_lp *p, const char *s, size_t n)
{
	if (p->err)
		return;
	int rc = wwtp_buf_add(p->b, s, n);
	if (rc != 0)
		lp_fail(p, rc);
}

void wwtp_lp_begin(struct wwtp_lp *p, struct wwtp_buf *b, const char *measurement)
{
	p->b = b;
	p->start = b->len;
	p->nfields = 0;
	p->err = 0;
	if (!measurement || measurement[0] == '#') {
		lp_fail(p, WWTP_ERR_INVAL);
		return;
	}
	lp_name(p, measurement, ", ");
}

void wwtp_lp_tag(struct wwtp_lp *p, const char *key, const char *value)
{
	if (p->nfields > 0)
		lp_fail(p, WWTP_ERR_INVAL);
	lp_add(p, ",", 1);
	lp_name(p, key, ",= ");
	lp_add(p, "=", 1);
	lp_name(p, value, ",= ");
}

/* " key=" for the first field, ",key=" for the others. */
static void lp_field_key(struct wwtp_lp *p, const char *key)
{
	lp_add(p, p->nfields == 0 ? " " : ",", 1);
	lp_name(p, key, ",= ");
	lp_add(p, "=", 1);
	p->nfields++;
}

void wwtp_lp_float(struct wwtp_lp *p, const char *key, double v)
{
	lp_field_key(p, key);
	if (p->err)
		return;
	/* The shortest text that reads back as the same double, as in the
	 * payloads (42.1, -1.5e-07, 100). Without an "i" InfluxDB reads a
	 * float either way. */
	int rc = wwtp_buf_add_json_number(p->b, v);
	if (rc != 0)
		lp_fail(p, rc);
}

void wwtp_lp_int(struct wwtp_lp *p, const char *key, int64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%" PRId64 "i", v);
	lp_field_key(p, key);
	lp_add(p, tmp, (size_t)n);
}

void wwtp_lp_str(struct wwtp_lp *p, const char *key, const char *v)
{
	const char *run;

	lp_field_key(p, key);
	if (!v)
		lp_fail(p, WWTP_ERR_INVAL);
	lp_add(p, "\"", 1);
	if (p->err)
		return;
	run = v;
	for (const char *c = v; *c; c++) {
		unsigned char u = (unsigned char)*c;
		if (*c == '"' || *c == '\\') {
			lp_add(p, run, (size_t)(c - run));
			lp_add(p, "\\", 1);
			run = c;
		} else if (u < 0x20 || u == 0x7f) {
			lp_add(p, run, (size_t)(c - run));
			lp_add(p, " ", 1);
			run = c + 1;
		}
	}
	lp_add(p, run, strlen(run));
	lp_add(p, "\"", 1);
}

int wwtp_lp_end(struct wwtp_lp *p, int64_t ts_ms)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), " %" PRId64 "\n", ts_ms);

	if (p->nfields == 0)
		lp_fail(p, WWTP_ERR_INVAL); /* a point needs at least one field */
	lp_add(p, tmp, (size_t)n);
	if (p->err) {
		p->b->len = p->start;
		if (p->b->data)
			p->b->data[p->start] = '\0';
	}
	return p->err;
}

/* ---- the schema ---- */

static int encode_reading(const struct wwtp_in_msg *m, const struct wwtp_in_reading *r,
			  struct wwtp_buf *out)
{
	struct wwtp_lp p;

	/* Tags sorted by key, as InfluxDB stores them. The series is exactly
	 * what identifies a reading (station, device, param) and the time is
	 * the poll's: a message received twice writes the same point twice. */
	wwtp_lp_begin(&p, out, WWTP_LP_READING);
	wwtp_lp_tag(&p, "device", m->device);
	wwtp_lp_tag(&p, "param", r->param);
	wwtp_lp_tag(&p, "station", m->station);
	/* A marked value is kept under its own name: every reader of `value`
	 * (hourly numbers, the report, charts, Grafana) leaves it out without
	 * a filter InfluxQL could not write (a missing field matches no
	 * condition), and it is still there to look at (docs/plausibility.md). */
	if (r->has_value)
		wwtp_lp_float(&p, r->suspect ? "suspect_value" : "value", r->value);
	wwtp_lp_str(&p, "status", wwtp_reading_status_name(r->status));
	wwtp_lp_str(&p, "unit", r->unit);
	wwtp_lp_int(&p, "seq", m->seq);
	if (r->reason)
		wwtp_lp_str(&p, "reason", r->reason);
	/* A field like status: the same reading always carries the same mark. */
	if (r->suspect)
		wwtp_lp_str(&p, "suspect", r->suspect);
	/* Only when checked against the station's key (docs/security.md). */
	if (m->verified)
		wwtp_lp_int(&p, "verified", 1);
	if (m->link > 0)
		wwtp_lp_int(&p, "chain", m->link);
	return wwtp_lp_end(&p, m->ts_ms);
}

static int encode_status(const struct wwtp_in_msg *m, struct wwtp_buf *out)
{
	struct wwtp_lp p;
	int online = strcmp(m->state, "online") == 0;

	wwtp_lp_begin(&p, out, WWTP_LP_STATUS);
	wwtp_lp_tag(&p, "station", m->station);
	wwtp_lp_str(&p, "state", m->state);
	wwtp_lp_int(&p, "online", online ? 1 : 0);
	if (m->version)
		wwtp_lp_str(&p, "version", m->version);
	return wwtp_lp_end(&p, m->ts_ms);
}

static int encode_alert(const struct wwtp_in_msg *m, struct wwtp_buf *out)
{
	struct wwtp_lp p;
	char window[24];
	int cleared = strcmp(m->event, "cleared") == 0;
	/* The tags are what the alert id is made of (station, subject, kind,
	 * window) plus the event; a raise is dated by its start, a clear by
	 * its end. So a raise and its clear are two points, and a repeat of
	 * either (at-least-once delivery, a replay) overwrites its own. */
	int64_t t = !cleared	 ? m->start_ms
		    : m->has_end ? m->end_ms
		    : m->has_ts	 ? m->ts_ms
				 : m->start_ms;

	wwtp_lp_begin(&p, out, WWTP_LP_ALERT);
	if (m->alert_device)
		wwtp_lp_tag(&p, "device", m->alert_device);
	wwtp_lp_tag(&p, "event", m->event);
	wwtp_lp_tag(&p, "kind", m->alert_kind);
	if (m->param)
		wwtp_lp_tag(&p, "param", m->param);
	/* config_change: one alert per setting, so two settings of one
	 * point changed at once are two points. */
	if (m->setting)
		wwtp_lp_tag(&p, "setting", m->setting);
	wwtp_lp_tag(&p, "station", m->station);
	if (m->has_window) {
		snprintf(window, sizeof(window), "%" PRId64, m->window_s);
		wwtp_lp_tag(&p, "window", window);
	}
	wwtp_lp_str(&p, "id", m->id);
	if (m->has_value)
		wwtp_lp_float(&p, "value", m->value);
	if (m->has_limit)
		wwtp_lp_float(&p, "limit_value", m->limit);
	if (m->suspect) /* suspect_data: which check (docs/plausibility.md) */
		wwtp_lp_str(&p, "suspect", m->suspect);
	if (m->has_ratio)
		wwtp_lp_float(&p, "ratio", m->ratio);
	if (m->unit)
		wwtp_lp_str(&p, "unit", m->unit);
	if (m->from)
		wwtp_lp_str(&p, "from_value", m->from);
	if (m->to)
		wwtp_lp_str(&p, "to_value", m->to);
	wwtp_lp_int(&p, "start_ms", m->start_ms);
	if (m->has_end)
		wwtp_lp_int(&p, "end_ms", m->end_ms);
	if (m->has_since)
		wwtp_lp_int(&p, "since_ms", m->since_ms);
	if (m->verified)
		wwtp_lp_int(&p, "verified", 1);
	if (m->link > 0)
		wwtp_lp_int(&p, "chain", m->link);
	return wwtp_lp_end(&p, t);
}

/* One point per change (tags: the setting's device, param, setting), or
 * one without those tags when nothing changed (the first run): the
 * station's measuring configuration over time (docs/influxdb-schema.md). */
static int encode_config_point(const struct wwtp_in_msg *m, const struct wwtp_in_change *c,
			       struct wwtp_buf *out)
{
	struct wwtp_lp p;

	wwtp_lp_begin(&p, out, WWTP_LP_CONFIG);
	if (c && c->device[0])
		wwtp_lp_tag(&p, "device", c->device);
	if (c && c->param)
		wwtp_lp_tag(&p, "param", c->param);
	if (c)
		wwtp_lp_tag(&p, "setting", c->setting);
	wwtp_lp_tag(&p, "station", m->station);
	wwtp_lp_str(&p, "fingerprint", m->fingerprint);
	if (m->previous)
		wwtp_lp_str(&p, "previous", m->previous);
	if (c && c->from)
		wwtp_lp_str(&p, "from_value", c->from);
	if (c && c->to)
		wwtp_lp_str(&p, "to_value", c->to);
	wwtp_lp_int(&p, "changes", (int64_t)m->nchanges + m->more);
	wwtp_lp_int(&p, "seq", m->seq);
	if (m->verified)
		wwtp_lp_int(&p, "verified", 1);
	if (m->link > 0)
		wwtp_lp_int(&p, "chain", m->link);
	return wwtp_lp_end(&p, m->ts_ms);
}

int wwtp_lp_encode(const struct wwtp_in_msg *m, struct wwtp_buf *out, size_t *npoints)
{
	size_t start = out->len;
	int rc = 0;

	*npoints = 0;
	switch (m->kind) {
	case WWTP_MSG_TELEMETRY:
		for (size_t i = 0; i < m->nreadings && rc == 0; i++)
			rc = encode_reading(m, &m->readings[i], out);
		if (rc == 0)
			*npoints = m->nreadings;
		break;
	case WWTP_MSG_STATUS:
		rc = encode_status(m, out);
		*npoints = rc == 0 ? 1 : 0;
		break;
	case WWTP_MSG_ALERT:
		rc = encode_alert(m, out);
		*npoints = rc == 0 ? 1 : 0;
		break;
	case WWTP_MSG_CONFIG:
		if (m->nchanges == 0)
			rc = encode_config_point(m, NULL, out);
		for (size_t i = 0; i < m->nchanges && rc == 0; i++)
			rc = encode_config_point(m, &m->changes[i], out);
		*npoints = rc == 0 ? (m->nchanges ? m->nchanges : 1) : 0;
		break;
	default:
		rc = WWTP_ERR_INVAL;
	}
	if (rc != 0) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		*npoints = 0;
	}
	return rc;
}
