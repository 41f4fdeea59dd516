/* notify.c - the outbox's bookkeeping and the sending thread (notify.h). */
#include "notify.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/timeutil.h"
#include "compose.h"
#include "outbox.h"
#include "sched.h"
#include "send.h"

#define MOD "notify"
/* Events remembered at most (each is a file of a few hundred bytes); the
 * oldest delivered go first. */
#define EVENTS_MAX 50000
#define EVENT_FILE_MAX 16384
/* A message lists at most this many changes; the rest go in the next. */
#define MSG_EVENTS_MAX 200
#define MSG_FILE_MAX (4u << 20)
/* A message the server has refused (5xx) for this long is set aside: a
 * day to fix a server's or our configuration (a 530 "STARTTLS first", a
 * sender not allowed) before the message stops holding the recipient's
 * later ones. Counted from the first refusal of this run. */
#define REFUSED_FOR_MS (24 * 3600 * 1000LL)

struct target {
	const struct wwtp_notify_target *t;
	int min_priority;     /* enum wwtp_alert_priority */
	char rid[17];	      /* its outbox name: hash of kind and address */
	uint64_t cursor;      /* events up to this seq are in a message (or not for it) */
	int64_t last_made_ms; /* 0 never */
	int undelivered;      /* a message of it is in out/ */
	struct wwtp_complain complain;
};

struct msg {
	char name[WWTP_OB_NAME_MAX]; /* "<rid>-<seq>.msg" */
	size_t target;
	int attempts;
	int64_t first_refused_ms; /* 0: not refused (this run) */
	int64_t next_ms;
};

struct wwtp_notify {
	struct wwtp_central_notify cfg;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int started, stop;
	struct wwtp_nbox *ob;
	struct wwtp_sender *snd;
	struct wwtp_nevent *ev; /* by seq */
	size_t nev, capev;
	uint64_t max_seq;
	struct target tg[WWTP_NOTIFY_TARGETS_MAX];
	size_t ntg;
	struct msg *msgs;
	size_t nmsg, capmsg;
	char domain[WWTP_NOTIFY_ADDR_MAX]; /* of Message-IDs */
	int64_t pruned_ms;
	struct wwtp_notify_stats st;
	struct wwtp_complain disk_complain;
};

/* ---- names ---- */

