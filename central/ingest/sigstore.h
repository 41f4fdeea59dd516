/* sigstore.h - the exact bytes of each verified, chained message, kept in
 * InfluxDB beside the points made from them (measurement "signed",
 * docs/influxdb-schema.md), so that `wwtp-central verify` can check a
 * stored span again later (docs/security.md, "Re-checking a stored span").
 *
 * A message's bytes go zlib-compressed and base64-encoded into one string
 * field; the point's time is the message's ts, as its readings' is (an
 * alert without ts: its start), and its series is the station and the
 * device (telemetry) or the alert's id.
 *
 * Pure: appends to a caller's buffer, nothing else. */
#ifndef WWTP_CENTRAL_SIGSTORE_H
#define WWTP_CENTRAL_SIGSTORE_H

#include <stddef.h>

#include "../../util/buf.h"
#include "decode.h"

#define WWTP_LP_SIGNED "signed"
/* Longest `bytes` field written: InfluxDB keeps string fields up to 64 KiB. */
#define WWTP_SIGSTORE_MAX_TEXT 65535

/* Appends the `signed` point of m (verified, with a link, telemetry or
 * alert: else WWTP_ERR_INVAL) whose payload as received is payload (len
 * bytes). 0, WWTP_ERR_RANGE when its text would pass
 * WWTP_SIGSTORE_MAX_TEXT, or the line protocol's errors; out is as it was
 * on error. */
int wwtp_sigstore_line(struct wwtp_buf *out, const struct wwtp_in_msg *m, const void *payload,
		       size_t len);

/* The bytes of a `bytes` field (text, n bytes, need not end in NUL) into
 * out (reset first; at most WWTP_PAYLOAD_MAX bytes). 0, or WWTP_ERR_INVAL
 * when it is not base64 of zlib data of at most that size, or
 * WWTP_ERR_NOMEM. Never reads outside text. */
int wwtp_sigstore_unpack(const char *text, size_t n, struct wwtp_buf *out);

#endif
