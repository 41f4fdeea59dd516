/* acl_cmd.c - the `acl` subcommand of wwtp-central (see acl_cmd.h). */
#include "acl_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../model/station.h"
#include "../../station/station_config.h"
#include "../../util/buf.h"
#include "../../util/err.h"
#include "acl.h"
#include "../config/cli.h"
#include "../config/config.h"

#define ACL_PROG "wwtp-central acl"
#define ACL_TEXT_MAX ((size_t)64 << 20)

#define ACL_SYNOPSIS                                                                               \
	"Usage: " ACL_PROG " -c FILE --out DIR [--stations DIR] [--auth cert|password|both]\n"     \
	"       [--port N] [--bind ADDR] [--cafile F] [--certfile F] [--keyfile F]\n"              \
	"       [--password-file F] [--acl-path F]\n"

static void acl_usage(FILE *f)
{
	fprintf(f, ACL_SYNOPSIS
		"\n"
		"Writes DIR/acl (mosquitto acl_file: each station's user may publish only\n"
		"<prefix>/<station>/{telemetry,status,alert,health} and read only its\n"
		"<prefix>/<station>/ack; the central side's user reads <prefix>/# and\n"
		"publishes only <prefix>/+/ack) and\n"
		"DIR/mosquitto.conf (a TLS listener, no anonymous clients, the ACL), from\n"
		"the station files of FILE's stations_dir. A station's user name is its\n"
		"mqtt.username, or its id; the central side's is FILE's mqtt.username, or\n"
		"\"wwtp-central\". See docs/security.md.\n"
		"\n"
		"  -c, --config FILE      central.cfg (required)\n"
		"  -o, --out DIR          where to write acl and mosquitto.conf (required;\n"
		"                         made if missing)\n"
		"      --stations DIR     station files (default: FILE's stations_dir)\n"
		"      --auth HOW         cert (default: a client certificate, its CN the\n"
		"                         user name), password (user name and password) or\n"
		"                         both\n"
		"      --port N           TLS listener port (default 8883)\n"
		"      --bind ADDR        listen on this address only (default: all)\n"
		"      --cafile F         CA of the broker and of client certificates\n"
		"                         (default /etc/mosquitto/ca_certificates/ca.crt)\n"
		"      --certfile F       broker certificate (default\n"
		"                         /etc/mosquitto/certs/server.crt)\n"
		"      --keyfile F        its key (default /etc/mosquitto/certs/server.key)\n"
		"      --password-file F  mosquitto_passwd file (default\n"
		"                         /etc/mosquitto/passwd; password and both only)\n"
		"      --acl-path F       where the broker will read the ACL (default:\n"
		"                         DIR/acl as an absolute path)\n"
		"  -h, --help             show this help and exit\n"
		"\n"
		"Exit status: 0 written; 1 cannot write; 2 bad command line or files.\n");
}

static const struct wwtp_cli acl_cli = {ACL_PROG, ACL_SYNOPSIS};

/* Writes text to dir/name through a temporary file and rename(), so that a
 * broker reloading meanwhile never reads half a file. Mode 0644: an ACL
 * and a configuration hold no secret. */
