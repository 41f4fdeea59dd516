/* verify.c - central's check of the signed chain (see verify.h). */
#include "verify.h"

#include <stdlib.h>
#include <string.h>

#include "../../util/err.h"
#include "../../util/sign.h"

struct vstation {
	uint64_t last; /* highest link seen; 0: none yet */
	unsigned char hash[WWTP_SIGN_HASH_LEN];
	int hash_unknown; /* last was read back at start, not seen */
	/* The telemetry with the highest link seen since start, in whatever
	 * order (0: none). */
	uint64_t tel_link;
	int64_t tel_seq;
	size_t ngaps;
	struct wwtp_chain_gap gaps[WWTP_VERIFY_MAX_GAPS];
};

struct wwtp_verify {
	const struct wwtp_registry *reg;
	size_t n;
	struct vstation *st; /* by registry index */
};

const char *wwtp_verify_verdict_name(int v)
{
	switch (v) {
	case WWTP_VERIFY_NOKEY:
		return "unsigned";
	case WWTP_VERIFY_OK:
		return "verified";
	case WWTP_VERIFY_MISSING:
		return "missing";
	case WWTP_VERIFY_BAD:
		return "bad";
	default:
		return "?";
	}
}

struct wwtp_verify *wwtp_verify_new(const struct wwtp_registry *reg)
{
	struct wwtp_verify *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->reg = reg;
	v->n = wwtp_registry_count(reg);
	v->st = calloc(v->n ? v->n : 1, sizeof(*v->st));
	if (!v->st) {
		free(v);
		return NULL;
	}
	return v;
}

void wwtp_verify_free(struct wwtp_verify *v)
{
	if (!v)
		return;
	free(v->st);
	free(v);
}

static void report(struct wwtp_verify_out *out, const struct wwtp_chain_gap *g)
{
	if (out->ngaps >= sizeof(out->gaps) / sizeof(out->gaps[0]))
		return;
	struct wwtp_chain_gap *o = &out->gaps[out->ngaps++];
	*o = *g;
	o->seq_from = o->seq_to = 0;
	if (g->seq_lo > 0 && g->seq_hi > g->seq_lo + 1) {
		o->seq_from = g->seq_lo + 1;
		o->seq_to = g->seq_hi - 1;
	}
}

static void drop_gap(struct vstation *s, size_t i)
{
	memmove(&s->gaps[i], &s->gaps[i + 1], (s->ngaps - i - 1) * sizeof(s->gaps[0]));
	s->ngaps--;
}

/* Opens links from..to as a gap (the oldest goes out, reported, when full).
 * Its telemetry neighbours: on the left the highest telemetry seen, unless
 * another hole lies between; on the right this message if telemetry (else
 * the next new telemetry, in chain_step). Messages may come out of order
 * (a reconnected gateway sends new ones before its backlog), so either may
 * be learned later, as the hole is filled from its ends (fill). */
static void open_gap(struct vstation *s, struct wwtp_verify_out *out, uint64_t from, uint64_t to,
		     int telemetry, int64_t seq, int64_t now_ms)
{
	struct wwtp_chain_gap g = {.from = from, .to = to, .seen_ms = now_ms};
	if (s->tel_link > 0 && (s->ngaps == 0 || s->gaps[s->ngaps - 1].to < s->tel_link))
		g.seq_lo = s->tel_seq;
	if (telemetry)
		g.seq_hi = seq;
	/* Everything in it is older than this message: once the station's
	 * floor reaches this seq, none of it can still come. */
	if (telemetry)
		g.final_floor = seq;
	if (s->ngaps == WWTP_VERIFY_MAX_GAPS) {
		report(out, &s->gaps[0]);
		drop_gap(s, 0);
	}
	s->gaps[s->ngaps++] = g;
}

/* A late link inside an open gap: the gap shrinks or splits. */
static void fill(struct vstation *s, struct wwtp_verify_out *out, uint64_t link, int telemetry,
		 int64_t seq)
{
	for (size_t i = 0; i < s->ngaps; i++) {
		struct wwtp_chain_gap *g = &s->gaps[i];
		if (link < g->from || link > g->to)
			continue;
		if (g->from == g->to) {
			drop_gap(s, i);
		} else if (link == g->from) {
			g->from++;
			if (telemetry)
				g->seq_lo = seq;
		} else if (link == g->to) {
			g->to--;
			if (telemetry)
				g->seq_hi = seq;
		} else {
			/* Each part's neighbour on this side is this message if
			 * telemetry, else unknown (it lies in the other part). */
			struct wwtp_chain_gap right = *g;
			size_t at = i + 1;
			right.from = link + 1;
			g->to = link - 1;
			right.seq_lo = telemetry ? seq : 0;
			g->seq_hi = telemetry ? seq : 0;
			if (s->ngaps == WWTP_VERIFY_MAX_GAPS) {
				report(out, &s->gaps[0]);
				drop_gap(s, 0);
				at--;
			}
			memmove(&s->gaps[at + 1], &s->gaps[at],
				(s->ngaps - at) * sizeof(s->gaps[0]));
			s->gaps[at] = right;
			s->ngaps++;
		}
		return;
	}
}

