/* link.c - the transport-independent half of a Modbus link: errno mapping,
 * unit ids, timeouts and answer checks. The transports live in link_tcp.c and
 * link_rtu.c behind struct wwtp_link_backend (link-private.h). */
#include "link.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/err.h"
#include "../util/log.h"
#include "link-private.h"

#define MOD "link"

/* Indexed by enum wwtp_transport_kind. */
static const struct wwtp_link_backend *const backends[] = {
    [WWTP_TRANSPORT_TCP] = &wwtp_link_tcp_backend,
    [WWTP_TRANSPORT_RTU] = &wwtp_link_rtu_backend,
};

void wwtp_link_set_error(struct wwtp_link *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->last_error, sizeof(l->last_error), fmt, ap);
	va_end(ap);
}

/* Names from the Modbus application protocol specification, section 7. */
static const char *exception_name(int code)
{
	switch (code) {
	case 1:
		return "illegal function";
	case 2:
		return "illegal data address";
	case 3:
		return "illegal data value";
	case 4:
		return "server device failure";
	case 5:
		return "acknowledge";
	case 6:
		return "server device busy";
	case 7:
		return "negative acknowledge";
	case 8:
		return "memory parity error";
	case 10:
		return "gateway path unavailable";
	case 11:
		return "gateway target failed to respond";
	}
	return "unknown exception";
}

/* libmodbus reports everything through errno, its own conditions included
 * (MODBUS_ENOBASE + n). This is the one place that turns them into ours. */
static int map_errno(int e, int *exception)
{
	*exception = 0;
	if (e == ETIMEDOUT)
		return WWTP_ERR_TIMEOUT;
	if (e >= EMBXILFUN && e <= EMBXGTAR) {
		*exception = e - MODBUS_ENOBASE;
		return WWTP_ERR_EXCEPTION;
	}
	switch (e) {
	case EMBBADCRC:
	case EMBBADDATA:
	case EMBBADSLAVE:
	case EMBBADEXC:
	case EMBUNKEXC:
	case EMBMDATA:
		return WWTP_ERR_PROTO;
	case ECONNRESET:
	case EPIPE:
	case EBADF:
	case ECONNREFUSED:
	case ENOTCONN:
	case EIO:
	/* Also connection-level: the peer or the route went away, or a USB
	 * serial adapter was unplugged (ENXIO/ENODEV). */
	case ECONNABORTED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENXIO:
	case ENODEV:
		return WWTP_ERR_CONN;
	}
	return WWTP_ERR_ERRNO;
}

struct wwtp_link *wwtp_link_new(const struct wwtp_device *dev)
{
	struct wwtp_link *l;

	if (!dev)
		return NULL;
	if ((unsigned)dev->transport >= sizeof(backends) / sizeof(backends[0]) ||
	    !backends[dev->transport]) {
		LOG_ERROR(MOD, "device %s: unknown transport %d", dev->name, (int)dev->transport);
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		LOG_ERROR(MOD, "device %s: out of memory", dev->name);
		return NULL;
	}
	l->backend = backends[dev->transport];
	l->cfg.transport = dev->transport;
	snprintf(l->cfg.host, sizeof(l->cfg.host), "%s", dev->host);
	l->cfg.port = dev->port;
	snprintf(l->cfg.serial, sizeof(l->cfg.serial), "%s", dev->serial);
	l->cfg.baud = dev->baud;
	l->cfg.parity = dev->parity;
	l->cfg.data_bits = dev->data_bits;
	l->cfg.stop_bits = dev->stop_bits;
	l->cfg.rs485 = dev->rs485;
	l->backend->describe(&l->cfg, l->desc, sizeof(l->desc));

	l->ctx = l->backend->create(&l->cfg);
	if (!l->ctx) {
		free(l);
		return NULL;
	}
	/* LINK recovery reconnects inside libmodbus and can loop forever on a
	 * dead peer; PROTOCOL recovery sleeps and flushes behind our back. The
	 * poller owns retries and reconnects. */
	if (modbus_set_error_recovery(l->ctx, MODBUS_ERROR_RECOVERY_NONE) != 0) {
		LOG_ERROR(MOD, "%s: cannot set error recovery: %s", l->desc,
			  modbus_strerror(errno));
		modbus_free(l->ctx);
		free(l);
		return NULL;
	}
	wwtp_link_set_timeout(l, dev->timeout_ms);
	return l;
}

void wwtp_link_free(struct wwtp_link *l)
{
	if (!l)
		return;
	wwtp_link_close(l);
	modbus_free(l->ctx);
	free(l);
}

const char *wwtp_link_describe(const struct wwtp_link *l)
{
	return l ? l->desc : "(no link)";
}

int wwtp_link_open(struct wwtp_link *l)
{
	int e, exc, err;

	/* A second modbus_connect on an open context would leak its fd. */
	if (l->open)
		wwtp_link_close(l);
	if (modbus_connect(l->ctx) != 0) {
		e = errno;
		/* libmodbus closes its descriptor on most failed connects but not
		 * on every path of every version; closing again is harmless. */
		modbus_close(l->ctx);
		/* libmodbus 3.1.6 returns from a connect that timed out with
		 * errno still EINPROGRESS from the non-blocking connect(). */
		if (e == EINPROGRESS || e == ETIMEDOUT) {
			wwtp_link_set_error(l, "cannot connect: timed out after %d ms",
					    l->timeout_ms);
			return WWTP_ERR_CONN;
		}
		wwtp_link_set_error(l, "cannot connect: %s", modbus_strerror(e));
		err = map_errno(e, &exc);
		if (err == WWTP_ERR_ERRNO) {
			errno = e;
			return WWTP_ERR_ERRNO;
		}
		return WWTP_ERR_CONN;
	}
	l->open = 1;
	if (l->backend->after_connect) {
		err = l->backend->after_connect(l);
		if (err != 0) {
			wwtp_link_close(l);
			return err;
		}
	}
	return 0;
}

