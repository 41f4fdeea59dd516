/* glossary.h - the one glossary of parameter names and units: what the API's
 * texts, the web page (through GET /api/glossary) and the monthly report
 * call a parameter, in Vietnamese as an inspector writes it and in English.
 *
 * Names of regulated parameters follow the wording of QCVN 40:2011/BTNMT's
 * Table 1 (config/limits/qcvn40-2011.cfg holds the regulation's own
 * name_vi and its source); the others (flows, volumes, the plant's own
 * signals) are the plant's. A parameter not in the table is shown by its
 * key. Units are given as people write them (m³/h, not m3/h). */
#ifndef WWTP_MODEL_GLOSSARY_H
#define WWTP_MODEL_GLOSSARY_H

#include <stddef.h>

struct wwtp_glossary_entry {
	const char *param; /* the key in station files and payloads */
	const char *vi;	   /* Vietnamese name */
	const char *en;	   /* English name */
	const char *unit;  /* as written; "" when unitless (pH, on/off) */
	int total;	   /* a running total (a totaliser, hours run): a period's
			      amount is its increase, not its mean */
};

/* The entry of param, or NULL. */
const struct wwtp_glossary_entry *wwtp_glossary_find(const char *param);
/* The name of param in lang ("vi" unless lang is "en"); param itself when
 * the glossary does not know it. Never NULL for a non-NULL param. */
const char *wwtp_glossary_name(const char *param, const char *lang);
/* A unit as people write it: "m3/h" -> "m³/h", "m3" -> "m³", "m3/day" ->
 * "m³/ngày" (vi); others unchanged. */
const char *wwtp_glossary_unit(const char *unit, const char *lang);
/* All entries, for the API. */
size_t wwtp_glossary_count(void);
const struct wwtp_glossary_entry *wwtp_glossary_get(size_t i); /* NULL past end */

#endif
