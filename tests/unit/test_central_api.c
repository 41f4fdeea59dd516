/* test_central_api.c - the HTTP API's routes without sockets
 * (central/web/api.c with the monitor, the flags and the alert store compiled
 * in): /api/stations with the fields docs/api.md promises, a station's
 * status and last_seen from the messages, a flag with its reasons, alerts
 * and their filters, /api/health, and bad input of every kind answered with
 * a JSON error and the right status, never a crash. Uses the shipped
 * yen-nghia and qd6613-01 station files (run from the top folder). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../central/web/acks.h"
#include "../../central/web/alerts_csv.h"
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
#include "../../util/err.h"
#include "../../util/timeutil.h"

#define NOW_MS 1780000000000LL /* 2026-05-28T20:26:40Z */

struct fx {
	struct wwtp_station *st[2];
	struct wwtp_monitor *mon;
	struct wwtp_api *api;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct wwtp_load_opts lo = {.profiles_dir = "config/profiles",
				    .limits_dir = "config/limits"};
	struct wwtp_flag_cfg cfg;
	if (!f || wwtp_station_load("config/stations/yen-nghia.cfg", &lo, &f->st[0], NULL) != 0 ||
	    wwtp_station_load("config/stations/qd6613-01.cfg", &lo, &f->st[1], NULL) != 0)
		return -1;
	wwtp_flag_cfg_default(&cfg);
	if (wwtp_monitor_new(f->st, 2, &cfg, &f->mon) != 0)
		return -1;
	struct wwtp_api_opts o = {.mon = f->mon};
	f->api = wwtp_api_new(&o);
	*state = f;
	return f->api ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	wwtp_api_free(f->api);
	wwtp_monitor_free(f->mon);
	wwtp_station_free(f->st[0]);
	wwtp_station_free(f->st[1]);
	free(f);
	return 0;
}

/* GET path?args ("k=v&k2=v2", no escaping); the parsed body (the caller
 * decrefs), *status the HTTP status. Every answer must be JSON. */
static json_t *get(struct fx *f, const char *method, const char *path, const char *args,
		   int *status, char *total)
{
	struct wwtp_api_arg a[WWTP_API_ARGS_MAX];
	char buf[512];
	size_t n = 0;

	if (args) {
		snprintf(buf, sizeof(buf), "%s", args);
		char *save = NULL;
		for (char *kv = strtok_r(buf, "&", &save); kv && n < WWTP_API_ARGS_MAX;
		     kv = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(kv, '=');
			if (eq)
				*eq++ = '\0';
			a[n].key = kv;
			a[n++].value = eq ? eq : "";
		}
	}
	struct wwtp_api_request q = {
	    .method = method, .path = path, .args = a, .nargs = n, .now_ms = NOW_MS};
	struct wwtp_api_response r;
	wwtp_api_handle(f->api, &q, &r);
	assert_non_null(r.body);
	assert_int_equal(r.len, strlen(r.body));
	json_error_t err;
	json_t *doc = json_loads(r.body, 0, &err);
	if (!doc)
		fail_msg("%s %s: not JSON (%s): %s", method, path, err.text, r.body);
	*status = r.status;
	if (total)
		snprintf(total, 24, "%s", r.total);
	free(r.body);
	return doc;
}

static json_t *expect(struct fx *f, const char *path, const char *args, int want)
{
	int status;
	json_t *doc = get(f, "GET", path, args, &status, NULL);
	if (status != want)
		fail_msg("GET %s?%s: %d, not %d: %s", path, args ? args : "", status, want,
			 json_string_value(json_object_get(doc, "error")));
	if (want >= 400) {
		/* {"error": "...", "status": N} */
		assert_true(json_is_string(json_object_get(doc, "error")));
		assert_int_equal(json_integer_value(json_object_get(doc, "status")), want);
	}
	return doc;
}

static json_t *station(json_t *list, const char *id)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(list, i), "id")), id) ==
		    0)
			return json_array_get(list, i);
	return NULL;
}

static void ingest_telemetry(struct fx *f, const char *st, int64_t ts)
{
	struct wwtp_in_msg m;
	memset(&m, 0, sizeof(m));
	m.kind = WWTP_MSG_TELEMETRY;
	m.station = st;
	m.has_ts = 1;
	m.ts_ms = ts;
	m.device = "outlet-analyzer";
	wwtp_monitor_ingest(f->mon, &m, NOW_MS);
}

