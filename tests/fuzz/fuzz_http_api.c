/* fuzz_http_api.c - the central side's HTTP API (central/web/api.c,
 * wwtp_api_handle): routing, query parameters, times, durations, limits,
 * and the answers built from the monitor (central/monitor/monitor.c,
 * central/monitor/alerts.c), which MQTT messages from outside fill first.
 *
 * Input: lines. The method, the path (as libmicrohttpd hands it over:
 * decoded, without the query), then one query parameter per line ("key=value",
 * or "key" for one without a value) up to an empty line; then MQTT messages,
 * one per line, "topic payload", decoded as the MQTT path does
 * (central/ingest/decode.c) and fed to a fresh monitor before the request. The
 * monitor knows two shipped stations; no InfluxDB (the series route
 * answers 503 once its parameters pass).
 *
 * Promises checked (api.h, docs/api.md): every request gets an answer with
 * a JSON body of the length given; errors are {"error": text, "status": N}
 * with the HTTP status; 405 exactly for methods other than GET and HEAD;
 * a list answer says how many matched (X-Total-Count) and holds no more
 * than asked for. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../central/web/api.h"
#include "../../central/ingest/decode.h"
#include "../../central/flags/flags.h"
#include "../../central/monitor/monitor.h"
#include "../../central/ingest/registry.h"
#include "../../station/station_config.h"
#include "../../util/err.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_MS 1769882400000LL /* 2026-01-31T18:00:00.000Z */
#define MAX_MESSAGES 8

static struct wwtp_station *stations[2];
static struct wwtp_registry *reg;
static struct wwtp_flag_cfg flag_cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const files[] = {"thanh-thuy", "bat-trang"};
	char path[512], profiles[512], limits[512];
	(void)argc;
	(void)argv;

	snprintf(profiles, sizeof(profiles), "%s/config/profiles", fuzz_srcdir());
	snprintf(limits, sizeof(limits), "%s/config/limits", fuzz_srcdir());
	struct wwtp_load_opts opts = {.profiles_dir = profiles, .limits_dir = limits};
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/config/stations/%s.cfg", fuzz_srcdir(), files[i]);
		if (wwtp_station_load(path, &opts, &stations[i], NULL) != 0) {
			fprintf(stderr, "fuzz_http_api: cannot load %s\n", path);
			abort();
		}
	}
	reg = wwtp_registry_new();
	FUZZ_ASSERT(reg && wwtp_registry_add_stations(reg, stations, 2) == 0);
	wwtp_flag_cfg_default(&flag_cfg);
	return 0;
}

/* The next line of [*p, end) (without its newline) into a fresh string;
 * NULL at the end. */
static char *next_line(const uint8_t **p, const uint8_t *end)
{
	if (*p >= end)
		return NULL;
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	const uint8_t *stop = nl ? nl : end;
	char *s = fuzz_strndup(*p, (size_t)(stop - *p));
	*p = nl ? nl + 1 : end;
	return s;
}

static void ingest(struct wwtp_monitor *mon, const char *line)
{
	const char *sp = strchr(line, ' ');
	struct wwtp_in_msg m;
	struct wwtp_reject_info why;
	if (!sp)
		return;
	if (wwtp_decode(line, (size_t)(sp - line), "wwtp", sp + 1, strlen(sp + 1), reg, NOW_MS, &m,
			&why) == 0)
		wwtp_monitor_ingest(mon, &m, NOW_MS);
	wwtp_in_msg_clear(&m);
}

static void check_answer(const struct wwtp_api_request *q, const struct wwtp_api_response *r)
{
	static const int statuses[] = {200, 400, 404, 405, 500, 502, 503};
	int known = 0;
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		known |= r->status == statuses[i];
	FUZZ_ASSERT(known);
	FUZZ_ASSERT(r->body != NULL && r->len == strlen(r->body));
	FUZZ_ASSERT((r->status == 405) ==
		    (strcmp(q->method, "GET") != 0 && strcmp(q->method, "HEAD") != 0));

	json_error_t jerr;
	json_t *doc = json_loadb(r->body, r->len, 0, &jerr);
	if (!doc)
		fprintf(stderr, "not JSON (%s): %.200s\n", jerr.text, r->body);
	FUZZ_ASSERT(doc != NULL);
	if (r->status != 200) {
		FUZZ_ASSERT(json_is_object(doc));
		FUZZ_ASSERT(json_is_string(json_object_get(doc, "error")));
		FUZZ_ASSERT(json_integer_value(json_object_get(doc, "status")) == r->status);
	}
	if (r->total[0]) {
		char *end;
		unsigned long long total = strtoull(r->total, &end, 10);
		FUZZ_ASSERT(*end == '\0' && end != r->total);
		json_t *list = json_is_array(doc) ? doc : json_object_get(doc, "alerts");
		if (json_is_array(list))
			FUZZ_ASSERT(json_array_size(list) <= total);
	}
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct wwtp_api_arg args[WWTP_API_ARGS_MAX];
	char *owned[WWTP_API_ARGS_MAX + 2];
	size_t nargs = 0, nowned = 0;
	struct wwtp_monitor *mon = NULL;
	int too_many = 0;

	char *method = next_line(&p, end);
	char *path = next_line(&p, end);
	if (!method || !path) {
		free(method);
		free(path);
		return 0;
	}
	for (char *l; (l = next_line(&p, end)) != NULL;) {
		if (!*l) {
			free(l);
			break;
		}
		if (nargs == WWTP_API_ARGS_MAX) {
			too_many = 1; /* http.c answers 400 itself */
			free(l);
			continue;
		}
		char *eq = strchr(l, '=');
		if (eq)
			*eq = '\0';
		args[nargs].key = l;
		args[nargs].value = eq ? eq + 1 : "";
		owned[nowned++] = l;
		nargs++;
	}

	FUZZ_ASSERT(wwtp_monitor_new(stations, 2, &flag_cfg, &mon) == 0);
	for (int i = 0; i < MAX_MESSAGES; i++) {
		char *l = next_line(&p, end);
		if (!l)
			break;
		ingest(mon, l);
		free(l);
	}

	if (!too_many) {
		struct wwtp_api_opts ao = {.mon = mon};
		struct wwtp_api *api = wwtp_api_new(&ao);
		FUZZ_ASSERT(api != NULL);
		struct wwtp_api_request q = {
		    .method = method, .path = path, .args = args, .nargs = nargs, .now_ms = NOW_MS};
		struct wwtp_api_response r;
		wwtp_api_handle(api, &q, &r);
		if (fuzz_verbose())
			fprintf(stderr, "%d %s\n", r.status, r.body ? r.body : "(no body)");
		check_answer(&q, &r);
		free(r.body);
		wwtp_api_free(api);
	}
	wwtp_monitor_free(mon);
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(method);
	free(path);
	return 0;
}
