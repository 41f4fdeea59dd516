/* labsample.h - a grab sample's laboratory result against the analyzer
 * (issue 20 item 4; docs/api.md, "Laboratory samples"): what a recorded
 * sample may hold, the comparison with the analyzer's valid readings
 * around the time it was taken, and the `lab_mismatch` alert central
 * raises when the two disagree (docs/alerts.md).
 *
 * The comparison: the mean of the analyzer's valid readings (status ok,
 * not suspect) within the window around the time taken, against the
 * laboratory's value. They agree when |mean - lab| is within the
 * tolerance: tolerance_pct of |lab|, or tolerance_abs when that is larger
 * (a value near zero has no useful relative difference). The tolerance is
 * a project setting (central.cfg, lab group), not a regulation's number.
 * Pure. */
#ifndef WWTP_CENTRAL_LABSAMPLE_H
#define WWTP_CENTRAL_LABSAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

#define WWTP_ALERT_KIND_LAB "lab_mismatch"
#define WWTP_LP_SAMPLE "sample"
#define WWTP_LAB_TEXT_MAX 129 /* laboratory, reference: 1..128 bytes of UTF-8 */
#define WWTP_LAB_ID_MAX 160
/* How old a sample's time may be: results come back from a laboratory in
 * days or weeks, not years; older is taken for a typing mistake. */
#define WWTP_LAB_MAX_AGE_MS (366LL * 86400 * 1000)

enum wwtp_lab_verdict { WWTP_LAB_NO_DATA = 0, WWTP_LAB_AGREE, WWTP_LAB_DISAGREE };
/* "no_data", "agree", "disagree"; "?" out of range. */
const char *wwtp_lab_verdict_name(int v);
/* The verdict by name, or -1. */
int wwtp_lab_verdict_parse(const char *s);

/* One stored reading of the analyzer (already valid: status ok, not
 * suspect). */
struct wwtp_lab_reading {
	int64_t ts_ms;
	double value;
};

struct wwtp_lab_cmp {
	int verdict; /* enum wwtp_lab_verdict */
	size_t n;    /* readings compared (finite ones) */
	double mean; /* of those; NaN when none */
	double nearest;
	int64_t nearest_ms; /* the reading nearest the time taken; 0 when none */
	double diff;	    /* mean - lab; NaN when none */
	double rel_pct;	    /* diff / |lab| * 100; NaN when none or lab is 0 */
	double allowed;	    /* the largest |diff| that agrees */
};

/* Compares lab (finite) taken at taken_ms with the readings r[0..n) (the
 * caller's window; non-finite values are skipped). tol_pct >= 0, tol_abs
 * >= 0. */
void wwtp_lab_compare(double lab, int64_t taken_ms, const struct wwtp_lab_reading *r, size_t n,
		      double tol_pct, double tol_abs, struct wwtp_lab_cmp *out);

/* Whether s fits a laboratory's name or a reference: valid UTF-8, 1..128
 * bytes, no control characters, not only spaces. */
int wwtp_lab_valid_text(const char *s);

/* Whether a sample taken at taken_ms may be recorded at now_ms: not in the
 * future (a minute of clock difference allowed), not older than
 * WWTP_LAB_MAX_AGE_MS. */
int wwtp_lab_valid_time(int64_t taken_ms, int64_t now_ms);

/* The raised lab_mismatch alert of a disagreeing comparison into *out
 * (pointing into station, param, unit and id, which must outlive it): id
 * "<station>:<param>:lab_mismatch:<taken_ms>", dated by the time taken;
 * value the analyzer's mean, limit_value the laboratory's value, ratio
 * mean / lab (absent when lab is 0). 0, or WWTP_ERR_INVAL (not a
 * disagreement). */
int wwtp_lab_alert(const char *station, const char *param, const char *unit, double lab,
		   int64_t taken_ms, const struct wwtp_lab_cmp *c, char id[WWTP_LAB_ID_MAX],
		   struct wwtp_in_msg *out);

#endif
