/* test_central_web.c - the API's access check without sockets
 * (central/web/api.c with auth.c, acks.c, ratelimit.c and the monitor compiled
 * in), request by request as http.c hands them over:
 *  - no credentials, a bad Authorization header, a wrong password: 401,
 *    with WWW-Authenticate only for requests that are not the page's own;
 *  - Basic and session log-ins; the cookie's attributes (Secure under TLS);
 *  - what changes anything: origin, CSRF token, content type, role;
 *  - acknowledgements: 201 with who/when/comment, 409, 404, 400, shown in
 *    /api/alerts (state=acked/unacked) and in the station;
 *  - log-out and the attempt limit (429 with Retry-After). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../central/web/acks.h"
#include "../../central/monitor/alerts.h"
#include "../../central/web/api.h"
#include "../../central/web/auth.h"
#include "../../central/flags/flags.h"
#include "../../central/flags/hourly.h"
#include "../../central/ingest/influx.h"
#include "../../central/ingest/query.h"
#include "../../central/monitor/monitor.h"
#include "../../central/web/ratelimit.h"
#include "../../station/station_config.h"
#include "fixture.h"
#include "../../util/err.h"
#include "../../util/log.h"

#define NOW_MS 1780000000000LL
#define AID "yen-nghia:cod:exceedance:3600:1779990000000"
#define B64_OP "b3A6b3BlcmF0b3ItcHc="	   /* op:operator-pw */
#define B64_INS "aW5zOmluc3BlY3Rvci1wdw==" /* ins:inspector-pw */

struct fx {
	char dir[64];
	struct wwtp_station *st;
	struct wwtp_monitor *mon;
	struct wwtp_auth *auth;
	struct wwtp_acks *acks;
	struct wwtp_api *api;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct wwtp_load_opts lo = {.profiles_dir = "config/profiles",
				    .limits_dir = "config/limits"};
	struct wwtp_flag_cfg cfg;
	char path[128], hash[crypto_pwhash_STRBYTES];

