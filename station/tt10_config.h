/* tt10_config.h - the station's optional `tt10` group: the transmission of
 * Circular 10/2021/TT-BTNMT files to the Department of Natural Resources
 * and Environment over FTP (docs/tt10.md).
 *
 * Plain data, one allocation (fixed arrays), owned by the struct
 * wwtp_station that holds it (station->tt10, NULL without a group) and
 * freed with it. Parsed by the station loader, so that --check and every
 * program that loads station files (the simulator, the central side)
 * accept and check the group; only the collector acts on it
 * (collector/tt10.c). */
#ifndef WWTP_TT10_CONFIG_H
#define WWTP_TT10_CONFIG_H

#include <stddef.h>

#include "../model/station.h"

#define WWTP_TT10_SERVERS_MAX 4
#define WWTP_TT10_PARAMS_MAX 32
#define WWTP_TT10_FIELD_MAX 32 /* province, facility, station: parts of the file name */
#define WWTP_TT10_CODE_MAX 16  /* parameter code in the file: "COD", "NH4", "pH" */

/* Bounds and defaults, shared with the docs. */
#define WWTP_TT10_PERIOD_DEFAULT_S 300
#define WWTP_TT10_PERIOD_MIN_S 5
#define WWTP_TT10_MAX_AGE_DAYS_MIN 60 /* TT 10/2021: a datalogger keeps at least 60 days */

enum wwtp_tt10_layout {
	WWTP_TT10_LINES = 0,  /* one parameter per line (the common form) */
	WWTP_TT10_SINGLE = 1, /* every parameter on one line, TAB-separated */
};

/* Which end of the period the file's time names. */
enum wwtp_tt10_stamp { WWTP_TT10_STAMP_END = 0, WWTP_TT10_STAMP_START = 1 };

enum wwtp_tt10_tls {
	WWTP_TT10_TLS_NONE = 0,	    /* plain FTP */
	WWTP_TT10_TLS_TRY = 1,	    /* AUTH TLS if the server offers it, else plain */
	WWTP_TT10_TLS_REQUIRED = 2, /* AUTH TLS or fail (explicit FTPS) */
	WWTP_TT10_TLS_IMPLICIT = 3, /* ftps:// URL: TLS from the first byte */
};

struct wwtp_tt10_param {
	char param[WWTP_ID_MAX];       /* the station's param ("cod") */
	char code[WWTP_TT10_CODE_MAX]; /* its code in the file ("COD") */
	char unit[WWTP_UNIT_MAX];      /* as written in the file: the entry's, else the point's */
	int decimals;		       /* digits after the decimal point, 0..6 */
	int line;
};

struct wwtp_tt10_server {
	char name[WWTP_ID_MAX];		/* names its outbox folder; unique */
	char url[WWTP_URI_MAX];		/* ftp://host[:port]/folder/ or ftps://...; ends with '/' */
	char remote_dir[WWTP_PATH_MAX]; /* pattern below url: %Y %m %d %H (local time) %% */
	char user[WWTP_NAME_MAX];
	char password_file[WWTP_PATH_MAX]; /* "" for none; relative to the station file's folder */
	char ca_file[WWTP_PATH_MAX];	   /* "" for the system's CAs */
	int tls;			   /* enum wwtp_tt10_tls */
	int timeout_s;			   /* one upload, connection included */
	int line;
};

struct wwtp_tt10_config {
	int enabled;
	char province[WWTP_TT10_FIELD_MAX];
	char facility[WWTP_TT10_FIELD_MAX];
	char station[WWTP_TT10_FIELD_MAX];
	int period_s;		 /* divides a day: periods start on the local clock's multiples */
	int layout;		 /* enum wwtp_tt10_layout */
	int stamp;		 /* enum wwtp_tt10_stamp */
	int crlf;		 /* lines end with CR LF instead of LF */
	char dir[WWTP_PATH_MAX]; /* local folder (resolved against the file's folder) */
	int max_age_days;	 /* local files older than this many days are removed */
	int max_mb;		 /* and the oldest beyond this total size */
	int retry_max_s;	 /* longest wait between two attempts of a failed upload */
	size_t nparams;
	struct wwtp_tt10_param params[WWTP_TT10_PARAMS_MAX];
	size_t nservers;
	struct wwtp_tt10_server servers[WWTP_TT10_SERVERS_MAX];
	int line;
};

/* Called by the station loader (station_config.c) with the `tt10` group
 * once the devices are loaded (params are checked against them): walks the
 * group (unknown keys refused), reports every problem as FILE:LINE into the
 * loader's diagnostics and sets st->tt10 (also when there are problems, so
 * that it is freed with the station; the load then fails). base_dir is the
 * station file's folder. Sets the loader's nomem flag when out of memory. */
struct wwtp_ld;
struct config_setting_t;
void wwtp_tt10_config_load(struct wwtp_ld *L, const struct config_setting_t *grp,
			   const char *base_dir, struct wwtp_station *st);

/* Checks a remote folder pattern: the bytes A-Z a-z 0-9 - _ . / and the
 * conversions %Y %m %d %H %%; no "..", no leading '/', and a trailing '/'
 * when not empty. Returns NULL when valid, else what is wrong. Pure. */
const char *wwtp_tt10_dir_pattern_problem(const char *pattern);

#endif
