/* test_link_poller.c - the Modbus links and the poller against real servers:
 * a libmodbus TCP server on a free loopback port, and an RTU server on the
 * master side of a pseudo-terminal. The stations are built by hand.
 *
 * The test is white-box (the Makefile's test_link_poller_WHITEBOX,
 * util/unittest.h): it reaches the scheduler's arithmetic (backoff_cap_ms,
 * schedule_next) and the read plan through collector/poller-private.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../collector/poller.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <modbus.h>

#include "../../drivers/link.h"
#include "../../util/err.h"
#include "../../collector/poller-private.h"
#include "../../util/timeutil.h"
#include "../../util/log.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define UNIT_OK 1
#define UNIT_OK2 3
#define UNIT_IGNORED 7

/* ---- a Modbus TCP server on 127.0.0.1:<free port> ------------------------ */

#define MAX_CLIENTS 32

struct server {
	int lfd;
	int port;
	modbus_mapping_t *map;
	atomic_int answer[256]; /* unit ids the server answers; others get silence */
	atomic_int requests;	/* requests received, answered or not */
	atomic_int per_unit[256];
	atomic_int stop;
	pthread_t thread;
};

static void *server_main(void *arg)
{
	struct server *sv = arg;
	int fds[MAX_CLIENTS];
	modbus_t *ctxs[MAX_CLIENTS];
	int n = 0;
	uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];

	while (!atomic_load(&sv->stop)) {
		struct pollfd pf[1 + MAX_CLIENTS];
		int nold = n;

		pf[0].fd = sv->lfd;
		pf[0].events = POLLIN;
		for (int i = 0; i < n; i++) {
			pf[1 + i].fd = fds[i];
			pf[1 + i].events = POLLIN;
			pf[1 + i].revents = 0;
		}
		if (poll(pf, (nfds_t)(1 + n), 20) <= 0)
			continue;
		/* Accept everything pending (the listening socket is non-blocking)
		 * so that quick reconnects never find the backlog full. */
		for (int fd; (pf[0].revents & POLLIN) && (fd = accept(sv->lfd, NULL, NULL)) >= 0;) {
			if (n < MAX_CLIENTS) {
				/* The address is not used: the context only wraps fd. */
				ctxs[n] = modbus_new_tcp("127.0.0.1", sv->port);
				modbus_set_socket(ctxs[n], fd);
				fds[n++] = fd;
			} else {
				close(fd);
			}
		}
		for (int i = 0; i < nold; i++) {
			int rc, unit;
			if (!(pf[1 + i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			rc = modbus_receive(ctxs[i], query);
			if (rc < 0) { /* client gone */
				modbus_close(ctxs[i]);
				modbus_free(ctxs[i]);
				fds[i] = -1;
				continue;
			}
			if (rc == 0)
				continue;
			atomic_fetch_add(&sv->requests, 1);
			unit = query[modbus_get_header_length(ctxs[i]) - 1];
			atomic_fetch_add(&sv->per_unit[unit], 1);
			if (atomic_load(&sv->answer[unit]))
				/* Outside the mapping modbus_reply answers exception 2. */
				modbus_reply(ctxs[i], query, rc, sv->map);
		}
		for (int i = 0; i < n;) { /* drop closed clients */
			if (fds[i] >= 0) {
				i++;
				continue;
			}
			fds[i] = fds[n - 1];
			ctxs[i] = ctxs[n - 1];
			n--;
		}
	}
	for (int i = 0; i < n; i++) {
		modbus_close(ctxs[i]);
		modbus_free(ctxs[i]);
	}
	return NULL;
}

static void put_f32_abcd(uint16_t *r, float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	r[0] = (uint16_t)(u >> 16);
	r[1] = (uint16_t)u;
}

/* The fixture every TCP test reads. Addresses are wire addresses. */
#define MAP_REGS 100
static void fill_map(modbus_mapping_t *m)
{
	float f = -3.5f;
	uint32_t u;

	put_f32_abcd(&m->tab_registers[0], 42.25f); /* cod, float32 ABCD */
	memcpy(&u, &f, 4);			    /* ph, float32 CDAB: words swapped */
	m->tab_registers[2] = (uint16_t)u;
	m->tab_registers[3] = (uint16_t)(u >> 16);
	m->tab_registers[4] = (uint16_t)(int16_t)-125; /* temp, int16 * 0.1 */
	m->tab_registers[5] = 0x0008;		       /* pump_run, bit 3 */
	m->tab_registers[6] = 0x7FC0;		       /* tss, float32 NaN */
	m->tab_registers[7] = 0x0000;
	m->tab_registers[10] = 1;	    /* nh4's status: calibrating */
	m->tab_registers[12] = 1234;	    /* nh4, uint16 */
	m->tab_input_registers[0] = 0x0001; /* flow, uint32 ABCD 123456 */
	m->tab_input_registers[1] = 0xE240;
	m->tab_input_bits[3] = 1; /* door, discrete input */
}

static void server_start(struct server *sv)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int one = 1;

	memset(sv, 0, sizeof(*sv));
	sv->map = modbus_mapping_new(16, 16, MAP_REGS, 20);
	assert_non_null(sv->map);
	fill_map(sv->map);
	atomic_store(&sv->answer[UNIT_OK], 1);
	atomic_store(&sv->answer[UNIT_OK2], 1);

	/* Port 0: the kernel picks a free port, no guessing, no clash. */
	sv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(sv->lfd >= 0);
	setsockopt(sv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(sv->lfd, 64), 0);
	assert_int_equal(getsockname(sv->lfd, (struct sockaddr *)&a, &alen), 0);
	sv->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&sv->thread, NULL, server_main, sv), 0);
}

