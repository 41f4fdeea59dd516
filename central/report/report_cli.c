/* report_cli.c - `wwtp-central report`: the command line of the monthly
 * summary (docs/report.md). */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../../util/err.h"
#include "../../util/log.h"
#include "../config/cli.h"
#include "../config/config.h"
#include "report.h"
#include "report_stats.h"

#define CMD "wwtp-central report"

#define SYNOPSIS                                                                                   \
	"Usage: " CMD " -c FILE (--month YYYY-MM | --quarter YYYY-Qn | --year YYYY)\n"             \
	"              [--station ID] [--lang vi|en] --out DIR\n"                                  \
	"              [--number N] [--pdf | --no-pdf] [--chromium PATH] [--log-level LEVEL]\n"

static void usage(FILE *f)
{
	fprintf(f, SYNOPSIS
		"\n"
		"Writes the compliance summary of a month, quarter or year (PERIOD: 2026-10,\n"
		"2026-Q4, 2026) of every station (or one) and of the fleet, from the InfluxDB\n"
		"and the station files that FILE names: per station\n"
		"station-ID-PERIOD.html/.csv(/.pdf), and fleet-PERIOD.html/.csv(/.pdf) and\n"
		"fleet-PERIOD-stations.csv. Periods are cut at 00:00 Hanoi time (UTC+7).\n"
		"See docs/report.md for every figure and column.\n"
		"\n"
		"  -c, --config FILE     central.cfg (required; docs/central.md)\n"
		"  -m, --month YYYY-MM   the month (one of --month, --quarter, --year)\n"
		"  -q, --quarter YYYY-Qn the quarter (Q1: January to March)\n"
		"  -y, --year YYYY       the year\n"
		"  -s, --station ID      only this station (no fleet documents)\n"
		"  -l, --lang vi|en      language of the HTML and PDF (default: report.lang, vi)\n"
		"      --number N        the documents' number (report.number_pattern's %%n);\n"
		"                        default: left blank, to be numbered by hand\n"
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

static const struct wwtp_cli report_cli = {CMD, SYNOPSIS};

int wwtp_report_cli(int argc, char **argv)
{
	enum { OPT_PDF = 256, OPT_NO_PDF, OPT_CHROMIUM, OPT_LOG, OPT_NUMBER };
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"month", required_argument, NULL, 'm'},
	    {"quarter", required_argument, NULL, 'q'},
	    {"year", required_argument, NULL, 'y'},
	    {"station", required_argument, NULL, 's'},
	    {"lang", required_argument, NULL, 'l'},
	    {"out", required_argument, NULL, 'o'},
	    {"pdf", no_argument, NULL, OPT_PDF},
	    {"no-pdf", no_argument, NULL, OPT_NO_PDF},
	    {"chromium", required_argument, NULL, OPT_CHROMIUM},
	    {"number", required_argument, NULL, OPT_NUMBER},
	    {"log-level", required_argument, NULL, OPT_LOG},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct wwtp_central_cfg cfg; /* large: not on the stack */
	struct wwtp_report_opts o = {.lang = NULL, .pdf = WWTP_REPORT_PDF_AUTO};
	const char *config = NULL;
	int opt, rc;

	wwtp_log_set_level(WWTP_LOG_WARN);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":c:m:q:y:s:l:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'm':
		case 'q':
		case 'y':
			if (o.month)
				return wwtp_cli_bad(
				    &report_cli, "%s",
				    "give one period: --month, --quarter or --year");
			o.month = optarg;
			o.kind = opt == 'm'   ? WWTP_PERIOD_MONTH
				 : opt == 'q' ? WWTP_PERIOD_QUARTER
					      : WWTP_PERIOD_YEAR;
			break;
		case 's':
			o.station = optarg;
			break;
		case 'l':
			if (strcmp(optarg, "vi") != 0 && strcmp(optarg, "en") != 0)
				return wwtp_cli_bad(&report_cli, "unknown language '%s' (vi or en)",
						    optarg);
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
		case OPT_NUMBER: {
			char *end = NULL;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || !end || *end || optarg[0] < '1' || optarg[0] > '9' ||
			    v > 999999)
				return wwtp_cli_bad(&report_cli, "bad --number '%s' (1..999999)",
						    optarg);
			o.number = (unsigned)v;
			break;
		}
		case OPT_CHROMIUM:
			o.chromium = optarg;
			break;
		case OPT_LOG:
			if (wwtp_cli_log_level(&report_cli, optarg) != 0)
				return WWTP_CLI_USAGE;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return wwtp_cli_bad_option(&report_cli, opt, argv);
		}
	}
	if (wwtp_cli_no_operand_and_config(&report_cli, argc, argv, config) != 0)
		return WWTP_CLI_USAGE;
	if (!o.month)
		return wwtp_cli_bad(&report_cli, "%s",
				    "the period is required: --month YYYY-MM, --quarter YYYY-Qn or "
				    "--year YYYY");
	if (!o.out_dir)
		return wwtp_cli_bad(&report_cli, "%s", "the output folder is required: --out DIR");

	int status = wwtp_cli_load(config, &cfg, NULL, NULL, NULL);
	if (status != 0)
		return status;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, CMD ": cannot initialise libcurl\n");
		return 1;
	}
	rc = wwtp_report_run(&cfg, &o, stdout);
	curl_global_cleanup();
	if (rc == 0)
		return 0;
	return (rc == WWTP_ERR_INVAL || rc == WWTP_ERR_NOTFOUND || rc == WWTP_ERR_CONFIG)
		   ? WWTP_CLI_USAGE
		   : 1;
}
