#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ptys, accept4, pipe2, M_PI: also when built without the Makefile's flags */
#endif
#include "rtu_frame.h"

uint16_t wwtp_sim_crc16(const uint8_t *buf, size_t n)
{
	uint16_t crc = 0xFFFF;
	for (size_t i = 0; i < n; i++) {
		crc ^= buf[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001) : (uint16_t)(crc >> 1);
	}
	return crc;
}

int wwtp_sim_rtu_crc_ok(const uint8_t *buf, size_t n)
{
	if (n < 4)
		return 0;
	uint16_t crc = wwtp_sim_crc16(buf, n - 2);
	return buf[n - 2] == (crc & 0xFF) && buf[n - 1] == (crc >> 8);
}

/* Total length given a byte count at buf[at] and `fixed` bytes around it. */
static int with_count(const uint8_t *buf, size_t n, size_t at, int fixed)
{
	if (n <= at)
		return 0;
	int len = fixed + buf[at];
	return len > WWTP_SIM_RTU_MAX ? WWTP_SIM_RTU_MAX + 1 : len;
}

int wwtp_sim_rtu_request_len(const uint8_t *buf, size_t n)
{
	if (n < 2)
		return 0;
	switch (buf[1]) {
	case 0x01: /* read coils */
	case 0x02: /* read discrete inputs */
	case 0x03: /* read holding registers */
	case 0x04: /* read input registers */
	case 0x05: /* write single coil */
	case 0x06: /* write single register */
	case 0x08: /* diagnostics (sub-function + one word) */
		return 8;
	case 0x07: /* read exception status */
	case 0x0B: /* comm event counter */
	case 0x0C: /* comm event log */
	case 0x11: /* report server id */
		return 4;
	case 0x0F: /* write multiple coils: unit fc addr(2) qty(2) count data crc(2) */
	case 0x10: /* write multiple registers */
		return with_count(buf, n, 6, 9);
	case 0x16: /* mask write register */
		return 10;
	case 0x17: /* read/write multiple: unit fc raddr rqty waddr wqty count data crc */
		return with_count(buf, n, 10, 13);
	default:
		return -1;
	}
}
