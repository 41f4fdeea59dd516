/* config.c - central.cfg through descriptor tables (see config.h). */
#include "config.h"

#include <libconfig.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../../station/loader.h"
#include "../../station/mqtt_group.h"
#include "../../util/conffile.h"
#include "../../util/err.h"

#define CFG_NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct cfg_top {
	const config_setting_t *mqtt, *influxdb, *http, *flags, *alarms, *notify, *report, *lab;
	char stations_dir[WWTP_PATH_MAX];
	char profiles_dir[WWTP_PATH_MAX];
	int stats_interval_s;
	int lost_after_s;
};

static const struct wwtp_opt top_opts[] = {
    OPT_SUB("mqtt", WWTP_OPT_GROUP, WWTP_OPT_REQ, struct cfg_top, mqtt,
	    "add mqtt = { uri = \"tcp://127.0.0.1:1883\"; };"),
    OPT_SUB("influxdb", WWTP_OPT_GROUP, WWTP_OPT_REQ, struct cfg_top, influxdb,
	    "add influxdb = { url = \"http://127.0.0.1:8086\"; database = \"wwtp\"; };"),
    OPT_SUB("http", WWTP_OPT_GROUP, 0, struct cfg_top, http, NULL),
    OPT_SUB("flags", WWTP_OPT_GROUP, 0, struct cfg_top, flags, NULL),
    OPT_SUB("alarms", WWTP_OPT_GROUP, 0, struct cfg_top, alarms, NULL),
    OPT_SUB("notify", WWTP_OPT_GROUP, 0, struct cfg_top, notify, NULL),
    OPT_SUB("report", WWTP_OPT_GROUP, 0, struct cfg_top, report, NULL),
    OPT_SUB("lab", WWTP_OPT_GROUP, 0, struct cfg_top, lab, NULL),
    OPT_STR("stations_dir", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct cfg_top, stations_dir, NULL,
	    NULL, "the folder of station files, e.g. \"config/stations\""),
    OPT_STR("profiles_dir", WWTP_OPT_NONEMPTY, struct cfg_top, profiles_dir, NULL, "", NULL),
    OPT_INT("stats_interval_s", 0, struct cfg_top, stats_interval_s, 0, 86400, 300),
    /* Completeness (docs/central.md): a poll not stored this long after its
     * time counts as lost; one stored later counts as late. */
    OPT_INT("lost_after_s", 0, struct cfg_top, lost_after_s, 1, 30 * 86400, 3600),
};

static const struct wwtp_opt mqtt_opts[] = {
    /* QoS 0 would lose messages while we are away; see mqtt_group.h. */
    WWTP_MQTT_GROUP_OPTS("wwtp-central", 5, 1),
};

static const struct wwtp_opt influx_opts[] = {
    OPT_STR("url", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct wwtp_central_influx, url, NULL, NULL,
	    "the server's base URL, e.g. \"http://127.0.0.1:8086\""),
    OPT_STR("database", WWTP_OPT_NONEMPTY, struct wwtp_central_influx, database, NULL, "", NULL),
    OPT_STR("retention_policy", WWTP_OPT_NONEMPTY, struct wwtp_central_influx, retention_policy,
	    NULL, "", NULL),
    OPT_STR("username", WWTP_OPT_NONEMPTY, struct wwtp_central_influx, username, NULL, "", NULL),
    OPT_STR("password_file", WWTP_OPT_NONEMPTY, struct wwtp_central_influx, password_file, NULL, "",
	    NULL),
    OPT_BOOL("create_database", 0, struct wwtp_central_influx, create_database, 0),
    OPT_STR("org", WWTP_OPT_NONEMPTY, struct wwtp_central_influx, org, NULL, "", NULL),
    OPT_STR("bucket", WWTP_OPT_NONEMPTY, struct wwtp_central_influx, bucket, NULL, "", NULL),
    OPT_STR("token_file", WWTP_OPT_NONEMPTY, struct wwtp_central_influx, token_file, NULL, "",
	    NULL),
    OPT_INT("batch_max_points", 0, struct wwtp_central_influx, batch_max_points, 1, 100000, 5000),
    OPT_INT("batch_max_ms", 0, struct wwtp_central_influx, batch_max_ms, 10, 600000, 250),
    OPT_INT("gzip_min_bytes", 0, struct wwtp_central_influx, gzip_min_bytes, 0, 1000000000, 4096),
    OPT_INT("timeout_ms", 0, struct wwtp_central_influx, timeout_ms, 100, 600000, 10000),
    OPT_INT("connect_timeout_ms", 0, struct wwtp_central_influx, connect_timeout_ms, 100, 600000,
	    3000),
    OPT_INT("retry_min_ms", 0, struct wwtp_central_influx, retry_min_ms, 10, 3600000, 1000),
    OPT_INT("retry_max_ms", 0, struct wwtp_central_influx, retry_max_ms, 10, 3600000, 60000),
    OPT_STR("spool_dir", WWTP_OPT_NONEMPTY, struct wwtp_central_influx, spool_dir, NULL,
	    "/var/lib/wwtp-central/spool", NULL),
    OPT_INT("spool_max_mb", 0, struct wwtp_central_influx, spool_max_mb, 1, 1048576, 1024),
};

