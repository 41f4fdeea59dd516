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
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../util/err.h"
#include "../util/log.h"
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

/* Serves one request of a readable client. Returns 0, or -1 to close it. */
static int tcp_client(struct wwtp_sim_endpoint *ep, int fd)
{
	uint8_t req[MODBUS_TCP_MAX_ADU_LENGTH];
	struct wwtp_sim_exchange x;
	enum wwtp_sim_action act;
	int rc;

	modbus_set_socket(ep->rep.ctx, fd);
	rc = modbus_receive(ep->rep.ctx, req);
	if (rc <= TCP_HDR) {
		/* ECONNRESET is also how libmodbus reports an orderly close. */
		if (rc < 0 && errno != ECONNRESET)
			LOG_DEBUG(MOD, "%s: client %d: %s; closing", ep->desc, fd,
				  modbus_strerror(errno));
		return -1;
	}
	skip_tail(fd, req, rc);
	act = wwtp_sim_answer(ep, TCP_HDR, req, rc, &x);
	if (act == WWTP_SIM_CLOSE)
		return -1;
	if (act == WWTP_SIM_SEND && x.rsp_len > 0 &&
	    wwtp_sim_write_all(fd, x.rsp, (size_t)x.rsp_len, 1) != 0) {
		LOG_DEBUG(MOD, "%s: client %d: cannot send: %s; closing", ep->desc, fd,
			  strerror(errno));
		return -1;
	}
	return 0;
}

static void tcp_accept(struct wwtp_sim_endpoint *ep, int *clients, int *nclients,
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
		clients[(*nclients)++] = fd;
		LOG_DEBUG(MOD, "%s: client %d connected (%d open)", ep->desc, fd, *nclients);
	}
}

static void *tcp_run(void *arg)
{
	struct wwtp_sim_endpoint *ep = arg;
	struct pollfd pfd[2 + WWTP_SIM_MAX_CLIENTS];
	int clients[WWTP_SIM_MAX_CLIENTS];
	int nclients = 0;
	struct wwtp_complain full = WWTP_COMPLAIN_INIT;

	for (;;) {
		int n = 0;
		pfd[n++] = (struct pollfd){.fd = ep->stop_fd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = ep->fd, .events = POLLIN};
		for (int i = 0; i < nclients; i++)
			pfd[n++] = (struct pollfd){.fd = clients[i], .events = POLLIN};
		if (poll(pfd, (nfds_t)n, -1) < 0) {
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
			if (!pfd[2 + i].revents)
				continue;
			if (tcp_client(ep, clients[i]) != 0) {
				close(clients[i]);
				clients[i] = clients[--nclients];
			}
		}
		if (pfd[1].revents)
			tcp_accept(ep, clients, &nclients, &full);
	}
	for (int i = 0; i < nclients; i++)
		close(clients[i]);
	return NULL;
}

const struct wwtp_sim_transport wwtp_sim_tcp_transport = {
    .name = "tcp",
    .open = tcp_open,
    .run = tcp_run,
    .close = tcp_close,
};