static void server_stop(struct server *sv)
{
	atomic_store(&sv->stop, 1);
	pthread_join(sv->thread, NULL);
	close(sv->lfd);
	modbus_mapping_free(sv->map);
}

/* A loopback port where nothing listens: bound, then released. */
static int closed_port(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* ---- stations built by hand ------------------------------------------------ */

static struct wwtp_point mkpoint(const char *param, enum wwtp_table t, uint16_t address,
				 enum wwtp_type type, enum wwtp_order order)
{
	struct wwtp_point p;
	memset(&p, 0, sizeof(p));
	snprintf(p.param, sizeof(p.param), "%s", param);
	p.table = t;
	p.address = address;
	p.type = type;
	p.order = order;
	p.bit = -1;
	p.scale = 1.0;
	p.offset = 0.0;
	p.status.mode = WWTP_STATUS_NONE;
	return p;
}

/* The points of the "good" analyser, in this order. */
enum { P_COD, P_PH, P_TEMP, P_PUMP, P_TSS, P_NH4, P_FLOW, P_DOOR, P_BAD, NPOINTS_FULL };

static void full_points(struct wwtp_point *pts)
{
	pts[P_COD] = mkpoint("cod", WWTP_TABLE_HOLDING, 0, WWTP_TYPE_FLOAT32, WWTP_ORDER_ABCD);
	pts[P_PH] = mkpoint("ph", WWTP_TABLE_HOLDING, 2, WWTP_TYPE_FLOAT32, WWTP_ORDER_CDAB);
	pts[P_TEMP] = mkpoint("temp", WWTP_TABLE_HOLDING, 4, WWTP_TYPE_INT16, WWTP_ORDER_ABCD);
	pts[P_TEMP].scale = 0.1;
	pts[P_PUMP] = mkpoint("pump_run", WWTP_TABLE_HOLDING, 5, WWTP_TYPE_BOOL, WWTP_ORDER_ABCD);
	pts[P_PUMP].bit = 3;
	pts[P_TSS] = mkpoint("tss", WWTP_TABLE_HOLDING, 6, WWTP_TYPE_FLOAT32, WWTP_ORDER_ABCD);
	pts[P_NH4] = mkpoint("nh4", WWTP_TABLE_HOLDING, 12, WWTP_TYPE_UINT16, WWTP_ORDER_ABCD);
	pts[P_NH4].status.mode = WWTP_STATUS_VALUE;
	pts[P_NH4].status.table = WWTP_TABLE_HOLDING;
	pts[P_NH4].status.address = 10;
	pts[P_NH4].status.calibrating = 1;
	pts[P_NH4].status.fault = 2;
	pts[P_FLOW] = mkpoint("flow", WWTP_TABLE_INPUT, 0, WWTP_TYPE_UINT32, WWTP_ORDER_ABCD);
	pts[P_DOOR] = mkpoint("door", WWTP_TABLE_DISCRETE, 3, WWTP_TYPE_BOOL, WWTP_ORDER_ABCD);
	/* Past the end of the server's holding registers (exception 2), but
	 * within max_gap of the others: the first poll reads it merged. */
	pts[P_BAD] = mkpoint("bad", WWTP_TABLE_HOLDING, MAP_REGS, WWTP_TYPE_INT16, WWTP_ORDER_ABCD);
}

static void mkdev(struct wwtp_device *d, const char *name, int port, int unit,
		  struct wwtp_point *pts, size_t npts)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->transport = WWTP_TRANSPORT_TCP;
	snprintf(d->host, sizeof(d->host), "127.0.0.1");
	d->port = port;
	d->unit_id = unit;
	d->interval_ms = 100;
	d->timeout_ms = 200;
	d->retries = 1;
	d->max_gap = 100;
	d->max_regs = WWTP_MAX_READ_REGS;
	d->status.mode = WWTP_STATUS_NONE;
	d->points = pts;
	d->npoints = npts;
}

