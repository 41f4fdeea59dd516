/* acl.h - the broker's side of per-station authorisation, generated from
 * the station registry (pure: text into buffers; `wwtp-central acl` in
 * acl_cmd.c writes the files).
 *
 * Two texts for mosquitto 2.0:
 *  - an ACL file (acl_file): each station's user may publish only on the
 *    topics its collector uses, <prefix>/<id>/{telemetry,status,alert,health},
 *    and read nothing; the central side's user may read <prefix>/# and
 *    publish nothing (it publishes nothing today). Anything not granted is
 *    refused: a refused PUBLISH is dropped by the broker, silently for MQTT
 *    3.1.1, which is why central/ingest/decode.c checks the topic's station too.
 *  - a configuration snippet: a TLS listener, how clients prove who they
 *    are (certificate, password or both), no anonymous clients, the ACL. */
#ifndef WWTP_CENTRAL_ACL_H
#define WWTP_CENTRAL_ACL_H

#include <stddef.h>

#include "../../util/buf.h"

/* How a client proves who it is to the broker. */
enum wwtp_acl_auth {
	WWTP_ACL_CERT = 0, /* client certificate; its CN is the user name */
	WWTP_ACL_PASSWORD, /* user name and password (mosquitto_passwd file) */
	WWTP_ACL_BOTH,	   /* a certificate of the CA and a user name and password */
};

/* One station's entry. */
struct wwtp_acl_station {
	const char *id;	      /* station id: the topic level */
	const char *prefix;   /* its mqtt.topic_prefix */
	const char *username; /* its mqtt.username, or the id when it has none */
	const char *source;   /* its file, for the comment */
};

struct wwtp_acl_opts {
	const char *central_user;   /* central.cfg mqtt.username, or "wwtp-central" */
	const char *central_prefix; /* central.cfg mqtt.topic_prefix */
	enum wwtp_acl_auth auth;
	int port;				 /* 8883 */
	const char *bind;			 /* "" = every address */
	const char *cafile, *certfile, *keyfile; /* the broker's TLS files */
	const char *password_file;		 /* mosquitto_passwd file (password, both) */
	const char *acl_path;			 /* where the broker will find the ACL */
	const char *origin;			 /* "from FILE": the header comment */
};

/* Parses "cert", "password" or "both". 0 or WWTP_ERR_INVAL. */
int wwtp_acl_parse_auth(const char *s, enum wwtp_acl_auth *out);

/* Appends the ACL and the configuration snippet. Refuses, with a message
 * in why (why_size bytes), user names that are empty or hold characters
 * an ACL line cannot carry, two stations with one user name, a station
 * sharing the central side's user name, and a prefix holding a wildcard:
 * WWTP_ERR_INVAL. WWTP_ERR_FULL/NOMEM from the buffers. */
int wwtp_acl_generate(const struct wwtp_acl_station *st, size_t n, const struct wwtp_acl_opts *o,
		      struct wwtp_buf *acl, struct wwtp_buf *conf, char *why, size_t why_size);

/* The topic leaves a collector publishes under <prefix>/<id>/. */
extern const char *const wwtp_acl_station_leaves[];
extern const size_t wwtp_acl_nleaves;

#endif