static void ingest_status(struct fx *f, const char *st, const char *state, int64_t ts)
{
	struct wwtp_in_msg m;
	memset(&m, 0, sizeof(m));
	m.kind = WWTP_MSG_STATUS;
	m.station = st;
	m.has_ts = 1;
	m.ts_ms = ts;
	m.state = state;
	wwtp_monitor_ingest(f->mon, &m, NOW_MS);
}

static void ingest_alert(struct fx *f, const char *st, const char *id, const char *kind,
			 const char *event, int64_t start, int64_t end)
{
	struct wwtp_in_msg m;
	memset(&m, 0, sizeof(m));
	m.kind = WWTP_MSG_ALERT;
	m.station = st;
	m.id = id;
	m.event = event;
	m.alert_kind = kind;
	m.alert_device = "outlet-analyzer";
	m.param = "cod";
	m.unit = "mg/L";
	m.has_window = strcmp(kind, "exceedance") == 0;
	m.window_s = 3600;
	m.has_value = m.has_limit = m.has_ratio = 1;
	m.value = 200;
	m.limit = 135;
	m.ratio = 1.4815;
	m.start_ms = start;
	m.has_end = end != 0;
	m.end_ms = end;
	m.has_ts = 1;
	m.ts_ms = end ? end : start;
	wwtp_monitor_ingest(f->mon, &m, NOW_MS);
}

static void test_stations_fields(void **state)
{
	struct fx *f = *state;
	json_t *doc = expect(f, "/api/stations", NULL, 200);

	assert_true(json_is_array(doc));
	assert_int_equal(json_array_size(doc), 2);
	/* Sorted by id. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 0), "id")),
			    "qd6613-01");
	json_t *y = station(doc, "yen-nghia"), *q = station(doc, "qd6613-01");
	assert_non_null(y);
	assert_string_equal(json_string_value(json_object_get(y, "name")), "CCN Yên Nghĩa");
	assert_true(json_is_true(json_object_get(y, "plan_review")));
	assert_true(json_is_false(json_object_get(q, "plan_review")));
	assert_string_equal(json_string_value(json_object_get(y, "plan")), "review");
	assert_string_equal(json_string_value(json_object_get(y, "status")), "unknown");
	assert_true(json_is_null(json_object_get(y, "last_seen")));
	assert_true(json_is_false(json_object_get(y, "flagged")));
	assert_true(json_is_array(json_object_get(y, "reasons")));
	assert_int_equal(json_array_size(json_object_get(y, "reasons")), 0);
	assert_true(json_is_array(json_object_get(y, "alerts")));
	assert_true(json_object_get(y, "design_flow_m3d") &&
		    json_number_value(json_object_get(y, "design_flow_m3d")) == 1000);
	assert_true(json_is_object(json_object_get(y, "checks")));
	json_decref(doc);
	/* One station; a trailing slash is the same route. */
	doc = expect(f, "/api/stations/yen-nghia/", NULL, 200);
	assert_string_equal(json_string_value(json_object_get(doc, "id")), "yen-nghia");
	json_decref(doc);
	json_decref(expect(f, "/api/stations/nowhere", NULL, 404));
	json_decref(expect(f, "/api/stations/nowhere/extra", NULL, 404));
}

static void test_status_and_last_seen(void **state)
{
	struct fx *f = *state;
	json_t *doc;

	ingest_status(f, "qd6613-01", "online", NOW_MS - 120000);
	ingest_telemetry(f, "qd6613-01", NOW_MS - 60000);
	/* a replayed message from last week does not move last_seen back */
	ingest_telemetry(f, "qd6613-01", NOW_MS - 7 * 86400000LL);
	doc = expect(f, "/api/stations/qd6613-01", NULL, 200);
	assert_string_equal(json_string_value(json_object_get(doc, "status")), "online");
	assert_string_equal(json_string_value(json_object_get(doc, "last_seen")),
			    "2026-05-28T20:25:40.000Z");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(doc, "collector"), "state")),
	    "online");
	json_decref(doc);
	/* The collector stopped: offline. */
	ingest_status(f, "qd6613-01", "offline", NOW_MS - 30000);
	doc = expect(f, "/api/stations/qd6613-01", NULL, 200);
	assert_string_equal(json_string_value(json_object_get(doc, "status")), "offline");
	json_decref(doc);
	/* Telemetry again, but 10 minutes ago on another station: silent. */
	ingest_telemetry(f, "yen-nghia", NOW_MS - 600000);
	doc = expect(f, "/api/stations/yen-nghia", NULL, 200);
	assert_string_equal(json_string_value(json_object_get(doc, "status")), "silent");
	json_decref(doc);
}

