/* Modbus TCP answers checked by drivers/link_tcp.c against a hand-written
 * server on a loopback port, which answers each request the way the test
 * says: correctly, from another unit id (which libmodbus 3.1.6 would pass
 * off as the right device's), with an exception, with a wrong transaction
 * or protocol id, with the wrong byte count or function. Registers and
 * bits decode as libmodbus would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../drivers/link.h"
#include "../../util/err.h"

enum mode { GOOD, WRONG_UNIT, EXCEPTION, BAD_TID, BAD_PROTO, BAD_COUNT, BAD_FUNCTION };

static int lfd = -1, port;
static atomic_int mode;
static atomic_int stop;
static pthread_t thread;

static int read_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 100) <= 0) {
			if (atomic_load(&stop))
				return -1;
			continue;
		}
		ssize_t r = read(fd, p + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* Answers one request (12 bytes: MBAP and a read PDU) as `mode` says. */
static int answer(int fd)
{
	uint8_t q[12], a[300];
	size_t n;

	if (read_full(fd, q, sizeof(q)) != 0)
		return -1;
	int function = q[7];
	int count = (q[10] << 8) | q[11];
	int bits = function == 1 || function == 2;
	int bytes = bits ? (count + 7) / 8 : 2 * count;

	memcpy(a, q, 8); /* transaction, protocol, (length), unit, function */
	a[8] = (uint8_t)bytes;
	for (int i = 0; i < bytes; i++)
		a[9 + i] = bits ? (uint8_t)0xA5 : (uint8_t)(0x10 + i);
	n = 9 + (size_t)bytes;
	switch ((enum mode)atomic_load(&mode)) {
	case GOOD:
		break;
	case WRONG_UNIT:
		a[6] = (uint8_t)(q[6] + 1);
		break;
	case EXCEPTION:
		a[7] = (uint8_t)(function | 0x80);
		a[8] = 2;
		n = 9;
		break;
	case BAD_TID:
		a[1] ^= 0x5A;
		break;
	case BAD_PROTO:
		a[2] = 0xFF;
		a[3] = 0xFF;
		break;
	case BAD_COUNT:
		a[8] = (uint8_t)(bytes - 2);
		n -= 2;
		break;
	case BAD_FUNCTION:
		a[7] = (uint8_t)(function == 3 ? 4 : 3);
		break;
	}
	a[4] = (uint8_t)((n - 6) >> 8);
	a[5] = (uint8_t)((n - 6) & 0xff);
	return write(fd, a, n) == (ssize_t)n ? 0 : -1;
}

static void *server(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		struct pollfd pf = {.fd = lfd, .events = POLLIN};
		if (poll(&pf, 1, 100) <= 0)
			continue;
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		while (!atomic_load(&stop) && answer(fd) == 0)
			;
		close(fd);
	}
	return NULL;
}

static int setup(void **state)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int one = 1;
	(void)state;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 4) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	port = ntohs(sa.sin_port);
	atomic_store(&stop, 0);
	return pthread_create(&thread, NULL, server, NULL);
}

static int teardown(void **state)
{
	(void)state;
	atomic_store(&stop, 1);
	pthread_join(thread, NULL);
	close(lfd);
	return 0;
}

static struct wwtp_link *new_link(void)
{
	struct wwtp_device d;
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "dev");
	snprintf(d.host, sizeof(d.host), "127.0.0.1");
	d.transport = WWTP_TRANSPORT_TCP;
	d.port = port;
	d.unit_id = 2;
	d.timeout_ms = 1000;
	struct wwtp_link *l = wwtp_link_new(&d);
	assert_non_null(l);
	return l;
}

static int read3(struct wwtp_link *l, uint16_t *regs)
{
	if (!wwtp_link_is_open(l))
		assert_int_equal(wwtp_link_open(l), 0);
	return wwtp_link_read_regs(l, 2, WWTP_TABLE_HOLDING, 100, 3, regs);
}

static void test_answers_checked(void **state)
{
	struct wwtp_link *l = new_link();
	uint16_t regs[3];
	uint8_t bits[10];
	(void)state;

	atomic_store(&mode, GOOD);
	assert_int_equal(read3(l, regs), 0);
	assert_int_equal(regs[0], 0x1011);
	assert_int_equal(regs[1], 0x1213);
	assert_int_equal(regs[2], 0x1415);
	assert_int_equal(wwtp_link_read_regs(l, 2, WWTP_TABLE_INPUT, 0, 1, regs), 0);
	assert_int_equal(regs[0], 0x1011);
	/* 0xA5 0xA5, least significant bit first. */
	assert_int_equal(wwtp_link_read_bits(l, 2, WWTP_TABLE_COIL, 0, 10, bits), 0);
	const uint8_t want[10] = {1, 0, 1, 0, 0, 1, 0, 1, 1, 0};
	assert_memory_equal(bits, want, sizeof(want));
	assert_int_equal(wwtp_link_read_bits(l, 2, WWTP_TABLE_DISCRETE, 0, 3, bits), 0);

	/* From another unit id: refused, said, and the connection dropped
	 * (what follows on it cannot be trusted). */
	atomic_store(&mode, WRONG_UNIT);
	assert_int_equal(read3(l, regs), WWTP_ERR_PROTO);
	assert_string_equal(wwtp_link_last_error(l),
			    "answer from unit id 3, not 2 (wrong unit id)");
	assert_false(wwtp_link_is_open(l));

	/* An exception is an answer: the code is kept, the link stays. */
	atomic_store(&mode, EXCEPTION);
	assert_int_equal(read3(l, regs), WWTP_ERR_EXCEPTION);
	assert_int_equal(wwtp_link_last_exception(l), 2);
	assert_string_equal(wwtp_link_last_error(l), "exception 2 (illegal data address)");
	assert_true(wwtp_link_is_open(l));

	int bad[] = {BAD_TID, BAD_PROTO, BAD_COUNT, BAD_FUNCTION};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		atomic_store(&mode, bad[i]);
		assert_int_equal(read3(l, regs), WWTP_ERR_PROTO);
		assert_non_null(strstr(wwtp_link_last_error(l), "invalid answer"));
		assert_false(wwtp_link_is_open(l));
	}

	/* And good again on a new connection. */
	atomic_store(&mode, GOOD);
	assert_int_equal(read3(l, regs), 0);
	assert_int_equal(regs[2], 0x1415);
	wwtp_link_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_answers_checked, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
