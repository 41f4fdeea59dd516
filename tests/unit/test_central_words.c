/* test_central_words.c - alerts and flag reasons in an inspector's words
 * (central/monitor/words.c): numbers with a decimal comma, shares as %,
 * durations, "gấp N lần", an intermittent fault as one sentence with its
 * count and total time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../central/monitor/words.h"

static void test_numbers(void **state)
{
	char b[32];
	(void)state;
	assert_string_equal(wwtp_words_num(1.54, 2, b, sizeof b), "1,54");
	assert_string_equal(wwtp_words_num(208.0, 1, b, sizeof b), "208");
	assert_string_equal(wwtp_words_num(1234.5, 1, b, sizeof b), "1.234,5");
	assert_string_equal(wwtp_words_num(-0.25, 2, b, sizeof b), "-0,25");
	assert_string_equal(wwtp_words_num(NAN, 2, b, sizeof b), "–");
	assert_string_equal(wwtp_words_duration(310 * 60000LL, b, sizeof b), "5 giờ 10 phút");
	assert_string_equal(wwtp_words_duration(45 * 60000LL, b, sizeof b), "45 phút");
	assert_string_equal(wwtp_words_duration(50 * 3600000LL, b, sizeof b), "2 ngày 2 giờ");
}

static void test_reason(void **state)
{
	struct wwtp_flag_reason r;
	char out[320];
	(void)state;
	memset(&r, 0, sizeof(r));
	r.rule = WWTP_FLAG_COMPLIANCE;
	snprintf(r.param, sizeof(r.param), "cod");
	r.value = 0; /* none of the hours within */
	r.hours = 164;
	r.limit = 135;
	r.mean = 208;
	wwtp_words_reason(&r, "mg/L", out, sizeof out);
	assert_string_equal(out, "COD vượt quy chuẩn 164/164 giờ, TB 208 mg/L, gấp 1,54 lần "
				 "(Cmax 135 mg/L)");
	r.rule = WWTP_FLAG_AVAILABILITY;
	r.value = 0.667;
	r.threshold = 0.75;
	wwtp_words_reason(&r, "mg/L", out, sizeof out);
	assert_non_null(strstr(out, "67 %"));
	assert_non_null(strstr(out, "75 %"));
	assert_null(strstr(out, "mg/L")); /* a share has no concentration unit */
	/* docs/plausibility.md: the reason an inspector reads for a frozen COD. */
	r.rule = WWTP_FLAG_SUSPECT;
	r.value = 0.4;
	r.threshold = 0.2;
	r.hours = 168;
	r.flat_run = 23;
	wwtp_words_reason(&r, "mg/L", out, sizeof out);
	assert_string_equal(out, "COD không đổi 23 giờ liền — nghi thiết bị bị can thiệp (dữ liệu "
				 "bất thường 40 % số giờ, ngưỡng 20 %)");
	r.flat_run = 0;
	wwtp_words_reason(&r, "mg/L", out, sizeof out);
	assert_non_null(strstr(out, "không hợp lý 40 % số giờ"));
}

static void test_alert(void **state)
{
	struct wwtp_alert_rec raw;
	struct wwtp_episode p;
	char out[320];
	(void)state;
	memset(&raw, 0, sizeof raw);
	memset(&p, 0, sizeof p);
	snprintf(raw.kind, sizeof raw.kind, "fault");
	raw.value = raw.limit = raw.ratio = NAN;
	p.first = p.shown = &raw;
	p.subject = "outlet-analyzer";
	p.by_device = 1;
	p.params[0] = "cod";
	p.params[1] = "nh4";
	p.nparams = 2;
	p.count = 31;
	p.active_ms = 310 * 60000LL;
	wwtp_words_alert(&p, out, sizeof out);
	assert_string_equal(out,
			    "Thiết bị đo COD, Amoni (tính theo N) (outlet-analyzer) báo lỗi gián "
			    "đoạn: 31 lần, tổng 5 giờ 10 phút");

	snprintf(raw.kind, sizeof raw.kind, "exceedance");
	snprintf(raw.unit, sizeof raw.unit, "mg/L");
	raw.value = 208;
	raw.limit = 135;
	raw.ratio = 1.5407;
	p.subject = "cod";
	p.by_device = 0;
	p.nparams = 1;
	p.nwindows = 2;
	p.windows_s[0] = 3600;
	p.windows_s[1] = 86400;
	wwtp_words_alert(&p, out, sizeof out);
	assert_string_equal(
	    out, "COD vượt quy chuẩn: TB 1 giờ, 1 ngày 208 mg/L, gấp 1,54 lần (Cmax 135 mg/L)");
}

/* A measuring-configuration change (ingest/confchange.h) as an inspector
 * reads it: the param's name, the device, the setting in Vietnamese with
 * the file's key, the values with the decimal comma. */
