/* payload.h - the MQTT payloads (docs/mqtt.md) and the readings they carry.
 * Encoding is pure: it fills a caller's buffer, no I/O. Shared by the
 * collector (publishes), the simulator (publishes history, later) and the
 * central side (decodes, later). */
#ifndef WWTP_PAYLOAD_H
#define WWTP_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "../station/station.h"
#include "../util/buf.h"

#define WWTP_PAYLOAD_VERSION 1
#define WWTP_PAYLOAD_MAX (256 * 1024) /* cap of one encoded payload */

enum wwtp_reading_status {
	WWTP_READING_OK = 0,
	WWTP_READING_CALIBRATING = 1,
	WWTP_READING_FAULT = 2,
	WWTP_READING_OFFLINE = 3,
};

const char *wwtp_reading_status_name(int status); /* "ok", "calibrating", ... */

struct wwtp_reading {
	const struct wwtp_point *point; /* param and unit come from it */
	int status;			/* enum wwtp_reading_status */
	int has_value;			/* 0 for offline, and for a fault with no value */
	double value;
	char reason[96]; /* why not ok ("timed out", "exception 2 (illegal address)"), "" if ok */
};

/* One poll of one device. */
struct wwtp_sample {
	const struct wwtp_device *device;
	int64_t ts_ms; /* poll time, UTC epoch ms */
	/* The clock was not known to be synchronised when the sample was taken
	 * (a Pi has no hardware clock: before NTP, ts may be far off). Adds
	 * "clock":"unsynced" to the telemetry. */
	int clock_unsynced;
	/* ts is this many ms ahead of the station's wall clock at the poll:
	 * the clock stepped back and ts was kept after the device's previous
	 * one (collector/tsguard.h). Adds "clock_behind_ms":N when > 0. */
	int64_t clock_behind_ms;
	size_t nreadings;
	struct wwtp_reading *readings; /* owned; device->npoints long */
};

struct wwtp_sample *wwtp_sample_new(const struct wwtp_device *dev); /* readings zeroed */
void wwtp_sample_free(struct wwtp_sample *s);			    /* accepts NULL */

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

/* What the collector knows about one device's polling (filled by the
 * poller, published in the health payload). Counts are since the collector
 * started. */
struct wwtp_device_health {
	uint64_t polls;	   /* samples delivered */
	uint64_t failures; /* polls the device did not answer at all */
	uint64_t partial;  /* answered polls where some points could not be read */
	uint64_t skipped;  /* scheduled polls dropped because the link fell behind */
	unsigned consecutive_failures;
	int interval_ms;      /* current effective interval: grows while failing */
	int64_t last_poll_ms; /* wall clock of the last poll, 0 = none yet */
	int64_t last_ok_ms;   /* wall clock of the last answered poll, 0 = never */
	size_t last_unread;   /* values not read at the last poll */
	char last_error[128]; /* last failure's reason, "" if none yet */
	/* Failed requests by kind, every attempt (retries included). */
	uint64_t err_timeout;	/* no answer in time */
	uint64_t err_exception; /* a Modbus exception answer */
	uint64_t err_frame;	/* bad CRC, malformed answer, answer from another unit id */
	uint64_t err_conn;	/* cannot connect, connection lost, serial line gone */
	uint64_t err_other;
};

/* "ok", "partial" (answered, some values unread), "offline" (the last poll
 * got no answer) or "unknown" (not polled yet). */
const char *wwtp_device_state_name(const struct wwtp_device_health *h);

/* The collector's own health (docs/mqtt.md, "Health"). */
struct wwtp_health {
	int64_t ts_ms;	     /* when it was taken */
	int64_t started_ms;  /* when the collector started (wall clock) */
	int64_t uptime_s;    /* monotonic */
	const char *version; /* collector version */
	const char *clock;   /* "synced", "unsynced" or "unknown" */
	int durable;	     /* messages wait in a durable store (else in memory) */
	uint64_t backlog;    /* messages not acknowledged by the broker yet */
	int64_t oldest_ms;   /* ts of the oldest of them; 0 = none or unknown */
	uint64_t store_bytes, store_max_bytes; /* durable only */
	uint64_t polls;			       /* device polls since start */
	uint64_t dropped_full;	  /* store full: oldest unsent dropped (store's lifetime) */
	uint64_t dropped_age;	  /* older than max_age_days (store's lifetime) */
	uint64_t dropped_lost;	  /* since start: queue full, encoding, memory outbox */
	uint64_t dropped_damaged; /* since start: stored messages found altered, not sent */
	int confirm;		  /* the store waits for central's confirmation */
	uint64_t confirmed_seq;	  /* the last seq central confirmed (0: none yet) */
	uint64_t resent;	  /* messages sent again for want of a confirmation */
	size_t ndevices;	  /* st->ndevices */
	const struct wwtp_device_health *devices; /* in the station's order */
};

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

/* Topic "<prefix>/<station>/<leaf>" into out (size n). 0 or WWTP_ERR_RANGE. */
int wwtp_topic(const struct wwtp_station *st, const char *leaf, char *out, size_t n);

#endif
