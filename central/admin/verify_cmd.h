/* verify_cmd.h - `wwtp-central verify`: re-checks a stored span of one
 * signed station (docs/security.md, "Re-checking a stored span"): reads
 * the `signed` and `reading` points of the span from InfluxDB and checks
 * them (ingest/span.h). */
#ifndef WWTP_CENTRAL_VERIFY_CMD_H
#define WWTP_CENTRAL_VERIFY_CMD_H

#include <stdint.h>

/* argv[0] is "verify". Returns the exit status: 0 everything checks, 1
 * something does not, 2 bad usage or configuration, or InfluxDB could
 * not be read (nothing was checked). */
int wwtp_verify_main(int argc, char **argv);

/* A time of --from/--to: "2026-12-04", "2026-12-04T14:00:00Z" or
 * "2026-12-04T14:00:00.000Z" (UTC). 0 or WWTP_ERR_INVAL. Pure. */
int wwtp_verify_parse_time(const char *s, int64_t *ms);

#endif
