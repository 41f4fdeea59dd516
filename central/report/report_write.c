/* report_write.c - the report's HTML and CSV (see report_write.h). */
#include "../../compliance/period.h"
#include "report_write.h"

#include "../monitor/words.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../util/err.h"
#include "../../util/timeutil.h"
#include "report_text.h"
#include "report_write-private.h"

/* The first error sticks: once an append failed nothing more is added, so
 * a document is whole or refused, never missing a middle part. */
struct w {
	struct wwtp_buf *b;
	int rc;
	int lang;
};

static void ws(struct w *w, const char *s)
{
	if (w->rc == 0)
		w->rc = wwtp_buf_adds(w->b, s);
}

static void wf(struct w *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wf(struct w *w, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	if (w->rc != 0)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		w->rc = WWTP_ERR_RANGE; /* a bug: every format here is short */
		return;
	}
	w->rc = wwtp_buf_add(w->b, tmp, (size_t)n);
}

/* Text into HTML (element content and attribute values alike). */
static void wesc(struct w *w, const char *s)
{
	for (; s && *s && w->rc == 0; s++) {
		switch (*s) {
		case '&':
			ws(w, "&amp;");
			break;
		case '<':
			ws(w, "&lt;");
			break;
		case '>':
			ws(w, "&gt;");
			break;
		case '"':
			ws(w, "&quot;");
			break;
		case '\'':
			ws(w, "&#39;");
			break;
		default:
			w->rc = wwtp_buf_add(w->b, s, 1);
		}
	}
}

static const char *T(const struct w *w, int id)
{
	return wwtp_report_txt(w->lang, id);
}

/* A number for people: prec decimals at most (trailing zeros dropped), a
 * decimal comma in Vietnamese, "—" for none. */
WWTP_PRIVATE const char *num(char *buf, size_t n, int lang, double v, int prec)
{
	if (!isfinite(v)) {
		snprintf(buf, n, "—");
		return buf;
	}
	snprintf(buf, n, "%.*f", prec, v);
	char *dot = strchr(buf, '.');
	if (dot) {
		char *e = buf + strlen(buf) - 1;
		while (e > dot && *e == '0')
			*e-- = '\0';
		if (e == dot)
			*e = '\0';
		else if (lang == WWTP_LANG_VI)
			*dot = ',';
	}
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, n, "0");
	return buf;
}

/* Significant digits that suit a measured value. */
static int prec_for(double v)
{
	double a = fabs(v);
	return a >= 100 ? 1 : a >= 10 ? 2 : a >= 1 ? 2 : 3;
}

static const char *fmt_pct(char *buf, size_t n, int lang, double share)
{
	return num(buf, n, lang, isfinite(share) ? share * 100.0 : NAN, 1);
}

static const char *param_label(int lang, const struct wwtp_report_station *st, size_t i)
{
	/* The glossary first (the page and the API say the same), then the
	 * regulation's own name, then the key. */
	const struct wwtp_report_pinfo *in = &st->info[i];
	const char *s = wwtp_report_param_name(lang, st->params[i].name);
	if (s)
		return s;
	s = lang == WWTP_LANG_EN ? in->name_en : in->name_vi;
	return s[0] ? s : st->params[i].name;
}

static const char *fmt_limit(char *buf, size_t n, int lang, const struct wwtp_flag_param *p)
{
	char a[32], b[32];
	if (!p->has_limit)
		snprintf(buf, n, "%s", wwtp_report_txt(lang, RT_NOT_JUDGED_PARAM));
	else if (p->is_range && isfinite(p->cmax_max))
		snprintf(buf, n, "%s–%s", num(a, sizeof a, lang, p->cmax_min, 3),
			 num(b, sizeof b, lang, p->cmax_max, 3));
	else if (isfinite(p->cmax_max))
		snprintf(buf, n, "%s", num(a, sizeof a, lang, p->cmax_max, 3));
	else
		snprintf(buf, n, "≥ %s", num(a, sizeof a, lang, p->cmax_min, 3));
	return buf;
}

static const char *verdict_text(int lang, int v)
{
	static const int ids[] = {RT_V_MET, RT_V_NOT_MET, RT_V_INSUFFICIENT, RT_V_NOT_JUDGED};
	return wwtp_report_txt(lang, v >= 0 && v < 4 ? ids[v] : RT_V_NOT_JUDGED);
}

static const char *verdict_class(int v)
{
	return v == WWTP_REPORT_MET ? "ok" : v == WWTP_REPORT_NOT_MET ? "bad" : "warn";
}

/* "01/10/2026 00:00" in Hanoi time. */
static const char *local_time(char *buf, size_t n, int64_t ms)
{
	int y, mo, d, h, mi;
	wwtp_local_civil(ms, &y, &mo, &d, &h, &mi);
	snprintf(buf, n, "%02d/%02d/%04d %02d:%02d", d, mo, y, h, mi);
	return buf;
}

