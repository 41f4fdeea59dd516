/* config.h - central.cfg (libconfig), the central side's settings.
 *
 * Walked like every loader's file (station/loader.h, tables written with
 * util/confschema.h's OPT_*; the mqtt group is station/mqtt_group.h's):
 * unknown keys are refused, every problem is reported as "FILE:LINE: what"
 * into a diag, defaults fill what is not written. The keys are documented
 * in docs/central.md; config/central.cfg is an annotated example. */
#ifndef WWTP_CENTRAL_CONFIG_H
#define WWTP_CENTRAL_CONFIG_H

#include "../../model/station.h"
#include "../../util/diag.h"
#include "../flags/flags.h"
#include "../../compliance/alarm_policy.h"

enum wwtp_influx_api {
	WWTP_INFLUX_V1 = 1, /* /write?db=...: InfluxDB 1.x (and 2.x/3.x compatibility API) */
	WWTP_INFLUX_V2 = 2, /* /api/v2/write?org=..&bucket=..: InfluxDB 2.x and 3.x */
};

struct wwtp_central_influx {
	enum wwtp_influx_api api; /* from which keys are set */
	char url[WWTP_URI_MAX];	  /* base URL, no trailing '/' */
	/* 1.x */
	char database[WWTP_NAME_MAX];
	char retention_policy[WWTP_NAME_MAX]; /* "" = the database's default */
	char username[WWTP_NAME_MAX];	      /* "" = no authentication */
	char password_file[WWTP_PATH_MAX];
	int create_database; /* CREATE DATABASE at start (1.x only) */
	/* 2.x / 3.x */
	char org[WWTP_NAME_MAX];
	char bucket[WWTP_NAME_MAX];
	char token_file[WWTP_PATH_MAX];
	/* batching and retries */
	int batch_max_points;
	int batch_max_ms;
	int gzip_min_bytes;
	int timeout_ms;
	int connect_timeout_ms;
	int retry_min_ms;
	int retry_max_ms;
	/* the on-disk queue */
	char spool_dir[WWTP_PATH_MAX];
	int spool_max_mb;
};

/* The http group: the web page and the API (docs/web.md). */
struct wwtp_central_http {
	char listen[WWTP_NAME_MAX];	   /* "host:port" */
	char accounts_file[WWTP_PATH_MAX]; /* required: user:role:hash lines */
	char acks_file[WWTP_PATH_MAX];	   /* acknowledgements of alerts */
	int session_idle_s;		   /* a session unused this long ends */
	int session_max_s;		   /* ... and this long after log-in in any case */
	int login_max_failures;		   /* per user (x3 per address) before waits */
	int login_lockout_max_s;	   /* the longest wait after failures */
	int login_first_wait_s;		   /* the first wait, doubling after */
	char tls_cert_file[WWTP_PATH_MAX]; /* PEM; with tls_key_file: HTTPS only */
	char tls_key_file[WWTP_PATH_MAX];
	int max_body_bytes; /* larger request bodies: 413 */
	int connections;    /* at once */
	int connections_per_ip;
	int timeout_s; /* an idle connection is closed */
};

/* The notify group: e-mail and webhooks when alerts change (docs/notify.md). */
#define WWTP_NOTIFY_TARGETS_MAX 32
#define WWTP_NOTIFY_STATIONS_MAX 32
#define WWTP_NOTIFY_ADDR_MAX 256

struct wwtp_notify_target {
	int mail;			 /* 1: e-mail to addr; 0: JSON POST to addr */
	char addr[WWTP_NOTIFY_ADDR_MAX]; /* an address, or a URL */
	char stations[WWTP_NOTIFY_STATIONS_MAX][WWTP_ID_MAX]; /* "*": every station */
	size_t nstations;
	char min_priority[8]; /* "low", "medium", "high": this and above */
};

struct wwtp_notify_smtp {
	char url[WWTP_URI_MAX];		   /* smtp://host:port or smtps://host:port */
	char from[WWTP_NOTIFY_ADDR_MAX];   /* the envelope's and the From: address */
	char username[WWTP_NAME_MAX];	   /* "" = no log-in */
	char password_file[WWTP_PATH_MAX]; /* with username */
	char ca_file[WWTP_PATH_MAX];	   /* "" = the system's CAs */
	int use_ssl;			   /* 0 "none", 1 "try", 2 "required" (STARTTLS) */
};

