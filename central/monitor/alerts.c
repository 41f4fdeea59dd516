/* alerts.c - the central side's alert store (see alerts.h). */
#include "alerts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/err.h"

struct station_alerts {
	char station[WWTP_ID_MAX];
	struct wwtp_alert_rec *recs; /* in the order first seen */
	size_t n, cap;
};

struct wwtp_alerts {
	struct station_alerts *st;
	size_t n, cap;
	size_t max_per_station;
};

struct wwtp_alerts *wwtp_alerts_new(size_t max_per_station)
{
	struct wwtp_alerts *a = calloc(1, sizeof(*a));
	if (a)
		a->max_per_station = max_per_station < 4 ? 4 : max_per_station;
	return a;
}

void wwtp_alerts_free(struct wwtp_alerts *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->st[i].recs);
	free(a->st);
	free(a);
}

size_t wwtp_alerts_count(const struct wwtp_alerts *a)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n; i++)
		n += a->st[i].n;
	return n;
}

static int fits(const char *s, size_t size)
{
	return s && s[0] && strlen(s) < size;
}

static struct station_alerts *station_of(struct wwtp_alerts *a, const char *id)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->st[i].station, id) == 0)
			return &a->st[i];
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		struct station_alerts *p = realloc(a->st, cap * sizeof(*p));
		if (!p)
			return NULL;
		a->st = p;
		a->cap = cap;
	}
	struct station_alerts *s = &a->st[a->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->station, sizeof(s->station), "%s", id);
	return s;
}

/* Makes room for one more: at the bound, the oldest quarter of the closed
 * alerts goes (they are in the order first seen, which is about the order
 * of their start); when none is closed, the oldest quarter of all. */
