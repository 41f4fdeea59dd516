/* span.c - the check of a stored span (span.h). */
#include "span.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../model/reading.h"
#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/sign.h"
#include "../../util/timeutil.h"
#include "decode.h"

/* A verified link. */
struct vlink {
	uint64_t link;
	int64_t time_ms;
	unsigned char hash[WWTP_SIGN_HASH_LEN], prev[WWTP_SIGN_HASH_LEN];
	struct wwtp_in_msg m; /* decoded; kind 0 when not */
};

/* A reading of a verified message. */
struct want {
	int64_t time_ms;
	const char *device;
	const struct wwtp_in_reading *r;
	uint64_t link;
	int seen;
};

struct out {
	wwtp_span_line_fn fn;
	void *ctx;
	struct wwtp_buf line;
};

static void say(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct out *o, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	o->fn(o->ctx, text);
}

static const char *when(int64_t ms, char *b, size_t n)
{
	if (wwtp_format_utc(ms, b, n) != 0)
		snprintf(b, n, "%" PRId64 " ms", ms);
	return b;
}

static int by_link(const void *a, const void *b)
{
	const struct vlink *x = a, *y = b;
	return x->link < y->link ? -1 : x->link > y->link;
}

static int str_cmp(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int key_cmp(int64_t ta, const char *da, const char *pa, int64_t tb, const char *db,
		   const char *pb)
{
	if (ta != tb)
		return ta < tb ? -1 : 1;
	int d = str_cmp(da, db);
	return d ? d : str_cmp(pa, pb);
}

static int by_key(const void *a, const void *b)
{
	const struct want *x = a, *y = b;
	return key_cmp(x->time_ms, x->device, x->r->param, y->time_ms, y->device, y->r->param);
}

static struct want *find_want(struct want *w, size_t n, const struct wwtp_span_point *p)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = key_cmp(w[mid].time_ms, w[mid].device, w[mid].r->param, p->time_ms,
				p->device, p->param);
		if (d == 0)
			return &w[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The values a reading's point carries (lineproto.c), as text. */
static void describe_want(const struct want *w, char *b, size_t n)
{
	const struct wwtp_in_reading *r = w->r;
	if (r->has_value)
		snprintf(b, n, "%s=%.17g status=%s unit=%s", r->suspect ? "suspect_value" : "value",
			 r->value, wwtp_reading_status_name(r->status), r->unit);
	else
		snprintf(b, n, "no value, status=%s unit=%s", wwtp_reading_status_name(r->status),
			 r->unit);
}

static void describe_point(const struct wwtp_span_point *p, char *b, size_t n)
{
	if (p->has_value)
		snprintf(b, n, "%s=%.17g status=%s unit=%s", p->suspect ? "suspect_value" : "value",
			 p->value, p->status ? p->status : "(none)", p->unit ? p->unit : "(none)");
	else
		snprintf(b, n, "no value, status=%s unit=%s", p->status ? p->status : "(none)",
			 p->unit ? p->unit : "(none)");
}

static int same_values(const struct want *w, const struct wwtp_span_point *p)
{
	const struct wwtp_in_reading *r = w->r;
	if (r->has_value != p->has_value)
		return 0;
	if (r->has_value && (r->value != p->value || (r->suspect != NULL) != (p->suspect != 0)))
		return 0;
	return str_cmp(wwtp_reading_status_name(r->status), p->status) == 0 &&
	       str_cmp(r->unit, p->unit) == 0;
}

/* Signatures: the verified links into v (*nv), the rest reported. */
static int check_links(const struct wwtp_span_in *in, const struct wwtp_reg_station *st,
		       struct wwtp_span_counts *c, struct out *o, struct vlink *v, size_t *nv)
{
	char topic[512], t[40];

	for (size_t i = 0; i < in->nlinks; i++) {
		const struct wwtp_span_signed *s = &in->links[i];
		struct vlink *l = &v[*nv];
		struct wwtp_reject_info why;
		uint64_t link = 0;

		c->links++;
		when(s->time_ms, t, sizeof(t));
		if (s->unreadable) {
			c->bad++;
			say(o,
			    "link %" PRId64
			    " at %s: its stored bytes cannot be read (not base64 of zlib data)",
			    s->chain, t);
			continue;
		}
		int rc = wwtp_sign_check(s->bytes, s->len, st->public_key, NULL, l->hash);
		if (rc < 0)
			return rc;
		if (rc != WWTP_SIGN_OK) {
			c->bad++;
			say(o, "link %" PRId64 " at %s: %s", s->chain, t,
			    rc == WWTP_SIGN_MISSING
				? "no signature: not the station's message"
				: "bad signature: the bytes were altered or not signed with "
				  "the station's key");
			continue;
		}
		c->good++;
		if (wwtp_sign_parse_link(s->bytes, s->len, &link, l->prev) != 0 || link == 0 ||
		    link != (uint64_t)s->chain) {
			c->misplaced++;
			say(o,
			    "link %" PRId64 " at %s: the signed message is link %" PRIu64
			    ", stored as link %" PRId64,
			    s->chain, t, link, s->chain);
			continue;
		}
		snprintf(topic, sizeof(topic), "%s/%s/%s", in->prefix, in->station,
			 s->alert    ? "alert"
			 : s->config ? "config"
				     : "telemetry");
		memset(&l->m, 0, sizeof(l->m));
		rc = wwtp_decode(topic, strlen(topic), in->prefix, s->bytes, s->len, in->reg,
				 in->now_ms, &l->m, &why);
		if (rc == WWTP_ERR_NOMEM)
			return rc;
		if (rc != 0) {
			c->misplaced++;
			say(o,
			    "link %" PRIu64
			    " at %s: signed, but not a message central stores (%s: %s)",
			    link, t, wwtp_reject_name(why.reason), why.text);
			continue;
		}
		l->link = link;
		l->time_ms = s->time_ms;
		(*nv)++;
	}
	return 0;
}

/* The first link against the stored link before the span, if that is
 * the station's and the one before it. */
static int check_before(const struct wwtp_span_in *in, const struct wwtp_reg_station *st,
			const struct vlink *first, struct wwtp_span_counts *c, struct out *o)
{
	const struct wwtp_span_signed *b = in->before;
	unsigned char hash[WWTP_SIGN_HASH_LEN], prev[WWTP_SIGN_HASH_LEN];
	uint64_t link = 0;
	char t[40];

	if (!b || b->unreadable || b->chain <= 0 || (uint64_t)b->chain + 1 != first->link)
		return 0;
	int rc = wwtp_sign_check(b->bytes, b->len, st->public_key, NULL, hash);
	if (rc < 0)
		return rc;
	when(b->time_ms, t, sizeof(t));
	if (rc != WWTP_SIGN_OK || wwtp_sign_parse_link(b->bytes, b->len, &link, prev) != 0 ||
	    link + 1 != first->link) {
		c->bad++;
		say(o, "link %" PRId64 " at %s, just before the span: %s", b->chain, t,
		    rc != WWTP_SIGN_OK ? "bad signature" : "the signed message is another link");
		return 0;
	}
	c->before_checked = 1;
	if (memcmp(first->prev, hash, WWTP_SIGN_HASH_LEN) != 0) {
		c->broken++;
		say(o,
		    "broken link %" PRIu64 ": its prev is not the hash of link %" PRIu64
		    " (at %s, just before the span)",
		    first->link, link, t);
	}
	return 0;
}

/* The chain: holes and links that do not follow the one before. */
static void check_chain(struct vlink *v, size_t *nv, struct wwtp_span_counts *c, struct out *o)
{
	char t1[40], t2[40];
	size_t k = 0;

	qsort(v, *nv, sizeof(*v), by_link);
	for (size_t i = 0; i < *nv; i++) {
		if (k > 0 && v[i].link == v[k - 1].link) {
			/* The same link twice (stored again at another time). */
			if (memcmp(v[i].hash, v[k - 1].hash, WWTP_SIGN_HASH_LEN) != 0) {
				c->broken++;
				say(o,
				    "link %" PRIu64
				    " is stored twice with different signed bytes (at %s and %s)",
				    v[i].link, when(v[k - 1].time_ms, t1, sizeof(t1)),
				    when(v[i].time_ms, t2, sizeof(t2)));
			}
			wwtp_in_msg_clear(&v[i].m);
			continue;
		}
		v[k++] = v[i];
	}
	*nv = k;
	if (k > 0) {
		c->first = (size_t)v[0].link;
		c->last = (size_t)v[k - 1].link;
	}
	for (size_t i = 1; i < k; i++) {
		const struct vlink *a = &v[i - 1], *b = &v[i];
		if (b->link == a->link + 1) {
			if (memcmp(b->prev, a->hash, WWTP_SIGN_HASH_LEN) != 0) {
				c->broken++;
				say(o,
				    "broken link %" PRIu64
				    " at %s: its prev is not the hash of link %" PRIu64,
				    b->link, when(b->time_ms, t1, sizeof(t1)), a->link);
			}
			continue;
		}
		c->gaps++;
		c->missing += (size_t)(b->link - a->link - 1);
		when(a->time_ms, t1, sizeof(t1));
		when(b->time_ms, t2, sizeof(t2));
		if (a->m.kind == WWTP_MSG_TELEMETRY && b->m.kind == WWTP_MSG_TELEMETRY &&
		    b->m.seq > a->m.seq + 1)
			say(o,
			    "missing links %" PRIu64 "..%" PRIu64 " (telemetry seq %" PRId64
			    "..%" PRId64 "), between %s and %s",
			    a->link + 1, b->link - 1, a->m.seq + 1, b->m.seq - 1, t1, t2);
		else
			say(o, "missing links %" PRIu64 "..%" PRIu64 ", between %s and %s",
			    a->link + 1, b->link - 1, t1, t2);
	}
}

/* The reading points against the verified telemetry's readings. */
static int check_points(const struct wwtp_span_in *in, const struct vlink *v, size_t nv,
			struct wwtp_span_counts *c, struct out *o)
{
	char t[40], got[256], want[256];
	size_t n = 0;

	for (size_t i = 0; i < nv; i++)
		if (v[i].m.kind == WWTP_MSG_TELEMETRY)
			n += v[i].m.nreadings;
	struct want *w = calloc(n ? n : 1, sizeof(*w));
	if (!w)
		return WWTP_ERR_NOMEM;
	n = 0;
	for (size_t i = 0; i < nv; i++)
		for (size_t j = 0; v[i].m.kind == WWTP_MSG_TELEMETRY && j < v[i].m.nreadings; j++)
			w[n++] = (struct want){.time_ms = v[i].m.ts_ms,
					       .device = v[i].m.device,
					       .r = &v[i].m.readings[j],
					       .link = v[i].link};
	qsort(w, n, sizeof(*w), by_key);
	for (size_t i = 0; i < in->npoints; i++) {
		const struct wwtp_span_point *p = &in->points[i];
		struct want *m = find_want(w, n, p);
		c->points++;
		when(p->time_ms, t, sizeof(t));
		describe_point(p, got, sizeof(got));
		if (!m) {
			c->unaccounted++;
			say(o,
			    "reading at %s device=%s param=%s (%s): no verified message has it "
			    "(written to InfluxDB directly?)",
			    t, p->device ? p->device : "(none)", p->param ? p->param : "(none)",
			    got);
			continue;
		}
		m->seen = 1;
		if (!same_values(m, p)) {
			c->altered++;
			describe_want(m, want, sizeof(want));
			say(o,
			    "reading at %s device=%s param=%s: altered: stored %s, signed in link "
			    "%" PRIu64 " %s",
			    t, p->device, p->param, got, m->link, want);
			continue;
		}
		c->accounted++;
	}
	for (size_t i = 0; i < n; i++) {
		if (w[i].seen)
			continue;
		c->deleted++;
		describe_want(&w[i], want, sizeof(want));
		say(o,
		    "reading at %s device=%s param=%s (%s) of link %" PRIu64
		    ": not stored (deleted?)",
		    when(w[i].time_ms, t, sizeof(t)), w[i].device, w[i].r->param, want, w[i].link);
	}
	free(w);
	return 0;
}

int wwtp_span_check(const struct wwtp_span_in *in, struct wwtp_span_counts *c, wwtp_span_line_fn fn,
		    void *ctx)
{
	const struct wwtp_reg_station *st = wwtp_registry_find(in->reg, in->station);
	struct out o = {.fn = fn, .ctx = ctx};
	size_t nv = 0;
	int rc;

	memset(c, 0, sizeof(*c));
	if (!st || !st->has_key)
		return WWTP_ERR_NOTFOUND;
	struct vlink *v = calloc(in->nlinks ? in->nlinks : 1, sizeof(*v));
	if (!v)
		return WWTP_ERR_NOMEM;
	rc = check_links(in, st, c, &o, v, &nv);
	if (rc == 0) {
		check_chain(v, &nv, c, &o);
		if (nv > 0)
			rc = check_before(in, st, &v[0], c, &o);
	}
	if (rc == 0)
		rc = check_points(in, v, nv, c, &o);
	for (size_t i = 0; i < nv; i++)
		wwtp_in_msg_clear(&v[i].m);
	free(v);
	return rc;
}

int wwtp_span_ok(const struct wwtp_span_counts *c)
{
	return c->bad == 0 && c->misplaced == 0 && c->gaps == 0 && c->broken == 0 &&
	       c->unaccounted == 0 && c->altered == 0 && c->deleted == 0;
}
