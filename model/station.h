/* station.h - the station model: what one station file describes.
 *
 * The domain's ground floor (with reading.h): ids and their sizes, devices,
 * points, the mqtt and store groups. Loaded from libconfig files by
 * station_load() (station/station_config.c) and used by every program. The
 * structs are plain data, owned by the struct wwtp_station that holds them
 * and freed by wwtp_station_free() (station/station_config.h: it frees the
 * compliance objects too, which this floor knows only by pointer). Register
 * addresses stored here are always 0-based wire addresses: the loader has
 * already applied the device's address_base. */
#ifndef WWTP_STATION_H
#define WWTP_STATION_H

#include <stddef.h>
#include <stdint.h>

#include "../util/mqtt_auth.h"

#define WWTP_ID_MAX 48	  /* station id, device name, param name */
#define WWTP_NAME_MAX 128 /* human names (UTF-8) */
#define WWTP_UNIT_MAX 24
#define WWTP_PATH_MAX 256
#define WWTP_URI_MAX 256

/* Modbus data tables. */
enum wwtp_table {
	WWTP_TABLE_COIL = 0,	 /* function 1, 1 bit each */
	WWTP_TABLE_DISCRETE = 1, /* function 2, 1 bit each */
	WWTP_TABLE_HOLDING = 2,	 /* function 3, 16-bit registers */
	WWTP_TABLE_INPUT = 3,	 /* function 4, 16-bit registers */
};

/* Value types. BOOL is the only type for coils and discrete inputs; on
 * register tables a single bit is selected with point.bit instead. */
enum wwtp_type {
	WWTP_TYPE_BOOL = 0,
	WWTP_TYPE_INT16,
	WWTP_TYPE_UINT16,
	WWTP_TYPE_INT32,
	WWTP_TYPE_UINT32,
	WWTP_TYPE_INT64,
	WWTP_TYPE_UINT64,
	WWTP_TYPE_FLOAT32,
	WWTP_TYPE_FLOAT64,
};

/* Byte and word order of a value, named by where the bytes of a big-endian
 * value A B C D (...) end up on the wire. For 16-bit types only the byte
 * order within the word matters (ABCD = CDAB = AB; BADC = DCBA = BA).
 * For 64-bit types the pattern extends: CDAB reverses the word order with
 * big-endian bytes; BADC keeps word order and swaps bytes; DCBA is fully
 * little-endian. */
enum wwtp_order {
	WWTP_ORDER_ABCD = 0,
	WWTP_ORDER_CDAB,
	WWTP_ORDER_BADC,
	WWTP_ORDER_DCBA,
};

enum wwtp_transport_kind { WWTP_TRANSPORT_TCP = 0, WWTP_TRANSPORT_RTU = 1 };

/* How a point's (or a device's) instrument status is read. */
enum wwtp_status_mode {
	WWTP_STATUS_NONE = 0,  /* no status register: readings are "ok" when read */
	WWTP_STATUS_VALUE = 1, /* register equals `calibrating` or `fault` value */
	WWTP_STATUS_BITS = 2,  /* any bit of calibrating_mask / fault_mask set */
};

struct wwtp_status_src {
	enum wwtp_status_mode mode;
	enum wwtp_table table; /* HOLDING or INPUT */
	uint16_t address;      /* 0-based wire address */
	uint16_t calibrating;  /* value (VALUE mode) or mask (BITS mode) */
	uint16_t fault;	       /* value (VALUE mode) or mask (BITS mode) */
	int line;	       /* config line, for messages */
};

/* What a point's values can credibly be (docs/plausibility.md): engineering
 * bounds, never regulation limits. NaN (or 0 for flat_s) = no such check.
 * Resolved by the loader from the defaults file, the profile's point and
 * the station's `plausibility` list, in that order. */
struct wwtp_plaus {
	int on;		   /* 0: nothing checked (a point built in code, zeroed) */
	double min, max;   /* physically possible range (an analyzer's measuring range) */
	double step;	   /* largest credible change between two readings */
	double resolution; /* changes within this are "unchanged" (flat-line rule) */
	int flat_s;	   /* unchanged (while ok) for longer than this is suspect; 0: off */
};

struct wwtp_point {
	char param[WWTP_ID_MAX]; /* e.g. "cod", "flow_out"; unique in a station */
	char unit[WWTP_UNIT_MAX];
	enum wwtp_table table;
	uint16_t address; /* 0-based wire address */
	enum wwtp_type type;
	enum wwtp_order order;
	int bit;      /* -1: whole value; 0..15: that bit of a 16-bit register */
	double scale; /* value = raw * scale + offset */
	double offset;
	struct wwtp_status_src status; /* point's own status; else the device's */
	struct wwtp_plaus plaus;
	char source[WWTP_PATH_MAX]; /* file the point was defined in */
	int line;		    /* line of its definition */
};

struct wwtp_rs485 {
	int enabled;	  /* put the line in RS-485 mode after connect */
	int rts;	  /* 0 none, 1 RTS high while sending, 2 RTS low while sending */
	int rts_delay_us; /* -1: libmodbus default */
};

