/* confaudit.h - the measuring-configuration audit (issue 20 item 3;
 * docs/security.md, "Measuring-configuration audit"; docs/mqtt.md,
 * "Config").
 *
 * What shapes the values a station publishes, rendered as a canonical text:
 * one line per setting, "device<TAB>param<TAB>setting<TAB>value", sorted, so
 * that the order of devices and points in the file, comments, profiles or
 * includes change nothing. Per device its transport-independent identity
 * (unit id) and status register; per point its table, address, type,
 * order, bit, scale, offset, unit, status register, plausibility bounds and
 * the effective limit it is judged against; per station the evaluation
 * settings. Host, port and serial line are not in it: moving a gateway is
 * not a measuring change. Numbers are written in the shortest form that
 * reads back as the same double (1, 0.5, 148.5), as a station file would.
 *
 * Its SHA-256 is the fingerprint; the diff of two texts is the list of
 * changes the collector publishes on <prefix>/<station>/config at start.
 *
 * Pure: no clock, no I/O. */
#ifndef WWTP_CONFAUDIT_H
#define WWTP_CONFAUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "../model/station.h"
#include "../util/buf.h"

#define WWTP_CONF_FP_HEX 65	 /* 64 hex digits and the NUL */
#define WWTP_CONF_SETTING_MAX 40 /* "plausible.resolution", "evaluation.min_availability" */
#define WWTP_CONF_VALUE_MAX 96
/* The most changes one message lists; more are summed up in "more". */
#define WWTP_CONF_CHANGES_MAX 200

/* One setting that differs between two runs. A point added or removed is
 * one change (setting "point"), a device likewise (setting "device", param
 * ""); a setting that one side has and the other not has has_from or
 * has_to 0 (null on the wire). */
struct wwtp_conf_change {
	char device[WWTP_ID_MAX]; /* "" for station-wide settings (evaluation) */
	char param[WWTP_ID_MAX];  /* "" for a device's own settings */
	char setting[WWTP_CONF_SETTING_MAX];
	char from[WWTP_CONF_VALUE_MAX];
	char to[WWTP_CONF_VALUE_MAX];
	int has_from, has_to;
};

/* The canonical text of st into out (reset first). 0 or the buffer's
 * error. */
int wwtp_confaudit_text(const struct wwtp_station *st, struct wwtp_buf *out);

/* SHA-256 of text (len bytes) as 64 lowercase hex digits. */
void wwtp_confaudit_fingerprint(const char *text, size_t len, char hex[WWTP_CONF_FP_HEX]);

/* The changes from old_text to new_text (canonical texts, NUL-terminated;
 * old_text NULL or "": nothing to compare with, no change). Sorted by
 * device, param, setting. *out (free()) gets at most WWTP_CONF_CHANGES_MAX
 * of them, *n how many, *more how many more there were. 0 or
 * WWTP_ERR_NOMEM. */
int wwtp_confaudit_diff(const char *old_text, const char *new_text, struct wwtp_conf_change **out,
			size_t *n, size_t *more);

/* The config message (docs/mqtt.md): {"v":1,"station":..,"ts":..,"seq":..,
 * "fingerprint":..,"previous":..|null,"changes":[..]} and "more" when
 * changes were left out. prev_fp NULL: no previous run is known. 0 or the
 * buffer's error. */
int wwtp_confaudit_payload(const struct wwtp_station *st, int64_t ts_ms, uint64_t seq,
			   const char *fp, const char *prev_fp, const struct wwtp_conf_change *c,
			   size_t n, size_t more, struct wwtp_buf *out);

/* Shortest text of v that reads back as v (%.1g .. %.17g); "none" for NaN,
 * "inf"/"-inf". */
void wwtp_confaudit_num(double v, char *out, size_t n);

#endif