/* ---- reasons ---- */

static void reason_text(struct w *w, const struct wwtp_report_station *st,
			const struct wwtp_flag_reason *r)
{
	char a[32], b[32], c[32], d[32], e[32], lim[96];
	int pi = wwtp_flag_param_find(st->params, st->nparams, r->param);
	const char *pname = pi >= 0 ? param_label(w->lang, st, (size_t)pi) : r->param;
	char line[512];

	snprintf(d, sizeof d, "%d", r->hours);
	switch (r->rule) {
	case WWTP_FLAG_COMPLIANCE:
		if (w->lang != WWTP_LANG_EN && isfinite(r->mean)) {
			/* As an inspector writes it, as the API and the page say it. */
			wwtp_words_reason(r, pi >= 0 ? st->params[pi].unit : "", line, sizeof line);
			break;
		}
		if (pi >= 0)
			fmt_limit(lim, sizeof lim, w->lang, &st->params[pi]);
		else
			num(lim, sizeof lim, w->lang, r->limit, 3);
		snprintf(line, sizeof line, T(w, RT_R_COMPLIANCE), pname,
			 fmt_pct(a, sizeof a, w->lang, r->value), d, lim,
			 fmt_pct(b, sizeof b, w->lang, r->threshold));
		break;
	case WWTP_FLAG_AVAILABILITY:
	case WWTP_FLAG_FAULTS:
		snprintf(line, sizeof line,
			 T(w, r->rule == WWTP_FLAG_FAULTS ? RT_R_FAULTS : RT_R_AVAILABILITY), pname,
			 fmt_pct(a, sizeof a, w->lang, r->value), d,
			 fmt_pct(b, sizeof b, w->lang, r->threshold));
		break;
	case WWTP_FLAG_COD_REMOVAL:
	case WWTP_FLAG_NH4_REMOVAL:
		snprintf(
		    line, sizeof line,
		    T(w, r->rule == WWTP_FLAG_COD_REMOVAL ? RT_R_COD_REMOVAL : RT_R_NH4_REMOVAL),
		    fmt_pct(a, sizeof a, w->lang, r->value), num(b, sizeof b, w->lang, r->inlet, 1),
		    num(c, sizeof c, w->lang, r->outlet, 1), d,
		    fmt_pct(e, sizeof e, w->lang, r->threshold));
		break;
	case WWTP_FLAG_HYDRAULIC:
		snprintf(line, sizeof line, T(w, RT_R_HYDRAULIC),
			 fmt_pct(a, sizeof a, w->lang, r->value),
			 num(b, sizeof b, w->lang, r->flow_m3d, 0),
			 num(c, sizeof c, w->lang, r->design_m3d, 0), d,
			 fmt_pct(e, sizeof e, w->lang, r->threshold));
		break;
	default:
		snprintf(line, sizeof line, "%s", r->text);
	}
	wesc(w, line);
}

/* ---- HTML frame ---- */

static const char css[] =
    "body{font-family:'Noto Sans','DejaVu Sans',Arial,sans-serif;color:#222;margin:1.5em;"
    "max-width:1100px}"
    "h1{font-size:1.45em;margin:.2em 0}h2{font-size:1.15em;margin-top:1.4em;"
    "border-bottom:1px solid #bbb}h3{font-size:1em;margin:.8em 0 .2em}"
    ".sub{color:#555}.box{border:1px solid #ccc;border-radius:6px;padding:.5em .8em;"
    "margin:.6em 0}.ok{background:#e8f5e9;border-color:#66bb6a}"
    ".bad{background:#ffebee;border-color:#e53935}.warn{background:#fff8e1;"
    "border-color:#ffb300}.review{display:inline-block;background:#6a1b9a;color:#fff;"
    "border-radius:4px;padding:0 .4em;font-size:.85em}"
    "table{border-collapse:collapse;width:100%;font-size:.82em;margin:.4em 0}"
    "th,td{border:1px solid #ccc;padding:.25em .35em;text-align:right;vertical-align:top}"
    "th{background:#f0f0f0}td.l,th.l{text-align:left}tr.x td{background:#ffebee}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:.15em 1em;margin:.4em 0}"
    "dt{color:#555}dd{margin:0}svg{max-width:100%;height:auto;display:block}"
    ".small{font-size:.85em;color:#555}"
    "@media print{body{margin:0;max-width:none}h2{break-after:avoid}"
    "figure,tr{break-inside:avoid}}@page{size:A4;margin:12mm}";

