#include "outbox.h"

#include <stdlib.h>
#include <string.h>

#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "queue.h"

#define MOD "outbox"

/* Longest wait of wwtp_outbox_flush between two looks at the client. */
#define FLUSH_SLICE_MS 100

struct msg {
	struct msg *prev, *next; /* in the in-flight list */
	uint64_t token;		 /* the client's, while in flight */
	int tries;		 /* times handed to the client */
	int failed;		 /* the client gave it up; retry it */
	int tagged;		 /* the owner keeps it (see outbox.h) */
	uint64_t tag;
	char *topic;
	int qos;
	int retained;
	size_t len;
	char payload[]; /* len bytes */
};

/* What the client reported, carried from its thread to ours. */
struct ack_event {
	uint64_t token;
	int ok;
};

struct wwtp_outbox {
	struct wwtp_mqtt *mqtt;
	struct wwtp_queue *held;   /* struct msg *, oldest first */
	struct wwtp_queue *events; /* struct ack_event *, from the client's threads */
	struct msg inflight;	   /* list head; by token, oldest first */
	size_t ninflight;
	size_t max_inflight;
	size_t ntagged; /* tagged messages held or in flight */
	uint64_t put, acked, retried, dropped, returned;
	struct wwtp_complain drop_complain;
	wwtp_outbox_done_cb done_cb;
	void *done_ctx;
};

static void msg_free(void *p)
{
	struct msg *m = p;
	if (m)
		free(m->topic);
	free(m);
}

static void unlink_msg(struct msg *m)
{
	m->prev->next = m->next;
	m->next->prev = m->prev;
	m->prev = m->next = m;
}

/* On a client thread, with the client's lock held: only queue the news. */
static void on_ack(uint64_t token, int ok, void *ctx)
{
	struct wwtp_outbox *o = ctx;
	struct ack_event *ev = malloc(sizeof(*ev));
	if (ev) {
		ev->token = token;
		ev->ok = ok;
		/* Cannot be full: there is at most one event per message in
		 * flight, and never more in flight than the queue holds. */
		if (wwtp_queue_push(o->events, ev) == 0)
			return;
		free(ev);
	}
	/* Out of memory: the message then stays "in flight" until shutdown,
	 * where it is counted as lost; nothing worse happens. */
}

struct wwtp_outbox *wwtp_outbox_new(struct wwtp_mqtt *m, size_t max_held)
{
	struct wwtp_outbox *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->mqtt = m;
	o->max_inflight = max_held;
	o->inflight.prev = o->inflight.next = &o->inflight;
	o->drop_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	o->held = wwtp_queue_new(max_held);
	o->events = wwtp_queue_new(max_held);
	if (!o->held || !o->events) {
		wwtp_queue_free(o->held, NULL);
		wwtp_queue_free(o->events, NULL);
		free(o);
		return NULL;
	}
	wwtp_mqtt_set_ack_cb(m, on_ack, o);
	return o;
}

void wwtp_outbox_free(struct wwtp_outbox *o)
{
	if (!o)
		return;
	wwtp_mqtt_set_ack_cb(o->mqtt, NULL, NULL);
	size_t n = wwtp_queue_len(o->held) + o->ninflight - o->ntagged;
	if (n > 0)
		LOG_WARN(MOD, "%zu messages not acknowledged by the broker are lost", n);
	while (o->inflight.next != &o->inflight) {
		struct msg *m = o->inflight.next;
		unlink_msg(m);
		msg_free(m);
	}
	wwtp_queue_free(o->held, msg_free);
	wwtp_queue_free(o->events, free);
	free(o);
}

static int ever_connected(struct wwtp_outbox *o)
{
	struct wwtp_mqtt_stats st;
	wwtp_mqtt_get_stats(o->mqtt, &st);
	return st.connects > 0;
}

/* A tagged message is given back to its owner (which still has it); the
 * outbox forgets it. */
static void give_back(struct wwtp_outbox *o, struct msg *m)
{
	o->returned++;
	o->ntagged--;
	if (o->done_cb)
		o->done_cb(m->tag, 0, o->done_ctx);
	msg_free(m);
}

