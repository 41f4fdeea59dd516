/* series_csv.c - a station parameter's series as CSV (series_csv.h). */
#include "series_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/buf.h"
#include "api-private.h"

static int cell(struct wwtp_buf *b, const char *s)
{
	int rc = 0;
	char *end;
	/* A formula to a spreadsheet: not a number, but starting like one. */
	int formula = s[0] && strchr("=+-@\t\r", s[0]) && (strtod(s, &end), *end != '\0');
	if (!strpbrk(s, ",\"\r\n") && !formula)
		return wwtp_buf_adds(b, s);
	rc |= wwtp_buf_adds(b, formula ? "\"'" : "\"");
	for (const char *p = s; *p && rc == 0; p++)
		rc |= *p == '"' ? wwtp_buf_adds(b, "\"\"") : wwtp_buf_add(b, p, 1);
	return rc | wwtp_buf_adds(b, "\"");
}

static int number(struct wwtp_buf *b, const json_t *v)
{
	char n[48];
	if (json_is_integer(v))
		snprintf(n, sizeof(n), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(n, sizeof(n), "%.10g", json_real_value(v));
	else
		return json_is_string(v) ? cell(b, json_string_value(v)) : 0;
	return wwtp_buf_adds(b, n);
}

char *wwtp_series_csv(const json_t *series, size_t *len)
{
	const char *st = json_string_value(json_object_get(series, "station"));
	const char *pa = json_string_value(json_object_get(series, "param"));
	const char *un = json_string_value(json_object_get(series, "unit"));
	const json_t *pts = json_object_get(series, "points"), *p;
	int avg = json_is_string(json_object_get(series, "every"));
	const char *k1 = avg ? "mean" : "value", *k2 = avg ? "n" : "status";
	struct wwtp_buf b;
	size_t i;
	int rc;

	wwtp_buf_init(&b, API_CSV_MAX);
	rc = wwtp_buf_printf(&b, "station,param,unit,time,%s,%s\r\n", k1, k2);
	json_array_foreach(pts, i, p)
	{
		rc |= cell(&b, st ? st : "");
		rc |= wwtp_buf_adds(&b, ",");
		rc |= cell(&b, pa ? pa : "");
		rc |= wwtp_buf_adds(&b, ",");
		rc |= cell(&b, un ? un : "");
		rc |= wwtp_buf_adds(&b, ",");
		rc |= number(&b, json_object_get(p, "ts"));
		rc |= wwtp_buf_adds(&b, ",");
		rc |= number(&b, json_object_get(p, k1));
		rc |= wwtp_buf_adds(&b, ",");
		rc |= number(&b, json_object_get(p, k2));
		rc |= wwtp_buf_adds(&b, "\r\n");
		if (rc)
			break;
	}
	if (rc || !b.data) {
		wwtp_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.data; /* the buffer's own allocation, handed over */
}

/* The JSON route's handler, from the one table: so the CSV cannot drift
 * from it in what it checks or asks InfluxDB. */
static route_fn series_json_route(void)
{
	for (size_t i = 0; i < wwtp_api_nroutes; i++)
		if (strcmp(wwtp_api_routes[i].path, "/api/stations/{id}/series") == 0)
			return wwtp_api_routes[i].fn;
	return NULL;
}

void wwtp_api_route_series_csv(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			       const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	route_fn json_route = series_json_route();
	size_t len = 0;

	if (!json_route) {
		api_error(r, 500, "no series route");
		return;
	}
	json_route(a, q, id, who, r);
	if (r->status != 200)
		return; /* its JSON error, as the JSON route gives it */
	json_t *o = json_loadb(r->body, r->len, 0, NULL);
	char *csv = o ? wwtp_series_csv(o, &len) : NULL;
	json_decref(o);
	free(r->body);
	r->body = NULL;
	if (!csv) {
		api_error(r, 500, "out of memory");
		return;
	}
	r->body = csv;
	r->len = len;
	r->content_type = "text/csv; charset=utf-8";
	r->attachment = "series.csv";
}