void wwtp_link_close(struct wwtp_link *l)
{
	if (!l || !l->open)
		return;
	modbus_close(l->ctx);
	l->open = 0;
}

int wwtp_link_is_open(const struct wwtp_link *l)
{
	return l && l->open;
}

void wwtp_link_set_timeout(struct wwtp_link *l, int timeout_ms)
{
	/* libmodbus refuses a zero timeout; a device without one gets 1 s. */
	if (timeout_ms <= 0)
		timeout_ms = 1000;
	l->timeout_ms = timeout_ms;
	modbus_set_response_timeout(l->ctx, (uint32_t)(timeout_ms / 1000),
				    (uint32_t)(timeout_ms % 1000) * 1000);
}

/* Checks shared by every read; sets the unit id, since several devices
 * (unit ids) share one context. */
static int begin_request(struct wwtp_link *l, int unit_id, uint16_t address, uint16_t count,
			 int max_count)
{
	l->last_exception = 0;
	if (!l->open) {
		wwtp_link_set_error(l, "not connected");
		return WWTP_ERR_CONN;
	}
	if (count == 0 || count > max_count || (uint32_t)address + count > 65536) {
		wwtp_link_set_error(l, "bad request: %u items at %u", (unsigned)count,
				    (unsigned)address);
		return WWTP_ERR_INVAL;
	}
	if (modbus_set_slave(l->ctx, unit_id) != 0) {
		wwtp_link_set_error(l, "bad unit id %d", unit_id);
		return WWTP_ERR_INVAL;
	}
	return 0;
}

static int request_failed(struct wwtp_link *l, int e)
{
	int exc;
	int err = map_errno(e, &exc);

	switch (err) {
	case WWTP_ERR_TIMEOUT:
		wwtp_link_set_error(l, "timed out after %d ms", l->timeout_ms);
		break;
	case WWTP_ERR_EXCEPTION:
		l->last_exception = exc;
		wwtp_link_set_error(l, "exception %d (%s)", exc, exception_name(exc));
		break;
	default:
		if (l->detail[0])
			wwtp_link_set_error(l, "%s", l->detail);
		else
			wwtp_link_set_error(l, "%s", modbus_strerror(e));
		break;
	}
	l->detail[0] = '\0';
	if (l->backend->after_error)
		l->backend->after_error(l, err);
	if (err == WWTP_ERR_ERRNO)
		errno = e;
	return err;
}

/* libmodbus already compares the answer's length with the request; this
 * guards against a version or a device path that does not. */
static int short_answer(struct wwtp_link *l, int got, unsigned want, const char *what)
{
	wwtp_link_set_error(l, "short answer: %d of %u %s", got, want, what);
	if (l->backend->after_error)
		l->backend->after_error(l, WWTP_ERR_PROTO);
	return WWTP_ERR_PROTO;
}

int wwtp_link_read_regs(struct wwtp_link *l, int unit_id, enum wwtp_table table, uint16_t address,
			uint16_t count, uint16_t *regs)
{
	int n, rc = begin_request(l, unit_id, address, count, MODBUS_MAX_READ_REGISTERS);

	if (rc != 0)
		return rc;
	l->detail[0] = '\0';
	if (l->backend->read && (table == WWTP_TABLE_HOLDING || table == WWTP_TABLE_INPUT)) {
		n = l->backend->read(l, table == WWTP_TABLE_HOLDING ? 3 : 4, address, count, regs,
				     NULL);
	} else if (table == WWTP_TABLE_HOLDING) {
		n = modbus_read_registers(l->ctx, address, count, regs);
	} else if (table == WWTP_TABLE_INPUT) {
		n = modbus_read_input_registers(l->ctx, address, count, regs);
	} else {
		wwtp_link_set_error(l, "table %s has no registers", wwtp_table_name(table));
		return WWTP_ERR_INVAL;
	}
	if (n < 0)
		return request_failed(l, errno);
	if (n != count)
		return short_answer(l, n, count, "registers");
	return 0;
}

int wwtp_link_read_bits(struct wwtp_link *l, int unit_id, enum wwtp_table table, uint16_t address,
			uint16_t count, uint8_t *bits)
{
	int n, rc = begin_request(l, unit_id, address, count, MODBUS_MAX_READ_BITS);

	if (rc != 0)
		return rc;
	l->detail[0] = '\0';
	if (l->backend->read && (table == WWTP_TABLE_COIL || table == WWTP_TABLE_DISCRETE)) {
		n = l->backend->read(l, table == WWTP_TABLE_COIL ? 1 : 2, address, count, NULL,
				     bits);
	} else if (table == WWTP_TABLE_COIL) {
		n = modbus_read_bits(l->ctx, address, count, bits);
	} else if (table == WWTP_TABLE_DISCRETE) {
		n = modbus_read_input_bits(l->ctx, address, count, bits);
	} else {
		wwtp_link_set_error(l, "table %s has no bits", wwtp_table_name(table));
		return WWTP_ERR_INVAL;
	}
	if (n < 0)
		return request_failed(l, errno);
	if (n != count)
		return short_answer(l, n, count, "bits");
	return 0;
}

int wwtp_link_last_exception(const struct wwtp_link *l)
{
	return l ? l->last_exception : 0;
}

const char *wwtp_link_last_error(const struct wwtp_link *l)
{
	return l ? l->last_error : "";
}
