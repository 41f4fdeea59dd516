/* report_text.h - the report's words, Vietnamese and English, in one table
 * (report_text.c), so that a translation is one file to read. */
#ifndef WWTP_CENTRAL_REPORT_TEXT_H
#define WWTP_CENTRAL_REPORT_TEXT_H

enum wwtp_report_lang { WWTP_LANG_VI = 0, WWTP_LANG_EN = 1 };

/* "vi" or "en" (NULL: vi). 0 or WWTP_ERR_INVAL. */
int wwtp_report_lang_parse(const char *s, int *lang);

enum wwtp_report_txt {
	RT_HTML_LANG,
	RT_TITLE_STATION, /* "%s": station name; then the month */
	RT_TITLE_FLEET,
	RT_MONTH,  /* "%02d/%04d" style label before the month */
	RT_PERIOD, /* the time span sentence */
	RT_PERIOD_PARTIAL,
	RT_GENERATED,
	RT_SOURCE_NOTE,
	RT_STATION,
	RT_DISTRICT,
	RT_DESIGN_FLOW,
	RT_PLAN_REVIEW,
	RT_REGULATION,
	RT_COLUMN,
	RT_KQ,
	RT_KF,
	RT_NO_LIMITS,
	RT_VERDICT,
	RT_V_MET,
	RT_V_NOT_MET,
	RT_V_INSUFFICIENT,
	RT_V_NOT_JUDGED,
	RT_FLAG,
	RT_FLAGGED,
	RT_NOT_FLAGGED,
	RT_REASONS,
	RT_PARAMS,
	RT_H_PARAM,
	RT_H_UNIT,
	RT_H_LIMIT,
	RT_H_FACTORS,
	RT_H_SAMPLES,
	RT_H_VALID,
	RT_H_AVAIL,
	RT_H_MEAN,
	RT_H_MIN,
	RT_H_MAX,
	RT_H_HOURS_JUDGED,
	RT_H_HOURS_EXCEED,
	RT_H_HOURS_SHARE,
	RT_H_DAYS_JUDGED,
	RT_H_DAYS_EXCEED,
	RT_H_DAYS_SHARE,
	RT_H_MAX_RATIO,
	RT_H_ALERT_HOURS,
	RT_H_ALERTS,
	RT_NOT_JUDGED_PARAM,
	RT_CHARTS,
	RT_CHART_DAILY,
	RT_CHART_HOURLY,
	RT_CHART_LIMIT,
	RT_CHART_NO_DATA,
	RT_CHART_WITHIN,
	RT_FLEET_TOTAL, /* "%zu/%zu" met */
	RT_FLEET_TARGET,
	RT_FLEET_FLAGGED,
	RT_FLEET_CHART,
	RT_F_STATION,
	RT_F_AVAIL,
	RT_F_PARAMS_NOT_MET,
	RT_DEFINITIONS,
	RT_DEF_TEXT,
	RT_R_COMPLIANCE, /* reason sentences: see report_write.c for the arguments */
	RT_R_AVAILABILITY,
	RT_R_FAULTS,
	RT_R_COD_REMOVAL,
	RT_R_NH4_REMOVAL,
	RT_R_HYDRAULIC,
	RT_YES,
	RT_COUNT
};

/* The text of id in lang (never NULL). */
const char *wwtp_report_txt(int lang, int id);

/* A readable name of a parameter the regulation has no row for (flows,
 * DO, inlet analyzers), or NULL. */
const char *wwtp_report_param_name(int lang, const char *param);

#endif
