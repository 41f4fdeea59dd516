/* passwd_cmd.c - `wwtp-central passwd` (see passwd_cmd.h). */
#include "passwd_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "../../util/err.h"
#include "../../util/secret.h"
#include "../web/auth.h"
#include "../config/cli.h"
#include "../config/config.h"

#define PASSWD_USAGE                                                                               \
	"Usage: wwtp-central passwd (--file ACCOUNTS | -c CENTRAL.CFG) USER ROLE\n"                \
	"       ROLE: inspector (reads) or operator (reads, acknowledges alerts)\n"

/* One line of standard input into buf (no echo on a terminal). 0 or -1. */
static int read_line(const char *prompt, char *buf, size_t n)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO);
	if (tty) {
		fprintf(stderr, "%s", prompt);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	char *got = fgets(buf, (int)n, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (!got)
		return -1;
	size_t len = strlen(buf);
	if (len == n - 1 && buf[len - 1] != '\n')
		return -2; /* too long */
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return 0;
}

int wwtp_passwd_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"file", required_argument, NULL, 'f'},
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct wwtp_central_cfg cfg;
	char pw[WWTP_AUTH_PASSWORD_MAX + 2], pw2[WWTP_AUTH_PASSWORD_MAX + 2];
	char hash[crypto_pwhash_STRBYTES];
	const char *file = NULL, *config = NULL;
	enum wwtp_role role;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":f:c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			file = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'h':
			printf(
			    PASSWD_USAGE
			    "\n"
			    "Adds USER to the accounts file of the web page and the API, or "
			    "changes\n"
			    "its role and password. The password (8 to 256 bytes) is read from\n"
			    "standard input: typed twice without echo on a terminal, else the "
			    "first\n"
			    "line. It is stored as an argon2id hash; the file is written anew "
			    "with\n"
			    "mode 0600. A running wwtp-central reads it again within a second.\n"
			    "\n"
			    "  -f, --file ACCOUNTS     the accounts file (created when missing)\n"
			    "  -c, --config FILE       or the accounts_file of central.cfg's http "
			    "group\n"
			    "\n"
			    "Example: printf '%%s\\n' \"$PASSWORD\" | wwtp-central passwd -f "
			    "accounts an "
			    "operator\n");
			return 0;
		case ':':
			fprintf(stderr, "wwtp-central passwd: option '%s' needs an argument\n%s",
				argv[optind - 1], PASSWD_USAGE);
			return 2;
		default:
			fprintf(stderr, "wwtp-central passwd: unknown option '%s'\n%s",
				argv[optind - 1], PASSWD_USAGE);
			return 2;
		}
	}
	if (argc - optind != 2 || !file == !config) {
		fprintf(stderr,
			"wwtp-central passwd: give the file (--file or -c) and USER ROLE\n%s",
			PASSWD_USAGE);
		return 2;
	}
	const char *user = argv[optind], *rname = argv[optind + 1];
	if (!wwtp_auth_valid_user(user)) {
		fprintf(stderr,
			"wwtp-central passwd: user name \"%.40s\" is not 1..32 of a-z, 0-9, '.', "
			"'_', '-'\n",
			user);
		return 2;
	}
	if (wwtp_role_parse(rname, &role) != 0) {
		fprintf(stderr,
			"wwtp-central passwd: role \"%.20s\" is not inspector or operator\n",
			rname);
		return 2;
	}
	if (config) {
		int status = wwtp_cli_load(config, &cfg, NULL, NULL, NULL);
		if (status != 0)
			return status;
		if (!cfg.http_enabled) {
			fprintf(stderr, "wwtp-central passwd: %s has no http group\n", config);
			return 2;
		}
		file = cfg.http.accounts_file;
	}
	int rc = read_line("Password: ", pw, sizeof(pw));
	if (rc == 0 && isatty(STDIN_FILENO)) {
		if (read_line("Again: ", pw2, sizeof(pw2)) != 0 || strcmp(pw, pw2) != 0) {
			fprintf(stderr, "wwtp-central passwd: the two passwords differ\n");
			wwtp_secret_wipe(pw, sizeof(pw));
			wwtp_secret_wipe(pw2, sizeof(pw2));
			return 2;
		}
		wwtp_secret_wipe(pw2, sizeof(pw2));
	}
	if (rc != 0 || strlen(pw) < WWTP_AUTH_PASSWORD_MIN) {
		fprintf(stderr,
			"wwtp-central passwd: %s: give a password of %d to %d bytes on standard "
			"input\n",
			rc == -1   ? "no password"
			: rc == -2 ? "password too long"
				   : "password too short",
			WWTP_AUTH_PASSWORD_MIN, WWTP_AUTH_PASSWORD_MAX);
		wwtp_secret_wipe(pw, sizeof(pw));
		return 2;
	}
	rc = wwtp_auth_hash(pw, hash, sizeof(hash));
	wwtp_secret_wipe(pw, sizeof(pw));
	if (rc != 0) {
		fprintf(stderr, "wwtp-central passwd: cannot hash the password: %s\n",
			wwtp_strerror(rc));
		return 1;
	}
	rc = wwtp_auth_set_account(file, user, role, hash);
	if (rc != 0) {
		fprintf(stderr, "wwtp-central passwd: cannot write %s: %s\n", file,
			rc == WWTP_ERR_ERRNO ? strerror(errno) : wwtp_strerror(rc));
		return 1;
	}
	printf("%s: %s is %s\n", file, user, wwtp_role_name(role));
	return 0;
}