static void html_head(struct w *w, const char *title)
{
	ws(w, "<!DOCTYPE html>\n<html lang=\"");
	ws(w, T(w, RT_HTML_LANG));
	ws(w, "\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	wesc(w, title);
	ws(w, "</title>\n<style>");
	ws(w, css);
	ws(w, "</style>\n</head>\n<body>\n");
}

static void html_period(struct w *w, const struct wwtp_report_period *p, int64_t generated_ms)
{
	char a[40], b[40], g[32];
	ws(w, "<dl>");
	wf(w, "<dt>%s</dt><dd>%02d/%04d</dd>", T(w, RT_MONTH), p->month, p->year);
	wf(w, "<dt>%s</dt><dd>%s – %s", T(w, RT_PERIOD), local_time(a, sizeof a, p->start_ms),
	   local_time(b, sizeof b, p->end_ms));
	if (p->until_ms < p->end_ms)
		wf(w, " (%s %s)", T(w, RT_PERIOD_PARTIAL), local_time(a, sizeof a, p->until_ms));
	ws(w, "</dd>");
	if (wwtp_format_utc(generated_ms, g, sizeof g) == 0)
		wf(w, "<dt>%s</dt><dd>%s</dd>", T(w, RT_GENERATED), g);
	ws(w, "</dl>\n<p class=\"small\">");
	ws(w, T(w, RT_SOURCE_NOTE));
	ws(w, "</p>\n");
}

static void html_definitions(struct w *w)
{
	wf(w, "<h2>%s</h2>\n<p class=\"small\">%s</p>\n", T(w, RT_DEFINITIONS), T(w, RT_DEF_TEXT));
}

/* ---- charts ---- */

#define CW 720
#define CH 210
#define ML 56
#define MR 12
#define MT 26
#define MB 28

struct scale {
	double lo, hi;
	size_t nhours;
};

static double sx(const struct scale *s, double hour)
{
	return ML + hour / (double)s->nhours * (CW - ML - MR);
}

static double sy(const struct scale *s, double v)
{
	return MT + (s->hi - v) / (s->hi - s->lo) * (CH - MT - MB);
}

/* One parameter's month: hourly averages (grey line, broken at gaps),
 * daily averages (a bar across each judged day, red when outside), the
 * limits (dashed red). */
static void chart_param(struct w *w, const struct wwtp_report_period *p,
			const struct wwtp_report_station *st, size_t i)
{
	const struct wwtp_flag_param *fp = &st->params[i];
	const struct wwtp_report_pstats *ps = &st->res.p[i];
	const struct wwtp_report_hour *hours = &st->hours[i * p->nhours];
	struct scale s = {0, 0, p->nhours};
	char a[32], lim[96];
	double lo = NAN, hi = NAN;

	for (size_t k = 0; k < p->hours && k < p->nhours; k++)
		if (hours[k].ok > 0 && isfinite(hours[k].mean)) {
			lo = isnan(lo) || hours[k].mean < lo ? hours[k].mean : lo;
			hi = isnan(hi) || hours[k].mean > hi ? hours[k].mean : hi;
		}
	wf(w, "<figure>\n<h3>");
	wesc(w, param_label(w->lang, st, i));
	if (fp->unit[0] && strcmp(fp->unit, "-") != 0 &&
	    strcmp(fp->unit, param_label(w->lang, st, i)) != 0) {
		ws(w, " (");
		wesc(w, fp->unit);
		ws(w, ")");
	}
	if (fp->has_limit) {
		wf(w, " — %s ", T(w, RT_CHART_LIMIT));
		wesc(w, fmt_limit(lim, sizeof lim, w->lang, fp));
	}
	ws(w, "</h3>\n");
	if (isnan(lo)) {
		wf(w, "<p class=\"small\">%s</p>\n</figure>\n", T(w, RT_CHART_NO_DATA));
		return;
	}
	if (fp->has_limit && isfinite(fp->cmax_max) && fp->cmax_max > hi)
		hi = fp->cmax_max;
	if (fp->has_limit && isfinite(fp->cmax_min) && fp->cmax_min < lo)
		lo = fp->cmax_min;
	s.lo = fp->is_range || lo < 0 ? floor(lo - 0.05 * (hi - lo + 1)) : 0;
	s.hi = hi + 0.1 * (hi - s.lo);
	if (!(s.hi > s.lo))
		s.hi = s.lo + 1;

	wf(w,
	   "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	   "height=\"%d\" role=\"img\" font-size=\"11\" font-family=\"sans-serif\">\n",
	   CW, CH, CW, CH);
	wf(w,
	   "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" "
	   "stroke=\"#999\"/>\n",
	   ML, MT, CW - ML - MR, CH - MT - MB);
	for (int g = 0; g <= 4; g++) {
		double v = s.lo + (s.hi - s.lo) * g / 4.0, y = sy(&s, v);
		wf(w, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>", ML,
		   CW - MR, y, y);
		wf(w, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", ML - 4, y + 4,
		   num(a, sizeof a, w->lang, v, prec_for(s.hi)));
	}
	for (size_t d = 0; d < p->ndays; d++)
		if (d == 0 || (d + 1) % 5 == 0)
			wf(w, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%zu</text>",
			   sx(&s, (double)d * 24 + 12), CH - MB + 14, d + 1);
	ws(w, "\n");
	/* Hourly averages of judged hours, one polyline per run. */
	int open = 0;
	for (size_t k = 0; k < p->hours && k < p->nhours; k++) {
		const struct wwtp_report_hour *h = &hours[k];
		int ok = h->ok > 0 && isfinite(h->mean);
		if (ok && !open) {
			ws(w, "<polyline fill=\"none\" stroke=\"#90a4ae\" stroke-width=\"1\" "
			      "points=\"");
			open = 1;
		}
		if (ok)
			wf(w, "%.1f,%.1f ", sx(&s, (double)k + 0.5), sy(&s, h->mean));
		if (open && (!ok || k + 1 == p->hours || k + 1 == p->nhours)) {
			ws(w, "\"/>\n");
			open = 0;
		}
	}
	/* Daily averages. */
	for (size_t d = 0; d < p->days && d < WWTP_REPORT_DAYS_MAX; d++) {
		if (!ps->day_judged[d])
			continue;
		int bad = wwtp_report_outside(fp, ps->daily[d]);
		wf(w,
		   "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
		   "stroke-width=\"3\"/>",
		   sx(&s, (double)d * 24 + 1), sx(&s, (double)d * 24 + 23), sy(&s, ps->daily[d]),
		   sy(&s, ps->daily[d]), bad ? "#d32f2f" : "#1565c0");
	}
	ws(w, "\n");
	if (fp->has_limit) {
		double b[2] = {fp->cmax_min, fp->cmax_max};
		for (int j = 0; j < 2; j++)
			if (isfinite(b[j]) && b[j] >= s.lo && b[j] <= s.hi)
				wf(w,
				   "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
				   "stroke=\"#d32f2f\" stroke-dasharray=\"6 4\"/>\n",
				   ML, CW - MR, sy(&s, b[j]), sy(&s, b[j]));
	}
	/* Legend. */
	wf(w,
	   "<g transform=\"translate(%d,%d)\"><line x1=\"0\" x2=\"18\" y1=\"0\" y2=\"0\" "
	   "stroke=\"#90a4ae\"/><text x=\"22\" y=\"4\">%s</text>"
	   "<line x1=\"130\" x2=\"148\" y1=\"0\" y2=\"0\" stroke=\"#1565c0\" stroke-width=\"3\"/>"
	   "<text x=\"152\" y=\"4\">%s</text>",
	   ML + 6, MT - 12, T(w, RT_CHART_HOURLY), T(w, RT_CHART_DAILY));
	if (fp->has_limit)
		wf(w,
		   "<line x1=\"260\" x2=\"278\" y1=\"0\" y2=\"0\" stroke=\"#d32f2f\" "
		   "stroke-dasharray=\"6 4\"/><text x=\"282\" y=\"4\">%s</text>",
		   T(w, RT_CHART_LIMIT));
	ws(w, "</g>\n</svg>\n</figure>\n");
}

/* ---- a station ---- */

static void station_params_table(struct w *w, const struct wwtp_report_station *st)
{
	char b[16][96];
	wf(w, "<h2>%s</h2>\n<table>\n<tr>", T(w, RT_PARAMS));
	static const int heads[] = {RT_H_PARAM,	       RT_H_UNIT,	  RT_H_LIMIT,
				    RT_H_FACTORS,      RT_H_VALID,	  RT_H_AVAIL,
				    RT_H_MEAN,	       RT_H_MIN,	  RT_H_MAX,
				    RT_H_HOURS_JUDGED, RT_H_HOURS_EXCEED, RT_H_HOURS_SHARE,
				    RT_H_DAYS_JUDGED,  RT_H_DAYS_EXCEED,  RT_H_MAX_RATIO,
				    RT_H_ALERT_HOURS,  RT_H_ALERTS};
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		wf(w, "<th%s>%s</th>", i < 2 ? " class=\"l\"" : "", T(w, heads[i]));
	ws(w, "</tr>\n");
	/* Judged parameters first, in station order. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < st->nparams; i++) {
			const struct wwtp_flag_param *fp = &st->params[i];
			const struct wwtp_report_pstats *s = &st->res.p[i];
			const struct wwtp_report_pinfo *in = &st->info[i];
			if (fp->has_limit != !pass)
				continue;
			/* A parameter nobody judges and nothing was heard of:
			 * noise in a document for inspectors. */
			if (!fp->has_limit && s->samples == 0)
				continue;
			int p = prec_for(s->max);
			wf(w, "<tr%s><td class=\"l\">", s->days_exceeding ? " class=\"x\"" : "");
			wesc(w, param_label(w->lang, st, i));
			ws(w, "</td><td class=\"l\">");
			wesc(w, fp->unit);
			ws(w, "</td><td>");
			wesc(w, fmt_limit(b[0], sizeof b[0], w->lang, fp));
			ws(w, "</td><td>");
			if (fp->has_limit && in->factors_applied)
				wf(w, "%s × %s × %s", num(b[1], 96, w->lang, in->c_max, 3),
				   num(b[2], 96, w->lang, in->kq, 2),
				   num(b[3], 96, w->lang, in->kf, 2));
			else if (fp->has_limit && in->overridden)
				ws(w, w->lang == WWTP_LANG_EN ? "permit" : "giấy phép");
			else if (fp->has_limit)
				ws(w, "C");
			wf(w, "</td><td>%llu</td><td>%s%%</td><td>%s</td><td>%s</td><td>%s</td>",
			   (unsigned long long)s->valid,
			   fmt_pct(b[4], 96, w->lang, s->availability),
			   num(b[5], 96, w->lang, s->mean, p), num(b[6], 96, w->lang, s->min, p),
			   num(b[7], 96, w->lang, s->max, p));
			if (!fp->has_limit) {
				wf(w,
				   "<td>%zu</td><td colspan=\"2\">%s</td><td>%zu</td>"
				   "<td colspan=\"4\">%s</td></tr>\n",
				   s->hours_judged, T(w, RT_NOT_JUDGED_PARAM), s->days_judged,
				   T(w, RT_NOT_JUDGED_PARAM));
				continue;
			}
			wf(w,
			   "<td>%zu</td><td>%zu</td><td>%s%%</td><td>%zu</td><td>%zu</td>"
			   "<td>%s</td><td>%s</td><td>%zu</td></tr>\n",
			   s->hours_judged, s->hours_exceeding,
			   fmt_pct(b[8], 96, w->lang, s->hours_exceeding_share), s->days_judged,
			   s->days_exceeding, num(b[9], 96, w->lang, s->max_ratio, 2),
			   num(b[10], 96, w->lang, s->alert_hours, 1), s->alerts_raised);
		}
	ws(w, "</table>\n");
}

