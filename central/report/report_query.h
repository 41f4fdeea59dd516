/* report_query.h - a station's month from InfluxDB, for the report.
 *
 * One request of five InfluxQL statements over [month start, month end):
 * per clock hour and parameter, the readings of any status, the ok ones
 * with a value (count, mean, min, max) and the fault ones (the monitor's
 * three aggregates, docs/flags.md, plus min and max); then the station's
 * exceedance and range alerts: raises up to the month's end (from 400 days
 * before it, so that an alert open for months is seen) and their clears.
 * The query is wwtp_report_query_text(); reading the answer is
 * wwtp_report_parse_answer() (pure, fuzzed); wwtp_report_query_station()
 * does both over HTTP. */
#ifndef WWTP_CENTRAL_REPORT_QUERY_H
#define WWTP_CENTRAL_REPORT_QUERY_H

#include <stddef.h>

#include "../../util/buf.h"
#include "../ingest/influx.h"
#include "report_model.h"

/* Alerts raised this long before the month are not looked at. */
#define WWTP_REPORT_ALERT_LOOKBACK_DAYS 400

/* The InfluxQL of station id's month into out (reset first). 0 or
 * WWTP_ERR_FULL / WWTP_ERR_INVAL (an id that is not [a-z0-9-]). */
int wwtp_report_query_text(const char *id, const struct wwtp_report_period *p,
			   struct wwtp_buf *out);

/* Fills st->hours (nparams x p->nhours, emptied first) and st->alerts from
 * a /query answer (JSON, epoch=ms) of that query. Rows of parameters the
 * station does not have, and hours outside the month, are ignored. Returns
 * 0, WWTP_ERR_PROTO (not an InfluxDB answer, or a statement's error: err
 * says which) or WWTP_ERR_NOMEM. Pure. */
int wwtp_report_parse_answer(const char *json, size_t len, const struct wwtp_report_period *p,
			     struct wwtp_report_station *st, char *err, size_t errlen);

/* Both over ix (answer: the caller's buffer, reused). 0, WWTP_ERR_CONN
 * (InfluxDB did not answer or refused: err says why), or as above. */
int wwtp_report_query_station(struct wwtp_influx *ix, const struct wwtp_report_period *p,
			      struct wwtp_report_station *st, struct wwtp_buf *answer, char *err,
			      size_t errlen);

#endif
