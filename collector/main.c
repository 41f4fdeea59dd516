/* wwtp-collector: the edge agent of one station. Loads the station file,
 * then polls its Modbus devices and publishes their readings over MQTT (or
 * prints them). The command line and exit statuses are in
 * docs/collector.md; the work itself is in run.c. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../compliance/limits.h"
#include "../model/station.h"
#include "../station/station_config.h"
#include "../util/buf.h"
#include "../util/diag.h"
#include "../util/err.h"
#include "../util/log.h"
#include "chain.h"
#include "probe.h"
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
	"Usage: " PROG                                                                             \
	" -c FILE [--check | --limits | --keygen] [--once] [--print] [--ack-timeout SEC]\n"        \
	"                      [--store PATH] [--clock MODE] [--health-interval SEC]\n"            \
	"                      [--log-level LEVEL] [--profiles DIR] [--limits-dir DIR]\n"          \
	"       " PROG " --probe -c FILE --device NAME --address N [--table T]\n"                  \
	"       " PROG " --help | --version\n"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    SYNOPSIS
	    "\n"
	    "Polls the Modbus devices of the station described in FILE, judges the\n"
	    "readings against the station's limits, and publishes one telemetry message\n"
	    "per device poll (with the evaluation) and one alert message per alert raised\n"
	    "or cleared to the station's MQTT broker, until SIGTERM or SIGINT.\n"
	    "\n"
	    "  -c, --config FILE     the station file (required)\n"
	    "      --check           only load and check FILE: print \"FILE: ok (...)\" and\n"
	    "                        exit 0, or print every problem and exit 2\n"
	    "      --limits          only load FILE and print its effective discharge\n"
	    "                        limits (parameter, unit, C, Kq, Kf, Cmax, source) and\n"
	    "                        which of its params are judged; exit 0, or 2 on a\n"
	    "                        bad file\n"
	    "      --keygen          write a new signing key where FILE's signing.key_file\n"
	    "                        says (mode 0600; an existing key is never replaced)\n"
	    "                        and print its public key for central's station file\n"
	    "      --once            poll every device once, publish, wait for the broker's\n"
	    "                        acknowledgements and exit: 0 when all were\n"
	    "                        acknowledged, 1 when not\n"
	    "      --print           write each telemetry and alert message as one JSON\n"
	    "                        line to standard output instead of publishing (no\n"
	    "                        MQTT at all; alert lines have \"event\"); with --once,\n"
	    "                        one telemetry line per device, then exit\n"
	    "      --ack-timeout SEC how long --once, and a shutdown, wait for the\n"
	    "                        broker's acknowledgements (default %d, 1..86400);\n"
	    "                        a second signal ends the wait at shutdown\n"
	    "      --store PATH      keep every message in this SQLite file until the broker\n"
	    "                        has it (default: the file's store group, else\n"
	    "                        $STATE_DIRECTORY/<station>.db under systemd, else\n"
	    "                        messages wait in memory only); not with --once, --print\n"
	    "      --clock MODE      auto (ask the kernel and timesyncd, default), synced or\n"
	    "                        unsynced: whether readings are marked \"clock\":\"unsynced\"\n"
	    "      --health-interval SEC  publish the retained health message this often\n"
	    "                        (default 60, 1..86400)\n"
	    "      --log-level LEVEL error, warn, info or debug (default info); logs go to\n"
	    "                        standard error\n"
	    "      --profiles DIR    folder of device profiles (default: the \"profiles\"\n"
	    "                        folder next to FILE's folder)\n"
	    "      --limits-dir DIR  folder of regulation files (default: the file's\n"
	    "                        limits_dir, else the first that exists of \"limits\"\n"
	    "                        next to FILE's folder, next to the profiles folder,\n"
	    "                        and config/limits)\n"
	    "      --probe           commissioning: read the registers at --address N of\n"
	    "                        --device NAME once (--table holding or input; default\n"
	    "                        the table of the point there, else holding) and print\n"
	    "                        every type x word order reading of them with the\n"
	    "                        point's scale, marking those plausible for its param;\n"
	    "                        N is numbered as the collector's messages number it;\n"
	    "                        exit 0 read, 1 not read, 2 bad arguments\n"
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

/* --keygen: a new key where the file says, its public key on stdout. */
static int keygen_only(const char *path, const struct wwtp_station *st)
{
	char pk[WWTP_SIGN_PK_TEXT];
	if (!st->signing.key_file[0]) {
		fprintf(stderr,
			"%s: no signing.key_file: add signing = { key_file = \"...\"; }; first\n",
			path);
		return EXIT_USAGE;
	}
	if (wwtp_chain_keygen(st->signing.key_file, pk) != 0)
		return 1;
	printf("%s: new signing key in %s\n", path, st->signing.key_file);
	printf("public key for central's station file:\n"
	       "  signing = { public_key = \"%s\"; };\n",
	       pk);
	return 0;
}

