/* station.c - the station model's names and sizes (station.h). */
#include "station.h"

#include <stdlib.h>
#include <string.h>

#include "../util/err.h"

int wwtp_type_regs(enum wwtp_type t)
{
	switch (t) {
	case WWTP_TYPE_INT32:
	case WWTP_TYPE_UINT32:
	case WWTP_TYPE_FLOAT32:
		return 2;
	case WWTP_TYPE_INT64:
	case WWTP_TYPE_UINT64:
	case WWTP_TYPE_FLOAT64:
		return 4;
	default:
		return 1;
	}
}

static const char *const table_names[] = {"coil", "discrete", "holding", "input"};
static const char *const type_names[] = {"bool",  "int16",  "uint16",  "int32",	 "uint32",
					 "int64", "uint64", "float32", "float64"};
static const char *const order_names[] = {"ABCD", "CDAB", "BADC", "DCBA"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int parse_name(const char *s, const char *const *names, size_t n, int *out)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return WWTP_ERR_INVAL;
}

const char *wwtp_table_name(enum wwtp_table t)
{
	return (unsigned)t < NELEM(table_names) ? table_names[t] : "?";
}
const char *wwtp_type_name(enum wwtp_type t)
{
	return (unsigned)t < NELEM(type_names) ? type_names[t] : "?";
}
const char *wwtp_order_name(enum wwtp_order o)
{
	return (unsigned)o < NELEM(order_names) ? order_names[o] : "?";
}

int wwtp_table_parse(const char *s, enum wwtp_table *out)
{
	int v, rc = parse_name(s, table_names, NELEM(table_names), &v);
	if (rc == 0)
		*out = (enum wwtp_table)v;
	return rc;
}
int wwtp_type_parse(const char *s, enum wwtp_type *out)
{
	int v, rc = parse_name(s, type_names, NELEM(type_names), &v);
	if (rc == 0)
		*out = (enum wwtp_type)v;
	return rc;
}
int wwtp_order_parse(const char *s, enum wwtp_order *out)
{
	int v, rc = parse_name(s, order_names, NELEM(order_names), &v);
	if (rc == 0)
		*out = (enum wwtp_order)v;
	return rc;
}
