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
	/* the administrative document (Nghị định 30/2020/NĐ-CP) */
	RT_MOTTO1,
	RT_MOTTO2,
	RT_NUMBER,	     /* "Số" */
	RT_DATE_LINE,	     /* "%s": place, then day, month, year (%02d, %02d, %04d) */
	RT_DOC_KIND,	     /* "BÁO CÁO" */
	RT_ABSTRACT_STATION, /* "%s": the period, "%s": the plant */
	RT_ABSTRACT_FLEET,   /* "%s": the period */
	RT_PERIOD_MONTH,     /* "%02d", "%04d" */
	RT_PERIOD_QUARTER,   /* "%s" (I..IV), "%04d" */
	RT_PERIOD_YEAR,	     /* "%04d" */
	RT_DISTRIBUTION,     /* "Nơi nhận:" */
	RT_PAGE,	     /* "Trang" */
	RT_S_GENERAL,
	RT_S_RESULT,
	RT_S_PARAMS,
	RT_S_VOLUME,
	RT_S_DATA,
	RT_S_FLAG,
	RT_S_STATIONS,
	RT_ANNEX, /* "PHỤ LỤC" */
	RT_A_CHARTS,
	RT_A_SIGNALS,
	RT_A_SOURCES,
	RT_REG_LINE, /* code, column, Kq, Kf */
	RT_H_RESULT,
	RT_P_MET,
	RT_P_NOT_MET,
	RT_P_INSUFFICIENT,
	RT_VOL_OUT,
	RT_VOL_IN,
	RT_VOL_PER_DAY,
	RT_VOL_CAPACITY,
	RT_VOL_TOTALISER,
	RT_VOL_INTEGRAL, /* "%zu" hours */
	RT_VOL_NONE,
	RT_VOL_RESETS, /* "%zu" */
	RT_D_HOURS,
	RT_D_JUDGED,
	RT_D_LOST,
	RT_D_NODATA,
	RT_D_FAULT,
	RT_D_OTHER,
	RT_C_LINE, /* completeness: lost, expected, percent, late (strings) */
	RT_C_GAPS,
	RT_C_MORE,     /* %zu more gaps */
	RT_C_FLEET,    /* the fleet's polls: lost, expected, percent (strings) */
	RT_C_SHORT,    /* a plant's polls in the fleet table: lost, expected, percent */
	RT_CONF_TITLE, /* the configuration changes of the period */
	RT_LAB_TITLE,  /* the laboratory comparisons of the period */
	RT_LAB_HEAD,   /* the table's header row, cells split by '|' */
	RT_LAB_AGREE,
	RT_LAB_DISAGREE,
	RT_LAB_NO_DATA,
	RT_LAB_NOTE,	 /* "%s": the tolerance words */
	RT_FLEET_COUNTS, /* total, met, not met, insufficient, not judged (%zu) */
	RT_SRC_DATA,
	RT_SRC_REG, /* code, title, issued by, file */
	RT_SRC_CONF,
	RT_SRC_LIMITS,
	RT_H_CONF,
	RT_H_SOURCE_C,
	RT_KQ_NONE,
	RT_KQ_GIVEN,
	RT_KQ_RIVER, /* "%s" Q */
	RT_KQ_RIVER_NODATA,
	RT_KQ_LAKE, /* "%s" V */
	RT_KQ_LAKE_NODATA,
	RT_KQ_SEA,
	RT_KF_NONE,
	RT_KF_GIVEN,
	RT_KF_DESIGN, /* "%s" F */
	RT_SIGNALS_NOTE,
	RT_H_AMOUNT,
	RT_PERMIT,
	RT_DAY_UNIT, /* "ngày" */
	RT_VOL_DAYS_NOTE,
	RT_COUNT
};

/* The text of id in lang (never NULL). */
const char *wwtp_report_txt(int lang, int id);

/* A readable name of a parameter the regulation has no row for (flows,
 * DO, inlet analyzers), or NULL. */
const char *wwtp_report_param_name(int lang, const char *param);

#endif
