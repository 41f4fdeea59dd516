/* forward.c - store and forward (see forward.h). */
#include "forward.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../compliance/evaluator.h"
#include "../payload/payload.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "forward-private.h"

#define MOD "store"

/* A batch holding only deletions (acknowledgements) and the seq waits this
 * long: losing it to a crash only means sending a few messages twice. */
#define QUIET_COMMIT_MS 10000
/* Messages read from the store per lane and turn. */
#define SCAN_MAX 64
#define DEFAULT_AGE_CHECK_MS 60000
/* Smallest default bound: SQLite's own pages and a margin. */
#define MIN_DEFAULT_BYTES (16ull * 1024 * 1024)
/* Per stored message besides its payload: topic, numbers, b-tree cell and
 * the part of a page a cell cannot use. */
#define ROW_OVERHEAD 96
/* Messages the batch may hold in memory while the store cannot commit. */
#define PEND_MAX 10000
/* Messages per transaction when the batch goes in again after a fault. */
#define PEND_CHUNK 8
/* Retries of a failing commit: 1 s doubling to 30 s. */
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 30000
/* Commits must work this long before a fault counts as over. */
#define FAULT_SETTLE_MS 10000
#define DEFAULT_CONFIRM_TIMEOUT_MS 60000
#define RESEND_MAX_MS 3600000

WWTP_PRIVATE int idset_init(struct idset *s, size_t want)
{
	size_t cap = 16;
	while (cap < 2 * want)
		cap *= 2;
	s->slot = calloc(cap, sizeof(*s->slot));
	s->mask = cap - 1;
	s->n = 0;
	return s->slot ? 0 : WWTP_ERR_NOMEM;
}

static size_t idset_hash(const struct idset *s, int64_t id)
{
	uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15ull;
	return (size_t)(x >> 32) & s->mask;
}

WWTP_PRIVATE int idset_has(const struct idset *s, int64_t id)
{
	for (size_t i = idset_hash(s, id);; i = (i + 1) & s->mask) {
		if (s->slot[i] == id)
			return 1;
		if (s->slot[i] == 0)
			return 0;
	}
}

/* The caller keeps n below half the capacity (the window). */
WWTP_PRIVATE void idset_add(struct idset *s, int64_t id)
{
	size_t i = idset_hash(s, id);
	while (s->slot[i] != 0 && s->slot[i] != id)
		i = (i + 1) & s->mask;
	if (s->slot[i] == 0) {
		s->slot[i] = id;
		s->n++;
	}
}

WWTP_PRIVATE int idset_del(struct idset *s, int64_t id)
{
	size_t i = idset_hash(s, id);
	while (s->slot[i] != id) {
		if (s->slot[i] == 0)
			return 0;
		i = (i + 1) & s->mask;
	}
	s->slot[i] = 0;
	s->n--;
	/* Pull later members of the run back over the hole, so that lookups
	 * that stop at a free slot still find them. */
	for (size_t j = (i + 1) & s->mask; s->slot[j] != 0; j = (j + 1) & s->mask) {
		size_t home = idset_hash(s, s->slot[j]);
		if (((j - home) & s->mask) >= ((j - i) & s->mask)) {
			s->slot[i] = s->slot[j];
			s->slot[j] = 0;
			i = j;
		}
	}
	return 1;
}

struct wwtp_forward {
	struct wwtp_store *store;
	struct wwtp_outbox *outbox;
	struct wwtp_mqtt *mqtt;
	struct wwtp_forward_cfg cfg;
	struct idset inflight;

	/* Lanes. Rows below live_from were stored before the current
	 * connection (or were sent and not confirmed in time): backlog. */
	int64_t live_from;
	int64_t live_next;
	int64_t back_next;
	uint64_t seen_connects;
	double tokens; /* backlog messages that may go now */
	int64_t tokens_at;
	/* Highest id that is committed and whose seq is in the mark: what
	 * may leave the station. */
	int64_t sendable_id;
	/* Outbox tags carry the store's generation: ids start again at 1 in
	 * a store made after a damaged one was set aside. */
	uint64_t gen;

	/* Batches. */
	int64_t batch_since; /* monotonic ms of the first append of the batch; 0: none */
	int64_t quiet_since; /* of the first other change; 0: none */
	int64_t next_age_check;
	int64_t sync_due;	  /* monotonic ms the WAL must be synced by; 0: nothing unsynced */
	int64_t confirms_at;	  /* monotonic ms confirmations were last applied */
	uint64_t seq, seq_stored; /* telemetry seq: last used, last put in meta */
	uint64_t aseq, aseq_stored; /* alert numbers likewise */

	/* The batch not committed yet, kept in memory: when a commit fails
	 * (a full disk, a damaged file) it is put again into the store once
	 * it works, so a lasting fault loses only what overflows this. */
	struct pend *pend;
	size_t npend, cap_pend;
	int failing;	    /* the last commit failed: the store holds none of pend */
	int64_t next_retry; /* monotonic */
	int64_t backoff_ms;
	int64_t fault_since;	/* a fault is open (said once), 0: none */
	int64_t fault_ok_since; /* commits work again since; the fault closes once settled */
	uint64_t fault_lost, fault_kept;
	uint64_t drop_full_pending, drop_age_pending; /* in the open transaction */
	/* Rows the broker's PUBACK deleted in the open transaction: deleted
	 * again if it is rolled back (else they would stay, behind the lanes'
	 * cursors, and be dropped or sent much later). */
	int64_t *acked_ids;
	size_t nacked, cap_acked;
	/* Committed rows the broker has acknowledged since the last commit
	 * (their deletion not yet durable): delivered, so not lost if the
	 * file turns out damaged. */
	uint64_t delivered_uncommitted;

