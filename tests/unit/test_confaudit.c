/* The measuring-configuration audit (collector/confaudit.c): every kind of
 * setting that shapes values is in the canonical text, and a change of one
 * is seen as exactly one change with its old and new value; the order of
 * devices and points and the transport's address change nothing; points
 * and devices added or removed are one change each; the message's bytes;
 * the text kept in the store across runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../collector/confaudit.h"
#include "../../collector/store.h"
#include "../../compliance/evaluator.h"
#include "../../compliance/limits.h"
#include "../../util/err.h"

/* Two devices, three points; limits on cod; the evaluation defaults. */
struct fx {
	struct wwtp_station st;
	struct wwtp_device dev[2];
	struct wwtp_point pt[3];
	struct wwtp_eval_config ev;
	struct wwtp_limits_table lt;
	struct wwtp_limit lim[1];
};

static void point(struct wwtp_point *p, const char *param, const char *unit, uint16_t addr)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->param, sizeof p->param, "%s", param);
	snprintf(p->unit, sizeof p->unit, "%s", unit);
	p->table = WWTP_TABLE_HOLDING;
	p->address = addr;
	p->type = WWTP_TYPE_FLOAT32;
	p->order = WWTP_ORDER_ABCD;
	p->bit = -1;
	p->scale = 1;
	p->offset = 0;
	p->plaus.on = 1;
	p->plaus.min = 0;
	p->plaus.max = 5000;
	p->plaus.step = 1000;
	p->plaus.resolution = 0.1;
	p->plaus.flat_s = 21600;
}

static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->st.id, sizeof f->st.id, "ca-plant");
	point(&f->pt[0], "cod", "mg/L", 100);
	point(&f->pt[1], "nh4", "mg/L", 102);
	point(&f->pt[2], "flow_out", "m³/h", 0);
	f->pt[2].table = WWTP_TABLE_INPUT;
	f->pt[2].type = WWTP_TYPE_UINT32;
	f->pt[2].order = WWTP_ORDER_CDAB;
	f->pt[2].scale = 0.1;
	snprintf(f->dev[0].name, sizeof f->dev[0].name, "outlet");
	snprintf(f->dev[0].host, sizeof f->dev[0].host, "10.0.0.5");
	f->dev[0].port = 502;
	f->dev[0].unit_id = 1;
	f->dev[0].status = (struct wwtp_status_src){.mode = WWTP_STATUS_VALUE,
						    .table = WWTP_TABLE_HOLDING,
						    .address = 200,
						    .calibrating = 1,
						    .fault = 2};
	f->dev[0].points = &f->pt[0];
	f->dev[0].npoints = 2;
	snprintf(f->dev[1].name, sizeof f->dev[1].name, "flow");
	f->dev[1].unit_id = 2;
	f->dev[1].points = &f->pt[2];
	f->dev[1].npoints = 1;
	f->st.devices = f->dev;
	f->st.ndevices = 2;
	wwtp_eval_config_default(&f->ev);
	f->st.evaluation = &f->ev;
	snprintf(f->lim[0].param, sizeof f->lim[0].param, "cod");
	f->lim[0].has_limit = 1;
	f->lim[0].cmax_min = NAN;
	f->lim[0].cmax_max = 148.5;
	f->lt.n = 1;
	f->lt.rows = f->lim;
	f->st.limits = &f->lt;
}

static char *text_of(const struct wwtp_station *st)
{
	struct wwtp_buf b;
	wwtp_buf_init(&b, 1 << 20);
	assert_int_equal(wwtp_confaudit_text(st, &b), 0);
	assert_non_null(b.data);
	return b.data; /* the buffer's memory, free()d by the caller */
}

/* The one change between the base fixture and the one `edit` made. */
static void expect_one(void (*edit)(struct fx *), const char *device, const char *param,
		       const char *setting, const char *from, const char *to)
{
	struct fx a, b;
	struct wwtp_conf_change *c = NULL;
	size_t n = 0, more = 0;
	fx_init(&a);
	fx_init(&b);
	edit(&b);
	char *ta = text_of(&a.st), *tb = text_of(&b.st);
	char fa[WWTP_CONF_FP_HEX], fb[WWTP_CONF_FP_HEX];
	wwtp_confaudit_fingerprint(ta, strlen(ta), fa);
	wwtp_confaudit_fingerprint(tb, strlen(tb), fb);
	assert_string_not_equal(fa, fb);
	assert_int_equal(wwtp_confaudit_diff(ta, tb, &c, &n, &more), 0);
	if (n != 1)
		fprintf(stderr, "setting %s: %zu changes\n", setting, n);
	assert_int_equal(n, 1);
	assert_int_equal(more, 0);
	assert_string_equal(c[0].device, device);
	assert_string_equal(c[0].param, param);
	assert_string_equal(c[0].setting, setting);
	assert_int_equal(c[0].has_from, from != NULL);
	assert_int_equal(c[0].has_to, to != NULL);
	if (from)
		assert_string_equal(c[0].from, from);
	if (to)
		assert_string_equal(c[0].to, to);
	free(c);
	free(ta);
	free(tb);
}