static const struct wwtp_opt http_opts[] = {
    OPT_STR("listen", WWTP_OPT_NONEMPTY, struct wwtp_central_http, listen, NULL, "127.0.0.1:8080",
	    "\"host:port\", e.g. \"127.0.0.1:8080\""),
    OPT_STR("accounts_file", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct wwtp_central_http,
	    accounts_file, NULL, NULL,
	    "the log-in accounts, e.g. \"/etc/wwtp/accounts\": make it with `wwtp-central passwd "
	    "--file FILE USER ROLE` (docs/web.md)"),
    OPT_STR("acks_file", WWTP_OPT_NONEMPTY, struct wwtp_central_http, acks_file, NULL,
	    "/var/lib/wwtp-central/acks.jsonl", NULL),
    OPT_INT("session_idle_s", 0, struct wwtp_central_http, session_idle_s, 2, 86400, 1800),
    OPT_INT("session_max_s", 0, struct wwtp_central_http, session_max_s, 2, 30 * 86400, 43200),
    OPT_INT("login_max_failures", 0, struct wwtp_central_http, login_max_failures, 1, 100, 5),
    OPT_INT("login_lockout_max_s", 0, struct wwtp_central_http, login_lockout_max_s, 1, 86400, 900),
    OPT_INT("login_first_wait_s", 0, struct wwtp_central_http, login_first_wait_s, 1, 3600, 1),
    OPT_STR("tls_cert_file", WWTP_OPT_NONEMPTY, struct wwtp_central_http, tls_cert_file, NULL, "",
	    NULL),
    OPT_STR("tls_key_file", WWTP_OPT_NONEMPTY, struct wwtp_central_http, tls_key_file, NULL, "",
	    NULL),
    OPT_INT("max_body_bytes", 0, struct wwtp_central_http, max_body_bytes, 256, 1048576, 16384),
    OPT_INT("connections", 0, struct wwtp_central_http, connections, 1, 10000, 64),
    OPT_INT("connections_per_ip", 0, struct wwtp_central_http, connections_per_ip, 1, 10000, 16),
    OPT_INT("timeout_s", 0, struct wwtp_central_http, timeout_s, 1, 3600, 15),
};

/* alarms = { fault = { on_delay_s = 1800; off_delay_s = 7200; rearm_s = 21600; }; ... };
 * one group per kind, each key optional: what is absent keeps the kind's
 * default (central/monitor/episodes.c, docs/alerts.md). */
struct cfg_alarm_kinds {
	const config_setting_t *k[WWTP_ALERT_KINDS];
};
#define C_KIND(name, i) OPT_SUB(name, WWTP_OPT_GROUP, 0, struct cfg_alarm_kinds, k[i], NULL)
static const struct wwtp_opt alarm_kind_opts[] = {
    C_KIND("exceedance", WWTP_ALERT_EXCEEDANCE), C_KIND("range", WWTP_ALERT_RANGE),
    C_KIND("fault", WWTP_ALERT_FAULT),		 C_KIND("calibration", WWTP_ALERT_CALIBRATION),
    C_KIND("offline", WWTP_ALERT_OFFLINE),	 C_KIND("availability", WWTP_ALERT_AVAILABILITY),
};
static const struct wwtp_opt alarm_opts[] = {
    OPT_INT("on_delay_s", 0, struct wwtp_alarm_policy, on_delay_s, 0, 604800, 0),
    OPT_INT("off_delay_s", 0, struct wwtp_alarm_policy, off_delay_s, 0, 604800, 0),
    OPT_INT("rearm_s", 0, struct wwtp_alarm_policy, rearm_s, 0, 604800, 0),
};

static void load_alarms(struct wwtp_ld *L, const config_setting_t *g,
			struct wwtp_alarm_policies *out)
{
	struct cfg_alarm_kinds kinds;
	memset(&kinds, 0, sizeof(kinds));
	wwtp_alarm_policies_default(out);
	wwtp_walk(L, g, alarm_kind_opts, CFG_NELEM(alarm_kind_opts), &kinds, "alarms", NULL);
	for (int k = 0; k < WWTP_ALERT_KINDS; k++) {
		struct wwtp_alarm_policy p;
		char what[48];
		if (!kinds.k[k])
			continue;
		snprintf(what, sizeof(what), "alarms.%s", wwtp_alert_kind_name(k));
		uint64_t bad = 0, seen = wwtp_walk(L, kinds.k[k], alarm_opts, CFG_NELEM(alarm_opts),
						   &p, what, &bad);
		seen &= ~bad;
		if (seen & 1)
			out->kind[k].on_delay_s = p.on_delay_s;
		if (seen & 2)
			out->kind[k].off_delay_s = p.off_delay_s;
		if (seen & 4)
			out->kind[k].rearm_s = p.rearm_s;
	}
	if (out->kind[WWTP_ALERT_EXCEEDANCE].on_delay_s || out->kind[WWTP_ALERT_RANGE].on_delay_s)
		wwtp_ld_problem(L, g,
				"alarms: exceedance and range take no on_delay_s: an exceedance "
				"is raised when its window is judged, never later");
}