static int room(struct station_alerts *s, size_t max)
{
	if (s->n >= max) {
		size_t drop = max / 4, dropped = 0, j = 0;
		for (int pass = 0; pass < 2 && dropped == 0; pass++) {
			j = 0;
			for (size_t i = 0; i < s->n; i++) {
				int closed = s->recs[i].end_ms != 0;
				if (dropped < drop && (closed || pass == 1)) {
					dropped++;
					continue;
				}
				if (j != i)
					s->recs[j] = s->recs[i];
				j++;
			}
			s->n = j;
		}
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		if (cap > max)
			cap = max;
		struct wwtp_alert_rec *p = realloc(s->recs, cap * sizeof(*p));
		if (!p)
			return WWTP_ERR_NOMEM;
		s->recs = p;
		s->cap = cap;
	}
	return 0;
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static int same_subject(const struct wwtp_alert_rec *a, const struct wwtp_alert_rec *b)
{
	return a->window_s == b->window_s && strcmp(a->kind, b->kind) == 0 &&
	       strcmp(a->setting, b->setting) == 0 && strcmp(a->device, b->device) == 0 &&
	       strcmp(a->param, b->param) == 0;
}

static void supersede(struct station_alerts *s, struct wwtp_alert_rec *r)
{
	for (size_t i = 0; i < s->n; i++) {
		struct wwtp_alert_rec *o = &s->recs[i];
		if (o == r || o->end_ms != 0 || !o->has_raise || !same_subject(o, r))
			continue;
		struct wwtp_alert_rec *older = o->start_ms <= r->start_ms ? o : r;
		struct wwtp_alert_rec *newer = older == o ? r : o;
		if (older->end_ms == 0 && newer->start_ms != older->start_ms) {
			older->end_ms = newer->start_ms;
			older->closed_by = "superseded";
		}
	}
}

int wwtp_alerts_add(struct wwtp_alerts *a, const struct wwtp_alert_in *e)
{
	struct station_alerts *s;
	struct wwtp_alert_rec *r = NULL;

	if (!fits(e->id, WWTP_ALERT_ID_MAX) || !fits(e->station, WWTP_ID_MAX) ||
	    !fits(e->kind, WWTP_ALERT_KIND_MAX))
		return WWTP_ERR_INVAL;
	if (!(s = station_of(a, e->station)))
		return WWTP_ERR_NOMEM;
	/* The newest first: a clear follows its raise closely. */
	for (size_t i = s->n; i-- > 0;)
		if (strcmp(s->recs[i].id, e->id) == 0) {
			r = &s->recs[i];
			break;
		}
	if (!r) {
		int rc = room(s, a->max_per_station);
		if (rc != 0)
			return rc;
		r = &s->recs[s->n++];
		memset(r, 0, sizeof(*r));
		copy(r->id, sizeof(r->id), e->id);
		copy(r->station, sizeof(r->station), e->station);
		copy(r->kind, sizeof(r->kind), e->kind);
		copy(r->device, sizeof(r->device), e->device);
		copy(r->param, sizeof(r->param), e->param);
		copy(r->unit, sizeof(r->unit), e->unit);
		copy(r->suspect, sizeof(r->suspect), e->suspect);
		copy(r->setting, sizeof(r->setting), e->setting);
		copy(r->from, sizeof(r->from), e->from);
		copy(r->to, sizeof(r->to), e->to);
		r->has_from = e->from != NULL;
		r->has_to = e->to != NULL;
		r->window_s = e->window_s;
		r->value = r->limit = r->ratio = r->end_value = r->end_ratio = NAN;
		r->start_ms = e->start_ms;
		r->since_ms = e->since_ms ? e->since_ms : e->start_ms;
	}
	if (e->raised) {
		r->has_raise = 1;
		r->value = e->value;
		r->limit = e->limit;
		r->ratio = e->ratio;
		r->start_ms = e->start_ms;
		if (e->since_ms)
			r->since_ms = e->since_ms;
		if (r->end_ms == 0)
			supersede(s, r);
	} else {
		/* A clear is final, whatever was assumed before it came. */
		r->end_ms = e->end_ms ? e->end_ms : e->ts_ms ? e->ts_ms : e->start_ms;
		r->closed_by = "cleared";
		r->end_value = e->value;
		r->end_ratio = e->ratio;
		if (!isfinite(r->limit))
			r->limit = e->limit;
	}
	return 0;
}

static int newest_first(const void *x, const void *y)
{
	const struct wwtp_alert_rec *a = *(const struct wwtp_alert_rec *const *)x;
	const struct wwtp_alert_rec *b = *(const struct wwtp_alert_rec *const *)y;
	if (a->start_ms != b->start_ms)
		return a->start_ms > b->start_ms ? -1 : 1;
	return strcmp(a->id, b->id);
}

static int matches(const struct wwtp_alert_rec *r, const struct wwtp_alert_filter *f)
{
	if (f->kind && strcmp(r->kind, f->kind) != 0)
		return 0;
	if (f->state == WWTP_ALERTS_OPEN && r->end_ms != 0)
		return 0;
	if (f->state == WWTP_ALERTS_CLOSED && r->end_ms == 0)
		return 0;
	/* Active at some time in [from, to). */
	if (r->start_ms >= f->to_ms)
		return 0;
	if (r->end_ms != 0 && r->end_ms < f->from_ms)
		return 0;
	return 1;
}

size_t wwtp_alerts_find(const struct wwtp_alerts *a, const struct wwtp_alert_filter *f,
			const struct wwtp_alert_rec **out, size_t max)
{
	const struct wwtp_alert_rec **all;
	size_t total = 0, k = 0;

	for (size_t i = 0; i < a->n; i++)
		if (!f->station || strcmp(a->st[i].station, f->station) == 0)
			total += a->st[i].n;
	if (total == 0)
		return 0;
	all = malloc(total * sizeof(*all));
	if (!all)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		if (f->station && strcmp(a->st[i].station, f->station) != 0)
			continue;
		for (size_t j = 0; j < a->st[i].n; j++)
			if (matches(&a->st[i].recs[j], f))
				all[k++] = &a->st[i].recs[j];
	}
	qsort(all, k, sizeof(*all), newest_first);
	size_t lim = f->limit && f->limit < max ? f->limit : max;
	for (size_t i = 0; i < k && i < lim; i++)
		out[i] = all[i];
	free(all);
	return k;
}