	wwtp_log_set_level(WWTP_LOG_ERROR);
	snprintf(f->dir, sizeof(f->dir), "/tmp/wwtp-web-XXXXXX");
	if (fx_mkdtemp(f->dir, NULL) != 0 ||
	    wwtp_station_load("config/stations/yen-nghia.cfg", &lo, &f->st, NULL) != 0)
		return -1;
	wwtp_flag_cfg_default(&cfg);
	if (wwtp_monitor_new(&f->st, 1, &cfg, &f->mon) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/accounts", f->dir);
	if (wwtp_auth_hash("operator-pw", hash, sizeof(hash)) != 0 ||
	    wwtp_auth_set_account(path, "op", WWTP_ROLE_OPERATOR, hash) != 0 ||
	    wwtp_auth_hash("inspector-pw", hash, sizeof(hash)) != 0 ||
	    wwtp_auth_set_account(path, "ins", WWTP_ROLE_INSPECTOR, hash) != 0)
		return -1;
	struct wwtp_auth_cfg ac = {.accounts_file = path,
				   .session_idle_s = 600,
				   .session_max_s = 3600,
				   .max_failures = 3,
				   .lockout_max_s = 60};
	if (wwtp_auth_new(&ac, &f->auth) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/acks.jsonl", f->dir);
	if (wwtp_acks_open(path, &f->acks) != 0)
		return -1;
	struct wwtp_api_opts o = {.mon = f->mon, .auth = f->auth, .acks = f->acks};
	f->api = wwtp_api_new(&o);
	/* One open alert to acknowledge. */
	struct wwtp_in_msg m;
	memset(&m, 0, sizeof(m));
	m.kind = WWTP_MSG_ALERT;
	m.station = "yen-nghia";
	m.id = AID;
	m.event = "raised";
	m.alert_kind = "exceedance";
	m.alert_device = "outlet-analyzer";
	m.param = "cod";
	m.unit = "mg/L";
	m.has_window = 1;
	m.window_s = 3600;
	m.has_value = m.has_limit = 1;
	m.value = 200;
	m.limit = 135;
	m.start_ms = NOW_MS - 3600000;
	m.has_ts = 1;
	m.ts_ms = m.start_ms;
	wwtp_monitor_ingest(f->mon, &m, NOW_MS);
	*state = f;
	return f->api ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	wwtp_api_free(f->api);
	wwtp_acks_close(f->acks);
	wwtp_auth_free(f->auth);
	wwtp_monitor_free(f->mon);
	wwtp_station_free(f->st);
	fx_rmtree(f->dir);
	free(f);
	return 0;
}

/* One request; the answer in *r (the caller frees r->body). */
static json_t *req(struct fx *f, struct wwtp_api_request *q, struct wwtp_api_response *r)
{
	if (!q->now_ms)
		q->now_ms = NOW_MS;
	if (!q->client)
		q->client = "10.0.0.1";
	wwtp_api_handle(f->api, q, r);
	assert_non_null(r->body);
	json_t *doc = json_loads(r->body, 0, NULL);
	assert_non_null(doc);
	free(r->body);
	r->body = NULL;
	return doc;
}

static int answer_status(struct fx *f, struct wwtp_api_request *q)
{
	struct wwtp_api_response r;
	json_decref(req(f, q, &r));
	return r.status;
}

static void test_unauthenticated(void **state)
{
	struct fx *f = *state;
	struct wwtp_api_response r;
	static const char *const paths[] = {"/",
					    "/api",
					    "/api/health",
					    "/api/stations",
					    "/api/stations/yen-nghia",
					    "/api/stations/yen-nghia/params",
					    "/api/alerts",
					    "/api/me",
					    "/api/nope"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct wwtp_api_request q = {.method = "GET", .path = paths[i]};
		json_t *doc = req(f, &q, &r);
		assert_int_equal(r.status, 401);
		assert_true(r.www_authenticate);
		assert_non_null(json_string_value(json_object_get(doc, "error")));
		json_decref(doc);
	}
	/* However long the path (found by fuzz_http_auth: a long one was
	 * refused as an unknown route before the access check). */
	char longpath[600];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	struct wwtp_api_request lp = {.method = "GET", .path = longpath};
	assert_int_equal(answer_status(f, &lp), 401);
	/* The page's own requests: no Basic dialog. */
	struct wwtp_api_request q = {
	    .method = "GET", .path = "/api/stations", .requested_with = "wwtp"};
	json_decref(req(f, &q, &r));
	assert_int_equal(r.status, 401);
	assert_false(r.www_authenticate);
	/* Writes too, before anything else is looked at. */
	struct wwtp_api_request w = {.method = "POST",
				     .path = "/api/alerts/" AID "/ack",
				     .content_type = "application/json",
				     .body = "{\"comment\":\"x\"}",
				     .body_len = 15};
	assert_int_equal(answer_status(f, &w), 401);
	struct wwtp_api_request d = {.method = "DELETE", .path = "/api/session"};
	assert_int_equal(answer_status(f, &d), 401);
	/* Bad headers and cookies. */
	static const char *const bad[] = {"Bearer abc", "Basic", "Basic !!!", "Basic b3A=" /* op */,
					  "Basic " B64_INS "x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wwtp_api_request b = {
		    .method = "GET", .path = "/api/me", .authorization = bad[i]};
		assert_int_equal(answer_status(f, &b), 401);
	}
	struct wwtp_api_request c = {.method = "GET", .path = "/api/me", .session = "0123"};
	json_decref(req(f, &c, &r));
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(r.set_cookie, "Max-Age=0")); /* the stale cookie goes */
}