static void e_scale(struct fx *f)
{
	f->pt[0].scale = 0.5;
}
static void e_offset(struct fx *f)
{
	f->pt[0].offset = -2.25;
}
static void e_address(struct fx *f)
{
	f->pt[1].address = 104;
}
static void e_table(struct fx *f)
{
	f->pt[1].table = WWTP_TABLE_INPUT;
}
static void e_type(struct fx *f)
{
	f->pt[2].type = WWTP_TYPE_INT32;
}
static void e_order(struct fx *f)
{
	f->pt[2].order = WWTP_ORDER_DCBA;
}
static void e_bit(struct fx *f)
{
	f->pt[1].bit = 3;
}
static void e_unit(struct fx *f)
{
	snprintf(f->pt[2].unit, sizeof f->pt[2].unit, "L/s");
}
static void e_point_status(struct fx *f)
{
	f->pt[0].status = (struct wwtp_status_src){.mode = WWTP_STATUS_BITS,
						   .table = WWTP_TABLE_INPUT,
						   .address = 7,
						   .calibrating = 0x1,
						   .fault = 0x6};
}
static void e_device_status(struct fx *f)
{
	f->dev[0].status.fault = 3;
}
static void e_unit_id(struct fx *f)
{
	f->dev[1].unit_id = 5;
}
static void e_plaus_min(struct fx *f)
{
	f->pt[0].plaus.min = -1;
}
static void e_plaus_max(struct fx *f)
{
	f->pt[0].plaus.max = 2000;
}
static void e_plaus_step(struct fx *f)
{
	f->pt[0].plaus.step = NAN;
}
static void e_plaus_res(struct fx *f)
{
	f->pt[0].plaus.resolution = 0.01;
}
static void e_plaus_flat(struct fx *f)
{
	f->pt[0].plaus.flat_s = 0;
}
static void e_limit(struct fx *f)
{
	f->lim[0].cmax_max = 75;
}
static void e_eval(struct fx *f)
{
	f->ev.min_availability = 0.8;
}
static void e_point_added(struct fx *f)
{
	f->dev[0].npoints = 1; /* the base has nh4: from the base's view, removed */
}
static void e_device_removed(struct fx *f)
{
	f->st.ndevices = 1;
}

static void test_every_setting_is_one_change(void **state)
{
	(void)state;
	expect_one(e_scale, "outlet", "cod", "scale", "1", "0.5");
	expect_one(e_offset, "outlet", "cod", "offset", "0", "-2.25");
	expect_one(e_address, "outlet", "nh4", "address", "102", "104");
	expect_one(e_table, "outlet", "nh4", "table", "holding", "input");
	expect_one(e_type, "flow", "flow_out", "type", "uint32", "int32");
	expect_one(e_order, "flow", "flow_out", "order", "CDAB", "DCBA");
	expect_one(e_bit, "outlet", "nh4", "bit", NULL, "3");
	expect_one(e_unit, "flow", "flow_out", "unit", "m³/h", "L/s");
	expect_one(e_point_status, "outlet", "cod", "status", "none",
		   "input 7 bits calibrating=0x0001 fault=0x0006");
	expect_one(e_device_status, "outlet", "", "status",
		   "holding 200 value calibrating=1 fault=2",
		   "holding 200 value calibrating=1 fault=3");
	expect_one(e_unit_id, "flow", "", "unit_id", "2", "5");
	expect_one(e_plaus_min, "outlet", "cod", "plausible.min", "0", "-1");
	expect_one(e_plaus_max, "outlet", "cod", "plausible.max", "5000", "2000");
	expect_one(e_plaus_step, "outlet", "cod", "plausible.step", "1000", "none");
	expect_one(e_plaus_res, "outlet", "cod", "plausible.resolution", "0.1", "0.01");
	expect_one(e_plaus_flat, "outlet", "cod", "plausible.flat_s", "21600", "0");
	expect_one(e_limit, "outlet", "cod", "limit.max", "148.5", "75");
	expect_one(e_eval, "", "", "evaluation.min_availability", "0.75", "0.8");
	/* A point or a device is one change, not one per setting. */
	expect_one(e_point_added, "outlet", "nh4", "point", "defined", NULL);
	expect_one(e_device_removed, "flow", "", "device", "defined", NULL);
}

