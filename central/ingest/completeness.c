/* completeness.c - polls expected, stored, lost and late (completeness.h). */
#include "completeness.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/buf.h"
#include "../../util/err.h"
#include "query.h"

/* A day of 1 s polls is 86 400 rows of ~30 bytes. */
#define ANSWER_MAX (8u << 20)

void wwtp_compl_clear(struct wwtp_compl *c)
{
	free(c->gaps);
	memset(c, 0, sizeof(*c));
}

static int add_gap(struct wwtp_compl *c, int64_t from, int64_t interval, int64_t n, bool from_start,
		   bool to_end)
{
	if (n <= 0)
		return 0;
	struct wwtp_compl_gap *g = realloc(c->gaps, (c->ngaps + 1) * sizeof(*g));
	if (!g)
		return WWTP_ERR_NOMEM;
	c->gaps = g;
	g[c->ngaps].from_ms = from;
	g[c->ngaps].to_ms = from + (n - 1) * interval;
	g[c->ngaps].n = n;
	g[c->ngaps].interval_ms = (int)interval;
	g[c->ngaps].from_start = from_start;
	g[c->ngaps].to_end = to_end;
	g[c->ngaps].device[0] = '\0';
	c->ngaps++;
	c->lost += n;
	c->expected += n;
	return 0;
}

int wwtp_compl_count(int64_t from_ms, int64_t to_ms, int64_t judged_to_ms, int interval_ms,
		     const int64_t *t, size_t n, struct wwtp_compl *c)
{
	if (interval_ms <= 0)
		return WWTP_ERR_INVAL;
	if (judged_to_ms > to_ms)
		judged_to_ms = to_ms;
	if (judged_to_ms <= from_ms)
		return 0;
	const int64_t iv = interval_ms;
	int64_t last = INT64_MIN;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (t[i] < from_ms || t[i] >= judged_to_ms || t[i] == last)
			continue;
		if (last == INT64_MIN) {
			/* Polls that fit before the first, at its phase. */
			int64_t k = (t[i] - from_ms) / iv;
			rc = add_gap(c, t[i] - k * iv, iv, k, true, false);
		} else {
			/* A hole of about k intervals holds k - 1 polls; the
			 * rounding absorbs the poll loop's jitter. */
			int64_t k = (t[i] - last + iv / 2) / iv;
			rc = add_gap(c, last + iv, iv, k - 1, false, false);
		}
		last = t[i];
		c->received++;
		c->expected++;
	}
	if (rc != 0)
		return rc;
	if (last == INT64_MIN)
		return add_gap(c, from_ms, iv, (judged_to_ms - from_ms) / iv, true, true);
	return add_gap(c, last + iv, iv, (judged_to_ms - 1 - last) / iv, false, true);
}

int wwtp_compl_add(struct wwtp_compl *dst, const struct wwtp_compl *src)
{
	if (src->ngaps) {
		struct wwtp_compl_gap *g =
		    realloc(dst->gaps, (dst->ngaps + src->ngaps) * sizeof(*g));
		if (!g)
			return WWTP_ERR_NOMEM;
		dst->gaps = g;
	}
	for (size_t i = 0; i < src->ngaps; i++) {
		const struct wwtp_compl_gap *s = &src->gaps[i];
		struct wwtp_compl_gap *prev = NULL;
		/* Only the device's latest gap can continue into src. */
		for (size_t j = dst->ngaps; j-- > 0;)
			if (strcmp(dst->gaps[j].device, s->device) == 0) {
				prev = &dst->gaps[j];
				break;
			}
		/* The first poll of a day keeps the device's phase while an
		 * empty day's gap is counted from midnight: the pieces meet
		 * one to two intervals apart, not exactly one. */
		if (prev && prev->interval_ms == s->interval_ms && prev->to_end && s->from_start &&
		    s->from_ms > prev->to_ms &&
		    s->from_ms - prev->to_ms < 2 * (int64_t)s->interval_ms) {
			prev->to_ms = s->to_ms;
			prev->to_end = s->to_end;
			prev->n += s->n;
		} else {
			dst->gaps[dst->ngaps++] = *s;
		}
	}
	dst->expected += src->expected;
	dst->received += src->received;
	dst->lost += src->lost;
	dst->late += src->late;
	return 0;
}

static int longest_first(const void *a, const void *b)
{
	const struct wwtp_compl_gap *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	if (x->from_ms != y->from_ms)
		return x->from_ms < y->from_ms ? -1 : 1;
	return strcmp(x->device, y->device);
}

void wwtp_compl_sort_longest(struct wwtp_compl *c)
{
	if (c->ngaps > 1)
		qsort(c->gaps, c->ngaps, sizeof(c->gaps[0]), longest_first);
}

