/* wwtp-central: the central side. Subscribes to every station's telemetry,
 * status and alerts, checks each payload against the registry of station
 * files, and writes what it accepts to InfluxDB through an on-disk spool.
 * The command line, the configuration and the counters are in
 * docs/central.md; the InfluxDB schema in docs/influxdb-schema.md.
 *
 * This file only parses the command line, wires the rooms together
 * (ingest/, monitor/, web/; report/ and admin/ are commands of their own)
 * and waits for a signal: docs/architecture.md. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../model/station.h"
#include "../station/station_config.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "admin/acl_cmd.h"
#include "admin/passwd_cmd.h"
#include "admin/verify_cmd.h"
#include "config/cli.h"
#include "config/config.h"
#include "ingest/ingest.h"
#include "ingest/registry.h"
#include "monitor/monitor.h"
#include "notify/notify.h"
#include "report/report.h"
#include "report/schedule.h"
#include "web/api.h"
#include "web/http.h"

#define PROG "wwtp-central"
#define MAIN_MOD "central"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

struct wiring {
	struct wwtp_monitor *mon;
	struct wwtp_notify *notify; /* NULL: no notify group */
	const struct wwtp_registry *reg;
	struct wwtp_ingest *in;
};

/* Until the monitor reports its alerts through alert_events.h (issue 17
 * item 1), each station's raw raise and clear is a note of its own. The
 * message is in the spool and not yet acknowledged to the broker: the note
 * is either in the outbox or delivered again. */
static void note_raw_alert(const struct wiring *w, const struct wwtp_in_msg *m)
{
	const struct wwtp_reg_station *st = wwtp_registry_find(w->reg, m->station);
	struct wwtp_alert_note a;

	memset(&a, 0, sizeof(a));
	a.edge = strcmp(m->event, "raised") == 0 ? WWTP_ALERT_NOTE_RAISED : WWTP_ALERT_NOTE_CLEARED;
	snprintf(a.id, sizeof(a.id), "%s", m->id);
	snprintf(a.station, sizeof(a.station), "%s", m->station);
	snprintf(a.station_name, sizeof(a.station_name), "%s", st ? st->name : "");
	snprintf(a.param, sizeof(a.param), "%s", m->param ? m->param : "");
	snprintf(a.device, sizeof(a.device), "%s", m->alert_device ? m->alert_device : "");
	snprintf(a.unit, sizeof(a.unit), "%s", m->unit ? m->unit : "");
	snprintf(a.kind, sizeof(a.kind), "%s", m->alert_kind);
	a.priority = wwtp_alert_priority_of_kind(m->alert_kind);
	if (m->has_window && m->window_s > 0) {
		a.windows_s[0] = (int)m->window_s;
		a.nwindows = 1;
	}
	a.value = m->has_value ? m->value : NAN;
	a.limit = m->has_limit ? m->limit : NAN;
	a.ratio = m->has_ratio ? m->ratio : NAN;
	a.since_ms = m->has_since ? m->since_ms : m->start_ms;
	a.start_ms = m->start_ms;
	a.end_ms = m->has_end ? m->end_ms
			      : (a.edge == WWTP_ALERT_NOTE_CLEARED && m->has_ts ? m->ts_ms : 0);
	a.count = 1;
	wwtp_notify_note(w->notify, &a);
}

/* The ingest's hook (ingest.h): each stored message to the monitor (and
 * its alerts to the notifier). */
static void on_stored(void *ctx, const struct wwtp_in_msg *m, int64_t now_ms)
{
	const struct wiring *w = ctx;

	wwtp_monitor_ingest(w->mon, m, now_ms);
	if (w->notify && m->kind == WWTP_MSG_ALERT)
		note_raw_alert(w, m);
}

/* /api/health: the ingest's part, then the notifier's. */
static void on_health(void *ctx, json_t *h)
{
	const struct wiring *w = ctx;

	wwtp_ingest_health(w->in, h);
	if (w->notify)
		wwtp_notify_health(w->notify, h);
}

#define SYNOPSIS                                                                                   \
	"Usage: " PROG " -c FILE [--check] [--log-level LEVEL]\n"                                  \
	"       " PROG " acl -c FILE --out DIR [...]   (the broker's ACL: acl --help)\n"           \
	"       " PROG " passwd (-f ACCOUNTS | -c FILE) USER ROLE   (web log-in: passwd --help)\n" \
	"       " PROG " report -c FILE (--month YYYY-MM | --quarter YYYY-Qn | --year YYYY)\n"     \
	"                 [--station ID] [--lang vi|en] --out DIR\n"                               \
	"       " PROG " verify -c FILE --station ID --from TIME --to TIME   (verify --help)\n"    \
	"       " PROG " --help | --version\n"

