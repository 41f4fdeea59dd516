/* report_cli.c - `wwtp-central report`: the command line of the monthly
 * summary (docs/report.md). */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../util/diag.h"
#include "../util/err.h"
#include "../util/log.h"
#include "config.h"
#include "report.h"

#define CMD "wwtp-central report"
#define EXIT_USAGE 2

#define SYNOPSIS                                                                                   \
	"Usage: " CMD " -c FILE --month YYYY-MM [--station ID] [--lang vi|en] --out DIR\n"         \
	"              [--pdf | --no-pdf] [--chromium PATH] [--log-level LEVEL]\n"

static void usage(FILE *f)
{
	fprintf(f, SYNOPSIS
		"\n"
		"Writes the monthly compliance summary of every station (or one) and of the\n"
		"fleet, from the InfluxDB and the station files that FILE names: per station\n"
		"station-ID-YYYY-MM.html/.csv(/.pdf), and fleet-YYYY-MM.html/.csv(/.pdf) and\n"
		"fleet-YYYY-MM-stations.csv. Months are cut at 00:00 Hanoi time (UTC+7).\n"
		"See docs/report.md for every figure and column.\n"
		"\n"
		"  -c, --config FILE     central.cfg (required; docs/central.md)\n"
		"  -m, --month YYYY-MM   the month (required)\n"
		"  -s, --station ID      only this station (no fleet documents)\n"
		"  -l, --lang vi|en      language of the HTML and PDF (default vi)\n"
		"  -o, --out DIR         output folder, made if missing (required)\n"
		"      --pdf             PDFs are required: fail without Chromium\n"
		"      --no-pdf          no PDFs (default: PDFs when Chromium is found)\n"
		"      --chromium PATH   the browser that prints PDFs (default: chromium or\n"
		"                        chromium-browser in PATH)\n"
		"      --log-level LEVEL error, warn, info or debug (default warn)\n"
		"  -h, --help            show this help and exit\n"
		"\n"
		"Prints each file written. Exit status: 0 success; 1 InfluxDB did not answer,\n"
		"a file or a PDF could not be written; 2 bad command line, configuration,\n"
		"month or station.\n");
}

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, CMD ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n" SYNOPSIS "Try '" CMD " --help' for more.\n");
	return EXIT_USAGE;
}

int wwtp_report_cli(int argc, char **argv)
{
	enum { OPT_PDF = 256, OPT_NO_PDF, OPT_CHROMIUM, OPT_LOG };
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"month", required_argument, NULL, 'm'},
	    {"station", required_argument, NULL, 's'},
	    {"lang", required_argument, NULL, 'l'},
	    {"out", required_argument, NULL, 'o'},
	    {"pdf", no_argument, NULL, OPT_PDF},
	    {"no-pdf", no_argument, NULL, OPT_NO_PDF},
	    {"chromium", required_argument, NULL, OPT_CHROMIUM},
	    {"log-level", required_argument, NULL, OPT_LOG},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct wwtp_central_cfg cfg; /* large: not on the stack */
	struct wwtp_report_opts o = {.lang = "vi", .pdf = WWTP_REPORT_PDF_AUTO};
	const char *config = NULL;
	int opt, rc;

	wwtp_log_set_level(WWTP_LOG_WARN);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":c:m:s:l:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'm':
			o.month = optarg;
			break;
		case 's':
			o.station = optarg;
			break;
		case 'l':
			if (strcmp(optarg, "vi") != 0 && strcmp(optarg, "en") != 0)
				return bad_usage("unknown language '%s' (vi or en)", optarg);
			o.lang = optarg;
			break;
		case 'o':
			o.out_dir = optarg;
			break;
		case OPT_PDF:
			o.pdf = WWTP_REPORT_PDF_ON;
			break;
		case OPT_NO_PDF:
			o.pdf = WWTP_REPORT_PDF_OFF;
			break;
		case OPT_CHROMIUM:
			o.chromium = optarg;
			break;
		case OPT_LOG: {
			enum wwtp_log_level level;
			if (wwtp_log_parse_level(optarg, &level) != 0)
				return bad_usage(
				    "unknown log level '%s' (error, warn, info, debug)", optarg);
			wwtp_log_set_level(level);
			break;
		}
		case 'h':
			usage(stdout);
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
		return bad_usage("%s", "the configuration file is required: -c FILE");
	if (!o.month)
		return bad_usage("%s", "the month is required: --month YYYY-MM");
	if (!o.out_dir)
		return bad_usage("%s", "the output folder is required: --out DIR");

	struct wwtp_diag *diag = wwtp_diag_new();
	if (!diag)
		return 1;
	rc = wwtp_central_config_load(config, &cfg, diag);
	if (rc != 0) {
		wwtp_diag_print(diag, stderr);
		if (wwtp_diag_count(diag) == 0)
			fprintf(stderr, "%s: %s\n", config, wwtp_strerror(rc));
		wwtp_diag_free(diag);
		return rc == WWTP_ERR_NOMEM ? 1 : EXIT_USAGE;
	}
	wwtp_diag_free(diag);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, CMD ": cannot initialise libcurl\n");
		return 1;
	}
	rc = wwtp_report_run(&cfg, &o, stdout);
	curl_global_cleanup();
	if (rc == 0)
		return 0;
	return (rc == WWTP_ERR_INVAL || rc == WWTP_ERR_NOTFOUND || rc == WWTP_ERR_CONFIG)
		   ? EXIT_USAGE
		   : 1;
}