static void test_flag_with_reasons(void **state)
{
	struct fx *f = *state;
	int64_t end = NOW_MS / WWTP_HOUR_MS;

	/* 24 hours of every param within its limits, but COD at 200 mg/L
	 * (Cmax 150 x 0.9 = 135), 12 polls an hour. */
	json_t *ps = wwtp_monitor_params_json(f->mon, "yen-nghia");
	assert_true(json_array_size(ps) > 10);
	for (size_t i = 0; i < json_array_size(ps); i++) {
		const char *p = json_string_value(json_array_get(ps, i));
		double v = strcmp(p, "ph") == 0	      ? 7
			   : strcmp(p, "temp") == 0   ? 28
			   : strcmp(p, "cod_in") == 0 ? 500
			   : strcmp(p, "nh4_in") == 0 ? 40
						      : 5;
		for (int64_t h = end - 24; h < end; h++)
			assert_int_equal(
			    wwtp_monitor_set_hour(f->mon, "yen-nghia", p, h, 12, 12, 0, v), 0);
	}
	json_decref(ps);
	assert_null(wwtp_monitor_params_json(f->mon, "nobody"));
	for (int64_t h = end - 24; h < end; h++)
		assert_int_equal(
		    wwtp_monitor_set_hour(f->mon, "yen-nghia", "cod", h, 12, 12, 0, 200), 0);
	assert_int_equal(wwtp_monitor_set_hour(f->mon, "yen-nghia", "nope", end, 1, 1, 0, 1),
			 WWTP_ERR_NOTFOUND);
	assert_int_equal(wwtp_monitor_set_hour(f->mon, "nobody", "cod", end, 1, 1, 0, 1),
			 WWTP_ERR_NOTFOUND);
	wwtp_monitor_evaluate(f->mon, NOW_MS);
	json_t *doc = expect(f, "/api/stations", NULL, 200);
	json_t *y = station(doc, "yen-nghia");
	assert_true(json_is_true(json_object_get(y, "flagged")));
	assert_true(json_is_true(json_object_get(y, "flagged")));
	assert_true(json_is_false(json_object_get(station(doc, "qd6613-01"), "flagged")));
	json_t *reasons = json_object_get(y, "reasons");
	int compliance = 0;
	for (size_t i = 0; i < json_array_size(reasons); i++) {
		json_t *r = json_array_get(reasons, i);
		const char *rule = json_string_value(json_object_get(r, "rule"));
		assert_non_null(rule);
		assert_true(json_is_string(json_object_get(r, "text")));
		assert_true(json_is_number(json_object_get(r, "threshold")));
		if (strcmp(rule, "compliance") == 0) {
			compliance = 1;
			assert_string_equal(json_string_value(json_object_get(r, "param")), "cod");
			assert_true(json_number_value(json_object_get(r, "value")) == 0.0);
			assert_true(json_number_value(json_object_get(r, "limit_max")) == 135.0);
			assert_int_equal(json_integer_value(json_object_get(r, "hours")), 24);
			assert_non_null(strstr(json_string_value(json_object_get(r, "text")),
					       "cod: 0% of 24 hourly averages within 135 mg/L"));
		}
	}
	assert_true(compliance);
	/* Since when: the first window of the data that flagged it (the
	 * rules judge from min_hours = 12 hours on), not when it was noticed;
	 * the same however often it is evaluated. */
	char since[32];
	assert_int_equal(wwtp_format_utc((end - 12) * WWTP_HOUR_MS, since, sizeof(since)), 0);
	assert_string_equal(json_string_value(json_object_get(y, "flagged_since")), since);
	json_t *fl = expect(f, "/api/stations/yen-nghia/flags", NULL, 200);
	json_t *ep = json_object_get(fl, "episodes");
	assert_int_equal(json_array_size(ep), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ep, 0), "raised")),
			    since);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ep, 0), "state")),
			    "open");
	assert_true(json_is_true(json_object_get(json_array_get(ep, 0), "from_start")));
	assert_true(json_array_size(json_object_get(json_array_get(ep, 0), "reasons")) >= 1);
	json_decref(fl);
	json_decref(expect(f, "/api/stations/nowhere/flags", NULL, 404));
	/* The regulation, named with its column and factors (from its file). */
	json_t *reg = json_object_get(y, "regulation");
	assert_string_equal(json_string_value(json_object_get(reg, "code")), "QCVN 40:2011/BTNMT");
	assert_string_equal(json_string_value(json_object_get(reg, "column")), "B");
	assert_true(json_number_value(json_object_get(reg, "kq")) == 0.9);
	assert_non_null(strstr(json_string_value(json_object_get(reg, "text_vi")),
			       "QCVN 40:2011/BTNMT cột B, Kq = 0,9"));
	/* Reasons in an inspector's words too. */
	assert_non_null(strstr(json_string_value(json_object_get(
				   json_array_get(json_object_get(y, "reasons"), 0), "text_vi")),
			       "vượt quy chuẩn 24/24 giờ, TB 200 mg/L, gấp 1,48 lần"));
	/* One glossary for the page. */
	json_t *g = expect(f, "/api/glossary", NULL, 200);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(g, "volume_in"), "vi")),
	    "Tổng lượng nước vào (cộng dồn)");
	json_decref(g);
	json_decref(expect(f, "/api/stations/yen-nghia/flags", "x=1", 400));
	json_t *ck = json_object_get(y, "checks");
	assert_true(json_number_value(json_object_get(
			json_object_get(json_object_get(ck, "compliance"), "cod"), "within")) ==
		    0.0);
	assert_int_equal(json_integer_value(json_object_get(ck, "hours")), 24);
	json_decref(doc);

	/* The data recovers: the flag goes. */
	for (int64_t h = end - 24; h < end; h++)
		wwtp_monitor_set_hour(f->mon, "yen-nghia", "cod", h, 12, 12, 0, 40);
	wwtp_monitor_evaluate(f->mon, NOW_MS);
	doc = expect(f, "/api/stations/yen-nghia", NULL, 200);
	assert_true(json_is_false(json_object_get(doc, "flagged")));
	assert_int_equal(json_array_size(json_object_get(doc, "reasons")), 0);
	assert_true(json_is_null(json_object_get(doc, "flagged_since")));
	json_decref(doc);
	/* The history is the data's: every hour now good, no window ever
	 * flagged (InfluxDB answered differently; the history follows). */
	doc = expect(f, "/api/stations/yen-nghia/flags", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(doc, "episodes")), 0);
	json_decref(doc);

	doc = expect(f, "/api/health", NULL, 200);
	assert_string_equal(json_string_value(json_object_get(doc, "status")), "ok");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(doc, "flags"), "stations")), 2);
	json_decref(doc);
}

