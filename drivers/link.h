/* link.h - one Modbus connection: a TCP endpoint or a serial line.
 *
 * Several devices (unit ids) may share a link: devices on one RS-485 bus, or
 * behind one TCP gateway. A link is used by one thread only (libmodbus
 * contexts are not thread-safe). Behind the handle sits a const table of
 * function pointers per transport (TCP, RTU), chosen at construction, as
 * libmodbus does for its own backends.
 *
 * Error recovery is the caller's: libmodbus runs with recovery NONE, a
 * failed request returns an error, and the poller decides when to retry or
 * reconnect (wwtp_link_close then wwtp_link_open; never reopen without close,
 * which would leak the descriptor). After a timeout on RTU the line is
 * flushed so that late bytes do not corrupt the next answer; on TCP the link
 * drops the connection itself after a timeout or a bad frame (a late answer
 * would be read as the next one), so check wwtp_link_is_open and reopen
 * before the next request. */
#ifndef WWTP_LINK_H
#define WWTP_LINK_H

#include <stdint.h>

#include "../model/station.h"

struct wwtp_link;

/* Makes a link for the transport settings of dev (host/port or serial line).
 * Does not connect. NULL on bad settings or no memory. */
struct wwtp_link *wwtp_link_new(const struct wwtp_device *dev);
void wwtp_link_free(struct wwtp_link *l); /* closes if open; accepts NULL */

/* A short human description: "tcp 127.0.0.1:502" or "rtu /dev/ttyUSB0@9600 8N1". */
const char *wwtp_link_describe(const struct wwtp_link *l);

int wwtp_link_open(struct wwtp_link *l); /* 0 or WWTP_ERR_CONN / WWTP_ERR_ERRNO */
void wwtp_link_close(struct wwtp_link *l);
int wwtp_link_is_open(const struct wwtp_link *l);

/* Response timeout for the next requests. */
void wwtp_link_set_timeout(struct wwtp_link *l, int timeout_ms);

/* Reads count registers (HOLDING/INPUT) into regs or count bits (COIL/
 * DISCRETE, one byte 0/1 each) into bits. Returns 0 or a negative code:
 * WWTP_ERR_TIMEOUT, WWTP_ERR_PROTO (CRC, wrong unit, bad length),
 * WWTP_ERR_EXCEPTION (then wwtp_link_last_exception gives the code),
 * WWTP_ERR_CONN (connection lost: the caller closes and reopens later). */
int wwtp_link_read_regs(struct wwtp_link *l, int unit_id, enum wwtp_table table, uint16_t address,
			uint16_t count, uint16_t *regs);
int wwtp_link_read_bits(struct wwtp_link *l, int unit_id, enum wwtp_table table, uint16_t address,
			uint16_t count, uint8_t *bits);

/* Modbus exception code of the last WWTP_ERR_EXCEPTION (1..11), else 0. */
int wwtp_link_last_exception(const struct wwtp_link *l);
/* Text of the last error, with libmodbus's own words where it gave some. */
const char *wwtp_link_last_error(const struct wwtp_link *l);

#endif
