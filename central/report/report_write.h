/* report_write.h - the report's documents (pure: into a caller's buffer).
 *
 * HTML: one self-contained document (UTF-8, inline CSS, inline SVG charts
 * drawn here, no script, no external reference: it opens offline, prints,
 * and Chromium turns it into a PDF). Numbers in the reader's language
 * (a decimal comma in Vietnamese). CSV: RFC 4180, a header line of fixed
 * English column names (docs/report.md), '.' decimals, empty for "no
 * value", whatever the language. All return 0 or the buffer's error
 * (WWTP_ERR_FULL, WWTP_ERR_NOMEM). */
#ifndef WWTP_CENTRAL_REPORT_WRITE_H
#define WWTP_CENTRAL_REPORT_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "../../util/buf.h"
#include "../config/config.h"
#include "report_model.h"

/* What makes the HTML an administrative document (Nghị định 30/2020/NĐ-CP):
 * who issues and signs it, to whom it goes, its number and date. */
struct wwtp_report_doc {
	const struct wwtp_central_report *meta; /* NULL: config's defaults */
	unsigned number;			/* 0: left blank, to be numbered by hand */
	int64_t generated_ms;			/* the document's date and time */
};

/* The station's document, and the fleet's. */
int wwtp_report_doc_station(const struct wwtp_report_period *p,
			    const struct wwtp_report_station *st, int lang,
			    const struct wwtp_report_doc *doc, struct wwtp_buf *out);
int wwtp_report_doc_fleet(const struct wwtp_report_period *p,
			  const struct wwtp_report_station *const *st, size_t n, int lang,
			  const struct wwtp_report_doc *doc, struct wwtp_buf *out);
/* "12/BC-GSNT" from the pattern; "     /BC-GSNT" (blank) for number 0. */
void wwtp_report_number(const char *pattern, unsigned number, char *out, size_t n);

/* As the _doc_ ones with the configuration's defaults and no number.
 * One station's month. generated_ms: when the report was made. */
int wwtp_report_html_station(const struct wwtp_report_period *p,
			     const struct wwtp_report_station *st, int lang, int64_t generated_ms,
			     struct wwtp_buf *out);
/* The fleet: totals, a chart and a line per station. */
int wwtp_report_html_fleet(const struct wwtp_report_period *p,
			   const struct wwtp_report_station *const *st, size_t n, int lang,
			   int64_t generated_ms, struct wwtp_buf *out);
/* A line per station and parameter (the header first). */
int wwtp_report_csv_params(const struct wwtp_report_period *p,
			   const struct wwtp_report_station *const *st, size_t n,
			   struct wwtp_buf *out);
/* A line per station: its verdict, flag and reasons. */
int wwtp_report_csv_stations(const struct wwtp_report_period *p,
			     const struct wwtp_report_station *const *st, size_t n,
			     struct wwtp_buf *out);

#endif