static void station_body(struct w *w, const struct wwtp_report_period *p,
			 const struct wwtp_report_station *st, int level)
{
	char a[40], b[40];
	const struct wwtp_report_result *r = &st->res;

	wf(w, "<h%d>", level);
	wesc(w, st->name[0] ? st->name : st->id);
	wf(w, " <span class=\"sub\">(%s)</span>", st->id);
	if (st->plan_review) {
		ws(w, " <span class=\"review\">");
		ws(w, T(w, RT_PLAN_REVIEW));
		ws(w, "</span>");
	}
	wf(w, "</h%d>\n<dl>", level);
	if (st->district[0]) {
		wf(w, "<dt>%s</dt><dd>", T(w, RT_DISTRICT));
		wesc(w, st->district);
		ws(w, "</dd>");
	}
	if (st->design_m3d > 0)
		wf(w, "<dt>%s</dt><dd>%s m³/%s</dd>", T(w, RT_DESIGN_FLOW),
		   num(a, sizeof a, w->lang, st->design_m3d, 0),
		   w->lang == WWTP_LANG_EN ? "day" : "ngày");
	if (st->has_limits) {
		wf(w, "<dt>%s</dt><dd>", T(w, RT_REGULATION));
		wesc(w, st->regulation);
		wf(w, ", %s ", T(w, RT_COLUMN));
		wesc(w, st->column);
		wf(w, "</dd><dt>%s</dt><dd>%s — ", T(w, RT_KQ),
		   num(a, sizeof a, w->lang, st->kq, 2));
		wesc(w, st->kq_basis);
		wf(w, "</dd><dt>%s</dt><dd>%s — ", T(w, RT_KF),
		   num(b, sizeof b, w->lang, st->kf, 2));
		wesc(w, st->kf_basis);
		ws(w, "</dd>");
	}
	ws(w, "</dl>\n");
	if (!st->has_limits)
		wf(w, "<p>%s</p>\n", T(w, RT_NO_LIMITS));
	wf(w, "<div class=\"box %s\"><b>%s:</b> %s", verdict_class(r->verdict), T(w, RT_VERDICT),
	   verdict_text(w->lang, r->verdict));
	if (r->params_limited)
		wf(w, " — %s: %s%%", T(w, RT_F_AVAIL),
		   fmt_pct(a, sizeof a, w->lang, r->worst_availability));
	ws(w, "</div>\n");
	wf(w, "<div class=\"box %s\"><b>%s:</b> %s", r->nreasons ? "bad" : "ok", T(w, RT_FLAG),
	   T(w, r->nreasons ? RT_FLAGGED : RT_NOT_FLAGGED));
	if (r->nreasons) {
		wf(w, "<br>%s:<ul>", T(w, RT_REASONS));
		for (size_t k = 0; k < r->nreasons; k++) {
			ws(w, "<li>");
			reason_text(w, st, &r->reasons[k]);
			ws(w, "</li>");
		}
		ws(w, "</ul>");
	}
	ws(w, "</div>\n");
	station_params_table(w, st);
	wf(w, "<h2>%s</h2>\n", T(w, RT_CHARTS));
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < st->nparams; i++)
			if (st->params[i].has_limit == !pass &&
			    (pass == 0 || strncmp(st->params[i].name, "flow", 4) == 0))
				chart_param(w, p, st, i);
}

