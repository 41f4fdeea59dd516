/* test_sim_control.c - the simulator's fault specs and control commands
 * (control_parse.c), and what a fault does to a request's answer
 * (fault.c): exception frames, CRC and header damage, wrong unit ids,
 * which requests cover a bad address, repeatable drop draws, silences that
 * end.
 *
 * White-box for fault.c's put_crc (fault-private.h, util/unittest.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../firmware-sim/control_parse.h"
#include "../../firmware-sim/fault.h"
#include "../../firmware-sim/rtu_frame.h"
#include "../../util/err.h"
#include "../../payload/payload.h"
#include "../../firmware-sim/fault-private.h"

static struct wwtp_sim_fault fault_of(const char *kind, const char *arg)
{
	struct wwtp_sim_fault f;
	char err[WWTP_SIM_ERR_MAX];
	int rc = wwtp_sim_fault_parse(kind, arg, &f, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s %s: %s", kind, arg ? arg : "", err);
	return f;
}

/* fault_of() on "kind" or "kind:arg". */
static struct wwtp_sim_fault fault_of_spec(const char *spec)
{
	char kind[64];
	char *colon;
	const char *arg = NULL;

	snprintf(kind, sizeof(kind), "%s", spec);
	if ((colon = strchr(kind, ':')) != NULL) {
		*colon = '\0';
		arg = colon + 1;
	}
	return fault_of(kind, arg);
}

static void test_fault_kinds(void **state)
{
	/* The field each spec sets besides the kind, and its value. */
	enum { KIND_ONLY, MS, P, CODE, ADDRESS };
	static const struct {
		const char *kind, *arg;
		enum wwtp_sim_fault_kind want;
		int field;
		double value;
	} cases[] = {
	    {"none", NULL, WWTP_SIM_FAULT_NONE, KIND_ONLY, 0},
	    {"delay", "1500", WWTP_SIM_FAULT_DELAY, MS, 1500},
	    {"delay", "0", WWTP_SIM_FAULT_DELAY, MS, 0},
	    {"drop", NULL, WWTP_SIM_FAULT_DROP, P, 1.0},
	    {"drop", "", WWTP_SIM_FAULT_DROP, P, 1.0},
	    {"drop", "0.25", WWTP_SIM_FAULT_DROP, P, 0.25},
	    {"drop", "0", WWTP_SIM_FAULT_DROP, P, 0.0},
	    {"exception", "4", WWTP_SIM_FAULT_EXCEPTION, CODE, 4},
	    {"exception", "255", WWTP_SIM_FAULT_EXCEPTION, CODE, 255},
	    {"crc", NULL, WWTP_SIM_FAULT_CRC, KIND_ONLY, 0},
	    {"close", NULL, WWTP_SIM_FAULT_CLOSE, KIND_ONLY, 0},
	    {"silent", "10", WWTP_SIM_FAULT_SILENT, MS, 10000},
	    {"silent", "0.3", WWTP_SIM_FAULT_SILENT, MS,
	     300}, /* not 301: no floating-point creep */
	    {"silent", "0.0001", WWTP_SIM_FAULT_SILENT, MS, 1}, /* a silence is never 0 ms */
	    {"wrong-unit", NULL, WWTP_SIM_FAULT_WRONG_UNIT, KIND_ONLY, 0},
	    {"bad-address", "65535", WWTP_SIM_FAULT_BAD_ADDRESS, ADDRESS, 65535},
	    {"bad-address", "010", WWTP_SIM_FAULT_BAD_ADDRESS, ADDRESS,
	     10}, /* decimal, never octal */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wwtp_sim_fault f = fault_of(cases[i].kind, cases[i].arg);
		double got = cases[i].field == MS	 ? f.ms
			     : cases[i].field == P	 ? f.p
			     : cases[i].field == CODE	 ? f.code
			     : cases[i].field == ADDRESS ? f.address
							 : 0;
		if (f.kind != cases[i].want || got != cases[i].value)
			fail_msg("%s %s: kind %d, value %g", cases[i].kind,
				 cases[i].arg ? cases[i].arg : "(none)", (int)f.kind, got);
	}
}