static void test_alerts(void **state)
{
	struct fx *f = *state;
	char total[24];
	int status;
	int64_t t = NOW_MS - 3600000;
	struct wwtp_alarm_policies none;

	/* Without delays each raw alert is an alert of its own (the delays'
	 * own tests: test_central_episodes; with them, below). */
	memset(&none, 0, sizeof(none));
	assert_int_equal(wwtp_monitor_set_alarms(f->mon, &none), 0);
	ingest_alert(f, "yen-nghia", "yen-nghia:cod:exceedance:3600:1", "exceedance", "raised", t,
		     0);
	ingest_alert(f, "yen-nghia", "yen-nghia:cod:fault:0:2", "fault", "raised", t + 1000, 0);
	ingest_alert(f, "yen-nghia", "yen-nghia:cod:fault:0:2", "fault", "cleared", t + 1000,
		     t + 5000);
	ingest_alert(f, "qd6613-01", "qd6613-01:cod:exceedance:3600:3", "exceedance", "raised",
		     t - 86400000, 0);
	/* unknown stations are not kept */
	ingest_alert(f, "nobody", "nobody:cod:fault:0:4", "fault", "raised", t, 0);

	json_t *doc = get(f, "GET", "/api/alerts", NULL, &status, total);
	assert_int_equal(status, 200);
	assert_int_equal(json_array_size(doc), 3);
	assert_string_equal(total, "3");
	/* newest first */
	assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 0), "id")),
			    "yen-nghia:cod:fault:0:2");
	json_decref(doc);

	doc = expect(f, "/api/alerts", "station=yen-nghia&state=open", 200);
	assert_int_equal(json_array_size(doc), 1);
	json_t *a = json_array_get(doc, 0);
	assert_string_equal(json_string_value(json_object_get(a, "kind")), "exceedance");
	assert_string_equal(json_string_value(json_object_get(a, "state")), "open");
	assert_int_equal(json_integer_value(json_object_get(a, "window_s")), 3600);
	assert_true(json_number_value(json_object_get(a, "ratio")) == 1.4815);
	assert_null(json_object_get(a, "end"));
	json_decref(doc);

	doc = expect(f, "/api/alerts", "kind=fault&state=closed", 200);
	assert_int_equal(json_array_size(doc), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 0), "closed_by")),
			    "cleared");
	json_decref(doc);
	/* Time range: a day ago, only the old exceedance was active. */
	char args[128];
	snprintf(args, sizeof(args), "from=%lld&to=2026-05-27T19:27:00Z",
		 (long long)(t - 86400000 - 1000));
	doc = expect(f, "/api/alerts", args, 200);
	assert_int_equal(json_array_size(doc), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 0), "station")),
			    "qd6613-01");
	json_decref(doc);
	doc = get(f, "GET", "/api/alerts", "limit=1&state=all", &status, total);
	assert_int_equal(json_array_size(doc), 1);
	assert_string_equal(total, "3");
	json_decref(doc);
	/* The station's open alerts come with the station. */
	doc = expect(f, "/api/stations/yen-nghia", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(doc, "alerts")), 1);
	assert_int_equal(json_integer_value(json_object_get(doc, "open_alerts")), 1);
	json_decref(doc);

	/* Priority: every alert has one, and the filter takes it. */
	doc = expect(f, "/api/alerts", "priority=high", 200);
	assert_int_equal(json_array_size(doc), 2);
	a = json_array_get(doc, 0);
	assert_string_equal(json_string_value(json_object_get(a, "priority")), "high");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(a, "windows_s"), 0)),
			 3600);
	json_decref(doc);
	doc = expect(f, "/api/alerts", "priority=low", 200);
	assert_int_equal(json_array_size(doc), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 0), "kind")),
			    "fault");
	json_decref(doc);
	json_decref(expect(f, "/api/alerts", "priority=urgent", 400));
	json_decref(expect(f, "/api/alerts", "order=random", 400));
	/* The page's order: the open exceedance before the newer closed fault. */
	doc = expect(f, "/api/alerts", "station=yen-nghia&order=page", 200);
	assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 0), "kind")),
			    "exceedance");
	json_decref(doc);

	/* A missing-data alert gives its share as %, not in the param's unit. */
	ingest_alert(f, "qd6613-01", "qd6613-01:cod:availability:3600:9", "availability", "raised",
		     t, 0);
	doc = expect(f, "/api/alerts", "kind=availability", 200);
	a = json_array_get(doc, 0);
	assert_string_equal(json_string_value(json_object_get(a, "value_unit")), "%");
	assert_true(json_number_value(json_object_get(a, "value_pct")) == 20000);
	assert_true(json_number_value(json_object_get(a, "limit_pct")) == 13500);
	assert_string_equal(json_string_value(json_object_get(a, "priority")), "medium");
	json_decref(doc);

	/* With the default delays, the 4-second fault never becomes an alert. */
	struct wwtp_alarm_policies dflt;
	wwtp_alarm_policies_default(&dflt);
	assert_int_equal(wwtp_monitor_set_alarms(f->mon, &dflt), 0);
	doc = expect(f, "/api/alerts", "kind=fault", 200);
	assert_int_equal(json_array_size(doc), 0);
	json_decref(doc);
	dflt.kind[WWTP_ALERT_EXCEEDANCE].on_delay_s = 1;
	assert_int_equal(wwtp_monitor_set_alarms(f->mon, &dflt), WWTP_ERR_INVAL);

	/* The rates over the last two days: two exceedances (both in alerts)
	 * and the availability alert. */
	snprintf(args, sizeof(args), "from=%lld&to=%lld", (long long)(NOW_MS - 2 * 86400000LL),
		 (long long)NOW_MS);
	doc = expect(f, "/api/alerts/rates", args, 200);
	assert_int_equal(json_integer_value(json_object_get(doc, "raised")), 3);
	assert_int_equal(json_integer_value(json_object_get(doc, "exceedances_raw")), 2);
	assert_int_equal(json_integer_value(json_object_get(doc, "exceedances_in_alerts")), 2);
	assert_int_equal(json_integer_value(json_object_get(doc, "chattering_tags")), 0);
	json_decref(doc);

	/* CSV: the header and one row per alert. */
	struct wwtp_api_arg ca[1] = {{"state", "all"}};
	struct wwtp_api_request q = {
	    .method = "GET", .path = "/api/alerts.csv", .args = ca, .nargs = 1, .now_ms = NOW_MS};
	struct wwtp_api_response r;
	wwtp_api_handle(f->api, &q, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/csv; charset=utf-8");
	assert_non_null(strstr(r.body, WWTP_ALERTS_CSV_HEADER "\r\n"));
	assert_non_null(strstr(r.body, "yen-nghia:cod:exceedance:3600:1,yen-nghia,exceedance,high,"
				       "cod,mg/L,3600,open,"));
	int rows = 0;
	for (const char *c = r.body; (c = strstr(c, "\r\n")) != NULL; c += 2)
		rows++;
	assert_int_equal(rows, 1 + 3);
	free(r.body);
}