/* Defaults: docs/flags.md says why each. */
/* Laboratory samples (ingest/labsample.h, docs/central.md): half an hour
 * either side of the time taken covers a grab sample's own handling while
 * staying within the plant's steady state; 20 % is a starting setting
 * for an analyzer against a laboratory method, not a regulation's figure:
 * set it to what the office's quality procedure says. */
static const struct wwtp_opt lab_opts[] = {
    OPT_INT("window_s", 0, struct wwtp_central_lab, window_s, 60, 86400, 1800),
    OPT_FLT("tolerance_pct", 0, struct wwtp_central_lab, tolerance_pct, 0.0, 1000.0, 20.0),
    OPT_FLT("tolerance_abs", 0, struct wwtp_central_lab, tolerance_abs, 0.0, 1e9, 0.0),
};

static const struct wwtp_opt flag_opts[] = {
    OPT_INT("window_h", 0, struct wwtp_flag_cfg, window_h, 1, 744, 168),
    OPT_INT("min_hours", 0, struct wwtp_flag_cfg, min_hours, 1, 744, 12),
    OPT_INT("refresh_s", 0, struct wwtp_flag_cfg, refresh_s, 1, 3600, 10),
    OPT_FLT("hour_min_ok", 0, struct wwtp_flag_cfg, hour_min_ok, 0.0, 1.0, 0.75),
    OPT_FLT("compliance_min", 0, struct wwtp_flag_cfg, compliance_min, 0.0, 1.0, 0.90),
    OPT_FLT("availability_min", 0, struct wwtp_flag_cfg, availability_min, 0.0, 1.0, 0.75),
    OPT_FLT("fault_max", 0, struct wwtp_flag_cfg, fault_max, 0.0, 1.0, 0.20),
    OPT_FLT("cod_removal_min", 0, struct wwtp_flag_cfg, cod_removal_min, 0.0, 1.0, 0.80),
    OPT_FLT("nh4_removal_min", 0, struct wwtp_flag_cfg, nh4_removal_min, 0.0, 1.0, 0.70),
    OPT_FLT("hydraulic_max", 0, struct wwtp_flag_cfg, hydraulic_max, 0.0, 10.0, 1.10),
    OPT_FLT("suspect_max", 0, struct wwtp_flag_cfg, suspect_max, 0.0, 1.0, 0.20),
    OPT_FLT("hysteresis", 0, struct wwtp_flag_cfg, hysteresis, 0.0, 0.5, 0.03),
};

/* The notify group (docs/notify.md). */
struct notify_in {
	const config_setting_t *smtp, *recipients, *webhooks;
	char dir[WWTP_PATH_MAX];
	int min_interval_s, delay_s, timeout_s, retry_min_s, retry_max_s, keep_days;
};
struct target_in {
	char addr[WWTP_NOTIFY_ADDR_MAX];
	const config_setting_t *stations;
	char min_priority[8];
};

/* The words of central/monitor/alert_events.h's priorities (config sits
 * below the monitor: the notifier turns the word into the priority). */
static int parse_priority(const char *s, void *out)
{
	static const char *const w[] = {"low", "medium", "high", NULL};
	for (size_t i = 0; w[i]; i++)
		if (strcmp(s, w[i]) == 0) {
			snprintf(out, 8, "%s", w[i]);
			return 0;
		}
	return -1;
}

static int parse_use_ssl(const char *s, void *out)
{
	static const char *const w[] = {"none", "try", "required"};
	for (int i = 0; i < 3; i++)
		if (strcmp(s, w[i]) == 0) {
			*(int *)out = i;
			return 0;
		}
	return -1;
}