static void test_fault_kinds_refused(void **state)
{
	static const char *const bad[][2] = {
	    {"delays", "5"},	       {"DELAY", "5"},	      {"", NULL},
	    {"delay", NULL},	       {"delay", "-1"},	      {"delay", "600001"},
	    {"delay", "5ms"},	       {"delay", "1.5"},      {"delay", "+5"},
	    {"delay", " 5"},	       {"delay", "0x10"},     {"delay", "99999999999999999999"},
	    {"drop", "1.5"},	       {"drop", "-0.1"},      {"drop", "nan"},
	    {"drop", "half"},	       {"exception", NULL},   {"exception", "0"},
	    {"exception", "256"},      {"exception", "x"},    {"crc", "1"},
	    {"close", "now"},	       {"none", "0"},	      {"wrong-unit", "3"},
	    {"silent", NULL},	       {"silent", "0"},	      {"silent", "-1"},
	    {"silent", "86401"},       {"silent", "inf"},     {"silent", "nan"},
	    {"bad-address", NULL},     {"bad-address", "-1"}, {"bad-address", "65536"},
	    {"bad-address", "40001x"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wwtp_sim_fault f;
		char err[WWTP_SIM_ERR_MAX] = "";
		int rc = wwtp_sim_fault_parse(bad[i][0], bad[i][1], &f, err, sizeof(err));
		if (rc != WWTP_ERR_INVAL)
			fail_msg("'%s' '%s' accepted", bad[i][0], bad[i][1] ? bad[i][1] : "(none)");
		assert_true(strlen(err) > 0); /* and says why */
	}
}

/* format() writes what parse() reads back to the same fault. */
static void test_fault_format_roundtrip(void **state)
{
	static const char *const specs[] = {
	    "none",	    "delay:0",	    "delay:250",     "drop",	     "drop:0.1",
	    "drop:0",	    "exception:11", "crc",	     "close",	     "silent:0.3",
	    "silent:86400", "wrong-unit",   "bad-address:0", "bad-address:7"};
	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		char text[64], again[64];
		struct wwtp_sim_fault f, g;

		f = fault_of_spec(specs[i]);
		wwtp_sim_fault_format(&f, text, sizeof(text));
		g = fault_of_spec(text);
		assert_memory_equal(&f, &g, sizeof(f));
		wwtp_sim_fault_format(&g, again, sizeof(again));
		assert_string_equal(text, again);
	}
}

static struct wwtp_sim_cmd cmd_of(const char *line)
{
	struct wwtp_sim_cmd c;
	char err[WWTP_SIM_ERR_MAX];
	if (wwtp_sim_cmd_parse(line, &c, err, sizeof(err)) != 0)
		fail_msg("'%s': %s", line, err);
	return c;
}

static void test_cmd_parse(void **state)
{
	struct wwtp_sim_cmd c;
	(void)state;

	c = cmd_of("fault thanh-thuy outlet-ph delay 500");
	assert_int_equal(c.verb, WWTP_SIM_CMD_FAULT);
	assert_string_equal(c.station, "thanh-thuy");
	assert_string_equal(c.name, "outlet-ph");
	assert_int_equal(c.fault.kind, WWTP_SIM_FAULT_DELAY);
	assert_int_equal(c.fault.ms, 500);

	c = cmd_of("  fault\tst\t dev   crc  \r");
	assert_int_equal(c.fault.kind, WWTP_SIM_FAULT_CRC);
	assert_string_equal(c.name, "dev");

	c = cmd_of("fault st dev none");
	assert_int_equal(c.fault.kind, WWTP_SIM_FAULT_NONE);

	c = cmd_of("set st cod 123.25");
	assert_int_equal(c.verb, WWTP_SIM_CMD_SET);
	assert_string_equal(c.name, "cod");
	assert_true(c.value == 123.25);
	c = cmd_of("set st cod -1e3");
	assert_true(c.value == -1000.0);
	c = cmd_of("set st cod nan"); /* a float point's "no value" */
	assert_true(isnan(c.value));

	c = cmd_of("unset st cod");
	assert_int_equal(c.verb, WWTP_SIM_CMD_UNSET);

	c = cmd_of("status st dev fault");
	assert_int_equal(c.verb, WWTP_SIM_CMD_STATUS);
	assert_int_equal(c.status, WWTP_READING_FAULT);
	c = cmd_of("status st dev calibrating");
	assert_int_equal(c.status, WWTP_READING_CALIBRATING);
	c = cmd_of("status st dev ok");
	assert_int_equal(c.status, WWTP_READING_OK);
	c = cmd_of("status st dev auto");
	assert_int_equal(c.status, WWTP_SIM_STATUS_AUTO);

	c = cmd_of("get st ph");
	assert_int_equal(c.verb, WWTP_SIM_CMD_GET);
	c = cmd_of("show st dev");
	assert_int_equal(c.verb, WWTP_SIM_CMD_SHOW);
	assert_int_equal(cmd_of("list").verb, WWTP_SIM_CMD_LIST);
	assert_int_equal(cmd_of("help").verb, WWTP_SIM_CMD_HELP);
	assert_int_equal(cmd_of("quit\r").verb, WWTP_SIM_CMD_QUIT);

	/* The longest name a name can be. */
	char line[WWTP_SIM_LINE_MAX], name[WWTP_ID_MAX];
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(line, sizeof(line), "get %s %s", name, name);
	c = cmd_of(line);
	assert_string_equal(c.station, name);
}

