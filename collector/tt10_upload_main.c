/* wwtp-tt10-upload: sends a station's Circular 10/2021 files to its FTP or
 * FTPS servers (collector/tt10_upload.h, one thread per server). The
 * collector starts it when the station file's tt10 group names servers
 * (collector/tt10_child.h): in a process of its own, so that libcurl and
 * the TLS stack are loaded only where files are sent. It reads the same
 * station file, takes SIGUSR1 as "a new file is there", and stops on
 * SIGTERM or SIGINT, or when the collector that started it is gone. */
#include <curl/curl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "../model/station.h"
#include "../station/station_config.h"
#include "../util/diag.h"
#include "../util/err.h"
#include "../util/log.h"
#include "tt10_upload.h"

#define PROG "wwtp-tt10-upload"
#define MOD "tt10"

static void usage(FILE *f)
{
	fprintf(f, "Usage: " PROG " -c FILE [--profiles DIR] [--limits-dir DIR]\n"
		   "                        [--log-level LEVEL]\n"
		   "       " PROG " --help | --version\n"
		   "\n"
		   "Sends the Circular 10/2021 files of the station described in FILE from\n"
		   "its tt10 folder to the servers of its tt10 group, oldest first, until\n"
		   "SIGTERM or SIGINT; SIGUSR1 says a new file is there. wwtp-collector\n"
		   "starts it when the group names servers (docs/tt10.md): there is no need\n"
		   "to run it by hand, but it may be, to watch a server's answers with\n"
		   "--log-level debug. The options are the collector's: --log-level is\n"
		   "error, warn, info or debug (default info).\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"profiles", required_argument, NULL, 'p'},
	    {"limits-dir", required_argument, NULL, 'l'},
	    {"log-level", required_argument, NULL, 'L'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct wwtp_load_opts lo = {.profiles_dir = NULL, .limits_dir = NULL};
	const char *config = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'p':
			lo.profiles_dir = optarg;
			break;
		case 'l':
			lo.limits_dir = optarg;
			break;
		case 'L': {
			enum wwtp_log_level level;
			if (wwtp_log_parse_level(optarg, &level) != 0) {
				fprintf(stderr,
					PROG
					": unknown log level '%s' (error, warn, info, debug)\n",
					optarg);
				return 2;
			}
			wwtp_log_set_level(level);
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROG " %s\n", WWTP_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!config || optind < argc) {
		usage(stderr);
		return 2;
	}
	wwtp_log_set_ident(PROG);

	/* The signals are taken by sigtimedwait below, never by handlers. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t parent = getppid();

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
		return 2;
	}
	wwtp_diag_free(diag);
	const struct wwtp_tt10_config *c = st->tt10;
	if (!c || !c->enabled || c->nservers == 0) {
		LOG_INFO(MOD, "%s: no tt10 server to send to", config);
		wwtp_station_free(st);
		return 0;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		LOG_ERROR(MOD, "cannot initialise libcurl");
		wwtp_station_free(st);
		return 1;
	}
	struct wwtp_tt10_uploader *up[WWTP_TT10_SERVERS_MAX] = {0};
	int status = 0;
	for (size_t i = 0; i < c->nservers; i++)
		if (!(up[i] = wwtp_tt10_uploader_start(c, &c->servers[i])))
			status = 1; /* logged */

	while (status == 0) {
		struct timespec wait = {5, 0};
		int sig = sigtimedwait(&set, NULL, &wait);
		if (sig == SIGUSR1) {
			for (size_t i = 0; i < c->nservers; i++)
				wwtp_tt10_uploader_wake(up[i]);
		} else if (sig == SIGTERM || sig == SIGINT) {
			break;
		} else if (getppid() != parent) {
			break; /* the collector is gone, and its death signal was lost */
		}
	}
	for (size_t i = 0; i < c->nservers; i++) {
		if (!up[i])
			continue;
		struct wwtp_tt10_upload_stats us;
		wwtp_tt10_uploader_stats(up[i], &us);
		LOG_INFO(MOD, "server %s: %" PRIu64 " files sent, %" PRIu64 " failed attempts",
			 c->servers[i].name, us.sent, us.failed);
		wwtp_tt10_uploader_stop(up[i]);
	}
	curl_global_cleanup();
	wwtp_station_free(st);
	return status;
}