#define HINT_PRIO "\"high\", \"medium\" or \"low\""
static const struct wwtp_opt notify_opts[] = {
    OPT_SUB("smtp", WWTP_OPT_GROUP, 0, struct notify_in, smtp, NULL),
    OPT_SUB("recipients", WWTP_OPT_LIST, 0, struct notify_in, recipients, NULL),
    OPT_SUB("webhooks", WWTP_OPT_LIST, 0, struct notify_in, webhooks, NULL),
    OPT_STR("dir", WWTP_OPT_NONEMPTY, struct notify_in, dir, NULL, "/var/lib/wwtp-central/notify",
	    NULL),
    OPT_INT("min_interval_s", 0, struct notify_in, min_interval_s, 0, 86400, 300),
    OPT_INT("delay_s", 0, struct notify_in, delay_s, 0, 3600, 10),
    OPT_INT("timeout_s", 0, struct notify_in, timeout_s, 1, 600, 30),
    OPT_INT("retry_min_s", 0, struct notify_in, retry_min_s, 1, 86400, 30),
    OPT_INT("retry_max_s", 0, struct notify_in, retry_max_s, 1, 86400, 3600),
    OPT_INT("keep_days", 0, struct notify_in, keep_days, 1, 3650, 30),
};

static const struct wwtp_opt smtp_opts[] = {
    OPT_STR("url", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct wwtp_notify_smtp, url, NULL, NULL,
	    "the mail server, e.g. \"smtp://127.0.0.1:25\" or \"smtps://mail.example.vn:465\""),
    OPT_STR("from", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct wwtp_notify_smtp, from, NULL, NULL,
	    "the sender's address, e.g. \"giamsat@example.vn\""),
    OPT_STR("username", WWTP_OPT_NONEMPTY, struct wwtp_notify_smtp, username, NULL, "", NULL),
    OPT_STR("password_file", WWTP_OPT_NONEMPTY, struct wwtp_notify_smtp, password_file, NULL, "",
	    NULL),
    OPT_STR("ca_file", WWTP_OPT_NONEMPTY, struct wwtp_notify_smtp, ca_file, NULL, "", NULL),
    OPT_ENUM("use_ssl", 0, struct wwtp_notify_smtp, use_ssl, parse_use_ssl, "none",
	     "\"none\", \"try\" or \"required\" (STARTTLS; smtps:// is TLS from the start)"),
};

static const struct wwtp_opt rcpt_opts[] = {
    OPT_STR("email", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct target_in, addr, NULL, NULL,
	    "an address, e.g. \"thanhtra@example.vn\""),
    OPT_SUB("stations", WWTP_OPT_SEQ, 0, struct target_in, stations, NULL),
    OPT_ENUM("min_priority", 0, struct target_in, min_priority, parse_priority, "high", HINT_PRIO),
};

static const struct wwtp_opt hook_opts[] = {
    OPT_STR("url", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct target_in, addr, NULL, NULL,
	    "an http:// or https:// URL"),
    OPT_SUB("stations", WWTP_OPT_SEQ, 0, struct target_in, stations, NULL),
    OPT_ENUM("min_priority", 0, struct target_in, min_priority, parse_priority, "high", HINT_PRIO),
};

static void cfg_parse_error(struct wwtp_ld *L, const config_t *cf)
{
	const char *ef = config_error_file(cf), *text = config_error_text(cf);
	char file[512];

	if (!ef || strcmp(ef, L->file) == 0 || ef[0] == '/' || !L->include_dir)
		snprintf(file, sizeof(file), "%s", ef ? ef : L->file);
	else
		snprintf(file, sizeof(file), "%s/%s", L->include_dir, ef);
	if (config_error_type(cf) == CONFIG_ERR_FILE_IO)
		wwtp_diag_add(L->diag, file, 0, "cannot read file");
	else
		wwtp_diag_add(L->diag, file, config_error_line(cf), "%s",
			      text ? text : "syntax error");
}

static const config_setting_t *member(const config_setting_t *grp, const char *key)
{
	return grp ? config_setting_get_member(grp, key) : NULL;
}

/* "host:port" with a port 1..65535; the host may be a [v6] literal. */
static int valid_listen(const char *s)
{
	const char *colon = strrchr(s, ':');
	long port = 0;

	if (!colon || colon == s || colon[1] == '\0')
		return 0;
	for (const char *p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			return 0;
		port = port * 10 + (*p - '0');
	}
	return port >= 1 && port <= 65535;
}

static int has_scheme(const char *uri, const char *const *schemes)
{
	for (size_t i = 0; schemes[i]; i++)
		if (strncmp(uri, schemes[i], strlen(schemes[i])) == 0 && uri[strlen(schemes[i])])
			return 1;
	return 0;
}

static void check_mqtt(struct wwtp_ld *L, const config_setting_t *g, struct wwtp_mqtt_cfg *m)
{
	static const char *const schemes[] = {"tcp://", "mqtt://", "ssl://", "mqtts://",
					      "ws://",	"wss://",  NULL};
	size_t n = strlen(m->topic_prefix);

	if (m->uri[0] && !has_scheme(m->uri, schemes))
		wwtp_ld_problem(L, member(g, "uri"),
				"mqtt: uri \"%.64s\" must start with tcp://, ssl://, mqtt://, "
				"mqtts://, ws:// or wss://",
				m->uri);
	if (n > 0 && (m->topic_prefix[0] == '/' || m->topic_prefix[n - 1] == '/' ||
		      strstr(m->topic_prefix, "//")))
		wwtp_ld_problem(L, member(g, "topic_prefix"),
				"mqtt: topic_prefix \"%s\" must not begin or end with '/' or hold "
				"an empty level",
				m->topic_prefix);
	const char *akey;
	const char *why = wwtp_mqtt_auth_problem(&m->auth, m->uri, &akey);
	if (why)
		wwtp_ld_problem(L, member(g, akey), "mqtt: %s", why);
}

