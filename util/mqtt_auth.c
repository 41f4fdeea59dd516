/* mqtt_auth.c - the mqtt group's TLS and credential keys (see mqtt_auth.h). */
#include "mqtt_auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "secret.h"

int wwtp_mqtt_uri_is_tls(const char *uri)
{
	static const char *const tls[] = {"ssl://", "mqtts://", "wss://"};
	for (size_t i = 0; i < sizeof(tls) / sizeof(tls[0]); i++)
		if (strncmp(uri, tls[i], strlen(tls[i])) == 0)
			return 1;
	return 0;
}

const char *wwtp_mqtt_auth_problem(const struct wwtp_mqtt_auth *a, const char *uri,
				   const char **key)
{
	int tls = wwtp_mqtt_uri_is_tls(uri);

	/* Certificates given with a plain URI would be silently unused: the
	 * user meant TLS and would get none. */
	if (!tls && (a->ca_file[0] || a->cert_file[0] || a->key_file[0])) {
		*key = a->ca_file[0] ? "ca_file" : a->cert_file[0] ? "cert_file" : "key_file";
		return "ca_file, cert_file and key_file need a TLS uri: write "
		       "uri = \"ssl://host:8883\"";
	}
	if (a->key_file[0] && !a->cert_file[0]) {
		*key = "key_file";
		return "key_file needs cert_file (the certificate of that key)";
	}
	if (a->password_file[0] && !a->username[0]) {
		*key = "password_file";
		return "password_file needs username";
	}
	*key = NULL;
	return NULL;
}

/* The file can be opened for reading now: the TLS library's own message for
 * a missing file is a bare "SSL error". */
static int readable(const char *path, const char *what, const char *mod)
{
	if (access(path, R_OK) == 0)
		return 0;
	LOG_ERROR(mod, "cannot read %s %s: %s", what, path, strerror(errno));
	return WWTP_ERR_CONFIG;
}

int wwtp_mqtt_login_load(const struct wwtp_mqtt_auth *a, const char *uri, const char *mod,
			 struct wwtp_mqtt_login *out)
{
	const char *key;
	const char *why = wwtp_mqtt_auth_problem(a, uri, &key);
	int rc;

	memset(out, 0, sizeof(*out));
	if (why) {
		LOG_ERROR(mod, "mqtt: %s: %s", key, why);
		return WWTP_ERR_CONFIG;
	}
	out->tls = wwtp_mqtt_uri_is_tls(uri);
	if (a->ca_file[0]) {
		if ((rc = readable(a->ca_file, "ca_file", mod)) != 0)
			return rc;
		out->ca_file = a->ca_file;
	}
	if (a->cert_file[0]) {
		if ((rc = readable(a->cert_file, "cert_file", mod)) != 0)
			return rc;
		out->cert_file = a->cert_file;
	}
	if (a->key_file[0]) {
		if ((rc = readable(a->key_file, "key_file", mod)) != 0)
			return rc;
		wwtp_secret_check_mode(a->key_file, "key_file", mod);
		out->key_file = a->key_file;
	}
	if (a->username[0])
		out->username = a->username;
	if (a->password_file[0]) {
		rc = wwtp_secret_read(a->password_file, "password_file", mod, &out->password);
		if (rc != 0)
			return rc == WWTP_ERR_NOMEM ? rc : WWTP_ERR_CONFIG;
		if (!out->tls)
			LOG_WARN(mod, "the MQTT password crosses the network unencrypted: use an "
				      "ssl:// uri outside a test bench");
	}
	return 0;
}

void wwtp_mqtt_login_clear(struct wwtp_mqtt_login *l)
{
	wwtp_secret_free(l->password);
	memset(l, 0, sizeof(*l));
}