static void drop(struct wwtp_outbox *o, const char *topic, const char *why)
{
	o->dropped++;
	wwtp_complain(&o->drop_complain, WWTP_LOG_ERROR, MOD,
		      "message for %s dropped: %s (%llu dropped so far)", topic, why,
		      (unsigned long long)o->dropped);
}

/* Whether an error of wwtp_mqtt_publish means "not now" rather than "never". */
static int retry_later(int rc)
{
	return rc == WWTP_ERR_CONN || rc == WWTP_ERR_FULL;
}

/* Hands m to the client: 0 (m is now in flight), or an error of
 * wwtp_mqtt_publish (m untouched). */
static int send_msg(struct wwtp_outbox *o, struct msg *m)
{
	if (o->ninflight >= o->max_inflight)
		return WWTP_ERR_FULL;
	int rc = wwtp_mqtt_publish(o->mqtt, m->topic, m->payload, m->len, m->qos, m->retained,
				   &m->token);
	if (rc)
		return rc;
	m->tries++;
	m->failed = 0;
	m->prev = o->inflight.prev;
	m->next = &o->inflight;
	o->inflight.prev->next = m;
	o->inflight.prev = m;
	o->ninflight++;
	return 0;
}

static struct msg *find_inflight(struct wwtp_outbox *o, uint64_t token)
{
	/* Acknowledgements come nearly in order: the oldest is almost always
	 * the one. */
	for (struct msg *m = o->inflight.next; m != &o->inflight; m = m->next)
		if (m->token == token)
			return m;
	return NULL;
}

/* Returns 1 when the event reports a message the client gave up. */
static int take_event(struct wwtp_outbox *o, struct ack_event *ev)
{
	struct msg *m = find_inflight(o, ev->token);
	int failed = 0;

	if (m && ev->ok) {
		unlink_msg(m);
		o->ninflight--;
		o->acked++;
		if (m->tagged) {
			o->ntagged--;
			if (o->done_cb)
				o->done_cb(m->tag, 1, o->done_ctx);
		}
		msg_free(m);
	} else if (m) {
		m->failed = 1;
		failed = 1;
	}
	free(ev);
	return failed;
}

static void requeue_failed(struct wwtp_outbox *o)
{
	/* Newest first onto the head of the held queue, so that the oldest
	 * ends up in front, ahead of everything that waits. */
	for (struct msg *m = o->inflight.prev, *prev; m != &o->inflight; m = prev) {
		prev = m->prev;
		if (!m->failed)
			continue;
		unlink_msg(m);
		o->ninflight--;
		if (m->tagged) {
			give_back(o, m);
		} else if (m->tries >= WWTP_OUTBOX_TRIES) {
			drop(o, m->topic, "given up by the MQTT client too many times");
			msg_free(m);
		} else if (wwtp_queue_push_front(o->held, m) != 0) {
			drop(o, m->topic, "outbox full (broker unreachable for too long)");
			msg_free(m);
		} else {
			o->retried++;
		}
	}
}

static void take_events(struct wwtp_outbox *o, struct ack_event *first)
{
	struct ack_event *ev;
	int any_failed = first ? take_event(o, first) : 0;

	while ((ev = wwtp_queue_pop(o->events, 0)) != NULL)
		any_failed |= take_event(o, ev);
	if (any_failed)
		requeue_failed(o);
}

static void send_held(struct wwtp_outbox *o)
{
	struct msg *m;

	if (wwtp_queue_len(o->held) == 0 || !ever_connected(o))
		return;
	while ((m = wwtp_queue_peek(o->held)) != NULL) {
		int rc = send_msg(o, m);
		if (rc != 0 && retry_later(rc))
			break;
		wwtp_queue_pop(o->held, 0);
		if (rc != 0 && m->tagged) {
			give_back(o, m);
		} else if (rc != 0) {
			drop(o, m->topic, wwtp_strerror(rc));
			msg_free(m);
		}
	}
}

