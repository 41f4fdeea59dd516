/* wwtp-central: the central side. Subscribes to every station's telemetry,
 * status and alerts, checks each payload against the registry of station
 * files, and writes what it accepts to InfluxDB through an on-disk spool.
 * The command line, the configuration and the counters are in
 * docs/central.md; the InfluxDB schema in docs/influxdb-schema.md. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../station/station.h"
#include "../station/station_config.h"
#include "../util/buf.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "ingest/ackpub.h"
#include "admin/acl_cmd.h"
#include "web/api.h"
#include "config/cli.h"
#include "config/config.h"
#include "ingest/decode.h"
#include "web/http.h"
#include "admin/passwd_cmd.h"
#include "ingest/lineproto.h"
#include "monitor/monitor.h"
#include "ingest/registry.h"
#include "report/report.h"
#include "ingest/sub.h"
#include "ingest/writer.h"

#define PROG "wwtp-central"
#define MAIN_MOD "central"
/* Cap of one message's line protocol: a 256 KiB payload of short readings
 * makes well under this. */
#define LINES_MAX (16u << 20)

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

struct central {
	const struct wwtp_central_cfg *cfg;
	const struct wwtp_registry *reg;
	struct wwtp_writer *writer;
	struct wwtp_monitor *mon;
	struct wwtp_sub *sub;
	struct wwtp_ackpub *ack; /* end-to-end acknowledgements (ackpub.h) */
	pthread_mutex_t lock;	 /* the counters */
	uint64_t received;
	uint64_t accepted[4]; /* by enum wwtp_msg_kind */
	uint64_t rejected[WWTP_REJECT_COUNT];
	uint64_t points;	/* encoded from accepted messages */
	uint64_t encode_errors; /* accepted but not encodable (a bug): logged */
	uint64_t put_errors;	/* encoded but not spooled: logged by the spool */
	struct wwtp_complain rej_complain[WWTP_REJECT_COUNT];
	struct wwtp_complain enc_complain;
	struct wwtp_buf lines; /* Paho's thread only */
};

/* Topic bytes fit for a log line. */
static void printable_topic(const char *t, size_t n, char *out, size_t size)
{
	size_t j = 0;
	for (size_t i = 0; i < n && j + 4 < size; i++)
		out[j++] = ((unsigned char)t[i] < 0x20 || t[i] == 0x7f) ? '?' : t[i];
	if (n > 0 && j + 4 >= size && size > 4) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = '\0';
}