void wwtp_compl_pct(int64_t lost, int64_t expected, char *out, size_t size)
{
	/* Hundredths, rounded half up, without floating point's 0,145 doubts. */
	int64_t h = expected > 0 ? (lost * 10000 + expected / 2) / expected : 0;
	snprintf(out, size, "%" PRId64 ",%02" PRId64, h / 100, h % 100);
}

struct dev_counts {
	const struct wwtp_reg_station *st;
	int64_t best[WWTP_REG_DEVICES]; /* the param with the most readings */
	char param[WWTP_REG_DEVICES][WWTP_ID_MAX];
	int64_t late[WWTP_REG_DEVICES];
};

static int dev_index(const struct wwtp_reg_station *st, const char *name)
{
	for (size_t i = 0; name && i < st->ndevices; i++)
		if (strcmp(st->devices[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void count_row(void *ctx, json_t *tags, json_t *columns, json_t *row)
{
	struct dev_counts *d = ctx;
	int i = dev_index(d->st, wwtp_query_tag(tags, columns, row, "device"));
	const char *p = wwtp_query_tag(tags, columns, row, "param");
	int64_t n = (int64_t)wwtp_query_col_num(columns, row, "count", 0);
	if (i < 0 || !p || n <= d->best[i] || strlen(p) >= WWTP_ID_MAX)
		return;
	d->best[i] = n;
	snprintf(d->param[i], sizeof d->param[i], "%s", p);
}

static void late_row(void *ctx, json_t *tags, json_t *columns, json_t *row)
{
	struct dev_counts *d = ctx;
	int i = dev_index(d->st, wwtp_query_tag(tags, columns, row, "device"));
	if (i >= 0)
		d->late[i] += (int64_t)wwtp_query_col_num(columns, row, "count", 0);
}

struct times {
	int64_t *t;
	size_t n, alloc;
	int nomem;
};

static void time_row(void *ctx, json_t *tags, json_t *columns, json_t *row)
{
	(void)tags;
	struct times *ts = ctx;
	json_t *v = wwtp_query_col(columns, row, "time");
	if (!json_is_integer(v) || ts->nomem)
		return;
	if (ts->n == ts->alloc) {
		size_t na = ts->alloc ? ts->alloc * 2 : 1024;
		int64_t *p = realloc(ts->t, na * sizeof(*p));
		if (!p) {
			ts->nomem = 1;
			return;
		}
		ts->t = p;
		ts->alloc = na;
	}
	ts->t[ts->n++] = (int64_t)json_integer_value(v);
}

/* Runs q; a database not made yet (nothing stored) is an empty answer. */
static int run(struct wwtp_influx **ix, const struct wwtp_central_influx *cfg, struct wwtp_buf *q,
	       json_t **doc, char *why, size_t n)
{
	struct wwtp_buf answer;
	*doc = NULL;
	if (!q->data)
		return WWTP_ERR_NOMEM;
	wwtp_buf_init(&answer, ANSWER_MAX);
	int rc = wwtp_query_run(ix, cfg, q->data, &answer, doc, why, n);
	wwtp_buf_free(&answer);
	if (rc != 0 && strstr(why, "database not found"))
		return 1;
	return rc;
}

static int station_where(struct wwtp_buf *q, const char *station, int64_t from, int64_t to)
{
	int rc = wwtp_buf_adds(q, " WHERE \"station\" = ");
	if (rc == 0)
		rc = wwtp_query_str(q, station);
	if (rc == 0)
		rc = wwtp_buf_printf(q, " AND time >= %" PRId64 "ms AND time < %" PRId64 "ms", from,
				     to);
	return rc;
}

static void first_row(void *ctx, json_t *tags, json_t *columns, json_t *row)
{
	(void)tags;
	int64_t *first = ctx;
	json_t *v = wwtp_query_col(columns, row, "time");
	if (json_is_integer(v) && (int64_t)json_integer_value(v) < *first)
		*first = (int64_t)json_integer_value(v);
}

int wwtp_compl_first(struct wwtp_influx **ix, const struct wwtp_central_influx *cfg,
		     const struct wwtp_reg_station *st, int64_t before_ms, int64_t *first_ms,
		     char *why, size_t n)
{
	struct wwtp_buf q;
	json_t *doc = NULL;

	*first_ms = INT64_MAX;
	wwtp_buf_init(&q, 512);
	/* first() of the whole past: InfluxDB reads each series' earliest
	 * block, not the data. */
	int rc =
	    wwtp_buf_adds(&q, "SELECT first(\"status\") FROM \"reading\" WHERE \"station\" = ");
	if (rc == 0)
		rc = wwtp_query_str(&q, st->id);
	if (rc == 0)
		rc = wwtp_buf_printf(&q, " AND time < %" PRId64 "ms", before_ms);
	rc = rc == 0 ? run(ix, cfg, &q, &doc, why, n) : WWTP_ERR_NOMEM;
	if (rc == 0)
		wwtp_query_each_row(doc, 0, first_row, first_ms);
	json_decref(doc);
	wwtp_buf_free(&q);
	return rc < 0 ? rc : 0;
}

int wwtp_compl_day(struct wwtp_influx **ix, const struct wwtp_central_influx *cfg,
		   const struct wwtp_reg_station *st, int64_t day_ms, int64_t now_ms,
		   int64_t since_ms, int lost_after_s, struct wwtp_compl *c, char *why, size_t n)
{
	const int64_t from = since_ms > day_ms ? since_ms : day_ms, to = day_ms + 86400000;
	int64_t judged = now_ms - (int64_t)lost_after_s * 1000;
	struct dev_counts d;
	struct wwtp_buf q;
	json_t *doc = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	memset(&d, 0, sizeof(d));
	d.st = st;
	if (judged > to)
		judged = to;
	if (judged <= from)
		return 0; /* nothing judged yet, or the record starts later */
	wwtp_buf_init(&q, 4096);
	rc = wwtp_buf_adds(&q, "SELECT count(\"status\") FROM \"reading\"");
	if (rc == 0)
		rc = station_where(&q, st->id, from, judged);
	if (rc == 0)
		rc = wwtp_buf_adds(&q, " GROUP BY \"device\", \"param\"; "
				       "SELECT count(\"delay_ms\") FROM \"late\"");
	if (rc == 0)
		rc = station_where(&q, st->id, from, judged);
	if (rc == 0)
		rc = wwtp_buf_adds(&q, " GROUP BY \"device\"");
	rc = rc == 0 ? run(ix, cfg, &q, &doc, why, n) : WWTP_ERR_NOMEM;
	if (rc == 0) {
		wwtp_query_each_row(doc, 0, count_row, &d);
		wwtp_query_each_row(doc, 1, late_row, &d);
	}
	json_decref(doc);
	if (rc < 0) {
		wwtp_buf_free(&q);
		return rc;
	}
	for (size_t i = 0; i < st->ndevices && rc >= 0; i++) {
		struct times ts = {NULL, 0, 0, 0};
		if (d.best[i] > 0) {
			wwtp_buf_reset(&q);
			rc = wwtp_buf_adds(&q, "SELECT \"status\" FROM \"reading\"");
			if (rc == 0)
				rc = station_where(&q, st->id, from, judged);
			if (rc == 0)
				rc = wwtp_buf_adds(&q, " AND \"device\" = ");
			if (rc == 0)
				rc = wwtp_query_str(&q, st->devices[i].name);
			if (rc == 0)
				rc = wwtp_buf_adds(&q, " AND \"param\" = ");
			if (rc == 0)
				rc = wwtp_query_str(&q, d.param[i]);
			rc = rc == 0 ? run(ix, cfg, &q, &doc, why, n) : WWTP_ERR_NOMEM;
			if (rc == 0)
				wwtp_query_each_row(doc, 0, time_row, &ts);
			json_decref(doc);
			doc = NULL;
			if (ts.nomem)
				rc = WWTP_ERR_NOMEM;
		}
		size_t first_gap = c->ngaps;
		if (rc >= 0)
			rc = wwtp_compl_count(from, to, judged, st->devices[i].interval_ms, ts.t,
					      ts.n, c);
		for (size_t g = first_gap; rc >= 0 && g < c->ngaps; g++)
			memcpy(c->gaps[g].device, st->devices[i].name, sizeof(c->gaps[g].device));
		c->late += d.late[i];
		free(ts.t);
	}
	wwtp_buf_free(&q);
	if (rc < 0) {
		wwtp_compl_clear(c);
		return rc;
	}
	return 0;
}

int wwtp_compl_late_line(struct wwtp_buf *out, const char *station, const char *device, int64_t seq,
			 int64_t ts_ms, int64_t delay_ms)
{
	/* Ingest passes only the registry's names; the check keeps a tag
	 * from ever needing escapes. */
	for (const char *p = device; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    *p))
			return WWTP_ERR_INVAL;
	for (const char *p = station; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-", *p))
			return WWTP_ERR_INVAL;
	return wwtp_buf_printf(
	    out, "late,device=%s,station=%s seq=%" PRId64 "i,delay_ms=%" PRId64 "i %" PRId64 "\n",
	    device, station, seq, delay_ms, ts_ms);
}
