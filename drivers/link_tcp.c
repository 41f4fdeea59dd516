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

const struct wwtp_link_backend wwtp_link_tcp_backend = {
    .name = "tcp",
    .create = tcp_create,
    .describe = tcp_describe,
    .after_connect = NULL,
    .after_error = tcp_after_error,
};
