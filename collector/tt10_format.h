/* tt10_format.h - the Circular 10/2021 transmission file as text (pure):
 * its name, its content, the local time stamp in both, and the receiver's
 * folder for it. docs/tt10.md has the format and what is uncertain in it. */
#ifndef WWTP_TT10_FORMAT_H
#define WWTP_TT10_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "../station/tt10_config.h"

#define WWTP_TT10_STAMP_LEN 14 /* yyyyMMddHHmmss */
/* "<Province>_<Facility>_<Station>_<yyyyMMddHHmmss>.txt" and a NUL. */
#define WWTP_TT10_NAME_MAX (3 * WWTP_TT10_FIELD_MAX + WWTP_TT10_STAMP_LEN + 8)

/* The status field of a line. */
enum wwtp_tt10_status {
	WWTP_TT10_MEASURING = 0,   /* "00" */
	WWTP_TT10_CALIBRATING = 1, /* "01" */
	WWTP_TT10_FAULT = 2,	   /* "02" (device fault, offline, or no reading) */
};

/* What one parameter's line says for one period. */
struct wwtp_tt10_value {
	int status;    /* enum wwtp_tt10_status */
	int has_value; /* 0: the value field is empty */
	double value;
};

/* ts (UTC epoch ms) as Vietnam local time (UTC+7, no daylight saving),
 * "yyyyMMddHHmmss", into out (at least 15 bytes). Returns 0, or
 * WWTP_ERR_RANGE for a year outside 0..9999. */
int wwtp_tt10_stamp(int64_t ts_ms, char out[WWTP_TT10_STAMP_LEN + 1]);

/* The file's name for a period stamped stamp_ms (already the start or the
 * end, as the config says). 0, or WWTP_ERR_RANGE when it does not fit. */
int wwtp_tt10_file_name(const struct wwtp_tt10_config *c, int64_t stamp_ms, char *out, size_t n);

/* The file's content: for each of c's params, in order, with values[i]:
 * code TAB value TAB unit TAB yyyyMMddHHmmss TAB status, one line each
 * (layout "lines"), or all of them on one line TAB-separated ("single");
 * each line ends with LF, or CR LF with crlf. The value has the param's
 * decimals; an absent or non-finite value leaves the field empty; -0 is
 * written as 0. Writes a NUL-terminated text into out (n bytes) and its
 * length into *len. 0, or WWTP_ERR_RANGE when it does not fit. */
int wwtp_tt10_format(const struct wwtp_tt10_config *c, int64_t stamp_ms,
		     const struct wwtp_tt10_value *values, char *out, size_t n, size_t *len);

/* The stamp of a file name of ours: the 14 digits before ".txt" after the
 * last '_'. Copies them into out and returns 0, or returns WWTP_ERR_INVAL
 * when name is not "<...>_<14 digits>.txt". Stamps sort as times do. */
int wwtp_tt10_name_stamp(const char *name, char out[WWTP_TT10_STAMP_LEN + 1]);

/* Expands a remote folder pattern (checked by wwtp_tt10_dir_pattern_problem)
 * for a file stamped stamp ("yyyyMMddHHmmss"): %Y %m %d %H become the
 * stamp's year, month, day and hour, %% a '%'. 0, or WWTP_ERR_RANGE when it
 * does not fit, WWTP_ERR_INVAL for another conversion. */
int wwtp_tt10_expand_dir(const char *pattern, const char *stamp, char *out, size_t n);

#endif