static void mkstation(struct wwtp_station *st, struct wwtp_device *devs, size_t n)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->id, sizeof(st->id), "test-station");
	st->devices = devs;
	st->ndevices = n;
}

/* ---- what the callback received ---------------------------------------- */

#define MAX_SAMPLES 512

struct sink {
	pthread_mutex_t lock;
	struct wwtp_sample *s[MAX_SAMPLES];
	size_t n;
	size_t dropped;
};

static void on_sample(struct wwtp_sample *s, void *ctx)
{
	struct sink *k = ctx;
	pthread_mutex_lock(&k->lock);
	if (k->n < MAX_SAMPLES)
		k->s[k->n++] = s;
	else {
		k->dropped++;
		wwtp_sample_free(s);
	}
	pthread_mutex_unlock(&k->lock);
}

static void sink_init(struct sink *k)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
}

static void sink_clear(struct sink *k)
{
	pthread_mutex_lock(&k->lock);
	for (size_t i = 0; i < k->n; i++)
		wwtp_sample_free(k->s[i]);
	k->n = 0;
	pthread_mutex_unlock(&k->lock);
}

static void sink_fini(struct sink *k)
{
	sink_clear(k);
	pthread_mutex_destroy(&k->lock);
}

static size_t sink_count(struct sink *k, const struct wwtp_device *dev)
{
	size_t c = 0;
	pthread_mutex_lock(&k->lock);
	for (size_t i = 0; i < k->n; i++)
		c += k->s[i]->device == dev;
	pthread_mutex_unlock(&k->lock);
	return c;
}

/* The last sample of dev (call when no thread is producing). */
static const struct wwtp_sample *sink_last(struct sink *k, const struct wwtp_device *dev)
{
	for (size_t i = k->n; i-- > 0;)
		if (k->s[i]->device == dev)
			return k->s[i];
	return NULL;
}

static void assert_value(const struct wwtp_reading *r, double want)
{
	if (r->status != WWTP_READING_OK || !r->has_value || fabs(r->value - want) > 1e-9)
		fail_msg("%s: status %s has_value %d value %.17g, want ok %.17g (reason \"%s\")",
			 r->point->param, wwtp_reading_status_name(r->status), r->has_value,
			 r->value, want, r->reason);
}

static void assert_reason_has(const struct wwtp_reading *r, const char *needle)
{
	if (!strstr(r->reason, needle))
		fail_msg("%s: reason \"%s\" lacks \"%s\"", r->point->param, r->reason, needle);
}

/* Checks the good analyser's sample: every point decoded, the bad address a
 * fault that names it, the others untouched by it. */
