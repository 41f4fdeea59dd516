/* notify.h - telling people when alerts change: e-mail over SMTP and JSON
 * webhooks, from a durable outbox (docs/notify.md).
 *
 * In: the monitor's alert notes (../monitor/alert_events.h), raised and
 * cleared ("changed" is not sent). Each is written to the outbox (fsynced)
 * before wwtp_notify_note() returns, under a key (alert id, edge): the
 * same edge noted again (an MQTT redelivery, the monitor's re-report after
 * a restart) is one event, as long as it is remembered (keep_days).
 *
 * Out: per recipient, at most one message per min_interval_s, made once
 * its oldest waiting event has waited delay_s, listing every change since
 * its last message (sched.h). A message is a file in the outbox from the
 * moment it is made; it is retried with back-off (retry_min_s doubling to
 * retry_max_s) until the server takes it.
 *
 * Crash while sending. A message is renamed NAME.sending before the attempt
 * and removed when the server has taken it. A SIGKILL or power cut between
 * the server's answer (SMTP 250, HTTP 2xx) and that removal leaves the
 * .sending file; at the next start it is sent again, with the same
 * Message-ID (and the webhook's same id / Idempotency-Key), and counted
 * ("resent"): at least once, never silently lost. The window is the time of
 * one unlink and one fsync of a folder; the SMTP connection is kept so that
 * the message ends with the 250, not with QUIT.
 *
 * Threads: notes come from any thread; one thread of its own sends. */
#ifndef WWTP_NOTIFY_H
#define WWTP_NOTIFY_H

#include <jansson.h>
#include <stdint.h>

#include "../config/config.h"
#include "../monitor/alert_events.h"

struct wwtp_notify;

/* Opens the outbox (cfg->dir), reads back what it holds, reads the SMTP
 * password. cfg is copied. 0 and *out, or WWTP_ERR_* (logged). */
int wwtp_notify_new(const struct wwtp_central_notify *cfg, struct wwtp_notify **out);
/* Starts the sending thread. 0 or WWTP_ERR_*. */
int wwtp_notify_start(struct wwtp_notify *n);
/* Stops (an attempt under way ends within timeout_s) and frees. NULL ok. */
void wwtp_notify_free(struct wwtp_notify *n);

/* An alert_events.h listener: ctx is the struct wwtp_notify. */
void wwtp_notify_note(void *ctx, const struct wwtp_alert_note *note);

struct wwtp_notify_stats {
	uint64_t events;     /* alert edges taken this run */
	uint64_t duplicates; /* edges noted again, ignored */
	uint64_t lost;	     /* edges that could not be written (disk): logged */
	uint64_t queued;     /* messages in the outbox, not delivered yet */
	uint64_t retrying;   /* ... of which at least one attempt failed */
	uint64_t sent;	     /* messages delivered this run */
	uint64_t failed;     /* attempts that failed this run */
	uint64_t resent;     /* messages found mid-send at start, sent again */
	uint64_t set_aside;  /* damaged or undeliverable files moved to bad/ */
};
void wwtp_notify_get_stats(struct wwtp_notify *n, struct wwtp_notify_stats *out);
/* Adds "notify": { ... } (docs/api.md, /api/health) to h. */
void wwtp_notify_health(struct wwtp_notify *n, json_t *h);

#endif
