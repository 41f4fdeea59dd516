/* link-private.h - what the transports of drivers/link.c share: the link
 * struct and the per-transport table. Only drivers/link*.c include it.
 *
 * A backend knows how to make a libmodbus context for its transport, what to
 * do once the connection is up (RS-485 settings on a serial line) and how to
 * get the line clean again after a failed request (flush a serial line; drop
 * a TCP connection). The generic code in link.c does everything else: errno
 * mapping, unit ids, timeouts, request/answer checks. */
#ifndef WWTP_LINK_PRIVATE_H
#define WWTP_LINK_PRIVATE_H

#include <modbus.h>
#include <stddef.h>
#include <stdint.h>

#include "../model/station.h"
#include "link.h"

#define WWTP_LINK_DESC_MAX 320
#define WWTP_LINK_ERR_MAX 192

/* The transport settings of the device the link was made for, copied so
 * that the link does not depend on the station's lifetime. */
struct wwtp_link_cfg {
	enum wwtp_transport_kind transport;
	char host[WWTP_NAME_MAX];
	int port;
	char serial[WWTP_PATH_MAX];
	int baud;
	char parity;
	int data_bits;
	int stop_bits;
	struct wwtp_rs485 rs485;
};

struct wwtp_link_backend {
	const char *name; /* "tcp", "rtu" */
	/* Validates the settings and makes a context (not connected); NULL with
	 * the reason logged. */
	modbus_t *(*create)(const struct wwtp_link_cfg *cfg);
	/* Writes the human description of the endpoint. */
	void (*describe)(const struct wwtp_link_cfg *cfg, char *out, size_t n);
	/* Called after modbus_connect succeeded; 0 or a negative code (the
	 * link is then closed again). May be NULL. */
	int (*after_connect)(struct wwtp_link *l);
	/* Called after a request failed with err (a WWTP_ERR_* code), to bring
	 * the line back to a known state. May close the link. May be NULL. */
	void (*after_error)(struct wwtp_link *l, int err);
	/* Reads count items of Modbus function `function` (1..4) at address
	 * from the link's current unit id, into regs (functions 3, 4) or bits
	 * (1, 2, one byte 0/1 each), checking the answer itself. Returns count,
	 * or -1 with errno set as libmodbus would (EMBBADSLAVE for an answer
	 * from another unit id), and may then explain in l->detail. NULL: the
	 * libmodbus read functions, which check everything this transport
	 * needs. */
	int (*read)(struct wwtp_link *l, int function, uint16_t address, uint16_t count,
		    uint16_t *regs, uint8_t *bits);
};

struct wwtp_link {
	const struct wwtp_link_backend *backend;
	struct wwtp_link_cfg cfg;
	modbus_t *ctx;
	int open;
	int timeout_ms;
	int last_exception;
	unsigned tid; /* TCP: transaction id of the last request */
	int warned;   /* backend's "said it once" flags, so reconnects stay quiet */
	char desc[WWTP_LINK_DESC_MAX];
	char last_error[WWTP_LINK_ERR_MAX];
	/* A backend's own words for the failure of its last read, used for
	 * last_error instead of libmodbus's; "" if none. */
	char detail[WWTP_LINK_ERR_MAX];
};

/* Bits of wwtp_link.warned. */
#define WWTP_LINK_WARNED_RS485 0x1
#define WWTP_LINK_WARNED_RTS 0x2

extern const struct wwtp_link_backend wwtp_link_tcp_backend;
extern const struct wwtp_link_backend wwtp_link_rtu_backend;

/* Records the text of the last error (printf-style). */
void wwtp_link_set_error(struct wwtp_link *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
