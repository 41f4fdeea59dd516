/* cli.c - wwtp-sim's command line and the station files it names. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strdup, getopt_long: also when built without the Makefile's flags */
#endif
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../station/station_config.h"
#include "../util/diag.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "replay.h"

#ifndef WWTP_VERSION
#define WWTP_VERSION "0.0.0"
#endif

static const char usage_text[] =
    "usage: wwtp-sim (-c STATION_FILE [-c ...] | --dir FOLDER) [options]\n"
    "\n"
    "Serves simulated Modbus devices (TCP and RTU) for the stations described\n"
    "by station files, with values from a plant model. See docs/simulator.md.\n"
    "\n"
    "  -c, --config FILE     serve the station in FILE (repeatable)\n"
    "  -d, --dir FOLDER      serve every *.cfg station file of FOLDER\n"
    "  -s, --scenario [STATION=]MODE\n"
    "                        plant state, of every station or of one (repeatable):\n"
    "                        healthy (default), degraded (= failed-aeration), or\n"
    "                        effects joined with '+': failed-aeration,\n"
    "                        hydraulic-overload, no-nitrogen-removal,\n"
    "                        analyzer-faults, poor-settling, high-colour; a plant\n"
    "                        that fakes its data: diluted-analyzer, frozen-ph,\n"
    "                        spikes\n"
    "      --seed N          model seed (default 1); same seed, same start, same values\n"
    "      --start TIME      model time at start: YYYY-MM-DDTHH:MM:SS[.mmm]Z or now\n"
    "                        (default " WWTP_SIM_DEFAULT_START ", a Monday 08:00 in Hanoi)\n"
    "      --serial PATH     serve every RTU device on this existing serial line or pty\n"
    "                        instead of creating one pty per bus\n"
    "  -b, --bind ADDR       listen on ADDR instead of each device's host (127.0.0.1)\n"
    "  -o, --port-offset N   add N to every TCP port\n"
    "  -r, --ready-file FILE write \"ready\" and the endpoints to FILE once all listen\n"
    "  -p, --profiles DIR    device profiles folder (default: next to the stations)\n"
    "  -l, --log-level L     error, warn, info (default) or debug\n"
    "      --fault STATION/DEVICE=KIND[:ARG]\n"
    "                        make a device misbehave from the start (repeatable);\n"
    "                        KIND: none, delay:MS, drop[:P], exception:CODE, crc,\n"
    "                        close, silent:SECONDS, wrong-unit, bad-address:ADDR\n"
    "      --set STATION/PARAM=VALUE\n"
    "                        pin a param to a value (repeatable)\n"
    "      --control PORT    line-based control port on 127.0.0.1 (0: any free port)\n"
    "      --history DAYS    publish the stations' last DAYS days (up to now) over\n"
    "                        MQTT first, as a gateway's store-and-forward would\n"
    "      --publish URI     the broker for --history, e.g. tcp://127.0.0.1:1883\n"
    "      --history-interval S  one reading per device every S seconds (default 300)\n"
    "      --history-rate N  at most N messages per second (default 20000; 0: no bound)\n"
    "      --history-only    publish the history and exit, serving no Modbus\n"
    "  -h, --help            this text\n"
    "  -V, --version         version\n";

static int parse_start(const char *s, int64_t *out)
{
	char buf[32];
	int64_t ms;

	if (strcmp(s, "now") == 0) {
		*out = wwtp_now_ms() / 1000;
		return 0;
	}
	/* Accept the project's timestamp with or without milliseconds. */
	if (strlen(s) == 20 && s[19] == 'Z') {
		snprintf(buf, sizeof(buf), "%.19s.000Z", s);
		s = buf;
	}
	if (wwtp_parse_utc(s, &ms) != 0)
		return WWTP_ERR_INVAL;
	*out = ms / 1000;
	return 0;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return WWTP_ERR_INVAL;
	*out = v;
	return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return WWTP_ERR_INVAL;
	*out = v;
	return 0;
}

/* --scenario MODE (every station) or --scenario STATION=MODE. */
static int parse_scenario(const char *arg, struct wwtp_sim_args *a)
{
	const char *eq = strchr(arg, '=');
	const char *mode = eq ? eq + 1 : arg;
	unsigned sc;

	if (wwtp_sim_scenario_parse(mode, &sc) != 0) {
		fprintf(stderr,
			"wwtp-sim: --scenario: '%s' is not a mode: healthy, degraded, or effects "
			"joined with '+' (failed-aeration, hydraulic-overload, "
			"no-nitrogen-removal, analyzer-faults, poor-settling, high-colour)\n",
			mode);
		return -1;
	}
	if (!eq) {
		a->o.scenario = sc;
		return 0;
	}
	size_t len = (size_t)(eq - arg);
	if (len == 0 || len >= WWTP_ID_MAX ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789-") != len) {
		fprintf(stderr,
			"wwtp-sim: --scenario %s: a station id (a-z, 0-9, '-') before '='\n", arg);
		return -1;
	}
	if (a->o.nper_station == WWTP_SIM_MAX_STATIONS) {
		fprintf(stderr, "wwtp-sim: at most %d --scenario STATION=MODE\n",
			WWTP_SIM_MAX_STATIONS);
		return -1;
	}
	struct wwtp_sim_station_scenario *e = &a->scenarios[a->o.nper_station++];
	memcpy(e->station, arg, len);
	e->station[len] = '\0';
	e->scenario = sc;
	return 0;
}