static void on_message(const char *topic, size_t tlen, const void *payload, size_t len,
		       int retained, void *ctx)
{
	struct central *c = ctx;
	struct wwtp_reject_info why;
	struct wwtp_in_msg m;
	char tshow[128];
	size_t np = 0;
	(void)retained;

	int rc = wwtp_decode(topic, tlen, c->cfg->mqtt.topic_prefix, payload, len, c->reg,
			     wwtp_now_ms(), &m, &why);
	pthread_mutex_lock(&c->lock);
	c->received++;
	if (rc != 0) {
		if (rc == WWTP_ERR_INVAL && why.reason >= 0 && why.reason < WWTP_REJECT_COUNT) {
			uint64_t n = ++c->rejected[why.reason];
			printable_topic(topic, tlen, tshow, sizeof(tshow));
			/* Per reason, so one noisy sender does not hide the others. */
			wwtp_complain(&c->rej_complain[why.reason], WWTP_LOG_WARN, MAIN_MOD,
				      "rejected a message on %s: %s: %s (%" PRIu64 " %s so far)",
				      tshow, wwtp_reject_name(why.reason), why.text, n,
				      wwtp_reject_name(why.reason));
		} else {
			c->encode_errors++;
			LOG_ERROR(MAIN_MOD, "cannot decode a message: %s", wwtp_strerror(rc));
		}
		pthread_mutex_unlock(&c->lock);
		/* Refused for good: sending it again would not change that, so
		 * its number is acknowledged (not for a sender it may not be). */
		if (rc == WWTP_ERR_INVAL && why.reason != WWTP_REJECT_UNKNOWN_STATION &&
		    why.reason != WWTP_REJECT_TOPIC_MISMATCH && why.reason != WWTP_REJECT_BAD_TOPIC)
			wwtp_ackpub_note_refused(c->ack, topic, tlen, payload, len);
		return;
	}
	pthread_mutex_unlock(&c->lock);

	wwtp_buf_reset(&c->lines);
	rc = wwtp_lp_encode(&m, &c->lines, &np);
	if (rc == 0)
		rc = wwtp_writer_put(c->writer, c->lines.data, c->lines.len, np);
	/* After the writer has it: the monitor asks InfluxDB for it later. */
	if (rc == 0)
		wwtp_monitor_ingest(c->mon, &m, wwtp_now_ms());
	/* Acknowledged to the station once the spool has synced it. */
	if (rc == 0 && m.kind != WWTP_MSG_STATUS) {
		struct wwtp_writer_stats ws;
		wwtp_writer_get_stats(c->writer, &ws);
		wwtp_ackpub_note(c->ack, m.station, m.kind == WWTP_MSG_ALERT, m.seq, m.floor,
				 ws.points_in);
	}
	pthread_mutex_lock(&c->lock);
	if (rc == 0) {
		c->accepted[m.kind]++;
		c->points += np;
	} else if (c->lines.len == 0 || np == 0) {
		c->encode_errors++;
		wwtp_complain(&c->enc_complain, WWTP_LOG_ERROR, MAIN_MOD,
			      "cannot encode a %s message of %s: %s", wwtp_msg_kind_name(m.kind),
			      m.station, wwtp_strerror(rc));
	} else {
		c->put_errors++;
	}
	pthread_mutex_unlock(&c->lock);
	wwtp_in_msg_clear(&m);
}

/* ackpub's way out: retained, on the subscriber's connection. */
static int publish_ack(void *ctx, const char *topic, const char *payload, size_t len)
{
	struct central *c = ctx;
	return c->sub ? wwtp_sub_publish(c->sub, topic, payload, len, 1) : WWTP_ERR_CONN;
}

/* The monitor's watermark (monitor.h): how far the writer is. */
static void writer_progress(void *ctx, uint64_t *entered, uint64_t *done)
{
	struct central *c = ctx;
	struct wwtp_writer_stats ws;
	wwtp_writer_get_stats(c->writer, &ws);
	*entered = ws.points_entered;
	*done = ws.points_entered - ws.points_queued;
}

/* What /api/health adds about MQTT and the writer. */
static void api_health(void *ctx, json_t *h)
{
	struct central *c = ctx;
	struct wwtp_writer_stats ws;
	struct wwtp_sub_stats ss;
	json_t *mq = json_object(), *ix = json_object();

	wwtp_writer_get_stats(c->writer, &ws);
	memset(&ss, 0, sizeof(ss));
	if (c->sub)
		wwtp_sub_get_stats(c->sub, &ss);
	json_object_set_new(mq, "connected", json_boolean(ss.connected));
	json_object_set_new(mq, "messages", json_integer((json_int_t)ss.messages));
	json_object_set_new(ix, "writes_ok", json_boolean(ws.influx_ok));
	json_object_set_new(ix, "points_written", json_integer((json_int_t)ws.points_written));
	json_object_set_new(ix, "points_queued", json_integer((json_int_t)ws.points_queued));
	json_object_set_new(h, "mqtt", mq);
	json_object_set_new(h, "influxdb", ix);
}