	/* Confirmations from central. */
	uint64_t confirmed_seq, confirmed_aseq;
	int64_t last_progress; /* monotonic: last confirmation, or nothing waiting for one */
	int unconfirmed;       /* the broker took rows that central has not confirmed */
	int64_t resend_after;  /* the current wait before sending again */
	int64_t first_puback;  /* monotonic, 0: none yet */
	int warned_silent, warned_ahead;
	/* Numbers up to these were given out by this store before it heard
	 * an acknowledgement above them (a new card: central's numbers were
	 * another store's). Central's acknowledgement does not cover them, so
	 * those rows go when the broker has them, as without confirmations.
	 * Kept in the store's meta ("own_seq", "own_aseq") across restarts. */
	uint64_t own_seq, own_aseq;
	int64_t own_top_id; /* rows sent before that was heard are at most this id */

	struct wwtp_forward_stats st;
	struct wwtp_complain store_complain;
	struct wwtp_complain drop_complain;
	struct wwtp_complain resend_complain;
};

struct pend {
	char *topic;
	void *payload;
	size_t len;
	int qos, flags;
	int64_t ts_ms;
	uint64_t seq;
};

/* A tag is the row id, the generation of the store, and whether the
 * broker's PUBACK is what deletes the row (no confirmation to wait for). */
#define TAG_ID_BITS 46
#define TAG_ID_MASK ((1ull << TAG_ID_BITS) - 1)
#define TAG_PUBACK_DELETES (1ull << TAG_ID_BITS)
#define TAG_GEN_SHIFT (TAG_ID_BITS + 1)

/* ---- acknowledgements ---------------------------------------------------- */

static void on_done(uint64_t tag, int acked, void *ctx)
{
	struct wwtp_forward *f = ctx;
	int64_t id = (int64_t)(tag & TAG_ID_MASK);

	if ((tag >> TAG_GEN_SHIFT) != f->gen)
		return; /* a row of a store set aside since */
	if (!idset_del(&f->inflight, id))
		return;
	if (acked) {
		f->st.acked++;
		if (f->first_puback == 0)
			f->first_puback = wwtp_mono_ms();
		if (!(tag & TAG_PUBACK_DELETES) && id <= f->own_top_id)
			tag |= TAG_PUBACK_DELETES; /* sent before central's ack was heard */
		if (!(tag & TAG_PUBACK_DELETES))
			f->unconfirmed = 1;
		/* With confirmations, the row stays until central says it is
		 * stored (apply_confirmations). */
		if (tag & TAG_PUBACK_DELETES)
			f->delivered_uncommitted++;
		if ((tag & TAG_PUBACK_DELETES) && wwtp_store_delete(f->store, id) == 0) {
			if (f->nacked == f->cap_acked) {
				size_t cap = f->cap_acked ? f->cap_acked * 2 : 64;
				int64_t *p = realloc(f->acked_ids, cap * sizeof(*p));
				if (p) {
					f->acked_ids = p;
					f->cap_acked = cap;
				}
			}
			if (f->nacked < f->cap_acked)
				f->acked_ids[f->nacked++] = id;
			if (f->quiet_since == 0)
				f->quiet_since = wwtp_mono_ms();
		}
		return;
	}
	/* Given back unsent (the client gave it up): its lane goes back to
	 * it, so that it leaves again in order. */
	f->st.given_back++;
	if (id < f->live_from) {
		if (id < f->back_next)
			f->back_next = id;
	} else if (id < f->live_next) {
		f->live_next = id;
	}
}

static int keep_unless_inflight(int64_t id, void *ctx)
{
	struct wwtp_forward *f = ctx;
	return !idset_has(&f->inflight, id);
}

static void commit(struct wwtp_forward *f, int64_t now, int clock_ok);
static void fault_settles(struct wwtp_forward *f, int64_t now, int at_exit);

/* ---- set-up -------------------------------------------------------------- */

struct wwtp_forward *wwtp_forward_new(struct wwtp_store *s, struct wwtp_outbox *o,
				      struct wwtp_mqtt *m, const struct wwtp_forward_cfg *cfg)
{
	struct wwtp_forward *f = calloc(1, sizeof(*f));
	int64_t v = 0;

