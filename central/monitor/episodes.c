/* episodes.c - raw alerts gathered into the inspector's alerts (episodes.h). */
#include "episodes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/err.h"

#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
#define OPEN INT64_MAX

struct ep_int {
	struct wwtp_episode pub;
	size_t raw0, nraw; /* its raw alerts: raws[raw0 .. raw0 + nraw) */
};

struct wwtp_episodes {
	const struct wwtp_alert_rec **raws; /* grouped by tag, by start within one */
	size_t nraws;
	struct ep_int *ep;
	size_t n, cap;
};

/* The policy of central's own alerts (forged data, a measuring
 * configuration changed, the analyzer against a laboratory result):
 * raised at once. */
static const struct wwtp_alarm_policy forged_policy = {
    .on_delay_s = 0, .off_delay_s = 86400, .rearm_s = 86400};

/* What an alert is about: the instrument for the kinds that are the
 * instrument's (a multi-parameter analyzer in fault is one fault, not one
 * per parameter it reads; its missing data likewise), else the parameter. */
static int of_device(const char *kind)
{
	return strcmp(kind, "fault") == 0 || strcmp(kind, "calibration") == 0 ||
	       strcmp(kind, "offline") == 0 || strcmp(kind, "availability") == 0;
}

static const char *subject(const struct wwtp_alert_rec *r)
{
	if (r->device[0] && (of_device(r->kind) || !r->param[0]))
		return r->device;
	return r->param;
}

static int tag_cmp(const struct wwtp_alert_rec *a, const struct wwtp_alert_rec *b)
{
	int c = strcmp(a->station, b->station);
	if (c == 0)
		c = strcmp(subject(a), subject(b));
	if (c == 0)
		c = strcmp(a->kind, b->kind);
	return c;
}

static int by_tag_then_start(const void *x, const void *y)
{
	const struct wwtp_alert_rec *a = *(const struct wwtp_alert_rec *const *)x;
	const struct wwtp_alert_rec *b = *(const struct wwtp_alert_rec *const *)y;
	int c = tag_cmp(a, b);
	if (c != 0)
		return c;
	if (a->start_ms != b->start_ms)
		return a->start_ms < b->start_ms ? -1 : 1;
	return strcmp(a->id, b->id);
}

static int64_t end_of(const struct wwtp_alert_rec *r)
{
	if (r->end_ms == 0)
		return OPEN;
	return r->end_ms < r->start_ms ? r->start_ms : r->end_ms;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t add_s(int64_t t, int s)
{
	return t == OPEN ? OPEN : t + 1000LL * s;
}

static struct ep_int *new_ep(struct wwtp_episodes *e)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		struct ep_int *p = realloc(e->ep, cap * sizeof(*p));
		if (!p)
			return NULL;
		e->ep = p;
		e->cap = cap;
	}
	struct ep_int *x = &e->ep[e->n++];
	memset(x, 0, sizeof(*x));
	return x;
}

static void add_window(struct wwtp_episode *p, int w)
{
	size_t i = 0;
	if (w <= 0)
		return;
	while (i < p->nwindows && p->windows_s[i] < w)
		i++;
	if ((i < p->nwindows && p->windows_s[i] == w) || p->nwindows == WWTP_ALERT_NOTE_WINDOWS_MAX)
		return;
	memmove(&p->windows_s[i + 1], &p->windows_s[i], (p->nwindows - i) * sizeof(int));
	p->windows_s[i] = w;
	p->nwindows++;
}

static double rank(double ratio)
{
	return isfinite(ratio) ? ratio : -1;
}