static void check_full_sample(const struct wwtp_sample *s)
{
	const struct wwtp_reading *r = s->readings;

	assert_int_equal(s->nreadings, NPOINTS_FULL);
	assert_value(&r[P_COD], 42.25);
	assert_value(&r[P_PH], -3.5);
	assert_value(&r[P_TEMP], -12.5);
	assert_value(&r[P_PUMP], 1.0);
	assert_value(&r[P_FLOW], 123456.0);
	assert_value(&r[P_DOOR], 1.0);

	assert_int_equal(r[P_TSS].status, WWTP_READING_FAULT);
	assert_false(r[P_TSS].has_value);
	assert_string_equal(r[P_TSS].reason, "no value (NaN)");

	assert_int_equal(r[P_NH4].status, WWTP_READING_CALIBRATING);
	assert_true(r[P_NH4].has_value);
	assert_true(fabs(r[P_NH4].value - 1234.0) < 1e-9);

	assert_int_equal(r[P_BAD].status, WWTP_READING_FAULT);
	assert_false(r[P_BAD].has_value);
	assert_reason_has(&r[P_BAD], "exception 2 (illegal data address)");
	assert_reason_has(&r[P_BAD], "holding 100");
}

static void assert_all_offline(const struct wwtp_sample *s, const char *needle)
{
	assert_non_null(s);
	assert_true(s->nreadings > 0);
	for (size_t i = 0; i < s->nreadings; i++) {
		assert_int_equal(s->readings[i].status, WWTP_READING_OFFLINE);
		assert_false(s->readings[i].has_value);
		assert_reason_has(&s->readings[i], needle);
	}
}

/* ---- tests -------------------------------------------------------------- */

/* One poll of three devices on two links: a good analyser and a unit id the
 * gateway ignores on the server's port, and a device on a port where
 * nothing listens. Then a second poll, which must read the refused address
 * alone and everything else merged. */
static void test_run_once(void **state)
{
	struct server sv;
	struct wwtp_point pts[NPOINTS_FULL], pts2[3], pts3[1];
	struct wwtp_device devs[3];
	struct wwtp_station st;
	struct wwtp_device_health h;
	struct wwtp_poller *p;
	struct sink k;
	int64_t t0, took;
	size_t nblocks_before;
	int req0;
	(void)state;

	server_start(&sv);
	full_points(pts);
	pts2[0] = mkpoint("cod", WWTP_TABLE_HOLDING, 0, WWTP_TYPE_FLOAT32, WWTP_ORDER_ABCD);
	pts2[1] = mkpoint("flow", WWTP_TABLE_INPUT, 0, WWTP_TYPE_UINT32, WWTP_ORDER_ABCD);
	pts2[2] = mkpoint("door", WWTP_TABLE_DISCRETE, 3, WWTP_TYPE_BOOL, WWTP_ORDER_ABCD);
	pts3[0] = mkpoint("cod", WWTP_TABLE_HOLDING, 0, WWTP_TYPE_FLOAT32, WWTP_ORDER_ABCD);
	mkdev(&devs[0], "analyser", sv.port, UNIT_OK, pts, NELEM(pts));
	mkdev(&devs[1], "silent", sv.port, UNIT_IGNORED, pts2, NELEM(pts2));
	mkdev(&devs[2], "nobody", closed_port(), UNIT_OK, pts3, NELEM(pts3));
	mkstation(&st, devs, 3);
	sink_init(&k);

	p = wwtp_poller_new(&st, on_sample, &k);
	assert_non_null(p);
	assert_int_equal(p->nlinks, 2); /* devices 0 and 1 share an endpoint */
	nblocks_before = p->devs[0].nblocks;

	t0 = wwtp_mono_ms();
	assert_int_equal(wwtp_poller_run_once(p), 0);
	took = wwtp_mono_ms() - t0;
	assert_int_equal(k.n, 3);

	check_full_sample(sink_last(&k, &devs[0]));
	/* Unanswered: retries + 1 attempts of 200 ms each, not more. */
	assert_all_offline(sink_last(&k, &devs[1]), "timed out after 200 ms");
	assert_all_offline(sink_last(&k, &devs[2]), "cannot connect");
	if (took > 2000)
		fail_msg("run_once took %lld ms", (long long)took);
	/* Three blocks, but once the first is unanswered after its retry the
	 * device is given up for this poll: two requests, not six. */
	assert_int_equal(p->devs[1].nblocks, 3);
	assert_int_equal(atomic_load(&sv.per_unit[UNIT_IGNORED]), 2);

	/* The refused address is now read on its own: one block more. */
	assert_int_equal(p->devs[0].nblocks, nblocks_before + 1);
	assert_true(p->devs[0].alone[P_BAD]);
	for (size_t i = 0; i < p->devs[0].nitems; i++)
		if (i != P_BAD)
			assert_false(p->devs[0].alone[i]);

	/* Second poll of the analyser alone: exactly one request per block. */
	sink_clear(&k);
	req0 = atomic_load(&sv.requests);
	poll_device(p->devs[0].ls, &p->devs[0]);
	assert_int_equal(atomic_load(&sv.requests) - req0, (int)p->devs[0].nblocks);
	check_full_sample(sink_last(&k, &devs[0]));

	assert_int_equal(wwtp_poller_device_health(p, 0, &h), 0);
	assert_int_equal(h.polls, 2);
	assert_int_equal(h.failures, 0);
	assert_int_equal(h.partial, 2);
	assert_true(strstr(h.last_error, "exception 2") != NULL);
	assert_int_equal(wwtp_poller_device_health(p, 1, &h), 0);
	assert_int_equal(h.polls, 1);
	assert_int_equal(h.failures, 1);
	assert_int_equal(h.consecutive_failures, 1);
	assert_int_equal(h.interval_ms, 200); /* backing off */
	assert_int_equal(h.last_ok_ms, 0);
	assert_int_equal(wwtp_poller_device_health(p, 3, &h), WWTP_ERR_NOTFOUND);

	wwtp_poller_free(p);
	sink_fini(&k);
	server_stop(&sv);
}

