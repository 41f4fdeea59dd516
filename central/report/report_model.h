/* report_model.h - one station's month as the report writers see it: who
 * the plant is, its limits and where they come from, the hourly numbers
 * read from InfluxDB, its exceedance alerts, and what report_stats.h made
 * of them. Filled by report.c (from the station file) and report_query.c
 * (from InfluxDB); read by report_write.c. Plain data. */
#ifndef WWTP_CENTRAL_REPORT_MODEL_H
#define WWTP_CENTRAL_REPORT_MODEL_H

#include <stddef.h>

#include "../../model/station.h"
#include "../flags/hourly.h"
#include "../ingest/completeness.h"
#include "../ingest/labsample.h"
#include "report_stats.h"

/* What the regulation says of a parameter, for the tables. */
struct wwtp_report_pinfo {
	char name_vi[WWTP_NAME_MAX]; /* "" when the regulation has no row */
	char name_en[WWTP_NAME_MAX];
	double c_min, c_max; /* C of the column; NaN when none */
	double kq, kf;	     /* applied (1 when not) */
	int factors_applied, overridden;
	char source[224];
	char confidence; /* of C: 'H', 'M', 'L'; '\0' not set or a permit's */
};

/* Where a station's Kq and Kf come from, for the annex's sentences. */
enum wwtp_report_kq_basis {
	WWTP_KQ_NONE = 0,     /* no receiving water given: 1 */
	WWTP_KQ_GIVEN,	      /* written in the station file (from the permit) */
	WWTP_KQ_RIVER,	      /* river by its flow Q */
	WWTP_KQ_RIVER_NODATA, /* river, flow not known: the regulation's no-data value */
	WWTP_KQ_LAKE,
	WWTP_KQ_LAKE_NODATA,
	WWTP_KQ_SEA,
};
enum wwtp_report_kf_basis {
	WWTP_KF_NONE = 0, /* 1 */
	WWTP_KF_GIVEN,
	WWTP_KF_DESIGN, /* from the design flow F */
};

/* A measuring-configuration change of the period (measurement config,
 * docs/influxdb-schema.md): when the collector started with it, and what. */
struct wwtp_report_conf {
	int64_t t_ms;
	char device[WWTP_ID_MAX], param[WWTP_ID_MAX];
	char setting[40];
	char from[96], to[96];
	int has_from, has_to;
};

/* A laboratory sample of the period and its comparison with the analyzer
 * (measurement sample, docs/influxdb-schema.md; ingest/labsample.h). */
struct wwtp_report_lab {
	int64_t t_ms; /* taken */
	char param[WWTP_ID_MAX], unit[WWTP_UNIT_MAX];
	char laboratory[WWTP_LAB_TEXT_MAX], reference[WWTP_LAB_TEXT_MAX];
	double value, mean, diff, rel_pct; /* NaN when none */
	int verdict;			   /* enum wwtp_lab_verdict */
};

struct wwtp_report_station {
	char id[WWTP_ID_MAX];
	char name[WWTP_NAME_MAX];
	char district[WWTP_NAME_MAX];
	int plan_review;
	double design_m3d; /* 0: unknown */
	int has_limits;
	char regulation[WWTP_ID_MAX];
	char column[8];
	double kq, kf;
	char kq_basis[224], kf_basis[224]; /* the limits loader's (English): CSV only */
	int kq_how, kf_how;		   /* enum wwtp_report_kq_basis, _kf_basis */
	double water_q_m3s, water_v_m3;	   /* the facts behind Kq; NaN */
	char reg_code[64];		   /* "QCVN 40:2011/BTNMT" ("" unknown: regulation) */
	char reg_title_vi[256], reg_title_en[256];
	char reg_issued_by[128]; /* "Thông tư 47/2011/TT-BTNMT" */
	char limits_file[256];	 /* the regulation's file */
	double min_availability; /* the station's evaluation setting */
	size_t nparams;
	struct wwtp_flag_param *params;	  /* nparams */
	struct wwtp_report_pinfo *info;	  /* nparams */
	struct wwtp_report_hour *hours;	  /* nparams x period nhours */
	struct wwtp_report_alert *alerts; /* exceedance and range alerts */
	size_t nalerts, alerts_cap;
	struct wwtp_report_result res; /* res.p: nparams */
	/* Completeness over the judged days (completeness.h): its devices and
	 * poll periods, and the sum of the days with every gap. */
	struct wwtp_reg_station dev;
	int has_compl;
	struct wwtp_compl compl ;
	/* The measuring-configuration changes of the period, oldest first. */
	struct wwtp_report_conf *conf;
	size_t nconf;
	/* The laboratory samples taken in the period, oldest first. */
	struct wwtp_report_lab *lab;
	size_t nlab;
};

#endif