static void rid_of(const struct wwtp_notify_target *t, char out[17])
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	const char *pre = t->mail ? "mail:" : "hook:";

	for (const char *p = pre; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (const char *p = t->addr; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(out, 17, "%016" PRIx64, h);
}

static void msg_name(const char *rid, uint64_t seq, const char *ext, char *out, size_t n)
{
	snprintf(out, n, "%s-%020" PRIu64 ".%s", rid, seq, ext);
}

/* "<rid>-<seq>.<ext>": 0 and the parts, or -1. */
static int parse_msg_name(const char *name, char rid[17], uint64_t *seq, char *ext, size_t n)
{
	const char *dash = strchr(name, '-'), *dot;
	char *end;

	if (!dash || dash - name != 16)
		return -1;
	dot = strchr(dash, '.');
	if (!dot || dot - dash != 21)
		return -1;
	memcpy(rid, name, 16);
	rid[16] = '\0';
	*seq = strtoull(dash + 1, &end, 10);
	if (end != dot)
		return -1;
	snprintf(ext, n, "%s", dot + 1);
	return 0;
}

static void ev_name(uint64_t seq, char *out, size_t n)
{
	snprintf(out, n, "%020" PRIu64 ".json", seq);
}

static void msgid_of(const struct wwtp_notify *n, const struct target *t, uint64_t seq, char *out,
		     size_t cap)
{
	snprintf(out, cap, "wwtp-notify.%s.%" PRIu64 "@%s", t->rid, seq, n->domain);
}

/* ---- state ---- */

static int save_target(struct wwtp_notify *n, struct target *t)
{
	char line[96];
	int len =
	    snprintf(line, sizeof(line), "%" PRIu64 " %" PRId64 "\n", t->cursor, t->last_made_ms);
	int rc = wwtp_nbox_put(n->ob, WWTP_OB_ST, t->rid, line, (size_t)len);

	if (rc != 0)
		wwtp_complain(&n->disk_complain, WWTP_LOG_ERROR, MOD,
			      "cannot write the state of %s: %s", t->t->addr, wwtp_strerror(rc));
	return rc;
}

static int load_target(struct wwtp_notify *n, struct target *t)
{
	struct wwtp_buf b;
	unsigned long long cur = 0;
	long long last = 0;
	int rc;

	wwtp_buf_init(&b, 512);
	rc = wwtp_nbox_get(n->ob, WWTP_OB_ST, t->rid, 256, &b);
	if (rc == 0 && wwtp_buf_add(&b, "", 1) == 0 &&
	    sscanf(b.data, "%llu %lld", &cur, &last) == 2) {
		t->cursor = cur;
		t->last_made_ms = last;
		wwtp_buf_free(&b);
		return 0;
	}
	wwtp_buf_free(&b);
	if (rc == 0 || rc == WWTP_ERR_RANGE) {
		LOG_WARN(MOD, "the state of %s was damaged: set aside; it gets only new changes",
			 t->t->addr);
		if (wwtp_nbox_set_aside(n->ob, WWTP_OB_ST, t->rid) == 0)
			n->st.set_aside++;
	} else if (rc != WWTP_ERR_NOTFOUND) {
		LOG_ERROR(MOD, "cannot read the state of %s: %s", t->t->addr, wwtp_strerror(rc));
		return rc;
	}
	/* A new recipient starts with what comes from now on, not the past. */
	t->cursor = n->max_seq;
	t->last_made_ms = 0;
	return save_target(n, t);
}

static int add_msg(struct wwtp_notify *n, const char *name, size_t target)
{
	if (n->nmsg == n->capmsg) {
		size_t nc = n->capmsg ? n->capmsg * 2 : 16;
		void *p = realloc(n->msgs, nc * sizeof(*n->msgs));
		if (!p)
			return WWTP_ERR_NOMEM;
		n->msgs = p;
		n->capmsg = nc;
	}
	struct msg *m = &n->msgs[n->nmsg++];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->target = target;
	n->tg[target].undelivered = 1;
	return 0;
}

static void drop_msg(struct wwtp_notify *n, size_t i)
{
	n->tg[n->msgs[i].target].undelivered = 0;
	memmove(&n->msgs[i], &n->msgs[i + 1], (n->nmsg - i - 1) * sizeof(*n->msgs));
	n->nmsg--;
}

static int add_event(struct wwtp_notify *n, const struct wwtp_nevent *e)
{
	if (n->nev == n->capev) {
		size_t nc = n->capev ? n->capev * 2 : 256;
		void *p = realloc(n->ev, nc * sizeof(*n->ev));
		if (!p)
			return WWTP_ERR_NOMEM;
		n->ev = p;
		n->capev = nc;
	}
	n->ev[n->nev++] = *e;
	if (e->seq > n->max_seq)
		n->max_seq = e->seq;
	return 0;
}

static int read_events(struct wwtp_notify *n)
{
	char(*names)[WWTP_OB_NAME_MAX];
	size_t cnt;
	struct wwtp_buf b;
	int rc = wwtp_nbox_list(n->ob, WWTP_OB_EV, &names, &cnt);

	if (rc != 0)
		return rc;
	wwtp_buf_init(&b, EVENT_FILE_MAX);
	for (size_t i = 0; i < cnt && rc == 0; i++) {
		struct wwtp_nevent e;
		json_t *j = NULL;
		char want[64];
		int ok;

		wwtp_buf_reset(&b);
		ok = wwtp_nbox_get(n->ob, WWTP_OB_EV, names[i], EVENT_FILE_MAX, &b) == 0;
		if (ok)
			j = json_loadb(b.data, b.len, 0, NULL);
		ok = j && wwtp_nevent_from_json(j, &e) == 0;
		json_decref(j);
		if (ok) {
			ev_name(e.seq, want, sizeof(want));
			ok = strcmp(want, names[i]) == 0;
		}
		if (!ok) {
			LOG_WARN(MOD, "event file ev/%s is damaged: set aside in bad/", names[i]);
			if (wwtp_nbox_set_aside(n->ob, WWTP_OB_EV, names[i]) == 0)
				n->st.set_aside++;
			continue;
		}
		rc = add_event(n, &e);
	}
	wwtp_buf_free(&b);
	free(names);
	return rc;
}

static struct target *target_of_rid(struct wwtp_notify *n, const char *rid, size_t *idx)
{
	for (size_t i = 0; i < n->ntg; i++)
		if (strcmp(n->tg[i].rid, rid) == 0) {
			*idx = i;
			return &n->tg[i];
		}
	return NULL;
}

static int read_outbox(struct wwtp_notify *n)
{
	char(*names)[WWTP_OB_NAME_MAX];
	size_t cnt;
	int rc = wwtp_nbox_list(n->ob, WWTP_OB_OUT, &names, &cnt);

	if (rc != 0)
		return rc;
	for (size_t i = 0; i < cnt && rc == 0; i++) {
		char rid[17], ext[16], name[WWTP_OB_NAME_MAX];
		uint64_t seq;
		size_t ti;
		struct target *t = NULL;

		if (parse_msg_name(names[i], rid, &seq, ext, sizeof(ext)) == 0)
			t = target_of_rid(n, rid, &ti);
		if (!t || (strcmp(ext, "msg") != 0 && strcmp(ext, "sending") != 0) ||
		    t->undelivered) {
			LOG_WARN(MOD,
				 "outbox file out/%s is not a message to a configured recipient "
				 "(removed from central.cfg?): set aside in bad/",
				 names[i]);
			if (wwtp_nbox_set_aside(n->ob, WWTP_OB_OUT, names[i]) == 0)
				n->st.set_aside++;
			continue;
		}
		msg_name(rid, seq, "msg", name, sizeof(name));
		if (strcmp(ext, "sending") == 0) {
			/* Stopped mid-send: the server may have it. Again, same id. */
			LOG_WARN(MOD,
				 "message %s to %s was being sent when central stopped: sending it "
				 "again (same Message-ID; it may arrive twice)",
				 name, t->t->addr);
			if (wwtp_nbox_move(n->ob, WWTP_OB_OUT, names[i], name) != 0) {
				LOG_ERROR(MOD, "cannot rename out/%s", names[i]);
				continue;
			}
			n->st.resent++;
		}
		/* Made, but the crash came before the cursor was saved. */
		if (seq > t->cursor)
			t->cursor = seq;
		rc = add_msg(n, name, ti);
	}
	free(names);
	return rc;
}

int wwtp_notify_new(const struct wwtp_central_notify *cfg, struct wwtp_notify **out)
{
	struct wwtp_notify *n = calloc(1, sizeof(*n));
	int rc;

	*out = NULL;
	if (!n)
		return WWTP_ERR_NOMEM;
	n->cfg = *cfg;
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	const char *at = cfg->has_smtp ? strchr(cfg->smtp.from, '@') : NULL;
	snprintf(n->domain, sizeof(n->domain), "%s", at ? at + 1 : "wwtp-central.invalid");
	rc = wwtp_nbox_open(cfg->dir, &n->ob);
	if (rc == 0)
		rc = wwtp_sender_new(cfg->has_smtp ? &cfg->smtp : NULL, cfg->timeout_s, &n->snd);
	if (rc == 0)
		rc = read_events(n);
	for (size_t i = 0; rc == 0 && i < cfg->ntargets; i++) {
		struct target *t = &n->tg[n->ntg];
		size_t dup;
		memset(t, 0, sizeof(*t));
		t->t = &n->cfg.targets[i];
		t->min_priority = wwtp_alert_priority_parse(t->t->min_priority);
		if (!t->min_priority)
			t->min_priority = WWTP_PRIO_HIGH;
		rid_of(t->t, t->rid);
		if (target_of_rid(n, t->rid, &dup)) {
			LOG_WARN(MOD, "%s is listed twice in notify: the first one counts",
				 t->t->addr);
			continue;
		}
		n->ntg++;
		rc = load_target(n, t);
	}
	if (rc == 0)
		rc = read_outbox(n);
	if (rc != 0) {
		LOG_ERROR(MOD, "cannot open the notifications' outbox %s: %s", cfg->dir,
			  wwtp_strerror(rc));
		wwtp_notify_free(n);
		return rc;
	}
	LOG_INFO(MOD, "outbox %s: %zu recipients, %zu events remembered, %zu messages to send",
		 cfg->dir, n->ntg, n->nev, n->nmsg);
	*out = n;
	return 0;
}

/* ---- in ---- */

static void event_of_note(const struct wwtp_alert_note *a, int64_t now_ms, struct wwtp_nevent *e)
{
	memset(e, 0, sizeof(*e));
	e->raised = a->edge == WWTP_ALERT_NOTE_RAISED;
	snprintf(e->key, sizeof(e->key), "%s/%s", a->id, e->raised ? "raised" : "cleared");
	snprintf(e->alert_id, sizeof(e->alert_id), "%s", a->id);
	snprintf(e->station, sizeof(e->station), "%s", a->station);
	snprintf(e->station_name, sizeof(e->station_name), "%s", a->station_name);
	snprintf(e->kind, sizeof(e->kind), "%s", a->kind);
	snprintf(e->param, sizeof(e->param), "%s", a->param);
	snprintf(e->device, sizeof(e->device), "%s", a->device);
	snprintf(e->unit, sizeof(e->unit), "%s", a->unit);
	e->priority = a->priority >= WWTP_PRIO_LOW && a->priority <= WWTP_PRIO_HIGH
			  ? a->priority
			  : wwtp_alert_priority_of_kind(a->kind);
	e->window_s = a->nwindows ? a->windows_s[0] : 0;
	e->value = a->value;
	e->limit = a->limit;
	e->ratio = a->ratio;
	e->t_ms = e->raised ? a->start_ms : (a->end_ms ? a->end_ms : now_ms);
	if (!e->t_ms)
		e->t_ms = now_ms;
	e->queued_ms = now_ms;
}

/* Frees the oldest events every recipient is done with, older than
 * keep_days (or any age when the list is full). Under the lock. */
static void prune(struct wwtp_notify *n, int64_t now_ms, int full)
{
	uint64_t done = UINT64_MAX;
	int64_t keep_ms = (int64_t)n->cfg.keep_days * 86400000LL;
	size_t drop = 0;

	for (size_t i = 0; i < n->ntg; i++)
		if (n->tg[i].cursor < done)
			done = n->tg[i].cursor;
	while (drop < n->nev && n->ev[drop].seq <= done &&
	       (full ? drop < n->nev / 10 + 1 : n->ev[drop].queued_ms < now_ms - keep_ms)) {
		char name[64];
		ev_name(n->ev[drop].seq, name, sizeof(name));
		if (wwtp_nbox_del(n->ob, WWTP_OB_EV, name) != 0)
			break;
		drop++;
	}
	if (drop) {
		memmove(n->ev, n->ev + drop, (n->nev - drop) * sizeof(*n->ev));
		n->nev -= drop;
	}
}

void wwtp_notify_note(void *ctx, const struct wwtp_alert_note *a)
{
	struct wwtp_notify *n = ctx;
	int64_t now = wwtp_now_ms();
	struct wwtp_nevent e;
	char name[64];
	char *doc;
	json_t *j;
	int rc;

	if (a->edge != WWTP_ALERT_NOTE_RAISED && a->edge != WWTP_ALERT_NOTE_CLEARED)
		return;
	/* Re-reported after a restart and older than anything remembered:
	 * told before (or long over); not worth a message now. */
	if (a->recovered && a->start_ms &&
	    a->start_ms < now - (int64_t)n->cfg.keep_days * 86400000LL)
		return;
	event_of_note(a, now, &e);
	pthread_mutex_lock(&n->lock);
	for (size_t i = n->nev; i-- > 0;)
		if (strcmp(n->ev[i].key, e.key) == 0) {
			n->st.duplicates++;
			pthread_mutex_unlock(&n->lock);
			return;
		}
	if (n->nev >= EVENTS_MAX)
		prune(n, now, 1);
	e.seq = n->max_seq + 1;
	ev_name(e.seq, name, sizeof(name));
	j = wwtp_nevent_to_json(&e);
	doc = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	rc = !doc		    ? WWTP_ERR_NOMEM
	     : n->nev >= EVENTS_MAX ? WWTP_ERR_FULL
				    : wwtp_nbox_put(n->ob, WWTP_OB_EV, name, doc, strlen(doc));
	if (rc == 0)
		rc = add_event(n, &e);
	free(doc);
	if (rc != 0) {
		n->st.lost++;
		wwtp_complain(&n->disk_complain, WWTP_LOG_ERROR, MOD,
			      "cannot queue the notification of alert %s (%s): %s; %" PRIu64
			      " lost so far",
			      e.key, e.station, wwtp_strerror(rc), n->st.lost);
	} else {
		n->st.events++;
		pthread_cond_signal(&n->cond);
	}
	pthread_mutex_unlock(&n->lock);
}

/* ---- out ---- */

static int wants(const struct target *t, const struct wwtp_nevent *e)
{
	if (e->priority < t->min_priority)
		return 0;
	for (size_t i = 0; i < t->t->nstations; i++)
		if (strcmp(t->t->stations[i], "*") == 0 ||
		    strcmp(t->t->stations[i], e->station) == 0)
			return 1;
	return 0;
}

/* The index of the first event after seq (n->ev is in seq order): each
 * recipient's look costs its waiting events, not all remembered ones. */
static size_t first_after(const struct wwtp_notify *n, uint64_t seq)
{
	size_t lo = 0, hi = n->nev;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (n->ev[mid].seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Makes t's next message if it is due. Under the lock. Returns when to look
 * again. */
static int64_t compose(struct wwtp_notify *n, size_t ti, int64_t now)
{
	struct target *t = &n->tg[ti];
	const struct wwtp_nevent *pick[MSG_EVENTS_MAX];
	struct wwtp_notify_due d = {0, t->last_made_ms, t->undelivered};
	size_t np = 0;
	uint64_t hi = t->cursor;
	int64_t next;

	if (t->undelivered || t->cursor >= n->max_seq)
		return INT64_MAX;
	for (size_t i = first_after(n, t->cursor); i < n->nev; i++) {
		const struct wwtp_nevent *e = &n->ev[i];
		if (e->seq <= t->cursor || !wants(t, e))
			continue;
		if (np == MSG_EVENTS_MAX)
			break;
		if (!d.oldest_waiting_ms)
			d.oldest_waiting_ms = e->queued_ms;
		pick[np++] = e;
		hi = e->seq;
	}
	if (!np) {
		/* Nothing for it: skip past what it does not want. */
		if (t->cursor < n->max_seq) {
			t->cursor = n->max_seq;
			save_target(n, t);
		}
		return INT64_MAX;
	}
	if (!wwtp_notify_is_due(&d, now, (int64_t)n->cfg.delay_s * 1000,
				(int64_t)n->cfg.min_interval_s * 1000, &next))
		return next;

	char id[WWTP_NOTIFY_ADDR_MAX + 64], name[WWTP_OB_NAME_MAX];
	struct wwtp_buf b;
	int rc;

	msgid_of(n, t, hi, id, sizeof(id));
	msg_name(t->rid, hi, "msg", name, sizeof(name));
	wwtp_buf_init(&b, MSG_FILE_MAX);
	rc = t->t->mail ? wwtp_notify_mail(pick, np, n->cfg.smtp.from, t->t->addr, id, now, &b)
			: wwtp_notify_hook_body(pick, np, id, now, &b);
	if (rc == 0)
		rc = wwtp_nbox_put(n->ob, WWTP_OB_OUT, name, b.data, b.len);
	wwtp_buf_free(&b);
	if (rc != 0) {
		wwtp_complain(&n->disk_complain, WWTP_LOG_ERROR, MOD,
			      "cannot write a message to %s: %s; trying again", t->t->addr,
			      wwtp_strerror(rc));
		return now + 10000;
	}
	t->cursor = hi;
	t->last_made_ms = now;
	save_target(n, t); /* if lost, read_outbox() finds hi in the name */
	if (add_msg(n, name, ti) != 0)
		return now + 1000;
	LOG_DEBUG(MOD, "message %s to %s: %zu changes", name, t->t->addr, np);
	return INT64_MAX;
}

/* One attempt at message i. Called under the lock; unlocks while sending. */
static void deliver(struct wwtp_notify *n, size_t i, int64_t now)
{
	struct msg m = n->msgs[i];
	struct target *t = &n->tg[m.target];
	char sending[WWTP_OB_NAME_MAX], id[WWTP_NOTIFY_ADDR_MAX + 64], why[512];
	struct wwtp_buf b;
	char rid[17], ext[16];
	uint64_t seq = 0;
	int rc;

	snprintf(sending, sizeof(sending), "%.*s.sending", (int)(strlen(m.name) - 4), m.name);
	wwtp_buf_init(&b, MSG_FILE_MAX);
	rc = wwtp_nbox_get(n->ob, WWTP_OB_OUT, m.name, MSG_FILE_MAX, &b);
	if (rc == WWTP_ERR_RANGE || rc == WWTP_ERR_NOTFOUND || (rc == 0 && b.len == 0)) {
		LOG_WARN(MOD, "message out/%s is damaged: set aside in bad/", m.name);
		if (wwtp_nbox_set_aside(n->ob, WWTP_OB_OUT, m.name) == 0)
			n->st.set_aside++;
		drop_msg(n, i);
		wwtp_buf_free(&b);
		return;
	}
	if (rc != 0 || wwtp_nbox_move(n->ob, WWTP_OB_OUT, m.name, sending) != 0) {
		wwtp_complain(&n->disk_complain, WWTP_LOG_ERROR, MOD, "cannot read out/%s", m.name);
		n->msgs[i].next_ms = now + 10000;
		wwtp_buf_free(&b);
		return;
	}
	parse_msg_name(m.name, rid, &seq, ext, sizeof(ext));
	msgid_of(n, t, seq, id, sizeof(id));
	why[0] = '\0';
	pthread_mutex_unlock(&n->lock);
	rc = t->t->mail ? wwtp_send_mail(n->snd, t->t->addr, b.data, b.len, why, sizeof(why))
			: wwtp_send_hook(n->snd, t->t->addr, id, b.data, b.len, why, sizeof(why));
	/* Taken: noted at once, before anything else (notify.h). */
	int noted = rc == 0 ? wwtp_nbox_del(n->ob, WWTP_OB_OUT, sending) : -1;
	pthread_mutex_lock(&n->lock);
	wwtp_buf_free(&b);
	/* The list may have grown meanwhile (not shrunk: only this thread). */
	if (rc == 0) {
		if (noted != 0)
			LOG_ERROR(MOD, "cannot remove out/%s after sending: it will be sent again",
				  sending);
		n->st.sent++;
		wwtp_complain_release(&t->complain, MOD, "%s takes messages again", t->t->addr);
		LOG_INFO(MOD, "sent %s to %s", id, t->t->addr);
		drop_msg(n, i);
		return;
	}
	n->st.failed++;
	n->msgs[i].attempts++;
	if (rc == WWTP_ERR_PROTO && !n->msgs[i].first_refused_ms)
		n->msgs[i].first_refused_ms = now;
	if (wwtp_nbox_move(n->ob, WWTP_OB_OUT, sending, m.name) != 0)
		LOG_ERROR(MOD, "cannot rename out/%s back", sending);
	if (rc == WWTP_ERR_PROTO && now - n->msgs[i].first_refused_ms >= REFUSED_FOR_MS) {
		LOG_ERROR(MOD, "%s has refused message %s for a day (%s): set aside in bad/",
			  t->t->addr, m.name, why);
		if (wwtp_nbox_set_aside(n->ob, WWTP_OB_OUT, m.name) == 0)
			n->st.set_aside++;
		drop_msg(n, i);
		return;
	}
	int64_t wait =
	    wwtp_notify_backoff_ms(n->msgs[i].attempts, (int64_t)n->cfg.retry_min_s * 1000,
				   (int64_t)n->cfg.retry_max_s * 1000);
	n->msgs[i].next_ms = wwtp_now_ms() + wait;
	wwtp_complain(&t->complain, WWTP_LOG_WARN, MOD,
		      "cannot deliver to %s: %s; trying again in %" PRId64 " s", t->t->addr, why,
		      wait / 1000);
}

static void *run(void *arg)
{
	struct wwtp_notify *n = arg;

	pthread_mutex_lock(&n->lock);
	while (!n->stop) {
		int64_t now = wwtp_now_ms(), next = now + 1000;

		for (size_t i = 0; i < n->ntg; i++) {
			int64_t at = compose(n, i, now);
			if (at < next)
				next = at;
		}
		for (size_t i = 0; i < n->nmsg && !n->stop; i++)
			if (n->msgs[i].next_ms <= now) {
				size_t before = n->nmsg;
				deliver(n, i, now);
				if (n->nmsg < before)
					i--; /* dropped: the next one moved into i */
			}
		if (now - n->pruned_ms > 60000) {
			prune(n, now, 0);
			n->pruned_ms = now;
		}
		if (n->stop)
			break;
		/* A new event signals; retries and delays are looked at each second. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t wait = next - now;
		if (wait > 1000)
			wait = 1000;
		if (wait < 50)
			wait = 50;
		ts.tv_nsec += (long)(wait % 1000) * 1000000L;
		ts.tv_sec += wait / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&n->cond, &n->lock, &ts);
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

int wwtp_notify_start(struct wwtp_notify *n)
{
	if (pthread_create(&n->thread, NULL, run, n) != 0)
		return WWTP_ERR_ERRNO;
	n->started = 1;
	return 0;
}

void wwtp_notify_free(struct wwtp_notify *n)
{
	if (!n)
		return;
	if (n->started) {
		pthread_mutex_lock(&n->lock);
		n->stop = 1;
		pthread_cond_broadcast(&n->cond);
		pthread_mutex_unlock(&n->lock);
		pthread_join(n->thread, NULL);
	}
	wwtp_sender_free(n->snd);
	wwtp_nbox_close(n->ob);
	free(n->ev);
	free(n->msgs);
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

void wwtp_notify_get_stats(struct wwtp_notify *n, struct wwtp_notify_stats *out)
{
	pthread_mutex_lock(&n->lock);
	*out = n->st;
	out->queued = n->nmsg;
	out->retrying = 0;
	for (size_t i = 0; i < n->nmsg; i++)
		out->retrying += n->msgs[i].attempts > 0;
	pthread_mutex_unlock(&n->lock);
}

void wwtp_notify_health(struct wwtp_notify *n, json_t *h)
{
	struct wwtp_notify_stats s;
	json_t *o = json_object();

	wwtp_notify_get_stats(n, &s);
	json_object_set_new(o, "events", json_integer((json_int_t)s.events));
	json_object_set_new(o, "duplicates", json_integer((json_int_t)s.duplicates));
	json_object_set_new(o, "lost", json_integer((json_int_t)s.lost));
	json_object_set_new(o, "queued", json_integer((json_int_t)s.queued));
	json_object_set_new(o, "retrying", json_integer((json_int_t)s.retrying));
	json_object_set_new(o, "sent", json_integer((json_int_t)s.sent));
	json_object_set_new(o, "failed", json_integer((json_int_t)s.failed));
	json_object_set_new(o, "resent", json_integer((json_int_t)s.resent));
	json_object_set_new(o, "set_aside", json_integer((json_int_t)s.set_aside));
	json_object_set_new(h, "notify", o);
}
