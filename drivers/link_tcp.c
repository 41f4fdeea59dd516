/* link_tcp.c - Modbus TCP transport (a device or an RTU-to-TCP gateway). */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "link-private.h"

#define MOD "link"

static modbus_t *tcp_create(const struct wwtp_link_cfg *cfg)
{
	struct in_addr a4;
	char service[16];
	modbus_t *ctx;

	if (cfg->host[0] == '\0' || cfg->port < 1 || cfg->port > 65535) {
		LOG_ERROR(MOD, "tcp: bad endpoint \"%s\" port %d", cfg->host, cfg->port);
		return NULL;
	}
	/* A dotted IPv4 address goes to modbus_new_tcp, which connects without
	 * getaddrinfo: the _pi variant asks for AI_ADDRCONFIG, which can refuse
	 * even 127.0.0.1 on a Pi whose only configured interface is loopback
	 * (a local RTU gateway on a box without network). Names and IPv6 need
	 * the resolver. */
	if (inet_pton(AF_INET, cfg->host, &a4) == 1) {
		ctx = modbus_new_tcp(cfg->host, cfg->port);
	} else {
		snprintf(service, sizeof(service), "%d", cfg->port);
		ctx = modbus_new_tcp_pi(cfg->host, service);
	}
	if (!ctx)
		LOG_ERROR(MOD, "tcp %s:%d: %s", cfg->host, cfg->port, modbus_strerror(errno));
	return ctx;
}

static void tcp_describe(const struct wwtp_link_cfg *cfg, char *out, size_t n)
{
	if (strchr(cfg->host, ':'))
		snprintf(out, n, "tcp [%s]:%d", cfg->host, cfg->port);
	else
		snprintf(out, n, "tcp %s:%d", cfg->host, cfg->port);
}

/* After a timeout the answer may still arrive and would then be read as the
 * answer to the next request; after a framing error the stream position is
 * unknown. Reconnecting is cheap on TCP and gives a clean stream, so drop the
 * connection; the caller reopens it before its next request. An exception is
 * a well-formed answer and leaves the stream in step. */
static void tcp_after_error(struct wwtp_link *l, int err)
{
	switch (err) {
	case WWTP_ERR_TIMEOUT:
	case WWTP_ERR_PROTO:
	case WWTP_ERR_CONN:
	case WWTP_ERR_ERRNO:
		LOG_DEBUG(MOD, "%s: closing after: %s", l->desc, l->last_error);
		wwtp_link_close(l);
		break;
	default:
		break;
	}
}

/* Reads are framed here, not by libmodbus 3.1.6, which (a) does not
 * compare the answer's unit id with the request's, so a gateway answering
 * for the wrong serial slave would pass its registers off as another
 * device's; (b) ignores the MBAP length field and frames the answer by its
 * function code and byte count, so a frame whose length lies is taken whole
 * and the stream falls out of step; (c) bounds each byte by its byte timeout
 * (0.5 s) but not the whole answer, so a device trickling one byte every
 * 300 ms holds the link for seconds whatever timeout_ms says, and its
 * neighbours behind the same gateway miss their polls.
 *
 * So the request goes out on the context's socket with our own transaction
 * id, and the answer is read under one deadline, request sent to last byte
 * in, of timeout_ms. The MBAP header is checked before the rest is read:
 * transaction id, protocol id, and a length that must be exactly what this
 * request's answer (or an exception) takes. Then unit id, function, byte
 * count. Any failure leaves the stream position unknown: the caller's
 * after_error drops the connection. */
#define MBAP_LEN 7 /* transaction id, protocol id, length, unit id */

/* Waits for fd to be ready for events until the monotonic deadline: 0, or
 * -1 with errno ETIMEDOUT or the error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - wwtp_mono_ms();
		struct pollfd pfd = {.fd = fd, .events = events};
		int rc;

		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		rc = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

static int send_all(int fd, const uint8_t *b, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			b += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(fd, POLLOUT, deadline) != 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

/* Reads exactly n bytes before the deadline: 0, or -1 with errno
 * (ETIMEDOUT, ECONNRESET when the peer closed, or the error). */
