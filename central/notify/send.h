/* send.h - one delivery: an e-mail over SMTP, or a JSON POST, with
 * libcurl. Each call blocks for at most timeout_s.
 *
 * The SMTP connection is kept between messages (libcurl's cache in the
 * sender's handle): a message then ends with the server's 250 to the data,
 * not with QUIT, which shortens the time between the server taking a
 * message and the outbox noting it (notify.h, "Crash while sending"). */
#ifndef WWTP_NOTIFY_SEND_H
#define WWTP_NOTIFY_SEND_H

#include <stddef.h>

#include "../config/config.h"

struct wwtp_sender;

/* The SMTP password (smtp->password_file) is read here, once. smtp may be
 * NULL (webhooks only). 0 and *out, or WWTP_ERR_* (logged). */
int wwtp_sender_new(const struct wwtp_notify_smtp *smtp, int timeout_s, struct wwtp_sender **out);
void wwtp_sender_free(struct wwtp_sender *s); /* accepts NULL */

/* Sends msg (a whole RFC 5322 message, CRLF) to one address. 0 when the
 * server took it; WWTP_ERR_CONN (try again later) or WWTP_ERR_PROTO (the
 * server refused it: 5xx), with why[] filled. */
int wwtp_send_mail(struct wwtp_sender *s, const char *to, const char *msg, size_t len, char *why,
		   size_t whyn);
/* POSTs body (application/json) to url with an Idempotency-Key header. 0
 * on a 2xx answer; WWTP_ERR_CONN otherwise, with why[] filled. */
int wwtp_send_hook(struct wwtp_sender *s, const char *url, const char *key, const char *body,
		   size_t len, char *why, size_t whyn);

#endif
