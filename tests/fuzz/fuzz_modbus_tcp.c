/* fuzz_modbus_tcp.c - the collector's framing of a Modbus TCP answer
 * (drivers/link_tcp.c, which reads and checks the answer itself because
 * libmodbus 3.1.6 ignores the MBAP length and the unit id): a real link on
 * one end of a socket pair, a "device" thread on the other that reads the
 * request and writes the input's bytes as its answer, then ends the
 * stream.
 *
 * Input: one byte picking the read (function 1..4, unit id, whether the
 * answer's transaction id is patched to the one expected, so the fuzzer
 * gets past it), one byte for the count (1..125 registers, 1..2000 bits
 * scaled), then the answer.
 *
 * Promises checked: an accepted answer is exactly one well-formed frame
 * for this request (transaction id, protocol 0, MBAP length 3 + data, unit,
 * function, byte count, nothing beyond what the length says is read) and
 * the values handed over are its data; a refused one leaves a reason, and a
 * timeout, frame or connection error leaves the link closed. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../drivers/link-private.h"
#include "../../drivers/link.h"
#include "../../util/err.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ANSWER_MAX 600

struct device {
	int fd;
	uint8_t *answer;
	size_t n;
	int patch_tid;
	uint8_t req[12];
	int got; /* bytes of the request read */
};

/* Reads the request, then answers and ends the stream. */
static void *device_thread(void *arg)
{
	struct device *d = arg;
	while (d->got < (int)sizeof(d->req)) {
		ssize_t r = read(d->fd, d->req + d->got, sizeof(d->req) - (size_t)d->got);
		if (r <= 0)
			break;
		d->got += (int)r;
	}
	if (d->patch_tid && d->n >= 2 && d->got >= 2) {
		d->answer[0] = d->req[0];
		d->answer[1] = d->req[1];
	}
	/* The link may refuse a lying header and close before the rest is
	 * written: EPIPE is then expected, and must not raise SIGPIPE. */
	if (d->n > 0)
		(void)send(d->fd, d->answer, d->n, MSG_NOSIGNAL);
	shutdown(d->fd, SHUT_WR);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint16_t regs[MODBUS_MAX_READ_REGISTERS];
	static uint8_t bits[MODBUS_MAX_READ_BITS];
	uint8_t answer[ANSWER_MAX];
	struct wwtp_device dev;
	struct wwtp_link *l;
	int sv[2], rc;

	if (size < 2 || size - 2 > ANSWER_MAX)
		return 0;
	int function = 1 + (data[0] & 3);
	int unit = (data[0] >> 2) & 7;
	int patch_tid = (data[0] & 0x20) != 0;
	int bitwise = function <= 2;
	uint16_t count = bitwise ? (uint16_t)(1 + data[1] * 7) : (uint16_t)(1 + data[1] % 125);
	size_t n = size - 2;
	memcpy(answer, data + 2, n);

	memset(&dev, 0, sizeof(dev));
	snprintf(dev.name, sizeof(dev.name), "fuzz");
	dev.transport = WWTP_TRANSPORT_TCP;
	snprintf(dev.host, sizeof(dev.host), "127.0.0.1");
	dev.port = 502;
	dev.timeout_ms = 20; /* the stream ends anyway: a wait ends at EOF */
	l = wwtp_link_new(&dev);
	FUZZ_ASSERT(l != NULL);
	FUZZ_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	modbus_set_socket(l->ctx, sv[0]);
	l->open = 1;
	struct device d = {.fd = sv[1], .answer = answer, .n = n, .patch_tid = patch_tid};
	pthread_t th;
	FUZZ_ASSERT(pthread_create(&th, NULL, device_thread, &d) == 0);

	if (bitwise)
		rc = wwtp_link_read_bits(
		    l, unit, function == 1 ? WWTP_TABLE_COIL : WWTP_TABLE_DISCRETE, 0, count, bits);
	else
		rc = wwtp_link_read_regs(
		    l, unit, function == 3 ? WWTP_TABLE_HOLDING : WWTP_TABLE_INPUT, 0, count, regs);
	pthread_join(th, NULL);
	/* The request: our transaction id, protocol 0, length 6, the read. */
	FUZZ_ASSERT(d.got == 12);
	unsigned tid = (unsigned)((d.req[0] << 8) | d.req[1]);
	FUZZ_ASSERT(d.req[2] == 0 && d.req[3] == 0 && d.req[4] == 0 && d.req[5] == 6);
	FUZZ_ASSERT(d.req[6] == unit && d.req[7] == function && d.req[8] == 0 && d.req[9] == 0);
	FUZZ_ASSERT(((d.req[10] << 8) | d.req[11]) == count);
	int want = bitwise ? (count + 7) / 8 : 2 * count;
	if (rc == 0) {
		/* Exactly one well-formed frame for this request. */
		FUZZ_ASSERT(n >= (size_t)(9 + want));
		FUZZ_ASSERT(answer[0] == (uint8_t)(tid >> 8) && answer[1] == (uint8_t)(tid & 0xff));
		FUZZ_ASSERT(answer[2] == 0 && answer[3] == 0);
		FUZZ_ASSERT(((answer[4] << 8) | answer[5]) == 3 + want);
		FUZZ_ASSERT(answer[6] == unit && answer[7] == function && answer[8] == want);
		for (int i = 0; i < count; i++) {
			const uint8_t *v = answer + 9;
			if (bitwise)
				FUZZ_ASSERT(bits[i] == ((v[i / 8] >> (i % 8)) & 1));
			else
				FUZZ_ASSERT(regs[i] == ((v[2 * i] << 8) | v[2 * i + 1]));
		}
		FUZZ_ASSERT(wwtp_link_is_open(l));
	} else {
		FUZZ_ASSERT(wwtp_link_last_error(l)[0] != '\0');
		if (rc == WWTP_ERR_EXCEPTION)
			FUZZ_ASSERT(wwtp_link_last_exception(l) >= 1 &&
				    wwtp_link_last_exception(l) <= 11);
		else
			FUZZ_ASSERT(!wwtp_link_is_open(l));
	}
	/* sv[0] is libmodbus's now: closed with the link (or already). */
	wwtp_link_free(l);
	close(sv[1]);
	return 0;
}