static int check_only(const char *path, const struct wwtp_station *st)
{
	size_t points = 0;
	for (size_t i = 0; i < st->ndevices; i++)
		points += st->devices[i].npoints;
	printf("%s: ok (%zu devices, %zu points)\n", path, st->ndevices, points);
	return 0;
}

/* "135", "5.5-9", ">= 2": a limit as the table prints it. */
static void cmax_text(char *buf, size_t n, const struct wwtp_limit *l)
{
	if (isfinite(l->cmax_min) && isfinite(l->cmax_max))
		snprintf(buf, n, "%.6g-%.6g", l->cmax_min, l->cmax_max);
	else if (isfinite(l->cmax_min))
		snprintf(buf, n, ">= %.6g", l->cmax_min);
	else
		snprintf(buf, n, "%.6g", l->cmax_max);
}

/* After the regulation's table, what it means for this station: which of
 * its params are judged, with which Cmax, and which are not and why. */
static void print_station_params(const struct wwtp_station *st)
{
	const struct wwtp_limits_table *t = st->limits;
	size_t total = 0, judged = 0, unlisted = 0, wp = 0, wd = 0;
	char c[64];

	for (size_t i = 0; i < st->ndevices; i++) {
		const struct wwtp_device *d = &st->devices[i];
		for (size_t k = 0; k < d->npoints; k++) {
			const struct wwtp_limit *l = wwtp_limits_find(t, d->points[k].param);
			total++;
			unlisted += !l;
			if (!l || !l->has_limit)
				continue;
			judged++;
			if (strlen(d->points[k].param) > wp)
				wp = strlen(d->points[k].param);
			if (strlen(d->name) > wd)
				wd = strlen(d->name);
		}
	}
	printf("\nStation %s measures %zu params; %zu judged:\n", st->id, total, judged);
	for (size_t i = 0; i < st->ndevices; i++) {
		const struct wwtp_device *d = &st->devices[i];
		for (size_t k = 0; k < d->npoints; k++) {
			const struct wwtp_point *p = &d->points[k];
			const struct wwtp_limit *l = wwtp_limits_find(t, p->param);
			if (!l || !l->has_limit)
				continue;
			cmax_text(c, sizeof(c), l);
			int unit = l->unit[0] && strcmp(l->unit, "-") != 0;
			printf("  %-*s  %-*s  Cmax %s%s%s", (int)wp, p->param, (int)wd, d->name, c,
			       unit ? " " : "", unit ? l->unit : "");
			/* The evaluator compares numbers: a unit that differs from the
			 * regulation's is worth a look (pH's "-" is no unit at all). */
			if (unit && p->unit[0] && strcmp(p->unit, l->unit) != 0)
				printf("  (the station reads it in \"%s\": check the unit)",
				       p->unit);
			printf("\n");
		}
	}
	/* Params the regulation lists without a value (a 2025 table not filled
	 * in, chloride into saline water) say why, one per line; the others,
	 * not in the regulation at all, on one line. */
	for (size_t i = 0; i < st->ndevices; i++) {
		const struct wwtp_device *d = &st->devices[i];
		for (size_t k = 0; k < d->npoints; k++) {
			const struct wwtp_limit *l = wwtp_limits_find(t, d->points[k].param);
			if (l && !l->has_limit)
				printf("Not judged: %s: %s\n", d->points[k].param, l->source);
		}
	}
	if (!unlisted)
		return;
	printf("Not judged, no limit in %s column %s (%zu):", t->regulation, t->column, unlisted);
	const char *sep = " ";
	for (size_t i = 0; i < st->ndevices; i++) {
		const struct wwtp_device *d = &st->devices[i];
		for (size_t k = 0; k < d->npoints; k++) {
			if (wwtp_limits_find(t, d->points[k].param))
				continue;
			printf("%s%s", sep, d->points[k].param);
			sep = ", ";
		}
	}
	printf("\n");
}