	if (!f)
		return NULL;
	f->store = s;
	f->outbox = o;
	f->mqtt = m;
	f->cfg = *cfg;
	if (f->cfg.window < 1)
		f->cfg.window = 1;
	if (f->cfg.replay_rate < 1)
		f->cfg.replay_rate = 1;
	if (f->cfg.age_check_ms <= 0)
		f->cfg.age_check_ms = DEFAULT_AGE_CHECK_MS;
	if (f->cfg.confirm_timeout_ms <= 0)
		f->cfg.confirm_timeout_ms = DEFAULT_CONFIRM_TIMEOUT_MS;
	if (f->cfg.publish_ms <= 0 || f->cfg.publish_ms > f->cfg.commit_ms)
		f->cfg.publish_ms = f->cfg.commit_ms;
	if (idset_init(&f->inflight, f->cfg.window) != 0) {
		free(f);
		return NULL;
	}
	f->sendable_id = wwtp_store_committed_id(s);
	f->live_from = f->live_next = f->sendable_id + 1;
	f->back_next = 1;
	f->tokens_at = wwtp_mono_ms();
	f->tokens = 1;
	f->last_progress = wwtp_mono_ms();
	f->resend_after = f->cfg.confirm_timeout_ms;
	if (wwtp_store_get_meta(s, "seq", &v) == 0 && v > 0)
		f->seq = f->seq_stored = (uint64_t)v;
	if (wwtp_store_get_meta(s, "aseq", &v) == 0 && v > 0)
		f->aseq = f->aseq_stored = (uint64_t)v;
	if (wwtp_store_get_meta(s, "own_seq", &v) == 0 && v > 0)
		f->own_seq = (uint64_t)v;
	if (wwtp_store_get_meta(s, "own_aseq", &v) == 0 && v > 0)
		f->own_aseq = (uint64_t)v;
	/* The mark knows numbers that a damaged or cut-back store forgot:
	 * they were published, and are never used again. */
	if ((f->cfg.mark_seq > f->seq || f->cfg.mark_aseq > f->aseq) && !f->cfg.mark_exact &&
	    f->cfg.mark) {
		/* Not stopped cleanly in this boot (a power cut, a reboot
		 * after a crash): the numbers the mark reserved are skipped,
		 * for some of them may have been published from commits the
		 * power cut took back. */
		LOG_WARN(MOD,
			 "%s: the collector did not stop cleanly before this boot: seq goes on "
			 "after %llu and alert after %llu, the numbers %s.seq reserved (the store "
			 "says %llu and %llu; the numbers in between were not used, or were "
			 "published from its last commit_ms that a power cut took back)",
			 wwtp_store_path(s), (unsigned long long)f->cfg.mark_seq,
			 (unsigned long long)f->cfg.mark_aseq, wwtp_store_path(s),
			 (unsigned long long)f->seq, (unsigned long long)f->aseq);
		if (f->cfg.mark_seq > f->seq)
			f->seq = f->cfg.mark_seq;
		if (f->cfg.mark_aseq > f->aseq)
			f->aseq = f->cfg.mark_aseq;
	} else if (f->cfg.mark_seq > f->seq || f->cfg.mark_aseq > f->aseq) {
		LOG_WARN(MOD,
			 "%s lost its last commits or was set aside: seq %llu and alert %llu were "
			 "published, the store says %llu and %llu; numbering goes on after them "
			 "(the messages of those commits that were not confirmed are lost)",
			 wwtp_store_path(s), (unsigned long long)f->cfg.mark_seq,
			 (unsigned long long)f->cfg.mark_aseq, (unsigned long long)f->seq,
			 (unsigned long long)f->aseq);
		if (f->cfg.mark_seq > f->seq)
			f->seq = f->cfg.mark_seq;
		if (f->cfg.mark_aseq > f->aseq)
			f->aseq = f->cfg.mark_aseq;
	}
	f->store_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	f->drop_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	f->resend_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	wwtp_outbox_set_done_cb(o, on_done, f);
	return f;
}

static void pend_clear(struct wwtp_forward *f)
{
	for (size_t i = 0; i < f->npend; i++) {
		free(f->pend[i].topic);
		free(f->pend[i].payload);
	}
	f->npend = 0;
}

void wwtp_forward_free(struct wwtp_forward *f)
{
	if (!f)
		return;
	wwtp_forward_set_seq(f, f->seq);
	f->next_retry = 0;
	commit(f, wwtp_mono_ms(), 0);
	wwtp_store_sync(f->store);
	if (!f->failing)
		fault_settles(f, wwtp_mono_ms(), 1);
	if (f->failing || wwtp_store_dirty(f->store))
		LOG_ERROR(MOD,
			  "last commit failed: %zu message(s) not stored are lost, acknowledged "
			  "messages will be sent again",
			  f->npend);
	wwtp_outbox_set_done_cb(f->outbox, NULL, NULL);
	pend_clear(f);
	free(f->pend);
	free(f->acked_ids);
	free(f->inflight.slot);
	free(f);
}

/* ---- storing ------------------------------------------------------------- */

/* The store cannot take the batch (a full disk, a damaged file, an I/O
 * error): one line when it starts, the counts when it ends (leave_fault),
 * retries spaced out meanwhile. */
static void enter_fault(struct wwtp_forward *f, int rc)
{
	int64_t now = wwtp_mono_ms();

	/* Whatever the open transaction holds goes: the batch is put again
	 * whole from memory, deletions are made again. */
	wwtp_store_rollback(f->store);
	if (rc == WWTP_ERR_FULL)
		wwtp_store_relieve(f->store);
	for (size_t i = 0; i < f->nacked; i++)
		wwtp_store_delete(f->store, f->acked_ids[i]);
	f->drop_full_pending = f->drop_age_pending = 0;
	f->seq_stored = f->aseq_stored = 0;
	f->confirmed_seq = f->confirmed_aseq = 0;
	f->failing = 1;
	f->fault_ok_since = 0;
	if (!f->fault_since) {
		f->fault_since = now;
		f->fault_lost = 0;
		f->backoff_ms = RETRY_MIN_MS;
	} else {
		f->backoff_ms = f->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : f->backoff_ms * 2;
	}
	f->next_retry = now + f->backoff_ms;
	wwtp_complain(&f->store_complain, WWTP_LOG_ERROR, MOD,
		      "cannot commit to %s: %s; the batch waits in memory (%zu messages, at most "
		      "%d), retrying; %llu lost since the fault began",
		      wwtp_store_path(f->store),
		      rc == WWTP_ERR_FULL ? "the file system is full" : wwtp_strerror(rc), f->npend,
		      PEND_MAX, (unsigned long long)f->fault_lost);
}

static void leave_fault(struct wwtp_forward *f)
{
	if (!f->fault_since)
		return;
	/* Said even if the first line was the only one: how it ended. */
	if (f->store_complain.interval_ms == 0)
		f->store_complain.interval_ms = 1;
	wwtp_complain_release(&f->store_complain, MOD,
			      "%s takes commits again after %lld s: %llu message(s) waited in "
			      "memory and are stored, %llu lost",
			      wwtp_store_path(f->store),
			      (long long)((wwtp_mono_ms() - f->fault_since) / 1000),
			      (unsigned long long)f->fault_kept, (unsigned long long)f->fault_lost);
	f->fault_kept = 0;
	f->fault_since = 0;
	f->fault_ok_since = 0;
}

/* A commit worked: the fault closes once commits have worked for a while,
 * so that a disk on the edge of full does not alternate its two lines. */
static void fault_settles(struct wwtp_forward *f, int64_t now, int at_exit)
{
	f->failing = 0;
	if (!f->fault_since)
		return;
	if (!f->fault_ok_since)
		f->fault_ok_since = now;
	if (at_exit || now - f->fault_ok_since >= FAULT_SETTLE_MS)
		leave_fault(f);
}

