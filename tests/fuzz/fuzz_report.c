/* fuzz_report.c - the monthly report's pure path: an InfluxDB /query answer
 * (any bytes) read by wwtp_report_parse_answer() into a fixed station (cod
 * with Cmax 135, a pH range, an unlimited flow), the month computed
 * (wwtp_report_compute) and written (HTML of the station and the fleet, the
 * two CSVs).
 *
 * Promises checked (report_query.h, report_stats.h, report_write.h): the
 * answer is read or refused with a message, never half-read into hours
 * outside the month; counts are consistent (judged <= covered <= hours,
 * exceeding <= judged, valid <= readings, days judged <= days); shares and
 * availability are in [0, 1]; the verdict is one of the four; the
 * documents are written whole: the HTML ends with </html>, holds no
 * <script and no URL but the SVG namespace, and the CSV has one line per
 * parameter after its header. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../central/report/report_query.h"
#include "../../central/report/report_text.h"
#include "../../central/report/report_write.h"
#include "../../util/err.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { NP = 3 };

static int64_t now_ms(const uint8_t *data, size_t size)
{
	/* Mostly after the month; sometimes in it (a month under way). */
	return size > 0 && (data[0] & 1) ? 1790787600000LL + (int64_t)data[0] * 3600000LL * 3
					 : 1900000000000LL;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;
	for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wwtp_report_period p;
	struct wwtp_report_station st;
	struct wwtp_flag_param params[NP];
	struct wwtp_report_pinfo info[NP];
	struct wwtp_report_pstats ps[NP];
	struct wwtp_flag_cfg fcfg;
	char err[256];
	const char *names[NP] = {"cod", "ph", "flow_out"};

	if (size > 1 << 20)
		return 0;
	FUZZ_ASSERT(wwtp_report_period_parse("2026-10", now_ms(data, size), &p) == 0);
	memset(&st, 0, sizeof st);
	memset(params, 0, sizeof params);
	memset(info, 0, sizeof info);
	snprintf(st.id, sizeof st.id, "thanh-thuy");
	snprintf(st.name, sizeof st.name, "CCN làng nghề <Thanh Thùy>");
	st.has_limits = 1;
	snprintf(st.regulation, sizeof st.regulation, "QCVN40:2011");
	snprintf(st.column, sizeof st.column, "B");
	st.kq = 0.9;
	st.kf = 1;
	st.min_availability = 0.75;
	st.design_m3d = 1000;
	for (int i = 0; i < NP; i++) {
		snprintf(params[i].name, sizeof params[i].name, "%s", names[i]);
		params[i].cmax_min = params[i].cmax_max = NAN;
		info[i].c_min = info[i].c_max = NAN;
		info[i].kq = info[i].kf = 1;
	}
	params[0].has_limit = 1;
	params[0].cmax_max = 135;
	info[0].factors_applied = 1;
	info[0].c_max = 150;
	info[0].kq = 0.9;
	params[1].has_limit = params[1].is_range = 1;
	params[1].cmax_min = 5.5;
	params[1].cmax_max = 9;
	st.nparams = NP;
	st.params = params;
	st.info = info;
	st.hours = calloc(NP * p.nhours, sizeof(*st.hours));
	FUZZ_ASSERT(st.hours != NULL);
	st.res.p = ps;

	int rc = wwtp_report_parse_answer((const char *)data, size, &p, &st, err, sizeof err);
	FUZZ_ASSERT(rc == 0 || rc == WWTP_ERR_PROTO || rc == WWTP_ERR_NOMEM);
	if (rc == WWTP_ERR_PROTO)
		FUZZ_ASSERT(err[0] != '\0');
	if (rc != 0)
		goto out;
	for (size_t i = 0; i < st.nalerts; i++)
		FUZZ_ASSERT(
		    st.alerts[i].start_ms > 0 &&
		    (st.alerts[i].end_ms == 0 || st.alerts[i].end_ms >= st.alerts[i].start_ms));

	wwtp_flag_cfg_default(&fcfg);
	FUZZ_ASSERT(wwtp_report_compute(&p, &fcfg, st.min_availability, params, NP, st.design_m3d,
					st.hours, st.alerts, st.nalerts, &st.res) == 0);
	FUZZ_ASSERT(st.res.verdict >= WWTP_REPORT_MET && st.res.verdict <= WWTP_REPORT_NOT_JUDGED);
	for (int i = 0; i < NP; i++) {
		const struct wwtp_report_pstats *s = &ps[i];
		FUZZ_ASSERT(s->hours_judged <= s->hours_covered);
		FUZZ_ASSERT(s->hours_covered <= p.hours);
		FUZZ_ASSERT(s->hours_exceeding <= s->hours_judged);
		FUZZ_ASSERT(s->days_judged <= p.days && s->days_exceeding <= s->days_judged);
		FUZZ_ASSERT(s->valid <= s->samples);
		FUZZ_ASSERT(isnan(s->availability) ||
			    (s->availability >= 0 && s->availability <= 1));
		FUZZ_ASSERT(isnan(s->hours_exceeding_share) ||
			    (s->hours_exceeding_share >= 0 && s->hours_exceeding_share <= 1));
		FUZZ_ASSERT(s->alert_hours >= 0 && s->alert_hours <= (double)p.hours + 1e-9);
		if (!params[i].has_limit)
			FUZZ_ASSERT(s->hours_exceeding == 0 && isnan(s->max_ratio));
	}

	struct wwtp_buf b;
	const struct wwtp_report_station *l[] = {&st};
	wwtp_buf_init(&b, 32 << 20);
	for (int lang = 0; lang < 2; lang++) {
		wwtp_buf_reset(&b);
		FUZZ_ASSERT(wwtp_report_html_station(&p, &st, lang, 1790787600000LL, &b) == 0);
		FUZZ_ASSERT(b.len > 7 && strcmp(b.data + b.len - 8, "</html>\n") == 0);
		FUZZ_ASSERT(!strstr(b.data, "<script") && !strstr(b.data, "<Thanh"));
		FUZZ_ASSERT(count(b.data, "http") == count(b.data, "http://www.w3.org/2000/svg"));
		wwtp_buf_reset(&b);
		FUZZ_ASSERT(wwtp_report_html_fleet(&p, l, 1, lang, 1790787600000LL, &b) == 0);
		FUZZ_ASSERT(b.len > 7 && strcmp(b.data + b.len - 8, "</html>\n") == 0);
	}
	wwtp_buf_reset(&b);
	FUZZ_ASSERT(wwtp_report_csv_params(&p, l, 1, &b) == 0);
	FUZZ_ASSERT(count(b.data, "\r\n") == 1 + NP);
	wwtp_buf_reset(&b);
	FUZZ_ASSERT(wwtp_report_csv_stations(&p, l, 1, &b) == 0);
	FUZZ_ASSERT(count(b.data, "\r\n") == 2);
	wwtp_buf_free(&b);
out:
	free(st.hours);
	free(st.alerts);
	return 0;
}
