/* labsample.c - laboratory samples against the analyzer (labsample.h). */
#include "labsample.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../util/err.h"

static const char *const verdicts[] = {"no_data", "agree", "disagree"};

const char *wwtp_lab_verdict_name(int v)
{
	return v >= 0 && v < 3 ? verdicts[v] : "?";
}

int wwtp_lab_verdict_parse(const char *s)
{
	for (int v = 0; s && v < 3; v++)
		if (strcmp(s, verdicts[v]) == 0)
			return v;
	return -1;
}

void wwtp_lab_compare(double lab, int64_t taken_ms, const struct wwtp_lab_reading *r, size_t n,
		      double tol_pct, double tol_abs, struct wwtp_lab_cmp *out)
{
	double sum = 0;
	int64_t best = INT64_MAX;
	memset(out, 0, sizeof(*out));
	out->mean = out->nearest = out->diff = out->rel_pct = NAN;
	out->allowed = fmax(fabs(lab) * tol_pct / 100.0, tol_abs);
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(r[i].value))
			continue;
		int64_t d = r[i].ts_ms > taken_ms ? r[i].ts_ms - taken_ms : taken_ms - r[i].ts_ms;
		if (d < best) { /* the earlier one of two equally near */
			best = d;
			out->nearest = r[i].value;
			out->nearest_ms = r[i].ts_ms;
		}
		sum += r[i].value;
		out->n++;
	}
	if (!out->n || !isfinite(lab)) {
		out->verdict = WWTP_LAB_NO_DATA;
		return;
	}
	out->mean = sum / (double)out->n;
	out->diff = out->mean - lab;
	if (lab != 0)
		out->rel_pct = out->diff / fabs(lab) * 100.0;
	/* A hair over the tolerance by rounding of the mean is still inside:
	 * the operator compares the numbers as printed. */
	out->verdict =
	    fabs(out->diff) <= out->allowed * (1 + 1e-12) ? WWTP_LAB_AGREE : WWTP_LAB_DISAGREE;
}

int wwtp_lab_valid_text(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	int visible = 0;
	if (n < 1 || n >= WWTP_LAB_TEXT_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c == 0xc2 && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] < 0xa0)
			return 0; /* C1 controls, U+0080..U+009F */
		visible |= c != ' ';
	}
	if (!visible)
		return 0;
	/* Valid UTF-8: jansson refuses anything else (as acks.c). */
	json_t *t = json_string(s);
	int ok = t != NULL;
	json_decref(t);
	return ok;
}

int wwtp_lab_valid_time(int64_t taken_ms, int64_t now_ms)
{
	return taken_ms <= now_ms + 60000 && taken_ms >= now_ms - WWTP_LAB_MAX_AGE_MS &&
	       taken_ms >= WWTP_DECODE_MIN_TS_MS;
}

int wwtp_lab_alert(const char *station, const char *param, const char *unit, double lab,
		   int64_t taken_ms, const struct wwtp_lab_cmp *c, char id[WWTP_LAB_ID_MAX],
		   struct wwtp_in_msg *out)
{
	if (!c || c->verdict != WWTP_LAB_DISAGREE)
		return WWTP_ERR_INVAL;
	snprintf(id, WWTP_LAB_ID_MAX, "%s:%s:%s:%" PRId64, station, param, WWTP_ALERT_KIND_LAB,
		 taken_ms);
	memset(out, 0, sizeof(*out));
	out->kind = WWTP_MSG_ALERT;
	out->station = station;
	out->id = id;
	out->event = "raised";
	out->alert_kind = WWTP_ALERT_KIND_LAB;
	out->param = param;
	out->unit = unit && unit[0] ? unit : NULL;
	out->has_value = 1;
	out->value = c->mean;
	out->has_limit = 1;
	out->limit = lab;
	if (lab != 0) {
		out->has_ratio = 1;
		out->ratio = c->mean / lab;
	}
	/* No ts: the station was not heard from by this (monitor.h). */
	out->start_ms = taken_ms;
	return 0;
}
