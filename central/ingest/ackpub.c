/* ackpub.c - central's end-to-end acknowledgements (see ackpub.h). */
#include "ackpub.h"

#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../model/station.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/timeutil.h"

#define ACK_MOD "ack"
/* Numbers held above the contiguous one, per station and kind: a gap this
 * wide waits for the sender's next floor, what does not fit is sent again
 * by the collector anyway. */
#define ACK_ABOVE_MAX 65536
/* Stations acknowledged (a bound against topics of stations that do not
 * exist: only registered ones get here). */
#define ACK_STATIONS_MAX 100000
/* Messages waiting for the spool's fsync (a spool that cannot sync holds
 * them all back). */
#define ACK_NOTES_MAX ((size_t)1 << 20)

struct ack_stream {
	int64_t contig; /* every number up to this one is stored */
	int64_t *above; /* stored numbers above contig + 1, sorted, unique */
	size_t n, cap;
};

struct ack_station {
	char id[WWTP_ID_MAX];
	struct ack_stream s[2]; /* telemetry, alerts */
	int64_t sent[2];	/* what the last publish said */
	int dirty;
	int ever;
};

struct note {
	uint64_t ticket;
	size_t station;
	int alert;
	int64_t seq, floor;
};

struct wwtp_ackpub {
	pthread_mutex_t lock;
	char prefix[WWTP_ID_MAX * 2];
	wwtp_ackpub_publish_fn pub;
	void *ctx;
	struct ack_station *st;
	size_t nst, cap_st;
	struct note *q; /* FIFO: tickets only grow */
	size_t qhead, qn, qcap;
	uint64_t connects;
	struct wwtp_ackpub_stats stats;
	struct wwtp_complain complain;
};

struct wwtp_ackpub *wwtp_ackpub_new(const char *prefix, wwtp_ackpub_publish_fn pub, void *ctx)
{
	struct wwtp_ackpub *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	snprintf(a->prefix, sizeof(a->prefix), "%s", prefix);
	a->pub = pub;
	a->ctx = ctx;
	a->complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	pthread_mutex_init(&a->lock, NULL);
	return a;
}

void wwtp_ackpub_free(struct wwtp_ackpub *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nst; i++)
		for (int k = 0; k < 2; k++)
			free(a->st[i].s[k].above);
	free(a->st);
	free(a->q);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

/* Index of station id, added if new; (size_t)-1 when out of room. */
static size_t station_index(struct wwtp_ackpub *a, const char *id)
{
	for (size_t i = 0; i < a->nst; i++)
		if (strcmp(a->st[i].id, id) == 0)
			return i;
	if (a->nst >= ACK_STATIONS_MAX || strlen(id) >= WWTP_ID_MAX)
		return (size_t)-1;
	if (a->nst == a->cap_st) {
		size_t cap = a->cap_st ? a->cap_st * 2 : 32;
		struct ack_station *p = realloc(a->st, cap * sizeof(*p));
		if (!p)
			return (size_t)-1;
		a->st = p;
		a->cap_st = cap;
	}
	memset(&a->st[a->nst], 0, sizeof(a->st[a->nst]));
	snprintf(a->st[a->nst].id, sizeof(a->st[a->nst].id), "%s", id);
	return a->nst++;
}

void wwtp_ackpub_note(struct wwtp_ackpub *a, const char *station, int alert, int64_t seq,
		      int64_t floor, uint64_t ticket)
{
	if (seq <= 0 && floor <= 0)
		return;
	pthread_mutex_lock(&a->lock);
	size_t i = station_index(a, station);
	if (i != (size_t)-1 && a->qhead + a->qn == a->qcap) {
		if (a->qhead > 0) {
			memmove(a->q, a->q + a->qhead, a->qn * sizeof(*a->q));
			a->qhead = 0;
		}
		if (a->qn == a->qcap && a->qcap < ACK_NOTES_MAX) {
			size_t cap = a->qcap ? a->qcap * 2 : 256;
			struct note *p = realloc(a->q, cap * sizeof(*p));
			if (p) {
				a->q = p;
				a->qcap = cap;
			}
		}
	}
	if (i != (size_t)-1 && a->qhead + a->qn < a->qcap)
		a->q[a->qhead + a->qn++] = (struct note){
		    .ticket = ticket, .station = i, .alert = !!alert, .seq = seq, .floor = floor};
	else /* not acknowledged: the collector sends it again */
		wwtp_complain(&a->complain, WWTP_LOG_WARN, ACK_MOD,
			      "no room to note a message of %s: it goes unacknowledged for now",
			      station);
	pthread_mutex_unlock(&a->lock);
}

/* Inserts v (> contig + 1) into the sorted list. */
static void above_add(struct ack_stream *s, int64_t v)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->above[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->n && s->above[lo] == v)
		return; /* a repeat */
	if (s->n == s->cap) {
		if (s->cap >= ACK_ABOVE_MAX) {
			if (lo == s->n)
				return; /* the highest: sent again later */
			s->n--;		/* the highest goes */
		} else {
			size_t cap = s->cap ? s->cap * 2 : 64;
			int64_t *p = realloc(s->above, cap * sizeof(*p));
			if (!p)
				return;
			s->above = p;
			s->cap = cap;
		}
	}
	memmove(s->above + lo + 1, s->above + lo, (s->n - lo) * sizeof(*s->above));
	s->above[lo] = v;
	s->n++;
}

static void stream_take(struct ack_stream *s, int64_t seq, int64_t floor)
{
	if (floor - 1 > s->contig)
		s->contig = floor - 1;
	if (seq > s->contig)
		above_add(s, seq);
	size_t k = 0;
	while (k < s->n && s->above[k] <= s->contig + 1) {
		if (s->above[k] == s->contig + 1)
			s->contig++;
		k++;
	}
	if (k > 0) {
		memmove(s->above, s->above + k, (s->n - k) * sizeof(*s->above));
		s->n -= k;
	}
}