static void test_bad_input(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *path, *args;
		int status;
	} cases[] = {
	    {"/", "x", 400},
	    {"/api/", "debug=1", 400},
	    {"/api/stationz", NULL, 404},
	    {"/api/stations", "x=1", 400},
	    {"/api/health", "verbose", 400},
	    {"/api/alerts", "state=maybe", 400},
	    {"/api/alerts", "kind=explosion", 400},
	    {"/api/alerts", "station=nowhere", 404},
	    {"/api/alerts", "from=yesterday", 400},
	    {"/api/alerts", "to=2026-13-01T00:00:00Z", 400},
	    {"/api/alerts", "from=2000&to=1000", 400},
	    {"/api/alerts", "limit=0", 400},
	    {"/api/alerts", "limit=99999999", 400},
	    {"/api/alerts", "limit=5x", 400},
	    {"/api/alerts", "state=open&state=closed", 400},
	    {"/api/stations/yen-nghia/series", NULL, 400},
	    {"/api/stations/yen-nghia/series", "param=COD", 404},
	    {"/api/stations/yen-nghia/series", "param=conductivity", 404},
	    {"/api/stations/nowhere/series", "param=cod", 404},
	    {"/api/stations/yen-nghia/series", "param=cod&every=1y", 400},
	    {"/api/stations/yen-nghia/series", "param=cod&every=0s", 400},
	    {"/api/stations/yen-nghia/series", "param=cod&every=1s&from=0", 400},
	    {"/api/stations/yen-nghia/series", "param=cod&from=5&to=5", 400},
	    /* well formed, but this API has no InfluxDB */
	    {"/api/stations/yen-nghia/series", "param=cod", 503},
	    {"/api/stations/yen-nghia/series", "param=cod&every=1h", 503},
	    {"/api/stations/../../etc/passwd", NULL, 404},
	    {"/api/stations/\xff\xfe", NULL, 404},
	    {"/api/alerts", "\x01\xff=\x02", 400},
	};
	int status;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		json_decref(expect(f, cases[i].path, cases[i].args, cases[i].status));
	json_decref(get(f, "POST", "/api/stations", NULL, &status, NULL));
	assert_int_equal(status, 405);
	json_decref(get(f, "DELETE", "/api/alerts", NULL, &status, NULL));
	assert_int_equal(status, 405);
	json_decref(get(f, "HEAD", "/api/stations", NULL, &status, NULL));
	assert_int_equal(status, 200);
	/* A long path. */
	char longp[400];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	json_decref(expect(f, longp, NULL, 404));
	/* Garbage: any bytes in the path and the parameters, always JSON. */
	unsigned seed = 12345;
	for (int i = 0; i < 3000; i++) {
		char path[48], args[64];
		snprintf(path, sizeof(path), "%s", i % 3 ? "/api/stations/" : "/api/");
		for (size_t k = strlen(path); k < sizeof(path) - 1; k++) {
			seed = seed * 1103515245u + 12345u;
			path[k] = (char)(1 + (seed >> 16) % 255);
			if ((seed >> 8) % 11 == 0) {
				path[k] = '\0';
				break;
			}
		}
		path[sizeof(path) - 1] = '\0';
		for (size_t k = 0; k < sizeof(args) - 1; k++) {
			seed = seed * 1103515245u + 12345u;
			args[k] = (char)(1 + (seed >> 16) % 255);
		}
		args[sizeof(args) - 1] = '\0';
		json_decref(get(f, "GET", path, i % 2 ? args : NULL, &status, NULL));
		assert_true(status == 200 || status == 400 || status == 404);
	}
}