static int pend_add(struct wwtp_forward *f, const char *topic, const void *payload, size_t len,
		    int qos, int64_t ts_ms, uint64_t seq, int flags)
{
	if (f->npend >= PEND_MAX)
		return WWTP_ERR_FULL;
	if (f->npend == f->cap_pend) {
		size_t cap = f->cap_pend ? f->cap_pend * 2 : 64;
		struct pend *p = realloc(f->pend, cap * sizeof(*p));
		if (!p)
			return WWTP_ERR_NOMEM;
		f->pend = p;
		f->cap_pend = cap;
	}
	struct pend *e = &f->pend[f->npend];
	e->topic = strdup(topic);
	e->payload = malloc(len ? len : 1);
	if (!e->topic || !e->payload) {
		free(e->topic);
		free(e->payload);
		return WWTP_ERR_NOMEM;
	}
	memcpy(e->payload, payload, len);
	e->len = len;
	e->qos = qos;
	e->flags = flags;
	e->ts_ms = ts_ms;
	e->seq = seq;
	f->npend++;
	return 0;
}

int wwtp_forward_put(struct wwtp_forward *f, const char *topic, const void *payload, size_t len,
		     int qos, int64_t ts_ms, uint64_t seq, int flags)
{
	int rc = pend_add(f, topic, payload, len, qos, ts_ms, seq, flags);
	if (rc) {
		f->st.failed++;
		if (f->failing) {
			f->fault_lost++; /* said when the fault ends */
		} else {
			wwtp_complain(&f->drop_complain, WWTP_LOG_ERROR, MOD,
				      "cannot keep a message for %s: %s (%llu lost so far)", topic,
				      wwtp_strerror(rc), (unsigned long long)f->st.failed);
		}
		return rc;
	}
	if (!f->failing) {
		rc = wwtp_store_append(f->store, topic, payload, len, qos, ts_ms, seq, flags, NULL);
		if (rc)
			enter_fault(f, rc); /* kept in pend: stored at the next commit */
	}
	f->st.stored++;
	if (flags & WWTP_STORE_ALERT) {
		if (seq > f->aseq)
			f->aseq = seq;
	} else if (seq > f->seq) {
		f->seq = seq;
	}
	if (f->batch_since == 0)
		f->batch_since = wwtp_mono_ms();
	return 0;
}

/* The numbers go into meta in the batch, so that they and the messages
 * that used them are durable together; the mark (seqmark.h) follows the
 * commit. */
static void store_seqs(struct wwtp_forward *f)
{
	if (f->failing)
		return;
	if (f->seq != f->seq_stored && wwtp_store_set_meta(f->store, "seq", (int64_t)f->seq) == 0) {
		f->seq_stored = f->seq;
		if (f->quiet_since == 0)
			f->quiet_since = wwtp_mono_ms();
	}
	if (f->aseq != f->aseq_stored &&
	    wwtp_store_set_meta(f->store, "aseq", (int64_t)f->aseq) == 0) {
		f->aseq_stored = f->aseq;
		if (f->quiet_since == 0)
			f->quiet_since = wwtp_mono_ms();
	}
}

void wwtp_forward_set_seq(struct wwtp_forward *f, uint64_t seq)
{
	if (seq > f->seq)
		f->seq = seq;
	store_seqs(f);
}

void wwtp_forward_set_alert_seq(struct wwtp_forward *f, uint64_t aseq)
{
	if (aseq > f->aseq)
		f->aseq = aseq;
	store_seqs(f);
}

uint64_t wwtp_forward_last_seq(struct wwtp_forward *f)
{
	return f->seq;
}

uint64_t wwtp_forward_last_alert_seq(struct wwtp_forward *f)
{
	return f->aseq;
}

uint64_t wwtp_forward_floor(struct wwtp_forward *f, int alerts, uint64_t seq)
{
	uint64_t lo = seq, v = 0;

	for (size_t i = 0; i < f->npend; i++)
		if (!(f->pend[i].flags & WWTP_STORE_ALERT) == !alerts && f->pend[i].seq > 0 &&
		    f->pend[i].seq < lo)
			lo = f->pend[i].seq;
	/* Unreadable: no claim at all (0), rather than a wrong one. */
	if (wwtp_store_min_seq(f->store, alerts, &v) != 0)
		return 0;
	return v > 0 && v < lo ? v : lo;
}

/* ---- committing ---------------------------------------------------------- */

static void apply_bounds(struct wwtp_forward *f, int64_t now, int clock_ok)
{
	uint64_t full = 0, age = 0;
	int aged = now >= f->next_age_check;

	if (f->failing)
		return;
	if (aged)
		f->next_age_check = now + f->cfg.age_check_ms;
	if (wwtp_store_enforce(f->store, wwtp_now_ms(), clock_ok && aged, keep_unless_inflight, f,
			       &full, &age) != 0)
		return;
	/* Counted once committed: a rolled-back batch drops nothing. */
	f->drop_full_pending += full;
	f->drop_age_pending += age;
	if ((full || age) && f->quiet_since == 0)
		f->quiet_since = now;
	if (full || age) {
		struct wwtp_store_stats ss;
		wwtp_store_get_stats(f->store, &ss);
		wwtp_complain(&f->drop_complain, WWTP_LOG_ERROR, MOD,
			      "store full or too old: dropped %llu oldest unsent message(s) "
			      "(%llu for size, %llu for age since start; %llu and %llu in all)",
			      (unsigned long long)(full + age),
			      (unsigned long long)(f->st.dropped_full + f->drop_full_pending),
			      (unsigned long long)(f->st.dropped_age + f->drop_age_pending),
			      (unsigned long long)ss.dropped_full,
			      (unsigned long long)ss.dropped_age);
	}
}

/* The store said its file is damaged: it is set aside (kept) and a new one
 * started; what the old one held and had not been confirmed is lost to the
 * collector (counted), the batch in memory goes into the new one. */
