/* serve_tcp.c - Modbus TCP endpoints: one listening socket per (host, port),
 * one thread polling it and its clients.
 *
 * libmodbus 3.1.6 does not filter TCP requests by unit id on the server side
 * (modbus_receive returns every request; modbus_reply answers with the
 * request's unit id, whatever modbus_set_slave says), which is what a
 * gateway needs: the image is picked here by the unit id byte (MBAP byte 6). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ptys, accept4, pipe2, M_PI: also when built without the Makefile's flags */
#endif
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "serve.h"

#define MOD "tcp"
#define TCP_HDR 7 /* MBAP header; the function code follows */

static int tcp_open(struct wwtp_sim_endpoint *ep)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[16];
	int rc, fd = -1, err = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", ep->port);
	/* IPv4 first: libmodbus's TCP client (modbus_new_tcp) speaks only
	 * IPv4, so "localhost" must not end up bound to ::1 alone. */
	hints.ai_family = AF_INET;
	rc = getaddrinfo(ep->host[0] ? ep->host : NULL, port, &hints, &res);
	if (rc != 0) {
		hints.ai_family = AF_UNSPEC;
		rc = getaddrinfo(ep->host[0] ? ep->host : NULL, port, &hints, &res);
	}
	if (rc != 0) {
		LOG_ERROR(MOD, "cannot resolve bind address %s: %s (use --bind 127.0.0.1)",
			  ep->host, gai_strerror(rc));
		return WWTP_ERR_CONN;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int one = 1;
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		/* Tests restart the simulator on the same port at once. */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 16) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		LOG_ERROR(MOD,
			  "cannot listen on %s port %d: %s (another simulator running? "
			  "--port-offset N moves every port, --bind 127.0.0.1 serves on loopback)",
			  ep->host, ep->port, strerror(err));
		return WWTP_ERR_CONN;
	}
	ep->fd = fd;
	snprintf(ep->desc, sizeof(ep->desc), "tcp %s %d", ep->host, ep->port);
	/* The address only names the backend; the socket is set per use. */
	if (wwtp_sim_replier_init(&ep->rep, modbus_new_tcp("127.0.0.1", ep->port)) != 0) {
		LOG_ERROR(MOD, "%s: cannot make a libmodbus context: %s", ep->desc,
			  strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	/* A client that stops in the middle of a request holds the endpoint's
	 * thread only this long. */
	modbus_set_byte_timeout(ep->rep.ctx, 0, 200000);
	return 0;
}

static void tcp_close(struct wwtp_sim_endpoint *ep)
{
	if (ep->fd >= 0)
		close(ep->fd);
	ep->fd = -1;
	wwtp_sim_replier_free(&ep->rep);
}

/* Discards the rest of a request libmodbus did not read: it sizes requests
 * by function code, so the tail of an unknown function stays in the socket
 * and would be read as the next request. The MBAP length says how long the
 * frame really was. */
static void skip_tail(int fd, const uint8_t *req, int got)
{
	int declared = 6 + ((req[4] << 8) | req[5]);
	uint8_t junk[WWTP_SIM_MAX_ADU];

	while (declared > got) {
		size_t want = (size_t)(declared - got) < sizeof(junk) ? (size_t)(declared - got)
								      : sizeof(junk);
		ssize_t n = recv(fd, junk, want, MSG_DONTWAIT);
		if (n <= 0)
			break;
		got += (int)n;
	}
}

/* One connection. An answer a delay fault holds back waits here; until it
 * is sent the connection's next requests stay unread in the socket, so
 * pipelined requests are still answered in order, while other clients and
 * the other unit ids of the endpoint are served as usual. */
struct tcp_conn {
	int fd;
	int held; /* an answer is waiting for due_ms */
	int64_t due_ms;
	int len;
	uint8_t rsp[WWTP_SIM_MAX_ADU];
};

/* Sends a (possibly held) answer. Returns 0, or -1 to close the client. */
static int tcp_send(struct wwtp_sim_endpoint *ep, struct tcp_conn *c, const uint8_t *rsp, int len)
{
	if (len > 0 && wwtp_sim_write_all(c->fd, rsp, (size_t)len, 1) != 0) {
		LOG_DEBUG(MOD, "%s: client %d: cannot send: %s; closing", ep->desc, c->fd,
			  strerror(errno));
		return -1;
	}
	return 0;
}

/* Serves one request of a readable client. Returns 0, or -1 to close it. */
static int tcp_client(struct wwtp_sim_endpoint *ep, struct tcp_conn *c)
{
	uint8_t req[MODBUS_TCP_MAX_ADU_LENGTH];
	struct wwtp_sim_exchange x;
	enum wwtp_sim_action act;
	int rc;

	modbus_set_socket(ep->rep.ctx, c->fd);
	rc = modbus_receive(ep->rep.ctx, req);
	if (rc <= TCP_HDR) {
		/* ECONNRESET is also how libmodbus reports an orderly close. */
		if (rc < 0 && errno != ECONNRESET)
			LOG_DEBUG(MOD, "%s: client %d: %s; closing", ep->desc, c->fd,
				  modbus_strerror(errno));
		return -1;
	}
	skip_tail(c->fd, req, rc);
	act = wwtp_sim_answer(ep, TCP_HDR, req, rc, &x);
	if (act == WWTP_SIM_CLOSE) {
		LOG_DEBUG(MOD, "%s: client %d: closed by a fault", ep->desc, c->fd);
		return -1;
	}
	if (act != WWTP_SIM_SEND || x.rsp_len <= 0)
		return 0;
	if (x.delay_ms > 0) {
		c->held = 1;
		c->due_ms = wwtp_mono_ms() + x.delay_ms;
		c->len = x.rsp_len;
		memcpy(c->rsp, x.rsp, (size_t)x.rsp_len);
		return 0;
	}
	return tcp_send(ep, c, x.rsp, x.rsp_len);
}

static void tcp_accept(struct wwtp_sim_endpoint *ep, struct tcp_conn *clients, int *nclients,
		       struct wwtp_complain *full)
{
	for (;;) {
		int fd = accept4(ep->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				LOG_WARN(MOD, "%s: accept: %s", ep->desc, strerror(errno));
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		/* libmodbus waits with select(), which cannot take descriptors
		 * at or above FD_SETSIZE. */
		if (*nclients >= WWTP_SIM_MAX_CLIENTS || fd >= FD_SETSIZE) {
			wwtp_complain(full, WWTP_LOG_WARN, MOD,
				      "%s: %d clients already connected; refusing another",
				      ep->desc, *nclients);
			close(fd);
			continue;
		}
		clients[*nclients].fd = fd;
		clients[*nclients].held = 0;
		(*nclients)++;
		LOG_DEBUG(MOD, "%s: client %d connected (%d open)", ep->desc, fd, *nclients);
	}
}

/* poll() timeout until the earliest held answer is due; -1 if none. */
static int next_due(const struct tcp_conn *clients, int nclients)
{
	int64_t now = wwtp_mono_ms(), best = -1;

	for (int i = 0; i < nclients; i++) {
		if (!clients[i].held)
			continue;
		int64_t left = clients[i].due_ms > now ? clients[i].due_ms - now : 0;
		if (best < 0 || left < best)
			best = left;
	}
	return best > INT32_MAX ? INT32_MAX : (int)best;
}

static void *tcp_run(void *arg)
{
	struct wwtp_sim_endpoint *ep = arg;
	struct pollfd pfd[2 + WWTP_SIM_MAX_CLIENTS];
	/* static would be shared by every endpoint thread: on the stack,
	 * 32 connections with a frame each are 9 KiB. */
	struct tcp_conn clients[WWTP_SIM_MAX_CLIENTS];
	int nclients = 0;
	struct wwtp_complain full = WWTP_COMPLAIN_INIT;

	for (;;) {
		int n = 0;
		pfd[n++] = (struct pollfd){.fd = ep->stop_fd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = ep->fd, .events = POLLIN};
		/* A client with a held answer is not read (its requests
		 * queue in order); poll still reports its errors. */
		for (int i = 0; i < nclients; i++)
			pfd[n++] = (struct pollfd){.fd = clients[i].fd,
						   .events = clients[i].held ? 0 : POLLIN};
		if (poll(pfd, (nfds_t)n, next_due(clients, nclients)) < 0) {
			if (errno == EINTR)
				continue;
			LOG_ERROR(MOD, "%s: poll: %s", ep->desc, strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		/* Clients first, from the end, so removing one (swap with the
		 * last) never skips another. pfd[2 + i] is clients[i]. */
		for (int i = nclients - 1; i >= 0; i--) {
			struct tcp_conn *c = &clients[i];
			int drop = 0;
			if (c->held) {
				if (pfd[2 + i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
					drop = 1;
				} else if (wwtp_mono_ms() >= c->due_ms) {
					c->held = 0;
					drop = tcp_send(ep, c, c->rsp, c->len) != 0;
				}
			} else if (pfd[2 + i].revents) {
				drop = tcp_client(ep, c) != 0;
			}
			if (drop) {
				close(c->fd);
				clients[i] = clients[--nclients];
			}
		}
		if (pfd[1].revents)
			tcp_accept(ep, clients, &nclients, &full);
	}
	for (int i = 0; i < nclients; i++)
		close(clients[i].fd);
	return NULL;
}

const struct wwtp_sim_transport wwtp_sim_tcp_transport = {
    .name = "tcp",
    .open = tcp_open,
    .run = tcp_run,
    .close = tcp_close,
};