static void test_cmd_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "   ",
	    "\r",
	    "fly st dev",
	    "FAULT st dev crc",
	    "fault st dev",
	    "fault st dev delay",
	    "fault st dev delay 5 6",
	    "fault st dev bogus",
	    "fault st dev crc 1",
	    "fault st dev exception 0",
	    "set st cod",
	    "set st cod twelve",
	    "set st cod 12,5",
	    "set st cod 1e999",
	    "set st cod 1 2",
	    "unset st",
	    "status st dev broken",
	    "status st dev",
	    "get st",
	    "get st ph extra",
	    "show st",
	    "list all",
	    "help me",
	    "quit now",
	    "get st p\x01h",
	    "get st ph\x7f",
	    "get tr\xc3\xa0 ph", /* UTF-8: names are ASCII */
	    "get st ph\n",
	    "a b c d e f g h",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wwtp_sim_cmd c;
		char err[WWTP_SIM_ERR_MAX] = "";
		if (wwtp_sim_cmd_parse(bad[i], &c, err, sizeof(err)) != WWTP_ERR_INVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_true(strlen(err) > 0);
		/* Messages stay one printable line whatever came in. */
		for (const char *p = err; *p; p++)
			assert_true(*p >= 0x20 && *p < 0x7f);
	}
}

static void test_cmd_limits(void **state)
{
	char line[600], name[WWTP_ID_MAX + 1], err[WWTP_SIM_ERR_MAX];
	struct wwtp_sim_cmd c;
	(void)state;

	/* One character more than a name can hold. */
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(line, sizeof(line), "get %s ph", name);
	assert_int_equal(wwtp_sim_cmd_parse(line, &c, err, sizeof(err)), WWTP_ERR_INVAL);
	assert_non_null(strstr(err, "too long"));
	snprintf(line, sizeof(line), "get st %s", name);
	assert_int_equal(wwtp_sim_cmd_parse(line, &c, err, sizeof(err)), WWTP_ERR_INVAL);

	/* A line longer than the port takes. */
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(wwtp_sim_cmd_parse(line, &c, err, sizeof(err)), WWTP_ERR_INVAL);
	assert_non_null(strstr(err, "too long"));

	/* A tiny error buffer is not overrun. */
	char tiny[8];
	memset(tiny, '#', sizeof(tiny));
	assert_int_equal(wwtp_sim_cmd_parse("fly", &c, tiny, 4), WWTP_ERR_INVAL);
	assert_int_equal(tiny[3], '\0');
	assert_int_equal(tiny[4], '#');
}