int wwtp_report_html_station(const struct wwtp_report_period *p,
			     const struct wwtp_report_station *st, int lang, int64_t generated_ms,
			     struct wwtp_buf *out)
{
	struct w w = {out, 0, lang};
	char title[WWTP_NAME_MAX + 128];

	snprintf(title, sizeof title, "%s — %s — %02d/%04d", T(&w, RT_TITLE_STATION),
		 st->name[0] ? st->name : st->id, p->month, p->year);
	html_head(&w, title);
	wf(&w, "<h1>%s — %02d/%04d</h1>\n", T(&w, RT_TITLE_STATION), p->month, p->year);
	html_period(&w, p, generated_ms);
	station_body(&w, p, st, 2);
	html_definitions(&w);
	ws(&w, "</body>\n</html>\n");
	return w.rc;
}

/* ---- the fleet ---- */

/* Share of judged hours within limits of the worst limited parameter. */
static double worst_within(const struct wwtp_report_station *st)
{
	double m = NAN;
	for (size_t i = 0; i < st->nparams; i++) {
		const struct wwtp_report_pstats *s = &st->res.p[i];
		if (!st->params[i].has_limit || !isfinite(s->hours_exceeding_share))
			continue;
		double v = 1.0 - s->hours_exceeding_share;
		if (isnan(m) || v < m)
			m = v;
	}
	return m;
}