struct wwtp_central_notify {
	int enabled; /* the file has a notify group */
	char dir[WWTP_PATH_MAX];
	int has_smtp;
	struct wwtp_notify_smtp smtp;
	struct wwtp_notify_target targets[WWTP_NOTIFY_TARGETS_MAX]; /* e-mails, then webhooks */
	size_t ntargets;
	int min_interval_s; /* at most one message per recipient this often */
	int delay_s;	    /* an event waits this long for others to go with it */
	int timeout_s;	    /* of one delivery */
	int retry_min_s;    /* first wait after a failed delivery, doubling ... */
	int retry_max_s;    /* ... up to this */
	int keep_days;	    /* delivered events are remembered (not sent twice) this long */
};

/* The report group: the monthly, quarterly and yearly documents as an
 * administrative document (Nghị định 30/2020/NĐ-CP) and their scheduled
 * run (docs/report.md). Without the group: the defaults, no scheduled run. */
#define WWTP_REPORT_DIST_MAX 12
#define WWTP_REPORT_TEXT_MAX 192
#define WWTP_REPORT_EMAILS_MAX 16

struct wwtp_central_report {
	int enabled; /* the file has a report group: the scheduled run is on */
	char issuer_parent[WWTP_REPORT_TEXT_MAX];    /* cơ quan chủ quản; "" none */
	char issuer[WWTP_REPORT_TEXT_MAX];	     /* the body that issues the document */
	char place[WWTP_NAME_MAX];		     /* địa danh: "Hà Nội" */
	char number_pattern[64];		     /* "%n/BC-GSNT": %n the number */
	char signer_authority[WWTP_REPORT_TEXT_MAX]; /* "KT. GIÁM ĐỐC"; "" none */
	char signer_title[WWTP_REPORT_TEXT_MAX];     /* "PHÓ GIÁM ĐỐC" */
	char signer_name[WWTP_REPORT_TEXT_MAX];	     /* "" = left to write by hand */
	char distribution[WWTP_REPORT_DIST_MAX][WWTP_REPORT_TEXT_MAX]; /* Nơi nhận */
	size_t ndistribution;
	char lang[4];		      /* "vi" or "en": the scheduled documents' language */
	char dir[WWTP_PATH_MAX];      /* the archive */
	int day;		      /* the month's documents on this day of the next month */
	int quarter_day;	      /* the quarter's on this day of its last month */
	int year_day;		      /* the year's on this day of December */
	int delay_s;		      /* after start, wait this long (history arriving) */
	int retry_s;		      /* a run that failed is tried again after this */
	char chromium[WWTP_PATH_MAX]; /* "" = chromium or chromium-browser in PATH */
	char emails[WWTP_REPORT_EMAILS_MAX][WWTP_NOTIFY_ADDR_MAX]; /* sent to (notify.smtp) */
	size_t nemails;
};

/* The lab group (docs/central.md): comparing a grab sample's laboratory
 * result with the analyzer (ingest/labsample.h). The tolerances are the
 * project's settings, not a regulation's. */
struct wwtp_central_lab {
	int window_s;	      /* readings within this of the time taken, either side */
	double tolerance_pct; /* of the laboratory's value */
	double tolerance_abs; /* in the param's unit: the least tolerance */
};

struct wwtp_central_cfg {
	/* The mqtt group (station/mqtt_group.h): the subscriptions' QoS is 1 or
	 * 2; the central side's user is the one the broker's ACL lets read every
	 * station (wwtp-central acl). */
	struct wwtp_mqtt_cfg mqtt;
	struct wwtp_central_influx influx;
	int http_enabled;		 /* the file has an http group: serve the API */
	char http_listen[WWTP_NAME_MAX]; /* "host:port" (= http.listen) */
	struct wwtp_central_http http;
	struct wwtp_flag_cfg flags;	   /* the flags group, or the defaults */
	struct wwtp_alarm_policies alarms; /* the alarms group over the defaults */
	struct wwtp_central_notify notify; /* the notify group; none = no notifications */
	struct wwtp_central_report report; /* the report group, or the defaults */
	struct wwtp_central_lab lab;	   /* the lab group, or the defaults */
	char stations_dir[WWTP_PATH_MAX];
	char profiles_dir[WWTP_PATH_MAX]; /* "" = the station loader's default */
	int stats_interval_s;		  /* 0 = only at exit */
	int lost_after_s;		  /* a poll not stored this long after its time is lost */
	char path[WWTP_PATH_MAX];	  /* file it was loaded from */
};

/* Loads and checks `path` into *cfg. Returns 0, or WWTP_ERR_CONFIG with every
 * problem in diag (which may be NULL). Secret files (token_file,
 * password_file) are only named here; the InfluxDB client reads them. */
int wwtp_central_config_load(const char *path, struct wwtp_central_cfg *cfg,
			     struct wwtp_diag *diag);

#endif