static void check_influx(struct wwtp_ld *L, const config_setting_t *g,
			 struct wwtp_central_influx *f)
{
	static const char *const schemes[] = {"http://", "https://", NULL};
	int v1 = f->database[0] != '\0';
	int v2 = f->org[0] || f->bucket[0] || f->token_file[0];
	size_t n;

	if (f->url[0] && !has_scheme(f->url, schemes))
		wwtp_ld_problem(L, member(g, "url"),
				"influxdb: url \"%.64s\" must start with http:// or https://",
				f->url);
	/* A base URL: paths are appended to it. */
	n = strlen(f->url);
	while (n > 0 && f->url[n - 1] == '/')
		f->url[--n] = '\0';
	if (strchr(f->url, '?'))
		wwtp_ld_problem(
		    L, member(g, "url"),
		    "influxdb: url must not hold a query ('?'): give the server's base URL");

	if (v1 && v2) {
		wwtp_ld_problem(L, g,
				"influxdb: set either database (InfluxDB 1.x) or org, bucket and "
				"token_file (2.x, 3.x), not both");
	} else if (!v1 && !v2) {
		wwtp_ld_problem(L, g,
				"influxdb: say where to write: database = \"wwtp\"; (InfluxDB 1.x) "
				"or org, bucket and token_file (2.x, 3.x)");
	} else if (v2) {
		f->api = WWTP_INFLUX_V2;
		if (!f->org[0] || !f->bucket[0] || !f->token_file[0])
			wwtp_ld_problem(L, g,
					"influxdb: the 2.x write API needs all of org, bucket and "
					"token_file");
		static const char *const v1_only[] = {"retention_policy", "username",
						      "password_file", "create_database", NULL};
		for (size_t i = 0; v1_only[i]; i++)
			if (member(g, v1_only[i]))
				wwtp_ld_problem(L, member(g, v1_only[i]),
						"influxdb: %s is for InfluxDB 1.x (database = ...) "
						"only",
						v1_only[i]);
	} else {
		f->api = WWTP_INFLUX_V1;
		if (!f->username[0] != !f->password_file[0])
			wwtp_ld_problem(L, member(g, f->username[0] ? "username" : "password_file"),
					"influxdb: username and password_file go together");
	}
	if (f->retry_min_ms > f->retry_max_ms)
		wwtp_ld_problem(L, member(g, "retry_min_ms"),
				"influxdb: retry_min_ms (%d) must not exceed retry_max_ms (%d)",
				f->retry_min_ms, f->retry_max_ms);
}

/* An address as SMTP takes it between < and >: local@domain, printable,
 * no spaces, brackets or quotes (nothing that could end the command). */
static int valid_mailbox(const char *s)
{
	const char *at = strchr(s, '@');

	if (!at || at == s || !at[1] || strchr(at + 1, '@'))
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("<>()[]\\,;:\"", *p))
			return 0;
	return 1;
}

static void load_stations(struct wwtp_ld *L, const config_setting_t *seq, const char *what,
			  struct wwtp_notify_target *t)
{
	int n = seq ? config_setting_length(seq) : 0;

	t->nstations = 0;
	if (!seq) { /* not given: every station */
		memcpy(t->stations[0], "*", 2);
		t->nstations = 1;
		return;
	}
	if (n == 0)
		wwtp_ld_problem(L, seq, "%s: stations is empty: give [ \"*\" ] or station ids",
				what);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(seq, (unsigned)i);
		const char *id = config_setting_get_string(e);
		if (!id || !id[0] || strlen(id) >= WWTP_ID_MAX) {
			wwtp_ld_problem(
			    L, e, "%s: stations must hold station ids (strings) or \"*\"", what);
			continue;
		}
		if (t->nstations == WWTP_NOTIFY_STATIONS_MAX) {
			wwtp_ld_problem(L, e, "%s: at most %d stations (or \"*\")", what,
					WWTP_NOTIFY_STATIONS_MAX);
			return;
		}
		memcpy(t->stations[t->nstations++], id, strlen(id) + 1);
	}
}

static void load_targets(struct wwtp_ld *L, const config_setting_t *list, int mail,
			 struct wwtp_central_notify *nf)
{
	static const char *const http_schemes[] = {"http://", "https://", NULL};
	int n = list ? config_setting_length(list) : 0;

	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct target_in in;
		char what[48];

