/* series_csv.h - GET /api/stations/{id}/series.csv?param=&from=&to=&every=:
 * one parameter's series as a CSV file (docs/api.md). The same query, the
 * same checks and the same answers to bad requests as the JSON route
 * /api/stations/{id}/series, whose handler it calls; only a 200 is turned
 * into CSV, one row per point:
 *   station,param,unit,time,mean,n        (with every=: the averages)
 *   station,param,unit,time,value,status  (without: the readings)
 * time in UTC (ISO 8601, as the JSON). A cell a spreadsheet would take for
 * a formula gets a leading apostrophe. */
#ifndef WWTP_CENTRAL_SERIES_CSV_H
#define WWTP_CENTRAL_SERIES_CSV_H

#include <jansson.h>
#include <stddef.h>

#include "api.h"

struct wwtp_api;
struct wwtp_principal;

/* The CSV text of one /series answer (malloc'ed, NUL-terminated, *len
 * bytes), or NULL when out of memory. Pure. */
char *wwtp_series_csv(const json_t *series, size_t *len);

/* The route (a row of the table in api_routes.c). */
void wwtp_api_route_series_csv(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			       const struct wwtp_principal *who, struct wwtp_api_response *r);

#endif
