/* confaudit.c - the measuring-configuration audit (confaudit.h). */
#include "confaudit.h"

#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../compliance/evaluator.h"
#include "../compliance/limits.h"
#include "../util/err.h"
#include "../util/timeutil.h"

void wwtp_confaudit_num(double v, char *out, size_t n)
{
	if (isnan(v)) {
		snprintf(out, n, "none");
		return;
	}
	if (isinf(v)) {
		snprintf(out, n, "%s", v < 0 ? "-inf" : "inf");
		return;
	}
	/* The fewest digits that read back as v, written as a person would
	 * (5000, not 5e+03) unless the number is very small or large. */
	int plain = fabs(v) >= 1e-5 && fabs(v) < 1e16;
	for (int p = 1; p <= 17; p++) {
		snprintf(out, n, "%.*g", p, v);
		if (strtod(out, NULL) == v && (!plain || !strchr(out, 'e')))
			return;
	}
}

/* One line; control characters and tabs in a value (a unit) become '?'. */
static int line(struct wwtp_buf *b, const char *dev, const char *param, const char *setting,
		const char *value)
{
	char v[WWTP_CONF_VALUE_MAX];
	snprintf(v, sizeof v, "%s", value);
	for (char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return wwtp_buf_printf(b, "%s\t%s\t%s\t%s\n", dev, param, setting, v);
}

static int line_num(struct wwtp_buf *b, const char *dev, const char *param, const char *setting,
		    double v)
{
	char t[40];
	wwtp_confaudit_num(v, t, sizeof t);
	return line(b, dev, param, setting, t);
}

static int line_int(struct wwtp_buf *b, const char *dev, const char *param, const char *setting,
		    long long v)
{
	char t[24];
	snprintf(t, sizeof t, "%lld", v);
	return line(b, dev, param, setting, t);
}

/* A status register in one value: "none", or
 * "holding 100 value calibrating=1 fault=2" (bits: masks in hex). */
static void status_text(const struct wwtp_status_src *s, char *out, size_t n)
{
	if (s->mode == WWTP_STATUS_NONE) {
		snprintf(out, n, "none");
		return;
	}
	if (s->mode == WWTP_STATUS_BITS)
		snprintf(out, n, "%s %u bits calibrating=0x%04x fault=0x%04x",
			 wwtp_table_name(s->table), (unsigned)s->address, (unsigned)s->calibrating,
			 (unsigned)s->fault);
	else
		snprintf(out, n, "%s %u value calibrating=%u fault=%u", wwtp_table_name(s->table),
			 (unsigned)s->address, (unsigned)s->calibrating, (unsigned)s->fault);
}

static int point_lines(struct wwtp_buf *b, const struct wwtp_station *st,
		       const struct wwtp_device *d, const struct wwtp_point *p)
{
	const char *dn = d->name, *pn = p->param;
	char t[WWTP_CONF_VALUE_MAX];
	int rc = line(b, dn, pn, "point", "defined");

	if (!rc)
		rc = line(b, dn, pn, "table", wwtp_table_name(p->table));
	if (!rc)
		rc = line_int(b, dn, pn, "address", p->address);
	if (!rc)
		rc = line(b, dn, pn, "type", wwtp_type_name(p->type));
	if (!rc)
		rc = line(b, dn, pn, "order", wwtp_order_name(p->order));
	if (!rc && p->bit >= 0)
		rc = line_int(b, dn, pn, "bit", p->bit);
	if (!rc)
		rc = line_num(b, dn, pn, "scale", p->scale);
	if (!rc)
		rc = line_num(b, dn, pn, "offset", p->offset);
	if (!rc)
		rc = line(b, dn, pn, "unit", p->unit);
	status_text(&p->status, t, sizeof t);
	if (!rc)
		rc = line(b, dn, pn, "status", t);
	if (!rc && !p->plaus.on)
		rc = line(b, dn, pn, "plausible", "off");
	if (!rc && p->plaus.on) {
		rc = line_num(b, dn, pn, "plausible.min", p->plaus.min);
		if (!rc)
			rc = line_num(b, dn, pn, "plausible.max", p->plaus.max);
		if (!rc)
			rc = line_num(b, dn, pn, "plausible.step", p->plaus.step);
		if (!rc)
			rc = line_num(b, dn, pn, "plausible.resolution", p->plaus.resolution);
		if (!rc)
			rc = line_int(b, dn, pn, "plausible.flat_s", p->plaus.flat_s);
	}
	const struct wwtp_limit *l = st->limits ? wwtp_limits_find(st->limits, pn) : NULL;
	if (!rc && l && l->has_limit) {
		rc = line_num(b, dn, pn, "limit.min", l->cmax_min);
		if (!rc)
			rc = line_num(b, dn, pn, "limit.max", l->cmax_max);
	}
	return rc;
}

static int station_lines(struct wwtp_buf *b, const struct wwtp_station *st)
{
	const struct wwtp_eval_config *e = st->evaluation;
	int rc = 0;
	if (!e)
		return 0;
	char w[WWTP_CONF_VALUE_MAX];
	size_t used = 0;
	w[0] = '\0';
	for (size_t i = 0; i < e->nwindows && used < sizeof w; i++) {
		int k = snprintf(w + used, sizeof w - used, "%s%d", i ? "," : "", e->windows_s[i]);
		if (k < 0)
			break;
		used += (size_t)k;
	}
	rc = line(b, "", "", "evaluation.windows_s", w);
	if (!rc)
		rc = line_num(b, "", "", "evaluation.min_availability", e->min_availability);
	if (!rc)
		rc = line_num(b, "", "", "evaluation.hysteresis", e->hysteresis);
	if (!rc)
		rc = line_int(b, "", "", "evaluation.calibration_max_s", e->calibration_max_s);
	if (!rc)
		rc = line_int(b, "", "", "evaluation.offline_after_s", e->offline_after_s);
	if (!rc)
		rc = line_int(b, "", "", "evaluation.fault_after", e->fault_after);
	return rc;
}

/* Lines are compared as whole strings: the sort is the canonical order. */
static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Sorts the lines of b in place (through a copy). */
static int sort_lines(struct wwtp_buf *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->len; i++)
		n += b->data[i] == '\n';
	if (n < 2)
		return 0;
	char *copy = malloc(b->len + 1);
	char **lines = malloc(n * sizeof(*lines));
	if (!copy || !lines) {
		free(copy);
		free(lines);
		return WWTP_ERR_NOMEM;
	}
	memcpy(copy, b->data, b->len);
	copy[b->len] = '\0';
	size_t k = 0;
	for (char *p = copy; *p && k < n;) {
		char *nl = strchr(p, '\n');
		lines[k++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	qsort(lines, k, sizeof(*lines), cmp_str);
	wwtp_buf_reset(b);
	int rc = 0;
	for (size_t i = 0; i < k && !rc; i++)
		rc = wwtp_buf_printf(b, "%s\n", lines[i]);
	free(copy);
	free(lines);
	return rc;
}

int wwtp_confaudit_text(const struct wwtp_station *st, struct wwtp_buf *out)
{
	int rc = 0;
	wwtp_buf_reset(out);
	for (size_t i = 0; i < st->ndevices && !rc; i++) {
		const struct wwtp_device *d = &st->devices[i];
		char t[WWTP_CONF_VALUE_MAX];
		rc = line(out, d->name, "", "device", "defined");
		if (!rc)
			rc = line_int(out, d->name, "", "unit_id", d->unit_id);
		status_text(&d->status, t, sizeof t);
		if (!rc)
			rc = line(out, d->name, "", "status", t);
		for (size_t j = 0; j < d->npoints && !rc; j++)
			rc = point_lines(out, st, d, &d->points[j]);
	}
	if (!rc)
		rc = station_lines(out, st);
	if (!rc)
		rc = sort_lines(out);
	return rc;
}

void wwtp_confaudit_fingerprint(const char *text, size_t len, char hex[WWTP_CONF_FP_HEX])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)text, len);
	sodium_bin2hex(hex, WWTP_CONF_FP_HEX, h, sizeof h);
}

