/* query.h - reading InfluxDB, the one way the monitor, the API and the
 * report do it: build an InfluxQL text with its identifiers and literals
 * quoted, run it (influx.h, POST /query with epoch=ms), and read the
 * answer's rows.
 *
 * An answer is InfluxDB's JSON: {"results":[{"statement_id":0,"series":[
 * {"name":..,"tags":{..},"columns":[..],"values":[[..],..]}]},..]}, one
 * result per statement, each of which may carry an "error" instead.
 * Everything but wwtp_query_run() is pure. */
#ifndef WWTP_CENTRAL_QUERY_H
#define WWTP_CENTRAL_QUERY_H

#include <jansson.h>
#include <stddef.h>

#include "../../util/buf.h"
#include "influx.h"

/* Appends s as an InfluxQL string literal ('...', with ' and \ escaped).
 * 0 or WWTP_ERR_FULL / WWTP_ERR_NOMEM (the buffer's). */
int wwtp_query_str(struct wwtp_buf *q, const char *s);
/* Appends s as a quoted identifier ("...", with " and \ escaped). */
int wwtp_query_ident(struct wwtp_buf *q, const char *s);

/* Reads an answer: 0 and *doc (the caller's, json_decref) when it is JSON
 * with a "results" array and no statement has an "error"; else
 * WWTP_ERR_PROTO, *doc NULL and why (size n) saying what: "the answer is
 * not JSON", "the answer has no results" or the statement's error. */
int wwtp_query_parse(const char *json, size_t len, json_t **doc, char *why, size_t n);

/* Runs q on *ix (made from cfg on first use) into answer (the caller's
 * buffer, reset; its cap bounds the answer) and reads it as above.
 * WWTP_ERR_CONN when InfluxDB cannot be asked or did not answer 2xx (why:
 * its answer, "no answer" or "cannot make the InfluxDB client"). */
int wwtp_query_run(struct wwtp_influx **ix, const struct wwtp_central_influx *cfg, const char *q,
		   struct wwtp_buf *answer, json_t **doc, char *why, size_t n);

/* Calls fn(ctx, tags, columns, row) for every row of every series of
 * statement i. */
typedef void (*wwtp_query_row_fn)(void *ctx, json_t *tags, json_t *columns, json_t *row);
void wwtp_query_each_row(json_t *doc, size_t i, wwtp_query_row_fn fn, void *ctx);
/* The series of statement i (an array, or NULL). */
json_t *wwtp_query_series(json_t *doc, size_t i);

/* Column `name` of a row (NULL when absent), as a string (NULL when not
 * one) or a number (dflt when not one). */
json_t *wwtp_query_col(json_t *columns, json_t *row, const char *name);
const char *wwtp_query_col_str(json_t *columns, json_t *row, const char *name);
double wwtp_query_col_num(json_t *columns, json_t *row, const char *name, double dflt);
/* A tag: from the series' tags (GROUP BY) or else a column (SELECT *). */
const char *wwtp_query_tag(json_t *tags, json_t *columns, json_t *row, const char *name);

#endif
