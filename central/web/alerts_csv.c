/* alerts_csv.c - /api/alerts as CSV (alerts_csv.h). */
#include "alerts_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/buf.h"

static int cell(struct wwtp_buf *b, const char *s)
{
	int rc = 0;
	if (!s)
		return 0;
	/* A formula to a spreadsheet: not a number, but starting like one. */
	char *end;
	int formula = strchr("=+-@\t\r", s[0]) && s[0] && (strtod(s, &end), *end != '\0');
	if (!strpbrk(s, ",\"\r\n") && !formula)
		return wwtp_buf_adds(b, s);
	rc |= wwtp_buf_adds(b, "\"");
	if (formula)
		rc |= wwtp_buf_adds(b, "'");
	for (const char *p = s; *p && rc == 0; p++)
		rc |= *p == '"' ? wwtp_buf_adds(b, "\"\"") : wwtp_buf_add(b, p, 1);
	return rc | wwtp_buf_adds(b, "\"");
}

static int value(struct wwtp_buf *b, const json_t *v)
{
	char n[48];
	if (json_is_string(v))
		return cell(b, json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(n, sizeof(n), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return wwtp_buf_adds(b, n);
	}
	if (json_is_real(v)) {
		snprintf(n, sizeof(n), "%.10g", json_real_value(v));
		return wwtp_buf_adds(b, n);
	}
	if (json_is_array(v)) { /* windows: "3600 86400" */
		size_t i;
		const json_t *x;
		int rc = 0;
		json_array_foreach(v, i, x)
		{
			if (i)
				rc |= wwtp_buf_adds(b, " ");
			rc |= value(b, x);
		}
		return rc;
	}
	return 0; /* null, absent: an empty cell */
}

char *wwtp_alerts_csv(const json_t *alerts, size_t max, size_t *len)
{
	static const char *const cols[] = {
	    "id",    "station", "kind", "priority", "param", "unit",  "windows_s", "state",
	    "since", "start",	"end",	"value",    "limit", "ratio", "count",	   "active_s"};
	static const char *const ack_cols[] = {"user", "time", "comment"};
	struct wwtp_buf b;
	size_t i;
	const json_t *a;
	int rc;

	wwtp_buf_init(&b, max);
	rc = wwtp_buf_adds(&b, WWTP_ALERTS_CSV_HEADER "\r\n");
	json_array_foreach(alerts, i, a)
	{
		for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
			if (c)
				rc |= wwtp_buf_adds(&b, ",");
			rc |= value(&b, json_object_get(a, cols[c]));
		}
		const json_t *ack = json_object_get(a, "ack");
		for (size_t c = 0; c < sizeof(ack_cols) / sizeof(ack_cols[0]); c++) {
			rc |= wwtp_buf_adds(&b, ",");
			rc |= value(&b, json_object_get(ack, ack_cols[c]));
		}
		rc |= wwtp_buf_adds(&b, "\r\n");
	}
	if (rc != 0) {
		wwtp_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.data;
}
