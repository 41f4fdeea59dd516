/* run.h - what wwtp-collector does once its station file is loaded: poll
 * the devices and publish (or print) one telemetry message per device poll.
 * Modes and exit statuses are described in docs/collector.md. */
#ifndef WWTP_RUN_H
#define WWTP_RUN_H

#include <signal.h>
#include <stdio.h>

#include "../model/station.h"
#include "clock.h"

struct wwtp_run_opts {
	int once;			   /* poll every device once, then exit */
	int print;			   /* JSON lines to `out` instead of MQTT */
	int ack_timeout_ms;		   /* --once, and shutdown: wait this long for acks */
	FILE *out;			   /* for print */
	const volatile sig_atomic_t *stop; /* set by the signal handlers */
	/* The durable store (the service only): --store, else the file's
	 * store group, else $STATE_DIRECTORY under systemd; NULL = not given
	 * on the command line. docs/reliability.md. */
	const char *store_path;
	enum wwtp_clock_mode clock_mode; /* --clock */
	int health_interval_ms;		 /* --health-interval; 0: the default */
	/* The station file and the folders given for it (NULL: defaults):
	 * wwtp-tt10-upload reads the same (tt10_child.h). */
	const char *config, *profiles_dir, *limits_dir;
};

/* Runs until done (--once) or until *o->stop. Returns the exit status:
 * 0, or 1 when something failed (said on stderr). */
int wwtp_collector_run(const struct wwtp_station *st, const struct wwtp_run_opts *o);

#endif
