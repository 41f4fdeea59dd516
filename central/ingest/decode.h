/* decode.h - what the central side accepts from the edge: telemetry, status
 * and alert payloads (docs/mqtt.md), checked against the topic they came on
 * and the registry of known stations.
 *
 * Pure: no clock (the caller passes "now"), no I/O, no global state. Every
 * payload is either decoded completely or rejected with one reason; nothing
 * a sender can put in a payload makes it crash or read out of bounds (the
 * unit tests feed it garbage). Unknown keys are ignored, so that payload
 * versions can grow by adding keys (docs/mqtt.md, `v`). */
#ifndef WWTP_CENTRAL_DECODE_H
#define WWTP_CENTRAL_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "registry.h"

/* Why a payload was refused. Names (wwtp_reject_name) appear in logs,
 * counters and docs/central.md. */
enum wwtp_reject {
	WWTP_REJECT_BAD_JSON = 0,    /* not JSON, or not a JSON object */
	WWTP_REJECT_BAD_VERSION,     /* "v" missing, not an integer, or not 1 */
	WWTP_REJECT_UNKNOWN_STATION, /* no station file for this station id */
	WWTP_REJECT_TOPIC_MISMATCH,  /* payload "station" differs from the topic's */
	WWTP_REJECT_BAD_FIELD,	     /* a key missing, of the wrong type or syntax */
	WWTP_REJECT_ABSURD_VALUE,    /* a number that no instrument produces */
	WWTP_REJECT_ABSURD_TIME,     /* a time before 2000 or over a day ahead */
	WWTP_REJECT_TOO_LARGE,	     /* payload over WWTP_PAYLOAD_MAX, or too many readings */
	WWTP_REJECT_BAD_TOPIC,	     /* topic not <prefix>/<station>/<telemetry|status|alert> */
	WWTP_REJECT_COUNT
};
const char *wwtp_reject_name(int reason); /* "bad_json", ...; "?" if out of range */

/* CONFIG: the measuring configuration a collector publishes at start
 * (docs/mqtt.md, "Config"); numbered and chained like alerts. */
enum wwtp_msg_kind { WWTP_MSG_TELEMETRY = 1, WWTP_MSG_STATUS, WWTP_MSG_ALERT, WWTP_MSG_CONFIG };
#define WWTP_MSG_KINDS 5		  /* one past the last kind */
const char *wwtp_msg_kind_name(int kind); /* "telemetry", "status", "alert", "config" */

/* Limits of what is believed. */
#define WWTP_DECODE_MIN_TS_MS 946684800000LL /* 2000-01-01T00:00:00Z */
#define WWTP_DECODE_MAX_AHEAD_MS 86400000LL  /* now + 1 day */
#define WWTP_DECODE_MAX_ABS 1e12	     /* |value| at or above is absurd */
#define WWTP_DECODE_MAX_READINGS 1000	     /* per telemetry message */
#define WWTP_DECODE_MAX_TEXT 1024	     /* bytes of a free-text string (reason) */
#define WWTP_DECODE_MAX_CHANGES 200	     /* per config message */
#define WWTP_DECODE_MAX_SETTING 40	     /* bytes of a setting's name */
#define WWTP_DECODE_MAX_CONF_VALUE 96	     /* bytes of a setting's value */

struct wwtp_in_reading {
	const char *param;  /* [a-z0-9_]+ */
	const char *unit;   /* may be "" */
	const char *reason; /* NULL when absent */
	/* The plausibility check the value failed ("range", "step", "flatline",
	 * or a name a later collector adds: [a-z_]); NULL when absent, as in
	 * every payload before it (docs/plausibility.md). */
	const char *suspect;
	int status; /* enum wwtp_reading_status (payload.h) */
	int has_value;
	double value; /* finite, |value| < WWTP_DECODE_MAX_ABS */
};

/* One change of a config message: a setting of a device (param NULL), a
 * point, or the station (device ""); from or to NULL when the setting, the
 * point or the device was not there. */
struct wwtp_in_change {
	const char *device, *param, *setting, *from, *to;
};

/* A decoded payload. Strings point into the decoder's copy of the document
 * and stay valid until wwtp_in_msg_clear(). Optional numbers come with a
 * has_ flag. */
struct wwtp_in_msg {
	int kind;	     /* enum wwtp_msg_kind */
	const char *station; /* equals the topic's, and is in the registry */
	int has_ts;	     /* always 1 for telemetry and status */
	int64_t ts_ms;

	/* telemetry */
	const char *device;
	int64_t seq; /* telemetry: always; alert: its number, 0 when absent */
	/* The sender's "floor" (docs/mqtt.md): every number below it is
	 * stored here already or lost for good; 0 when absent. */
	int64_t floor;
	size_t nreadings;
	struct wwtp_in_reading *readings;

	/* status */
	const char *state;   /* "online" or "offline" */
	const char *version; /* NULL when absent */

	/* alert */
	const char *id;
	const char *event;	  /* "raised" or "cleared" */
	const char *alert_kind;	  /* [a-z0-9_-]+, e.g. "exceedance" */
	const char *alert_device; /* NULL when absent; the device an alert is about */
	const char *param;	  /* NULL when absent */
	const char *unit;	  /* NULL when absent */
	const char *suspect;	  /* suspect_data: the check failed ([a-z_]); NULL when absent */
	/* config_change alerts central raises itself (confchange.h): the
	 * setting and its old and new values; NULL otherwise. */
	const char *setting, *from, *to;
	int has_window, has_value, has_limit, has_ratio, has_end, has_since;
	int64_t window_s;
	double value, limit, ratio;
	int64_t start_ms, end_ms, since_ms;

	/* config: the fingerprint (64 hex digits), the previous one (NULL for
	 * none), the changes, and how many more the sender left out. */
	const char *fingerprint, *previous;
	size_t nchanges;
	struct wwtp_in_change *changes;
	int64_t more;

	/* Set by the ingest after decoding (verify.h): 1 when signed with the
	 * station's registered key; link, its place in the chain (0: none). */
	int verified;
	int64_t link;

	void *priv; /* the parsed document */
};

/* Why, for the log: the reason and a short explanation ("readings[2].value
 * 1e+15 is absurd"). */
struct wwtp_reject_info {
	int reason; /* enum wwtp_reject */
	char text[160];
};

/* Decodes `payload` (len bytes, need not be NUL-terminated) received on
 * `topic` (topic_len bytes: MQTT topics may hold NUL bytes, which are
 * refused). `prefix` is the topic prefix the central subscribed with.
 * Returns 0 and fills *out (clear it with wwtp_in_msg_clear), or
 * WWTP_ERR_INVAL with *why filled and *out empty, or WWTP_ERR_NOMEM. */
int wwtp_decode(const char *topic, size_t topic_len, const char *prefix, const void *payload,
		size_t len, const struct wwtp_registry *reg, int64_t now_ms,
		struct wwtp_in_msg *out, struct wwtp_reject_info *why);
void wwtp_in_msg_clear(struct wwtp_in_msg *m); /* accepts an empty message */

#endif