static void test_config_change(void **state)
{
	struct wwtp_alert_rec raw;
	struct wwtp_episode p;
	char out[320];
	(void)state;
	memset(&raw, 0, sizeof raw);
	memset(&p, 0, sizeof p);
	snprintf(raw.kind, sizeof raw.kind, "config_change");
	snprintf(raw.station, sizeof raw.station, "thanh-thuy");
	snprintf(raw.device, sizeof raw.device, "outlet");
	snprintf(raw.param, sizeof raw.param, "cod");
	snprintf(raw.setting, sizeof raw.setting, "scale");
	snprintf(raw.from, sizeof raw.from, "1");
	snprintf(raw.to, sizeof raw.to, "0.5");
	raw.has_from = raw.has_to = 1;
	raw.value = raw.limit = raw.ratio = NAN;
	p.first = p.shown = &raw;
	p.subject = "cod";
	p.count = 1;
	wwtp_words_alert(&p, out, sizeof out);
	assert_string_equal(out, "Thay đổi cấu hình đo: COD (outlet): hệ số (scale) 1 → 0,5");

	snprintf(raw.setting, sizeof raw.setting, "plausible.max");
	snprintf(raw.from, sizeof raw.from, "5000");
	snprintf(raw.to, sizeof raw.to, "2000.25");
	p.count = 2;
	wwtp_words_alert(&p, out, sizeof out);
	assert_string_equal(out, "Thay đổi cấu hình đo: COD (outlet): giới hạn đo trên "
				 "(plausible.max) 5.000 → 2.000,25 (2 thay đổi)");

	/* A device's own setting; a text value; a point removed. */
	raw.param[0] = '\0';
	snprintf(raw.setting, sizeof raw.setting, "status");
	snprintf(raw.from, sizeof raw.from, "none");
	snprintf(raw.to, sizeof raw.to, "holding 2 value calibrating=1 fault=2");
	p.count = 1;
	wwtp_words_alert(&p, out, sizeof out);
	assert_string_equal(out, "Thay đổi cấu hình đo: thiết bị outlet: thanh ghi trạng thái "
				 "(status) none → holding 2 value calibrating=1 fault=2");
	snprintf(raw.param, sizeof raw.param, "nh4");
	snprintf(raw.setting, sizeof raw.setting, "point");
	raw.has_to = 0;
	wwtp_words_alert(&p, out, sizeof out);
	assert_string_equal(out,
			    "Thay đổi cấu hình đo: Amoni (tính theo N) (outlet): điểm đo bị bỏ");
}

/* The analyzer against a laboratory result (ingest/labsample.h): value
 * the analyzer's mean, limit the laboratory's value, ratio of the two. */
static void test_lab_mismatch(void **state)
{
	struct wwtp_alert_rec raw;
	struct wwtp_episode p;
	char out[320];
	(void)state;
	memset(&raw, 0, sizeof raw);
	memset(&p, 0, sizeof p);
	snprintf(raw.kind, sizeof raw.kind, "lab_mismatch");
	snprintf(raw.station, sizeof raw.station, "thanh-thuy");
	snprintf(raw.param, sizeof raw.param, "cod");
	snprintf(raw.unit, sizeof raw.unit, "mg/L");
	raw.value = 80;
	raw.limit = 50;
	raw.ratio = 1.6;
	p.first = p.shown = &raw;
	p.subject = "cod";
	p.count = 1;
	wwtp_words_alert(&p, out, sizeof out);
	assert_string_equal(out, "Thiết bị đo COD lệch kết quả phòng thí nghiệm: thiết bị đo 80 "
				 "mg/L, phòng thí nghiệm 50 mg/L (lệch +60%)");
	raw.value = 41.25;
	raw.ratio = 41.25 / 50;
	p.count = 2;
	wwtp_words_alert(&p, out, sizeof out);
	assert_string_equal(out, "Thiết bị đo COD lệch kết quả phòng thí nghiệm: thiết bị đo 41,25 "
				 "mg/L, phòng thí nghiệm 50 mg/L (lệch -17,5%) (2 mẫu)");
	raw.limit = 0; /* a laboratory zero: no ratio */
	raw.ratio = NAN;
	p.count = 1;
	wwtp_words_alert(&p, out, sizeof out);
	assert_string_equal(out, "Thiết bị đo COD lệch kết quả phòng thí nghiệm: thiết bị đo 41,25 "
				 "mg/L, phòng thí nghiệm 0 mg/L");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_numbers),	 cmocka_unit_test(test_reason),
	    cmocka_unit_test(test_alert),	 cmocka_unit_test(test_config_change),
	    cmocka_unit_test(test_lab_mismatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