/* One line with every counter (docs/central.md, "Counters"). */
static void log_summary(struct central *c, const struct wwtp_writer_stats *ws, int connected,
			const char *when)
{
	char rej[512];
	size_t used = 0;
	uint64_t nrej = 0;

	char internal[96];

	pthread_mutex_lock(&c->lock);
	internal[0] = '\0';
	if (c->encode_errors)
		snprintf(internal, sizeof(internal),
			 "; %" PRIu64 " messages not decodable or encodable (a bug, logged)",
			 c->encode_errors);
	rej[0] = '\0';
	for (int i = 0; i < WWTP_REJECT_COUNT; i++) {
		nrej += c->rejected[i];
		if (c->rejected[i] == 0)
			continue;
		int w = snprintf(rej + used, sizeof(rej) - used, " %s=%" PRIu64,
				 wwtp_reject_name(i), c->rejected[i]);
		if (w > 0 && (size_t)w < sizeof(rej) - used)
			used += (size_t)w;
	}
	LOG_INFO(MAIN_MOD,
		 "%s: received %" PRIu64 " (telemetry %" PRIu64 ", status %" PRIu64
		 ", alert %" PRIu64 "); rejected %" PRIu64 "%s%s%s; points accepted %" PRIu64
		 ", written %" PRIu64 ", queued %" PRIu64 " (%" PRIu64
		 " segments), dropped %" PRIu64 " (spool %" PRIu64 ", refused by InfluxDB %" PRIu64
		 "); InfluxDB requests %" PRIu64 ", failed %" PRIu64 "; MQTT %s%s",
		 when, c->received, c->accepted[WWTP_MSG_TELEMETRY], c->accepted[WWTP_MSG_STATUS],
		 c->accepted[WWTP_MSG_ALERT], nrej, nrej ? " (" : "", nrej ? rej + 1 : "",
		 nrej ? ")" : "", c->points, ws->points_written, ws->points_queued,
		 ws->segments_queued, ws->points_lost + ws->points_refused, ws->points_lost,
		 ws->points_refused, ws->requests, ws->failures,
		 connected ? "connected" : "not connected", internal);
	pthread_mutex_unlock(&c->lock);
}

