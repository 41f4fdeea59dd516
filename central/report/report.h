/* report.h - the monthly compliance summary (docs/report.md): per station
 * and for the fleet, a self-contained HTML document (inline CSS and SVG
 * charts, no external asset), a CSV of the numbers and, when Chromium is
 * there, a PDF printed from the HTML.
 *
 * The numbers come from InfluxDB with the same hourly aggregates the flags
 * use (docs/flags.md: count, ok count and mean per clock hour), judged by
 * the same rules (hourly.h, flags.h) against each station's effective
 * limits (compliance/limits.h); the statistics are report_stats.h (pure),
 * the queries report_query.h, the documents report_write.h. Months are cut
 * at 00:00 Hanoi time (UTC+7, compliance/period.h).
 *
 * Threads: every call loads the station files named by cfg and makes its
 * own InfluxDB client, so it may run on any thread (an HTTP handler's),
 * several at once. curl_global_init() must have been called (main does).
 * A station's month is one InfluxDB request; the fleet is one per station. */
#ifndef WWTP_CENTRAL_REPORT_H
#define WWTP_CENTRAL_REPORT_H

#include <stdio.h>

#include "../../util/buf.h"
#include "../config/config.h"

/* Whether `report` prints PDFs. */
enum wwtp_report_pdf {
	WWTP_REPORT_PDF_AUTO = 0, /* when a Chromium is found; says so when not */
	WWTP_REPORT_PDF_ON,	  /* --pdf: no Chromium is an error */
	WWTP_REPORT_PDF_OFF,	  /* --no-pdf */
};

struct wwtp_report_opts {
	const char *month;   /* the period, required: "YYYY-MM", "YYYY-Qn" or "YYYY" */
	int kind;	     /* the enum wwtp_report_kind month must be (report_stats.h) */
	const char *station; /* a station id; NULL: every station and the fleet */
	const char *lang;    /* "vi" or "en"; NULL: the report group's (vi) */
	unsigned number;     /* the first document's number (report.number_pattern): the
				stations' documents get number, number + 1, ... in station
				order, the fleet's the next; 0: blank */
	/* When set, called once the stations are known, before anything is
	 * written: returns the first of n numbers it reserved (0: blank). */
	unsigned (*reserve)(void *ctx, size_t n);
	void *reserve_ctx;
	/* When set and it becomes non-zero: no more station is read, the PDFs
	 * being printed are stopped, and the run returns WWTP_ERR_TIMEOUT (the
	 * service stopping). NULL: never. */
	const volatile int *cancel;
	const char *out_dir;  /* created if missing (one level), required */
	int pdf;	      /* enum wwtp_report_pdf */
	const char *chromium; /* the browser for PDFs; NULL: "chromium" (then
				 "chromium-browser") from PATH */
};

/* `wwtp-central report`: writes into out_dir, for the month,
 *   station-<id>-YYYY-MM.html / .csv / .pdf   for each station (or the one)
 *   fleet-YYYY-MM.html / .csv / .pdf          the fleet (without --station)
 *   fleet-YYYY-MM-stations.csv                 one line per station
 * and prints each file written (and why PDFs were skipped) on `out`.
 * Returns 0, or WWTP_ERR_INVAL (bad month, language or station id: the
 * message is on stderr), WWTP_ERR_NOTFOUND (no such station),
 * WWTP_ERR_CONFIG (station files), WWTP_ERR_CONN (InfluxDB did not answer),
 * WWTP_ERR_ERRNO (cannot write a file), WWTP_ERR_NOMEM. */
int wwtp_report_run(const struct wwtp_central_cfg *cfg, const struct wwtp_report_opts *o,
		    FILE *out);

/* For the web page: the HTML report of one station (station = its id) or
 * of the fleet (station NULL or "") for month "YYYY-MM" in lang "vi"/"en"
 * (NULL: "vi"), appended to out (a text/html; charset=utf-8 document,
 * self-contained: serve it as it is). `csv` nonzero gives the CSV of the
 * numbers instead (text/csv; charset=utf-8). On failure err (may be NULL)
 * gets a sentence for people, in English, and the return says which:
 *   WWTP_ERR_INVAL     bad month, language or station id  -> HTTP 400
 *   WWTP_ERR_NOTFOUND  no such station                    -> HTTP 404
 *   WWTP_ERR_CONN      InfluxDB did not answer            -> HTTP 503
 *   WWTP_ERR_CONFIG    the station files do not load      -> HTTP 500
 *   WWTP_ERR_FULL / WWTP_ERR_NOMEM  out's cap / memory    -> HTTP 500
 * A fleet report reads every station, two at a time: seconds to tens of
 * seconds (18 stations x a month at one reading per 5 min: about 8 s on a
 * busy 2-core machine; docs/report.md, "Speed"); one station about 1 s. */
int wwtp_report_render(const struct wwtp_central_cfg *cfg, const char *month, const char *station,
		       const char *lang, int csv, struct wwtp_buf *out, char *err, size_t errlen);

/* `wwtp-central report ...` (report_cli.c): argv[0] is "report". Parses
 * the options (--help lists them), loads -c FILE and runs
 * wwtp_report_run(). Returns the exit status: 0, 1 (InfluxDB, files,
 * Chromium) or 2 (bad command line, configuration, month or station). */
int wwtp_report_cli(int argc, char **argv);

/* wwtp_report_render() with csv = 0. */
int wwtp_report_render_html(const struct wwtp_central_cfg *cfg, const char *month,
			    const char *station, const char *lang, struct wwtp_buf *out, char *err,
			    size_t errlen);

#endif