static void test_spec_parse(void **state)
{
	struct wwtp_sim_cmd c;
	char err[WWTP_SIM_ERR_MAX];
	(void)state;

	assert_int_equal(
	    wwtp_sim_fault_spec_parse("thanh-thuy/outlet-ph=delay:500", &c, err, sizeof(err)), 0);
	assert_int_equal(c.verb, WWTP_SIM_CMD_FAULT);
	assert_string_equal(c.station, "thanh-thuy");
	assert_string_equal(c.name, "outlet-ph");
	assert_int_equal(c.fault.kind, WWTP_SIM_FAULT_DELAY);
	assert_int_equal(c.fault.ms, 500);
	assert_int_equal(wwtp_sim_fault_spec_parse("s/d=drop", &c, err, sizeof(err)), 0);
	assert_true(c.fault.p == 1.0);
	assert_int_equal(wwtp_sim_fault_spec_parse("s/d=drop:0.5", &c, err, sizeof(err)), 0);
	assert_true(c.fault.p == 0.5);
	assert_int_equal(wwtp_sim_fault_spec_parse("s/d=wrong-unit", &c, err, sizeof(err)), 0);
	assert_int_equal(c.fault.kind, WWTP_SIM_FAULT_WRONG_UNIT);
	assert_int_equal(wwtp_sim_fault_spec_parse("s/d=bad-address:12", &c, err, sizeof(err)), 0);
	assert_int_equal(c.fault.address, 12);

	assert_int_equal(wwtp_sim_set_spec_parse("s/cod=12.5", &c, err, sizeof(err)), 0);
	assert_int_equal(c.verb, WWTP_SIM_CMD_SET);
	assert_string_equal(c.station, "s");
	assert_string_equal(c.name, "cod");
	assert_true(c.value == 12.5);
	assert_int_equal(wwtp_sim_set_spec_parse("s/cod=-3", &c, err, sizeof(err)), 0);
	assert_true(c.value == -3.0);

	static const char *const bad_fault[] = {
	    "",	       "s",	      "s/d",	       "s=d/crc",      "/d=crc",      "s/=crc",
	    "s/d=",    "s/d=delay",   "s/d=delay:",    "s/d=crc:1",    "s/d=delay:x", "s/d=sleep",
	    "s d=crc", "s/d=delay 5", "s/d=delay:5\n", "s/d=\xc3\xa0",
	};
	for (size_t i = 0; i < sizeof(bad_fault) / sizeof(bad_fault[0]); i++)
		if (wwtp_sim_fault_spec_parse(bad_fault[i], &c, err, sizeof(err)) != WWTP_ERR_INVAL)
			fail_msg("--fault '%s' accepted", bad_fault[i]);

	static const char *const bad_set[] = {"",     "s/cod",	"s/cod=",   "s/cod=1x",	  "scod=1",
					      "s/=1", "/cod=1", "s/cod=1 ", "s/cod=1e999"};
	for (size_t i = 0; i < sizeof(bad_set) / sizeof(bad_set[0]); i++)
		if (wwtp_sim_set_spec_parse(bad_set[i], &c, err, sizeof(err)) != WWTP_ERR_INVAL)
			fail_msg("--set '%s' accepted", bad_set[i]);

	char longspec[400];
	memset(longspec, 'a', sizeof(longspec) - 1);
	longspec[sizeof(longspec) - 1] = '\0';
	longspec[10] = '/';
	longspec[20] = '=';
	assert_int_equal(wwtp_sim_fault_spec_parse(longspec, &c, err, sizeof(err)), WWTP_ERR_INVAL);
}

/* ---- What faults do to frames ---- */

/* A TCP request: read holding registers addr, count, unit 1, transaction 0x1234. */
static void tcp_x(struct wwtp_sim_exchange *x, uint8_t *req, int fc, int addr, int count)
{
	const uint8_t r[12] = {0x12,
			       0x34,
			       0,
			       0,
			       0,
			       6,
			       1,
			       (uint8_t)fc,
			       (uint8_t)(addr >> 8),
			       (uint8_t)addr,
			       (uint8_t)(count >> 8),
			       (uint8_t)count};
	memcpy(req, r, sizeof(r));
	memset(x, 0, sizeof(*x));
	x->hdr = 7;
	x->unit = 1;
	x->function = fc;
	x->address = addr;
	x->req = req;
	x->req_len = 12;
	/* The normal answer to two registers: 0x0102 0x0304. */
	const uint8_t a[13] = {0x12, 0x34, 0, 0, 0, 7, 1, (uint8_t)fc, 4, 1, 2, 3, 4};
	memcpy(x->rsp, a, sizeof(a));
	x->rsp_len = 13;
}

static void rtu_x(struct wwtp_sim_exchange *x, uint8_t *req, int unit, int fc, int addr, int count)
{
	req[0] = (uint8_t)unit;
	req[1] = (uint8_t)fc;
	req[2] = (uint8_t)(addr >> 8);
	req[3] = (uint8_t)addr;
	req[4] = (uint8_t)(count >> 8);
	req[5] = (uint8_t)count;
	put_crc(req, 8);
	memset(x, 0, sizeof(*x));
	x->hdr = 1;
	x->unit = unit;
	x->function = fc;
	x->address = addr;
	x->req = req;
	x->req_len = 8;
	const uint8_t a[7] = {(uint8_t)unit, (uint8_t)fc, 4, 1, 2, 3, 4};
	memcpy(x->rsp, a, sizeof(a));
	x->rsp_len = 9;
	put_crc(x->rsp, 9);
}