static void replace_damaged(struct wwtp_forward *f)
{
	struct wwtp_store_stats ss;

	wwtp_store_get_stats(f->store, &ss);
	if (wwtp_store_reset(f->store) != 0)
		return; /* tried again at the next commit */
	/* Lost: what the last commit held, less what the broker has since
	 * taken. The batch in memory was never committed; it goes into the
	 * new file. Messages in flight may have reached the broker or not; no
	 * one will tell (their acknowledgements are forgotten with the file):
	 * counted apart, so that neither count is said too high. */
	uint64_t gone = ss.committed_rows > f->delivered_uncommitted
			    ? ss.committed_rows - f->delivered_uncommitted
			    : 0;
	uint64_t unsure = f->inflight.n < gone ? f->inflight.n : gone;
	f->st.dropped_damaged += gone - unsure;
	f->st.damaged_in_flight += unsure;
	f->delivered_uncommitted = 0;
	f->gen++;
	f->nacked = 0;
	memset(f->inflight.slot, 0, (f->inflight.mask + 1) * sizeof(*f->inflight.slot));
	f->inflight.n = 0;
	f->sendable_id = 0;
	f->live_from = f->live_next = f->back_next = 1;
	f->seq_stored = f->aseq_stored = 0; /* the new store has no meta yet */
	f->failing = 1;			    /* puts the batch again */
	if (!f->fault_since)
		f->fault_since = wwtp_mono_ms();
	f->next_retry = 0;
	f->confirmed_seq = f->confirmed_aseq = 0;
}

/* Frees the first n messages of the batch in memory (they are stored). */
static void pend_drop_front(struct wwtp_forward *f, size_t n)
{
	if (n == 0)
		return;
	for (size_t i = 0; i < n && i < f->npend; i++) {
		free(f->pend[i].topic);
		free(f->pend[i].payload);
	}
	n = n < f->npend ? n : f->npend;
	memmove(f->pend, f->pend + n, (f->npend - n) * sizeof(*f->pend));
	f->npend -= n;
}

/* One transaction: the numbers, the bounds, COMMIT, then the mark. */
static int commit_once(struct wwtp_forward *f, int64_t now, int clock_ok)
{
	/* The numbers go with the batch that used them. */
	store_seqs(f);
	apply_bounds(f, now, clock_ok);
	int rc = wwtp_store_commit(f->store);
	if (rc != 0) {
		if (wwtp_store_damaged(f->store))
			replace_damaged(f);
		enter_fault(f, rc);
		return rc;
	}
	f->st.dropped_full += f->drop_full_pending;
	f->st.dropped_age += f->drop_age_pending;
	f->drop_full_pending = f->drop_age_pending = 0;
	f->nacked = 0;
	f->delivered_uncommitted = 0;
	/* Synced at most commit_ms after the first change it holds. */
	if (f->sync_due == 0) {
		int64_t since = f->batch_since;
		if (since == 0 || (f->quiet_since && f->quiet_since < since))
			since = f->quiet_since;
		f->sync_due = (since ? since : now) + f->cfg.commit_ms;
	}
	/* Published only once the mark holds their numbers. */
	if (!f->cfg.mark || wwtp_seqmark_write(f->cfg.mark, f->seq_stored, f->aseq_stored) == 0)
		f->sendable_id = wwtp_store_committed_id(f->store);
	return 0;
}

static void commit(struct wwtp_forward *f, int64_t now, int clock_ok)
{
	if (wwtp_store_damaged(f->store))
		replace_damaged(f);
	if (f->failing) {
		/* The store holds what was committed before the fault; the batch
		 * goes in again from memory, in small transactions, so that the
		 * bounds make room as it goes (a batch held through a long fault
		 * may be larger than the whole file system). */
		f->failing = 0; /* for store_seqs and the bounds; set again on failure */
		while (f->npend > 0) {
			size_t n = f->npend < PEND_CHUNK ? f->npend : PEND_CHUNK;
			for (size_t i = 0; i < n; i++) {
				struct pend *e = &f->pend[i];
				int rc =
				    wwtp_store_append(f->store, e->topic, e->payload, e->len,
						      e->qos, e->ts_ms, e->seq, e->flags, NULL);
				if (rc) {
					if (wwtp_store_damaged(f->store))
						replace_damaged(f);
					enter_fault(f, rc);
					return;
				}
			}
			if (commit_once(f, now, clock_ok) != 0)
				return;
			f->fault_kept += n;
			pend_drop_front(f, n);
		}
	} else if (commit_once(f, now, clock_ok) != 0) {
		return;
	}
	fault_settles(f, now, 0);
	pend_clear(f);
	f->batch_since = 0;
	f->quiet_since = 0;
}

/* ---- confirmations ------------------------------------------------------- */

/* Rows copied out of a scan, to be changed after it. */
struct own_row {
	int64_t id, ts_ms;
	uint64_t seq;
	int flags, qos;
	char *topic;
	void *payload;
	size_t len;
};

struct own_batch {
	struct own_row rows[32];
	size_t n;
	int alerts;
	uint64_t own;
	int64_t last_id;
	int nomem;
};

static int take_own(const struct wwtp_store_msg *m, void *ctx)
{
	struct own_batch *b = ctx;
	b->last_id = m->id;
	if (!!(m->flags & WWTP_STORE_ALERT) != b->alerts || m->seq == 0 || m->seq > b->own)
		return 0;
	struct own_row *r = &b->rows[b->n];
	r->topic = strdup(m->topic);
	r->payload = malloc(m->len ? m->len : 1);
	if (!r->topic || !r->payload) {
		free(r->topic);
		free(r->payload);
		b->nomem = 1;
		return 1;
	}
	memcpy(r->payload, m->payload, m->len);
	r->id = m->id;
	r->ts_ms = m->ts_ms;
	r->seq = m->seq;
	r->flags = m->flags;
	r->qos = m->qos;
	r->len = m->len;
	return ++b->n == sizeof(b->rows) / sizeof(b->rows[0]);
}