static void fleet_chart(struct w *w, const struct wwtp_report_station *const *st, size_t n)
{
	const int row = 24, lw = 190, bw = CW - lw - 60;
	int h = (int)n * row + 40;
	char a[32];

	wf(w, "<figure>\n<h3>%s</h3>\n", T(w, RT_FLEET_CHART));
	wf(w,
	   "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	   "height=\"%d\" role=\"img\" font-size=\"11\" font-family=\"sans-serif\">\n",
	   CW, h, CW, h);
	for (int g = 0; g <= 4; g++) {
		double x = lw + bw * g / 4.0;
		wf(w,
		   "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"10\" y2=\"%d\" stroke=\"#e0e0e0\"/>"
		   "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d%%</text>",
		   x, x, h - 24, x, h - 10, g * 25);
	}
	for (size_t i = 0; i < n; i++) {
		double y = 12 + (double)i * row, v = worst_within(st[i]);
		double av = st[i]->res.worst_availability;
		ws(w, "\n<text x=\"");
		wf(w, "%d\" y=\"%.1f\" text-anchor=\"end\">", lw - 6, y + 13);
		wesc(w, st[i]->name[0] ? st[i]->name : st[i]->id);
		ws(w, "</text>");
		if (isfinite(v))
			wf(w,
			   "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"9\" fill=\"%s\"/>"
			   "<text x=\"%.1f\" y=\"%.1f\">%s%%</text>",
			   lw, y + 2, v * bw, v >= 0.9 ? "#43a047" : "#e53935", lw + v * bw + 3,
			   y + 10, fmt_pct(a, sizeof a, w->lang, v));
		if (isfinite(av))
			wf(w,
			   "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"6\" "
			   "fill=\"#1565c0\"/>",
			   lw, y + 12, av * bw);
	}
	wf(w,
	   "\n<g transform=\"translate(%d,%d)\"><rect width=\"14\" height=\"8\" fill=\"#43a047\"/>"
	   "<text x=\"18\" y=\"8\">%s</text><rect x=\"200\" width=\"14\" height=\"6\" "
	   "fill=\"#1565c0\"/><text x=\"218\" y=\"7\">%s</text></g>\n",
	   lw, h - 8, T(w, RT_CHART_WITHIN), T(w, RT_H_AVAIL));
	ws(w, "</svg>\n</figure>\n");
}