int wwtp_sim_parse_args(int argc, char **argv, struct wwtp_sim_args *a)
{
	enum {
		OPT_SEED = 256,
		OPT_START,
		OPT_SERIAL,
		OPT_FAULT,
		OPT_SET,
		OPT_CONTROL,
		OPT_HISTORY,
		OPT_PUBLISH,
		OPT_HIST_INTERVAL,
		OPT_HIST_RATE,
		OPT_HIST_ONLY
	};
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"dir", required_argument, NULL, 'd'},
	    {"scenario", required_argument, NULL, 's'},
	    {"seed", required_argument, NULL, OPT_SEED},
	    {"start", required_argument, NULL, OPT_START},
	    {"serial", required_argument, NULL, OPT_SERIAL},
	    {"bind", required_argument, NULL, 'b'},
	    {"port-offset", required_argument, NULL, 'o'},
	    {"ready-file", required_argument, NULL, 'r'},
	    {"profiles", required_argument, NULL, 'p'},
	    {"log-level", required_argument, NULL, 'l'},
	    {"fault", required_argument, NULL, OPT_FAULT},
	    {"set", required_argument, NULL, OPT_SET},
	    {"control", required_argument, NULL, OPT_CONTROL},
	    {"history", required_argument, NULL, OPT_HISTORY},
	    {"publish", required_argument, NULL, OPT_PUBLISH},
	    {"history-interval", required_argument, NULL, OPT_HIST_INTERVAL},
	    {"history-rate", required_argument, NULL, OPT_HIST_RATE},
	    {"history-only", no_argument, NULL, OPT_HIST_ONLY},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0}};
	enum wwtp_log_level level;
	long v;
	int c;

	a->o.seed = 1;
	a->o.control_port = -1;
	a->o.per_station = a->scenarios;
	a->history_interval_s = WWTP_SIM_HISTORY_INTERVAL_S;
	a->history_rate = WWTP_SIM_HISTORY_RATE;
	parse_start(WWTP_SIM_DEFAULT_START, &a->o.start_s);
	while ((c = getopt_long(argc, argv, "c:d:s:b:o:r:p:l:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (a->nconfigs == WWTP_SIM_MAX_STATIONS) {
				fprintf(stderr, "wwtp-sim: at most %d station files\n",
					WWTP_SIM_MAX_STATIONS);
				return 2;
			}
			a->configs[a->nconfigs++] = optarg;
			break;
		case 'd':
			a->dir = optarg;
			break;
		case 's':
			if (parse_scenario(optarg, a) != 0)
				return 2;
			break;
		case OPT_SEED: {
			char *end;
			errno = 0;
			unsigned long long s = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || optarg[0] == '-') {
				fprintf(stderr, "wwtp-sim: --seed: not a number: '%s'\n", optarg);
				return 2;
			}
			a->o.seed = s;
			break;
		}
		case OPT_START:
			if (parse_start(optarg, &a->o.start_s) != 0) {
				fprintf(stderr,
					"wwtp-sim: --start: YYYY-MM-DDTHH:MM:SS[.mmm]Z or now, "
					"not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case OPT_SERIAL:
			a->o.serial = optarg;
			break;
		case 'b':
			a->o.bind = optarg;
			break;
		case 'o':
			if (parse_long(optarg, -65535, 65535, &v) != 0) {
				fprintf(stderr,
					"wwtp-sim: --port-offset: -65535..65535, not '%s'\n",
					optarg);
				return 2;
			}
			a->o.port_offset = (int)v;
			break;
		case 'r':
			a->ready = optarg;
			break;
		case 'p':
			a->profiles = optarg;
			break;
		case 'l':
			if (wwtp_log_parse_level(optarg, &level) != 0) {
				fprintf(stderr,
					"wwtp-sim: --log-level: error, warn, info or debug\n");
				return 2;
			}
			wwtp_log_set_level(level);
			break;
		case OPT_FAULT:
		case OPT_SET: {
			const char *opt = c == OPT_FAULT ? "--fault" : "--set";
			char err[WWTP_SIM_ERR_MAX];
			int rc;
			if (a->ncmds == WWTP_SIM_MAX_CMDS) {
				fprintf(stderr, "wwtp-sim: at most %d --fault and --set options\n",
					WWTP_SIM_MAX_CMDS);
				return 2;
			}
			rc = c == OPT_FAULT ? wwtp_sim_fault_spec_parse(optarg, &a->cmds[a->ncmds],
									err, sizeof(err))
					    : wwtp_sim_set_spec_parse(optarg, &a->cmds[a->ncmds],
								      err, sizeof(err));
			if (rc != 0) {
				fprintf(stderr, "wwtp-sim: %s %s: %s\n", opt, optarg, err);
				return 2;
			}
			a->cmd_text[a->ncmds++] = opt;
			break;
		}
		case OPT_CONTROL:
			if (parse_long(optarg, 0, 65535, &v) != 0) {
				fprintf(stderr, "wwtp-sim: --control: a port 0..65535, not '%s'\n",
					optarg);
				return 2;
			}
			a->o.control_port = (int)v;
			break;
		case OPT_HISTORY:
			if (parse_double(optarg, 0.0, 366.0, &a->history_days) != 0 ||
			    a->history_days <= 0.0) {
				fprintf(stderr,
					"wwtp-sim: --history: days, more than 0 and at most "
					"366, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case OPT_PUBLISH:
			a->publish = optarg;
			break;
		case OPT_HIST_INTERVAL:
			if (parse_long(optarg, 1, 3600, &v) != 0) {
				fprintf(stderr,
					"wwtp-sim: --history-interval: seconds 1..3600, not '%s'\n",
					optarg);
				return 2;
			}
			a->history_interval_s = (int)v;
			break;
		case OPT_HIST_RATE:
			if (parse_double(optarg, 0.0, 1e7, &a->history_rate) != 0) {
				fprintf(
				    stderr,
				    "wwtp-sim: --history-rate: messages per second 0..1e7 (0: no "
				    "bound), not '%s'\n",
				    optarg);
				return 2;
			}
			break;
		case OPT_HIST_ONLY:
			a->history_only = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("wwtp-sim %s (libmodbus %s)\n", WWTP_VERSION,
			       LIBMODBUS_VERSION_STRING);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind < argc || (a->nconfigs == 0 && !a->dir)) {
		fputs(usage_text, stderr);
		return 2;
	}
	if ((a->history_days > 0) != (a->publish != NULL)) {
		fprintf(stderr, "wwtp-sim: --history DAYS and --publish URI go together\n");
		return 2;
	}
	if (a->history_only && a->history_days <= 0) {
		fprintf(stderr, "wwtp-sim: --history-only needs --history DAYS --publish URI\n");
		return 2;
	}
	return -1;
}

int wwtp_sim_check_scenarios(const struct wwtp_sim_args *a, struct wwtp_station *const *st,
			     size_t n)
{
	for (size_t i = 0; i < a->o.nper_station; i++) {
		size_t j = 0;
		while (j < n && strcmp(st[j]->id, a->scenarios[i].station) != 0)
			j++;
		if (j == n) {
			fprintf(stderr, "wwtp-sim: --scenario %s=...: no station '%s' is loaded\n",
				a->scenarios[i].station, a->scenarios[i].station);
			return 2;
		}
	}
	return 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Appends FOLDER/<name>.cfg for every station file of dir, sorted, so the
 * order (and the "first device on a line") does not depend on readdir. */
static int list_dir(const char *dir, char **paths, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t first = *n;

	if (!d) {
		fprintf(stderr, "wwtp-sim: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 5 || e->d_name[0] == '.' || strcmp(e->d_name + len - 4, ".cfg") != 0)
			continue;
		if (*n == WWTP_SIM_MAX_STATIONS) {
			fprintf(stderr, "wwtp-sim: %s: more than %d station files\n", dir,
				WWTP_SIM_MAX_STATIONS);
			closedir(d);
			return 2;
		}
		size_t sz = strlen(dir) + len + 2;
		if (!(paths[*n] = malloc(sz))) {
			closedir(d);
			return 1;
		}
		snprintf(paths[(*n)++], sz, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (*n == first) {
		fprintf(stderr, "wwtp-sim: %s: no *.cfg station files\n", dir);
		return 2;
	}
	qsort(paths + first, *n - first, sizeof(*paths), cmp_str);
	return 0;
}

int wwtp_sim_load_stations(const struct wwtp_sim_args *a, struct wwtp_station **st, size_t *n)
{
	char *paths[WWTP_SIM_MAX_STATIONS];
	size_t np = 0;
	int rc = 0;
	struct wwtp_load_opts lo = {.profiles_dir = a->profiles};

	for (size_t i = 0; i < a->nconfigs; i++)
		if (!(paths[np++] = strdup(a->configs[i])))
			return 1;
	if (a->dir && (rc = list_dir(a->dir, paths, &np)) != 0)
		goto out;
	for (size_t i = 0; i < np && rc == 0; i++) {
		struct wwtp_diag *diag = wwtp_diag_new();
		if (!diag) {
			rc = 1;
			break;
		}
		if (wwtp_station_load(paths[i], &lo, &st[*n], diag) != 0) {
			wwtp_diag_print(diag, stderr);
			fprintf(stderr, "wwtp-sim: %s: not loaded\n", paths[i]);
			rc = 2;
		} else {
			(*n)++;
		}
		wwtp_diag_free(diag);
	}
out:
	for (size_t i = 0; i < np; i++)
		free(paths[i]);
	return rc;
}
