/* sim.h - the simulator as a whole: loaded stations, one register image per
 * device, the endpoints that serve them, and the once-a-second update.
 *
 * Devices are grouped into endpoints: TCP devices by (bind host, port), so
 * that the devices behind one station gateway share a listening socket;
 * RTU devices by (station, serial line), one pseudo-terminal per bus (or
 * all on the one line given with --serial). Two devices that would answer
 * the same unit id on one endpoint are refused at start. */
#ifndef WWTP_SIM_SIM_H
#define WWTP_SIM_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../model/station.h"
#include "control_parse.h"
#include "model.h"

/* A station's own scenario (--scenario STATION=MODE). */
struct wwtp_sim_station_scenario {
	char station[WWTP_ID_MAX];
	unsigned scenario; /* mask of enum wwtp_sim_effect */
};

struct wwtp_sim_opts {
	unsigned scenario;				     /* of every station without its own */
	const struct wwtp_sim_station_scenario *per_station; /* the last one of a station wins */
	size_t nper_station;
	uint64_t seed;
	int64_t start_s;    /* model time at elapsed 0, UTC epoch seconds */
	const char *bind;   /* NULL: each device's own host */
	int port_offset;    /* added to every TCP port */
	const char *serial; /* NULL: a pty per RTU bus; else every RTU device on it */
	int control_port;   /* -1: no control port; 0: one the kernel picks */
};

struct wwtp_sim;

/* The scenario of station id under o. */
unsigned wwtp_sim_scenario_for(const struct wwtp_sim_opts *o, const char *station);
/* The plant models of stations[0..n) under o, into sites[0..n). */
void wwtp_sim_sites_init(struct wwtp_station *const *stations, size_t n,
			 const struct wwtp_sim_opts *o, struct wwtp_sim_site *sites);

/* stations[0..n) must outlive the simulator. Returns 0, WWTP_ERR_CONFIG
 * (conflicts, bad ports: logged) or WWTP_ERR_NOMEM / WWTP_ERR_ERRNO. */
int wwtp_sim_new(struct wwtp_station *const *stations, size_t n, const struct wwtp_sim_opts *o,
		 struct wwtp_sim **out);
void wwtp_sim_free(struct wwtp_sim *s); /* stops first; accepts NULL */
/* The plant model of each station, in the order given to wwtp_sim_new. */
const struct wwtp_sim_site *wwtp_sim_sites(const struct wwtp_sim *s);

/* Writes every register for model time start_s + elapsed_s. Thread-safe
 * against wwtp_sim_exec (one update at a time). */
void wwtp_sim_update(struct wwtp_sim *s, int64_t elapsed_s);

/* Carries out one control command (control_parse.h), from the command line
 * (before wwtp_sim_open) or the control port, and writes its one-line
 * answer to reply[0..n): "ok", "ok <value>" (get, show, list, help) or
 * "error: <what is wrong>" (unknown station, device or param; a value the
 * point cannot hold; no status register). A change to values or statuses
 * is in the registers when it returns. Returns 0, or WWTP_ERR_NOTFOUND /
 * WWTP_ERR_RANGE / WWTP_ERR_INVAL with the answer saying why. Thread-safe. */
int wwtp_sim_exec(struct wwtp_sim *s, const struct wwtp_sim_cmd *c, char *reply, size_t n);

/* Listens / creates the ptys (and the control port), then prints one line
 * per station endpoint to out ("tcp <station> <host>:<port> -> <bind>
 * <port>", "rtu <station> <serial> -> /dev/pts/N", "control 127.0.0.1
 * PORT"). Returns 0 or the first error (logged). */
int wwtp_sim_open(struct wwtp_sim *s, FILE *out);
/* Starts one thread per endpoint, and the control port's. */
int wwtp_sim_start(struct wwtp_sim *s);
/* Writes "ready\n" and one line per endpoint ("tcp 127.0.0.1 15011",
 * "rtu /dev/pts/7"), then "control 127.0.0.1 PORT" if the control port is
 * on, then the line extra (when not NULL), to path, atomically (temporary
 * file + rename). s may be NULL: no endpoints (--history-only). */
int wwtp_sim_write_ready(const struct wwtp_sim *s, const char *path, const char *extra);
/* Wakes and joins the threads, closes the endpoints, logs counters. */
void wwtp_sim_stop(struct wwtp_sim *s);

#endif
