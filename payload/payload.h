/* payload.h - the MQTT payloads (docs/mqtt.md); the readings, samples and
 * health they carry are the domain's (model/reading.h).
 * Encoding is pure: it fills a caller's buffer, no I/O. Shared by the
 * collector (publishes), the simulator (publishes history, later) and the
 * central side (decodes, later). */
#ifndef WWTP_PAYLOAD_H
#define WWTP_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "../model/reading.h"
#include "../model/station.h"
#include "../util/buf.h"

#define WWTP_PAYLOAD_VERSION 1
#define WWTP_PAYLOAD_MAX (256 * 1024) /* cap of one encoded payload */

/* Telemetry payload:
 * {"v":1,"station":"..","device":"..","ts":"..Z","seq":N,"readings":[
 *   {"param":"cod","value":42.1,"unit":"mg/L","status":"ok"}, ...]}
 * A reading without value has no "value" key and has "reason" (the
 * reading's reason, "no value" if empty); a reading with a value that is not
 * ok carries its reason when non-empty; "unit" is always there. A non-finite
 * value is sent as no value. Appends to out (which the caller resets); on
 * failure out is left as it was. Returns 0, WWTP_ERR_FULL (the document would
 * pass out's cap), WWTP_ERR_NOMEM, WWTP_ERR_INVAL (unknown reading status) or
 * WWTP_ERR_RANGE (timestamp out of range). */
int wwtp_payload_telemetry(const struct wwtp_station *st, const struct wwtp_sample *s, uint64_t seq,
			   struct wwtp_buf *out);

/* Defined in compliance/evaluator.h; only pointers are taken here. */
struct wwtp_verdict;
struct wwtp_alert_event;

/* Telemetry payload with each reading's evaluation: verdicts is NULL (no
 * "eval" at all, as wwtp_payload_telemetry) or s->nreadings verdicts, the
 * i-th being that of s->readings[i] after it was fed to the evaluator; an
 * entry whose param is "" adds no "eval" to its reading. Each other reading
 * gets, after its existing keys (docs/mqtt.md, "eval"):
 *   "eval":{"limit":{"min":5.5,"max":9},"instant_exceeds":true,
 *           "windows":[{"s":3600,"avg":42.1,"n":58,"avail":0.9667,
 *                       "judged":true,"exceeds":false,"ratio":0.2835,
 *                       "alert":true,"avail_alert":true}],
 *           "alerts":["fault","calibration","offline"]}
 * "limit" only for a judged parameter, with the bounds it has;
 * "instant_exceeds", "alert", "avail_alert" only when true; "alerts" only
 * when one is active; "avg" only with readings in the window; "exceeds" only
 * when judged against a limit; "ratio" only when finite. Limits and
 * averages are written to 12 significant digits, "avail" and "ratio"
 * rounded to 4 decimals. Same return values and rollback as
 * wwtp_payload_telemetry, plus WWTP_ERR_INVAL when a verdict's param is
 * not its reading's. */
int wwtp_payload_telemetry_eval(const struct wwtp_station *st, const struct wwtp_sample *s,
				uint64_t seq, const struct wwtp_verdict *verdicts,
				struct wwtp_buf *out);

/* Alert payload (docs/mqtt.md, "Alert"), for one raise or clear:
 * {"v":1,"station":"..","id":"..","event":"raised"|"cleared","kind":"..",
 *  "device":"..","param":"..","unit":"..","window_s":3600,"value":212.4,
 *  "limit":148.5,"ratio":1.4303,"since":"..Z","start":"..Z","end":"..Z",
 *  "ts":"..Z"}
 * device, param and unit are what the alert is about, as the caller names
 * them (each omitted when NULL or ""); the event's own param and unit are
 * not used. "window_s" only when not 0; "value", "limit", "ratio" only when
 * finite; "end" only on a clear. "ts" is the time of the edge: start on a
 * raise, end on a clear. Same return values and rollback as above
 * (WWTP_ERR_INVAL: unknown edge or kind). */
int wwtp_payload_alert(const struct wwtp_station *st, const struct wwtp_alert_event *e,
		       const char *device, const char *param, const char *unit,
		       struct wwtp_buf *out);

/* Status payload (retained): {"v":1,"station":"..","state":"online"|"offline",
 * "version":"..","ts":"..Z"}. Same return values and rollback as above. */
int wwtp_payload_status(const struct wwtp_station *st, const char *state, const char *version,
			int64_t ts_ms, struct wwtp_buf *out);

/* Health payload (retained on <prefix>/<station>/health):
 * {"v":1,"station":"..","ts":"..Z","version":"..","started":"..Z",
 *  "uptime_s":N,"clock":"synced",
 *  "backlog":{"durable":true,"messages":N,"oldest":"..Z","bytes":N,"max_bytes":N,
 *    "confirmed_seq":N,"resent":N},
 *  "dropped":{"total":N,"store_full":N,"too_old":N,"lost":N,"damaged":N},"polls":N,
 *  "devices":[{"device":"..","state":"ok","polls":N,"failures":N,"partial":N,
 *    "skipped":N,"consecutive_failures":N,"interval_ms":N,"last_poll":"..Z",
 *    "last_ok":"..Z","last_error":"..",
 *    "errors":{"timeout":N,"exception":N,"frame":N,"connection":N,"other":N}}]}
 * "oldest" only with a backlog; "bytes" and "max_bytes" only when durable;
 * "confirmed_seq" and "resent" only when the store waits for confirmations;
 * "last_poll", "last_ok", "last_error" only when there is one. Same return
 * values and rollback as above. */
int wwtp_payload_health(const struct wwtp_station *st, const struct wwtp_health *h,
			struct wwtp_buf *out);

/* Adds the member "key":v to the encoded JSON object in out (it must end
 * with its closing brace): how the collector puts a message's "floor" into
 * a payload encoded above (docs/mqtt.md). 0, WWTP_ERR_INVAL (out holds no
 * object) or WWTP_ERR_FULL (rolled back). */
int wwtp_payload_add_member(struct wwtp_buf *out, const char *key, uint64_t v);

/* A stored telemetry or alert message (as the collector wrote it: the
 * encoder's object, its "floor" member last, then perhaps the signature
 * members of util/sign.h) with a new number: out gets the object without
 * its signature, its first top-level "seq" set to seq and "floor" set to
 * floor, ready to be signed again. Used when a new store learns that its
 * first numbers were central's for other polls (collector/forward.c). Only
 * the encoder's own forms are taken: 0, or WWTP_ERR_INVAL for anything
 * else (out then holds nothing useful), WWTP_ERR_NOMEM. */
int wwtp_payload_renumber(const void *payload, size_t len, uint64_t seq, uint64_t floor,
			  struct wwtp_buf *out);

/* Topic "<prefix>/<station>/<leaf>" into out (size n). 0 or WWTP_ERR_RANGE. */
int wwtp_topic(const struct wwtp_station *st, const char *leaf, char *out, size_t n);

#endif