/* The order of devices and points in the file, and where a device is
 * reached, shape no value: the same fingerprint. */
static void test_order_and_transport_change_nothing(void **state)
{
	struct fx a, b;
	(void)state;
	fx_init(&a);
	fx_init(&b);
	struct wwtp_device d0 = b.dev[0];
	b.dev[0] = b.dev[1];
	b.dev[1] = d0;
	struct wwtp_point p0 = b.pt[0];
	b.pt[0] = b.pt[1];
	b.pt[1] = p0;
	snprintf(b.dev[1].host, sizeof b.dev[1].host, "192.168.1.9");
	b.dev[1].port = 5020;
	b.dev[1].interval_ms = 1000;
	char *ta = text_of(&a.st), *tb = text_of(&b.st);
	assert_string_equal(ta, tb);
	struct wwtp_conf_change *c = NULL;
	size_t n = 7;
	assert_int_equal(wwtp_confaudit_diff(ta, tb, &c, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_null(c);
	free(ta);
	free(tb);
}

/* The text itself: one sorted line per setting, station-wide first. */
static void test_text_lines(void **state)
{
	struct fx a;
	(void)state;
	fx_init(&a);
	char *t = text_of(&a.st);
	assert_non_null(strstr(t, "outlet\tcod\tscale\t1\n"));
	assert_non_null(strstr(t, "flow\tflow_out\tscale\t0.1\n"));
	assert_non_null(strstr(t, "outlet\tcod\tlimit.min\tnone\n"));
	assert_non_null(strstr(t, "outlet\t\tunit_id\t1\n"));
	assert_null(strstr(t, "10.0.0.5"));
	assert_null(strstr(t, "502"));
	assert_memory_equal(t, "\t\tevaluation.", 13);
	/* Sorted. */
	for (char *p = t, *nl; (nl = strchr(p, '\n')) && nl[1]; p = nl + 1) {
		char *nl2 = strchr(nl + 1, '\n');
		assert_non_null(nl2);
		size_t la = (size_t)(nl - p), lb = (size_t)(nl2 - nl - 1);
		int c = strncmp(p, nl + 1, la < lb ? la : lb);
		assert_true(c < 0 || (c == 0 && la <= lb));
	}
	free(t);
}

static void test_first_run_has_no_changes(void **state)
{
	struct fx a;
	struct wwtp_conf_change *c = NULL;
	size_t n = 9, more = 9;
	(void)state;
	fx_init(&a);
	char *t = text_of(&a.st);
	assert_int_equal(wwtp_confaudit_diff(NULL, t, &c, &n, &more), 0);
	assert_int_equal(n, 0);
	assert_int_equal(more, 0);
	assert_int_equal(wwtp_confaudit_diff("", t, &c, &n, &more), 0);
	assert_int_equal(n, 0);
	free(t);
}

static void test_numbers(void **state)
{
	char t[40];
	(void)state;
	wwtp_confaudit_num(1, t, sizeof t);
	assert_string_equal(t, "1");
	wwtp_confaudit_num(0.5, t, sizeof t);
	assert_string_equal(t, "0.5");
	wwtp_confaudit_num(0.1, t, sizeof t);
	assert_string_equal(t, "0.1");
	wwtp_confaudit_num(1.0 / 3, t, sizeof t);
	assert_true(strtod(t, NULL) == 1.0 / 3);
	wwtp_confaudit_num(1e-7, t, sizeof t);
	assert_string_equal(t, "1e-07");
	wwtp_confaudit_num(NAN, t, sizeof t);
	assert_string_equal(t, "none");
}

/* A scale that differs in its 17th digit is still a change. */
static void e_scale_tiny(struct fx *f)
{
	f->pt[0].scale = 1.0000000000000002;
}

static void test_tiny_change_seen(void **state)
{
	(void)state;
	expect_one(e_scale_tiny, "outlet", "cod", "scale", "1", "1.0000000000000002");
}

static void test_payload_bytes(void **state)
{
	struct fx a;
	struct wwtp_buf b;
	struct wwtp_conf_change c[2];
	(void)state;
	fx_init(&a);
	memset(c, 0, sizeof c);
	snprintf(c[0].device, sizeof c[0].device, "outlet");
	snprintf(c[0].param, sizeof c[0].param, "cod");
	snprintf(c[0].setting, sizeof c[0].setting, "scale");
	snprintf(c[0].from, sizeof c[0].from, "1");
	snprintf(c[0].to, sizeof c[0].to, "0.5");
	c[0].has_from = c[0].has_to = 1;
	snprintf(c[1].device, sizeof c[1].device, "flow");
	snprintf(c[1].setting, sizeof c[1].setting, "device");
	snprintf(c[1].from, sizeof c[1].from, "defined");
	c[1].has_from = 1;
	char fp[65], pv[65];
	memset(fp, 'a', 64);
	fp[64] = '\0';
	memset(pv, 'b', 64);
	pv[64] = '\0';
	wwtp_buf_init(&b, 1 << 16);
	/* 2026-01-31T17:00:00.000Z */
	assert_int_equal(wwtp_confaudit_payload(&a.st, 1769878800000LL, 7, fp, pv, c, 2, 0, &b), 0);
	char want[1024];
	snprintf(want, sizeof want,
		 "{\"v\":1,\"station\":\"ca-plant\",\"ts\":\"2026-01-31T17:00:00.000Z\",\"seq\":7,"
		 "\"fingerprint\":\"%s\",\"previous\":\"%s\",\"changes\":["
		 "{\"device\":\"outlet\",\"param\":\"cod\",\"setting\":\"scale\",\"from\":\"1\","
		 "\"to\":\"0.5\"},"
		 "{\"device\":\"flow\",\"setting\":\"device\",\"from\":\"defined\",\"to\":null}]}",
		 fp, pv);
	assert_string_equal(b.data, want);
	/* The first run: previous null, no changes. */
	assert_int_equal(
	    wwtp_confaudit_payload(&a.st, 1769878800000LL, 1, fp, NULL, NULL, 0, 0, &b), 0);
	snprintf(want, sizeof want,
		 "{\"v\":1,\"station\":\"ca-plant\",\"ts\":\"2026-01-31T17:00:00.000Z\",\"seq\":1,"
		 "\"fingerprint\":\"%s\",\"previous\":null,\"changes\":[]}",
		 fp);
	assert_string_equal(b.data, want);
	wwtp_buf_free(&b);
}

/* More changes than a message lists: counted in "more". */
static void test_many_changes_capped(void **state)
{
	struct wwtp_buf a, b;
	struct wwtp_conf_change *c = NULL;
	size_t n = 0, more = 0;
	(void)state;
	wwtp_buf_init(&a, 1 << 20);
	wwtp_buf_init(&b, 1 << 20);
	for (int i = 0; i < WWTP_CONF_CHANGES_MAX + 5; i++) {
		wwtp_buf_printf(&a, "d\tp%03d\tscale\t1\n", i);
		wwtp_buf_printf(&b, "d\tp%03d\tscale\t2\n", i);
	}
	assert_int_equal(wwtp_confaudit_diff(a.data, b.data, &c, &n, &more), 0);
	assert_int_equal(n, WWTP_CONF_CHANGES_MAX);
	assert_int_equal(more, 5);
	free(c);
	wwtp_buf_free(&a);
	wwtp_buf_free(&b);
}

/* The last run's text is kept in the store, committed with its message,
 * and read back as it was (all digits included: never taken for a number). */
static void test_store_keeps_text(void **state)
{
	char dir[256], path[300];
	struct wwtp_store *s = NULL;
	char *v = NULL;
	(void)state;
	snprintf(dir, sizeof dir, "%s/wwtp-confaudit.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/s.db", dir);
	assert_int_equal(wwtp_store_open(path, 0, 0, &s), 0);
	assert_int_equal(wwtp_store_get_text(s, "measuring_config", &v), WWTP_ERR_NOTFOUND);
	assert_null(v);
	assert_int_equal(wwtp_store_set_text(s, "measuring_config", "0123456789"), 0);
	assert_int_equal(wwtp_store_commit(s), 0);
	assert_int_equal(wwtp_store_set_text(s, "measuring_config", "not committed"), 0);
	wwtp_store_rollback(s);
	wwtp_store_close(s);
	assert_int_equal(wwtp_store_open(path, 0, 0, &s), 0);
	assert_int_equal(wwtp_store_get_text(s, "measuring_config", &v), 0);
	assert_string_equal(v, "0123456789");
	free(v);
	wwtp_store_close(s);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_setting_is_one_change),
	    cmocka_unit_test(test_order_and_transport_change_nothing),
	    cmocka_unit_test(test_text_lines),
	    cmocka_unit_test(test_first_run_has_no_changes),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_tiny_change_seen),
	    cmocka_unit_test(test_payload_bytes),
	    cmocka_unit_test(test_many_changes_capped),
	    cmocka_unit_test(test_store_keeps_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