static void test_covers(void **state)
{
	uint8_t req[32];
	struct wwtp_sim_exchange x;
	(void)state;

	tcp_x(&x, req, 3, 10, 4); /* registers 10..13 */
	assert_false(wwtp_sim_request_covers(req, 12, 7, 9));
	assert_true(wwtp_sim_request_covers(req, 12, 7, 10));
	assert_true(wwtp_sim_request_covers(req, 12, 7, 13));
	assert_false(wwtp_sim_request_covers(req, 12, 7, 14));
	assert_false(wwtp_sim_request_covers(req, 9, 7, 10)); /* cut short */
	tcp_x(&x, req, 3, 10, 0);			      /* a count of 0 covers nothing */
	assert_false(wwtp_sim_request_covers(req, 12, 7, 10));
	tcp_x(&x, req, 3, 65535, 2); /* no wrap past 65535 */
	assert_true(wwtp_sim_request_covers(req, 12, 7, 65535));
	assert_false(wwtp_sim_request_covers(req, 12, 7, 0));

	rtu_x(&x, req, 5, 6, 20, 0x1234); /* write single register 20 */
	assert_true(wwtp_sim_request_covers(req, 8, 1, 20));
	assert_false(wwtp_sim_request_covers(req, 8, 1, 21));
	rtu_x(&x, req, 5, 1, 0, 16); /* coils 0..15 */
	assert_true(wwtp_sim_request_covers(req, 8, 1, 15));
	assert_false(wwtp_sim_request_covers(req, 8, 1, 16));

	/* 23: read 100..101, write 200..202. */
	const uint8_t rw[] = {5, 23, 0, 100, 0, 2, 0, 200, 0, 3, 6, 0, 0, 0, 0, 0, 0, 0, 0};
	assert_true(wwtp_sim_request_covers(rw, sizeof(rw), 1, 101));
	assert_true(wwtp_sim_request_covers(rw, sizeof(rw), 1, 202));
	assert_false(wwtp_sim_request_covers(rw, sizeof(rw), 1, 150));

	const uint8_t id[] = {5, 43, 14, 1, 0, 0, 0, 0};
	assert_false(wwtp_sim_request_covers(id, sizeof(id), 1, 14));
}

static void test_exception_frames(void **state)
{
	uint8_t req[32];
	struct wwtp_sim_exchange x;
	struct wwtp_sim_fault f = fault_of("exception", "4");
	(void)state;

	tcp_x(&x, req, 3, 0, 2);
	assert_true(wwtp_sim_fault_preempts(&f));
	assert_int_equal(wwtp_sim_fault_apply(&f, &x), WWTP_SIM_SEND);
	const uint8_t want_tcp[] = {0x12, 0x34, 0, 0, 0, 3, 1, 0x83, 4};
	assert_int_equal(x.rsp_len, sizeof(want_tcp));
	assert_memory_equal(x.rsp, want_tcp, sizeof(want_tcp));

	rtu_x(&x, req, 7, 4, 0, 2);
	f = fault_of("bad-address", "1");
	assert_true(wwtp_sim_fault_preempts(&f));
	assert_int_equal(wwtp_sim_fault_apply(&f, &x), WWTP_SIM_SEND);
	assert_int_equal(x.rsp_len, 5);
	assert_int_equal(x.rsp[0], 7);
	assert_int_equal(x.rsp[1], 0x84);
	assert_int_equal(x.rsp[2], 2);
	assert_true(wwtp_sim_rtu_crc_ok(x.rsp, 5));
}

