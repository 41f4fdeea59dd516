/* main.c - wwtp-sim: simulated plant devices for the collector and the
 * tests. Signals and the once-a-second update loop; options are in cli.c,
 * the rest in sim.c (grouping), serve*.c (Modbus), image.c and model.c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sigtimedwait, strsignal: also when built without the Makefile's flags */
#endif
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../station/station_config.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "cli.h"
#include "model.h"
#include "replay.h"
#include "sim.h"

#define MOD "main"

/* --history: the replay runs on its own thread while the main thread
 * serves (or, with --history-only, waits for it or for a signal). */
struct history_job {
	pthread_t thread;
	struct wwtp_station *const *stations;
	size_t n;
	const struct wwtp_sim_site *sites;
	struct wwtp_sim_replay_opts o;
	const struct wwtp_sim *sim; /* NULL with --history-only */
	const char *ready;	    /* the ready file, NULL if none */
	volatile int stop;	    /* set by the main thread */
	pthread_mutex_t lock;
	int done; /* under lock */
	int rc;
};

static void *history_main(void *arg)
{
	struct history_job *j = arg;
	struct wwtp_sim_replay_result r;
	char line[96];

	int rc = wwtp_sim_replay(j->stations, j->sites, j->n, &j->o, &j->stop, &r);
	/* Tests and the demo wait for this line (stdout, and the ready file)
	 * before they judge what the history contained. */
	snprintf(line, sizeof(line), "history %s %" PRIu64 " %" PRIu64, rc == 0 ? "done" : "failed",
		 r.telemetry, r.alerts);
	printf("%s\n", line);
	fflush(stdout);
	if (j->ready)
		wwtp_sim_write_ready(j->sim, j->ready, line);
	pthread_mutex_lock(&j->lock);
	j->done = 1;
	j->rc = rc;
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

static int history_start(struct history_job *j, const struct wwtp_sim_args *a,
			 struct wwtp_station *const *st, size_t n,
			 const struct wwtp_sim_site *sites, const struct wwtp_sim *sim)
{
	int64_t now = wwtp_now_ms();

	j->stations = st;
	j->n = n;
	j->sites = sites;
	j->sim = sim;
	j->ready = a->ready;
	j->o.uri = a->publish;
	j->o.to_ms = now;
	j->o.from_ms = now - (int64_t)(a->history_days * 86400000.0);
	j->o.interval_ms = (int64_t)a->history_interval_s * 1000;
	j->o.rate = a->history_rate;
	j->o.max_inflight = WWTP_SIM_HISTORY_INFLIGHT;
	pthread_mutex_init(&j->lock, NULL);
	if (pthread_create(&j->thread, NULL, history_main, j) != 0) {
		LOG_ERROR(MOD, "cannot start the history thread");
		pthread_mutex_destroy(&j->lock);
		return -1;
	}
	return 0;
}

static int history_done(struct history_job *j)
{
	pthread_mutex_lock(&j->lock);
	int d = j->done;
	pthread_mutex_unlock(&j->lock);
	return d;
}

/* Stops the replay if it still runs; its result (0 or an error). */
static int history_join(struct history_job *j)
{
	j->stop = 1;
	pthread_join(j->thread, NULL);
	pthread_mutex_destroy(&j->lock);
	return j->rc;
}

/* --history-only: waits for the replay to end, or for SIGINT / SIGTERM. */
static void wait_history(struct history_job *j, const sigset_t *sigs)
{
	while (!history_done(j)) {
		struct timespec ts = {0, 200 * 1000000L};
		int sig = sigtimedwait(sigs, NULL, &ts);
		if (sig > 0) {
			LOG_INFO(MOD, "%s: stopping", strsignal(sig));
			return;
		}
	}
}

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
	static struct history_job job;
	int history = 0;
	sigset_t sigs;
	char when[32], scen[WWTP_SIM_SCENARIO_MAX];
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
	if (rc == 0)
		rc = wwtp_sim_check_scenarios(&a, st, nst);
	if (rc == 0 && a.history_only) {
		/* No endpoints: only the plant models are needed. */
		static struct wwtp_sim_site sites[WWTP_SIM_MAX_STATIONS];
		wwtp_sim_sites_init(st, nst, &a.o, sites);
		if (history_start(&job, &a, st, nst, sites, NULL) != 0) {
			rc = 1;
		} else {
			wait_history(&job, &sigs);
			rc = history_join(&job) == 0 ? 0 : 1;
		}
		goto out;
	}
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
		    (a.ready && wwtp_sim_write_ready(sim, a.ready, NULL) != 0)) {
			rc = 1;
		} else {
			fflush(stdout);
			wwtp_format_utc(a.o.start_s * 1000, when, sizeof(when));
			LOG_INFO(MOD,
				 "serving %zu station(s), scenario %s (%zu station(s) with their "
				 "own), seed %" PRIu64 ", model time from %s",
				 nst, wwtp_sim_scenario_format(a.o.scenario, scen, sizeof(scen)),
				 a.o.nper_station, a.o.seed, when);
			if (a.history_days > 0)
				history =
				    history_start(&job, &a, st, nst, wwtp_sim_sites(sim), sim) == 0;
			run(sim, &sigs, t0);
			if (history)
				history_join(&job);
		}
	}
out:
	wwtp_sim_free(sim);
	for (size_t i = 0; i < nst; i++)
		wwtp_station_free(st[i]);
	return rc;
}