/* The rows of one kind numbered up to `own` before central's higher
 * acknowledgement was heard go again as new rows numbered after *next
 * (which moves on), their old rows deleted, in the open transaction. What
 * cannot be renumbered stays: the PUBACK deletes it (own_seq). Returns how
 * many were renumbered. */
static uint64_t renumber_own(struct wwtp_forward *f, int alerts, uint64_t own, uint64_t *next)
{
	struct own_batch b = {.alerts = alerts, .own = own};
	struct wwtp_buf out;
	uint64_t done = 0, first = *next + 1;
	int64_t from = 1;

	if (!f->cfg.renumber || own == 0 || f->failing)
		return 0;
	wwtp_buf_init(&out, WWTP_PAYLOAD_MAX);
	for (;;) {
		b.n = 0;
		b.last_id = 0;
		int seen = wwtp_store_scan(f->store, from, 0, 256, take_own, &b);
		for (size_t i = 0; i < b.n; i++) {
			struct own_row *r = &b.rows[i];
			struct wwtp_store_msg m = {.id = r->id,
						   .ts_ms = r->ts_ms,
						   .seq = r->seq,
						   .flags = r->flags,
						   .qos = r->qos,
						   .topic = r->topic,
						   .payload = r->payload,
						   .len = r->len};
			uint64_t seq = *next + 1;
			if (f->cfg.renumber(f->cfg.renumber_ctx, &m, seq, first, &out) == 0 &&
			    wwtp_store_append(f->store, r->topic, out.data, out.len, r->qos,
					      r->ts_ms, seq, r->flags, NULL) == 0) {
				*next = seq;
				done++;
				wwtp_store_delete(f->store, r->id);
			}
			free(r->topic);
			free(r->payload);
		}
		if (seen <= 0 || b.nomem || b.last_id < from)
			break;
		from = b.last_id + 1;
	}
	wwtp_buf_free(&out);
	return done;
}

static void apply_confirmations(struct wwtp_forward *f, int64_t now)
{
	struct wwtp_confirm_state cs;
	struct wwtp_store_stats ss;
	uint64_t n = 0, m = 0;

	if (!f->cfg.acks)
		return;
	wwtp_confirm_get(f->cfg.acks, &cs);
	if (cs.seq <= f->confirmed_seq && cs.aseq <= f->confirmed_aseq)
		return;
	if ((cs.seq > f->seq || cs.aseq > f->aseq) && !f->warned_ahead) {
		/* Central confirms numbers this store never gave out: its history
		 * (store and mark) was lost. Numbering goes on above them. */
		f->warned_ahead = 1;
		LOG_WARN(MOD,
			 "central confirms seq %llu and alert %llu, above the last this collector "
			 "used (%llu, %llu): its store and %s.seq were lost; numbering goes on "
			 "after central's, and what was numbered before goes again after it "
			 "(central's acknowledgement is of other polls)",
			 (unsigned long long)cs.seq, (unsigned long long)cs.aseq,
			 (unsigned long long)f->seq, (unsigned long long)f->aseq,
			 wwtp_store_path(f->store));
		/* The rows numbered so far are this store's, not the ones
		 * central confirms under the same numbers: kept out of the
		 * confirmation, or they would be deleted unsent. */
		if (cs.seq > f->seq) {
			if (f->seq > f->own_seq) {
				f->own_seq = f->seq;
				wwtp_store_set_meta(f->store, "own_seq", (int64_t)f->own_seq);
			}
			f->seq = cs.seq;
		}
		if (cs.aseq > f->aseq) {
			if (f->aseq > f->own_aseq) {
				f->own_aseq = f->aseq;
				wwtp_store_set_meta(f->store, "own_aseq", (int64_t)f->own_aseq);
			}
			f->aseq = cs.aseq;
		}
		/* They go again under numbers central will confirm (the copies
		 * sent before are the same polls: the same points in InfluxDB). */
		uint64_t rn = renumber_own(f, 0, f->own_seq, &f->seq) +
			      renumber_own(f, 1, f->own_aseq, &f->aseq);
		if (rn)
			LOG_INFO(MOD,
				 "%llu message(s) numbered before go again as seq %llu.. and "
				 "alert %llu..",
				 (unsigned long long)rn, (unsigned long long)cs.seq + 1,
				 (unsigned long long)cs.aseq + 1);
		/* What could not be renumbered stays until central confirms,
		 * which it never will: in flight, their PUBACK deletes them
		 * (own_top_id); taken before, they go once more. */
		f->own_top_id = f->sendable_id;
		f->back_next = 1;
		f->live_from =
		    f->live_next < f->sendable_id + 1 ? f->live_next : f->sendable_id + 1;
	}
	if (f->failing)
		return; /* deleted once the store works again */
	if ((cs.seq > f->confirmed_seq &&
	     wwtp_store_delete_upto(f->store, 0, f->own_seq, cs.seq, &n) != 0) ||
	    (cs.aseq > f->confirmed_aseq &&
	     wwtp_store_delete_upto(f->store, 1, f->own_aseq, cs.aseq, &m) != 0))
		return;
	f->confirmed_seq = cs.seq;
	f->confirmed_aseq = cs.aseq;
	f->st.confirmed += n + m;
	if (wwtp_store_get_stats(f->store, &ss), ss.rows == 0)
		f->unconfirmed = 0;
	f->last_progress = now;
	f->resend_after = f->cfg.confirm_timeout_ms;
	if (f->quiet_since == 0)
		f->quiet_since = now;
	if (f->resend_complain.interval_ms != 0)
		wwtp_complain_release(&f->resend_complain, MOD, "central confirms again (seq %llu)",
				      (unsigned long long)cs.seq);
}

