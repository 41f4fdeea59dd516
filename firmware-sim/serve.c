#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ptys, accept4, pipe2, M_PI: also when built without the Makefile's flags */
#endif
#include "serve.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "fault.h"

#define MOD "serve"

void wwtp_sim_endpoint_init(struct wwtp_sim_endpoint *ep, const struct wwtp_sim_transport *tp,
			    int stop_fd)
{
	memset(ep, 0, sizeof(*ep));
	ep->tp = tp;
	ep->stop_fd = stop_fd;
	ep->fd = -1;
	ep->hold_fd = -1;
	ep->rep.pair[0] = ep->rep.pair[1] = -1;
}

int wwtp_sim_replier_init(struct wwtp_sim_replier *r, modbus_t *ctx)
{
	r->ctx = ctx;
	r->pair[0] = r->pair[1] = -1;
	/* SEQPACKET keeps each answer one record, so reading it back never
	 * merges or splits frames. */
	if (!ctx || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r->pair) != 0) {
		int e = ctx ? errno : ENOMEM;
		wwtp_sim_replier_free(r);
		errno = e;
		return WWTP_ERR_ERRNO;
	}
	/* libmodbus sleeps the response timeout before an exception it
	 * "flushes" for (illegal function, bad count), to let the rest of a
	 * bad request arrive; the endpoints resynchronise themselves, so keep
	 * that sleep short. */
	modbus_set_response_timeout(ctx, 0, 1000);
	modbus_set_error_recovery(ctx, MODBUS_ERROR_RECOVERY_NONE);
	return 0;
}

void wwtp_sim_replier_free(struct wwtp_sim_replier *r)
{
	if (r->ctx)
		modbus_free(r->ctx); /* does not close the socket it was given */
	r->ctx = NULL;
	for (int i = 0; i < 2; i++) {
		if (r->pair[i] >= 0)
			close(r->pair[i]);
		r->pair[i] = -1;
	}
}

/* Empties the read side of the pair: a failed or partial reply must not be
 * read back as the next request's answer. */
static void drain(int fd)
{
	uint8_t junk[WWTP_SIM_MAX_ADU];
	while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
}

/* modbus_reply for img, captured. Returns the frame length, 0 when libmodbus
 * sends nothing, or WWTP_ERR_ERRNO. */
static int capture_reply(struct wwtp_sim_replier *r, struct wwtp_sim_image *img, const uint8_t *req,
			 int req_len, uint8_t *rsp, size_t cap)
{
	ssize_t n;
	int rc;

	modbus_set_socket(r->ctx, r->pair[0]);
	rc = wwtp_sim_image_reply(img, r->ctx, req, req_len);
	if (rc <= 0) {
		int e = errno;
		drain(r->pair[1]);
		errno = e;
		return rc == 0 ? 0 : WWTP_ERR_ERRNO;
	}
	/* modbus_reply has returned, so its send() is complete: the record is
	 * already queued on the other end. */
	n = recv(r->pair[1], rsp, cap, MSG_DONTWAIT);
	drain(r->pair[1]);
	if (n <= 0) {
		errno = n == 0 ? EIO : errno;
		return WWTP_ERR_ERRNO;
	}
	return (int)n;
}

enum wwtp_sim_action wwtp_sim_answer(struct wwtp_sim_endpoint *ep, int hdr, const uint8_t *req,
				     int req_len, struct wwtp_sim_exchange *x)
{
	struct wwtp_sim_image *img;
	enum wwtp_sim_action act;
	char what[64];

	memset(x, 0, sizeof(*x));
	x->ep = ep;
	x->hdr = hdr;
	x->req = req;
	x->req_len = req_len;
	x->unit = req[hdr - 1];
	x->function = req_len > hdr ? req[hdr] : -1;
	x->address = req_len > hdr + 2 ? (req[hdr + 1] << 8) | req[hdr + 2] : -1;
	ep->requests++;

	img = ep->units[x->unit];
	if (!img) {
		/* A gateway or a bus has no one to answer: the client times out. */
		ep->ignored++;
		LOG_DEBUG(MOD, "%s: unit %d fc %d: no such device, no answer", ep->desc, x->unit,
			  x->function);
		return WWTP_SIM_DROP;
	}
	wwtp_sim_faultbox_take(ep->faults[x->unit], x, wwtp_mono_ms(), &x->fault);
	if (!wwtp_sim_fault_preempts(&x->fault)) {
		int rc = capture_reply(&ep->rep, img, req, req_len, x->rsp, sizeof(x->rsp));
		if (rc < 0) {
			LOG_WARN(MOD, "%s: unit %d fc %d: libmodbus could not build an answer: %s",
				 ep->desc, x->unit, x->function, modbus_strerror(errno));
			return WWTP_SIM_DROP;
		}
		x->rsp_len = rc;
	}
	act = wwtp_sim_fault_apply(&x->fault, x);
	if (x->fault.kind != WWTP_SIM_FAULT_NONE)
		ep->faulted++;
	if (act == WWTP_SIM_SEND && x->rsp_len > 0)
		ep->answered++;
	else
		ep->ignored++;
	wwtp_sim_fault_format(&x->fault, what, sizeof(what));
	LOG_DEBUG(MOD, "%s: unit %d (%s) fc %d addr %d: fault %s: %s %d bytes", ep->desc, x->unit,
		  wwtp_sim_image_device(img)->name, x->function, x->address, what,
		  act == WWTP_SIM_SEND	 ? "answer"
		  : act == WWTP_SIM_DROP ? "drop"
					 : "close",
		  x->rsp_len);
	return act;
}

int wwtp_sim_wait_stop(const struct wwtp_sim_endpoint *ep, int ms)
{
	struct pollfd p = {.fd = ep->stop_fd, .events = POLLIN};
	int rc;
	do
		rc = poll(&p, 1, ms);
	while (rc < 0 && errno == EINTR);
	return rc > 0;
}

int wwtp_sim_write_all(int fd, const uint8_t *buf, size_t n, int is_socket)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = is_socket ? send(fd, buf + done, n - done, MSG_NOSIGNAL | MSG_DONTWAIT)
				      : write(fd, buf + done, n - done);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* Answers are small: a peer that leaves no room for one
			 * within a second is not reading at all. */
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			int rc = poll(&p, 1, 1000);
			if (rc == 0)
				return WWTP_ERR_TIMEOUT;
			if (rc < 0 && errno != EINTR)
				return WWTP_ERR_ERRNO;
			continue;
		}
		return WWTP_ERR_ERRNO;
	}
	return 0;
}
