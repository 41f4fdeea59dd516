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
#include "station.h"

struct wwtp_load_opts {
	/* Folder of device profiles; NULL: "<folder of the station file>/../profiles". */
	const char *profiles_dir;
};

/* Loads and validates `path`. On success returns 0 and *out (free with
 * wwtp_station_free). On failure returns WWTP_ERR_CONFIG (or WWTP_ERR_NOMEM),
 * sets *out to NULL and leaves at least one entry in diag. opts may be NULL. */
int wwtp_station_load(const char *path, const struct wwtp_load_opts *opts,
		      struct wwtp_station **out, struct wwtp_diag *diag);

#endif