#define SYNOPSIS                                                                                   \
	"Usage: " PROG " -c FILE [--check] [--log-level LEVEL]\n"                                  \
	"       " PROG " acl -c FILE --out DIR [...]   (the broker's ACL: acl --help)\n"           \
	"       " PROG " passwd (-f ACCOUNTS | -c FILE) USER ROLE   (web log-in: passwd --help)\n" \
	"       " PROG " report -c FILE --month YYYY-MM [--station ID] [--lang vi|en] --out DIR\n" \
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
	struct wwtp_sub *sub = NULL;
	struct wwtp_monitor *mon = NULL;
	struct wwtp_api *api = NULL;
	struct wwtp_http *http = NULL;
	struct wwtp_auth *auth = NULL;
	struct wwtp_acks *acks = NULL;
	struct central c;
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

	if (check) {
		if (check_secret(cfg.influx.token_file, "token_file") != 0 ||
		    check_secret(cfg.influx.password_file, "password_file") != 0 ||
		    check_secret(cfg.mqtt.auth.password_file, "mqtt password_file") != 0 ||
		    check_secret(cfg.mqtt.auth.key_file, "mqtt key_file") != 0) {
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
	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	c.reg = reg;
	c.mon = mon;
	pthread_mutex_init(&c.lock, NULL);
	for (int i = 0; i < WWTP_REJECT_COUNT; i++)
		c.rej_complain[i] = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	c.enc_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	wwtp_buf_init(&c.lines, LINES_MAX);
	c.ack = wwtp_ackpub_new(cfg.mqtt.topic_prefix, publish_ack, &c);
	if (!c.ack) {
		LOG_ERROR(MAIN_MOD, "out of memory");
		status = 1;
		goto out;
	}

	LOG_INFO(MAIN_MOD, "%s starting: %zu stations (%zu under review), broker %s, spool %s",
		 WWTP_VERSION, wwtp_registry_count(reg), count_review(reg), cfg.mqtt.uri,
		 cfg.influx.spool_dir);
	rc = wwtp_writer_start(&cfg.influx, &c.writer);
	if (rc != 0) {
		LOG_ERROR(MAIN_MOD, "cannot start the InfluxDB writer: %s%s%s%s", wwtp_strerror(rc),
			  rc == WWTP_ERR_ERRNO ? " (the spool folder " : "",
			  rc == WWTP_ERR_ERRNO ? cfg.influx.spool_dir : "",
			  rc == WWTP_ERR_ERRNO ? ": see the line above)" : "");
		status = 1;
		goto out;
	}
	rc = wwtp_monitor_start(mon, &cfg.influx, writer_progress, &c);
	if (rc != 0) {
		LOG_ERROR(MAIN_MOD, "cannot start the flags: %s", wwtp_strerror(rc));
		status = 1;
		goto out;
	}
	/* The subscriber is made before the API starts, because /api/health
	 * reads it; it connects once everything is up. */
	sub = wwtp_sub_new(&cfg.mqtt, on_message, &c);
	c.sub = sub;
	if (!sub) {
		status = 1;
		goto out;
	}
	if (cfg.http_enabled) {
		struct wwtp_auth_cfg ac = {.accounts_file = cfg.http.accounts_file,
					   .session_idle_s = cfg.http.session_idle_s,
					   .session_max_s = cfg.http.session_max_s,
					   .max_failures = cfg.http.login_max_failures,
					   .lockout_max_s = cfg.http.login_lockout_max_s};
		if (wwtp_auth_new(&ac, &auth) != 0 ||
		    wwtp_acks_open(cfg.http.acks_file, &acks) != 0) {
			status = 1;
			goto out;
		}
		struct wwtp_api_opts ao = {.mon = mon,
					   .influx = &cfg.influx,
					   .health = api_health,
					   .health_ctx = &c,
					   .auth = auth,
					   .acks = acks};
		api = wwtp_api_new(&ao);
		if (!api || wwtp_http_start(&cfg, api, &http) != 0) {
			status = 1;
			goto out;
		}
	} else {
		LOG_INFO(MAIN_MOD, "no http group in %s: the HTTP API is off", config);
	}
	if (wwtp_sub_connect(sub) != 0) {
		status = 1;
		goto out;
	}

	int64_t next_stats = wwtp_mono_ms() + (int64_t)cfg.stats_interval_s * 1000;
	while (!g_stop) {
		wwtp_sleep_ms(200, (const volatile int *)&g_stop);
		{
			struct wwtp_writer_stats ws;
			struct wwtp_sub_stats ss;
			wwtp_writer_get_stats(c.writer, &ws);
			wwtp_sub_get_stats(sub, &ss);
			wwtp_ackpub_pump(c.ack, ws.points_synced, ss.connects, wwtp_now_ms());
		}
		if (cfg.stats_interval_s > 0 && wwtp_mono_ms() >= next_stats) {
			struct wwtp_writer_stats ws;
			struct wwtp_sub_stats ss;
			wwtp_writer_get_stats(c.writer, &ws);
			wwtp_sub_get_stats(sub, &ss);
			log_summary(&c, &ws, ss.connected, "stats");
			next_stats += (int64_t)cfg.stats_interval_s * 1000;
		}
	}
	LOG_INFO(MAIN_MOD, "stopping");

out:
	/* The API first (it reads everything else), then MQTT: no message
	 * arrives once the writer stops taking them. */
	wwtp_http_stop(http);
	wwtp_sub_free(sub);
	c.sub = NULL;
	wwtp_ackpub_free(c.ack);
	c.ack = NULL;
	/* The monitor reads the writer's counters: it stops before the writer. */
	wwtp_monitor_free(mon);
	c.mon = NULL;
	if (c.writer) {
		struct wwtp_writer_stats ws;
		wwtp_writer_stop(c.writer, cfg.influx.timeout_ms, &ws);
		c.writer = NULL;
		log_summary(&c, &ws, 0, "at exit");
	}
	wwtp_buf_free(&c.lines);
	wwtp_api_free(api);
	wwtp_acks_close(acks);
	wwtp_auth_free(auth);
	pthread_mutex_destroy(&c.lock);
	wwtp_registry_free(reg);
	curl_global_cleanup();
	return status;
}
