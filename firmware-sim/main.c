/* main.c - wwtp-sim: simulated plant devices for the collector and the
 * tests. Signals and the once-a-second update loop; options are in cli.c,
 * the rest in sim.c (grouping), serve*.c (Modbus), image.c and model.c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sigtimedwait, strsignal: also when built without the Makefile's flags */
#endif
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "cli.h"
#include "model.h"
#include "sim.h"

#define MOD "main"

/* Updates the registers on every second of elapsed time until SIGINT or
 * SIGTERM. The signals are blocked in every thread and taken here with
 * sigtimedwait, so no handler runs in the middle of anything. */
static void run(struct wwtp_sim *sim, const sigset_t *sigs, int64_t t0)
{
	int64_t k = 0;

	for (;;) {
		int64_t wait = t0 + (k + 1) * 1000 - wwtp_mono_ms();
		struct timespec ts;
		int sig;

		if (wait < 0)
			wait = 0;
		ts.tv_sec = (time_t)(wait / 1000);
		ts.tv_nsec = (long)(wait % 1000) * 1000000L;
		sig = sigtimedwait(sigs, NULL, &ts);
		if (sig > 0) {
			LOG_INFO(MOD, "%s: stopping", strsignal(sig));
			return;
		}
		if (sig < 0 && errno == EINTR)
			continue;
		/* Whole seconds since start, so a slow tick never shifts the
		 * model time away from elapsed time. */
		k = (wwtp_mono_ms() - t0) / 1000;
		wwtp_sim_update(sim, k);
	}
}

int main(int argc, char **argv)
{
	static struct wwtp_sim_args a; /* static: 2 KiB of paths, zeroed */
	struct wwtp_station *st[WWTP_SIM_MAX_STATIONS];
	size_t nst = 0;
	struct wwtp_sim *sim = NULL;
	sigset_t sigs;
	char when[32];
	int rc;

	wwtp_log_set_ident("wwtp-sim");
	if ((rc = wwtp_sim_parse_args(argc, argv, &a)) >= 0)
		return rc;

	/* Blocked before any thread exists, so every thread inherits it. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = wwtp_sim_load_stations(&a, st, &nst);
	if (rc == 0 && (rc = wwtp_sim_new(st, nst, &a.o, &sim)) != 0)
		rc = rc == WWTP_ERR_CONFIG ? 2 : 1; /* conflicts between files: logged */
	/* --fault and --set: names are checked against the loaded stations. */
	for (size_t i = 0; rc == 0 && i < a.ncmds; i++) {
		char reply[512];
		if (wwtp_sim_exec(sim, &a.cmds[i], reply, sizeof(reply)) != 0) {
			fprintf(stderr, "wwtp-sim: %s %s/%s: %s\n", a.cmd_text[i],
				a.cmds[i].station, a.cmds[i].name, reply);
			rc = 2;
		}
	}
	if (rc == 0) {
		int64_t t0 = wwtp_mono_ms();
		wwtp_sim_update(sim, 0); /* values are there before the first client */
		if (wwtp_sim_open(sim, stdout) != 0 || wwtp_sim_start(sim) != 0 ||
		    (a.ready && wwtp_sim_write_ready(sim, a.ready) != 0)) {
			rc = 1;
		} else {
			wwtp_format_utc(a.o.start_s * 1000, when, sizeof(when));
			LOG_INFO(MOD,
				 "serving %zu station(s), scenario %s, seed %" PRIu64
				 ", model time from %s",
				 nst, wwtp_sim_scenario_name(a.o.scenario), a.o.seed, when);
			run(sim, &sigs, t0);
		}
	}
	wwtp_sim_free(sim);
	for (size_t i = 0; i < nst; i++)
		wwtp_station_free(st[i]);
	return rc;
}
