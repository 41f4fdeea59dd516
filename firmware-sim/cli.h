/* cli.h - wwtp-sim's command line (docs/simulator.md lists the options)
 * and the loading of the station files it names. */
#ifndef WWTP_SIM_CLI_H
#define WWTP_SIM_CLI_H

#include <stddef.h>

#include "../model/station.h"
#include "sim.h"

/* Model time at start unless --start says otherwise: a Monday, 08:00 in
 * Hanoi. Fixed, so that a seed alone makes a run repeatable. */
#define WWTP_SIM_DEFAULT_START "2025-06-02T01:00:00.000Z"
#define WWTP_SIM_MAX_STATIONS 256
#define WWTP_SIM_MAX_CMDS 256 /* --fault and --set, together */

struct wwtp_sim_args {
	const char *configs[WWTP_SIM_MAX_STATIONS]; /* -c, in order */
	size_t nconfigs;
	const char *dir;      /* --dir, or NULL */
	const char *profiles; /* --profiles, or NULL */
	const char *ready;    /* --ready-file, or NULL */
	struct wwtp_sim_opts o;
	/* --fault and --set, parsed, in command-line order; carried out by
	 * wwtp_sim_exec once the stations are loaded. */
	struct wwtp_sim_cmd cmds[WWTP_SIM_MAX_CMDS];
	const char *cmd_text[WWTP_SIM_MAX_CMDS]; /* "--fault X", for messages */
	size_t ncmds;
	/* --scenario STATION=MODE, in order (o.per_station points here). */
	struct wwtp_sim_station_scenario scenarios[WWTP_SIM_MAX_STATIONS];
	/* --history: replay this many days up to now (0: no history). */
	double history_days;
	const char *publish;	/* --publish URI */
	int history_interval_s; /* --history-interval */
	double history_rate;	/* --history-rate, messages/s; 0 unbounded */
	int history_only;	/* --history-only: no Modbus, exit when done */
};

/* Fills a (zeroed by the caller) from argv; sets the log level. Returns -1
 * to go on, or the exit code: 0 after --help / --version, 2 for a usage
 * error (message printed). */
int wwtp_sim_parse_args(int argc, char **argv, struct wwtp_sim_args *a);

/* Checks that every --scenario STATION=MODE names a loaded station.
 * Returns 0, or 2 with a message printed. */
int wwtp_sim_check_scenarios(const struct wwtp_sim_args *a, struct wwtp_station *const *st,
			     size_t n);

/* Loads the -c files, then the --dir files (sorted), into st[*n...]
 * (WWTP_SIM_MAX_STATIONS room). Returns 0, or the exit code: 2 when a file
 * does not load (every diagnostic printed), 1 on no memory. Stations
 * loaded before a failure stay in st for the caller to free. */
int wwtp_sim_load_stations(const struct wwtp_sim_args *a, struct wwtp_station **st, size_t *n);

#endif
