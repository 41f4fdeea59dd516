/* words.c - alerts and flag reasons in an inspector's Vietnamese (words.h). */
#include "words.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../model/glossary.h"
#include "../ingest/confchange.h"

const char *wwtp_words_num(double v, int decimals, char *buf, size_t n)
{
	char t[64], *dot;
	if (!isfinite(v)) {
		snprintf(buf, n, "–");
		return buf;
	}
	snprintf(t, sizeof(t), "%.*f", decimals, v);
	if ((dot = strchr(t, '.')) != NULL) { /* trailing zeros, then the point */
		char *e = t + strlen(t) - 1;
		while (e > dot && *e == '0')
			*e-- = '\0';
		if (e == dot)
			*e = '\0';
	}
	/* Integer part with dots every three digits, then a comma. */
	const char *p = t, *frac = strchr(t, '.');
	size_t ilen = frac ? (size_t)(frac - t) : strlen(t), j = 0;
	if (*p == '-') {
		if (j + 1 < n)
			buf[j++] = '-';
		p++;
		ilen--;
	}
	for (size_t i = 0; i < ilen && j + 2 < n; i++) {
		if (i && (ilen - i) % 3 == 0)
			buf[j++] = '.';
		buf[j++] = p[i];
	}
	if (frac && j + 1 < n) {
		buf[j++] = ',';
		for (const char *f = frac + 1; *f && j + 1 < n; f++)
			buf[j++] = *f;
	}
	buf[j < n ? j : n - 1] = '\0';
	return buf;
}

const char *wwtp_words_duration(int64_t ms, char *buf, size_t n)
{
	int64_t min = (ms + 30000) / 60000, d = min / 1440, h = (min % 1440) / 60, m = min % 60;
	if (d)
		snprintf(buf, n, "%lld ngày %lld giờ", (long long)d, (long long)h);
	else if (h && m)
		snprintf(buf, n, "%lld giờ %lld phút", (long long)h, (long long)m);
	else if (h)
		snprintf(buf, n, "%lld giờ", (long long)h);
	else
		snprintf(buf, n, "%lld phút", (long long)m);
	return buf;
}

static const char *pct(double share, char *buf, size_t n)
{
	wwtp_words_num(share * 100, fabs(share) < 0.1 ? 1 : 0, buf, n);
	size_t l = strlen(buf);
	if (l + 3 <= n)
		memcpy(buf + l, " %", 3);
	return buf;
}

static const char *window_name(int s, char *buf, size_t n)
{
	if (s % 86400 == 0)
		snprintf(buf, n, "%d ngày", s / 86400);
	else if (s % 3600 == 0)
		snprintf(buf, n, "%d giờ", s / 3600);
	else
		snprintf(buf, n, "%d phút", s / 60);
	return buf;
}