/* Back-off doubles while a device is silent and is undone by one answer. */
static void test_backoff_and_recovery(void **state)
{
	struct server sv;
	struct wwtp_point pts[1];
	struct wwtp_device dev;
	struct wwtp_station st;
	struct wwtp_device_health h;
	struct wwtp_poller *p;
	struct sink k;
	(void)state;

	server_start(&sv);
	pts[0] = mkpoint("cod", WWTP_TABLE_HOLDING, 0, WWTP_TYPE_FLOAT32, WWTP_ORDER_ABCD);
	mkdev(&dev, "flaky", sv.port, UNIT_IGNORED, pts, 1);
	dev.timeout_ms = 100;
	dev.retries = 0;
	mkstation(&st, &dev, 1);
	sink_init(&k);
	p = wwtp_poller_new(&st, on_sample, &k);
	assert_non_null(p);

	for (int i = 1; i <= 3; i++) {
		assert_int_equal(wwtp_poller_run_once(p), 0);
		assert_int_equal(wwtp_poller_device_health(p, 0, &h), 0);
		assert_int_equal(h.consecutive_failures, i);
		assert_int_equal(h.interval_ms, 100 << i);
		assert_all_offline(sink_last(&k, &dev), "timed out");
	}
	atomic_store(&sv.answer[UNIT_IGNORED], 1);
	assert_int_equal(wwtp_poller_run_once(p), 0);
	assert_int_equal(wwtp_poller_device_health(p, 0, &h), 0);
	assert_int_equal(h.consecutive_failures, 0);
	assert_int_equal(h.failures, 3);
	assert_int_equal(h.polls, 4);
	assert_int_equal(h.interval_ms, 100);
	assert_true(h.last_ok_ms > 0);
	assert_value(&sink_last(&k, &dev)->readings[0], 42.25);

	wwtp_poller_free(p);
	sink_fini(&k);
	server_stop(&sv);
}

static void test_backoff_cap(void **state)
{
	(void)state;
	assert_int_equal(backoff_cap_ms(100), 60000);	  /* at least a minute */
	assert_int_equal(backoff_cap_ms(10000), 100000);  /* ten intervals */
	assert_int_equal(backoff_cap_ms(60000), 300000);  /* at most five minutes */
	assert_int_equal(backoff_cap_ms(600000), 600000); /* never below the interval */
}

/* The next poll stays on the schedule's grid; whole missed intervals are
 * skipped and counted. */