static int limits_only(const char *path, const struct wwtp_station *st)
{
	struct wwtp_buf b;
	int rc;

	if (!st->limits) {
		printf("%s: station %s has no limits group: its readings are not judged (fault, "
		       "calibration and offline alerts still apply)\n",
		       path, st->id);
		return 0;
	}
	printf("Station %s (%s), limits from %s\n", st->id, path, st->limits_file);
	wwtp_buf_init(&b, 1024 * 1024);
	rc = wwtp_limits_format(st->limits, &b);
	if (rc) {
		fprintf(stderr, PROG ": cannot format the limits: %s\n", wwtp_strerror(rc));
		wwtp_buf_free(&b);
		return 1;
	}
	fwrite(b.data, 1, b.len, stdout);
	wwtp_buf_free(&b);
	print_station_params(st);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	enum {
		OPT_CHECK = 256,
		OPT_ONCE,
		OPT_PRINT,
		OPT_LOG,
		OPT_PROFILES,
		OPT_ACK,
		OPT_LIMITS,
		OPT_LIMITS_DIR,
		OPT_STORE,
		OPT_CLOCK,
		OPT_HEALTH,
		OPT_PROBE,
		OPT_DEVICE,
		OPT_ADDRESS,
		OPT_TABLE,
		OPT_KEYGEN
	};
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check", no_argument, NULL, OPT_CHECK},
	    {"once", no_argument, NULL, OPT_ONCE},
	    {"print", no_argument, NULL, OPT_PRINT},
	    {"log-level", required_argument, NULL, OPT_LOG},
	    {"profiles", required_argument, NULL, OPT_PROFILES},
	    {"limits", no_argument, NULL, OPT_LIMITS},
	    {"limits-dir", required_argument, NULL, OPT_LIMITS_DIR},
	    {"ack-timeout", required_argument, NULL, OPT_ACK},
	    {"store", required_argument, NULL, OPT_STORE},
	    {"clock", required_argument, NULL, OPT_CLOCK},
	    {"health-interval", required_argument, NULL, OPT_HEALTH},
	    {"probe", no_argument, NULL, OPT_PROBE},
	    {"device", required_argument, NULL, OPT_DEVICE},
	    {"address", required_argument, NULL, OPT_ADDRESS},
	    {"table", required_argument, NULL, OPT_TABLE},
	    {"keygen", no_argument, NULL, OPT_KEYGEN},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct wwtp_run_opts ro = {.ack_timeout_ms = DEFAULT_ACK_TIMEOUT_S * 1000};
	struct wwtp_load_opts lo = {.profiles_dir = NULL, .limits_dir = NULL};
	const char *config = NULL, *probe_device = NULL;
	int check = 0, limits = 0, probe = 0, keygen = 0, probe_table = -1, c;
	long probe_address = -1;

	wwtp_log_set_ident(PROG);
	opterr = 0; /* our own messages, followed by the usage */
	while ((c = getopt_long(argc, argv, ":c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case OPT_CHECK:
			check = 1;
			break;
		case OPT_KEYGEN:
			keygen = 1;
			break;
		case OPT_ONCE:
			ro.once = 1;
			break;
		case OPT_PRINT:
			ro.print = 1;
			break;
		case OPT_PROFILES:
			lo.profiles_dir = optarg;
			break;
		case OPT_LIMITS:
			limits = 1;
			break;
		case OPT_LIMITS_DIR:
			lo.limits_dir = optarg;
			break;
		case OPT_STORE:
			if (!optarg[0])
				return bad_usage("%s", "--store needs a file name");
			ro.store_path = optarg;
			break;
		case OPT_CLOCK:
			if (wwtp_clock_parse_mode(optarg, &ro.clock_mode) != 0)
				return bad_usage("--clock is auto, synced or unsynced, not '%s'",
						 optarg);
			break;
		case OPT_HEALTH: {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 86400)
				return bad_usage(
				    "--health-interval wants whole seconds, 1..86400, not '%s'",
				    optarg);
			ro.health_interval_ms = (int)v * 1000;
			break;
		}
		case OPT_LOG: {
			enum wwtp_log_level level;
			if (wwtp_log_parse_level(optarg, &level) != 0)
				return bad_usage(
				    "unknown log level '%s' (error, warn, info, debug)", optarg);
			wwtp_log_set_level(level);
			break;
		}
		case OPT_ACK: {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 86400)
				return bad_usage(
				    "--ack-timeout wants whole seconds, 1..86400, not '%s'",
				    optarg);
			ro.ack_timeout_ms = (int)v * 1000;
			break;
		}
		case OPT_PROBE:
			probe = 1;
			break;
		case OPT_DEVICE:
			probe_device = optarg;
			break;
		case OPT_ADDRESS: {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 0 || v > 465536)
				return bad_usage("--address wants a register number, not '%s'",
						 optarg);
			probe_address = v;
			break;
		}
		case OPT_TABLE: {
			enum wwtp_table t;
			if (wwtp_table_parse(optarg, &t) != 0 ||
			    (t != WWTP_TABLE_HOLDING && t != WWTP_TABLE_INPUT))
				return bad_usage("--table is holding or input, not '%s'", optarg);
			probe_table = (int)t;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROG " %s\n", WWTP_VERSION);
			return 0;
		case ':':
			return bad_usage("option '%s' needs an argument", argv[optind - 1]);
		default:
			return bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument '%s'", argv[optind]);
	if (!config)
		return bad_usage("%s", "no station file: give one with -c FILE");
	if (check + limits + probe + keygen > 1)
		return bad_usage("%s",
				 "--check, --limits, --probe and --keygen do not go together: "
				 "give one");
	if (probe && (!probe_device || probe_address < 0))
		return bad_usage("%s", "--probe needs --device NAME and --address N");
	if (!probe && (probe_device || probe_address >= 0 || probe_table >= 0))
		return bad_usage("%s", "--device, --address and --table go with --probe");
	if (ro.store_path && (ro.once || ro.print))
		return bad_usage("%s",
				 "--store is for the service: --once and --print keep nothing");

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
	if (keygen) {
		rc = keygen_only(config, st);
		wwtp_station_free(st);
		return rc;
	}
	if (probe) {
		rc = wwtp_probe_run(st, probe_device, probe_address, probe_table, stdout);
		wwtp_station_free(st);
		return rc;
	}
	if (check || limits) {
		rc = check ? check_only(config, st) : limits_only(config, st);
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
	ro.config = config;
	ro.profiles_dir = lo.profiles_dir;
	ro.limits_dir = lo.limits_dir;
	rc = wwtp_collector_run(st, &ro);
	wwtp_station_free(st);
	return rc;
}
