/* cli.h - what the commands of wwtp-central (the service, acl, passwd,
 * report) share on their command lines: the one way of refusing a bad
 * command line, --log-level, and loading central.cfg (and the station
 * files it names) with every problem printed as "FILE:LINE: what". */
#ifndef WWTP_CENTRAL_CLI_H
#define WWTP_CENTRAL_CLI_H

#include <stddef.h>

#include "../../model/station.h"
#include "config.h"

/* Exit status for a bad command line or a bad configuration. */
#define WWTP_CLI_USAGE 2

/* One command, for its complaints. */
struct wwtp_cli {
	const char *prog;     /* "wwtp-central report" */
	const char *synopsis; /* its "Usage: ..." lines, each ending in '\n' */
};

/* Prints "PROG: " fmt (with arg), the synopsis and where to find help on
 * standard error. Returns WWTP_CLI_USAGE. */
int wwtp_cli_bad(const struct wwtp_cli *c, const char *fmt, const char *arg);

/* getopt_long()'s ':' (an option without its argument) or '?' (an unknown
 * option), called with opterr = 0 and a ':' first in the option string:
 * the complaint naming argv[optind - 1]. Returns WWTP_CLI_USAGE. */
int wwtp_cli_bad_option(const struct wwtp_cli *c, int opt, char *const *argv);

/* --log-level LEVEL: sets it and returns 0, or complains (WWTP_CLI_USAGE). */
int wwtp_cli_log_level(const struct wwtp_cli *c, const char *level);

/* After getopt_long(): no operand may be left and -c FILE is required.
 * 0, or the complaint (WWTP_CLI_USAGE). */
int wwtp_cli_no_operand_and_config(const struct wwtp_cli *c, int argc, char *const *argv,
				   const char *config);

/* Loads central.cfg `file` into *cfg and, when list is not NULL, the
 * station files of stations_dir (NULL: the file's stations_dir) into
 * *list and *n, with the file's profiles_dir. Returns 0, or prints every
 * problem to standard error ("FILE: what the error is" when none points
 * at a line) and returns the exit status: 1 out of memory, WWTP_CLI_USAGE
 * for a bad file; nothing stays loaded then. */
int wwtp_cli_load(const char *file, struct wwtp_central_cfg *cfg, const char *stations_dir,
		  struct wwtp_station ***list, size_t *n);

#endif