static int write_file(const char *dir, const char *name, const struct wwtp_buf *b)
{
	char path[4096], tmp[4200];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		fprintf(stderr, ACL_PROG ": %s: path too long\n", dir);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, ACL_PROG ": cannot write %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	size_t off = 0;
	while (off < b->len) {
		ssize_t w = write(fd, b->data + off, b->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			fprintf(stderr, ACL_PROG ": cannot write %s: %s\n", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, ACL_PROG ": cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	printf("%s\n", path);
	return 0;
}

int wwtp_acl_main(int argc, char **argv)
{
	enum { O_STATIONS = 256, O_AUTH, O_PORT, O_BIND, O_CA, O_CERT, O_KEY, O_PWF, O_ACLP };
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"out", required_argument, NULL, 'o'},
	    {"stations", required_argument, NULL, O_STATIONS},
	    {"auth", required_argument, NULL, O_AUTH},
	    {"port", required_argument, NULL, O_PORT},
	    {"bind", required_argument, NULL, O_BIND},
	    {"cafile", required_argument, NULL, O_CA},
	    {"certfile", required_argument, NULL, O_CERT},
	    {"keyfile", required_argument, NULL, O_KEY},
	    {"password-file", required_argument, NULL, O_PWF},
	    {"acl-path", required_argument, NULL, O_ACLP},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct wwtp_central_cfg cfg; /* large: not on the stack */
	struct wwtp_acl_opts ao = {
	    .auth = WWTP_ACL_CERT,
	    .port = 8883,
	    .bind = "",
	    .cafile = "/etc/mosquitto/ca_certificates/ca.crt",
	    .certfile = "/etc/mosquitto/certs/server.crt",
	    .keyfile = "/etc/mosquitto/certs/server.key",
	    .password_file = "/etc/mosquitto/passwd",
	};
	const char *config = NULL, *out = NULL, *stations_dir = NULL, *acl_path = NULL;
	struct wwtp_station **list = NULL;
	size_t n = 0;
	int opt, rc, status = 0;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case O_STATIONS:
			stations_dir = optarg;
			break;
		case O_AUTH:
			if (wwtp_acl_parse_auth(optarg, &ao.auth) != 0)
				return wwtp_cli_bad(
				    &acl_cli, "--auth '%s': say cert, password or both", optarg);
			break;
		case O_PORT: {
			char *end;
			long p = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || p < 1 || p > 65535)
				return wwtp_cli_bad(&acl_cli, "--port '%s': a port is 1..65535",
						    optarg);
			ao.port = (int)p;
			break;
		}
		case O_BIND:
			ao.bind = optarg;
			break;
		case O_CA:
			ao.cafile = optarg;
			break;
		case O_CERT:
			ao.certfile = optarg;
			break;
		case O_KEY:
			ao.keyfile = optarg;
			break;
		case O_PWF:
			ao.password_file = optarg;
			break;
		case O_ACLP:
			acl_path = optarg;
			break;
		case 'h':
			acl_usage(stdout);
			return 0;
		default:
			return wwtp_cli_bad_option(&acl_cli, opt, argv);
		}
	}
	if (wwtp_cli_no_operand_and_config(&acl_cli, argc, argv, config) != 0)
		return WWTP_CLI_USAGE;
	if (!out)
		return wwtp_cli_bad(&acl_cli, "%s", "say where to write: --out DIR");

	status = wwtp_cli_load(config, &cfg, stations_dir, &list, &n);
	if (status != 0)
		return status;

	struct wwtp_acl_station *st = calloc(n ? n : 1, sizeof(*st));
	char abs_acl[4096], origin[600], why[512];
	struct wwtp_buf acl, conf;
	wwtp_buf_init(&acl, ACL_TEXT_MAX);
	wwtp_buf_init(&conf, ACL_TEXT_MAX);
	if (!st) {
		status = 1;
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		st[i].id = list[i]->id;
		st[i].prefix = list[i]->mqtt.topic_prefix;
		st[i].username =
		    list[i]->mqtt.auth.username[0] ? list[i]->mqtt.auth.username : list[i]->id;
		st[i].source = list[i]->path;
	}
	ao.central_user = cfg.mqtt.auth.username[0] ? cfg.mqtt.auth.username : "wwtp-central";
	ao.central_prefix = cfg.mqtt.topic_prefix;
	if (mkdir(out, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, ACL_PROG ": cannot make %s: %s\n", out, strerror(errno));
		status = 1;
		goto done;
	}
	if (!acl_path) {
		/* The broker runs elsewhere (its own working directory): an
		 * absolute path. */
		char *real = realpath(out, NULL);
		if (!real) {
			fprintf(stderr, ACL_PROG ": %s: %s\n", out, strerror(errno));
			status = 1;
			goto done;
		}
		snprintf(abs_acl, sizeof(abs_acl), "%s/acl", real);
		free(real);
		acl_path = abs_acl;
	}
	ao.acl_path = acl_path;
	snprintf(origin, sizeof(origin), "from %.280s (%zu stations)", config, n);
	ao.origin = origin;
	rc = wwtp_acl_generate(st, n, &ao, &acl, &conf, why, sizeof(why));
	if (rc != 0) {
		fprintf(stderr, ACL_PROG ": %s\n", why);
		status = rc == WWTP_ERR_INVAL ? WWTP_CLI_USAGE : 1;
		goto done;
	}
	if (write_file(out, "acl", &acl) != 0 || write_file(out, "mosquitto.conf", &conf) != 0)
		status = 1;
done:
	wwtp_buf_free(&acl);
	wwtp_buf_free(&conf);
	free(st);
	wwtp_station_list_free(list, n);
	return status;
}