/* The broker has taken messages that central has not confirmed, and
 * central's confirmation has not moved for confirm_timeout (live messages
 * keep flowing, but one lost message holds the confirmation back): what
 * the store holds goes again, oldest first at the replay rate (a broker
 * that lost it, a central that crashed before its spool was synced). The
 * wait doubles while nothing is confirmed, up to an hour, so a central that
 * never confirms costs little. */
static void resend_unconfirmed(struct wwtp_forward *f, int64_t now)
{
	int64_t top = f->sendable_id + 1;
	struct wwtp_store_stats ss;

	if (!f->cfg.acks)
		return;
	if (!f->unconfirmed || f->back_next < f->live_from || !wwtp_mqtt_is_connected(f->mqtt)) {
		f->last_progress = now; /* nothing waits, or a replay is under way */
		return;
	}
	if (now - f->last_progress < f->resend_after)
		return;
	f->last_progress = now;
	wwtp_store_get_stats(f->store, &ss);
	if (ss.rows == 0) {
		f->unconfirmed = 0;
		return;
	}
	f->back_next = 1;
	f->live_from = f->live_next < top ? f->live_next : top;
	f->st.resent += ss.rows;
	wwtp_complain(&f->resend_complain, WWTP_LOG_WARN, MOD,
		      "central has not confirmed %llu stored message(s) within %lld s (last "
		      "confirmed seq %llu): sending them again",
		      (unsigned long long)ss.rows, (long long)(f->resend_after / 1000),
		      (unsigned long long)f->confirmed_seq);
	f->resend_after = f->resend_after * 2 > RESEND_MAX_MS ? RESEND_MAX_MS : f->resend_after * 2;
	if (!f->warned_silent && f->confirmed_seq == 0 && f->confirmed_aseq == 0 &&
	    f->first_puback && now - f->first_puback >= 4 * f->cfg.confirm_timeout_ms) {
		f->warned_silent = 1;
		LOG_WARN(MOD,
			 "central has confirmed nothing although the broker took %llu messages: "
			 "they stay in the store (bounded by store.max_mb and max_age_days) and "
			 "are sent again; with a wwtp-central that publishes no acks (older than "
			 "this collector) set store.confirm = false (docs/reliability.md)",
			 (unsigned long long)f->st.acked);
	}
}

/* ---- sending ------------------------------------------------------------- */

struct feed {
	struct wwtp_forward *f;
	int backlog;   /* which lane */
	int64_t *next; /* its cursor */
	int budget;    /* messages this lane may still send now */
	int blocked;   /* the outbox refused: stop for this turn */
};

static int feed_one(const struct wwtp_store_msg *m, void *ctx)
{
	struct feed *fd = ctx;
	struct wwtp_forward *f = fd->f;

	if (idset_has(&f->inflight, m->id)) {
		*fd->next = m->id + 1;
		return 0;
	}
	if (fd->budget <= 0 || f->inflight.n >= f->cfg.window)
		return 1;
	uint64_t tag = (uint64_t)m->id | (f->gen << TAG_GEN_SHIFT);
	/* Rows without a number (alerts of a store written before they had
	 * one), or numbered under central's acknowledgement by a new store
	 * (own_seq), cannot be confirmed: the PUBACK deletes them, as without
	 * confirmations. */
	if (!f->cfg.acks || m->seq == 0 ||
	    m->seq <= ((m->flags & WWTP_STORE_ALERT) ? f->own_aseq : f->own_seq))
		tag |= TAG_PUBACK_DELETES;
	if (wwtp_outbox_put_tagged(f->outbox, m->topic, m->payload, m->len, m->qos, 0, tag) != 0) {
		fd->blocked = 1;
		return 1;
	}
	idset_add(&f->inflight, m->id);
	*fd->next = m->id + 1;
	fd->budget--;
	if (fd->backlog)
		f->st.sent_backlog++;
	else
		f->st.sent_live++;
	return 0;
}

/* Feeds one lane from its cursor up to (not including) below. */
static int feed_lane(struct wwtp_forward *f, int backlog, int64_t *next, int64_t below, int budget)
{
	struct feed fd = {.f = f, .backlog = backlog, .next = next, .budget = budget};

	while (*next < below && fd.budget > 0 && !fd.blocked && f->inflight.n < f->cfg.window) {
		int64_t before = *next;
		int n = wwtp_store_scan(f->store, *next, below, SCAN_MAX, feed_one, &fd);
		if (n < 0)
			break;
		if (n == 0) {
			*next = below; /* nothing stored in between (acked, dropped) */
			break;
		}
		if (*next == before)
			break; /* stopped on the first: window or budget */
	}
	return budget - fd.budget;
}

static void refill_tokens(struct wwtp_forward *f, int64_t now)
{
	double burst = f->cfg.replay_rate; /* one second's worth */
	f->tokens += (double)(now - f->tokens_at) * f->cfg.replay_rate / 1000.0;
	if (f->tokens > burst)
		f->tokens = burst;
	f->tokens_at = now;
}

