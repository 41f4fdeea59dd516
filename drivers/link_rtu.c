/* link_rtu.c - Modbus RTU transport over a serial line (RS-485 bus). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "link-private.h"

#define MOD "link"

/* libmodbus silently falls back to 9600 baud for a rate it has no termios
 * constant for; refuse those here so a typo does not look like a dead bus. */
static int baud_supported(int baud)
{
	static const int rates[] = {110,    300,    600,     1200,    2400,    4800,   9600,
				    19200,  38400,  57600,   115200,  230400,  460800, 500000,
				    576000, 921600, 1000000, 1152000, 1500000, 2000000};
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (rates[i] == baud)
			return 1;
	return 0;
}

/* Time one character takes on the wire: start bit, data, parity, stop. */
static long char_time_us(const struct wwtp_link_cfg *cfg)
{
	long bits = 1 + cfg->data_bits + (cfg->parity == 'N' ? 0 : 1) + cfg->stop_bits;
	return (bits * 1000000L + cfg->baud - 1) / cfg->baud;
}

/* Longest silence accepted inside one frame. The standard allows 1.5
 * character times, but USB adapters deliver bytes in bursts (FTDI's latency
 * timer is 16 ms) and a loaded Pi reads late; 50 ms plus a few characters
 * covers both at any rate while still catching a truncated frame quickly. */
static long byte_timeout_us(const struct wwtp_link_cfg *cfg)
{
	return 50000L + 4 * char_time_us(cfg);
}

static modbus_t *rtu_create(const struct wwtp_link_cfg *cfg)
{
	modbus_t *ctx;
	long bt;

	if (cfg->serial[0] == '\0') {
		LOG_ERROR(MOD, "rtu: no serial device given");
		return NULL;
	}
	if (!baud_supported(cfg->baud) ||
	    (cfg->parity != 'N' && cfg->parity != 'E' && cfg->parity != 'O') ||
	    cfg->data_bits < 5 || cfg->data_bits > 8 || cfg->stop_bits < 1 || cfg->stop_bits > 2) {
		LOG_ERROR(MOD, "rtu %s: unsupported line settings %d %d%c%d", cfg->serial,
			  cfg->baud, cfg->data_bits, cfg->parity, cfg->stop_bits);
		return NULL;
	}
	ctx = modbus_new_rtu(cfg->serial, cfg->baud, cfg->parity, cfg->data_bits, cfg->stop_bits);
	if (!ctx) {
		LOG_ERROR(MOD, "rtu %s: %s", cfg->serial, modbus_strerror(errno));
		return NULL;
	}
	bt = byte_timeout_us(cfg);
	modbus_set_byte_timeout(ctx, (uint32_t)(bt / 1000000), (uint32_t)(bt % 1000000));
	return ctx;
}

static void rtu_describe(const struct wwtp_link_cfg *cfg, char *out, size_t n)
{
	snprintf(out, n, "rtu %s@%d %d%c%d", cfg->serial, cfg->baud, cfg->data_bits, cfg->parity,
		 cfg->stop_bits);
}

/* Warns once per link: a reconnect every few minutes must not repeat it. */
static void warn_once(struct wwtp_link *l, int flag, const char *what, int e)
{
	if (l->warned & flag)
		return;
	l->warned |= flag;
	LOG_WARN(MOD, "%s: %s: %s", l->desc, what, modbus_strerror(e));
}