static void usage(FILE *f)
{
	fprintf(f, SYNOPSIS
		"\n"
		"Subscribes to the telemetry, status and alerts of every station in the\n"
		"configured stations folder and writes what it accepts to InfluxDB, until\n"
		"SIGTERM or SIGINT.\n"
		"\n"
		"  -c, --config FILE     central.cfg (required; see docs/central.md)\n"
		"      --check           only load and check FILE and the station files it\n"
		"                        names: print \"FILE: ok (...)\" and exit 0, or every\n"
		"                        problem and exit 2\n"
		"      --log-level LEVEL error, warn, info or debug (default info); logs go to\n"
		"                        standard error\n"
		"  -h, --help            show this help and exit\n"
		"  -V, --version         show the version and exit\n"
		"\n"
		"Exit status: 0 success; 1 failure at run time (cannot open the spool or\n"
		"start MQTT); 2 bad command line or bad configuration.\n");
}

static const struct wwtp_cli central_cli = {PROG, SYNOPSIS};

static int set_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
		return -1;
	sa.sa_handler = SIG_IGN; /* a closed socket is an error return, not death */
	return sigaction(SIGPIPE, &sa, NULL);
}

/* --check of the secret files: readable now (their content is the
 * InfluxDB client's business). */
static int check_secret(const char *path, const char *what)
{
	FILE *f;
	if (!path[0])
		return 0;
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "%s %s: cannot read: %s\n", what, path, strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

static size_t count_review(const struct wwtp_registry *reg)
{
	size_t n = 0;
	for (size_t i = 0; i < wwtp_registry_count(reg); i++)
		n += wwtp_registry_get(reg, i)->plan_review ? 1 : 0;
	return n;
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_LOG };
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check", no_argument, NULL, OPT_CHECK},
	    {"log-level", required_argument, NULL, OPT_LOG},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	static struct wwtp_central_cfg cfg; /* large: not on the stack */
	struct wwtp_station **stations = NULL;
	struct wwtp_registry *reg = NULL;
	struct wwtp_ingest *in = NULL;
	struct wwtp_monitor *mon = NULL;
	struct wwtp_api *api = NULL;
	struct wwtp_http *http = NULL;
	struct wwtp_auth *auth = NULL;
	struct wwtp_acks *acks = NULL;
	struct wwtp_notify *nt = NULL;
	struct wwtp_report_sched *rs = NULL;
	static struct wiring wire;
	const char *config = NULL;
	size_t nst = 0;
	int check = 0, opt, rc, status = 0;

	wwtp_log_set_ident(PROG);
	if (argc > 1 && strcmp(argv[1], "acl") == 0)
		return wwtp_acl_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "passwd") == 0)
		return wwtp_passwd_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return wwtp_report_cli(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "verify") == 0)
		return wwtp_verify_main(argc - 1, argv + 1);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case OPT_CHECK:
			check = 1;
			break;
		case OPT_LOG:
			if (wwtp_cli_log_level(&central_cli, optarg) != 0)
				return WWTP_CLI_USAGE;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROG " %s\n", WWTP_VERSION);
			return 0;
		default:
			return wwtp_cli_bad_option(&central_cli, opt, argv);
		}
	}
	if (wwtp_cli_no_operand_and_config(&central_cli, argc, argv, config) != 0)
		return WWTP_CLI_USAGE;

	status = wwtp_cli_load(config, &cfg, NULL, &stations, &nst);
	if (status != 0)
		return status;
	reg = wwtp_registry_new();
	rc = reg ? wwtp_registry_add_stations(reg, stations, nst) : WWTP_ERR_NOMEM;
	if (rc != 0) { /* out of memory: the loader has refused duplicate ids */
		fprintf(stderr, "%s: %s\n", config, wwtp_strerror(rc));
		wwtp_station_list_free(stations, nst);
		wwtp_registry_free(reg);
		return rc == WWTP_ERR_NOMEM ? 1 : WWTP_CLI_USAGE;
	}
	if (!check && wwtp_monitor_new(stations, nst, &cfg.flags, &mon) != 0) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		wwtp_station_list_free(stations, nst);
		wwtp_registry_free(reg);
		return 1;
	}
	/* A station publishing under another prefix would never be heard. */
	for (size_t i = 0; i < nst; i++)
		if (strcmp(stations[i]->mqtt.topic_prefix, cfg.mqtt.topic_prefix) != 0)
			LOG_WARN(MAIN_MOD,
				 "station %s (%s) publishes under topic prefix \"%s\", not \"%s\": "
				 "its messages will not be received",
				 stations[i]->id, stations[i]->path, stations[i]->mqtt.topic_prefix,
				 cfg.mqtt.topic_prefix);
	wwtp_station_list_free(stations, nst);
	/* A recipient of a station that is not there would never hear of it. */
	for (size_t i = 0; i < cfg.notify.ntargets; i++)
		for (size_t j = 0; j < cfg.notify.targets[i].nstations; j++) {
			const char *id = cfg.notify.targets[i].stations[j];
			if (strcmp(id, "*") != 0 && !wwtp_registry_find(reg, id))
				LOG_WARN(
				    MAIN_MOD,
				    "notify: %s asks for station \"%s\", which is not in %s: it "
				    "will get nothing of it",
				    cfg.notify.targets[i].addr, id, cfg.stations_dir);
		}

	if (check) {
		if (check_secret(cfg.influx.token_file, "token_file") != 0 ||
		    check_secret(cfg.influx.password_file, "password_file") != 0 ||
		    check_secret(cfg.mqtt.auth.password_file, "mqtt password_file") != 0 ||
		    check_secret(cfg.mqtt.auth.key_file, "mqtt key_file") != 0 ||
		    check_secret(cfg.notify.smtp.password_file, "notify.smtp password_file") != 0) {
			wwtp_registry_free(reg);
			return WWTP_CLI_USAGE;
		}
		printf("%s: ok (%zu stations, %zu under review; InfluxDB %s %s \"%s\" at %s)\n",
		       config, wwtp_registry_count(reg), count_review(reg),
		       cfg.influx.api == WWTP_INFLUX_V2 ? "2.x" : "1.x",
		       cfg.influx.api == WWTP_INFLUX_V2 ? "bucket" : "database",
		       cfg.influx.api == WWTP_INFLUX_V2 ? cfg.influx.bucket : cfg.influx.database,
		       cfg.influx.url);
		wwtp_registry_free(reg);
		return 0;
	}

	if (set_signals() != 0) {
		LOG_ERROR(MAIN_MOD, "cannot set signal handlers: %s", strerror(errno));
		wwtp_monitor_free(mon);
		wwtp_registry_free(reg);
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		LOG_ERROR(MAIN_MOD, "cannot initialise libcurl");
		wwtp_monitor_free(mon);
		wwtp_registry_free(reg);
		return 1;
	}
	LOG_INFO(MAIN_MOD, "%s starting: %zu stations (%zu under review), broker %s, spool %s",
		 WWTP_VERSION, wwtp_registry_count(reg), count_review(reg), cfg.mqtt.uri,
		 cfg.influx.spool_dir);
	if (cfg.notify.enabled &&
	    (wwtp_notify_new(&cfg.notify, &nt) != 0 || wwtp_notify_start(nt) != 0)) {
		status = 1;
		goto out;
	}
	if (cfg.report.enabled && wwtp_report_sched_start(&cfg, &rs) != 0) {
		status = 1;
		goto out;
	}
	wire.mon = mon;
	wire.notify = nt;
	wire.reg = reg;
	rc = wwtp_ingest_start(&cfg, reg, on_stored, &wire, &in);
	if (rc != 0) {
		status = 1;
		goto out;
	}
	wire.in = in;
	rc = wwtp_monitor_set_alarms(mon, &cfg.alarms);
	if (rc == 0)
		rc = wwtp_monitor_start(mon, &cfg.influx, wwtp_ingest_progress, in);
	if (rc != 0) {
		LOG_ERROR(MAIN_MOD, "cannot start the flags: %s", wwtp_strerror(rc));
		status = 1;
		goto out;
	}
	if (cfg.http_enabled) {
		struct wwtp_auth_cfg ac = {.accounts_file = cfg.http.accounts_file,
					   .session_idle_s = cfg.http.session_idle_s,
					   .session_max_s = cfg.http.session_max_s,
					   .max_failures = cfg.http.login_max_failures,
					   .lockout_max_s = cfg.http.login_lockout_max_s,
					   .first_wait_s = cfg.http.login_first_wait_s};
		if (wwtp_auth_new(&ac, &auth) != 0 ||
		    wwtp_acks_open(cfg.http.acks_file, &acks) != 0) {
			status = 1;
			goto out;
		}
		struct wwtp_api_opts ao = {.mon = mon,
					   .influx = &cfg.influx,
					   .health = on_health,
					   .health_ctx = &wire,
					   .auth = auth,
					   .acks = acks,
					   .reg = reg,
					   .lost_after_s = cfg.lost_after_s,
					   .lab = &cfg.lab};
		api = wwtp_api_new(&ao);
		if (!api || wwtp_http_start(&cfg, api, &http) != 0) {
			status = 1;
			goto out;
		}
	} else {
		LOG_INFO(MAIN_MOD, "no http group in %s: the HTTP API is off", config);
	}
	if (wwtp_ingest_connect(in) != 0) {
		status = 1;
		goto out;
	}

	while (!g_stop) {
		wwtp_sleep_ms(200, (const volatile int *)&g_stop);
		wwtp_ingest_tick(in);
	}
	LOG_INFO(MAIN_MOD, "stopping");

out:
	/* The API first (it reads everything else), then MQTT: no message
	 * arrives once the writer stops taking them. */
	wwtp_http_stop(http);
	/* A run under way reads InfluxDB, not the ingest: stopped first. */
	wwtp_report_sched_stop(rs);
	wwtp_ingest_disconnect(in);
	/* The monitor reads the writer's counters: it stops before the writer. */
	wwtp_monitor_free(mon);
	wwtp_ingest_free(in);
	/* After MQTT: no note arrives any more. */
	wwtp_notify_free(nt);
	wwtp_api_free(api);
	wwtp_acks_close(acks);
	wwtp_auth_free(auth);
	wwtp_registry_free(reg);
	curl_global_cleanup();
	return status;
}