void wwtp_forward_pump(struct wwtp_forward *f, int clock_ok, int now_flag)
{
	int64_t now = wwtp_mono_ms();
	struct wwtp_mqtt_stats ms;

	/* Central confirms every few hundred ms; its deletions are gathered
	 * for commit_ms and go in one commit: the oldest pages of the store
	 * are written once per commit_ms, not once per commit. */
	if (now_flag || now - f->confirms_at >= f->cfg.commit_ms) {
		f->confirms_at = now;
		apply_confirmations(f, now);
	}
	/* Aged messages go before anything is sent: at start, a backlog may
	 * hold messages past max_age_days. */
	if (now >= f->next_age_check)
		apply_bounds(f, now, clock_ok);
	if (f->failing) {
		/* Spaced out while the fault lasts (at once when asked to). */
		if (now_flag || now >= f->next_retry)
			commit(f, now, clock_ok);
	} else if (f->batch_since && (now_flag || now - f->batch_since >= f->cfg.publish_ms))
		commit(f, now, clock_ok);
	else if (f->quiet_since && (now_flag || now - f->quiet_since >= QUIET_COMMIT_MS))
		commit(f, now, clock_ok);
	else if (wwtp_store_damaged(f->store))
		commit(f, now, clock_ok);
	/* The power-cut window: what was committed is synced by its due time,
	 * at once when asked to (a clean stop), also while later commits fail
	 * (what the log holds is synced whatever they do). A failed sync is
	 * tried again a second later (the store said why). */
	if (f->sync_due && (now_flag || now >= f->sync_due))
		f->sync_due = wwtp_store_sync(f->store) == 0 ? 0 : now + RETRY_MIN_MS;

	refill_tokens(f, now);
	wwtp_mqtt_get_stats(f->mqtt, &ms);
	if (ms.connects != f->seen_connects) {
		/* A new connection: what was stored before it is backlog, to go
		 * at the replay rate. */
		f->seen_connects = ms.connects;
		f->live_from = f->sendable_id + 1;
		if (f->live_next < f->live_from)
			f->live_next = f->live_from;
	}
	if (!wwtp_mqtt_is_connected(f->mqtt))
		return;
	int64_t top = f->sendable_id + 1;
	feed_lane(f, 0, &f->live_next, top, (int)f->cfg.window);
	if (f->back_next < f->live_from && f->tokens >= 1) {
		int sent = feed_lane(f, 1, &f->back_next, f->live_from, (int)f->tokens);
		f->tokens -= sent;
	}
	resend_unconfirmed(f, now);
}

int wwtp_forward_waiting(struct wwtp_forward *f)
{
	struct wwtp_store_stats ss;
	if (!f->cfg.acks || (f->confirmed_seq == 0 && f->confirmed_aseq == 0))
		return 0;
	wwtp_store_get_stats(f->store, &ss);
	return ss.rows > 0 || f->npend > 0;
}

void wwtp_forward_get_stats(struct wwtp_forward *f, struct wwtp_forward_stats *out)
{
	*out = f->st;
	out->inflight = f->inflight.n;
	out->confirm = f->cfg.acks != NULL;
	out->confirmed_seq = f->confirmed_seq;
	out->pending = f->npend;
	wwtp_store_get_stats(f->store, &out->store);
	out->dropped_damaged += out->store.altered;
}

/* ---- configuration ------------------------------------------------------- */

int wwtp_forward_store_path(const struct wwtp_station *st, const char *override, char *out,
			    size_t n)
{
	int w;
	if (override)
		w = snprintf(out, n, "%s", override);
	else if (st->store.path[0])
		w = snprintf(out, n, "%s", st->store.path);
	else
		w = snprintf(out, n, "%s/%s.db", WWTP_STORE_DIR, st->id);
	return (w < 0 || (size_t)w >= n) ? WWTP_ERR_RANGE : 0;
}

/* A poll of dev as it typically encodes: every reading ok with a value of
 * ordinary length, judged against a limit over every window. */
static size_t typical_message(const struct wwtp_station *st, const struct wwtp_device *dev,
			      struct wwtp_buf *b)
{
	struct wwtp_sample *s = wwtp_sample_new(dev);
	struct wwtp_verdict *v = calloc(dev->npoints ? dev->npoints : 1, sizeof(*v));
	size_t nw = st->evaluation ? st->evaluation->nwindows : 2;
	size_t len = 0;

	if (s && v) {
		s->ts_ms = 1769878800000LL;
		for (size_t i = 0; i < s->nreadings; i++) {
			s->readings[i].status = WWTP_READING_OK;
			s->readings[i].has_value = 1;
			s->readings[i].value = 1234.5678;
			snprintf(v[i].param, sizeof(v[i].param), "%s", dev->points[i].param);
			v[i].has_limit = 1;
			v[i].cmax_min = NAN;
			v[i].cmax_max = 148.5;
			v[i].nwindows = nw < WWTP_EVAL_WINDOWS_MAX ? nw : WWTP_EVAL_WINDOWS_MAX;
			for (size_t k = 0; k < v[i].nwindows; k++) {
				struct wwtp_window_verdict *w = &v[i].windows[k];
				w->window_s = st->evaluation ? st->evaluation->windows_s[k] : 3600;
				w->average = 123.456789012;
				w->count = 358;
				w->availability = 0.9944;
				w->judged = 1;
				w->ratio = 0.8315;
			}
		}
		wwtp_buf_reset(b);
		if (wwtp_payload_telemetry_eval(st, s, 1234567, v, b) == 0)
			len = b->len;
	}
	wwtp_sample_free(s);
	free(v);
	return len;
}

uint64_t wwtp_forward_default_bytes(const struct wwtp_station *st, int days, uint64_t *per_day,
				    size_t *msg_bytes)
{
	struct wwtp_buf b;
	double msgs = 0, bytes = 0;

	wwtp_buf_init(&b, WWTP_PAYLOAD_MAX);
	for (size_t i = 0; i < st->ndevices; i++) {
		const struct wwtp_device *d = &st->devices[i];
		double n = 86400000.0 / (d->interval_ms > 0 ? d->interval_ms : 10000);
		msgs += n;
		bytes += n * (double)(typical_message(st, d, &b) + ROW_OVERHEAD);
	}
	wwtp_buf_free(&b);
	if (per_day)
		*per_day = (uint64_t)ceil(msgs);
	if (msg_bytes)
		*msg_bytes = msgs > 0 ? (size_t)(bytes / msgs) : 0;
	/* A quarter more for what the estimate leaves out: alerts, longer
	 * reasons, pages not quite full. */
	double total = ceil(bytes * (days > 0 ? days : 1) * 1.25);
	uint64_t t = total > 0 ? (uint64_t)total : 0;
	return t < MIN_DEFAULT_BYTES ? MIN_DEFAULT_BYTES : t;
}
