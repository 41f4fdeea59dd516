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
#include "report_stats.h"

/* What the regulation says of a parameter, for the tables. */
struct wwtp_report_pinfo {
	char name_vi[WWTP_NAME_MAX]; /* "" when the regulation has no row */
	char name_en[WWTP_NAME_MAX];
	double c_min, c_max; /* C of the column; NaN when none */
	double kq, kf;	     /* applied (1 when not) */
	int factors_applied, overridden;
	char source[224];
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
	char kq_basis[224], kf_basis[224];
	double min_availability; /* the station's evaluation setting */
	size_t nparams;
	struct wwtp_flag_param *params;	  /* nparams */
	struct wwtp_report_pinfo *info;	  /* nparams */
	struct wwtp_report_hour *hours;	  /* nparams x period nhours */
	struct wwtp_report_alert *alerts; /* exceedance and range alerts */
	size_t nalerts, alerts_cap;
	struct wwtp_report_result res; /* res.p: nparams */
};

#endif
