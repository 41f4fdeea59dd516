/* query.c - reading InfluxDB (query.h). */
#include "query.h"

#include <stdio.h>
#include <string.h>

#include "../../util/err.h"

static int quoted(struct wwtp_buf *q, const char *s, char mark)
{
	int rc = wwtp_buf_add(q, &mark, 1);
	for (; rc == 0 && *s; s++) {
		if (*s == mark || *s == '\\')
			rc = wwtp_buf_add(q, "\\", 1);
		if (rc == 0)
			rc = wwtp_buf_add(q, s, 1);
	}
	return rc == 0 ? wwtp_buf_add(q, &mark, 1) : rc;
}

int wwtp_query_str(struct wwtp_buf *q, const char *s)
{
	return quoted(q, s, '\'');
}

int wwtp_query_ident(struct wwtp_buf *q, const char *s)
{
	return quoted(q, s, '"');
}

int wwtp_query_parse(const char *json, size_t len, json_t **doc, char *why, size_t n)
{
	json_t *d = json_loadb(json, len, 0, NULL);
	json_t *res = json_object_get(d, "results");
	const char *w = NULL;

	*doc = NULL;
	if (!d)
		w = "the answer is not JSON";
	else if (!json_is_array(res))
		w = "the answer has no results";
	for (size_t i = 0; !w && i < json_array_size(res); i++) {
		json_t *e = json_object_get(json_array_get(res, i), "error");
		if (json_is_string(e))
			w = json_string_value(e);
	}
	if (w) {
		snprintf(why, n, "%s", w);
		json_decref(d);
		return WWTP_ERR_PROTO;
	}
	*doc = d;
	return 0;
}

int wwtp_query_run(struct wwtp_influx **ix, const struct wwtp_central_influx *cfg, const char *q,
		   struct wwtp_buf *answer, json_t **doc, char *why, size_t n)
{
	struct wwtp_influx_resp r;

	*doc = NULL;
	if (!*ix && wwtp_influx_new(cfg, ix) != 0) {
		snprintf(why, n, "cannot make the InfluxDB client");
		return WWTP_ERR_CONN;
	}
	if (wwtp_influx_query(*ix, q, answer, &r) != WWTP_INFLUX_OK) {
		snprintf(why, n, "%s", r.text[0] ? r.text : "no answer");
		return WWTP_ERR_CONN;
	}
	return wwtp_query_parse(answer->data ? answer->data : "", answer->len, doc, why, n);
}

json_t *wwtp_query_series(json_t *doc, size_t i)
{
	json_t *s = json_object_get(json_array_get(json_object_get(doc, "results"), i), "series");
	return json_is_array(s) ? s : NULL;
}

void wwtp_query_each_row(json_t *doc, size_t i, wwtp_query_row_fn fn, void *ctx)
{
	json_t *series = wwtp_query_series(doc, i);
	for (size_t k = 0; k < json_array_size(series); k++) {
		json_t *s = json_array_get(series, k);
		json_t *cols = json_object_get(s, "columns"), *vals = json_object_get(s, "values");
		for (size_t r = 0; json_is_array(vals) && r < json_array_size(vals); r++)
			fn(ctx, json_object_get(s, "tags"), cols, json_array_get(vals, r));
	}
}

json_t *wwtp_query_col(json_t *columns, json_t *row, const char *name)
{
	for (size_t i = 0; json_is_array(columns) && i < json_array_size(columns); i++) {
		json_t *c = json_array_get(columns, i);
		if (json_is_string(c) && strcmp(json_string_value(c), name) == 0)
			return json_array_get(row, i);
	}
	return NULL;
}

const char *wwtp_query_col_str(json_t *columns, json_t *row, const char *name)
{
	json_t *v = wwtp_query_col(columns, row, name);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

double wwtp_query_col_num(json_t *columns, json_t *row, const char *name, double dflt)
{
	json_t *v = wwtp_query_col(columns, row, name);
	return json_is_number(v) ? json_number_value(v) : dflt;
}

const char *wwtp_query_tag(json_t *tags, json_t *columns, json_t *row, const char *name)
{
	json_t *v = json_object_get(tags, name);
	if (!json_is_string(v))
		v = wwtp_query_col(columns, row, name);
	return json_is_string(v) ? json_string_value(v) : NULL;
}