void wwtp_words_reason(const struct wwtp_flag_reason *r, const char *unit, char *out, size_t n)
{
	char a[32], b[32], c[32], d[32];
	const char *name = wwtp_glossary_name(r->param, "vi");
	const char *u = wwtp_glossary_unit(unit, "vi");
	int bad = (int)lround((1 - (isfinite(r->value) ? r->value : 0)) * r->hours);

	switch (r->rule) {
	case WWTP_FLAG_COMPLIANCE:
		if (isfinite(r->limit) && r->limit > 0)
			snprintf(out, n,
				 "%s vượt quy chuẩn %d/%d giờ, TB %s %s, gấp %s lần (Cmax %s %s)",
				 name, bad, r->hours, wwtp_words_num(r->mean, 1, a, sizeof a), u,
				 wwtp_words_num(r->mean / r->limit, 2, b, sizeof b),
				 wwtp_words_num(r->limit, 2, c, sizeof c), u);
		else
			snprintf(out, n, "%s ngoài khoảng %s–%s %d/%d giờ, TB %s", name,
				 wwtp_words_num(r->cmax_min, 2, a, sizeof a),
				 wwtp_words_num(r->cmax_max, 2, b, sizeof b), bad, r->hours,
				 wwtp_words_num(r->mean, 2, c, sizeof c));
		break;
	case WWTP_FLAG_AVAILABILITY:
		snprintf(out, n,
			 "Thiếu dữ liệu: %s chỉ có %s số giờ hợp lệ trong %d giờ (ngưỡng %s)", name,
			 pct(r->value, a, sizeof a), r->hours, pct(r->threshold, b, sizeof b));
		break;
	case WWTP_FLAG_FAULTS:
		snprintf(out, n, "Thiết bị đo %s báo lỗi %s thời gian (ngưỡng %s)", name,
			 pct(r->value, a, sizeof a), pct(r->threshold, b, sizeof b));
		break;
	case WWTP_FLAG_COD_REMOVAL:
	case WWTP_FLAG_NH4_REMOVAL:
		snprintf(out, n,
			 "Hiệu suất xử lý %s chỉ đạt %s (vào %s, ra %s mg/L trong %d giờ; yêu cầu "
			 "từ %s)",
			 r->rule == WWTP_FLAG_COD_REMOVAL ? "COD" : "amoni",
			 pct(r->value, a, sizeof a), wwtp_words_num(r->inlet, 1, b, sizeof b),
			 wwtp_words_num(r->outlet, 1, c, sizeof c), r->hours,
			 pct(r->threshold, d, sizeof d));
		break;
	case WWTP_FLAG_HYDRAULIC:
		snprintf(
		    out, n, "Quá tải thủy lực: %s công suất thiết kế (%s / %s m³/ngày, ngưỡng %s)",
		    pct(r->value, a, sizeof a), wwtp_words_num(r->flow_m3d, 0, b, sizeof b),
		    wwtp_words_num(r->design_m3d, 0, c, sizeof c), pct(r->threshold, d, sizeof d));
		break;
	case WWTP_FLAG_SUSPECT:
		/* docs/plausibility.md: from the marks of the edge's checks. */
		if (r->flat_run > 0)
			snprintf(out, n,
				 "%s không đổi %d giờ liền — nghi thiết bị bị can thiệp (dữ liệu "
				 "bất thường %s số giờ, ngưỡng %s)",
				 name, r->flat_run, pct(r->value, a, sizeof a),
				 pct(r->threshold, b, sizeof b));
		else
			snprintf(out, n,
				 "%s có số liệu không hợp lý %s số giờ — nghi thiết bị hỏng hoặc "
				 "cấu hình sai (ngưỡng %s)",
				 name, pct(r->value, a, sizeof a), pct(r->threshold, b, sizeof b));
		break;
	default:
		snprintf(out, n, "%s", r->text);
	}
}

static void windows_text(const struct wwtp_episode *p, char *buf, size_t n)
{
	char w[24];
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < p->nwindows && used < n; i++) {
		int k = snprintf(buf + used, n - used, "%s%s", i ? ", " : "",
				 window_name(p->windows_s[i], w, sizeof w));
		if (k < 0)
			break;
		used += (size_t)k;
	}
}

/* "Thay đổi cấu hình đo: COD (outlet): hệ số (scale) 1 → 0,5" (confchange.h). */
static void words_config(const struct wwtp_episode *p, char *out, size_t n)
{
	const struct wwtp_alert_rec *s = p->shown;
	char one[280];
	wwtp_confchange_words("vi", s->station, s->device, s->param, s->setting,
			      s->has_from ? s->from : NULL, s->has_to ? s->to : NULL, one,
			      sizeof one);
	if (p->count > 1)
		snprintf(out, n, "Thay đổi cấu hình đo: %s (%u thay đổi)", one, p->count);
	else
		snprintf(out, n, "Thay đổi cấu hình đo: %s", one);
}

/* "Thiết bị đo COD lệch kết quả phòng thí nghiệm: thiết bị đo 52,3 mg/L,
 * phòng thí nghiệm 40 mg/L (lệch +30,8%)" (ingest/labsample.h: value the
 * analyzer's mean, limit the laboratory's value). */
static void words_lab(const struct wwtp_episode *p, const char *what, const char *u, char *out,
		      size_t n)
{
	const struct wwtp_alert_rec *s = p->shown;
	char a[32], b[32], c[64] = "", d[32];
	if (isfinite(s->ratio))
		snprintf(c, sizeof c, " (lệch %s%s%%)", s->ratio >= 1 ? "+" : "",
			 wwtp_words_num((s->ratio - 1) * 100, 1, d, sizeof d));
	snprintf(out, n,
		 "Thiết bị đo %s lệch kết quả phòng thí nghiệm: thiết bị đo %s %s, phòng thí "
		 "nghiệm %s %s%s",
		 what, wwtp_words_num(s->value, 2, a, sizeof a), u,
		 wwtp_words_num(s->limit, 2, b, sizeof b), u, c);
	if (p->count > 1) {
		size_t l = strlen(out);
		snprintf(out + l, n - l, " (%u mẫu)", p->count);
	}
}