/* The route table (api.c) drives the 404 text and the alert kinds come
 * from the evaluator's one list. */
static void test_route_table(void **state)
{
	struct fx *f = *state;
	json_t *doc = expect(f, "/api/nothing", NULL, 404);
	const char *e = json_string_value(json_object_get(doc, "error"));
	assert_non_null(strstr(e, "/api/stations/{id}/series"));
	assert_non_null(strstr(e, "/api/alerts/{id}/ack"));
	assert_non_null(strstr(e, "/report"));
	json_decref(doc);
	for (int k = 0; k < WWTP_ALERT_KINDS; k++) {
		char args[64];
		snprintf(args, sizeof(args), "kind=%s", wwtp_alert_kind_name(k));
		json_decref(expect(f, "/api/alerts", args, 200));
	}
	doc = expect(f, "/api/alerts", "kind=flood", 400);
	assert_non_null(strstr(json_string_value(json_object_get(doc, "error")),
			       "exceedance, range, fault, calibration, offline, availability"));
	json_decref(doc);
	/* {id} is one path segment. */
	json_decref(expect(f, "/api/stations/yen-nghia/params/x", NULL, 404));
	/* Completeness needs the registry, which these tests do not give. */
	json_decref(expect(f, "/api/stations/yen-nghia/completeness", NULL, 404));
	/* Laboratory samples: a known station, but no InfluxDB here (503);
	 * an unknown station, unknown arguments, bad times; a lab_mismatch
	 * filter is a kind the alerts know. */
	json_decref(expect(f, "/api/stations/yen-nghia/samples", NULL, 503));
	json_decref(expect(f, "/api/stations/nowhere/samples", NULL, 404));
	json_decref(expect(f, "/api/stations/yen-nghia/samples", "param=cod", 400));
	json_decref(expect(f, "/api/stations/yen-nghia/samples", "from=yesterday", 400));
	json_decref(expect(f, "/api/alerts", "kind=lab_mismatch", 200));
}