int wwtp_report_html_fleet(const struct wwtp_report_period *p,
			   const struct wwtp_report_station *const *st, size_t n, int lang,
			   int64_t generated_ms, struct wwtp_buf *out)
{
	struct w w = {out, 0, lang};
	char title[160], a[40];
	size_t met = 0, flagged = 0;

	for (size_t i = 0; i < n; i++) {
		met += st[i]->res.verdict == WWTP_REPORT_MET;
		flagged += st[i]->res.nreasons > 0;
	}
	snprintf(title, sizeof title, "%s — %02d/%04d", T(&w, RT_TITLE_FLEET), p->month, p->year);
	html_head(&w, title);
	wf(&w, "<h1>%s</h1>\n", title);
	html_period(&w, p, generated_ms);
	wf(&w, "<div class=\"box %s\"><b>%s: %zu/%zu (%s%%)</b><br>%s<br>%s: %zu/%zu</div>\n",
	   met == n ? "ok" : "bad", T(&w, RT_FLEET_TOTAL), met, n,
	   fmt_pct(a, sizeof a, lang, n ? (double)met / (double)n : NAN), T(&w, RT_FLEET_TARGET),
	   T(&w, RT_FLEET_FLAGGED), flagged, n);
	fleet_chart(&w, st, n);
	wf(&w,
	   "<table>\n<tr><th class=\"l\">%s</th><th class=\"l\">%s</th><th class=\"l\">%s</th>"
	   "<th class=\"l\">%s</th><th>%s</th><th class=\"l\">%s</th><th class=\"l\">%s</th>"
	   "</tr>\n",
	   T(&w, RT_F_STATION), T(&w, RT_DISTRICT), T(&w, RT_REGULATION), T(&w, RT_VERDICT),
	   T(&w, RT_F_AVAIL), T(&w, RT_F_PARAMS_NOT_MET), T(&w, RT_FLAG));
	for (size_t i = 0; i < n; i++) {
		const struct wwtp_report_station *s = st[i];
		wf(&w, "<tr><td class=\"l\">");
		wesc(&w, s->name[0] ? s->name : s->id);
		wf(&w, " <span class=\"sub\">(%s)</span>", s->id);
		if (s->plan_review) {
			ws(&w, " <span class=\"review\">");
			ws(&w, T(&w, RT_PLAN_REVIEW));
			ws(&w, "</span>");
		}
		ws(&w, "</td><td class=\"l\">");
		wesc(&w, s->district);
		ws(&w, "</td><td class=\"l\">");
		if (s->has_limits) {
			wesc(&w, s->regulation);
			ws(&w, " ");
			wesc(&w, s->column);
		}
		wf(&w, "</td><td class=\"l %s\">%s</td><td>%s%%</td><td class=\"l\">",
		   verdict_class(s->res.verdict), verdict_text(lang, s->res.verdict),
		   fmt_pct(a, sizeof a, lang, s->res.worst_availability));
		int first = 1;
		for (size_t k = 0; k < s->nparams; k++)
			if (s->res.p[k].days_exceeding) {
				ws(&w, first ? "" : ", ");
				wesc(&w, param_label(lang, s, k));
				first = 0;
			}
		wf(&w, "</td><td class=\"l\">%s",
		   T(&w, s->res.nreasons ? RT_FLAGGED : RT_NOT_FLAGGED));
		if (s->res.nreasons) {
			ws(&w, "<ul>");
			for (size_t k = 0; k < s->res.nreasons; k++) {
				ws(&w, "<li>");
				reason_text(&w, s, &s->res.reasons[k]);
				ws(&w, "</li>");
			}
			ws(&w, "</ul>");
		}
		ws(&w, "</td></tr>\n");
	}
	ws(&w, "</table>\n");
	html_definitions(&w);
	ws(&w, "</body>\n</html>\n");
	return w.rc;
}

/* ---- CSV ---- */

/* A number for machines: empty for none, %.10g otherwise. */
static void cnum(struct w *w, double v)
{
	if (isfinite(v))
		wf(w, ",%.10g", v);
	else
		ws(w, ",");
}

static void cstr(struct w *w, const char *s)
{
	ws(w, ",");
	if (!strpbrk(s, ",\"\r\n")) {
		ws(w, s);
		return;
	}
	ws(w, "\"");
	for (; *s && w->rc == 0; s++)
		ws(w, *s == '"' ? "\"\"" : (char[2]){*s, 0});
	ws(w, "\"");
}

