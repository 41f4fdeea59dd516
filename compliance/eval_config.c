/* eval_config.c - the `evaluation` group of a station file (descriptor
 * table), kept out of evaluator.c so that the evaluator needs no libconfig. */
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/err.h"
#include "cfgwalk-private.h"
#include "evaluator.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct eval_in {
	const config_setting_t *windows_s;
	double min_availability, availability_margin, hysteresis;
	int calibration_max_s, offline_after_s, fault_after, bucket_s;
};

static const struct wwtp_opt eval_tab[] = {
    OPT_SUB("windows_s", WWTP_OPT_SEQ, 0, struct eval_in, windows_s, NULL),
    OPT_FLT("min_availability", 0, struct eval_in, min_availability, 0, 1,
	    WWTP_EVAL_DEFAULT_MIN_AVAILABILITY),
    OPT_FLT("availability_margin", 0, struct eval_in, availability_margin, 0, 0.5,
	    WWTP_EVAL_DEFAULT_AVAILABILITY_MARGIN),
    OPT_FLT("hysteresis", 0, struct eval_in, hysteresis, 0, 0.5, WWTP_EVAL_DEFAULT_HYSTERESIS),
    OPT_INT("calibration_max_s", 0, struct eval_in, calibration_max_s, 60, 7 * 86400,
	    WWTP_EVAL_DEFAULT_CALIBRATION_MAX_S),
    OPT_INT("offline_after_s", 0, struct eval_in, offline_after_s, 0, 86400, 0),
    OPT_INT("fault_after", 0, struct eval_in, fault_after, 1, 1000, WWTP_EVAL_DEFAULT_FAULT_AFTER),
    OPT_INT("bucket_s", 0, struct eval_in, bucket_s, 1, 3600, WWTP_EVAL_DEFAULT_BUCKET_S),
};

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int wwtp_eval_config_parse(const config_setting_t *grp, const char *file,
			   struct wwtp_eval_config *out, struct wwtp_diag *diag)
{
	struct wwtp_cw c = {.diag = diag, .file = file ? file : "evaluation", .errors = 0};
	struct eval_in in;

	wwtp_eval_config_default(out);
	if (!grp)
		return 0;
	if (config_setting_type(grp) != CONFIG_TYPE_GROUP) {
		wwtp_cw_problem(&c, grp, "evaluation must be a group { windows_s = [...]; ... }");
		return WWTP_ERR_CONFIG;
	}
	wwtp_cw_walk(&c, grp, eval_tab, NELEM(eval_tab), &in, "evaluation", NULL, NULL);
	out->min_availability = in.min_availability;
	out->availability_margin = in.availability_margin;
	out->hysteresis = in.hysteresis;
	out->calibration_max_s = in.calibration_max_s;
	out->offline_after_s = in.offline_after_s;
	out->fault_after = in.fault_after;
	out->bucket_s = in.bucket_s;

	if (in.windows_s) {
		int n = config_setting_length(in.windows_s);
		if (n < 1 || n > WWTP_EVAL_WINDOWS_MAX) {
			wwtp_cw_problem(&c, in.windows_s,
					"evaluation: windows_s must have 1 to %d windows",
					WWTP_EVAL_WINDOWS_MAX);
			return WWTP_ERR_CONFIG;
		}
		out->nwindows = 0;
		for (int i = 0; i < n; i++) {
			const config_setting_t *e =
			    config_setting_get_elem(in.windows_s, (unsigned)i);
			int t = config_setting_type(e);
			if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
				wwtp_cw_problem(
				    &c, e, "evaluation: windows_s must hold integers (seconds)");
				continue;
			}
			long long w = config_setting_get_int64(e);
			long long maxw = (long long)in.bucket_s * WWTP_EVAL_BUCKETS_MAX;
			/* The line of an array element is its array's in libconfig. */
			if (w < in.bucket_s || w > maxw || w % in.bucket_s != 0) {
				wwtp_cw_problem(
				    &c, e,
				    "evaluation: window %lld s must be a multiple of bucket_s "
				    "(%d s) between %d and %lld s",
				    w, in.bucket_s, in.bucket_s, maxw);
				continue;
			}
			for (size_t k = 0; k < out->nwindows; k++)
				if (out->windows_s[k] == (int)w)
					wwtp_cw_problem(
					    &c, e, "evaluation: window %lld s is listed twice", w);
			out->windows_s[out->nwindows++] = (int)w;
		}
		qsort(out->windows_s, out->nwindows, sizeof out->windows_s[0], cmp_int);
	} else {
		/* Default windows, re-checked against a bucket width that may have
		 * been changed. */
		for (size_t i = 0; i < out->nwindows; i++)
			if (out->windows_s[i] % in.bucket_s != 0 ||
			    out->windows_s[i] / in.bucket_s > WWTP_EVAL_BUCKETS_MAX)
				wwtp_cw_problem(&c, grp,
						"evaluation: bucket_s %d does not fit the default "
						"window %d s (a multiple of bucket_s, at most %d "
						"buckets): give windows_s",
						in.bucket_s, out->windows_s[i],
						WWTP_EVAL_BUCKETS_MAX);
	}
	if (c.errors == 0 && wwtp_eval_config_check(out) != 0)
		wwtp_cw_problem(&c, grp, "evaluation: inconsistent settings");
	return c.errors ? WWTP_ERR_CONFIG : 0;
}