		snprintf(what, sizeof(what), "notify.%s[%d]", mail ? "recipients" : "webhooks", i);
		if (!config_setting_is_group(g)) {
			wwtp_ld_problem(L, g, "%s must be a group { ... }", what);
			continue;
		}
		memset(&in, 0, sizeof(in));
		wwtp_walk(L, g, mail ? rcpt_opts : hook_opts,
			  mail ? CFG_NELEM(rcpt_opts) : CFG_NELEM(hook_opts), &in, what, NULL);
		if (nf->ntargets == WWTP_NOTIFY_TARGETS_MAX) {
			wwtp_ld_problem(L, g, "notify: at most %d recipients and webhooks in all",
					WWTP_NOTIFY_TARGETS_MAX);
			return;
		}
		if (mail && in.addr[0] && !valid_mailbox(in.addr))
			wwtp_ld_problem(L, member(g, "email"),
					"%s: email \"%.64s\" is not an address like "
					"\"thanhtra@example.vn\"",
					what, in.addr);
		if (!mail && in.addr[0] &&
		    (!has_scheme(in.addr, http_schemes) || strpbrk(in.addr, " \r\n")))
			wwtp_ld_problem(L, member(g, "url"),
					"%s: url \"%.64s\" must start with http:// or https://",
					what, in.addr);
		struct wwtp_notify_target *t = &nf->targets[nf->ntargets++];
		t->mail = mail;
		memcpy(t->addr, in.addr, sizeof(t->addr));
		memcpy(t->min_priority, in.min_priority, sizeof(t->min_priority));
		load_stations(L, in.stations, what, t);
	}
}

static void load_notify(struct wwtp_ld *L, const config_setting_t *g,
			struct wwtp_central_notify *nf)
{
	static const char *const smtp_schemes[] = {"smtp://", "smtps://", NULL};
	struct notify_in in;

	memset(&in, 0, sizeof(in));
	wwtp_walk(L, g, notify_opts, CFG_NELEM(notify_opts), &in, "notify", NULL);
	memcpy(nf->dir, in.dir, sizeof(nf->dir));
	nf->min_interval_s = in.min_interval_s;
	nf->delay_s = in.delay_s;
	nf->timeout_s = in.timeout_s;
	nf->retry_min_s = in.retry_min_s;
	nf->retry_max_s = in.retry_max_s;
	nf->keep_days = in.keep_days;
	nf->enabled = g != NULL;
	if (!g)
		return;
	nf->has_smtp = in.smtp != NULL;
	if (nf->has_smtp) {
		wwtp_walk(L, in.smtp, smtp_opts, CFG_NELEM(smtp_opts), &nf->smtp, "notify.smtp",
			  NULL);
		if (nf->smtp.url[0] && !has_scheme(nf->smtp.url, smtp_schemes))
			wwtp_ld_problem(
			    L, member(in.smtp, "url"),
			    "notify.smtp: url \"%.64s\" must start with smtp:// or smtps://",
			    nf->smtp.url);
		if (nf->smtp.from[0] && !valid_mailbox(nf->smtp.from))
			wwtp_ld_problem(L, member(in.smtp, "from"),
					"notify.smtp: from \"%.64s\" is not an address like "
					"\"giamsat@example.vn\"",
					nf->smtp.from);
		if (!nf->smtp.username[0] != !nf->smtp.password_file[0])
			wwtp_ld_problem(
			    L, member(in.smtp, nf->smtp.username[0] ? "username" : "password_file"),
			    "notify.smtp: username and password_file go together");
	}
	load_targets(L, in.recipients, 1, nf);
	load_targets(L, in.webhooks, 0, nf);
	for (size_t i = 0; i < nf->ntargets; i++)
		if (nf->targets[i].mail && !nf->has_smtp) {
			wwtp_ld_problem(
			    L, in.recipients,
			    "notify: recipients need an smtp group: smtp = { url = "
			    "\"smtp://127.0.0.1:25\"; from = \"giamsat@example.vn\"; };");
			break;
		}
	if (nf->retry_min_s > nf->retry_max_s)
		wwtp_ld_problem(L, member(g, "retry_min_s"),
				"notify: retry_min_s (%d) must not exceed retry_max_s (%d)",
				nf->retry_min_s, nf->retry_max_s);
}

/* The report group (docs/report.md): one table, over the settings and the
 * two lists the walk leaves to load_report(). */
struct report_in {
	struct wwtp_central_report r;
	const config_setting_t *distribution, *emails;
};

static int parse_lang(const char *s, void *out)
{
	if (strcmp(s, "vi") != 0 && strcmp(s, "en") != 0)
		return -1;
	snprintf(out, 4, "%s", s);
	return 0;
}

