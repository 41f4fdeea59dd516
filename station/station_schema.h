/* station_schema.h - private to the station loader: the descriptor tables
 * of station and profile files (the walk over them and the loader state it
 * reports into are loader.h's, shared with central.cfg's loader).
 *
 * A group is described by one `const struct wwtp_opt[]` table (key, kinds
 * accepted, required, bounds, default, field offset or parser). wwtp_walk()
 * is the shared walker of util/confschema.h with the station loader's
 * messages: it checks every member of a group against the table (unknown
 * keys are refused), type-checks and range-checks what is there, stores it
 * into the object at the entry's offset and applies defaults for what is
 * not. Nested groups and lists are not walked here: their setting is stored
 * (as a `const config_setting_t *`) for the caller to walk in the order it
 * needs. */
#ifndef WWTP_STATION_SCHEMA_H
#define WWTP_STATION_SCHEMA_H

#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/confschema.h"
#include "../util/diag.h"
#include "../model/station.h"
#include "loader.h"
#include "mqtt_group.h"

/* Characters allowed in ids (station), names (device, profile) and params. */
#define CS_ID "abcdefghijklmnopqrstuvwxyz0123456789-"
#define CS_NAME "abcdefghijklmnopqrstuvwxyz0123456789-_"
#define CS_PARAM "abcdefghijklmnopqrstuvwxyz0123456789_"
#define HINT_ID "lowercase letters a-z, digits and '-'"
#define HINT_NAME "lowercase letters a-z, digits, '-' and '_'"
#define HINT_PARAM "lowercase letters a-z, digits and '_'"

/* The table entries (struct wwtp_opt), their kinds (WWTP_OPT_STR ...) and
 * the flags REQ, NONEMPTY and NONZERO are util/confschema.h's; these two
 * are the station loader's own: */
#define WWTP_OPT_TCP 0x08 /* only for transport "tcp" (checked by the caller) */
#define WWTP_OPT_RTU 0x10 /* only for transport "rtu" (checked by the caller) */

/* What the walker fills: the model plus the nested settings, which the
 * loader walks itself in the order it needs. */

struct top_in {
	const config_setting_t *station, *devices, *mqtt;
	const config_setting_t *limits, *evaluation; /* walked by compliance/ */
	const config_setting_t *store;		     /* walked by store_config.c */
	const config_setting_t *tt10;		     /* walked by tt10_config.c */
	const config_setting_t *plausibility;	     /* per-param overrides */
	const config_setting_t *signing;	     /* walked by signing_config.c */
	char profiles_dir[WWTP_PATH_MAX];
	char plausibility_file[WWTP_PATH_MAX];
	char limits_dir[WWTP_PATH_MAX];
};
struct dev_in {
	struct wwtp_device d;
	const config_setting_t *points, *status, *rs485, *rename, *omit;
};
struct point_in {
	struct wwtp_point p;
	long long address; /* as written; the base is applied afterwards */
	const config_setting_t *status;
	const config_setting_t *plausible; /* walked by compliance/plaus_config.c */
};
struct status_in {
	struct wwtp_status_src s;
	long long address;
};
struct prof_in {
	const config_setting_t *profile, *points, *status;
};
struct prof_hdr {
	char name[WWTP_ID_MAX];
	char vendor[WWTP_NAME_MAX];
	char model[WWTP_NAME_MAX];
	char description[512];
	int address_base;
};

/* The schema: one table per group (station_schema.c). */
extern const struct wwtp_opt wwtp_top_opts[];
extern const size_t wwtp_ntop_opts;
extern const struct wwtp_opt wwtp_station_opts[];
extern const size_t wwtp_nstation_opts;
extern const struct wwtp_opt wwtp_device_opts[];
extern const size_t wwtp_ndevice_opts;
extern const struct wwtp_opt wwtp_rs485_opts[];
extern const size_t wwtp_nrs485_opts;
extern const struct wwtp_opt wwtp_point_opts[];
extern const size_t wwtp_npoint_opts;
extern const struct wwtp_opt wwtp_status_opts[];
extern const size_t wwtp_nstatus_opts;
extern const struct wwtp_opt wwtp_mqtt_opts[];
extern const size_t wwtp_nmqtt_opts;
extern const struct wwtp_opt wwtp_prof_top_opts[];
extern const size_t wwtp_nprof_top_opts;
extern const struct wwtp_opt wwtp_prof_hdr_opts[];
extern const size_t wwtp_nprof_hdr_opts;

#endif