void wwtp_words_alert(const struct wwtp_episode *p, char *out, size_t n)
{
	const struct wwtp_alert_rec *s = p->shown;
	const char *kind = p->first->kind;
	char a[32], b[32], c[32], w[64], dur[48];
	char dev[192];
	const char *what = wwtp_glossary_name(p->subject, "vi");
	if (p->by_device) { /* "Thiết bị đo COD, Amoni (outlet-analyzer)" */
		size_t used = (size_t)snprintf(dev, sizeof dev, "Thiết bị đo ");
		for (size_t i = 0; i < p->nparams && used < sizeof dev; i++)
			used +=
			    (size_t)snprintf(dev + used, sizeof dev - used, "%s%s", i ? ", " : "",
					     wwtp_glossary_name(p->params[i], "vi"));
		if (used < sizeof dev)
			snprintf(dev + used, sizeof dev - used, p->nparams ? " (%s)" : "%s",
				 p->subject);
		what = dev;
	}
	const char *u = wwtp_glossary_unit(s->unit, "vi");

	windows_text(p, w, sizeof w);
	wwtp_words_duration(p->active_ms, dur, sizeof dur);
	if (strcmp(kind, "exceedance") == 0) {
		snprintf(out, n, "%s vượt quy chuẩn: TB %s %s %s, gấp %s lần (Cmax %s %s)", what, w,
			 wwtp_words_num(s->value, 1, a, sizeof a), u,
			 wwtp_words_num(s->ratio, 2, b, sizeof b),
			 wwtp_words_num(s->limit, 2, c, sizeof c), u);
	} else if (strcmp(kind, "range") == 0) {
		snprintf(out, n, "%s ngoài khoảng cho phép: TB %s %s, gấp %s lần giới hạn %s", what,
			 w, wwtp_words_num(s->value, 2, a, sizeof a),
			 wwtp_words_num(s->ratio, 2, b, sizeof b),
			 wwtp_words_num(s->limit, 2, c, sizeof c));
	} else if (strcmp(kind, "availability") == 0) {
		snprintf(out, n, "Thiếu dữ liệu từ %s: còn %s số giá trị trong %s (ngưỡng %s)",
			 what, pct(s->value, a, sizeof a), w, pct(s->limit, b, sizeof b));
	} else if (strcmp(kind, "fault") == 0 || strcmp(kind, "offline") == 0 ||
		   strcmp(kind, "calibration") == 0) {
		const char *verb = kind[0] == 'f'   ? "báo lỗi"
				   : kind[0] == 'o' ? "mất kết nối"
						    : "hiệu chuẩn quá lâu";
		if (p->count > 1)
			snprintf(out, n, "%s %s gián đoạn: %u lần, tổng %s", what, verb, p->count,
				 dur);
		else
			snprintf(out, n, "%s %s: %s", what, verb, dur);
	} else if (strcmp(kind, "suspect_data") == 0) {
		/* The check of the raise, when the collector said it. */
		const char *sus = p->first->suspect;
		const char *how =
		    strcmp(sus, "flatline") == 0 ? "không đổi — nghi thiết bị bị can thiệp"
		    : strcmp(sus, "range") == 0 ? "ngoài khoảng đo được — kiểm tra thiết bị"
		    : strcmp(sus, "step") == 0 ? "nhảy vọt bất thường"
					       : "không đổi, ngoài khoảng đo hoặc nhảy vọt";
		snprintf(out, n, "Số liệu %s bất thường (%s): %s", what, how, dur);
	} else if (strcmp(kind, "config_change") == 0) { /* ingest/confchange.h */
		words_config(p, out, n);
	} else if (strcmp(kind, "lab_mismatch") == 0) { /* ingest/labsample.h */
		words_lab(p, what, u, out, n);
	} else if (strcmp(kind, "forged") == 0) { /* ingest/evidence.h */
		snprintf(out, n,
			 "Dữ liệu giả mạo hoặc bị sửa: tin nhắn mang danh trạm %s không có "
			 "chữ ký hợp lệ của trạm (%u lần)",
			 p->first->station, p->count);
	} else {
		snprintf(out, n, "%s: %s (%u lần, %s)", what, kind, p->count, dur);
	}
}