void wwtp_outbox_pump(struct wwtp_outbox *o)
{
	take_events(o, NULL);
	send_held(o);
}

static int put_msg(struct wwtp_outbox *o, const char *topic, const void *payload, size_t len,
		   int qos, int retained, int tagged, uint64_t tag)
{
	struct msg *m;
	int rc;

	o->put++;
	m = calloc(1, sizeof(*m) + len);
	if (!m || !(m->topic = strdup(topic))) {
		free(m);
		if (!tagged)
			drop(o, topic, "out of memory");
		return WWTP_ERR_NOMEM;
	}
	m->prev = m->next = m;
	m->qos = qos;
	m->retained = retained;
	m->tagged = tagged;
	m->tag = tag;
	m->len = len;
	if (len)
		memcpy(m->payload, payload, len);
	/* Counted now, uncounted below on refusal: send_msg may already see
	 * its acknowledgement arrive. */
	if (tagged)
		o->ntagged++;

	/* Once anything waits here, newer messages queue up behind it rather
	 * than overtake it. */
	if (wwtp_queue_len(o->held) == 0 && ever_connected(o)) {
		rc = send_msg(o, m);
		if (rc == 0)
			goto accepted;
		if (!retry_later(rc)) {
			if (tagged)
				o->ntagged--;
			else
				drop(o, topic, wwtp_strerror(rc));
			msg_free(m);
			return rc;
		}
	}
	if (wwtp_queue_push(o->held, m) != 0) {
		if (tagged)
			o->ntagged--;
		else
			drop(o, topic, "outbox full (broker unreachable for too long)");
		msg_free(m);
		return WWTP_ERR_FULL;
	}
accepted:
	if (o->drop_complain.interval_ms != 0)
		wwtp_complain_release(&o->drop_complain, MOD, "messages are accepted again");
	return 0;
}

int wwtp_outbox_put(struct wwtp_outbox *o, const char *topic, const void *payload, size_t len,
		    int qos, int retained)
{
	return put_msg(o, topic, payload, len, qos, retained, 0, 0);
}

int wwtp_outbox_put_tagged(struct wwtp_outbox *o, const char *topic, const void *payload,
			   size_t len, int qos, int retained, uint64_t tag)
{
	return put_msg(o, topic, payload, len, qos, retained, 1, tag);
}

void wwtp_outbox_set_done_cb(struct wwtp_outbox *o, wwtp_outbox_done_cb cb, void *ctx)
{
	o->done_cb = cb;
	o->done_ctx = ctx;
}

size_t wwtp_outbox_pending(struct wwtp_outbox *o)
{
	return wwtp_queue_len(o->held) + o->ninflight;
}

size_t wwtp_outbox_pending_tagged(struct wwtp_outbox *o)
{
	return o->ntagged;
}

int wwtp_outbox_flush(struct wwtp_outbox *o, int timeout_ms)
{
	int64_t end = wwtp_mono_ms() + (timeout_ms < 0 ? 0 : timeout_ms);

	for (;;) {
		wwtp_outbox_pump(o);
		if (wwtp_outbox_pending(o) == 0)
			return o->dropped ? WWTP_ERR_MQTT : 0;
		int64_t left = end - wwtp_mono_ms();
		if (left <= 0)
			return WWTP_ERR_TIMEOUT;
		/* Sleeps until the client reports something; in short slices so
		 * that what a reconnect lets through is sent without delay. */
		struct ack_event *ev =
		    wwtp_queue_pop(o->events, left > FLUSH_SLICE_MS ? FLUSH_SLICE_MS : (int)left);
		if (ev)
			take_events(o, ev);
	}
}

void wwtp_outbox_get_stats(struct wwtp_outbox *o, struct wwtp_outbox_stats *out)
{
	out->put = o->put;
	out->acked = o->acked;
	out->retried = o->retried;
	out->dropped = o->dropped;
	out->returned = o->returned;
	out->held = wwtp_queue_len(o->held);
	out->inflight = o->ninflight;
}