static void test_frame_damage(void **state)
{
	uint8_t req[32], before[WWTP_SIM_MAX_ADU];
	struct wwtp_sim_exchange x;
	struct wwtp_sim_fault f;
	(void)state;

	/* RTU crc: same bytes, CRC wrong. */
	rtu_x(&x, req, 5, 3, 0, 2);
	f = fault_of("crc", NULL);
	assert_false(wwtp_sim_fault_preempts(&f));
	memcpy(before, x.rsp, sizeof(before));
	assert_int_equal(wwtp_sim_fault_apply(&f, &x), WWTP_SIM_SEND);
	assert_int_equal(x.rsp_len, 9);
	assert_memory_equal(x.rsp, before, 7);
	assert_false(wwtp_sim_rtu_crc_ok(x.rsp, 9));

	/* TCP crc: protocol id not Modbus, length and PDU intact. */
	tcp_x(&x, req, 3, 0, 2);
	memcpy(before, x.rsp, sizeof(before));
	assert_int_equal(wwtp_sim_fault_apply(&f, &x), WWTP_SIM_SEND);
	assert_int_equal(x.rsp_len, 13);
	assert_int_equal(x.rsp[2], 0xFF);
	assert_int_equal(x.rsp[3], 0xFF);
	assert_memory_equal(x.rsp, before, 2);
	assert_memory_equal(x.rsp + 4, before + 4, 9);

	/* wrong-unit: another unit id, a valid CRC on RTU. */
	rtu_x(&x, req, 5, 3, 0, 2);
	f = fault_of("wrong-unit", NULL);
	assert_int_equal(wwtp_sim_fault_apply(&f, &x), WWTP_SIM_SEND);
	assert_int_equal(x.rsp[0], 6);
	assert_true(wwtp_sim_rtu_crc_ok(x.rsp, 9));
	tcp_x(&x, req, 3, 0, 2);
	assert_int_equal(wwtp_sim_fault_apply(&f, &x), WWTP_SIM_SEND);
	assert_int_equal(x.rsp[6], 2);
	assert_int_equal(wwtp_sim_fault_other_unit(255), 1);
	assert_int_equal(wwtp_sim_fault_other_unit(247), 248);

	/* close: TCP closes, RTU has nothing to close and stays silent. */
	f = fault_of("close", NULL);
	assert_int_equal(wwtp_sim_fault_apply(&f, &x), WWTP_SIM_CLOSE);
	rtu_x(&x, req, 5, 3, 0, 2);
	assert_int_equal(wwtp_sim_fault_apply(&f, &x), WWTP_SIM_DROP);

	/* drop, silent: nothing sent; delay: sent late, unchanged. */
	f = fault_of("drop", NULL);
	assert_int_equal(wwtp_sim_fault_apply(&f, &x), WWTP_SIM_DROP);
	assert_false(wwtp_sim_fault_preempts(&f)); /* carried out, answer lost */
	f = fault_of("silent", "1");
	assert_true(wwtp_sim_fault_preempts(&f)); /* not even heard */
	assert_int_equal(wwtp_sim_fault_apply(&f, &x), WWTP_SIM_DROP);
	rtu_x(&x, req, 5, 3, 0, 2);
	memcpy(before, x.rsp, sizeof(before));
	f = fault_of("delay", "750");
	assert_int_equal(wwtp_sim_fault_apply(&f, &x), WWTP_SIM_SEND);
	assert_int_equal(x.delay_ms, 750);
	assert_memory_equal(x.rsp, before, 9);
	f = fault_of("none", NULL);
	x.delay_ms = 0;
	assert_int_equal(wwtp_sim_fault_apply(&f, &x), WWTP_SIM_SEND);
	assert_int_equal(x.delay_ms, 0);
	assert_memory_equal(x.rsp, before, 9);
}

/* How many of n requests a drop fault spares, and in which order. */
static int spared(struct wwtp_sim_faultbox *b, int n, char *pattern)
{
	uint8_t req[32];
	struct wwtp_sim_exchange x;
	struct wwtp_sim_fault f;
	int k = 0;

	tcp_x(&x, req, 3, 0, 2);
	for (int i = 0; i < n; i++) {
		wwtp_sim_faultbox_take(b, &x, 0, &f);
		if (pattern)
			pattern[i] = f.kind == WWTP_SIM_FAULT_NONE ? '.' : 'x';
		k += f.kind == WWTP_SIM_FAULT_NONE;
	}
	return k;
}