static void test_schedule(void **state)
{
	struct wwtp_poller p;
	struct dev_state ds;
	(void)state;

	memset(&p, 0, sizeof(p));
	pthread_mutex_init(&p.lock, NULL);
	memset(&ds, 0, sizeof(ds));
	ds.eff_interval_ms = 100;

	ds.due_ms = 1000;
	schedule_next(&p, &ds, 1030); /* the poll took 30 ms: no drift */
	assert_int_equal(ds.due_ms, 1100);
	schedule_next(&p, &ds, 1150); /* late, but less than one interval */
	assert_int_equal(ds.due_ms, 1200);
	assert_int_equal(ds.health.skipped, 0);
	schedule_next(&p, &ds, 1555); /* slots 1300, 1400 (and 1500 now) behind */
	assert_int_equal(ds.due_ms, 1500);
	assert_int_equal(ds.health.skipped, 2);
	pthread_mutex_destroy(&p.lock);
}

/* Two devices at 100 ms for about a second; then a device with a long
 * interval, whose thread must leave at once when asked. */
static void test_start_stop(void **state)
{
	struct server sv;
	struct wwtp_point pts[2][1];
	struct wwtp_device devs[2];
	struct wwtp_station st;
	struct wwtp_poller *p;
	struct sink k;
	int64_t t0, took;
	(void)state;

	server_start(&sv);
	pts[0][0] = mkpoint("cod", WWTP_TABLE_HOLDING, 0, WWTP_TYPE_FLOAT32, WWTP_ORDER_ABCD);
	pts[1][0] = mkpoint("flow", WWTP_TABLE_INPUT, 0, WWTP_TYPE_UINT32, WWTP_ORDER_ABCD);
	mkdev(&devs[0], "a", sv.port, UNIT_OK, pts[0], 1);
	mkdev(&devs[1], "b", sv.port, UNIT_OK2, pts[1], 1);
	mkstation(&st, devs, 2);
	sink_init(&k);
	p = wwtp_poller_new(&st, on_sample, &k);
	assert_non_null(p);

	assert_int_equal(wwtp_poller_start(p), 0);
	assert_int_equal(wwtp_poller_start(p), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_poller_run_once(p), WWTP_ERR_INVAL);
	wwtp_sleep_ms(1000, NULL);
	wwtp_poller_stop(p);
	/* About ten each; a loose bound, the machine may be busy. */
	assert_true(sink_count(&k, &devs[0]) >= 5);
	assert_true(sink_count(&k, &devs[1]) >= 5);
	for (size_t i = 0; i < k.n; i++)
		assert_int_equal(k.s[i]->readings[0].status, WWTP_READING_OK);
	assert_value(&sink_last(&k, &devs[0])->readings[0], 42.25);
	assert_value(&sink_last(&k, &devs[1])->readings[0], 123456.0);
	/* Samples are stamped with the wall clock at the poll's start. */
	assert_true(k.s[0]->ts_ms > 1600000000000LL);
	wwtp_poller_free(p);
	sink_clear(&k);

	devs[0].interval_ms = 60000;
	mkstation(&st, devs, 1);
	p = wwtp_poller_new(&st, on_sample, &k);
	assert_non_null(p);
	assert_int_equal(wwtp_poller_start(p), 0);
	for (int i = 0; i < 200 && sink_count(&k, &devs[0]) == 0; i++)
		wwtp_sleep_ms(10, NULL);
	assert_int_equal(sink_count(&k, &devs[0]), 1);
	t0 = wwtp_mono_ms();
	wwtp_poller_stop(p);
	took = wwtp_mono_ms() - t0;
	if (took > 500)
		fail_msg("stop took %lld ms while the next poll was a minute away",
			 (long long)took);
	wwtp_poller_free(p);

	sink_fini(&k);
	server_stop(&sv);
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The link on its own: reopening never leaks a descriptor, errors map to
 * our codes with libmodbus's words kept. */
static void test_link(void **state)
{
	struct server sv;
	struct wwtp_device dev;
	struct wwtp_link *l;
	uint16_t regs[4];
	uint8_t bits[4];
	int before;
	(void)state;

	server_start(&sv);
	mkdev(&dev, "x", sv.port, UNIT_OK, NULL, 0);
	l = wwtp_link_new(&dev);
	assert_non_null(l);
	assert_false(wwtp_link_is_open(l));
	assert_int_equal(wwtp_link_read_regs(l, UNIT_OK, WWTP_TABLE_HOLDING, 0, 2, regs),
			 WWTP_ERR_CONN);
	/* Descriptors of the server thread count too: take the figure after a
	 * full request/answer (the server has accepted), and give the server
	 * time to notice the closed connections. A leak never settles. */
	assert_int_equal(wwtp_link_open(l), 0);
	assert_int_equal(wwtp_link_read_regs(l, UNIT_OK, WWTP_TABLE_HOLDING, 0, 2, regs), 0);
	before = count_fds();
	for (int i = 0; i < 20; i++)
		if (wwtp_link_open(l) != 0) /* open on open: closes first */
			fail_msg("reopen %d: %s (%s)", i, wwtp_link_last_error(l), strerror(errno));
	assert_int_equal(wwtp_link_read_regs(l, UNIT_OK, WWTP_TABLE_HOLDING, 0, 2, regs), 0);
	for (int i = 0; i < 100 && count_fds() != before; i++)
		wwtp_sleep_ms(10, NULL);
	assert_int_equal(count_fds(), before);

	assert_int_equal(wwtp_link_read_regs(l, UNIT_OK, WWTP_TABLE_HOLDING, 0, 2, regs), 0);
	assert_int_equal(regs[0], 0x4229);
	assert_int_equal(wwtp_link_read_bits(l, UNIT_OK, WWTP_TABLE_DISCRETE, 2, 2, bits), 0);
	assert_int_equal(bits[0], 0);
	assert_int_equal(bits[1], 1);

	assert_int_equal(wwtp_link_read_regs(l, UNIT_OK, WWTP_TABLE_HOLDING, 99, 2, regs),
			 WWTP_ERR_EXCEPTION);
	assert_int_equal(wwtp_link_last_exception(l), 2);
	assert_string_equal(wwtp_link_last_error(l), "exception 2 (illegal data address)");
	assert_true(wwtp_link_is_open(l)); /* an exception is an answer */
	assert_int_equal(wwtp_link_read_regs(l, UNIT_OK, WWTP_TABLE_COIL, 0, 1, regs),
			 WWTP_ERR_INVAL);
	assert_int_equal(wwtp_link_read_regs(l, UNIT_OK, WWTP_TABLE_HOLDING, 0, 126, regs),
			 WWTP_ERR_INVAL);
	assert_int_equal(wwtp_link_last_exception(l), 0);

	wwtp_link_set_timeout(l, 150);
	assert_int_equal(wwtp_link_read_regs(l, UNIT_IGNORED, WWTP_TABLE_HOLDING, 0, 2, regs),
			 WWTP_ERR_TIMEOUT);
	assert_string_equal(wwtp_link_last_error(l), "timed out after 150 ms");
	assert_false(wwtp_link_is_open(l)); /* TCP drops the connection after a timeout */
	assert_int_equal(wwtp_link_open(l), 0);
	assert_int_equal(wwtp_link_read_regs(l, UNIT_OK, WWTP_TABLE_HOLDING, 2, 2, regs), 0);
	assert_int_equal(regs[1], 0xC060);
	wwtp_link_close(l);
	wwtp_link_close(l);
	assert_true(strncmp(wwtp_link_describe(l), "tcp 127.0.0.1:", 14) == 0);
	wwtp_link_free(l);

	dev.port = closed_port();
	l = wwtp_link_new(&dev);
	assert_non_null(l);
	assert_int_equal(wwtp_link_open(l), WWTP_ERR_CONN);
	assert_true(strstr(wwtp_link_last_error(l), "refused") != NULL);
	wwtp_link_free(l);

	dev.port = 0;
	assert_null(wwtp_link_new(&dev));
	server_stop(&sv);
}

/* ---- RTU over a pseudo-terminal ------------------------------------------ */

struct rtu_server {
	int master;
	modbus_t *ctx;
	modbus_mapping_t *map;
	atomic_int stop;
	pthread_t thread;
};

static void *rtu_server_main(void *arg)
{
	struct rtu_server *sv = arg;
	uint8_t query[MODBUS_RTU_MAX_ADU_LENGTH];

	while (!atomic_load(&sv->stop)) {
		struct pollfd pf = {.fd = sv->master, .events = POLLIN};
		int rc = poll(&pf, 1, 20);
		if (rc <= 0)
			continue;
		if (!(pf.revents & POLLIN)) { /* HUP while the client has the line closed */
			wwtp_sleep_ms(10, NULL);
			continue;
		}
		rc = modbus_receive(sv->ctx, query);
		if (rc > 0)
			modbus_reply(sv->ctx, query, rc, sv->map);
	}
	return NULL;
}

/* The collector's side opens the pty's slave as its serial line; the server
 * answers unit 1 on the master. Pseudo-terminals have no RS-485 mode: the
 * link must warn and carry on. */
static void test_rtu_pty(void **state)
{
	struct rtu_server sv;
	char path[128];
	struct wwtp_point pts[2];
	struct wwtp_device devs[2];
	struct wwtp_station st;
	struct wwtp_poller *p;
	struct sink k;
	(void)state;

	memset(&sv, 0, sizeof(sv));
	sv.master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(sv.master >= 0);
	assert_int_equal(grantpt(sv.master), 0);
	assert_int_equal(unlockpt(sv.master), 0);
	assert_int_equal(ptsname_r(sv.master, path, sizeof(path)), 0);
	sv.map = modbus_mapping_new(16, 16, MAP_REGS, 20);
	assert_non_null(sv.map);
	fill_map(sv.map);
	/* The server context only wraps the master fd; it never opens path. */
	sv.ctx = modbus_new_rtu(path, 9600, 'N', 8, 1);
	assert_non_null(sv.ctx);
	modbus_set_slave(sv.ctx, UNIT_OK);
	modbus_set_socket(sv.ctx, sv.master);
	assert_int_equal(pthread_create(&sv.thread, NULL, rtu_server_main, &sv), 0);

	pts[0] = mkpoint("cod", WWTP_TABLE_HOLDING, 0, WWTP_TYPE_FLOAT32, WWTP_ORDER_ABCD);
	pts[1] = mkpoint("door", WWTP_TABLE_DISCRETE, 3, WWTP_TYPE_BOOL, WWTP_ORDER_ABCD);
	for (int i = 0; i < 2; i++) {
		mkdev(&devs[i], i == 0 ? "rtu-ok" : "rtu-silent", 0, i == 0 ? UNIT_OK : 5, pts, 2);
		devs[i].transport = WWTP_TRANSPORT_RTU;
		snprintf(devs[i].serial, sizeof(devs[i].serial), "%s", path);
		devs[i].baud = 9600;
		devs[i].parity = 'N';
		devs[i].data_bits = 8;
		devs[i].stop_bits = 1;
		devs[i].rs485.enabled = 1;
		devs[i].rs485.rts_delay_us = -1;
		devs[i].retries = 0;
	}
	mkstation(&st, devs, 2);
	sink_init(&k);
	p = wwtp_poller_new(&st, on_sample, &k);
	assert_non_null(p);
	assert_int_equal(p->nlinks, 1);
	assert_string_equal(wwtp_link_describe(p->links[0].link) + strlen(path) + 4, "@9600 8N1");

	assert_int_equal(wwtp_poller_run_once(p), 0);
	assert_int_equal(k.n, 2);
	assert_value(&sink_last(&k, &devs[0])->readings[0], 42.25);
	assert_value(&sink_last(&k, &devs[0])->readings[1], 1.0);
	assert_all_offline(sink_last(&k, &devs[1]), "timed out");

	wwtp_poller_free(p);
	sink_fini(&k);
	atomic_store(&sv.stop, 1);
	pthread_join(sv.thread, NULL);
	modbus_free(sv.ctx); /* not modbus_close: that would restore termios on the master */
	close(sv.master);
	modbus_mapping_free(sv.map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_link),
	    cmocka_unit_test(test_run_once),
	    cmocka_unit_test(test_backoff_and_recovery),
	    cmocka_unit_test(test_backoff_cap),
	    cmocka_unit_test(test_schedule),
	    cmocka_unit_test(test_start_stop),
	    cmocka_unit_test(test_rtu_pty),
	};
	wwtp_log_set_level(WWTP_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
