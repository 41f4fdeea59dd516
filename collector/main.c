/* wwtp-collector: the edge agent of one station. Loads the station file,
 * then polls its Modbus devices and publishes their readings over MQTT (or
 * prints them). The command line and exit statuses are in
 * docs/collector.md; the work itself is in run.c. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../station/station.h"
#include "../station/station_config.h"
#include "../util/diag.h"
#include "../util/err.h"
#include "../util/log.h"
#include "run.h"

#define PROG "wwtp-collector"
#define EXIT_USAGE 2 /* bad command line or bad config */
#define DEFAULT_ACK_TIMEOUT_S 10

static volatile sig_atomic_t g_stop;

/* 1 after the first SIGTERM/SIGINT (stop), 2 after another one (stop
 * waiting for acknowledgements too). Both signals are blocked while the
 * handler runs, so the increment cannot race with itself. */
static void on_signal(int sig)
{
	(void)sig;
	if (g_stop < 2)
		g_stop = g_stop + 1;
}

#define SYNOPSIS                                                                                   \
	"Usage: " PROG " -c FILE [--check] [--once] [--print] [--ack-timeout SEC]\n"              \
	"                      [--log-level LEVEL] [--profiles DIR]\n"                            \
	"       " PROG " --help | --version\n"

static void usage(FILE *f)
{
	fprintf(f,
		SYNOPSIS
		"\n"
		"Polls the Modbus devices of the station described in FILE and publishes\n"
		"one telemetry message per device poll to the station's MQTT broker, until\n"
		"SIGTERM or SIGINT.\n"
		"\n"
		"  -c, --config FILE     the station file (required)\n"
		"      --check           only load and check FILE: print \"FILE: ok (...)\" and\n"
		"                        exit 0, or print every problem and exit 2\n"
		"      --once            poll every device once, publish, wait for the broker's\n"
		"                        acknowledgements and exit: 0 when all were\n"
		"                        acknowledged, 1 when not\n"
		"      --print           write each telemetry message as one JSON line to\n"
		"                        standard output instead of publishing (no MQTT at\n"
		"                        all); with --once, one line per device, then exit\n"
		"      --ack-timeout SEC how long --once, and a shutdown, wait for the\n"
		"                        broker's acknowledgements (default %d, 1..86400);\n"
		"                        a second signal ends the wait at shutdown\n"
		"      --log-level LEVEL error, warn, info or debug (default info); logs go to\n"
		"                        standard error\n"
		"      --profiles DIR    folder of device profiles (default: the \"profiles\"\n"
		"                        folder next to FILE's folder)\n"
		"  -h, --help            show this help and exit\n"
		"  -V, --version         show the version and exit\n"
		"\n"
		"Exit status: 0 success; 1 failure at run time (--once: not every message\n"
		"was acknowledged, or polling could not run); 2 bad command line or bad\n"
		"station file.\n",
		DEFAULT_ACK_TIMEOUT_S);
}

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n" SYNOPSIS "Try '" PROG " --help' for more.\n");
	return EXIT_USAGE;
}

static int set_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGINT);
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
		return -1;
	/* A closed socket or pipe must be an error return, not death: the
	 * MQTT library and --print handle EPIPE themselves. */
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

static int check_only(const char *path, const struct wwtp_station *st)
{
	size_t points = 0;
	for (size_t i = 0; i < st->ndevices; i++)
		points += st->devices[i].npoints;
	printf("%s: ok (%zu devices, %zu points)\n", path, st->ndevices, points);
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_ONCE, OPT_PRINT, OPT_LOG, OPT_PROFILES, OPT_ACK };
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, OPT_CHECK},
		{"once", no_argument, NULL, OPT_ONCE},
		{"print", no_argument, NULL, OPT_PRINT},
		{"log-level", required_argument, NULL, OPT_LOG},
		{"profiles", required_argument, NULL, OPT_PROFILES},
		{"ack-timeout", required_argument, NULL, OPT_ACK},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct wwtp_run_opts ro = {.ack_timeout_ms = DEFAULT_ACK_TIMEOUT_S * 1000};
	struct wwtp_load_opts lo = {.profiles_dir = NULL};
	const char *config = NULL;
	int check = 0, c;

	wwtp_log_set_ident(PROG);
	opterr = 0; /* our own messages, followed by the usage */
	while ((c = getopt_long(argc, argv, ":c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case OPT_CHECK: check = 1; break;
		case OPT_ONCE: ro.once = 1; break;
		case OPT_PRINT: ro.print = 1; break;
		case OPT_PROFILES: lo.profiles_dir = optarg; break;
		case OPT_LOG: {
			enum wwtp_log_level level;
			if (wwtp_log_parse_level(optarg, &level) != 0)
				return bad_usage("unknown log level '%s' (error, warn, info, debug)",
						 optarg);
			wwtp_log_set_level(level);
			break;
		}
		case OPT_ACK: {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 86400)
				return bad_usage("--ack-timeout wants whole seconds, 1..86400, not '%s'",
						 optarg);
			ro.ack_timeout_ms = (int)v * 1000;
			break;
		}
		case 'h': usage(stdout); return 0;
		case 'V': printf(PROG " %s\n", WWTP_VERSION); return 0;
		case ':': return bad_usage("option '%s' needs an argument", argv[optind - 1]);
		default: return bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument '%s'", argv[optind]);
	if (!config)
		return bad_usage("%s", "no station file: give one with -c FILE");

	/* Nothing starts on a bad file: every problem is reported, then exit. */
	struct wwtp_diag *diag = wwtp_diag_new();
	struct wwtp_station *st = NULL;
	if (!diag) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	int rc = wwtp_station_load(config, &lo, &st, diag);
	if (rc) {
		wwtp_diag_print(diag, stderr);
		if (wwtp_diag_count(diag) == 0)
			fprintf(stderr, "%s: %s\n", config, wwtp_strerror(rc));
		wwtp_diag_free(diag);
		return EXIT_USAGE;
	}
	wwtp_diag_free(diag);
	if (check) {
		rc = check_only(config, st);
		wwtp_station_free(st);
		return rc;
	}

	if (set_signals() != 0) {
		fprintf(stderr, PROG ": cannot set signal handlers: %s\n", strerror(errno));
		wwtp_station_free(st);
		return 1;
	}
	/* Lines must reach a pipe as they are written, not in 4 KB chunks. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ro.out = stdout;
	ro.stop = &g_stop;
	rc = wwtp_collector_run(st, &ro);
	wwtp_station_free(st);
	return rc;
}
