/* alerts_csv.h - the alerts of /api/alerts as CSV (GET /api/alerts.csv,
 * docs/api.md): one row per alert, the columns of WWTP_ALERTS_CSV_HEADER.
 *
 * Pure: from the JSON array the API would answer. Cells are quoted when
 * they hold a comma, a quote or a line break; a cell that a spreadsheet
 * would take for a formula (=, +, -, @ first, other than a number) gets a
 * leading apostrophe. */
#ifndef WWTP_CENTRAL_ALERTS_CSV_H
#define WWTP_CENTRAL_ALERTS_CSV_H

#include <jansson.h>
#include <stddef.h>

#define WWTP_ALERTS_CSV_HEADER                                                                     \
	"id,station,kind,priority,param,unit,windows_s,state,since,start,end,value,limit,ratio,"   \
	"count,active_s,ack_user,ack_time,ack_comment"

/* The CSV text (malloc'ed, NUL-terminated, *len bytes), or NULL on NOMEM
 * or when it would pass max bytes. */
char *wwtp_alerts_csv(const json_t *alerts, size_t max, size_t *len);

#endif
