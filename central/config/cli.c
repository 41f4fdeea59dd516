/* cli.c - the command-line pieces the commands of wwtp-central share (see
 * cli.h). */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>

#include "../../station/station_config.h"
#include "../../util/diag.h"
#include "../../util/err.h"
#include "../../util/log.h"

int wwtp_cli_bad(const struct wwtp_cli *c, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", c->prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%sTry '%s --help' for more.\n", c->synopsis, c->prog);
	return WWTP_CLI_USAGE;
}

int wwtp_cli_bad_option(const struct wwtp_cli *c, int opt, char *const *argv)
{
	if (opt == ':')
		return wwtp_cli_bad(c, "option '%s' needs an argument", argv[optind - 1]);
	return wwtp_cli_bad(c, "unknown option '%s'", argv[optind - 1]);
}

int wwtp_cli_log_level(const struct wwtp_cli *c, const char *level)
{
	enum wwtp_log_level l;
	if (wwtp_log_parse_level(level, &l) != 0)
		return wwtp_cli_bad(c, "unknown log level '%s' (error, warn, info, debug)", level);
	wwtp_log_set_level(l);
	return 0;
}

int wwtp_cli_no_operand_and_config(const struct wwtp_cli *c, int argc, char *const *argv,
				   const char *config)
{
	if (optind < argc)
		return wwtp_cli_bad(c, "unexpected argument '%s'", argv[optind]);
	if (!config)
		return wwtp_cli_bad(c, "%s", "the configuration file is required: -c FILE");
	return 0;
}

int wwtp_cli_load(const char *file, struct wwtp_central_cfg *cfg, const char *stations_dir,
		  struct wwtp_station ***list, size_t *n)
{
	struct wwtp_load_opts lo = {.profiles_dir = NULL};
	struct wwtp_diag *diag = wwtp_diag_new();
	int rc;

	if (list) {
		*list = NULL;
		*n = 0;
	}
	if (!diag)
		return 1;
	rc = wwtp_central_config_load(file, cfg, diag);
	if (rc == 0 && list) {
		if (cfg->profiles_dir[0])
			lo.profiles_dir = cfg->profiles_dir;
		rc = wwtp_station_load_dir(stations_dir ? stations_dir : cfg->stations_dir, &lo,
					   list, n, diag);
	}
	if (rc != 0) {
		wwtp_diag_print(diag, stderr);
		/* Out of memory, say: no line to point at. */
		if (wwtp_diag_count(diag) == 0)
			fprintf(stderr, "%s: %s\n", file, wwtp_strerror(rc));
		if (list) {
			wwtp_station_list_free(*list, *n);
			*list = NULL;
			*n = 0;
		}
	}
	wwtp_diag_free(diag);
	if (rc == 0)
		return 0;
	return rc == WWTP_ERR_NOMEM ? 1 : WWTP_CLI_USAGE;
}