#define RPT_STR(k, fl, f, def) OPT_STR(k, fl, struct report_in, r.f, NULL, def, NULL)
#define RPT_INT(k, f, lo, hi, def) OPT_INT(k, 0, struct report_in, r.f, lo, hi, def)
static const struct wwtp_opt report_opts[] = {
    RPT_STR("issuer_parent", 0, issuer_parent, ""),
    RPT_STR("issuer", WWTP_OPT_NONEMPTY, issuer, "HỆ THỐNG GIÁM SÁT NƯỚC THẢI"),
    RPT_STR("place", WWTP_OPT_NONEMPTY, place, "Hà Nội"),
    RPT_STR("number_pattern", WWTP_OPT_NONEMPTY, number_pattern, "%n/BC-GSNT"),
    RPT_STR("signer_authority", 0, signer_authority, ""),
    RPT_STR("signer_title", WWTP_OPT_NONEMPTY, signer_title, "NGƯỜI LẬP BÁO CÁO"),
    RPT_STR("signer_name", 0, signer_name, ""),
    OPT_SUB("distribution", WWTP_OPT_SEQ, 0, struct report_in, distribution, NULL),
    OPT_ENUM("lang", 0, struct report_in, r.lang, parse_lang, "vi", "\"vi\" or \"en\""),
    RPT_STR("dir", WWTP_OPT_NONEMPTY, dir, "/var/lib/wwtp-central/reports"),
    RPT_INT("day", day, 1, 19, 5),
    RPT_INT("quarter_day", quarter_day, 1, 24, 15),
    RPT_INT("year_day", year_day, 1, 19, 10),
    RPT_INT("delay_s", delay_s, 0, 86400, 600),
    RPT_INT("retry_s", retry_s, 1, 86400, 900),
    RPT_STR("chromium", WWTP_OPT_NONEMPTY, chromium, ""),
    OPT_SUB("emails", WWTP_OPT_SEQ, 0, struct report_in, emails, NULL),
};

/* Strings of a list into rows of cap bytes; returns how many. */
static size_t load_strings(struct wwtp_ld *L, const config_setting_t *seq, const char *what,
			   char *rows, size_t cap, size_t max, int mail)
{
	size_t n = 0;
	for (int i = 0; seq && i < config_setting_length(seq); i++) {
		const config_setting_t *e = config_setting_get_elem(seq, (unsigned)i);
		const char *v = config_setting_get_string(e);
		if (!v || !v[0] || strlen(v) >= cap || (mail && !valid_mailbox(v))) {
			wwtp_ld_problem(L, e, "report: %s must hold %s (at most %zu bytes)", what,
					mail ? "e-mail addresses" : "non-empty strings", cap - 1);
			continue;
		}
		if (n == max) {
			wwtp_ld_problem(L, e, "report: at most %zu %s", max, what);
			break;
		}
		memcpy(rows + n * cap, v, strlen(v) + 1);
		n++;
	}
	return n;
}

static void load_report(struct wwtp_ld *L, const config_setting_t *g, struct wwtp_central_report *r,
			const struct wwtp_central_notify *nf)
{
	static const char *const dist_default[] = {
	    "Sở Công Thương thành phố Hà Nội",
	    "Sở Tài nguyên và Môi trường thành phố Hà Nội",
	    "UBND quận, huyện, thị xã nơi có cụm công nghiệp",
	    "Lưu: VT",
	};
	static struct report_in in; /* large: not on the stack */

	memset(&in, 0, sizeof(in));
	wwtp_walk(L, g, report_opts, CFG_NELEM(report_opts), &in, "report", NULL);
	*r = in.r;
	r->enabled = g != NULL;
	if (in.distribution)
		r->ndistribution =
		    load_strings(L, in.distribution, "distribution", &r->distribution[0][0],
				 WWTP_REPORT_TEXT_MAX, WWTP_REPORT_DIST_MAX, 0);
	else
		for (size_t i = 0; i < CFG_NELEM(dist_default); i++)
			snprintf(r->distribution[r->ndistribution++], WWTP_REPORT_TEXT_MAX, "%s",
				 dist_default[i]);
	r->nemails = load_strings(L, in.emails, "emails", &r->emails[0][0], WWTP_NOTIFY_ADDR_MAX,
				  WWTP_REPORT_EMAILS_MAX, 1);
	if (r->number_pattern[0] && !strstr(r->number_pattern, "%n"))
		wwtp_ld_problem(L, member(g, "number_pattern"),
				"report: number_pattern \"%.64s\" must hold %%n (the number), "
				"e.g. \"%%n/BC-GSNT\"",
				r->number_pattern);
	if (r->nemails && !(nf->enabled && nf->has_smtp))
		wwtp_ld_problem(L, in.emails,
				"report: emails need notify.smtp (the mail server the alerts use)");
}

