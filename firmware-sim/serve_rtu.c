/* serve_rtu.c - Modbus RTU endpoints: one simulated RS-485 bus per serial
 * line of a station, carried by a pseudo-terminal whose slave side the
 * collector opens as its serial device (or by an existing line, --serial).
 *
 * Frames are cut out of the byte stream here (rtu_frame.h says why), by the
 * length the function code implies, or by silence for other functions. A
 * frame with a bad CRC is ignored, as a real device ignores it; so is a
 * broadcast (unit 0) and a frame for a unit id nobody has. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ptys, accept4, pipe2, M_PI: also when built without the Makefile's flags */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "rtu_frame.h"
#include "serve.h"

#define MOD "rtu"
#define RTU_HDR 1 /* unit id; the function code follows */
/* Silence after which a partial frame is abandoned. On a real line 3.5
 * character times (4 ms at 9600 baud) end a frame; a pty has no timing and
 * a loaded test machine can pause a writer, so be generous. */
#define RTU_SILENCE_MIN_MS 20

static speed_t baud_speed(int baud)
{
	static const struct {
		int baud;
		speed_t speed;
	} tab[] = {{1200, B1200},   {2400, B2400},   {4800, B4800},   {9600, B9600},
		   {19200, B19200}, {38400, B38400}, {57600, B57600}, {115200, B115200}};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].baud == baud)
			return tab[i].speed;
	return 0;
}

/* Raw 8-bit line: no echo, no line editing, no CR/LF mapping, no flow
 * control; a pty's speed is ignored by the kernel but set for honesty. */
static int line_setup(const struct wwtp_sim_endpoint *ep, int fd)
{
	struct termios tio;
	speed_t sp = baud_speed(ep->baud);

	if (tcgetattr(fd, &tio) != 0)
		return WWTP_ERR_ERRNO;
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cflag &= (tcflag_t) ~(PARENB | PARODD | CSTOPB | CRTSCTS);
	if (ep->parity == 'E')
		tio.c_cflag |= PARENB;
	else if (ep->parity == 'O')
		tio.c_cflag |= PARENB | PARODD;
	if (ep->stop_bits == 2)
		tio.c_cflag |= CSTOPB;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (sp == 0) {
		LOG_WARN(MOD, "%s: baud %d is not a standard rate; line left at 9600", ep->desc,
			 ep->baud);
		sp = B9600;
	}
	cfsetispeed(&tio, sp);
	cfsetospeed(&tio, sp);
	return tcsetattr(fd, TCSANOW, &tio) == 0 ? 0 : WWTP_ERR_ERRNO;
}

