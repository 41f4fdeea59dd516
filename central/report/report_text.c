/* report_text.c - the report's words (see report_text.h). Every entry is
 * { Vietnamese, English }. The reason sentences take their numbers as
 * strings, in the order the comment gives, in both languages. */
#include "report_text.h"

#include "../../model/glossary.h"

#include <stddef.h>
#include <string.h>

#include "../../util/err.h"

static const char *const texts[RT_COUNT][2] = {
    [RT_HTML_LANG] = {"vi", "en"},
    [RT_TITLE_STATION] = {"Báo cáo kết quả quan trắc nước thải sau xử lý",
			  "Treated wastewater monitoring report"},
    [RT_TITLE_FLEET] = {"Tổng hợp kết quả quan trắc các trạm xử lý nước thải tập trung",
			"Summary of the central wastewater treatment plants"},
    [RT_MONTH] = {"Tháng", "Month"},
    [RT_PERIOD] = {"Kỳ báo cáo (giờ Hà Nội, UTC+7)", "Period (Hanoi time, UTC+7)"},
    [RT_PERIOD_PARTIAL] = {"kỳ báo cáo chưa kết thúc: số liệu đến", "period under way: data up to"},
    [RT_GENERATED] = {"Lập lúc (giờ Hà Nội)", "Generated (Hanoi time)"},
    [RT_SOURCE_NOTE] =
	{"Số liệu từ hệ thống quan trắc tự động, liên tục, đánh giá theo cùng quy tắc với hệ thống "
	 "giám sát trực tuyến.",
	 "Figures from the automatic continuous monitoring system (InfluxDB), judged by the same "
	 "rules as the live monitoring."},
    [RT_STATION] = {"Trạm", "Station"},
    [RT_DISTRICT] = {"Quận/huyện", "District"},
    [RT_DESIGN_FLOW] = {"Công suất thiết kế", "Design flow"},
    [RT_PLAN_REVIEW] = {"Thuộc danh sách rà soát của Kế hoạch (trạm xuống cấp)",
			"Listed by the plan for review (degraded plant)"},
    [RT_REGULATION] = {"Quy chuẩn áp dụng", "Regulation"},
    [RT_COLUMN] = {"Cột", "Column"},
    [RT_KQ] = {"Hệ số Kq", "Factor Kq"},
    [RT_KF] = {"Hệ số Kf", "Factor Kf"},
    [RT_NO_LIMITS] = {"Trạm chưa cấu hình giới hạn xả thải: không đánh giá.",
		      "The station has no discharge limits configured: not judged."},
    [RT_VERDICT] = {"Kết quả trong kỳ", "Result for the period"},
    [RT_V_MET] = {"Đạt quy chuẩn", "Met the regulation"},
    [RT_V_NOT_MET] = {"Không đạt quy chuẩn", "Did not meet the regulation"},
    [RT_V_INSUFFICIENT] = {"Không đủ dữ liệu để đánh giá", "Not enough data to judge"},
    [RT_V_NOT_JUDGED] = {"Không đánh giá (chưa có giới hạn)", "Not judged (no limits)"},
    [RT_FLAG] = {"Cờ suy giảm (theo số liệu của kỳ)",
		 "Degraded-plant flag (from the period's data)"},
    [RT_FLAGGED] = {"Bị gắn cờ", "Flagged"},
    [RT_NOT_FLAGGED] = {"Không bị gắn cờ", "Not flagged"},
    [RT_REASONS] = {"Lý do", "Reasons"},
    [RT_PARAMS] = {"Kết quả theo thông số", "Results by parameter"},
    [RT_H_PARAM] = {"Thông số", "Parameter"},
    [RT_H_UNIT] = {"Đơn vị", "Unit"},
    [RT_H_LIMIT] = {"Giới hạn (Cmax)", "Limit (Cmax)"},
    [RT_H_FACTORS] = {"C × Kq × Kf", "C × Kq × Kf"},
    [RT_H_SAMPLES] = {"Số bản ghi", "Readings"},
    [RT_H_VALID] = {"Số mẫu hợp lệ", "Valid samples"},
    [RT_H_AVAIL] = {"Tỷ lệ dữ liệu", "Data availability"},
    [RT_H_MEAN] = {"Trung bình cả kỳ", "Mean over the period"},
    [RT_H_MIN] = {"Nhỏ nhất", "Minimum"},
    [RT_H_MAX] = {"Lớn nhất", "Maximum"},
    [RT_H_HOURS_JUDGED] = {"Số TB giờ được đánh giá", "Judged hourly averages"},
    [RT_H_HOURS_EXCEED] = {"Số TB giờ vượt", "Hourly averages exceeding"},
    [RT_H_HOURS_SHARE] = {"Tỷ lệ giờ vượt", "Share of hours exceeding"},
    [RT_H_DAYS_JUDGED] = {"Số TB ngày được đánh giá", "Judged daily averages"},
    [RT_H_DAYS_EXCEED] = {"Số TB ngày vượt", "Daily averages exceeding"},
    [RT_H_DAYS_SHARE] = {"Tỷ lệ ngày vượt", "Share of days exceeding"},
    [RT_H_MAX_RATIO] = {"Hệ số vượt lớn nhất (TB giờ)", "Largest exceedance ratio (hourly)"},
    [RT_H_ALERT_HOURS] = {"Số giờ có cảnh báo", "Hours in alert"},
    [RT_H_ALERTS] = {"Số cảnh báo vượt", "Exceedance alerts"},
    [RT_NOT_JUDGED_PARAM] = {"không đánh giá", "not judged"},
    [RT_CHARTS] = {"Biểu đồ", "Charts"},
    [RT_CHART_DAILY] = {"Trung bình ngày", "Daily average"},
    [RT_CHART_HOURLY] = {"Trung bình giờ", "Hourly average"},
    [RT_CHART_LIMIT] = {"Giới hạn", "Limit"},
    [RT_CHART_NO_DATA] = {"Không có số liệu trong kỳ", "No data in the period"},
    [RT_CHART_WITHIN] = {"Tỷ lệ giờ đạt giới hạn", "Hours within limits"},
    [RT_FLEET_TOTAL] = {"Số trạm đạt quy chuẩn trong kỳ", "Plants that met the regulation"},
    [RT_FLEET_TARGET] = {"Mục tiêu của Kế hoạch: 100% trạm đạt quy chuẩn",
			 "The plan's target: 100% of plants meeting the regulation"},
    [RT_FLEET_FLAGGED] = {"Số trạm bị gắn cờ suy giảm", "Plants flagged as degraded"},
    [RT_FLEET_CHART] = {"Tỷ lệ giờ đạt giới hạn (thông số kém nhất) và tỷ lệ dữ liệu",
			"Share of hours within limits (worst parameter) and data availability"},
    [RT_F_STATION] = {"Trạm", "Plant"},
    [RT_F_AVAIL] = {"Tỷ lệ dữ liệu thấp nhất", "Lowest data availability"},
    [RT_F_PARAMS_NOT_MET] = {"Thông số không đạt", "Parameters not met"},
    [RT_DEFINITIONS] = {"Cách tính", "How the figures are computed"},
    [RT_DEF_TEXT] =
	{"Trung bình giờ được đánh giá khi có ít nhất 75% bản ghi hợp lệ trong giờ; trung bình "
	 "ngày (00:00–24:00 giờ Hà Nội) khi đủ tỷ lệ giờ được đánh giá theo cấu hình của trạm. "
	 "Giá trị bằng đúng Cmax là đạt. Tỷ lệ dữ liệu = số giờ được đánh giá / số giờ của kỳ. "
	 "Trạm đạt quy chuẩn khi không có trung bình ngày nào vượt giới hạn và mọi thông số có "
	 "giới hạn đủ tỷ lệ dữ liệu. Hệ số vượt = giá trị trung bình / Cmax (pH dưới giới hạn "
	 "dưới: giới hạn dưới / giá trị).",
	 "An hourly average is judged when at least 75% of the hour's readings are valid; a "
	 "daily average (00:00–24:00 Hanoi time) when enough of its hours are judged (the "
	 "station's setting). A value exactly at Cmax is within. Data availability = judged "
	 "hours / hours of the period. A plant met the regulation when no daily average "
	 "exceeded a limit and every limited parameter has enough data. Ratio = average / Cmax "
	 "(pH below its lower bound: bound / average)."},
    /* param, share %, hours, the limit, threshold % */
    [RT_R_COMPLIANCE] =
	{"%s: %s%% trong %s trung bình giờ nằm trong giới hạn %s (gắn cờ dưới %s%%)",
	 "%s: %s%% of %s hourly averages within %s (flagged below %s%%)"},
    /* param, share %, hours, threshold % */
    [RT_R_AVAILABILITY] = {"Tỷ lệ dữ liệu của %s: %s%% trong %s giờ (gắn cờ dưới %s%%)",
			   "Data availability of %s: %s%% of %s hours (flagged below %s%%)"},
    [RT_R_FAULTS] =
	{"Thiết bị đo %s báo lỗi %s%% thời gian trong %s giờ (gắn cờ trên %s%%)",
	 "The %s instrument in fault %s%% of the time over %s hours (flagged above %s%%)"},
    /* efficiency %, inlet, outlet, hours, threshold % */
    [RT_R_COD_REMOVAL] =
	{"Hiệu suất xử lý COD %s%% (vào %s, ra %s mg/L; %s giờ; gắn cờ dưới %s%%)",
	 "COD removal %s%% (inlet %s, outlet %s mg/L; %s hours; flagged below %s%%)"},
    [RT_R_NH4_REMOVAL] =
	{"Hiệu suất xử lý amoni %s%% (vào %s, ra %s mg/L; %s giờ; gắn cờ dưới %s%%)",
	 "Ammonium removal %s%% (inlet %s, outlet %s mg/L; %s hours; flagged below %s%%)"},
    /* load %, flow m3/day, design m3/day, hours, threshold % */
    [RT_R_HYDRAULIC] =
	{"Tải thủy lực %s%% công suất thiết kế (%s / %s m³/ngày; %s giờ; gắn cờ trên %s%%)",
	 "Hydraulic load %s%% of design (%s / %s m³/day; %s hours; flagged above %s%%)"},
    [RT_YES] = {"có", "yes"},
    [RT_MOTTO1] = {"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "SOCIALIST REPUBLIC OF VIET NAM"},
    [RT_MOTTO2] = {"Độc lập - Tự do - Hạnh phúc", "Independence - Freedom - Happiness"},
    [RT_NUMBER] = {"Số", "No."},
    [RT_DATE_LINE] = {"%s, ngày %02d tháng %02d năm %04d", "%s, %02d/%02d/%04d"},
    [RT_DOC_KIND] = {"BÁO CÁO", "REPORT"},
    [RT_ABSTRACT_STATION] = {"Kết quả quan trắc tự động, liên tục nước thải sau xử lý %s<br>%s",
			     "Automatic continuous monitoring of treated wastewater, %s<br>%s"},
    [RT_ABSTRACT_FLEET] = {"Tổng hợp kết quả quan trắc tự động, liên tục nước thải sau xử lý "
			   "của các trạm xử lý nước thải tập trung %s",
			   "Automatic continuous monitoring of treated wastewater of the central "
			   "treatment plants, %s"},
    [RT_PERIOD_MONTH] = {"tháng %02d/%04d", "month %02d/%04d"},
    [RT_PERIOD_QUARTER] = {"quý %s năm %04d", "quarter %s of %04d"},
    [RT_PERIOD_YEAR] = {"năm %04d", "year %04d"},
    [RT_DISTRIBUTION] = {"Nơi nhận:", "Distribution:"},
    [RT_PAGE] = {"Trang", "Page"},
    [RT_S_GENERAL] = {"Thông tin chung", "General information"},
    [RT_S_RESULT] = {"Kết quả đánh giá", "Assessment"},
    [RT_S_PARAMS] = {"Kết quả các thông số theo quy chuẩn", "Parameters limited by the regulation"},
    [RT_S_VOLUME] = {"Lưu lượng và lượng nước thải", "Flow and volume"},
    [RT_S_DATA] = {"Tính đầy đủ của số liệu", "Data availability"},
    [RT_S_FLAG] = {"Cờ suy giảm", "Degraded-plant flag"},
    [RT_S_STATIONS] = {"Kết quả từng trạm", "Results by plant"},
    [RT_ANNEX] = {"PHỤ LỤC", "ANNEX"},
    [RT_A_CHARTS] = {"Biểu đồ các thông số theo quy chuẩn và lưu lượng",
		     "Charts of the limited parameters and of the flow"},
    [RT_A_SIGNALS] = {"Các tín hiệu vận hành và thiết bị", "Process and equipment signals"},
    [RT_A_SOURCES] = {"Nguồn số liệu, cách tính và độ tin cậy",
		      "Data sources, method and confidence"},
    [RT_REG_LINE] = {"%s, cột %s, Kq = %s, Kf = %s", "%s, column %s, Kq = %s, Kf = %s"},
    [RT_H_RESULT] = {"Kết quả", "Result"},
    [RT_P_MET] = {"Đạt", "Met"},
    [RT_P_NOT_MET] = {"Không đạt", "Not met"},
    [RT_P_INSUFFICIENT] = {"Không đủ số liệu", "Insufficient data"},
    [RT_VOL_OUT] = {"Lượng nước thải xả ra trong kỳ", "Volume discharged in the period"},
    [RT_VOL_IN] = {"Lượng nước thải tiếp nhận trong kỳ", "Volume received in the period"},
    [RT_VOL_PER_DAY] = {"trung bình", "on average"},
    [RT_VOL_CAPACITY] = {"so với công suất thiết kế", "of the design capacity"},
    [RT_VOL_TOTALISER] = {"theo số đọc của đồng hồ tổng (lượng tăng trong kỳ)",
			  "from the totaliser (its increase over the period)"},
    [RT_VOL_INTEGRAL] = {"tính từ lưu lượng trung bình giờ trong %zu giờ có số liệu",
			 "from the hourly mean flow over the %zu hours with data"},
    [RT_VOL_NONE] = {"không có số liệu", "no data"},
    [RT_VOL_RESETS] = {"đồng hồ tổng bị đặt lại %zu lần, phần giảm không tính",
		       "the totaliser went back %zu times; the drops are not counted"},
    [RT_D_HOURS] = {"Số giờ của kỳ", "Hours of the period"},
    [RT_D_JUDGED] = {"Số giờ có trung bình giờ hợp lệ", "Hours with a valid hourly average"},
    [RT_D_LOST] = {"Số giờ mất số liệu", "Hours lost"},
    [RT_D_NODATA] = {"do mất kết nối, không có số liệu", "offline, no data"},
    [RT_D_FAULT] = {"do thiết bị lỗi", "instrument fault"},
    [RT_D_OTHER] = {"do hiệu chuẩn, bảo trì hoặc thiếu số liệu hợp lệ",
		    "calibration, maintenance or too few valid readings"},
    [RT_C_LINE] = {"Lần đọc: mất %s/%s lần đọc (%s %%); %s lần đọc đến muộn",
		   "Polls: %s of %s lost (%s %%); %s arrived late"},
    [RT_C_GAPS] = {"Các khoảng mất số liệu, dài nhất trước (thiết bị, giờ Hà Nội, số lần đọc)",
		   "Gaps, longest first (instrument, Hanoi time, polls)"},
    [RT_C_MORE] = {"và %zu khoảng ngắn hơn", "and %zu shorter"},
    [RT_C_FLEET] = {"Lần đọc của các trạm: mất %s/%s lần đọc (%s %%)",
		    "Polls of the plants: %s of %s lost (%s %%)"},
    [RT_C_SHORT] = {"mất %s/%s lần đọc (%s %%)", "%s of %s polls lost (%s %%)"},
    [RT_CONF_TITLE] = {"Thay đổi cấu hình đo trong kỳ (giờ Hà Nội, khi bộ thu thập khởi động lại)",
		       "Measuring-configuration changes in the period (Hanoi time, when the "
		       "collector restarted)"},
    [RT_LAB_TITLE] = {"So sánh với kết quả phòng thí nghiệm (mẫu đơn, giờ Hà Nội)",
		      "Comparison with laboratory results (grab samples, Hanoi time)"},
    [RT_LAB_HEAD] = {"Thời điểm lấy mẫu|Thông số|Phòng thí nghiệm|Số phiếu kết quả|Kết quả phòng "
		     "thí nghiệm|Thiết bị đo (trung bình)|Chênh lệch|Đánh giá",
		     "Taken|Parameter|Laboratory|Reference|Laboratory result|Analyzer "
		     "(mean)|Difference|Verdict"},
    [RT_LAB_AGREE] = {"Phù hợp", "Agrees"},
    [RT_LAB_DISAGREE] = {"Không phù hợp", "Disagrees"},
    [RT_LAB_NO_DATA] = {"Không có số liệu thiết bị đo", "No analyzer data"},
    [RT_LAB_NOTE] = {"Thiết bị đo: trung bình các giá trị hợp lệ trong khoảng thời gian quanh "
		     "thời điểm lấy mẫu; phù hợp khi chênh lệch không quá sai số cho phép do "
		     "đơn vị vận hành hệ thống đặt (không phải mức của quy chuẩn).",
		     "Analyzer: the mean of its valid readings in a window around the time "
		     "taken; it agrees when the difference is within the tolerance the "
		     "system's operator set (not a regulation's figure)."},
    [RT_FLEET_COUNTS] = {"Tổng số trạm: %zu; đạt quy chuẩn: %zu; không đạt: %zu; không đủ số liệu "
			 "để đánh giá: %zu; chưa đánh giá (chưa có giới hạn): %zu",
			 "Plants: %zu; met the regulation: %zu; not met: %zu; insufficient "
			 "data: %zu; not judged (no limits): %zu"},
    [RT_SRC_DATA] =
	{"Số liệu do thiết bị quan trắc tự động, liên tục tại trạm đo, được bộ thu thập dữ liệu "
	 "gửi về hệ thống trung tâm và lưu trữ theo thời gian; báo cáo được lập tự động từ số liệu "
	 "đã lưu, theo cùng quy tắc đánh giá với hệ thống giám sát trực tuyến. Số liệu ở trạng "
	 "thái "
	 "hiệu chuẩn, lỗi hoặc mất kết nối không được dùng để đánh giá.",
	 "The plants' automatic continuous instruments are read by the station's collector, sent "
	 "to "
	 "the central system and stored over time; this report is computed from what is stored, by "
	 "the rules of the live monitoring. Readings taken while calibrating, in fault or offline "
	 "are not used to judge."},
    [RT_SRC_REG] = {"Giới hạn xả thải: %s – %s, ban hành kèm theo %s (tệp dữ liệu %s).",
		    "Discharge limits: %s – %s, issued with %s (data file %s)."},
    [RT_SRC_CONF] =
	{"Độ tin cậy của giá trị C trong tệp dữ liệu quy chuẩn: H – đọc từ văn bản gốc hoặc gần "
	 "gốc; M – từ nguồn thứ cấp; L – chưa tìm thấy nguyên văn, cần đối chiếu với văn bản gốc "
	 "trước khi dùng làm căn cứ xử lý vi phạm.",
	 "Confidence of each value C in the regulation's data file: H – read in a primary or "
	 "near-primary text; M – read in a secondary source; L – not found verbatim, to be checked "
	 "against the official text before it is relied upon."},
    [RT_SRC_LIMITS] = {"Giá trị giới hạn và độ tin cậy", "Limits and their confidence"},
    [RT_H_CONF] = {"Độ tin cậy", "Confidence"},
    [RT_H_SOURCE_C] = {"Giá trị C", "Value C"},
    [RT_KQ_NONE] = {"Kq = 1: chưa khai báo nguồn tiếp nhận nước thải",
		    "Kq = 1: no receiving water given"},
    [RT_KQ_GIVEN] = {"Kq ghi trong tệp cấu hình của trạm (theo giấy phép môi trường)",
		     "Kq written in the station's configuration (from the permit)"},
    [RT_KQ_RIVER] = {"Kq theo lưu lượng nguồn tiếp nhận (sông, suối, kênh, mương) Q = %s m³/s",
		     "Kq by the receiving river's flow Q = %s m³/s"},
    [RT_KQ_RIVER_NODATA] = {"Kq: nguồn tiếp nhận là sông, suối, kênh, mương chưa có số liệu lưu "
			    "lượng, áp dụng giá trị của quy chuẩn khi không có số liệu",
			    "Kq: a river without flow data, the regulation's no-data value"},
    [RT_KQ_LAKE] = {"Kq theo dung tích nguồn tiếp nhận (hồ, ao, đầm) V = %s m³",
		    "Kq by the receiving lake's volume V = %s m³"},
    [RT_KQ_LAKE_NODATA] = {"Kq: nguồn tiếp nhận là hồ, ao, đầm chưa có số liệu dung tích, áp dụng "
			   "giá trị của quy chuẩn khi không có số liệu",
			   "Kq: a lake without volume data, the regulation's no-data value"},
    [RT_KQ_SEA] = {"Kq theo mục đích sử dụng vùng nước biển ven bờ tiếp nhận",
		   "Kq by the use of the receiving coastal water"},
    [RT_KF_NONE] = {"Kf = 1: chưa khai báo lưu lượng nguồn thải", "Kf = 1: no effluent flow given"},
    [RT_KF_GIVEN] = {"Kf ghi trong tệp cấu hình của trạm (theo giấy phép môi trường)",
		     "Kf written in the station's configuration (from the permit)"},
    [RT_KF_DESIGN] = {"Kf theo lưu lượng nguồn thải F = %s m³/ngày đêm (công suất thiết kế)",
		      "Kf by the effluent flow F = %s m³/day (the design capacity)"},
    [RT_SIGNALS_NOTE] =
	{"Các tín hiệu vận hành, thiết bị và thông số đo để vận hành không có giới hạn theo quy "
	 "chuẩn; chỉ để tham khảo, không dùng để đánh giá. Với đồng hồ tổng, cột \"Lượng trong "
	 "kỳ\" "
	 "là lượng tăng trong kỳ.",
	 "Process signals, equipment states and measurements taken for operation have no limit in "
	 "the regulation; for information only, not judged. For a totaliser, \"Amount\" is its "
	 "increase over the period."},
    [RT_H_AMOUNT] = {"Lượng trong kỳ", "Amount"},
    [RT_PERMIT] = {"giấy phép", "permit"},
    [RT_DAY_UNIT] = {"ngày", "day"},
    [RT_VOL_DAYS_NOTE] = {"Lượng trung bình ngày và tỷ lệ so với công suất thiết kế tính trên số "
			  "ngày có số liệu.",
			  "The daily mean and the share of the design capacity are over the days "
			  "with data."},
};

int wwtp_report_lang_parse(const char *s, int *lang)
{
	if (!s || strcmp(s, "vi") == 0)
		*lang = WWTP_LANG_VI;
	else if (strcmp(s, "en") == 0)
		*lang = WWTP_LANG_EN;
	else
		return WWTP_ERR_INVAL;
	return 0;
}

const char *wwtp_report_txt(int lang, int id)
{
	if (id < 0 || id >= RT_COUNT || !texts[id][0])
		return "?";
	return texts[id][lang == WWTP_LANG_EN ? 1 : 0];
}

const char *wwtp_report_param_name(int lang, const char *param)
{
	/* The one glossary (model/glossary.h), shared with the API and the page. */
	const struct wwtp_glossary_entry *g = wwtp_glossary_find(param);
	if (!g)
		return NULL;
	return lang == WWTP_LANG_EN ? g->en : g->vi;
}
