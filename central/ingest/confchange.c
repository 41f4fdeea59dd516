/* confchange.c - config_change alerts from a config message (confchange.h). */
#include "confchange.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../../model/glossary.h"
#include "../../util/err.h"

int wwtp_confchange_alert(const struct wwtp_in_msg *cfg, size_t i, char id[WWTP_CONFCHANGE_ID_MAX],
			  struct wwtp_in_msg *out)
{
	if (!cfg || cfg->kind != WWTP_MSG_CONFIG || i >= cfg->nchanges)
		return WWTP_ERR_INVAL;
	const struct wwtp_in_change *c = &cfg->changes[i];
	snprintf(id, WWTP_CONFCHANGE_ID_MAX, "%s:config:%" PRId64 ":%zu", cfg->station, cfg->seq,
		 i + 1);
	memset(out, 0, sizeof(*out));
	out->kind = WWTP_MSG_ALERT;
	out->station = cfg->station;
	out->id = id;
	out->event = "raised";
	out->alert_kind = WWTP_ALERT_KIND_CONFIG;
	out->alert_device = c->device[0] ? c->device : NULL;
	out->param = c->param;
	out->setting = c->setting;
	out->from = c->from;
	out->to = c->to;
	out->has_ts = 1;
	out->ts_ms = cfg->ts_ms;
	out->start_ms = cfg->ts_ms;
	/* The alert is the message's: verified as it was, but it takes no
	 * link of the chain of its own. */
	out->verified = cfg->verified;
	return 0;
}

/* A decimal number as the file writes it ("5000.25") in Vietnamese
 * ("5.000,25"); anything else as it is. */
static const char *value_vi(const char *v, char *buf, size_t n)
{
	size_t len = strlen(v), i = v[0] == '-' ? 1 : 0, digits = 0, j = 0;
	const char *dot = strchr(v, '.');
	size_t ilen = (dot ? (size_t)(dot - v) : len) - i;
	int plain = ilen > 0 && strspn(v + i, "0123456789") == ilen &&
		    (!dot || (dot[1] && strspn(dot + 1, "0123456789") == strlen(dot + 1)));
	if (!plain || len + len / 3 + 2 > n) {
		snprintf(buf, n, "%s", v);
		return buf;
	}
	if (i)
		buf[j++] = '-';
	for (; digits < ilen; digits++) {
		if (digits && (ilen - digits) % 3 == 0)
			buf[j++] = '.';
		buf[j++] = v[i + digits];
	}
	if (dot) {
		buf[j++] = ',';
		for (const char *c = dot + 1; *c; c++)
			buf[j++] = *c;
	}
	buf[j] = '\0';
	return buf;
}

/* The settings (collector/confaudit.h) by their Vietnamese names. */
static const char *setting_vi(const char *s)
{
	static const struct {
		const char *key, *vi;
	} names[] = {
	    {"scale", "hệ số"},
	    {"offset", "độ lệch"},
	    {"address", "địa chỉ thanh ghi"},
	    {"table", "bảng thanh ghi"},
	    {"type", "kiểu dữ liệu"},
	    {"order", "thứ tự byte"},
	    {"bit", "bit"},
	    {"unit", "đơn vị"},
	    {"status", "thanh ghi trạng thái"},
	    {"unit_id", "địa chỉ thiết bị"},
	    {"plausible", "kiểm tra hợp lý"},
	    {"plausible.min", "giới hạn đo dưới"},
	    {"plausible.max", "giới hạn đo trên"},
	    {"plausible.step", "bước nhảy tối đa"},
	    {"plausible.resolution", "độ phân giải"},
	    {"plausible.flat_s", "thời gian không đổi tối đa"},
	    {"limit.min", "giới hạn cho phép dưới"},
	    {"limit.max", "giới hạn cho phép (Cmax)"},
	    {"evaluation.windows_s", "các khoảng lấy trung bình"},
	    {"evaluation.min_availability", "tỷ lệ số liệu tối thiểu"},
	    {"evaluation.hysteresis", "độ trễ đóng cảnh báo"},
	    {"evaluation.calibration_max_s", "thời gian hiệu chuẩn tối đa"},
	    {"evaluation.offline_after_s", "thời gian mất kết nối"},
	    {"evaluation.fault_after", "số lần lỗi liên tiếp"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(names[i].key, s) == 0)
			return names[i].vi;
	return NULL;
}

void wwtp_confchange_words(const char *lang, const char *station, const char *device,
			   const char *param, const char *setting, const char *from, const char *to,
			   char *out, size_t n)
{
	int vi = !lang || strcmp(lang, "en") != 0;
	char who[160], set[96], a[112], b[112];
	device = device ? device : "";
	setting = setting ? setting : "";
	if (param && param[0])
		snprintf(who, sizeof who, "%s (%s)", wwtp_glossary_name(param, vi ? "vi" : "en"),
			 device[0] ? device : station);
	else if (device[0])
		snprintf(who, sizeof who, vi ? "thiết bị %s" : "device %s", device);
	else
		snprintf(who, sizeof who, vi ? "trạm %s" : "station %s", station);
	if (strcmp(setting, "point") == 0 || strcmp(setting, "device") == 0) {
		int pt = setting[0] == 'p';
		if (vi)
			snprintf(out, n, "%s: %s %s", who, pt ? "điểm đo" : "thiết bị",
				 to ? "được thêm" : "bị bỏ");
		else
			snprintf(out, n, "%s: %s %s", who, pt ? "point" : "device",
				 to ? "added" : "removed");
		return;
	}
	const char *sv = vi ? setting_vi(setting) : NULL;
	if (sv)
		snprintf(set, sizeof set, "%s (%s)", sv, setting);
	else
		snprintf(set, sizeof set, "%s", setting);
	const char *none = vi ? "(không có)" : "(none)";
	snprintf(out, n, "%s: %s %s → %s", who, set,
		 !from ? none
		 : vi  ? value_vi(from, a, sizeof a)
		       : from,
		 !to  ? none
		 : vi ? value_vi(to, b, sizeof b)
		      : to);
}
