/* reading.h - what a poll yields, in the domain's own terms: a reading of
 * one point and its status, a sample (one poll of one device), and what
 * the collector knows of its devices' and its own health. The payloads
 * (payload.h), the evaluator (compliance/), the drivers and the programs
 * all speak these; they depend on nothing but the station model. */
#ifndef WWTP_MODEL_READING_H
#define WWTP_MODEL_READING_H

#include <stddef.h>
#include <stdint.h>

#include "station.h"

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
	/* Set by the collector's judge: the value failed a plausibility check
	 * (enum wwtp_suspect, compliance/plausibility.h; 0 = none). Such a
	 * reading is sent and stored, never counted as valid. */
	int suspect;
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

#endif