static void test_faultbox_drop(void **state)
{
	struct wwtp_sim_faultbox *b = wwtp_sim_faultbox_new(42), *other = wwtp_sim_faultbox_new(43);
	struct wwtp_sim_fault f = fault_of("drop", "0.3");
	char p1[1001] = "", p2[1001] = "", p3[1001] = "";
	int k;
	(void)state;

	assert_non_null(b);
	assert_non_null(other);
	assert_int_equal(spared(b, 10, NULL), 10); /* no fault: all answered */
	wwtp_sim_faultbox_set(b, &f, 0);
	k = spared(b, 1000, p1);
	assert_in_range(k, 620, 780); /* 70 % spared, give or take */
	/* Setting it again restarts the draws: the same requests drop. */
	wwtp_sim_faultbox_set(b, &f, 0);
	spared(b, 1000, p2);
	assert_string_equal(p1, p2);
	/* Another seed, other draws. */
	wwtp_sim_faultbox_set(other, &f, 0);
	spared(other, 1000, p3);
	assert_string_not_equal(p1, p3);

	f = fault_of("drop", NULL);
	wwtp_sim_faultbox_set(b, &f, 0);
	assert_int_equal(spared(b, 200, NULL), 0);
	f = fault_of("drop", "0");
	wwtp_sim_faultbox_set(b, &f, 0);
	assert_int_equal(spared(b, 200, NULL), 200);
	wwtp_sim_faultbox_free(b);
	wwtp_sim_faultbox_free(other);
	wwtp_sim_faultbox_free(NULL);
}

static void test_faultbox_silent_and_address(void **state)
{
	struct wwtp_sim_faultbox *b = wwtp_sim_faultbox_new(1);
	struct wwtp_sim_fault f = fault_of("silent", "2"), got;
	struct wwtp_sim_exchange x;
	uint8_t req[32];
	int64_t left;
	(void)state;

	tcp_x(&x, req, 3, 10, 2);
	wwtp_sim_faultbox_set(b, &f, 1000);
	wwtp_sim_faultbox_take(b, &x, 1000, &got);
	assert_int_equal(got.kind, WWTP_SIM_FAULT_SILENT);
	wwtp_sim_faultbox_get(b, &got, 2500, &left);
	assert_int_equal(got.kind, WWTP_SIM_FAULT_SILENT);
	assert_int_equal(left, 500);
	wwtp_sim_faultbox_take(b, &x, 2999, &got);
	assert_int_equal(got.kind, WWTP_SIM_FAULT_SILENT);
	/* Over: normal again, and it stays so. */
	wwtp_sim_faultbox_take(b, &x, 3000, &got);
	assert_int_equal(got.kind, WWTP_SIM_FAULT_NONE);
	wwtp_sim_faultbox_get(b, &got, 3001, &left);
	assert_int_equal(got.kind, WWTP_SIM_FAULT_NONE);
	assert_int_equal(left, 0);

	/* bad-address only for requests covering it. */
	f = fault_of("bad-address", "11");
	wwtp_sim_faultbox_set(b, &f, 0);
	wwtp_sim_faultbox_take(b, &x, 0, &got); /* 10..11 */
	assert_int_equal(got.kind, WWTP_SIM_FAULT_BAD_ADDRESS);
	tcp_x(&x, req, 3, 12, 2);
	wwtp_sim_faultbox_take(b, &x, 0, &got);
	assert_int_equal(got.kind, WWTP_SIM_FAULT_NONE);
	tcp_x(&x, req, 3, 0, 11); /* 0..10 */
	wwtp_sim_faultbox_take(b, &x, 0, &got);
	assert_int_equal(got.kind, WWTP_SIM_FAULT_NONE);

	/* No faultbox: nothing happens. */
	wwtp_sim_faultbox_take(NULL, &x, 0, &got);
	assert_int_equal(got.kind, WWTP_SIM_FAULT_NONE);
	wwtp_sim_faultbox_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fault_kinds),
	    cmocka_unit_test(test_fault_kinds_refused),
	    cmocka_unit_test(test_fault_format_roundtrip),
	    cmocka_unit_test(test_cmd_parse),
	    cmocka_unit_test(test_cmd_refused),
	    cmocka_unit_test(test_cmd_limits),
	    cmocka_unit_test(test_spec_parse),
	    cmocka_unit_test(test_covers),
	    cmocka_unit_test(test_exception_frames),
	    cmocka_unit_test(test_frame_damage),
	    cmocka_unit_test(test_faultbox_drop),
	    cmocka_unit_test(test_faultbox_silent_and_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
