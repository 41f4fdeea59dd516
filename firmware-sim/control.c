/* control.c - the control port's line server (see control.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4: also when built without the Makefile's flags */
#endif
#include "control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../util/err.h"
#include "../util/log.h"
#include "control_parse.h"
#include "serve.h"

#define MOD "control"
#define REPLY_MAX 16384 /* `list` of every shipped station fits; longer ends in "..." */

struct ctl_client {
	int fd;
	size_t len;		     /* bytes of an unfinished line in buf */
	int skipping;		     /* inside a line that was too long */
	char buf[WWTP_SIM_LINE_MAX]; /* no room for a newline-less full line */
};

struct wwtp_sim_control {
	int fd; /* listening */
	int port;
	int stop_fd;
	wwtp_sim_control_fn fn;
	void *ctx;
	pthread_t thread;
	int running;
	struct ctl_client clients[WWTP_SIM_CONTROL_CLIENTS];
	int nclients;
	char reply[REPLY_MAX + 1]; /* one answer, with its newline */
};

int wwtp_sim_control_open(int port, int stop_fd, wwtp_sim_control_fn fn, void *ctx,
			  struct wwtp_sim_control **out)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	struct wwtp_sim_control *c;
	int one = 1;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c))))
		return WWTP_ERR_NOMEM;
	c->stop_fd = stop_fd;
	c->fn = fn;
	c->ctx = ctx;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	/* Loopback only, whatever --bind says: the port changes what the
	 * simulator does and has no authentication. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0 || setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(c->fd, 8) != 0 ||
	    getsockname(c->fd, (struct sockaddr *)&sa, &salen) != 0) {
		LOG_ERROR(MOD, "cannot listen on 127.0.0.1 port %d: %s", port, strerror(errno));
		wwtp_sim_control_free(c);
		return WWTP_ERR_CONN;
	}
	c->port = ntohs(sa.sin_port);
	*out = c;
	return 0;
}

int wwtp_sim_control_port(const struct wwtp_sim_control *c)
{
	return c->port;
}

static void drop_client(struct wwtp_sim_control *c, int i)
{
	LOG_DEBUG(MOD, "client %d disconnected", c->clients[i].fd);
	close(c->clients[i].fd);
	c->clients[i] = c->clients[--c->nclients];
}

/* Sends reply text plus a newline. Returns 0 or -1 (client gone or not
 * reading). */
static int answer(struct wwtp_sim_control *c, int fd, const char *text)
{
	size_t n = strlen(text);

	if (n > REPLY_MAX - 1)
		n = REPLY_MAX - 1;
	memcpy(c->reply, text, n);
	c->reply[n++] = '\n';
	return wwtp_sim_write_all(fd, (const uint8_t *)c->reply, n, 1) == 0 ? 0 : -1;
}

/* Runs one complete line. Returns 0, or -1 to close the client. */
static int run_line(struct wwtp_sim_control *c, int fd, char *line, size_t len)
{
	char text[REPLY_MAX];
	const char *p = line;
	int quit;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (memchr(line, '\0', len))
		return answer(c, fd, "error: NUL byte in line");
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		return 0; /* blank lines and comments: scripts may send them */
	text[0] = '\0';
	quit = c->fn(c->ctx, line, text, sizeof(text));
	if (answer(c, fd, text) != 0 || quit)
		return -1;
	return 0;
}

/* Reads what client i sent and answers every complete line. Returns 0, or
 * -1 to close it. */
static int client_read(struct wwtp_sim_control *c, struct ctl_client *cl)
{
	ssize_t n = recv(cl->fd, cl->buf + cl->len, sizeof(cl->buf) - cl->len, MSG_DONTWAIT);

	if (n == 0)
		return -1;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	cl->len += (size_t)n;
	for (;;) {
		char *nl = memchr(cl->buf, '\n', cl->len);
		if (!nl)
			break;
		size_t used = (size_t)(nl - cl->buf) + 1;
		*nl = '\0';
		if (!cl->skipping && run_line(c, cl->fd, cl->buf, used - 1) != 0)
			return -1;
		cl->skipping = 0;
		memmove(cl->buf, cl->buf + used, cl->len - used);
		cl->len -= used;
	}
	if (cl->len == sizeof(cl->buf)) {
		/* A full buffer without a newline: the line is too long.
		 * Say so once, then drop bytes up to its end. */
		if (!cl->skipping) {
			char msg[80];
			snprintf(msg, sizeof(msg), "error: line too long (at most %d bytes)",
				 WWTP_SIM_LINE_MAX - 1);
			if (answer(c, cl->fd, msg) != 0)
				return -1;
		}
		cl->skipping = 1;
		cl->len = 0;
	}
	return 0;
}

static void accept_clients(struct wwtp_sim_control *c)
{
	for (;;) {
		int fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				LOG_WARN(MOD, "accept: %s", strerror(errno));
			return;
		}
		if (c->nclients == WWTP_SIM_CONTROL_CLIENTS) {
			char msg[80];
			snprintf(msg, sizeof(msg), "error: too many control clients (at most %d)",
				 WWTP_SIM_CONTROL_CLIENTS);
			answer(c, fd, msg);
			close(fd);
			continue;
		}
		struct ctl_client *cl = &c->clients[c->nclients++];
		cl->fd = fd;
		cl->len = 0;
		cl->skipping = 0;
		LOG_DEBUG(MOD, "client %d connected (%d open)", fd, c->nclients);
	}
}

static void *control_run(void *arg)
{
	struct wwtp_sim_control *c = arg;
	struct pollfd pfd[2 + WWTP_SIM_CONTROL_CLIENTS];

	for (;;) {
		int n = 0;
		pfd[n++] = (struct pollfd){.fd = c->stop_fd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = c->fd, .events = POLLIN};
		for (int i = 0; i < c->nclients; i++)
			pfd[n++] = (struct pollfd){.fd = c->clients[i].fd, .events = POLLIN};
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			LOG_ERROR(MOD, "poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		/* From the end: drop_client moves the last one into the gap. */
		for (int i = c->nclients - 1; i >= 0; i--)
			if (pfd[2 + i].revents && client_read(c, &c->clients[i]) != 0)
				drop_client(c, i);
		if (pfd[1].revents)
			accept_clients(c);
	}
	return NULL;
}

int wwtp_sim_control_start(struct wwtp_sim_control *c)
{
	int rc = pthread_create(&c->thread, NULL, control_run, c);
	if (rc != 0) {
		errno = rc;
		LOG_ERROR(MOD, "cannot start the control thread: %s", strerror(rc));
		return WWTP_ERR_ERRNO;
	}
	c->running = 1;
	return 0;
}

void wwtp_sim_control_free(struct wwtp_sim_control *c)
{
	if (!c)
		return;
	if (c->running)
		pthread_join(c->thread, NULL);
	for (int i = 0; i < c->nclients; i++)
		close(c->clients[i].fd);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}