static int open_pty(struct wwtp_sim_endpoint *ep)
{
	int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0 || grantpt(fd) != 0 || unlockpt(fd) != 0 ||
	    ptsname_r(fd, ep->path, sizeof(ep->path)) != 0) {
		LOG_ERROR(MOD, "cannot create a pseudo-terminal: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return WWTP_ERR_ERRNO;
	}
	ep->fd = fd;
	snprintf(ep->desc, sizeof(ep->desc), "rtu %s", ep->path);
	/* Holding the slave open keeps the master readable when no collector
	 * has it open (otherwise reads fail with EIO and poll reports a hang-up
	 * until someone opens it), and lets the line be raw before a client
	 * that sets nothing (a terminal tool) opens it. */
	ep->hold_fd = open(ep->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (ep->hold_fd < 0 || line_setup(ep, ep->hold_fd) != 0) {
		LOG_ERROR(MOD, "%s: cannot set up the pty slave: %s", ep->desc, strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	return 0;
}

static int open_line(struct wwtp_sim_endpoint *ep)
{
	snprintf(ep->path, sizeof(ep->path), "%s", ep->serial);
	snprintf(ep->desc, sizeof(ep->desc), "rtu %s", ep->path);
	ep->fd = open(ep->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (ep->fd < 0) {
		LOG_ERROR(MOD, "cannot open serial line %s: %s", ep->path, strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	if (isatty(ep->fd) && line_setup(ep, ep->fd) != 0) {
		LOG_ERROR(MOD, "%s: cannot configure the line: %s", ep->desc, strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	return 0;
}

static int rtu_open(struct wwtp_sim_endpoint *ep)
{
	int rc = ep->serial[0] ? open_line(ep) : open_pty(ep);
	int fl;

	if (rc != 0)
		return rc;
	fl = fcntl(ep->fd, F_GETFL);
	if (fl < 0 || fcntl(ep->fd, F_SETFL, fl | O_NONBLOCK) != 0) {
		LOG_ERROR(MOD, "%s: %s", ep->desc, strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	/* The device name only labels the context: it is never opened, the
	 * answers go to the replier's socket. */
	modbus_t *ctx =
	    modbus_new_rtu(ep->path, ep->baud > 0 ? ep->baud : 9600, ep->parity ? ep->parity : 'N',
			   ep->data_bits ? ep->data_bits : 8, ep->stop_bits ? ep->stop_bits : 1);
	if (wwtp_sim_replier_init(&ep->rep, ctx) != 0) {
		LOG_ERROR(MOD, "%s: cannot make a libmodbus context: %s", ep->desc,
			  strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	return 0;
}

static void rtu_close(struct wwtp_sim_endpoint *ep)
{
	if (ep->fd >= 0)
		close(ep->fd);
	if (ep->hold_fd >= 0)
		close(ep->hold_fd);
	ep->fd = ep->hold_fd = -1;
	wwtp_sim_replier_free(&ep->rep);
}

static void rtu_frame(struct wwtp_sim_endpoint *ep, const uint8_t *frame, size_t n)
{
	struct wwtp_sim_exchange x;
	enum wwtp_sim_action act;

	if (frame[0] == 0) {
		/* Broadcast: devices act without answering. The simulated
		 * devices have nothing to act on, so it is simply ignored. */
		ep->requests++;
		ep->ignored++;
		LOG_DEBUG(MOD, "%s: broadcast fc %d ignored", ep->desc, frame[1]);
		return;
	}
	act = wwtp_sim_answer(ep, RTU_HDR, frame, (int)n, &x);
	/* A slow slave holds the half-duplex bus: whatever else arrives
	 * meanwhile waits in the pty and is served after this answer. */
	if (act == WWTP_SIM_SEND && x.rsp_len > 0 && x.delay_ms > 0 &&
	    wwtp_sim_wait_stop(ep, x.delay_ms))
		return;
	if (act == WWTP_SIM_SEND && x.rsp_len > 0 &&
	    wwtp_sim_write_all(ep->fd, x.rsp, (size_t)x.rsp_len, 0) != 0)
		LOG_WARN(MOD, "%s: cannot send the answer to unit %d: %s", ep->desc, x.unit,
			 strerror(errno));
}

/* Takes every complete frame off the front of buf. `silent`: the line has
 * been quiet long enough that whatever is buffered is all there will be. */
static void rtu_scan(struct wwtp_sim_endpoint *ep, uint8_t *buf, size_t *len, int silent)
{
	while (*len > 0) {
		int need = wwtp_sim_rtu_request_len(buf, *len);

		if (need > WWTP_SIM_RTU_MAX) {
			LOG_DEBUG(MOD, "%s: %zu bytes of garbage dropped", ep->desc, *len);
			*len = 0;
		} else if (need > 0 && *len >= (size_t)need) {
			if (wwtp_sim_rtu_crc_ok(buf, (size_t)need)) {
				rtu_frame(ep, buf, (size_t)need);
				memmove(buf, buf + need, *len - (size_t)need);
				*len -= (size_t)need;
				continue;
			}
			/* No way to find the next frame boundary but silence:
			 * drop all, as a device does until the line goes quiet. */
			LOG_DEBUG(MOD, "%s: bad CRC, %zu bytes ignored", ep->desc, *len);
			*len = 0;
		} else if (need < 0 && silent) {
			if (*len >= 4 && wwtp_sim_rtu_crc_ok(buf, *len))
				rtu_frame(ep, buf, *len); /* libmodbus answers "illegal function" */
			else
				LOG_DEBUG(MOD, "%s: %zu bytes ignored", ep->desc, *len);
			*len = 0;
		} else if (silent) {
			LOG_DEBUG(MOD, "%s: truncated frame (%zu bytes) ignored", ep->desc, *len);
			*len = 0;
		}
		return;
	}
}

static void *rtu_run(void *arg)
{
	struct wwtp_sim_endpoint *ep = arg;
	uint8_t buf[2 * WWTP_SIM_RTU_MAX];
	size_t len = 0;
	int64_t last_ms = 0;
	int silence_ms = ep->baud > 0 ? (int)(3.5 * 11 * 1000 / ep->baud) + 1 : 0;

	if (silence_ms < RTU_SILENCE_MIN_MS)
		silence_ms = RTU_SILENCE_MIN_MS;
	for (;;) {
		struct pollfd pfd[2] = {{.fd = ep->stop_fd, .events = POLLIN},
					{.fd = ep->fd, .events = POLLIN}};
		int timeout = -1, rc;

		if (len > 0) {
			int64_t left = last_ms + silence_ms - wwtp_mono_ms();
			timeout = left > 0 ? (int)left : 0;
		}
		rc = poll(pfd, 2, timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			LOG_ERROR(MOD, "%s: poll: %s", ep->desc, strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		if (pfd[1].revents & POLLIN) {
			ssize_t n = read(ep->fd, buf + len, sizeof(buf) - len);
			if (n > 0) {
				len += (size_t)n;
				last_ms = wwtp_mono_ms();
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				/* An external line whose other end is gone: wait
				 * for it to come back rather than spin. */
				if (wwtp_sim_wait_stop(ep, 200))
					break;
			}
		} else if (pfd[1].revents & (POLLHUP | POLLERR)) {
			if (wwtp_sim_wait_stop(ep, 200))
				break;
		}
		rtu_scan(ep, buf, &len, len > 0 && wwtp_mono_ms() - last_ms >= silence_ms);
		if (len == sizeof(buf)) {
			LOG_DEBUG(MOD, "%s: buffer full of garbage, dropped", ep->desc);
			len = 0;
		}
	}
	return NULL;
}

const struct wwtp_sim_transport wwtp_sim_rtu_transport = {
    .name = "rtu",
    .open = rtu_open,
    .run = rtu_run,
    .close = rtu_close,
};
