/* fuzz_http_auth.c - the access check in front of the HTTP API
 * (central/web/api.c with central/web/auth.c, central/web/acks.c, central/web/ratelimit.c):
 * HTTP Basic headers (base64, "user:password"), session cookies, CSRF
 * tokens, Origin and Host, content types and the JSON bodies of the log-in
 * and of acknowledgements, as libmicrohttpd hands them over.
 *
 * Input: lines. The method, the path, then Authorization, the session
 * cookie's value, X-CSRF-Token, Origin, Host, Content-Type (an empty line:
 * the header is absent), then the body (the rest). Two accounts exist, "op"
 * (operator, password "operator-pw") and "ins" (inspector, "inspector-pw"),
 * hashed with argon2id at libsodium's minimum cost so that a run is fast;
 * one alert is open. The clock moves an hour per input, so that the log-in
 * limits of one input do not decide the next.
 *
 * Promises checked (api.h, docs/api.md, docs/web.md): every request gets a
 * JSON answer of the length given, with a status of the documented set;
 * errors are {"error", "status"}; a request without Authorization and
 * without a session cookie is 401 unless it is the log-in; 429 comes with
 * Retry-After; a session cookie is set only by a successful log-in (200)
 * and is HttpOnly and SameSite=Strict; only an operator's request gets
 * 201. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../central/web/acks.h"
#include "../../central/web/api.h"
#include "../../central/web/auth.h"
#include "../../central/flags/flags.h"
#include "../../central/monitor/monitor.h"
#include "../../station/station_config.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0 1780000000000LL

static struct wwtp_monitor *mon;
static struct wwtp_auth *auth;
static struct wwtp_acks *acks;
static struct wwtp_api *api;
static int64_t now_ms = T0;

static void account(const char *user, const char *pw, char *line, size_t n, const char *role)
{
	char hash[crypto_pwhash_STRBYTES];
	FUZZ_ASSERT(crypto_pwhash_str(hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_MIN,
				      crypto_pwhash_MEMLIMIT_MIN) == 0);
	size_t used = strlen(line);
	snprintf(line + used, n - used, "%s:%s:%s\n", user, role, hash);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct wwtp_station *st;
	struct wwtp_flag_cfg cfg;
	char path[512], profiles[512], limits[512], lines[1024] = "";
	(void)argc;
	(void)argv;

	wwtp_log_set_level(WWTP_LOG_ERROR);
	FUZZ_ASSERT(sodium_init() >= 0);
	snprintf(profiles, sizeof(profiles), "%s/config/profiles", fuzz_srcdir());
	snprintf(limits, sizeof(limits), "%s/config/limits", fuzz_srcdir());
	snprintf(path, sizeof(path), "%s/config/stations/yen-nghia.cfg", fuzz_srcdir());
	struct wwtp_load_opts lo = {.profiles_dir = profiles, .limits_dir = limits};
	FUZZ_ASSERT(wwtp_station_load(path, &lo, &st, NULL) == 0);
	wwtp_flag_cfg_default(&cfg);
	FUZZ_ASSERT(wwtp_monitor_new(&st, 1, &cfg, &mon) == 0);
	wwtp_station_free(st);

	account("op", "operator-pw", lines, sizeof(lines), "operator");
	account("ins", "inspector-pw", lines, sizeof(lines), "inspector");
	const char *accounts = fuzz_write_file("accounts", (const uint8_t *)lines, strlen(lines));
	snprintf(path, sizeof(path), "%s", accounts);
	struct wwtp_auth_cfg ac = {.accounts_file = path,
				   .session_idle_s = 600,
				   .session_max_s = 3600,
				   .max_failures = 3,
				   .lockout_max_s = 60};
	FUZZ_ASSERT(wwtp_auth_new(&ac, &auth) == 0);
	const char *ackfile = fuzz_write_file("acks.jsonl", (const uint8_t *)"", 0);
	FUZZ_ASSERT(wwtp_acks_open(ackfile, &acks) == 0);
	struct wwtp_api_opts o = {.mon = mon, .auth = auth, .acks = acks};
	api = wwtp_api_new(&o);
	FUZZ_ASSERT(api != NULL);

	struct wwtp_in_msg m;
	memset(&m, 0, sizeof(m));
	m.kind = WWTP_MSG_ALERT;
	m.station = "yen-nghia";
	m.id = "yen-nghia:cod:exceedance:3600:1779990000000";
	m.event = "raised";
	m.alert_kind = "exceedance";
	m.param = "cod";
	m.unit = "mg/L";
	m.start_ms = T0 - 3600000;
	m.has_ts = 1;
	m.ts_ms = m.start_ms;
	wwtp_monitor_ingest(mon, &m, T0);
	return 0;
}

/* The next line of [*p, end) as a fresh string (NULL for an empty one
 * and at the end). */