static int recv_all(int fd, uint8_t *b, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t r = recv(fd, b, n, MSG_DONTWAIT);
		if (r > 0) {
			b += r;
			n -= (size_t)r;
		} else if (r == 0) {
			errno = ECONNRESET;
			return -1;
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (wait_fd(fd, POLLIN, deadline) != 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

/* Bytes already waiting before the request belong to no request of ours (a
 * device talking out of turn): dropped, so they are not read as its answer. */
static void drain(int fd)
{
	uint8_t junk[256];
	while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
}

static int bad_frame(struct wwtp_link *l, int e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad_frame(struct wwtp_link *l, int e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->detail, sizeof(l->detail), fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

static int tcp_read(struct wwtp_link *l, int function, uint16_t address, uint16_t count,
		    uint16_t *regs, uint8_t *bits)
{
	uint8_t req[MBAP_LEN + 5];
	uint8_t rsp[MBAP_LEN + 2 + 250];
	int fd = modbus_get_socket(l->ctx);
	int unit = modbus_get_slave(l->ctx);
	int bitwise = function == 1 || function == 2;
	int want_bytes = bitwise ? (count + 7) / 8 : 2 * count;
	int64_t deadline = wwtp_mono_ms() + l->timeout_ms;
	unsigned tid, len;

	if (fd < 0)
		return bad_frame(l, ENOTCONN, "not connected");
	tid = ++l->tid;
	req[0] = (uint8_t)(tid >> 8);
	req[1] = (uint8_t)(tid & 0xff);
	req[2] = 0; /* protocol id: Modbus */
	req[3] = 0;
	req[4] = 0; /* length: unit id and the 5-byte PDU */
	req[5] = 6;
	req[6] = (uint8_t)unit;
	req[7] = (uint8_t)function;
	req[8] = (uint8_t)(address >> 8);
	req[9] = (uint8_t)(address & 0xff);
	req[10] = (uint8_t)(count >> 8);
	req[11] = (uint8_t)(count & 0xff);
	drain(fd);
	if (send_all(fd, req, sizeof(req), deadline) != 0)
		return -1;
	if (recv_all(fd, rsp, MBAP_LEN, deadline) != 0)
		return -1;
	if ((unsigned)((rsp[0] << 8) | rsp[1]) != tid || rsp[2] != 0 || rsp[3] != 0)
		return bad_frame(
		    l, EMBBADDATA, "invalid answer: transaction id %u protocol id %u (sent %u, 0)",
		    (unsigned)((rsp[0] << 8) | rsp[1]), (unsigned)((rsp[2] << 8) | rsp[3]), tid);
	/* The length counts the unit id and the PDU: function and byte count
	 * and the data, or function and exception code. Any other value is a
	 * lie about the frame, refused before reading what it announces. */
	len = (unsigned)((rsp[4] << 8) | rsp[5]);
	if (len != 3u + (unsigned)want_bytes && len != 3u)
		return bad_frame(l, EMBBADDATA,
				 "invalid answer: MBAP length %u, not %d (or 3: exception)", len,
				 3 + want_bytes);
	if (recv_all(fd, rsp + MBAP_LEN, len - 1, deadline) != 0)
		return -1;
	if (rsp[6] != (uint8_t)unit)
		return bad_frame(l, EMBBADSLAVE, "answer from unit id %u, not %d (wrong unit id)",
				 (unsigned)rsp[6], unit);
	if (len == 3 && rsp[7] == (uint8_t)(function | 0x80)) {
		/* libmodbus's reading of exception codes: 1..11 are known. */
		errno = rsp[8] >= 1 && rsp[8] <= MODBUS_EXCEPTION_GATEWAY_TARGET
			    ? (int)(MODBUS_ENOBASE + rsp[8])
			    : EMBBADEXC;
		return -1;
	}
	if (len == 3u + (unsigned)want_bytes && rsp[7] == (uint8_t)function &&
	    rsp[8] == want_bytes) {
		const uint8_t *d = rsp + MBAP_LEN + 2;
		for (int i = 0; i < count; i++) {
			if (bitwise)
				bits[i] = (uint8_t)((d[i / 8] >> (i % 8)) & 1);
			else
				regs[i] = (uint16_t)((d[2 * i] << 8) | d[2 * i + 1]);
		}
		return count;
	}
	return bad_frame(
	    l, EMBBADDATA,
	    "invalid answer: function %u, %u data bytes, MBAP length %u (wanted function %d, %d)",
	    (unsigned)rsp[7], (unsigned)rsp[8], len, function, want_bytes);
}

const struct wwtp_link_backend wwtp_link_tcp_backend = {
    .name = "tcp",
    .create = tcp_create,
    .describe = tcp_describe,
    .after_connect = NULL,
    .after_error = tcp_after_error,
    .read = tcp_read,
};