static void test_index(void **state)
{
	struct fx *f = *state;
	json_t *doc = expect(f, "/", NULL, 200);
	assert_string_equal(json_string_value(json_object_get(doc, "name")), "wwtp-central");
	assert_true(json_array_size(json_object_get(doc, "routes")) ==
		    17); /* with completeness, config, samples */
	json_decref(doc);
	json_decref(expect(f, "/api", NULL, 200));
}

static void test_parse(void **state)
{
	int64_t ms;
	(void)state;
	assert_int_equal(wwtp_api_parse_time("2026-01-31T17:00:00Z", &ms), 0);
	assert_int_equal(ms, 1769878800000LL);
	assert_int_equal(wwtp_api_parse_time("2026-01-31T17:00:00.250Z", &ms), 0);
	assert_int_equal(ms, 1769878800250LL);
	assert_int_equal(wwtp_api_parse_time("1769878800000", &ms), 0);
	assert_int_equal(ms, 1769878800000LL);
	assert_int_equal(wwtp_api_parse_time("0", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(wwtp_api_parse_time("", &ms), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_api_parse_time("-5", &ms), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_api_parse_time("1e12", &ms), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_api_parse_time("99999999999999999999", &ms), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_api_parse_time("2026-01-31 17:00:00Z", &ms), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_api_parse_duration("90s", &ms), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(wwtp_api_parse_duration("5m", &ms), 0);
	assert_int_equal(ms, 300000);
	assert_int_equal(wwtp_api_parse_duration("1h", &ms), 0);
	assert_int_equal(ms, 3600000);
	assert_int_equal(wwtp_api_parse_duration("2d", &ms), 0);
	assert_int_equal(ms, 172800000);
	assert_int_equal(wwtp_api_parse_duration("0h", &ms), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_api_parse_duration("h", &ms), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_api_parse_duration("1", &ms), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_api_parse_duration("1hh", &ms), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_api_parse_duration("1w", &ms), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_api_parse_duration("9999999h", &ms), WWTP_ERR_INVAL);
}

int main(void)
{
	/* In this order: statuses, then flags, then alerts build on each other. */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stations_fields),   cmocka_unit_test(test_status_and_last_seen),
	    cmocka_unit_test(test_flag_with_reasons), cmocka_unit_test(test_alerts),
	    cmocka_unit_test(test_bad_input),	      cmocka_unit_test(test_index),
	    cmocka_unit_test(test_route_table),	      cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