struct wwtp_device {
	char name[WWTP_ID_MAX]; /* unique in a station */
	enum wwtp_transport_kind transport;
	/* TCP */
	char host[WWTP_NAME_MAX];
	int port;
	/* RTU */
	char serial[WWTP_PATH_MAX];
	int baud;
	char parity; /* 'N', 'E' or 'O' */
	int data_bits;
	int stop_bits;
	struct wwtp_rs485 rs485;
	/* Polling */
	int unit_id;		       /* 0..247 (TCP gateways may use 255) */
	int interval_ms;	       /* poll period */
	int timeout_ms;		       /* response timeout of one request */
	int retries;		       /* extra attempts of a failed request within one poll */
	int max_gap;		       /* largest run of unused registers merged into one read */
	int max_regs;		       /* most registers per read request (<= 125) */
	int address_base;	       /* 0 or 1, as written in the file */
	char profile[WWTP_ID_MAX];     /* profile name, "" if none */
	struct wwtp_status_src status; /* device-wide status, mode NONE if absent */
	struct wwtp_point *points;
	size_t npoints;
	int line;
};

struct wwtp_mqtt_cfg {
	char uri[WWTP_URI_MAX];		 /* tcp://host:port */
	char topic_prefix[WWTP_ID_MAX];	 /* "wwtp" */
	char client_id[WWTP_ID_MAX * 2]; /* default "wwtp-collector-<station id>" */
	int keepalive_s;
	int qos; /* 1 */
	/* TLS and credentials (util/mqtt_auth.h): ca_file, cert_file, key_file,
	 * username, password_file. */
	struct wwtp_mqtt_auth auth;
};

/* The `store` group: the collector's durable store-and-forward queue
 * (docs/reliability.md). Parsed by station/store_config.c. */
struct wwtp_store_cfg {
	int present;		  /* the file has a store group */
	char path[WWTP_PATH_MAX]; /* "" = the default, /var/lib/wwtp/<station id>.db */
	int max_mb;		  /* size bound; 0 = the default, 60 days of this station */
	int max_age_days;	  /* age bound of unsent messages */
	int commit_ms;		  /* the WAL synced within this: the most a power cut can lose */
	int publish_ms;		  /* a message committed (not synced) and published within this */
	int replay_rate;	  /* backlog messages per second after an outage */
	int confirm;		  /* keep messages until central confirms them (default 1) */
	int confirm_timeout_s;	  /* then send the unconfirmed ones again */
	int reserve_kb;		  /* room kept for a full file system; -1 = the default, 0 = none */
	int line;		  /* of the group, for messages; 0 without one */
};

/* The `signing` group (docs/security.md): the collector signs with the
 * private key in key_file; central checks with public_key. Parsed by
 * station/signing_config.c; both "" without the group. */
struct wwtp_signing_cfg {
	char key_file[WWTP_PATH_MAX]; /* the collector's private key; "" = unsigned */
	char public_key[72];	      /* 64 hex digits (central); "" = not registered */
	int line;		      /* of the group, for messages; 0 without one */
};

/* Compliance data (compliance/limits.h, compliance/evaluator.h), declared
 * here only by name so that the station model does not depend on them. */
struct wwtp_limits_spec;
struct wwtp_limits_table;
struct wwtp_eval_config;
struct wwtp_tt10_config;

struct wwtp_station {
	char id[WWTP_ID_MAX]; /* [a-z0-9-], used in topics */
	char name[WWTP_NAME_MAX];
	char district[WWTP_NAME_MAX];
	char plan[WWTP_ID_MAX]; /* "qd6613", "task13" or "review": why the plan lists it */
	int plan_review;	/* 1 when the plan lists the plant for review */
	double design_flow_m3d; /* design effluent flow, m3/day; 0 = unknown */
	struct wwtp_device *devices;
	size_t ndevices;
	struct wwtp_mqtt_cfg mqtt;
	char path[WWTP_PATH_MAX]; /* file it was loaded from */
	/* The `limits` group as written (design_flow_m3d copied in from the
	 * station when the group gives neither kf nor a flow); NULL without one. */
	struct wwtp_limits_spec *limits_spec;
	/* The effective limits computed from it; NULL without a `limits` group,
	 * and then no reading of the station is judged. */
	struct wwtp_limits_table *limits;
	char limits_file[WWTP_PATH_MAX]; /* regulation file they come from; "" without */
	/* The `evaluation` group, or the defaults; never NULL after a load. */
	struct wwtp_eval_config *evaluation;
	/* The `store` group, or its defaults (present = 0). */
	struct wwtp_store_cfg store;
	/* The `signing` group, or empty (line = 0). */
	struct wwtp_signing_cfg signing;
	/* The `tt10` group (station/tt10_config.h): the Circular 10/2021 files
	 * sent to the Department over FTP; NULL without one. */
	struct wwtp_tt10_config *tt10;
};

/* Number of 16-bit registers a type occupies (1 for BOOL and 16-bit types). */
int wwtp_type_regs(enum wwtp_type t);

/* Name <-> enum helpers shared by the loader, the docs and messages.
 * *_parse return 0 or WWTP_ERR_INVAL. */
const char *wwtp_table_name(enum wwtp_table t);
const char *wwtp_type_name(enum wwtp_type t);
const char *wwtp_order_name(enum wwtp_order o);
int wwtp_table_parse(const char *s, enum wwtp_table *out);
int wwtp_type_parse(const char *s, enum wwtp_type *out);
int wwtp_order_parse(const char *s, enum wwtp_order *out);

#endif
