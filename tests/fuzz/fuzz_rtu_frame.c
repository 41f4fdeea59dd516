/* fuzz_rtu_frame.c - the simulator's side of Modbus requests from outside:
 * RTU framing (firmware-sim/rtu_frame.c) over a byte stream that arrives in
 * pieces with pauses, exactly as serve_rtu.c's scan loop cuts it (that loop
 * is static, so its steps are repeated here around the same functions), and
 * each frame it accepts through the fault surgery of firmware-sim/fault.c
 * (which requests cover an address, exception answers, CRC damage, wrong
 * unit ids), framed as RTU and, with an MBAP header instead of the CRC,
 * as TCP.
 *
 * Input: records of one control byte (bits 0-5: how many bytes arrive;
 * bit 6: the line goes silent after them; bit 7: the next byte picks the
 * fault for the frames of this record) and the bytes.
 *
 * Promises checked: a frame length is known or not, never past the limit,
 * and once known it does not change as more bytes arrive; frames handed on
 * have a right CRC; fault answers are framed right (RTU: a right CRC except
 * under a CRC fault; TCP: MBAP length matching) and never longer than a
 * Modbus frame. */
#include <stdlib.h>
#include <string.h>

#include "../../firmware-sim/control_parse.h"
#include "../../firmware-sim/fault.h"
#include "../../firmware-sim/rtu_frame.h"
#include "../../firmware-sim/serve.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RTU_BUF (2 * WWTP_SIM_RTU_MAX) /* serve_rtu.c's receive buffer */

static struct wwtp_sim_fault fault; /* for the frames of the current record */

static struct wwtp_sim_fault fault_of(uint8_t b)
{
	struct wwtp_sim_fault f;
	memset(&f, 0, sizeof(f));
	f.kind = (enum wwtp_sim_fault_kind)(b % 9);
	switch (f.kind) {
	case WWTP_SIM_FAULT_DELAY:
	case WWTP_SIM_FAULT_SILENT:
		f.ms = 1 + b;
		break;
	case WWTP_SIM_FAULT_DROP:
		f.p = 1.0;
		break;
	case WWTP_SIM_FAULT_EXCEPTION:
		f.code = 1 + (b >> 4);
		break;
	case WWTP_SIM_FAULT_BAD_ADDRESS:
		f.address = b * 3;
		break;
	default:
		break;
	}
	return f;
}

/* What serve.c fills in before the fault applies, with a stand-in answer:
 * the request itself, as libmodbus echoes a write. */
static void exchange(struct wwtp_sim_exchange *x, const uint8_t *req, int len, int hdr)
{
	memset(x, 0, sizeof(*x));
	x->hdr = hdr;
	x->req = req;
	x->req_len = len;
	x->unit = req[hdr - 1];
	x->function = len > hdr ? req[hdr] : -1;
	x->address = len > hdr + 2 ? (req[hdr + 1] << 8) | req[hdr + 2] : -1;
	x->fault = fault;
	if (len <= WWTP_SIM_RTU_MAX) {
		memcpy(x->rsp, req, (size_t)len);
		x->rsp_len = len;
	} else {
		/* Only RTU, unknown function: libmodbus's "illegal function". */
		uint16_t crc;
		x->rsp[0] = req[0];
		x->rsp[1] = (uint8_t)(req[1] | 0x80);
		x->rsp[2] = 1;
		crc = wwtp_sim_crc16(x->rsp, 3);
		x->rsp[3] = (uint8_t)(crc & 0xFF);
		x->rsp[4] = (uint8_t)(crc >> 8);
		x->rsp_len = 5;
	}
}

static void check_answer(const struct wwtp_sim_exchange *x, enum wwtp_sim_action act)
{
	int rtu = x->hdr == 1;
	FUZZ_ASSERT(act == WWTP_SIM_SEND || act == WWTP_SIM_DROP || act == WWTP_SIM_CLOSE);
	FUZZ_ASSERT(x->rsp_len >= 0 && x->rsp_len <= WWTP_SIM_MAX_ADU);
	if (act != WWTP_SIM_SEND || x->rsp_len == 0)
		return;
	if (rtu)
		FUZZ_ASSERT(wwtp_sim_rtu_crc_ok(x->rsp, (size_t)x->rsp_len) ==
			    (x->fault.kind != WWTP_SIM_FAULT_CRC));
	if (x->fault.kind == WWTP_SIM_FAULT_EXCEPTION ||
	    x->fault.kind == WWTP_SIM_FAULT_BAD_ADDRESS) {
		FUZZ_ASSERT(x->rsp_len == x->hdr + 2 + (rtu ? 2 : 0));
		FUZZ_ASSERT(x->rsp[x->hdr] & 0x80);
		FUZZ_ASSERT(memcmp(x->rsp, x->req, (size_t)x->hdr - (rtu ? 0 : 3)) == 0);
		if (!rtu)
			FUZZ_ASSERT(x->rsp[4] == 0 && x->rsp[5] == 3 && x->rsp[6] == x->req[6]);
	}
	if (x->fault.kind == WWTP_SIM_FAULT_WRONG_UNIT && x->rsp_len > x->hdr)
		FUZZ_ASSERT(x->rsp[x->hdr - 1] != x->unit && x->rsp[x->hdr - 1] != 0);
}

