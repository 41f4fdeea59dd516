/* mqtt_group.h - the `mqtt` group, described once for every program that
 * reads one: the station files (the collector, station_schema.c) and
 * central.cfg (central/config/config.c). The keys, their kinds, charsets
 * and defaults are the same; what differs is said by the arguments, each
 * documented (docs/config.md, docs/central.md): the client id's default,
 * and the least keepalive and QoS a program takes (central refuses QoS 0
 * for its subscriptions, and a keepalive under 5 s). */
#ifndef WWTP_STATION_MQTT_GROUP_H
#define WWTP_STATION_MQTT_GROUP_H

#include "../model/station.h"
#include "../util/confschema.h"

/* MQTT user names: also the `user` lines of the broker's ACL (central/admin/acl.c), where
 * blanks, wildcards and quotes have no place. */
#define CS_MQTT_USER "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@"
#define HINT_MQTT_USER "letters, digits, '-', '_', '.' and '@'"
/* Topic prefixes: one or more levels. */
#define CS_TOPIC_PREFIX "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/"

/* The rows of a `const struct wwtp_opt[]` for the group, filling a struct
 * wwtp_mqtt_cfg (model/station.h). */
#define WWTP_MQTT_GROUP_OPTS(client_id_default, keepalive_min, qos_min)                            \
	OPT_STR("uri", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct wwtp_mqtt_cfg, uri, NULL, NULL,    \
		"a broker URI such as \"tcp://127.0.0.1:1883\""),                                  \
	    OPT_STR("topic_prefix", WWTP_OPT_NONEMPTY, struct wwtp_mqtt_cfg, topic_prefix,         \
		    CS_TOPIC_PREFIX, "wwtp", "letters, digits, '-', '_' and '/'"),                 \
	    OPT_STR("client_id", WWTP_OPT_NONEMPTY, struct wwtp_mqtt_cfg, client_id, NULL,         \
		    client_id_default, NULL),                                                      \
	    OPT_INT("keepalive_s", 0, struct wwtp_mqtt_cfg, keepalive_s, keepalive_min, 65535,     \
		    30),                                                                           \
	    OPT_INT("qos", 0, struct wwtp_mqtt_cfg, qos, qos_min, 2, 1),                           \
	    OPT_STR("ca_file", WWTP_OPT_NONEMPTY, struct wwtp_mqtt_cfg, auth.ca_file, NULL, "",    \
		    NULL),                                                                         \
	    OPT_STR("cert_file", WWTP_OPT_NONEMPTY, struct wwtp_mqtt_cfg, auth.cert_file, NULL,    \
		    "", NULL),                                                                     \
	    OPT_STR("key_file", WWTP_OPT_NONEMPTY, struct wwtp_mqtt_cfg, auth.key_file, NULL, "",  \
		    NULL),                                                                         \
	    OPT_STR("username", WWTP_OPT_NONEMPTY, struct wwtp_mqtt_cfg, auth.username,            \
		    CS_MQTT_USER, "", HINT_MQTT_USER),                                             \
	    OPT_STR("password_file", WWTP_OPT_NONEMPTY, struct wwtp_mqtt_cfg, auth.password_file,  \
		    NULL, "", NULL)

#endif