static void load_tree(struct wwtp_ld *L, const config_t *cf, struct wwtp_central_cfg *cfg)
{
	const config_setting_t *root = config_root_setting(cf);
	struct cfg_top top;
	struct wwtp_central_http http;

	memset(&top, 0, sizeof(top));
	memset(&http, 0, sizeof(http));
	wwtp_walk(L, root, top_opts, CFG_NELEM(top_opts), &top, "", NULL);
	wwtp_walk(L, top.mqtt, mqtt_opts, CFG_NELEM(mqtt_opts), &cfg->mqtt, "mqtt", NULL);
	wwtp_walk(L, top.influxdb, influx_opts, CFG_NELEM(influx_opts), &cfg->influx, "influxdb",
		  NULL);
	wwtp_walk(L, top.http, http_opts, CFG_NELEM(http_opts), &http, "http", NULL);
	wwtp_walk(L, top.flags, flag_opts, CFG_NELEM(flag_opts), &cfg->flags, "flags", NULL);
	load_alarms(L, top.alarms, &cfg->alarms);
	if (cfg->flags.min_hours > cfg->flags.window_h)
		wwtp_ld_problem(L, member(top.flags, "min_hours"),
				"flags: min_hours (%d) must not exceed window_h (%d)",
				cfg->flags.min_hours, cfg->flags.window_h);
	load_notify(L, top.notify, &cfg->notify);
	load_report(L, top.report, &cfg->report, &cfg->notify);
	wwtp_walk(L, top.lab, lab_opts, CFG_NELEM(lab_opts), &cfg->lab, "lab", NULL);
	cfg->http_enabled = top.http != NULL;
	if (top.mqtt)
		check_mqtt(L, top.mqtt, &cfg->mqtt);
	if (top.influxdb)
		check_influx(L, top.influxdb, &cfg->influx);
	if (!valid_listen(http.listen))
		wwtp_ld_problem(L, member(top.http, "listen"),
				"http: listen \"%.64s\" must be \"host:port\" with a port 1..65535",
				http.listen);
	if (!http.tls_cert_file[0] != !http.tls_key_file[0])
		wwtp_ld_problem(
		    L, member(top.http, http.tls_cert_file[0] ? "tls_cert_file" : "tls_key_file"),
		    "http: tls_cert_file and tls_key_file go together");
	if (top.http && http.session_idle_s > http.session_max_s)
		wwtp_ld_problem(L, member(top.http, "session_idle_s"),
				"http: session_idle_s (%d) must not exceed session_max_s (%d)",
				http.session_idle_s, http.session_max_s);
	memcpy(cfg->http_listen, http.listen, sizeof(cfg->http_listen));
	cfg->http = http;
	memcpy(cfg->stations_dir, top.stations_dir, sizeof(cfg->stations_dir));
	memcpy(cfg->profiles_dir, top.profiles_dir, sizeof(cfg->profiles_dir));
	cfg->stats_interval_s = top.stats_interval_s;
	cfg->lost_after_s = top.lost_after_s;
}

int wwtp_central_config_load(const char *path, struct wwtp_central_cfg *cfg, struct wwtp_diag *diag)
{
	struct wwtp_diag *own = NULL;
	struct wwtp_ld L;
	char dir[WWTP_PATH_MAX];
	struct stat sb;
	size_t before;
	config_t cf;

	if (!diag) {
		own = wwtp_diag_new();
		if (!own)
			return WWTP_ERR_NOMEM;
		diag = own;
	}
	before = wwtp_diag_count(diag);
	memset(cfg, 0, sizeof(*cfg));
	memset(&L, 0, sizeof(L));
	L.diag = diag;
	L.file = path;
	if (strlen(path) >= sizeof(cfg->path)) {
		wwtp_diag_add(diag, path, 0, "path too long (at most %zu bytes)",
			      sizeof(cfg->path) - 1);
		wwtp_diag_free(own);
		return WWTP_ERR_CONFIG;
	}
	memcpy(cfg->path, path, strlen(path) + 1);
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		int is_dir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
		int exists = stat(path, &sb) == 0;
		wwtp_diag_add(diag, path, 0, "cannot read the configuration file (%s)",
			      is_dir   ? "it is a folder"
			      : exists ? "it is not a regular file: a FIFO, a device or a socket"
				       : "no such file");
		wwtp_diag_free(own);
		return WWTP_ERR_CONFIG;
	}
	/* @include is relative to the file, as in station files. */
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	L.include_dir = dir;

	config_init(&cf);
	config_set_include_dir(&cf, dir);
	int crc = wwtp_conffile_check(path, dir, diag);
	if (crc == WWTP_ERR_NOMEM)
		L.nomem = 1;
	else if (crc == 0 && config_read_file(&cf, path))
		load_tree(&L, &cf, cfg);
	else if (crc == 0)
		cfg_parse_error(&L, &cf);
	config_destroy(&cf);

	int rc =
	    (L.nomem ? WWTP_ERR_NOMEM : (wwtp_diag_count(diag) != before ? WWTP_ERR_CONFIG : 0));
	wwtp_diag_free(own);
	return rc;
}
