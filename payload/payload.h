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
	int status;                     /* enum wwtp_reading_status */
	int has_value;                  /* 0 for offline, and for a fault with no value */
	double value;
	char reason[96]; /* why not ok ("timed out", "exception 2 (illegal address)"), "" if ok */
};

/* One poll of one device. */
struct wwtp_sample {
	const struct wwtp_device *device;
	int64_t ts_ms; /* poll time, UTC epoch ms */
	size_t nreadings;
	struct wwtp_reading *readings; /* owned; device->npoints long */
};

struct wwtp_sample *wwtp_sample_new(const struct wwtp_device *dev); /* readings zeroed */
void wwtp_sample_free(struct wwtp_sample *s);                         /* accepts NULL */

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
int wwtp_payload_telemetry(const struct wwtp_station *st, const struct wwtp_sample *s,
			   uint64_t seq, struct wwtp_buf *out);

/* Status payload (retained): {"v":1,"station":"..","state":"online"|"offline",
 * "version":"..","ts":"..Z"}. Same return values and rollback as above. */
int wwtp_payload_status(const struct wwtp_station *st, const char *state, const char *version,
			int64_t ts_ms, struct wwtp_buf *out);

/* Topic "<prefix>/<station>/<leaf>" into out (size n). 0 or WWTP_ERR_RANGE. */
int wwtp_topic(const struct wwtp_station *st, const char *leaf, char *out, size_t n);

#endif