static char *field(const uint8_t **p, const uint8_t *end)
{
	if (*p >= end)
		return NULL;
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	const uint8_t *stop = nl ? nl : end;
	char *s = stop > *p ? fuzz_strndup(*p, (size_t)(stop - *p)) : NULL;
	*p = nl ? nl + 1 : end;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char *f[8];

	for (int i = 0; i < 8; i++)
		f[i] = field(&p, end);
	if (!f[0] || !f[1] || strlen(f[1]) > 4096) {
		for (int i = 0; i < 8; i++)
			free(f[i]);
		return 0;
	}
	char *body = p < end ? fuzz_strndup(p, (size_t)(end - p)) : NULL;
	now_ms += 3600000;
	struct wwtp_api_request q = {.method = f[0],
				     .path = f[1],
				     .now_ms = now_ms,
				     .client = "10.0.0.1",
				     .authorization = f[2],
				     .session = f[3],
				     .csrf = f[4],
				     .origin = f[5],
				     .host = f[6],
				     .content_type = f[7],
				     .body = body,
				     .body_len = body ? (size_t)(end - p) : 0};
	struct wwtp_api_response r;
	wwtp_api_handle(api, &q, &r);
	if (fuzz_verbose())
		fprintf(stderr, "%d %s [%s]\n", r.status, r.body ? r.body : "(none)", r.set_cookie);

	static const int statuses[] = {200, 201, 400, 401, 403, 404, 405, 409, 415, 429, 500, 503};
	int known = 0;
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		known |= r.status == statuses[i];
	FUZZ_ASSERT(known);
	FUZZ_ASSERT(r.body != NULL && r.len == strlen(r.body));
	json_t *doc = json_loads(r.body, 0, NULL);
	FUZZ_ASSERT(doc != NULL);
	if (r.status >= 400) {
		FUZZ_ASSERT(json_is_string(json_object_get(doc, "error")));
		FUZZ_ASSERT(json_integer_value(json_object_get(doc, "status")) == r.status);
	}
	int login = strcmp(q.method, "POST") == 0 &&
		    (strcmp(q.path, "/api/session") == 0 || strcmp(q.path, "/api/session/") == 0);
	int known_method = !strcmp(q.method, "GET") || !strcmp(q.method, "HEAD") ||
			   !strcmp(q.method, "POST") || !strcmp(q.method, "DELETE");
	if (!q.authorization && !q.session && !login && known_method)
		FUZZ_ASSERT(r.status == 401);
	FUZZ_ASSERT((r.status == 429) == (r.retry_after_s > 0));
	if (r.set_cookie[0] && strstr(r.set_cookie, "Max-Age=0") == NULL) {
		FUZZ_ASSERT(login && r.status == 200);
		FUZZ_ASSERT(strstr(r.set_cookie, "HttpOnly") &&
			    strstr(r.set_cookie, "SameSite=Strict"));
	}
	if (r.status == 201)
		FUZZ_ASSERT(json_is_object(json_object_get(doc, "ack")));
	json_decref(doc);
	free(r.body);
	free(body);
	for (int i = 0; i < 8; i++)
		free(f[i]);
	return 0;
}