int wwtp_report_csv_params(const struct wwtp_report_period *p,
			   const struct wwtp_report_station *const *st, size_t n,
			   struct wwtp_buf *out)
{
	struct w w = {out, 0, WWTP_LANG_EN};
	ws(&w, "month,station,param,unit,has_limit,limit_min,limit_max,regulation,column,kq,kf,"
	       "readings,valid,faults,hours_period,hours_covered,hours_judged,availability,mean,"
	       "min,max,hours_exceeding,hours_exceeding_share,days_period,days_judged,"
	       "days_exceeding,days_exceeding_share,max_ratio,max_daily_ratio,alert_hours,"
	       "alerts_raised,max_alert_ratio,station_verdict,station_flagged\r\n");
	for (size_t j = 0; j < n; j++) {
		const struct wwtp_report_station *s = st[j];
		for (size_t i = 0; i < s->nparams; i++) {
			const struct wwtp_flag_param *fp = &s->params[i];
			const struct wwtp_report_pstats *ps = &s->res.p[i];
			wf(&w, "%04d-%02d", p->year, p->month);
			cstr(&w, s->id);
			cstr(&w, fp->name);
			cstr(&w, fp->unit);
			wf(&w, ",%d", fp->has_limit);
			cnum(&w, fp->has_limit ? fp->cmax_min : NAN);
			cnum(&w, fp->has_limit ? fp->cmax_max : NAN);
			cstr(&w, s->has_limits ? s->regulation : "");
			cstr(&w, s->has_limits ? s->column : "");
			cnum(&w, fp->has_limit ? s->info[i].kq : NAN);
			cnum(&w, fp->has_limit ? s->info[i].kf : NAN);
			wf(&w, ",%llu,%llu,%llu,%zu,%zu,%zu", (unsigned long long)ps->samples,
			   (unsigned long long)ps->valid, (unsigned long long)ps->faults, p->hours,
			   ps->hours_covered, ps->hours_judged);
			cnum(&w, ps->availability);
			cnum(&w, ps->mean);
			cnum(&w, ps->min);
			cnum(&w, ps->max);
			wf(&w, ",%zu", ps->hours_exceeding);
			cnum(&w, fp->has_limit ? ps->hours_exceeding_share : NAN);
			wf(&w, ",%zu,%zu,%zu", p->days, ps->days_judged, ps->days_exceeding);
			cnum(&w, fp->has_limit ? ps->days_exceeding_share : NAN);
			cnum(&w, ps->max_ratio);
			cnum(&w, ps->max_daily_ratio);
			cnum(&w, ps->alert_hours);
			wf(&w, ",%zu", ps->alerts_raised);
			cnum(&w, ps->max_alert_ratio);
			cstr(&w, wwtp_report_verdict_name(s->res.verdict));
			wf(&w, ",%d\r\n", s->res.nreasons > 0);
		}
	}
	return w.rc;
}

int wwtp_report_csv_stations(const struct wwtp_report_period *p,
			     const struct wwtp_report_station *const *st, size_t n,
			     struct wwtp_buf *out)
{
	struct w w = {out, 0, WWTP_LANG_EN};
	ws(&w, "month,station,name,district,plan_review,regulation,column,kq,kf,design_flow_m3d,"
	       "verdict,params_limited,params_not_met,params_insufficient,worst_availability,"
	       "flagged,reasons\r\n");
	for (size_t j = 0; j < n; j++) {
		const struct wwtp_report_station *s = st[j];
		char reasons[WWTP_FLAG_REASONS_MAX * (WWTP_ID_MAX + 20)];
		size_t used = 0;
		reasons[0] = '\0';
		for (size_t k = 0; k < s->res.nreasons; k++) {
			int m = snprintf(reasons + used, sizeof reasons - used, "%s%s:%s",
					 k ? ";" : "", wwtp_flag_rule_name(s->res.reasons[k].rule),
					 s->res.reasons[k].param);
			if (m < 0 || (size_t)m >= sizeof reasons - used)
				break;
			used += (size_t)m;
		}
		wf(&w, "%04d-%02d", p->year, p->month);
		cstr(&w, s->id);
		cstr(&w, s->name);
		cstr(&w, s->district);
		wf(&w, ",%d", s->plan_review);
		cstr(&w, s->has_limits ? s->regulation : "");
		cstr(&w, s->has_limits ? s->column : "");
		cnum(&w, s->has_limits ? s->kq : NAN);
		cnum(&w, s->has_limits ? s->kf : NAN);
		cnum(&w, s->design_m3d > 0 ? s->design_m3d : NAN);
		cstr(&w, wwtp_report_verdict_name(s->res.verdict));
		wf(&w, ",%zu,%zu,%zu", s->res.params_limited, s->res.params_not_met,
		   s->res.params_insufficient);
		cnum(&w, s->res.worst_availability);
		wf(&w, ",%d", s->res.nreasons > 0);
		cstr(&w, reasons);
		ws(&w, "\r\n");
	}
	return w.rc;
}
