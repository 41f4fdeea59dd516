/* link_tcp.c - Modbus TCP transport (a device or an RTU-to-TCP gateway). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../util/err.h"
#include "../util/log.h"
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

/* Modbus TCP carries the unit id in the MBAP header, and libmodbus 3.1.6
 * does not compare the answer's with the request's: a gateway that answers
 * for the wrong serial slave (or a misconfigured device) would pass its
 * registers off as another device's. So reads go out as raw requests and
 * the answer is checked here, as libmodbus checks it and then some:
 * transaction id (a raw request carries 0), protocol id, unit id, function,
 * byte count and length. */
#define MBAP_LEN 7 /* transaction id, protocol id, length, unit id */

static int tcp_read(struct wwtp_link *l, int function, uint16_t address, uint16_t count,
		    uint16_t *regs, uint8_t *bits)
{
	uint8_t req[6];
	uint8_t rsp[MODBUS_TCP_MAX_ADU_LENGTH];
	int unit = modbus_get_slave(l->ctx);
	int bitwise = function == 1 || function == 2;
	int want_bytes = bitwise ? (count + 7) / 8 : 2 * count;
	int n;

	req[0] = (uint8_t)unit;
	req[1] = (uint8_t)function;
	req[2] = (uint8_t)(address >> 8);
	req[3] = (uint8_t)(address & 0xff);
	req[4] = (uint8_t)(count >> 8);
	req[5] = (uint8_t)(count & 0xff);
	if (modbus_send_raw_request(l->ctx, req, (int)sizeof(req)) < 0)
		return -1;
	n = modbus_receive_confirmation(l->ctx, rsp);
	if (n < 0)
		return -1;
	if (n < MBAP_LEN + 2 || rsp[0] != 0 || rsp[1] != 0 || rsp[2] != 0 || rsp[3] != 0) {
		snprintf(l->detail, sizeof(l->detail),
			 "invalid answer (transaction or protocol id, or too short)");
		errno = EMBBADDATA;
		return -1;
	}
	if (rsp[6] != (uint8_t)unit) {
		snprintf(l->detail, sizeof(l->detail),
			 "answer from unit id %u, not %d (wrong unit id)", (unsigned)rsp[6], unit);
		errno = EMBBADSLAVE;
		return -1;
	}
	if (rsp[7] == (uint8_t)(function | 0x80)) {
		/* libmodbus's reading of exception codes: 1..11 are known. */
		errno = rsp[8] >= 1 && rsp[8] <= MODBUS_EXCEPTION_GATEWAY_TARGET
			    ? (int)(MODBUS_ENOBASE + rsp[8])
			    : EMBBADEXC;
		return -1;
	}
	if (rsp[7] != (uint8_t)function || rsp[8] != want_bytes || n != MBAP_LEN + 2 + want_bytes) {
		snprintf(
		    l->detail, sizeof(l->detail),
		    "invalid answer: function %u, %u data bytes in %d (wanted function %d, %d)",
		    (unsigned)rsp[7], (unsigned)rsp[8], n, function, want_bytes);
		errno = EMBBADDATA;
		return -1;
	}
	for (int i = 0; i < count; i++) {
		const uint8_t *d = rsp + MBAP_LEN + 2;
		if (bitwise)
			bits[i] = (uint8_t)((d[i / 8] >> (i % 8)) & 1);
		else
			regs[i] = (uint16_t)((d[2 * i] << 8) | d[2 * i + 1]);
	}
	return count;
}

const struct wwtp_link_backend wwtp_link_tcp_backend = {
    .name = "tcp",
    .create = tcp_create,
    .describe = tcp_describe,
    .after_connect = NULL,
    .after_error = tcp_after_error,
    .read = tcp_read,
};
