/* fuzz_central_config.c - central.cfg's loader (central/config/config.c) on any
 * bytes: libconfig's parser, the descriptor walk shared with station files,
 * and the checks across keys (MQTT URI and topic prefix, the InfluxDB API
 * chosen by which keys are set, the HTTP listen address).
 *
 * Promises checked: a refusal leaves a message; a configuration that loads
 * names one InfluxDB API, has a base URL without a trailing '/' or a
 * query, and a listen address "host:port" with a port 1..65535. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../central/config/config.h"
#include "../../util/diag.h"
#include "../../util/err.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int port_ok(const char *listen)
{
	const char *colon = strrchr(listen, ':');
	char *end;
	if (!colon || colon == listen)
		return 0;
	long port = strtol(colon + 1, &end, 10);
	return colon[1] >= '0' && colon[1] <= '9' && *end == '\0' && port >= 1 && port <= 65535;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wwtp_central_cfg cfg; /* a few KB: not on the stack */
	struct wwtp_diag *diag;

	if (!fuzz_includes_ok(data, size))
		return 0;
	diag = wwtp_diag_new();
	FUZZ_ASSERT(diag != NULL);
	const char *path = fuzz_write_file("central.cfg", data, size);
	int rc = wwtp_central_config_load(path, &cfg, diag);
	/* libconfig would cut a string at a NUL byte: never loaded. */
	if (memchr(data, 0, size))
		FUZZ_ASSERT(rc != 0);
	if (rc != 0) {
		FUZZ_ASSERT(rc == WWTP_ERR_CONFIG || rc == WWTP_ERR_NOMEM);
		FUZZ_ASSERT(wwtp_diag_count(diag) > 0);
	} else {
		size_t n = strlen(cfg.influx.url);
		FUZZ_ASSERT(cfg.influx.api == WWTP_INFLUX_V1 || cfg.influx.api == WWTP_INFLUX_V2);
		FUZZ_ASSERT(n == 0 || cfg.influx.url[n - 1] != '/');
		FUZZ_ASSERT(strchr(cfg.influx.url, '?') == NULL);
		FUZZ_ASSERT(port_ok(cfg.http_listen));
		FUZZ_ASSERT(strcmp(cfg.path, path) == 0);
	}
	if (fuzz_verbose())
		wwtp_diag_print(diag, stderr);
	wwtp_diag_free(diag);
	return 0;
}