static void serve(const uint8_t *req, int len, int hdr)
{
	struct wwtp_sim_exchange x;
	exchange(&x, req, len, hdr);
	/* The address the frame names, its neighbours, and both ends. */
	int addrs[] = {x.address, x.address + 1, x.address - 1, 0, 65535};
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		(void)wwtp_sim_request_covers(req, len, hdr, addrs[i]);
	(void)wwtp_sim_fault_preempts(&x.fault);
	check_answer(&x, wwtp_sim_fault_apply(&x.fault, &x));
}

/* A frame the scanner handed on. It sits in a 512-byte buffer there; here
 * it gets an exact-size copy, so that ASan sees any read past its end. */
static void rtu_frame(const uint8_t *buf, size_t n)
{
	/* Up to the whole buffer: after a silence, bytes of an unknown
	 * function go to libmodbus as one frame, which answers "illegal
	 * function" whatever their length. */
	FUZZ_ASSERT(n >= 4 && n <= RTU_BUF);
	FUZZ_ASSERT(wwtp_sim_rtu_crc_ok(buf, n));
	uint8_t *f = malloc(n);
	FUZZ_ASSERT(f != NULL);
	memcpy(f, buf, n);
	if (f[0] != 0) /* broadcasts are ignored before any of this */
		serve(f, (int)n, 1);
	free(f);
	if (n > WWTP_SIM_RTU_MAX)
		return;

	/* The same PDU behind an MBAP header, as a TCP request. */
	size_t pdu = n - 3; /* without unit id and CRC */
	uint8_t *t = malloc(7 + pdu);
	FUZZ_ASSERT(t != NULL);
	t[0] = buf[n - 2]; /* a transaction id */
	t[1] = buf[n - 1];
	t[2] = t[3] = 0;
	t[4] = (uint8_t)((pdu + 1) >> 8);
	t[5] = (uint8_t)(pdu + 1);
	t[6] = buf[0];
	memcpy(t + 7, buf + 1, pdu);
	serve(t, (int)(7 + pdu), 7);
	free(t);
}

/* serve_rtu.c's rtu_scan, step for step. */
static void scan(uint8_t *buf, size_t *len, int silent)
{
	while (*len > 0) {
		int need = wwtp_sim_rtu_request_len(buf, *len);
		FUZZ_ASSERT(need == -1 || need == 0 || (need >= 4 && need <= WWTP_SIM_RTU_MAX + 1));
		/* Once known, the length does not change with more bytes. */
		if (need > 0)
			for (size_t m = *len + 1; m <= RTU_BUF; m += 97)
				FUZZ_ASSERT(wwtp_sim_rtu_request_len(buf, m) == need);
		if (need > WWTP_SIM_RTU_MAX) {
			*len = 0;
		} else if (need > 0 && *len >= (size_t)need) {
			if (wwtp_sim_rtu_crc_ok(buf, (size_t)need)) {
				rtu_frame(buf, (size_t)need);
				memmove(buf, buf + need, *len - (size_t)need);
				*len -= (size_t)need;
				continue;
			}
			*len = 0;
		} else if (need < 0 && silent) {
			if (*len >= 4 && wwtp_sim_rtu_crc_ok(buf, *len))
				rtu_frame(buf, *len);
			*len = 0;
		} else if (silent) {
			*len = 0;
		}
		return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Zeroed: request_len may look at bytes past `len` in the checks
	 * above, as it would at stale bytes in the simulator's buffer. */
	uint8_t buf[RTU_BUF] = {0};
	size_t len = 0, i = 0;

	memset(&fault, 0, sizeof(fault));
	while (i < size) {
		uint8_t ctl = data[i++];
		if ((ctl & 0x80) && i < size)
			fault = fault_of(data[i++]);
		size_t n = ctl & 0x3F;
		if (n > size - i)
			n = size - i;
		if (n > RTU_BUF - len)
			n = RTU_BUF - len;
		memcpy(buf + len, data + i, n);
		i += n;
		len += n;
		scan(buf, &len, (ctl & 0x40) != 0);
		if (len == RTU_BUF)
			len = 0; /* a buffer full of garbage is dropped */
	}
	scan(buf, &len, 1);
	return 0;
}
