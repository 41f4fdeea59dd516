/* station_config.h - loading a station file (libconfig) into the model.
 *
 * Every option comes from one descriptor table per group (key, type,
 * required, bounds, default); keys not in the table are refused. Problems
 * are all collected into `diag` as "FILE:LINE: what is wrong (what to do)"
 * and loading fails if there is any; nothing partial is returned. The schema
 * is documented in docs/config.md. */
#ifndef WWTP_STATION_CONFIG_H
#define WWTP_STATION_CONFIG_H

#include "../util/diag.h"
#include "../model/station.h"

struct wwtp_load_opts {
	/* Folder of device profiles. NULL: the file's profiles_dir key, else
	 * "<folder of the station file>/../profiles". */
	const char *profiles_dir;
	/* Folder of regulation files (config/limits), searched by regulation id
	 * for a `limits` group. NULL: the file's limits_dir key, else the first
	 * folder that exists of "<folder of the station file>/../limits",
	 * "<profiles folder>/../limits" and WWTP_LIMITS_DIR (working folder). */
	const char *limits_dir;
};

/* Loads and validates `path`. On success returns 0 and *out (free with
 * wwtp_station_free). On failure returns WWTP_ERR_CONFIG (or WWTP_ERR_NOMEM),
 * sets *out to NULL and leaves at least one entry in diag. opts may be NULL;
 * diag may be NULL (the messages are then dropped). */
int wwtp_station_load(const char *path, const struct wwtp_load_opts *opts,
		      struct wwtp_station **out, struct wwtp_diag *diag);

/* Loads every "*.cfg" file of folder `dir` (sorted by name; hidden files,
 * other names and subfolders are ignored) and checks that the station ids
 * are unique across them (they name the MQTT topics). On success returns 0,
 * *out (an array of *n stations, free with wwtp_station_list_free) and
 * *n >= 1. On failure returns WWTP_ERR_CONFIG (or WWTP_ERR_NOMEM), *out NULL,
 * *n 0, with the problems of every file in diag (may be NULL). opts applies
 * to each file. */
int wwtp_station_load_dir(const char *dir, const struct wwtp_load_opts *opts,
			  struct wwtp_station ***out, size_t *n, struct wwtp_diag *diag);
void wwtp_station_free(struct wwtp_station *st);		   /* accepts NULL */
void wwtp_station_list_free(struct wwtp_station **list, size_t n); /* accepts NULL */

/* wwtp_station_load_dir() without keeping the result: 0 when every file of
 * the folder loads and the ids are unique. */
int wwtp_station_check_dir(const char *dir, const struct wwtp_load_opts *opts,
			   struct wwtp_diag *diag);

#endif
