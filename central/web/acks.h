/* acks.h - operators' acknowledgements of alerts: who, when, and their
 * comment, one per alert, kept in a file so that a restart loses none.
 *
 * The file holds one JSON object per line, appended and flushed to disk
 * before the acknowledgement is confirmed:
 *   {"alert":"yen-nghia:cod:exceedance:3600:1795670100000","user":"an",
 *    "time":"2026-11-26T18:03:44.676Z","comment":"Đã gọi nhà máy"}
 * At start every line is read back; a line that cannot be read (a torn
 * last line after a crash) is logged and skipped. Thread-safe. */
#ifndef WWTP_CENTRAL_ACKS_H
#define WWTP_CENTRAL_ACKS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../../compliance/evaluator.h"
#include "auth.h"

#define WWTP_ACK_COMMENT_MAX 1001 /* bytes of UTF-8, 1..1000 */

struct wwtp_ack {
	char alert[WWTP_ALERT_ID_MAX];
	char user[WWTP_AUTH_USER_MAX];
	int64_t time_ms;
	char comment[WWTP_ACK_COMMENT_MAX];
};

struct wwtp_acks;

/* Opens path (created, mode 0600, when missing) and reads it back. 0 and
 * *out, WWTP_ERR_ERRNO (logged), WWTP_ERR_NOMEM. */
int wwtp_acks_open(const char *path, struct wwtp_acks **out);
void wwtp_acks_close(struct wwtp_acks *k); /* accepts NULL */

/* Records an acknowledgement. 0; WWTP_ERR_FULL (the alert already has one:
 * *prev gets it); WWTP_ERR_ERRNO (cannot write: logged, nothing kept). */
int wwtp_acks_add(struct wwtp_acks *k, const struct wwtp_ack *ack, struct wwtp_ack *prev);
/* The acknowledgement of an alert: 0 and *out, or WWTP_ERR_NOTFOUND. */
int wwtp_acks_get(struct wwtp_acks *k, const char *alert, struct wwtp_ack *out);
size_t wwtp_acks_count(struct wwtp_acks *k);

/* {"user", "time", "comment"} of an acknowledgement (NULL on NOMEM). */
json_t *wwtp_ack_json(const struct wwtp_ack *a);
/* Whether s is a comment acknowledgements take: valid UTF-8, 1..1000
 * bytes, no control characters but none at all (one line). */
int wwtp_ack_valid_comment(const char *s);

#endif