/* Gaps the station's floor has passed: final, reported and forgotten. */
static void settle(struct vstation *s, struct wwtp_verify_out *out, uint64_t link, int telemetry,
		   int64_t seq, int64_t floor)
{
	for (size_t i = 0; i < s->ngaps;) {
		struct wwtp_chain_gap *g = &s->gaps[i];
		/* Only telemetry after the hole bounds what it held: a late one
		 * from before it (a backlog) says nothing of it. */
		if (g->final_floor == 0 && telemetry && seq > 0 && link > g->to)
			g->final_floor = seq;
		if (telemetry && g->final_floor > 0 && floor >= g->final_floor) {
			report(out, g);
			drop_gap(s, i);
			continue;
		}
		i++;
	}
}

static void chain_step(struct vstation *s, struct wwtp_verify_out *out, uint64_t link,
		       const unsigned char prev[WWTP_SIGN_HASH_LEN],
		       const unsigned char hash[WWTP_SIGN_HASH_LEN], int telemetry, int64_t seq,
		       int64_t floor, int64_t now_ms)
{
	static const unsigned char zero[WWTP_SIGN_HASH_LEN];

	if (link == 1 && s->last > 1 && memcmp(prev, zero, sizeof(zero)) == 0) {
		/* The gateway lost its chain head (a new store): a new chain. */
		out->restarted = 1;
		for (size_t i = 0; i < s->ngaps; i++)
			report(out, &s->gaps[i]);
		s->ngaps = 0;
		s->last = 0;
	}
	if (s->last == 0 || link > s->last) {
		if (s->last > 0 && link == s->last + 1 && !s->hash_unknown &&
		    memcmp(prev, s->hash, sizeof(s->hash)) != 0)
			out->broken = link;
		if (s->last > 0 && link > s->last + 1)
			open_gap(s, out, s->last + 1, link - 1, telemetry, seq, now_ms);
		else if (telemetry && s->ngaps > 0 && s->gaps[s->ngaps - 1].seq_hi == 0 &&
			 s->tel_link < s->gaps[s->ngaps - 1].from)
			s->gaps[s->ngaps - 1].seq_hi = seq; /* the last hole's right side */
		s->last = link;
		memcpy(s->hash, hash, sizeof(s->hash));
		s->hash_unknown = 0;
	} else {
		fill(s, out, link, telemetry, seq); /* late, or a repeat */
	}
	if (telemetry && link > s->tel_link) {
		s->tel_link = link;
		s->tel_seq = seq;
	}
	settle(s, out, link, telemetry, seq, floor);
}

int wwtp_verify_message(struct wwtp_verify *v, const char *station, const char *payload, size_t len,
			int chained, int telemetry, int64_t seq, int64_t floor, int64_t now_ms,
			struct wwtp_verify_out *out)
{
	unsigned char hash[WWTP_SIGN_HASH_LEN], prev[WWTP_SIGN_HASH_LEN];
	const struct wwtp_reg_station *r = wwtp_registry_find(v->reg, station);
	uint64_t link = 0;

	memset(out, 0, sizeof(*out));
	if (!r || !r->has_key)
		return 0;
	int rc = wwtp_sign_check(payload, len, r->public_key, NULL, hash);
	if (rc < 0)
		return rc;
	if (rc == WWTP_SIGN_MISSING) {
		out->verdict = WWTP_VERIFY_MISSING;
		return 0;
	}
	if (rc != WWTP_SIGN_OK) {
		out->verdict = WWTP_VERIFY_BAD;
		return 0;
	}
	out->verdict = WWTP_VERIFY_OK;
	/* Signed by the station: its link is what the gateway meant. */
	if (!chained || wwtp_sign_parse_link(payload, len, &link, prev) != 0 || link == 0)
		return 0;
	out->link = link;
	struct vstation *s = &v->st[r - wwtp_registry_get(v->reg, 0)];
	chain_step(s, out, link, prev, hash, telemetry, seq, floor, now_ms);
	return 0;
}

void wwtp_verify_resume(struct wwtp_verify *v, const char *station, uint64_t last)
{
	const struct wwtp_reg_station *r = wwtp_registry_find(v->reg, station);
	if (!r || !r->has_key)
		return;
	struct vstation *s = &v->st[r - wwtp_registry_get(v->reg, 0)];
	/* The highest of several read back (readings, alerts). */
	if ((s->last == 0 || s->hash_unknown) && last > s->last) {
		s->last = last;
		s->hash_unknown = 1;
	}
}

void wwtp_verify_resume_hash(struct wwtp_verify *v, const char *station, uint64_t link,
			     const unsigned char hash[WWTP_SIGN_HASH_LEN])
{
	const struct wwtp_reg_station *r = wwtp_registry_find(v->reg, station);
	if (!r || !r->has_key)
		return;
	struct vstation *s = &v->st[r - wwtp_registry_get(v->reg, 0)];
	if (s->hash_unknown && s->last == link && link > 0) {
		memcpy(s->hash, hash, sizeof(s->hash));
		s->hash_unknown = 0;
	}
}

size_t wwtp_verify_unsigned(const struct wwtp_verify *v, void (*fn)(const char *station, void *ctx),
			    void *ctx)
{
	size_t keyed = 0;
	for (size_t i = 0; i < v->n; i++) {
		const struct wwtp_reg_station *r = wwtp_registry_get(v->reg, i);
		if (r->has_key)
			keyed++;
		else if (fn)
			fn(r->id, ctx);
	}
	return keyed;
}