static void test_basic_and_roles(void **state)
{
	struct fx *f = *state;
	struct wwtp_api_response r;
	struct wwtp_api_request q = {
	    .method = "GET", .path = "/api/me", .authorization = "Basic " B64_INS};
	json_t *doc = req(f, &q, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(doc, "role")), "inspector");
	assert_false(json_is_true(json_object_get(doc, "can_ack")));
	json_decref(doc);
	q.path = "/api/stations/yen-nghia/params";
	doc = req(f, &q, &r);
	assert_int_equal(r.status, 200);
	assert_true(json_array_size(doc) > 5);
	json_t *cod = json_array_get(doc, 0);
	assert_string_equal(json_string_value(json_object_get(cod, "param")), "cod");
	assert_true(json_number_value(json_object_get(cod, "limit_max")) > 0);
	json_decref(doc);
	/* An inspector may not acknowledge. */
	struct wwtp_api_request w = {.method = "POST",
				     .path = "/api/alerts/" AID "/ack",
				     .authorization = "Basic " B64_INS,
				     .content_type = "application/json",
				     .body = "{\"comment\":\"seen\"}",
				     .body_len = 18};
	assert_int_equal(answer_status(f, &w), 403);
	/* Other methods: 405 once logged in. */
	struct wwtp_api_request p = {
	    .method = "POST", .path = "/api/stations", .authorization = "Basic " B64_INS};
	json_decref(req(f, &p, &r));
	assert_int_equal(r.status, 405);
	assert_non_null(r.allow);
	struct wwtp_api_request put = {
	    .method = "PUT", .path = "/api/stations", .authorization = "Basic " B64_INS};
	assert_int_equal(answer_status(f, &put), 405);
}

