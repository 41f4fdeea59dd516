/* mqtt_auth.h - how a client proves who it is to the MQTT broker, and how it
 * checks the broker: the TLS and credential keys of the `mqtt` group, shared
 * by station files (the collector) and central.cfg (the subscriber).
 *
 * With a TLS URI (ssl://, mqtts://, wss://) the broker's certificate is
 * always verified, chain and host name, against ca_file (or the system's
 * CAs without one); there is no switch to turn that off. The client proves
 * itself with a certificate (cert_file, key_file), a user name and a
 * password read from password_file, or both. No secret is ever kept in
 * the configuration itself or written to a log (util/secret.h). */
#ifndef WWTP_MQTT_AUTH_H
#define WWTP_MQTT_AUTH_H

#include <stddef.h>

#define WWTP_MQTT_AUTH_PATH 256
#define WWTP_MQTT_AUTH_USER 128

struct wwtp_mqtt_auth {
	char ca_file[WWTP_MQTT_AUTH_PATH];   /* PEM CA(s) the broker's certificate must chain to */
	char cert_file[WWTP_MQTT_AUTH_PATH]; /* PEM client certificate (chain) */
	char key_file[WWTP_MQTT_AUTH_PATH];  /* PEM private key of cert_file */
	char username[WWTP_MQTT_AUTH_USER];
	char password_file[WWTP_MQTT_AUTH_PATH]; /* first line = the password */
};

/* 1 when the URI's scheme means TLS (ssl://, mqtts://, wss://). */
int wwtp_mqtt_uri_is_tls(const char *uri);

/* Checks the keys against each other and the URI (pure). Returns NULL when
 * they fit, else a message for the user and, in *key, the key to point at. */
const char *wwtp_mqtt_auth_problem(const struct wwtp_mqtt_auth *a, const char *uri,
				   const char **key);

/* What a Paho connection needs, ready to be pointed at by
 * MQTTAsync_connectOptions (username, password, ssl): wwtp_mqtt_login_apply()
 * in mqtt_paho.h.
 * The library copies all of it during MQTTAsync_connect, after which
 * wwtp_mqtt_login_clear() wipes our copy of the password. */
struct wwtp_mqtt_login {
	const char *username; /* NULL: none */
	char *password;	      /* NULL: none; a wwtp_secret_read() string */
	int tls;
	const char *ca_file, *cert_file, *key_file; /* NULL when not set */
};

/* Reads password_file and checks that the certificate files can be read
 * (a clear message here beats the TLS library's later), warning when
 * key_file or password_file is readable by others and when a password
 * would cross the network unencrypted. Logs under module `mod`. 0, or
 * WWTP_ERR_CONFIG / WWTP_ERR_ERRNO / WWTP_ERR_NOMEM (logged). */
int wwtp_mqtt_login_load(const struct wwtp_mqtt_auth *a, const char *uri, const char *mod,
			 struct wwtp_mqtt_login *out);
/* Wipes and frees the password. Accepts a zeroed login. */
void wwtp_mqtt_login_clear(struct wwtp_mqtt_login *l);

#endif