/* ---- the diff ---- */

struct setting {
	const char *dev, *param, *name, *value; /* into a copy of the text */
};

struct side {
	char *copy;
	struct setting *s;
	size_t n;
};

static int split(const char *text, struct side *out)
{
	memset(out, 0, sizeof(*out));
	if (!text || !text[0])
		return 0;
	size_t n = 0;
	for (const char *p = text; *p; p++)
		n += *p == '\n';
	out->copy = strdup(text);
	out->s = calloc(n + 1, sizeof(*out->s));
	if (!out->copy || !out->s) {
		free(out->copy);
		free(out->s);
		memset(out, 0, sizeof(*out));
		return WWTP_ERR_NOMEM;
	}
	char *save = NULL;
	for (char *l = strtok_r(out->copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *f[4] = {l, NULL, NULL, NULL};
		int ok = 1;
		for (int i = 1; i < 4 && ok; i++) {
			char *tab = strchr(f[i - 1], '\t');
			if (!tab)
				ok = 0;
			else {
				*tab = '\0';
				f[i] = tab + 1;
			}
		}
		if (!ok || out->n > n)
			continue; /* not a line of ours: ignored */
		out->s[out->n++] = (struct setting){f[0], f[1], f[2], f[3]};
	}
	return 0;
}

static int cmp_key(const struct setting *a, const struct setting *b, int depth)
{
	int c = strcmp(a->dev, b->dev);
	if (c == 0 && depth > 1)
		c = strcmp(a->param, b->param);
	if (c == 0 && depth > 2)
		c = strcmp(a->name, b->name);
	return c;
}

static int cmp_setting(const void *x, const void *y)
{
	return cmp_key(x, y, 3);
}

/* Whether side s holds the device (depth 1) or the point (depth 2) of k. */
static int holds(const struct side *s, const struct setting *k, int depth)
{
	struct setting probe = *k;
	if (depth == 1)
		probe.param = "";
	probe.name = depth == 1 ? "device" : "point";
	return bsearch(&probe, s->s, s->n, sizeof(*s->s), cmp_setting) != NULL;
}

struct changes {
	struct wwtp_conf_change *c;
	size_t n, more;
};

static void add_change(struct changes *ch, const struct setting *k, const char *from,
		       const char *to)
{
	if (ch->n >= WWTP_CONF_CHANGES_MAX) {
		ch->more++;
		return;
	}
	struct wwtp_conf_change *c = &ch->c[ch->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->device, sizeof c->device, "%s", k->dev);
	snprintf(c->param, sizeof c->param, "%s", k->param);
	snprintf(c->setting, sizeof c->setting, "%s", k->name);
	if (from) {
		c->has_from = 1;
		snprintf(c->from, sizeof c->from, "%s", from);
	}
	if (to) {
		c->has_to = 1;
		snprintf(c->to, sizeof c->to, "%s", to);
	}
}

/* A setting only one side has: one change, unless the side without it
 * lacks its whole point or device (then that is the one change). */
static void one_sided(struct changes *ch, const struct side *other, const struct setting *k,
		      int is_new)
{
	int dev_level = k->param[0] == '\0';
	if (k->dev[0] && !holds(other, k, 1) && strcmp(k->name, "device") != 0)
		return; /* the device's own "device" line says it */
	if (k->dev[0] && !dev_level && holds(other, k, 1) && !holds(other, k, 2) &&
	    strcmp(k->name, "point") != 0)
		return; /* the point's "point" line says it */
	add_change(ch, k, is_new ? NULL : k->value, is_new ? k->value : NULL);
}

int wwtp_confaudit_diff(const char *old_text, const char *new_text, struct wwtp_conf_change **out,
			size_t *n, size_t *more)
{
	struct side a, b;
	struct changes ch = {0};

	*out = NULL;
	*n = 0;
	if (more)
		*more = 0;
	if (!old_text || !old_text[0])
		return 0;
	if (split(old_text, &a) != 0)
		return WWTP_ERR_NOMEM;
	if (split(new_text, &b) != 0) {
		free(a.copy);
		free(a.s);
		return WWTP_ERR_NOMEM;
	}
	qsort(a.s, a.n, sizeof(*a.s), cmp_setting);
	qsort(b.s, b.n, sizeof(*b.s), cmp_setting);
	ch.c = calloc(WWTP_CONF_CHANGES_MAX, sizeof(*ch.c));
	if (!ch.c) {
		free(a.copy);
		free(a.s);
		free(b.copy);
		free(b.s);
		return WWTP_ERR_NOMEM;
	}
	size_t i = 0, j = 0;
	while (i < a.n || j < b.n) {
		int c = i >= a.n ? 1 : j >= b.n ? -1 : cmp_setting(&a.s[i], &b.s[j]);
		if (c < 0) {
			one_sided(&ch, &b, &a.s[i], 0);
			i++;
		} else if (c > 0) {
			one_sided(&ch, &a, &b.s[j], 1);
			j++;
		} else {
			if (strcmp(a.s[i].value, b.s[j].value) != 0)
				add_change(&ch, &b.s[j], a.s[i].value, b.s[j].value);
			i++;
			j++;
		}
	}
	free(a.copy);
	free(a.s);
	free(b.copy);
	free(b.s);
	if (ch.n == 0) {
		free(ch.c);
		ch.c = NULL;
	}
	*out = ch.c;
	*n = ch.n;
	if (more)
		*more = ch.more;
	return 0;
}

/* ---- the message ---- */

static int member_str(struct wwtp_buf *b, const char *key, const char *v, int has)
{
	int rc = wwtp_buf_printf(b, ",\"%s\":", key);
	if (!rc)
		rc = has ? wwtp_buf_add_json_string(b, v) : wwtp_buf_adds(b, "null");
	return rc;
}

int wwtp_confaudit_payload(const struct wwtp_station *st, int64_t ts_ms, uint64_t seq,
			   const char *fp, const char *prev_fp, const struct wwtp_conf_change *c,
			   size_t n, size_t more, struct wwtp_buf *out)
{
	char ts[32];
	int rc;

	wwtp_buf_reset(out);
	if (wwtp_format_utc(ts_ms, ts, sizeof ts) != 0)
		return WWTP_ERR_INVAL;
	rc = wwtp_buf_adds(out, "{\"v\":1,\"station\":");
	if (!rc)
		rc = wwtp_buf_add_json_string(out, st->id);
	if (!rc)
		rc = wwtp_buf_printf(
		    out, ",\"ts\":\"%s\",\"seq\":%" PRIu64 ",\"fingerprint\":\"%s\"", ts, seq, fp);
	if (!rc)
		rc = member_str(out, "previous", prev_fp, prev_fp != NULL);
	if (!rc)
		rc = wwtp_buf_adds(out, ",\"changes\":[");
	for (size_t i = 0; i < n && !rc; i++) {
		rc = wwtp_buf_adds(out, i ? ",{\"device\":" : "{\"device\":");
		if (!rc)
			rc = wwtp_buf_add_json_string(out, c[i].device);
		if (!rc && c[i].param[0])
			rc = member_str(out, "param", c[i].param, 1);
		if (!rc)
			rc = member_str(out, "setting", c[i].setting, 1);
		if (!rc)
			rc = member_str(out, "from", c[i].from, c[i].has_from);
		if (!rc)
			rc = member_str(out, "to", c[i].to, c[i].has_to);
		if (!rc)
			rc = wwtp_buf_adds(out, "}");
	}
	if (!rc)
		rc = wwtp_buf_adds(out, "]");
	if (!rc && more)
		rc = wwtp_buf_printf(out, ",\"more\":%zu", more);
	if (!rc)
		rc = wwtp_buf_adds(out, "}");
	return rc;
}