/* Fills what follows from the raw alerts once the episode is whole. */
static void finish(const struct wwtp_episodes *e, struct ep_int *x)
{
	struct wwtp_episode *p = &x->pub;
	const struct wwtp_alert_rec *best = NULL, *latest = NULL;

	for (size_t i = x->raw0; i < x->raw0 + x->nraw; i++) {
		const struct wwtp_alert_rec *r = e->raws[i];
		int open = r->end_ms == 0;
		p->open += open;
		if (open && (!best || rank(r->ratio) > rank(best->ratio)))
			best = r;
		latest = r; /* by start */
		size_t k = 0;
		while (k < p->nparams && strcmp(p->params[k], r->param) != 0)
			k++;
		if (k == p->nparams && r->param[0] && p->nparams < WWTP_EPISODE_PARAMS_MAX)
			p->params[p->nparams++] = r->param;
		if (open || p->end_ms != 0)
			add_window(p, r->window_s);
	}
	if (p->end_ms == 0 && p->open == 0) /* in its off-delay: the windows it held */
		for (size_t i = x->raw0; i < x->raw0 + x->nraw; i++)
			add_window(p, e->raws[i]->window_s);
	p->shown = best ? best : latest;
}

int wwtp_episodes_build(const struct wwtp_alert_rec *const *recs, size_t n,
			const struct wwtp_alarm_policies *pol, int64_t now_ms,
			struct wwtp_episodes **out)
{
	struct wwtp_episodes *e = calloc(1, sizeof(*e));
	if (!e || (n && !(e->raws = malloc(n * sizeof(*e->raws))))) {
		free(e);
		return WWTP_ERR_NOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (recs[i]->has_raise)
			e->raws[e->nraws++] = recs[i];
	if (e->nraws)
		qsort(e->raws, e->nraws, sizeof(*e->raws), by_tag_then_start);

	struct ep_int *x = NULL;
	const struct wwtp_alarm_policy *a = NULL;
	int64_t uend = 0,
		covered = 0; /* the episode's raw alerts: end of their union, active time */
	for (size_t i = 0; i < e->nraws; i++) {
		const struct wwtp_alert_rec *r = e->raws[i];
		int same = x && tag_cmp(e->raws[x->raw0], r) == 0;
		if (same) {
			int64_t close =
			    max64(add_s(uend, a->off_delay_s),
				  x->pub.raised ? add_s(x->pub.start_ms, a->rearm_s) : 0);
			if (r->start_ms >= close)
				same = 0; /* its end_ms was set with its last raw alert */
		}
		if (!same) {
			if (x)
				finish(e, x);
			if (!(x = new_ep(e))) {
				wwtp_episodes_free(e);
				return WWTP_ERR_NOMEM;
			}
			a = wwtp_alarm_policy_of(pol, r->kind);
			/* Forged data (ingest/evidence.h) is news at once. */
			if (strcmp(r->kind, "forged") == 0 ||
			    strcmp(r->kind, "config_change") == 0 ||
			    strcmp(r->kind, "lab_mismatch") == 0)
				a = &forged_policy;
			x->raw0 = i;
			x->pub.first = r;
			x->pub.subject = subject(r);
			x->pub.by_device = r->device[0] && strcmp(x->pub.subject, r->device) == 0;
			x->pub.priority = wwtp_alert_priority_of_kind(r->kind);
			x->pub.since_ms = r->since_ms ? r->since_ms : r->start_ms;
			uend = r->start_ms;
			covered = 0;
		}
		x->nraw++;
		x->pub.count++;
		x->pub.last_ms = r->start_ms;
		int64_t since = r->since_ms ? r->since_ms : r->start_ms;
		if (since < x->pub.since_ms)
			x->pub.since_ms = since;
		/* Its active time beyond what the union already holds, up to now. */
		int64_t lo = max64(r->start_ms, min64(uend, now_ms)), hi = min64(end_of(r), now_ms);
		if (hi > lo)
			covered += hi - lo;
		uend = max64(uend, end_of(r));
		if (!x->pub.raised) {
			int64_t need = 1000LL * a->on_delay_s;
			if (need == 0 && r->start_ms <= now_ms) {
				x->pub.raised = 1;
				x->pub.start_ms = r->start_ms;
			} else if (need > 0 && covered >= need) {
				x->pub.raised = 1;
				x->pub.start_ms = hi - (covered - need);
			}
		}
		x->pub.active_ms = covered;
		/* Is it over by now? Closed off_delay_s after its last raw alert
		 * cleared; a raw alert within rearm_s of its raise reopens it
		 * rather than raising another (above). */
		int64_t close = add_s(uend, a->off_delay_s);
		x->pub.end_ms = close <= now_ms ? close : 0;
		x->pub.clear_ms = uend == OPEN ? 0 : uend;
	}
	if (x)
		finish(e, x);
	*out = e;
	return 0;
}

void wwtp_episodes_free(struct wwtp_episodes *e)
{
	if (!e)
		return;
	free(e->raws);
	free(e->ep);
	free(e);
}

size_t wwtp_episodes_count(const struct wwtp_episodes *e)
{
	return e->n;
}

const struct wwtp_episode *wwtp_episodes_get(const struct wwtp_episodes *e, size_t i)
{
	return i < e->n ? &e->ep[i].pub : NULL;
}

static int day_cmp(const void *x, const void *y)
{
	const int64_t *a = x, *b = y;
	return (*a > *b) - (*a < *b);
}

void wwtp_episodes_rates(const struct wwtp_episodes *e, int64_t from_ms, int64_t to_ms,
			 struct wwtp_alarm_rates *out)
{
	memset(out, 0, sizeof(*out));
	if (to_ms <= from_ms)
		return;
	out->per_day = 0;
	/* Raised episodes per (station, day): counted per station run (the
	 * episodes are grouped by tag, stations in order). */
	int64_t *days = malloc((e->n ? e->n : 1) * sizeof(*days));
	size_t s0 = 0;
	for (size_t i = 0; i <= e->n; i++) {
		if (i < e->n &&
		    strcmp(e->ep[i].pub.first->station, e->ep[s0].pub.first->station) == 0)
			continue;
		/* Episodes s0 .. i of one station. */
		size_t nd = 0;
		for (size_t j = s0; j < i && days; j++) {
			const struct wwtp_episode *p = &e->ep[j].pub;
			if (p->raised && p->start_ms >= from_ms && p->start_ms < to_ms)
				days[nd++] = p->start_ms / DAY_MS;
		}
		if (days && nd) {
			qsort(days, nd, sizeof(*days), day_cmp);
			for (size_t k = 0, run = 0; k < nd; k++) {
				run = k && days[k] == days[k - 1] ? run + 1 : 1;
				if ((double)run > out->max_station_day) {
					out->max_station_day = (double)run;
					memcpy(out->max_station, e->ep[s0].pub.first->station,
					       sizeof(out->max_station));
				}
			}
		}
		s0 = i;
	}
	free(days);
	for (size_t i = 0; i < e->n; i++) {
		const struct ep_int *x = &e->ep[i];
		const struct wwtp_episode *p = &x->pub;
		if (p->raised && p->start_ms >= from_ms && p->start_ms < to_ms) {
			out->raised++;
			int k = 0;
			while (k < WWTP_ALERT_KINDS &&
			       strcmp(wwtp_alert_kind_name(k), p->first->kind))
				k++;
			out->by_kind[k]++;
		}
		/* A tag's raises within an hour: its raised episodes are in time
		 * order; three in an hour is chattering. Counted once per tag. */
		if (p->raised && (i == 0 || tag_cmp(e->ep[i - 1].pub.first, p->first) != 0)) {
			int64_t t[3] = {0, 0, 0};
			size_t k = 0;
			for (size_t j = i; j < e->n && tag_cmp(e->ep[j].pub.first, p->first) == 0;
			     j++) {
				const struct wwtp_episode *q = &e->ep[j].pub;
				if (!q->raised || q->start_ms < from_ms || q->start_ms >= to_ms)
					continue;
				t[k % 3] = q->start_ms;
				k++;
				if (k >= 3 && q->start_ms - t[k % 3] < HOUR_MS) {
					out->chattering++;
					break;
				}
			}
		}
		int high = p->priority == WWTP_PRIO_HIGH;
		for (size_t j = x->raw0; high && j < x->raw0 + x->nraw; j++) {
			const struct wwtp_alert_rec *r = e->raws[j];
			if (r->start_ms < from_ms || r->start_ms >= to_ms)
				continue;
			out->exceedances_raw++;
			out->exceedances_in += p->raised && p->start_ms <= r->start_ms;
		}
	}
	out->per_day = (double)out->raised / ((double)(to_ms - from_ms) / DAY_MS);
}