static void test_session_and_ack(void **state)
{
	struct fx *f = *state;
	struct wwtp_api_response r;
	const char *login = "{\"user\":\"op\",\"password\":\"operator-pw\"}";
	struct wwtp_api_request q = {.method = "POST",
				     .path = "/api/session",
				     .content_type = "application/json; charset=utf-8",
				     .body = login,
				     .body_len = strlen(login),
				     .tls = 1,
				     .host = "wwtp.example",
				     .origin = "https://wwtp.example"};
	json_t *doc = req(f, &q, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.set_cookie, "HttpOnly"));
	assert_non_null(strstr(r.set_cookie, "SameSite=Strict"));
	assert_non_null(strstr(r.set_cookie, "Secure"));
	char token[WWTP_AUTH_TOKEN_LEN + 1], csrf[WWTP_AUTH_TOKEN_LEN + 1];
	assert_int_equal(sscanf(r.set_cookie, WWTP_API_COOKIE "=%64[0-9a-f];", token), 1);
	snprintf(csrf, sizeof(csrf), "%s", json_string_value(json_object_get(doc, "csrf")));
	assert_int_equal(strlen(csrf), WWTP_AUTH_TOKEN_LEN);
	json_decref(doc);

	/* Log-in refusals: another origin, not JSON, not an object, wrong. */
	struct wwtp_api_request b = q;
	b.origin = "https://evil.example";
	assert_int_equal(answer_status(f, &b), 403);
	b = q;
	b.content_type = "application/x-www-form-urlencoded";
	assert_int_equal(answer_status(f, &b), 415);
	b = q;
	b.body = "[1]";
	b.body_len = 3;
	assert_int_equal(answer_status(f, &b), 400);
	b = q;
	b.body = "{\"user\":\"op\",\"password\":\"nope\"}";
	b.body_len = strlen(b.body);
	json_decref(req(f, &b, &r));
	assert_int_equal(r.status, 401);
	assert_false(r.www_authenticate);

	/* The acknowledgement: every check in turn. */
	const char *body = "{\"comment\":\"Đã gọi nhà máy\"}";
	struct wwtp_api_request a = {.method = "POST",
				     .path = "/api/alerts/" AID "/ack",
				     .session = token,
				     .content_type = "application/json",
				     .body = body,
				     .body_len = strlen(body),
				     .host = "wwtp.example",
				     .origin = "https://wwtp.example"};
	assert_int_equal(answer_status(f, &a), 403); /* no CSRF token */
	a.csrf = "00";
	assert_int_equal(answer_status(f, &a), 403); /* a wrong one */
	a.csrf = csrf;
	a.origin = "https://evil.example";
	assert_int_equal(answer_status(f, &a), 403); /* another origin */
	a.origin = "null";
	assert_int_equal(answer_status(f, &a), 403);
	a.origin = NULL;
	a.content_type = "text/plain";
	assert_int_equal(answer_status(f, &a), 415);
	a.content_type = "application/json";
	a.body = "{\"comment\":\"two\\nlines\"}";
	a.body_len = strlen(a.body);
	assert_int_equal(answer_status(f, &a), 400);
	a.body = body;
	a.body_len = strlen(body);
	a.path = "/api/alerts/yen-nghia:cod:exceedance:3600:1/ack";
	assert_int_equal(answer_status(f, &a), 404);
	a.path = "/api/alerts/nowhere:x/ack";
	assert_int_equal(answer_status(f, &a), 404);
	a.path = "/api/alerts/" AID "/ack";
	doc = req(f, &a, &r);
	assert_int_equal(r.status, 201);
	json_t *ack = json_object_get(doc, "ack");
	assert_string_equal(json_string_value(json_object_get(ack, "user")), "op");
	assert_string_equal(json_string_value(json_object_get(ack, "comment")), "Đã gọi nhà máy");
	assert_string_equal(json_string_value(json_object_get(ack, "time")),
			    "2026-05-28T20:26:40.000Z");
	json_decref(doc);
	assert_int_equal(answer_status(f, &a), 409);

	/* Shown everywhere, filtered by state. */
	struct wwtp_api_arg acked = {"state", "acked"}, unacked = {"state", "unacked"};
	struct wwtp_api_request l = {
	    .method = "GET", .path = "/api/alerts", .session = token, .args = &acked, .nargs = 1};
	doc = req(f, &l, &r);
	assert_int_equal(json_array_size(doc), 1);
	assert_non_null(json_object_get(json_array_get(doc, 0), "ack"));
	json_decref(doc);
	l.args = &unacked;
	doc = req(f, &l, &r);
	assert_int_equal(json_array_size(doc), 0);
	json_decref(doc);
	struct wwtp_api_request s = {
	    .method = "GET", .path = "/api/stations/yen-nghia", .session = token};
	doc = req(f, &s, &r);
	assert_non_null(json_object_get(json_array_get(json_object_get(doc, "alerts"), 0), "ack"));
	json_decref(doc);

	/* Log-out: the token is needed, then the session is gone. */
	struct wwtp_api_request o = {.method = "DELETE", .path = "/api/session", .session = token};
	assert_int_equal(answer_status(f, &o), 403);
	o.csrf = csrf;
	json_decref(req(f, &o, &r));
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.set_cookie, "Max-Age=0"));
	assert_int_equal(answer_status(f, &s), 401);
}

static void test_attempt_limit(void **state)
{
	struct fx *f = *state;
	struct wwtp_api_response r;
	struct wwtp_api_request q = {.method = "GET",
				     .path = "/api/me",
				     .authorization = "Basic aW5zOndyb25n" /* ins:wrong */,
				     .client = "10.9.9.9",
				     .now_ms = NOW_MS + 1000};
	for (int i = 0; i < 3; i++)
		assert_int_equal(answer_status(f, &q), 401);
	q.authorization = "Basic " B64_INS;
	json_decref(req(f, &q, &r));
	assert_int_equal(r.status, 429);
	assert_int_equal(r.retry_after_s, 1);
	q.now_ms += 1000;
	assert_int_equal(answer_status(f, &q), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unauthenticated),
	    cmocka_unit_test(test_basic_and_roles),
	    cmocka_unit_test(test_session_and_ack),
	    cmocka_unit_test(test_attempt_limit),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
