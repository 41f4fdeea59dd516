/* report_write.c - the report's HTML and CSV (see report_write.h). */
#include "../../compliance/period.h"
#include "report_write.h"

#include "../../model/glossary.h"
#include "../ingest/confchange.h"
#include "../monitor/words.h"

#include <inttypes.h>
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

/* A whole amount with its thousands grouped as each language writes them:
 * 22.144 (vi), 22,144 (en). */
static const char *num_grouped(char *buf, size_t n, int lang, double v)
{
	char raw[40];
	if (!isfinite(v) || fabs(v) >= 1e15)
		return num(buf, n, lang, v, 0);
	snprintf(raw, sizeof raw, "%.0f", v);
	if (strcmp(raw, "-0") == 0)
		snprintf(raw, sizeof raw, "0");
	size_t len = strlen(raw), start = raw[0] == '-', j = 0;
	for (size_t i = 0; i < len && j + 2 < n; i++) {
		if (i > start && (len - i) % 3 == 0)
			buf[j++] = lang == WWTP_LANG_VI ? '.' : ',';
		buf[j++] = raw[i];
	}
	buf[j] = '\0';
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

/* ---- HTML frame: the administrative document ---- */

/* A4 portrait, the margins Nghị định 30/2020/NĐ-CP asks (top and bottom
 * 20 mm, left 30 mm, right 15 mm), Times New Roman's metric twin, page
 * numbers printed by Chromium from the @page margin box. Tables repeat
 * their header on the next page and a header never ends a page alone. */
static const char css_fmt[] =
    "body{font-family:'Liberation Serif','Times New Roman','DejaVu Serif',serif;font-size:13px;"
    "color:#000;margin:1.5em;max-width:1000px}"
    "h1{font-size:1.15em;text-align:center;margin:.8em 0 .2em}"
    ".abstract{text-align:center;font-weight:bold;margin:0 0 1em}"
    "h2{font-size:1.05em;margin:1.1em 0 .4em;break-after:avoid}"
    "h3{font-size:1em;margin:.8em 0 .2em;break-after:avoid}"
    ".hdr{width:100%%;border:0;margin:0;font-size:1em}"
    ".hdr td{border:0;text-align:center;vertical-align:top;padding:0 .3em}"
    ".motto{font-weight:bold}.issuer{font-weight:bold}.rule{display:inline-block;"
    "border-top:1px solid #000;width:40%%;height:0;margin:.1em 0 .3em}"
    ".date{font-style:italic}"
    ".sig{width:100%%;border:0;margin-top:1.5em;break-inside:avoid}"
    ".sig td{border:0;vertical-align:top;text-align:left;padding:0}"
    ".sig td.who{text-align:center;font-weight:bold;width:45%%}"
    ".dist{font-size:.9em}.dist b{font-style:italic}.dist ul{margin:0;padding-left:0;"
    "list-style:none}"
    ".sub{color:#333}.box{border:1px solid #999;padding:.4em .7em;margin:.5em 0}"
    ".ok{background:#e8f5e9}.bad{background:#ffebee}.warn{background:#fff8e1}"
    ".review{font-style:italic}"
    "table{border-collapse:collapse;width:100%%;font-size:.85em;margin:.4em 0}"
    "thead{display:table-header-group}"
    "th,td{border:1px solid #777;padding:.2em .3em;text-align:right;vertical-align:top}"
    "th{background:#eee;font-weight:bold}td.l,th.l{text-align:left}tr.x td{background:#ffebee}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:.15em 1em;margin:.4em 0}"
    "dt{font-weight:bold}dd{margin:0}svg{max-width:100%%;height:auto;display:block}"
    ".small{font-size:.9em}.annex{break-before:page}"
    "@media print{body{margin:0;max-width:none}figure,tr,.box{break-inside:avoid}}"
    "@page{size:A4;margin:20mm 15mm 20mm 30mm;"
    "@bottom-right{content:\"%s \" counter(page) \"/\" counter(pages);"
    "font-family:'Liberation Serif',serif;font-size:10pt}}";

static void html_head(struct w *w, const char *title)
{
	char css[sizeof css_fmt + 64];
	snprintf(css, sizeof css, css_fmt, T(w, RT_PAGE));
	ws(w, "<!DOCTYPE html>\n<html lang=\"");
	ws(w, T(w, RT_HTML_LANG));
	ws(w, "\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	wesc(w, title);
	ws(w, "</title>\n<style>");
	ws(w, css);
	ws(w, "</style>\n</head>\n<body>\n");
}

/* The configuration's defaults (config.c), for callers without one. */
static const struct wwtp_central_report *meta_of(const struct wwtp_report_doc *doc)
{
	static const struct wwtp_central_report def = {
	    .issuer = "HỆ THỐNG GIÁM SÁT NƯỚC THẢI",
	    .place = "Hà Nội",
	    .number_pattern = "%n/BC-GSNT",
	    .signer_title = "NGƯỜI LẬP BÁO CÁO",
	    .distribution = {"Sở Công Thương thành phố Hà Nội",
			     "Sở Tài nguyên và Môi trường thành phố Hà Nội",
			     "UBND quận, huyện, thị xã nơi có cụm công nghiệp", "Lưu: VT"},
	    .ndistribution = 4,
	};
	return doc && doc->meta ? doc->meta : &def;
}

void wwtp_report_number(const char *pattern, unsigned number, char *out, size_t n)
{
	size_t j = 0;
	for (const char *s = pattern ? pattern : ""; *s && j + 1 < n; s++) {
		if (s[0] == '%' && s[1] == 'n') {
			int m = number ? snprintf(out + j, n - j, "%u", number)
				       : snprintf(out + j, n - j, "%s", "      ");
			j += m > 0 ? (size_t)m : 0;
			if (j >= n)
				j = n - 1;
			s++;
			continue;
		}
		out[j++] = *s;
	}
	out[j] = '\0';
}

/* A string in upper case as offices print the issuer (ASCII letters and
 * Vietnamese precomposed letters of Latin-1 Supplement / Extended-A / -B /
 * Additional: the lower case is the code point below its capital, or
 * +1 in the paired blocks). The configuration usually writes it upper
 * already; this only makes sure. */
static void wesc_upper(struct w *w, const char *s)
{
	char buf[WWTP_REPORT_TEXT_MAX * 2];
	size_t j = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p && j + 4 < sizeof buf) {
		unsigned c = *p;
		if (c < 0x80) {
			buf[j++] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
			p++;
			continue;
		}
		/* Decode one UTF-8 sequence of 2 or 3 bytes. */
		unsigned cp;
		size_t len;
		if ((c & 0xE0) == 0xC0 && p[1]) {
			cp = ((c & 0x1F) << 6) | (p[1] & 0x3F);
			len = 2;
		} else if ((c & 0xF0) == 0xE0 && p[1] && p[2]) {
			cp = ((c & 0x0F) << 12) | ((unsigned)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
			len = 3;
		} else {
			buf[j++] = (char)c;
			p++;
			continue;
		}
		if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)
			cp -= 0x20;
		else if ((cp >= 0x100 && cp <= 0x17F && (cp & 1) && cp != 0x131) ||
			 (cp >= 0x1EA0 && cp <= 0x1EFF && (cp & 1)))
			cp -= 1;
		else if (cp == 0x1A1 || cp == 0x1B0)
			cp -= 1;
		if (cp < 0x800) {
			buf[j++] = (char)(0xC0 | (cp >> 6));
			buf[j++] = (char)(0x80 | (cp & 0x3F));
		} else {
			buf[j++] = (char)(0xE0 | (cp >> 12));
			buf[j++] = (char)(0x80 | ((cp >> 6) & 0x3F));
			buf[j++] = (char)(0x80 | (cp & 0x3F));
		}
		p += len;
	}
	buf[j] = '\0';
	wesc(w, buf);
}

/* The period as a phrase: "tháng 10/2026". */
static const char *period_label(const struct w *w, const struct wwtp_report_period *p, char *buf,
				size_t n)
{
	static const char *const roman[] = {"", "I", "II", "III", "IV"};
	if (p->kind == WWTP_PERIOD_YEAR)
		snprintf(buf, n, T(w, RT_PERIOD_YEAR), p->year);
	else if (p->kind == WWTP_PERIOD_QUARTER)
		snprintf(buf, n, T(w, RT_PERIOD_QUARTER),
			 roman[p->quarter >= 1 && p->quarter <= 4 ? p->quarter : 0], p->year);
	else
		snprintf(buf, n, T(w, RT_PERIOD_MONTH), p->month, p->year);
	return buf;
}

/* Issuer and number on the left, the national motto, place and date on
 * the right; then the kind of document and its abstract. */
static void doc_header(struct w *w, const struct wwtp_report_doc *doc, const char *abstract_html)
{
	const struct wwtp_central_report *m = meta_of(doc);
	char num[96];
	int y, mo, d, h, mi;

	wwtp_local_civil(doc ? doc->generated_ms : 0, &y, &mo, &d, &h, &mi);
	wwtp_report_number(m->number_pattern, doc ? doc->number : 0, num, sizeof num);
	ws(w, "<table class=\"hdr\"><tr><td style=\"width:42%\">");
	if (m->issuer_parent[0]) {
		wesc_upper(w, m->issuer_parent);
		ws(w, "<br>");
	}
	ws(w, "<span class=\"issuer\">");
	wesc_upper(w, m->issuer);
	ws(w, "</span><br><span class=\"rule\"></span><br>");
	wf(w, "%s: ", T(w, RT_NUMBER));
	for (const char *c = num; *c; c++)
		ws(w, *c == ' ' ? "&nbsp;" : (char[2]){*c, 0});
	ws(w, "</td><td><span class=\"motto\">");
	ws(w, T(w, RT_MOTTO1));
	ws(w, "<br>");
	ws(w, T(w, RT_MOTTO2));
	ws(w, "</span><br><span class=\"rule\"></span><br><span class=\"date\">");
	char line[256];
	snprintf(line, sizeof line, T(w, RT_DATE_LINE), m->place, d, mo, y);
	wesc(w, line);
	ws(w, "</span></td></tr></table>\n");
	wf(w, "<h1>%s</h1>\n<p class=\"abstract\">", T(w, RT_DOC_KIND));
	ws(w, abstract_html);
	ws(w, "</p>\n");
}

/* "Nơi nhận" on the left, the signer on the right. */
static void doc_signature(struct w *w, const struct wwtp_report_doc *doc)
{
	const struct wwtp_central_report *m = meta_of(doc);
	ws(w, "<table class=\"sig\"><tr><td class=\"dist\"><b>");
	ws(w, T(w, RT_DISTRIBUTION));
	ws(w, "</b><ul>");
	for (size_t i = 0; i < m->ndistribution; i++) {
		ws(w, "<li>- ");
		wesc(w, m->distribution[i]);
		ws(w, i + 1 == m->ndistribution ? ".</li>" : ";</li>");
	}
	ws(w, "</ul></td><td class=\"who\">");
	if (m->signer_authority[0]) {
		wesc_upper(w, m->signer_authority);
		ws(w, "<br>");
	}
	wesc_upper(w, m->signer_title);
	ws(w, "<br><br><br><br><br>");
	wesc(w, m->signer_name);
	ws(w, "</td></tr></table>\n");
}

static void html_period(struct w *w, const struct wwtp_report_period *p, int64_t generated_ms)
{
	char a[40], b[40];
	wf(w, "<dt>%s</dt><dd>%s – %s", T(w, RT_PERIOD), local_time(a, sizeof a, p->start_ms),
	   local_time(b, sizeof b, p->end_ms));
	if (p->until_ms < p->end_ms)
		wf(w, " (%s %s)", T(w, RT_PERIOD_PARTIAL), local_time(a, sizeof a, p->until_ms));
	ws(w, "</dd>");
	wf(w, "<dt>%s</dt><dd>%s</dd>", T(w, RT_GENERATED), local_time(a, sizeof a, generated_ms));
}

static void html_definitions(struct w *w)
{
	wf(w, "<h3>%s</h3>\n<p class=\"small\">%s</p>\n", T(w, RT_DEFINITIONS), T(w, RT_DEF_TEXT));
}

/* Section headings numbered as offices number them: I, II, III, ... */
static void section(struct w *w, int *n, int id)
{
	static const char *const roman[] = {"I",  "II",	 "III",	 "IV", "V",
					    "VI", "VII", "VIII", "IX", "X"};
	wf(w, "<h2>%s. %s</h2>\n", roman[*n < 10 ? *n : 9], T(w, id));
	(*n)++;
}

static void annex_head(struct w *w, int *n, int id)
{
	(*n)++;
	wf(w, "<h2 class=\"annex\" style=\"text-align:center\">%s %d<br>%s</h2>\n", T(w, RT_ANNEX),
	   *n, T(w, id));
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
	for (size_t d = 0; d < p->ndays; d++) {
		int y, mo, dd, hh, mi;
		wwtp_local_civil(p->start_ms + (int64_t)d * WWTP_DAY_MS, &y, &mo, &dd, &hh, &mi);
		if (p->kind == WWTP_PERIOD_MONTH && (d == 0 || (d + 1) % 5 == 0))
			wf(w, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%zu</text>",
			   sx(&s, (double)d * 24 + 12), CH - MB + 14, d + 1);
		else if (p->kind != WWTP_PERIOD_MONTH && dd == 1) /* month starts: 01/10 */
			wf(w, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"start\">%02d/%02d</text>",
			   sx(&s, (double)d * 24), CH - MB + 14, dd, mo);
	}
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

static const char *reg_name(const struct wwtp_report_station *st)
{
	return st->reg_code[0] ? st->reg_code : st->regulation;
}

/* "QCVN 40:2011/BTNMT, cột B, Kq = 0,9, Kf = 1" */
static void regulation_line(struct w *w, const struct wwtp_report_station *st)
{
	char a[32], b[32], line[256];
	snprintf(line, sizeof line, T(w, RT_REG_LINE), reg_name(st), st->column,
		 num(a, sizeof a, w->lang, st->kq, 2), num(b, sizeof b, w->lang, st->kf, 2));
	wesc(w, line);
}

/* A limited parameter's own result, by the station's rule. */
static int param_result(const struct wwtp_report_station *st, size_t i)
{
	const struct wwtp_report_pstats *s = &st->res.p[i];
	if (s->days_exceeding > 0)
		return RT_P_NOT_MET;
	return s->availability >= st->min_availability ? RT_P_MET : RT_P_INSUFFICIENT;
}

static const char *unit_of(const struct w *w, const struct wwtp_flag_param *fp)
{
	/* pH has no unit: the station files write "pH", the regulation "-". */
	if (strcmp(fp->unit, "pH") == 0 || strcmp(fp->unit, "-") == 0)
		return "–";
	return wwtp_glossary_unit(fp->unit, w->lang == WWTP_LANG_EN ? "en" : "vi");
}

static void station_params_table(struct w *w, const struct wwtp_report_station *st)
{
	char b[12][96];
	static const int heads[] = {RT_H_PARAM,	      RT_H_UNIT,	 RT_H_LIMIT,
				    RT_H_VALID,	      RT_H_AVAIL,	 RT_H_MEAN,
				    RT_H_MIN,	      RT_H_MAX,		 RT_H_DAYS_JUDGED,
				    RT_H_DAYS_EXCEED, RT_H_HOURS_JUDGED, RT_H_HOURS_EXCEED,
				    RT_H_MAX_RATIO,   RT_H_ALERT_HOURS,	 RT_H_RESULT};
	ws(w, "<table>\n<thead><tr>");
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		wf(w, "<th%s>%s</th>", i < 2 ? " class=\"l\"" : "", T(w, heads[i]));
	ws(w, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < st->nparams; i++) {
		const struct wwtp_flag_param *fp = &st->params[i];
		const struct wwtp_report_pstats *s = &st->res.p[i];
		if (!fp->has_limit)
			continue;
		int p = prec_for(s->max);
		wf(w, "<tr%s><td class=\"l\">", s->days_exceeding ? " class=\"x\"" : "");
		wesc(w, param_label(w->lang, st, i));
		ws(w, "</td><td class=\"l\">");
		wesc(w, unit_of(w, fp));
		ws(w, "</td><td>");
		wesc(w, fmt_limit(b[0], sizeof b[0], w->lang, fp));
		wf(w,
		   "</td><td>%llu</td><td>%s%%</td><td>%s</td><td>%s</td><td>%s</td><td>%zu</td>"
		   "<td>%zu</td><td>%zu</td><td>%zu</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
		   (unsigned long long)s->valid, fmt_pct(b[1], 96, w->lang, s->availability),
		   num(b[2], 96, w->lang, s->mean, p), num(b[3], 96, w->lang, s->min, p),
		   num(b[4], 96, w->lang, s->max, p), s->days_judged, s->days_exceeding,
		   s->hours_judged, s->hours_exceeding, num(b[5], 96, w->lang, s->max_ratio, 2),
		   num(b[6], 96, w->lang, s->alert_hours, 1), T(w, param_result(st, i)));
	}
	ws(w, "</tbody></table>\n");
}

static void volume_line(struct w *w, int label, const struct wwtp_report_volume *v)
{
	char a[32], b[32], c[32], how[160];
	wf(w, "<dt>%s</dt><dd>", T(w, label));
	if (v->method == WWTP_VOL_NONE) {
		wf(w, "%s</dd>", T(w, RT_VOL_NONE));
		return;
	}
	if (v->method == WWTP_VOL_TOTALISER)
		snprintf(how, sizeof how, "%s", T(w, RT_VOL_TOTALISER));
	else
		snprintf(how, sizeof how, T(w, RT_VOL_INTEGRAL), v->hours);
	wf(w, "%s m³ (%s); %s %s m³/%s", num_grouped(a, sizeof a, w->lang, v->m3), how,
	   T(w, RT_VOL_PER_DAY), num_grouped(b, sizeof b, w->lang, v->per_day), T(w, RT_DAY_UNIT));
	if (isfinite(v->capacity_use))
		wf(w, ", %s%% %s", fmt_pct(c, sizeof c, w->lang, v->capacity_use),
		   T(w, RT_VOL_CAPACITY));
	if (v->resets) {
		char r[160];
		snprintf(r, sizeof r, T(w, RT_VOL_RESETS), v->resets);
		wf(w, "; %s", r);
	}
	ws(w, "</dd>");
}

static void station_volume(struct w *w, const struct wwtp_report_station *st)
{
	char a[32];
	ws(w, "<dl>");
	if (st->design_m3d > 0)
		wf(w, "<dt>%s</dt><dd>%s m³/%s</dd>", T(w, RT_DESIGN_FLOW),
		   num_grouped(a, sizeof a, w->lang, st->design_m3d), T(w, RT_DAY_UNIT));
	volume_line(w, RT_VOL_OUT, &st->res.vol_out);
	volume_line(w, RT_VOL_IN, &st->res.vol_in);
	ws(w, "</dl>\n");
	if (st->res.vol_out.method == WWTP_VOL_INTEGRAL ||
	    st->res.vol_in.method == WWTP_VOL_INTEGRAL)
		wf(w, "<p class=\"small\">%s</p>\n", T(w, RT_VOL_DAYS_NOTE));
}

static void station_data_table(struct w *w, const struct wwtp_report_station *st,
			       const struct wwtp_report_period *p)
{
	char a[32];
	wf(w,
	   "<table>\n<thead><tr><th class=\"l\">%s</th><th>%s</th><th>%s</th><th>%s</th>"
	   "<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead>\n<tbody>\n",
	   T(w, RT_H_PARAM), T(w, RT_D_HOURS), T(w, RT_D_JUDGED), T(w, RT_H_AVAIL), T(w, RT_D_LOST),
	   T(w, RT_D_NODATA), T(w, RT_D_FAULT), T(w, RT_D_OTHER));
	for (size_t i = 0; i < st->nparams; i++) {
		const struct wwtp_report_pstats *s = &st->res.p[i];
		if (!st->params[i].has_limit)
			continue;
		ws(w, "<tr><td class=\"l\">");
		wesc(w, param_label(w->lang, st, i));
		wf(w,
		   "</td><td>%zu</td><td>%zu</td><td>%s%%</td><td>%zu</td><td>%zu</td><td>%zu</td>"
		   "<td>%zu</td></tr>\n",
		   p->hours, s->hours_judged, fmt_pct(a, sizeof a, w->lang, s->availability),
		   s->hours_lost, s->lost_nodata, s->lost_fault, s->lost_other);
	}
	ws(w, "</tbody></table>\n");
}

#define COMPL_GAPS_SHOWN 50

/* "mất 12/8.640 lần đọc (0,14 %)" in the words of `key` (RT_C_FLEET, RT_C_SHORT). */
static void compl_short(struct w *w, int key, int64_t lost, int64_t expected)
{
	char l[40], e[40], pc[16];
	wwtp_compl_pct(lost, expected, pc, sizeof pc);
	if (w->lang != WWTP_LANG_VI)
		*strchr(pc, ',') = '.';
	wf(w, T(w, key), num_grouped(l, sizeof l, w->lang, (double)lost),
	   num_grouped(e, sizeof e, w->lang, (double)expected), pc);
}

/* "mất 12/8.640 lần đọc (0,14 %)" and the gaps' times (completeness.h). */
static void station_completeness(struct w *w, const struct wwtp_report_station *st)
{
	const struct wwtp_compl *c = &st->compl ;
	char l[40], e[40], pc[16], lt[40], a[32], b[32];
	if (!st->has_compl)
		return;
	wwtp_compl_pct(c->lost, c->expected, pc, sizeof pc);
	if (w->lang != WWTP_LANG_VI)
		*strchr(pc, ',') = '.';
	ws(w, "<p class=\"compl\">");
	wf(w, T(w, RT_C_LINE), num_grouped(l, sizeof l, w->lang, (double)c->lost),
	   num_grouped(e, sizeof e, w->lang, (double)c->expected), pc,
	   num_grouped(lt, sizeof lt, w->lang, (double)c->late));
	ws(w, "</p>\n");
	if (!c->ngaps)
		return;
	wf(w, "<p>%s:</p>\n<ul class=\"gaps\">\n", T(w, RT_C_GAPS));
	for (size_t i = 0; i < c->ngaps && i < COMPL_GAPS_SHOWN; i++) {
		const struct wwtp_compl_gap *g = &c->gaps[i];
		local_time(a, sizeof a, g->from_ms);
		local_time(b, sizeof b, g->to_ms);
		ws(w, "<li>");
		if (g->device[0]) {
			wesc(w, g->device);
			ws(w, ": ");
		}
		if (g->n == 1)
			wf(w, "%s (1)</li>\n", a);
		else
			wf(w, "%s – %s (%s)</li>\n", a, b,
			   num_grouped(l, sizeof l, w->lang, (double)g->n));
	}
	if (c->ngaps > COMPL_GAPS_SHOWN) {
		ws(w, "<li>");
		wf(w, T(w, RT_C_MORE), c->ngaps - COMPL_GAPS_SHOWN);
		ws(w, "</li>\n");
	}
	ws(w, "</ul>\n");
}

/* The measuring-configuration changes of the period (ingest/confchange.h):
 * "01/03/2026 08:15: COD (outlet): hệ số (scale) 1 → 0,5". Nothing when
 * there was none. */
static void station_conf(struct w *w, const struct wwtp_report_station *st)
{
	char t[32], one[320];
	if (!st->nconf)
		return;
	wf(w, "<p>%s:</p>\n<ul class=\"conf\">\n", T(w, RT_CONF_TITLE));
	for (size_t i = 0; i < st->nconf; i++) {
		const struct wwtp_report_conf *c = &st->conf[i];
		wwtp_confchange_words(w->lang == WWTP_LANG_VI ? "vi" : "en", st->id, c->device,
				      c->param, c->setting, c->has_from ? c->from : NULL,
				      c->has_to ? c->to : NULL, one, sizeof one);
		wf(w, "<li>%s: ", local_time(t, sizeof t, c->t_ms));
		wesc(w, one);
		ws(w, "</li>\n");
	}
	ws(w, "</ul>\n");
}

/* The laboratory samples of the period against the analyzer
 * (ingest/labsample.h): one row each. Nothing when there was none. */
static void station_lab(struct w *w, const struct wwtp_report_station *st)
{
	static const int verdicts[] = {RT_LAB_NO_DATA, RT_LAB_AGREE, RT_LAB_DISAGREE};
	char t[32], a[32], b[32], c[32], d[32], head[512];
	if (!st->nlab)
		return;
	wf(w, "<p>%s:</p>\n<table class=\"lab\">\n<thead><tr>", T(w, RT_LAB_TITLE));
	snprintf(head, sizeof head, "%s", T(w, RT_LAB_HEAD));
	for (char *cell = head, *bar; cell; cell = bar ? bar + 1 : NULL) {
		if ((bar = strchr(cell, '|')) != NULL)
			*bar = '\0';
		ws(w, "<th>");
		wesc(w, cell);
		ws(w, "</th>");
	}
	ws(w, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < st->nlab; i++) {
		const struct wwtp_report_lab *l = &st->lab[i];
		int pi = wwtp_flag_param_find(st->params, st->nparams, l->param);
		int v = l->verdict >= 0 && l->verdict < 3 ? l->verdict : 0;
		wf(w, "<tr class=\"lab %s\"><td class=\"l\">%s</td><td class=\"l\">",
		   v == WWTP_LAB_DISAGREE ? "bad"
		   : v == WWTP_LAB_AGREE  ? "ok"
					  : "warn",
		   local_time(t, sizeof t, l->t_ms));
		wesc(w, pi >= 0 ? param_label(w->lang, st, (size_t)pi) : l->param);
		if (l->unit[0]) {
			ws(w, " (");
			wesc(w, l->unit);
			ws(w, ")");
		}
		ws(w, "</td><td class=\"l\">");
		wesc(w, l->laboratory);
		ws(w, "</td><td class=\"l\">");
		wesc(w, l->reference);
		wf(w, "</td><td>%s</td><td>%s</td>",
		   num(a, sizeof a, w->lang, l->value, prec_for(l->value)),
		   num(b, sizeof b, w->lang, l->mean, prec_for(l->mean)));
		if (isfinite(l->diff) && isfinite(l->rel_pct))
			wf(w, "<td>%s%s (%s%s %%)</td>", l->diff > 0 ? "+" : "",
			   num(c, sizeof c, w->lang, l->diff, prec_for(l->diff)),
			   l->rel_pct > 0 ? "+" : "", num(d, sizeof d, w->lang, l->rel_pct, 1));
		else
			wf(w, "<td>%s%s</td>", l->diff > 0 ? "+" : "",
			   num(c, sizeof c, w->lang, l->diff, prec_for(l->diff)));
		wf(w, "<td class=\"l\">%s</td></tr>\n", T(w, verdicts[v]));
	}
	wf(w, "</tbody>\n</table>\n<p class=\"small\">%s</p>\n", T(w, RT_LAB_NOTE));
}

static void station_flag(struct w *w, const struct wwtp_report_station *st)
{
	const struct wwtp_report_result *r = &st->res;
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
}

/* Annex: what is measured for operation (not judged). */
static void annex_signals(struct w *w, const struct wwtp_report_station *st)
{
	char b[6][96];
	int any = 0;
	for (size_t i = 0; i < st->nparams; i++)
		any |= !st->params[i].has_limit && st->res.p[i].samples > 0;
	wf(w, "<p class=\"small\">%s</p>\n", T(w, RT_SIGNALS_NOTE));
	if (!any) {
		wf(w, "<p>%s</p>\n", T(w, RT_VOL_NONE));
		return;
	}
	wf(w,
	   "<table>\n<thead><tr><th class=\"l\">%s</th><th class=\"l\">%s</th><th>%s</th>"
	   "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead>\n<tbody>\n",
	   T(w, RT_H_PARAM), T(w, RT_H_UNIT), T(w, RT_H_VALID), T(w, RT_H_AVAIL), T(w, RT_H_MEAN),
	   T(w, RT_H_MIN), T(w, RT_H_MAX), T(w, RT_H_AMOUNT));
	for (size_t i = 0; i < st->nparams; i++) {
		const struct wwtp_flag_param *fp = &st->params[i];
		const struct wwtp_report_pstats *s = &st->res.p[i];
		if (fp->has_limit || s->samples == 0)
			continue;
		const struct wwtp_glossary_entry *g = wwtp_glossary_find(fp->name);
		int total = g && g->total, p = prec_for(s->max);
		ws(w, "<tr><td class=\"l\">");
		wesc(w, param_label(w->lang, st, i));
		ws(w, "</td><td class=\"l\">");
		wesc(w, unit_of(w, fp));
		/* A running total's mean says nothing: its increase does. */
		wf(w,
		   "</td><td>%llu</td><td>%s%%</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
		   "</tr>\n",
		   (unsigned long long)s->valid, fmt_pct(b[0], 96, w->lang, s->availability),
		   total ? "" : num(b[1], 96, w->lang, s->mean, p),
		   num(b[2], 96, w->lang, s->min, p), num(b[3], 96, w->lang, s->max, p),
		   total ? num(b[4], 96, w->lang, s->max - s->min, p) : "");
	}
	ws(w, "</tbody></table>\n");
}

static void kq_kf_sentences(struct w *w, const struct wwtp_report_station *st)
{
	static const int kq[] = {RT_KQ_NONE, RT_KQ_GIVEN,	RT_KQ_RIVER, RT_KQ_RIVER_NODATA,
				 RT_KQ_LAKE, RT_KQ_LAKE_NODATA, RT_KQ_SEA};
	static const int kf[] = {RT_KF_NONE, RT_KF_GIVEN, RT_KF_DESIGN};
	char a[32], line[320];
	int q = st->kq_how >= 0 && st->kq_how < 7 ? st->kq_how : 0;
	int f = st->kf_how >= 0 && st->kf_how < 3 ? st->kf_how : 0;
	double arg = st->kq_how == WWTP_KQ_LAKE ? st->water_v_m3 : st->water_q_m3s;
	snprintf(line, sizeof line, T(w, kq[q]), num(a, sizeof a, w->lang, arg, 3));
	ws(w, "<li>");
	wesc(w, line);
	wf(w, " (Kq = %s).</li>", num(a, sizeof a, w->lang, st->kq, 2));
	snprintf(line, sizeof line, T(w, kf[f]), num(a, sizeof a, w->lang, st->design_m3d, 0));
	ws(w, "<li>");
	wesc(w, line);
	wf(w, " (Kf = %s).</li>", num(a, sizeof a, w->lang, st->kf, 2));
}

/* Annex: where the numbers come from and how far to trust them. */
static void annex_sources(struct w *w, const struct wwtp_report_station *const *st, size_t n)
{
	char line[1024];
	wf(w, "<p>%s</p>\n<ul>", T(w, RT_SRC_DATA));
	/* The regulations in use, once each. */
	for (size_t i = 0; i < n; i++) {
		int seen = !st[i]->has_limits || !st[i]->reg_code[0];
		for (size_t j = 0; !seen && j < i; j++)
			seen = st[j]->has_limits && strcmp(st[j]->reg_code, st[i]->reg_code) == 0;
		if (seen)
			continue;
		/* The file's name, not where this machine keeps it. */
		const char *file = strrchr(st[i]->limits_file, '/');
		snprintf(line, sizeof line, T(w, RT_SRC_REG), st[i]->reg_code,
			 w->lang == WWTP_LANG_EN ? st[i]->reg_title_en : st[i]->reg_title_vi,
			 st[i]->reg_issued_by, file ? file + 1 : st[i]->limits_file);
		ws(w, "<li>");
		wesc(w, line);
		ws(w, "</li>");
	}
	if (n == 1 && st[0]->has_limits)
		kq_kf_sentences(w, st[0]);
	wf(w, "<li>%s</li></ul>\n", T(w, RT_SRC_CONF));
	if (n == 1 && st[0]->has_limits) {
		const struct wwtp_report_station *s = st[0];
		char a[32], b[32];
		wf(w,
		   "<h3>%s</h3>\n<table>\n<thead><tr><th class=\"l\">%s</th><th class=\"l\">%s</th>"
		   "<th>%s</th><th>%s</th><th>%s</th></tr></thead>\n<tbody>\n",
		   T(w, RT_SRC_LIMITS), T(w, RT_H_PARAM), T(w, RT_H_UNIT), T(w, RT_H_SOURCE_C),
		   T(w, RT_H_LIMIT), T(w, RT_H_CONF));
		for (size_t i = 0; i < s->nparams; i++) {
			const struct wwtp_report_pinfo *in = &s->info[i];
			if (!s->params[i].has_limit)
				continue;
			ws(w, "<tr><td class=\"l\">");
			wesc(w, param_label(w->lang, s, i));
			ws(w, "</td><td class=\"l\">");
			wesc(w, unit_of(w, &s->params[i]));
			ws(w, "</td><td>");
			if (in->overridden)
				ws(w, T(w, RT_PERMIT));
			else if (isfinite(in->c_min) && isfinite(in->c_max))
				wf(w, "%s–%s", num(a, sizeof a, w->lang, in->c_min, 3),
				   num(b, sizeof b, w->lang, in->c_max, 3));
			else
				ws(w, num(a, sizeof a, w->lang, in->c_max, 3));
			wf(w, "</td><td>%s</td><td>%c</td></tr>\n",
			   fmt_limit(b, sizeof b, w->lang, &s->params[i]),
			   in->confidence ? in->confidence : '-');
		}
		ws(w, "</tbody></table>\n");
	}
	html_definitions(w);
}

static void station_general(struct w *w, const struct wwtp_report_period *p,
			    const struct wwtp_report_station *st, int64_t generated_ms)
{
	char a[40];
	wf(w, "<dl><dt>%s</dt><dd>", T(w, RT_STATION));
	wesc(w, st->name[0] ? st->name : st->id);
	wf(w, " <span class=\"sub\">(%s)</span>", st->id);
	if (st->plan_review) {
		ws(w, " — <span class=\"review\">");
		ws(w, T(w, RT_PLAN_REVIEW));
		ws(w, "</span>");
	}
	ws(w, "</dd>");
	if (st->district[0]) {
		wf(w, "<dt>%s</dt><dd>", T(w, RT_DISTRICT));
		wesc(w, st->district);
		ws(w, "</dd>");
	}
	if (st->design_m3d > 0)
		wf(w, "<dt>%s</dt><dd>%s m³/%s</dd>", T(w, RT_DESIGN_FLOW),
		   num(a, sizeof a, w->lang, st->design_m3d, 0), T(w, RT_DAY_UNIT));
	if (st->has_limits) {
		wf(w, "<dt>%s</dt><dd>", T(w, RT_REGULATION));
		regulation_line(w, st);
		ws(w, "</dd>");
	}
	html_period(w, p, generated_ms);
	ws(w, "</dl>\n");
}

static void station_result(struct w *w, const struct wwtp_report_station *st)
{
	const struct wwtp_report_result *r = &st->res;
	char a[40];
	wf(w, "<div class=\"box %s\"><b>%s:</b> %s", verdict_class(r->verdict), T(w, RT_VERDICT),
	   verdict_text(w->lang, r->verdict));
	if (r->params_limited)
		wf(w, "<br>%s: %zu; %s: %zu; %s: %zu; %s: %s%%", T(w, RT_P_MET),
		   r->params_limited - r->params_not_met - r->params_insufficient,
		   T(w, RT_P_NOT_MET), r->params_not_met, T(w, RT_P_INSUFFICIENT),
		   r->params_insufficient, T(w, RT_F_AVAIL),
		   fmt_pct(a, sizeof a, w->lang, r->worst_availability));
	ws(w, "</div>\n");
	if (!st->has_limits)
		wf(w, "<p>%s</p>\n", T(w, RT_NO_LIMITS));
}

int wwtp_report_doc_station(const struct wwtp_report_period *p,
			    const struct wwtp_report_station *st, int lang,
			    const struct wwtp_report_doc *doc, struct wwtp_buf *out)
{
	struct w w = {out, 0, lang};
	char title[WWTP_NAME_MAX + 160], per[64], abstract[WWTP_NAME_MAX * 2 + 256];
	int sec = 0, annex = 0;
	int64_t gen = doc ? doc->generated_ms : 0;

	period_label(&w, p, per, sizeof per);
	snprintf(title, sizeof title, "%s — %s — %s", T(&w, RT_TITLE_STATION),
		 st->name[0] ? st->name : st->id, per);
	html_head(&w, title);
	{
		/* The abstract holds the plant's name: escaped into a buffer. */
		struct wwtp_buf nb;
		wwtp_buf_init(&nb, sizeof abstract);
		struct w wn = {&nb, 0, lang};
		wesc(&wn, st->name[0] ? st->name : st->id);
		snprintf(abstract, sizeof abstract, T(&w, RT_ABSTRACT_STATION), per,
			 wn.rc == 0 && nb.len ? (const char *)nb.data : st->id);
		wwtp_buf_free(&nb);
	}
	doc_header(&w, doc, abstract);
	section(&w, &sec, RT_S_GENERAL);
	station_general(&w, p, st, gen);
	section(&w, &sec, RT_S_RESULT);
	station_result(&w, st);
	if (st->has_limits) {
		section(&w, &sec, RT_S_PARAMS);
		station_params_table(&w, st);
	}
	section(&w, &sec, RT_S_VOLUME);
	station_volume(&w, st);
	if (st->has_limits) {
		section(&w, &sec, RT_S_DATA);
		station_data_table(&w, st, p);
	}
	station_completeness(&w, st);
	station_conf(&w, st);
	station_lab(&w, st);
	section(&w, &sec, RT_S_FLAG);
	station_flag(&w, st);
	doc_signature(&w, doc);
	annex_head(&w, &annex, RT_A_CHARTS);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < st->nparams; i++)
			if (st->params[i].has_limit == !pass &&
			    (pass == 0 || strncmp(st->params[i].name, "flow", 4) == 0))
				chart_param(&w, p, st, i);
	annex_head(&w, &annex, RT_A_SIGNALS);
	annex_signals(&w, st);
	annex_head(&w, &annex, RT_A_SOURCES);
	annex_sources(&w, &st, 1);
	ws(&w, "</body>\n</html>\n");
	return w.rc;
}

int wwtp_report_html_station(const struct wwtp_report_period *p,
			     const struct wwtp_report_station *st, int lang, int64_t generated_ms,
			     struct wwtp_buf *out)
{
	struct wwtp_report_doc doc = {.generated_ms = generated_ms};
	return wwtp_report_doc_station(p, st, lang, &doc, out);
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

/* Splits name into lines of at most max characters (UTF-8 code points) at
 * spaces; a word longer than a line is a line of its own. Returns the
 * number of lines (at most nl); starts[i] and lens[i] in bytes. */
static size_t wrap_words(const char *s, size_t max, size_t nl, size_t *starts, size_t *lens)
{
	size_t n = 0, i = 0, len = strlen(s);
	while (i < len && n < nl) {
		while (s[i] == ' ')
			i++;
		size_t start = i, last_fit = 0, chars = 0, j = i;
		while (j < len) {
			size_t k = j;
			while (k < len && s[k] != ' ') {
				if (((unsigned char)s[k] & 0xC0) != 0x80)
					chars++;
				k++;
			}
			if (chars > max && last_fit)
				break;
			last_fit = k;
			j = k;
			if (j < len) {
				chars++; /* the space */
				j++;
			}
		}
		if (n + 1 == nl) /* the last line takes the rest */
			last_fit = len;
		starts[n] = start;
		lens[n] = last_fit - start;
		n++;
		i = last_fit;
	}
	return n;
}

#define FLEET_LINE_CHARS 34
#define FLEET_LINES 3

static void fleet_chart(struct w *w, const struct wwtp_report_station *const *st, size_t n)
{
	const int lw = 230, bw = CW - lw - 70, top = 34, lh = 13;
	char a[32];
	size_t starts[FLEET_LINES], lens[FLEET_LINES];
	int h = top + 26;

	for (size_t i = 0; i < n; i++) {
		size_t nl = wrap_words(st[i]->name[0] ? st[i]->name : st[i]->id, FLEET_LINE_CHARS,
				       FLEET_LINES, starts, lens);
		h += (int)(nl > 1 ? nl : 1) * lh + 10;
	}
	wf(w, "<figure>\n<h3>%s</h3>\n", T(w, RT_FLEET_CHART));
	wf(w,
	   "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	   "height=\"%d\" role=\"img\" font-size=\"11\" font-family=\"sans-serif\">\n",
	   CW, h, CW, h);
	/* The legend on its own line above the bars: never under a label. */
	wf(w,
	   "<g transform=\"translate(%d,10)\"><rect width=\"14\" height=\"8\" fill=\"#43a047\"/>"
	   "<text x=\"18\" y=\"8\">%s</text><rect x=\"250\" width=\"14\" height=\"6\" "
	   "fill=\"#1565c0\"/><text x=\"268\" y=\"7\">%s</text></g>\n",
	   lw, T(w, RT_CHART_WITHIN), T(w, RT_H_AVAIL));
	for (int g = 0; g <= 4; g++) {
		double x = lw + bw * g / 4.0;
		wf(w,
		   "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#e0e0e0\"/>"
		   "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d%%</text>",
		   x, x, top - 6, h - 22, x, h - 8, g * 25);
	}
	double y = top;
	for (size_t i = 0; i < n; i++) {
		const char *name = st[i]->name[0] ? st[i]->name : st[i]->id;
		size_t nl = wrap_words(name, FLEET_LINE_CHARS, FLEET_LINES, starts, lens);
		double v = worst_within(st[i]), av = st[i]->res.worst_availability;
		double rh = (double)(nl > 1 ? nl : 1) * lh + 10;
		ws(w, "\n<text text-anchor=\"end\">");
		for (size_t k = 0; k < nl; k++) {
			char line[WWTP_NAME_MAX];
			snprintf(line, sizeof line, "%.*s", (int)lens[k], name + starts[k]);
			wf(w, "<tspan x=\"%d\" y=\"%.1f\">", lw - 6, y + 11 + (double)k * lh);
			wesc(w, line);
			ws(w, "</tspan>");
		}
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
		y += rh;
	}
	ws(w, "\n</svg>\n</figure>\n");
}

static size_t lost_hours(const struct wwtp_report_station *s, size_t *nodata, size_t *fault,
			 size_t *other)
{
	size_t worst = 0;
	*nodata = *fault = *other = 0;
	/* The limited parameter that lost the most hours speaks for the plant. */
	for (size_t i = 0; i < s->nparams; i++) {
		const struct wwtp_report_pstats *p = &s->res.p[i];
		if (!s->params[i].has_limit || p->hours_lost < worst)
			continue;
		if (p->hours_lost > worst || (*nodata + *fault + *other) == 0) {
			worst = p->hours_lost;
			*nodata = p->lost_nodata;
			*fault = p->lost_fault;
			*other = p->lost_other;
		}
	}
	return worst;
}

int wwtp_report_doc_fleet(const struct wwtp_report_period *p,
			  const struct wwtp_report_station *const *st, size_t n, int lang,
			  const struct wwtp_report_doc *doc, struct wwtp_buf *out)
{
	struct w w = {out, 0, lang};
	char title[200], per[64], abstract[400], a[40], b[40], line[512];
	size_t cnt[4] = {0}, flagged = 0;
	int sec = 0, annex = 0;
	int64_t gen = doc ? doc->generated_ms : 0;

	for (size_t i = 0; i < n; i++) {
		int v = st[i]->res.verdict;
		cnt[v >= 0 && v < 4 ? v : WWTP_REPORT_NOT_JUDGED]++;
		flagged += st[i]->res.nreasons > 0;
	}
	period_label(&w, p, per, sizeof per);
	snprintf(title, sizeof title, "%s — %s", T(&w, RT_TITLE_FLEET), per);
	snprintf(abstract, sizeof abstract, T(&w, RT_ABSTRACT_FLEET), per);
	html_head(&w, title);
	doc_header(&w, doc, abstract);
	section(&w, &sec, RT_S_GENERAL);
	ws(&w, "<dl>");
	html_period(&w, p, gen);
	ws(&w, "</dl>\n");
	section(&w, &sec, RT_S_RESULT);
	snprintf(line, sizeof line, T(&w, RT_FLEET_COUNTS), n, cnt[WWTP_REPORT_MET],
		 cnt[WWTP_REPORT_NOT_MET], cnt[WWTP_REPORT_INSUFFICIENT],
		 cnt[WWTP_REPORT_NOT_JUDGED]);
	wf(&w, "<div class=\"box %s\"><b>%s: %zu/%zu (%s%%)</b><br>", cnt[0] == n ? "ok" : "bad",
	   T(&w, RT_FLEET_TOTAL), cnt[0], n,
	   fmt_pct(a, sizeof a, lang, n ? (double)cnt[0] / (double)n : NAN));
	wesc(&w, line);
	wf(&w, "<br>%s<br>%s: %zu/%zu", T(&w, RT_FLEET_TARGET), T(&w, RT_FLEET_FLAGGED), flagged,
	   n);
	int64_t ce = 0, cl = 0;
	size_t ncompl = 0;
	for (size_t i = 0; i < n; i++)
		if (st[i]->has_compl) {
			ce += st[i]->compl .expected;
			cl += st[i]->compl .lost;
			ncompl++;
		}
	if (ncompl) {
		ws(&w, "<br>");
		compl_short(&w, RT_C_FLEET, cl, ce);
	}
	ws(&w, "</div>\n");
	fleet_chart(&w, st, n);
	section(&w, &sec, RT_S_STATIONS);
	wf(&w,
	   "<table>\n<thead><tr><th class=\"l\">%s</th><th class=\"l\">%s</th>"
	   "<th class=\"l\">%s</th><th>%s</th><th>%s</th><th>%s</th><th class=\"l\">%s</th>"
	   "<th class=\"l\">%s</th></tr></thead>\n<tbody>\n",
	   T(&w, RT_F_STATION), T(&w, RT_REGULATION), T(&w, RT_VERDICT), T(&w, RT_F_AVAIL),
	   T(&w, RT_D_LOST), T(&w, RT_VOL_OUT), T(&w, RT_F_PARAMS_NOT_MET), T(&w, RT_FLAG));
	for (size_t i = 0; i < n; i++) {
		const struct wwtp_report_station *s = st[i];
		size_t nd, fa, ot, lost = lost_hours(s, &nd, &fa, &ot);
		ws(&w, "<tr><td class=\"l\">");
		wesc(&w, s->name[0] ? s->name : s->id);
		wf(&w, " <span class=\"sub\">(%s)</span>", s->id);
		if (s->district[0]) {
			ws(&w, "<br><span class=\"small\">");
			wesc(&w, s->district);
			ws(&w, "</span>");
		}
		if (s->plan_review) {
			ws(&w, "<br><span class=\"review small\">");
			ws(&w, T(&w, RT_PLAN_REVIEW));
			ws(&w, "</span>");
		}
		ws(&w, "</td><td class=\"l\">");
		if (s->has_limits)
			regulation_line(&w, s);
		wf(&w, "</td><td class=\"l %s\">%s</td><td>%s%%</td><td>%zu",
		   verdict_class(s->res.verdict), verdict_text(lang, s->res.verdict),
		   fmt_pct(a, sizeof a, lang, s->res.worst_availability), lost);
		if (lost)
			wf(&w, "<br><span class=\"small\">%zu / %zu / %zu</span>", nd, fa, ot);
		if (s->has_compl) {
			ws(&w, "<br><span class=\"small compl\">");
			compl_short(&w, RT_C_SHORT, s->compl .lost, s->compl .expected);
			ws(&w, "</span>");
		}
		ws(&w, "</td><td>");
		if (s->res.vol_out.method != WWTP_VOL_NONE)
			wf(&w, "%s m³", num_grouped(b, sizeof b, lang, s->res.vol_out.m3));
		else
			ws(&w, "—");
		ws(&w, "</td><td class=\"l\">");
		int first = 1;
		for (size_t k = 0; k < s->nparams; k++)
			if (s->params[k].has_limit && s->res.p[k].days_exceeding) {
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
	ws(&w, "</tbody></table>\n");
	wf(&w, "<p class=\"small\">%s: %s / %s / %s.</p>\n", T(&w, RT_D_LOST), T(&w, RT_D_NODATA),
	   T(&w, RT_D_FAULT), T(&w, RT_D_OTHER));
	doc_signature(&w, doc);
	annex_head(&w, &annex, RT_A_SOURCES);
	annex_sources(&w, st, n);
	ws(&w, "</body>\n</html>\n");
	return w.rc;
}

int wwtp_report_html_fleet(const struct wwtp_report_period *p,
			   const struct wwtp_report_station *const *st, size_t n, int lang,
			   int64_t generated_ms, struct wwtp_buf *out)
{
	struct wwtp_report_doc doc = {.generated_ms = generated_ms};
	return wwtp_report_doc_fleet(p, st, n, lang, &doc, out);
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
	ws(&w,
	   "month,station,param,unit,has_limit,limit_min,limit_max,regulation,column,kq,kf,"
	   "readings,valid,faults,hours_period,hours_covered,hours_judged,availability,mean,"
	   "min,max,hours_exceeding,hours_exceeding_share,days_period,days_judged,"
	   "days_exceeding,days_exceeding_share,max_ratio,max_daily_ratio,alert_hours,"
	   "alerts_raised,max_alert_ratio,station_verdict,station_flagged,hours_lost,lost_nodata,"
	   "lost_fault,lost_other\r\n");
	for (size_t j = 0; j < n; j++) {
		const struct wwtp_report_station *s = st[j];
		for (size_t i = 0; i < s->nparams; i++) {
			const struct wwtp_flag_param *fp = &s->params[i];
			const struct wwtp_report_pstats *ps = &s->res.p[i];
			ws(&w, p->id);
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
			wf(&w, ",%d,%zu,%zu,%zu,%zu\r\n", s->res.nreasons > 0, ps->hours_lost,
			   ps->lost_nodata, ps->lost_fault, ps->lost_other);
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
	       "flagged,reasons,volume_out_m3,volume_out_method,volume_out_hours,volume_in_m3,"
	       "volume_in_method,capacity_use,polls_expected,polls_received,polls_lost,"
	       "polls_late\r\n");
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
		ws(&w, p->id);
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
		static const char *const how[] = {"", "totaliser", "integral"};
		const struct wwtp_report_volume *vo = &s->res.vol_out, *vi = &s->res.vol_in;
		cnum(&w, vo->m3);
		cstr(&w, how[vo->method >= 0 && vo->method < 3 ? vo->method : 0]);
		wf(&w, ",%zu", vo->hours);
		cnum(&w, vi->m3);
		cstr(&w, how[vi->method >= 0 && vi->method < 3 ? vi->method : 0]);
		cnum(&w, vo->capacity_use);
		if (s->has_compl)
			wf(&w, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64, s->compl .expected,
			   s->compl .received, s->compl .lost, s->compl .late);
		else
			ws(&w, ",,,,");
		ws(&w, "\r\n");
	}
	return w.rc;
}