static int rtu_after_connect(struct wwtp_link *l)
{
	const struct wwtp_rs485 *r = &l->cfg.rs485;

	if (r->enabled && modbus_rtu_set_serial_mode(l->ctx, MODBUS_RTU_RS485) != 0) {
		/* USB adapters and pseudo-terminals have no kernel RS-485 mode
		 * (ENOTTY); the adapters switch direction in hardware, so the
		 * line still works. Anything else is worth a word too, but the
		 * bus may work all the same: let the requests tell. */
		int e = errno;
		if (e == ENOTTY)
			warn_once(
			    l, WWTP_LINK_WARNED_RS485,
			    "no kernel RS-485 mode, assuming the adapter drives direction itself",
			    e);
		else
			warn_once(l, WWTP_LINK_WARNED_RS485, "cannot enable RS-485 mode", e);
	}
	if (r->rts == 1 || r->rts == 2) {
		int mode = r->rts == 1 ? MODBUS_RTU_RTS_UP : MODBUS_RTU_RTS_DOWN;
		if (modbus_rtu_set_rts(l->ctx, mode) != 0)
			warn_once(l, WWTP_LINK_WARNED_RTS, "cannot drive RTS", errno);
		else if (r->rts_delay_us >= 0 &&
			 modbus_rtu_set_rts_delay(l->ctx, r->rts_delay_us) != 0)
			warn_once(l, WWTP_LINK_WARNED_RTS, "cannot set RTS delay", errno);
	}
	return 0;
}

/* Reads and throws away what arrives on the line: for up to wait_ms if
 * nothing comes, and once something came, until the line has been quiet for
 * quiet_ms (a whole late frame goes, not half of it). A device that never
 * stops talking is cut off at twice wait_ms. */
static void drain(struct wwtp_link *l, long wait_ms, long quiet_ms)
{
	int fd = modbus_get_socket(l->ctx);
	int64_t start = wwtp_mono_ms(), last = -1;
	size_t dropped = 0;
	uint8_t junk[256];

	if (fd < 0) {
		wwtp_sleep_ms(wait_ms, NULL);
		return;
	}
	for (;;) {
		int64_t now = wwtp_mono_ms();
		int64_t left = last < 0 ? start + wait_ms - now : last + quiet_ms - now;
		if (left <= 0 || now - start >= 2 * wait_ms + quiet_ms)
			break;
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int rc = poll(&pf, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			continue; /* quiet: the next turn ends it */
		ssize_t n = read(fd, junk, sizeof(junk));
		if (n <= 0)
			break;
		dropped += (size_t)n;
		last = wwtp_mono_ms();
	}
	if (dropped)
		LOG_DEBUG(MOD, "%s: %zu late or stray byte(s) thrown away", l->desc, dropped);
}

/* With recovery NONE libmodbus leaves whatever arrives after a timeout or a
 * bad frame in the input queue, and every later answer would be read shifted
 * by it. After a timeout the answer may still come: the line gets one more
 * response timeout (at most a second, as libmodbus's own PROTOCOL recovery
 * sleeps a response timeout) and whatever arrives is thrown away; after a bad
 * frame only the rest of it. Then the queue is flushed. A vanished adapter
 * (EIO, ENXIO) is closed instead: reopening is what brings it back when it is
 * plugged in again. */
static void rtu_after_error(struct wwtp_link *l, int err)
{
	long gap_ms = (byte_timeout_us(&l->cfg) + 999) / 1000;

	switch (err) {
	case WWTP_ERR_TIMEOUT:
	case WWTP_ERR_PROTO:
		drain(l,
		      err == WWTP_ERR_TIMEOUT ? (l->timeout_ms < 1000 ? l->timeout_ms : 1000)
					      : gap_ms,
		      gap_ms);
		if (modbus_flush(l->ctx) < 0)
			LOG_DEBUG(MOD, "%s: flush: %s", l->desc, modbus_strerror(errno));
		break;
	case WWTP_ERR_CONN:
		LOG_DEBUG(MOD, "%s: closing after: %s", l->desc, l->last_error);
		wwtp_link_close(l);
		break;
	default:
		break;
	}
}

const struct wwtp_link_backend wwtp_link_rtu_backend = {
    .name = "rtu",
    .create = rtu_create,
    .describe = rtu_describe,
    .after_connect = rtu_after_connect,
    .after_error = rtu_after_error,
};
