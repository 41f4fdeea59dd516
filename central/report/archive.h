/* archive.h - reading the report archive (schedule.h writes it) for the
 * web page: the periods archived, their files with their SHA-256 (from
 * each folder's SHA256SUMS), and the path of one archived file. */
#ifndef WWTP_REPORT_ARCHIVE_H
#define WWTP_REPORT_ARCHIVE_H

#include <jansson.h>
#include <stddef.h>

/* {"periods":[{"id":"2026-11","made":"2026-12-05T00:01:02.000Z",
 * "files":[{"name":..., "bytes":..., "sha256":...}]}]}, newest period
 * first; a folder without SHA256SUMS (a run under way) is not listed. An
 * archive folder that does not exist is an empty list. NULL on NOMEM. */
json_t *wwtp_report_archive_list(const char *dir);

/* The path of file `name` of period `id` when the period's SHA256SUMS lists
 * it (nothing else of the folder, nothing outside it is served). 0,
 * WWTP_ERR_INVAL (not an id or a file name) or WWTP_ERR_NOTFOUND. */
int wwtp_report_archive_file(const char *dir, const char *id, const char *name, char *path,
			     size_t n);

#endif
