/* lineproto.h - InfluxDB line protocol, millisecond precision: a point
 * builder and the encoder of decoded payloads (schema: docs/influxdb-schema.md).
 *
 * Pure: appends to a caller's wwtp_buf, nothing else. A point is appended
 * whole or not at all: after any failure the buffer is rolled back to where
 * the point (or the message) began.
 *
 * Escaping follows the InfluxDB line protocol reference: in the measurement
 * commas and spaces; in tag keys, tag values and field keys commas, equals
 * signs and spaces; in string field values double quotes and backslashes.
 * Names (measurement, tag keys and values, field keys) may not be empty,
 * begin a measurement with '#' (a comment), or hold a backslash or a control
 * character: InfluxDB 1.x and 2.x read those differently, so they are
 * refused (WWTP_ERR_INVAL) rather than guessed at. Control characters in
 * string field values become spaces (line protocol has no escape for a
 * newline). */
#ifndef WWTP_CENTRAL_LINEPROTO_H
#define WWTP_CENTRAL_LINEPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "../../util/buf.h"
#include "decode.h"

/* The measurements (docs/influxdb-schema.md). */
#define WWTP_LP_READING "reading"
#define WWTP_LP_ALERT "alert"
#define WWTP_LP_STATUS "station_status"
#define WWTP_LP_CONFIG "config"

/* A point under construction. Calls after the first error do nothing; the
 * error comes out of wwtp_lp_end. Tags must all come before the first field. */
struct wwtp_lp {
	struct wwtp_buf *b;
	size_t start; /* b->len before the point */
	int nfields;
	int err;
};

void wwtp_lp_begin(struct wwtp_lp *p, struct wwtp_buf *b, const char *measurement);
void wwtp_lp_tag(struct wwtp_lp *p, const char *key, const char *value);
void wwtp_lp_float(struct wwtp_lp *p, const char *key, double v); /* NaN, inf: WWTP_ERR_NAN */
void wwtp_lp_int(struct wwtp_lp *p, const char *key, int64_t v);  /* written as 42i */
void wwtp_lp_str(struct wwtp_lp *p, const char *key, const char *v);
/* Appends " <ts_ms>\n". Returns 0, or the first error (WWTP_ERR_INVAL for a
 * bad name or no field at all, WWTP_ERR_NAN, WWTP_ERR_FULL, WWTP_ERR_NOMEM)
 * with the buffer rolled back. */
int wwtp_lp_end(struct wwtp_lp *p, int64_t ts_ms);

/* The points of one decoded message, appended to out: one `reading` per
 * reading, one `station_status`, or one `alert`. *npoints gets how many.
 * All or nothing: on error out is as it was. */
int wwtp_lp_encode(const struct wwtp_in_msg *m, struct wwtp_buf *out, size_t *npoints);

#endif