/* One acknowledgement to publish, taken under the lock and published
 * without it: the MQTT client's own lock is held by its receive thread
 * while it hands us a message (which notes it, under our lock). */
struct outgoing {
	size_t station;
	char id[WWTP_ID_MAX];
	int64_t seq[2];
};

static int publish(struct wwtp_ackpub *a, const struct outgoing *o, int64_t now_ms)
{
	char topic[WWTP_ID_MAX * 4], payload[WWTP_ID_MAX + 160], ts[32];

	wwtp_format_utc(now_ms, ts, sizeof(ts));
	int t = snprintf(topic, sizeof(topic), "%s/%s/ack", a->prefix, o->id);
	/* Station ids are [a-z0-9-] (the registry's): no JSON escaping. */
	int p = snprintf(payload, sizeof(payload),
			 "{\"v\":1,\"station\":\"%s\",\"seq\":%" PRId64 ",\"alert_seq\":%" PRId64
			 ",\"ts\":\"%s\"}",
			 o->id, o->seq[0], o->seq[1], ts);
	if (t < 0 || (size_t)t >= sizeof(topic) || p < 0 || (size_t)p >= sizeof(payload))
		return WWTP_ERR_RANGE;
	return a->pub(a->ctx, topic, payload, (size_t)p);
}

void wwtp_ackpub_pump(struct wwtp_ackpub *a, uint64_t synced, uint64_t connects, int64_t now_ms)
{
	struct outgoing *out = NULL;
	size_t nout = 0;

	pthread_mutex_lock(&a->lock);
	while (a->qn > 0 && a->q[a->qhead].ticket <= synced) {
		struct note *n = &a->q[a->qhead];
		struct ack_station *st = &a->st[n->station];
		stream_take(&st->s[n->alert], n->seq, n->floor);
		if (st->s[0].contig != st->sent[0] || st->s[1].contig != st->sent[1])
			st->dirty = 1;
		a->qhead++;
		a->qn--;
	}
	if (a->qn == 0)
		a->qhead = 0;
	int again = connects != a->connects;
	a->connects = connects;
	for (size_t i = 0; i < a->nst; i++) {
		if (again && a->st[i].ever)
			a->st[i].dirty = 1;
		nout += a->st[i].dirty ? 1 : 0;
	}
	if (nout > 0 && (out = calloc(nout, sizeof(*out))) != NULL) {
		nout = 0;
		for (size_t i = 0; i < a->nst; i++) {
			if (!a->st[i].dirty)
				continue;
			out[nout].station = i;
			memcpy(out[nout].id, a->st[i].id, sizeof(out[nout].id));
			out[nout].seq[0] = a->st[i].s[0].contig;
			out[nout].seq[1] = a->st[i].s[1].contig;
			nout++;
		}
	} else {
		nout = 0; /* out of memory: at the next pump */
	}
	pthread_mutex_unlock(&a->lock);

	for (size_t k = 0; k < nout; k++) {
		if (publish(a, &out[k], now_ms) != 0)
			break; /* not connected: the rest at the next pump */
		pthread_mutex_lock(&a->lock);
		struct ack_station *st = &a->st[out[k].station];
		st->sent[0] = out[k].seq[0];
		st->sent[1] = out[k].seq[1];
		st->dirty = st->s[0].contig != st->sent[0] || st->s[1].contig != st->sent[1];
		if (!st->ever)
			a->stats.stations++;
		st->ever = 1;
		a->stats.published++;
		pthread_mutex_unlock(&a->lock);
	}
	free(out);
}

void wwtp_ackpub_note_refused(struct wwtp_ackpub *a, const char *topic, size_t topic_len,
			      const void *payload, size_t len)
{
	size_t plen = strlen(a->prefix);
	char station[WWTP_ID_MAX];
	const char *p, *slash;
	int alert;

	if (topic_len <= plen + 1 || memcmp(topic, a->prefix, plen) != 0 || topic[plen] != '/' ||
	    memchr(topic, '\0', topic_len))
		return;
	p = topic + plen + 1;
	slash = memchr(p, '/', topic_len - plen - 1);
	if (!slash || (size_t)(slash - p) >= sizeof(station) || slash == p)
		return;
	size_t rest = topic_len - (size_t)(slash + 1 - topic);
	if (rest == 9 && memcmp(slash + 1, "telemetry", 9) == 0)
		alert = 0;
	else if ((rest == 5 && memcmp(slash + 1, "alert", 5) == 0) ||
		 (rest == 6 && memcmp(slash + 1, "config", 6) == 0))
		alert = 1; /* config messages are numbered with the alerts */
	else
		return;
	memcpy(station, p, (size_t)(slash - p));
	station[slash - p] = '\0';
	json_t *root = json_loadb(payload, len, 0, NULL);
	json_t *seq = json_object_get(root, "seq"), *floor = json_object_get(root, "floor");
	int64_t s =
	    json_is_integer(seq) && json_integer_value(seq) > 0 ? json_integer_value(seq) : 0;
	int64_t f =
	    json_is_integer(floor) && json_integer_value(floor) > 0 ? json_integer_value(floor) : 0;
	json_decref(root);
	wwtp_ackpub_note(a, station, alert, s, f, 0);
}

void wwtp_ackpub_get_stats(struct wwtp_ackpub *a, struct wwtp_ackpub_stats *out)
{
	pthread_mutex_lock(&a->lock);
	*out = a->stats;
	pthread_mutex_unlock(&a->lock);
}
