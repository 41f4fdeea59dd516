/* fault.c - per-device fault state and what a fault does to an answer. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ptys, accept4, pipe2, M_PI: also when built without the Makefile's flags */
#endif
#include "fault.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rtu_frame.h"
#include "fault-private.h"

struct wwtp_sim_faultbox {
	pthread_mutex_t lock;
	struct wwtp_sim_fault f;
	int64_t until_ms; /* SILENT: when it ends */
	uint64_t seed;	  /* DROP: where the draws restart */
	uint64_t rng;
};

struct wwtp_sim_faultbox *wwtp_sim_faultbox_new(uint64_t seed)
{
	struct wwtp_sim_faultbox *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	pthread_mutex_init(&b->lock, NULL);
	b->seed = b->rng = seed;
	return b;
}

void wwtp_sim_faultbox_free(struct wwtp_sim_faultbox *b)
{
	if (!b)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b);
}

void wwtp_sim_faultbox_set(struct wwtp_sim_faultbox *b, const struct wwtp_sim_fault *f,
			   int64_t now_ms)
{
	pthread_mutex_lock(&b->lock);
	b->f = *f;
	b->until_ms = f->kind == WWTP_SIM_FAULT_SILENT ? now_ms + f->ms : 0;
	/* Same seed, same fault, same requests: same answers dropped. */
	b->rng = b->seed;
	pthread_mutex_unlock(&b->lock);
}

/* A silence that is over turns back into normal behaviour. Under the lock. */
static void expire(struct wwtp_sim_faultbox *b, int64_t now_ms)
{
	if (b->f.kind == WWTP_SIM_FAULT_SILENT && now_ms >= b->until_ms) {
		memset(&b->f, 0, sizeof(b->f));
		b->until_ms = 0;
	}
}

void wwtp_sim_faultbox_get(struct wwtp_sim_faultbox *b, struct wwtp_sim_fault *out, int64_t now_ms,
			   int64_t *left_ms)
{
	pthread_mutex_lock(&b->lock);
	expire(b, now_ms);
	*out = b->f;
	if (left_ms)
		*left_ms = b->f.kind == WWTP_SIM_FAULT_SILENT ? b->until_ms - now_ms : 0;
	pthread_mutex_unlock(&b->lock);
}

/* splitmix64: tiny, good enough for coin flips, and its state is one word
 * that a new drop fault resets. */
static double next_unit(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	return (double)(z >> 11) * (1.0 / 9007199254740992.0); /* [0, 1) */
}

void wwtp_sim_faultbox_take(struct wwtp_sim_faultbox *b, const struct wwtp_sim_exchange *x,
			    int64_t now_ms, struct wwtp_sim_fault *out)
{
	memset(out, 0, sizeof(*out));
	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	expire(b, now_ms);
	*out = b->f;
	if (out->kind == WWTP_SIM_FAULT_DROP && !(next_unit(&b->rng) < out->p))
		out->kind = WWTP_SIM_FAULT_NONE;
	pthread_mutex_unlock(&b->lock);
	if (out->kind == WWTP_SIM_FAULT_BAD_ADDRESS &&
	    !wwtp_sim_request_covers(x->req, x->req_len, x->hdr, out->address))
		out->kind = WWTP_SIM_FAULT_NONE;
}

int wwtp_sim_fault_preempts(const struct wwtp_sim_fault *f)
{
	/* A dropped answer was lost on its way back: the device did the
	 * work. A silent device heard nothing; a refusing one did nothing. */
	return f->kind == WWTP_SIM_FAULT_EXCEPTION || f->kind == WWTP_SIM_FAULT_BAD_ADDRESS ||
	       f->kind == WWTP_SIM_FAULT_SILENT;
}

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static int in_range(unsigned first, unsigned count, int address)
{
	return (unsigned)address >= first && (unsigned)address - first < count;
}

int wwtp_sim_request_covers(const uint8_t *req, int req_len, int hdr, int address)
{
	const uint8_t *pdu = req + hdr;
	int n = req_len - hdr; /* PDU bytes (RTU: plus the CRC, never read) */

	if (n < 3)
		return 0;
	switch (pdu[0]) {
	case 1: /* read coils, discrete inputs, holding, input registers */
	case 2:
	case 3:
	case 4:
	case 15: /* write multiple coils, registers: address, quantity, ... */
	case 16:
		return n >= 5 && in_range(be16(pdu + 1), be16(pdu + 3), address);
	case 5: /* write single coil, register; mask write register */
	case 6:
	case 22:
		return in_range(be16(pdu + 1), 1, address);
	case 23: /* read/write multiple: read range, then write range */
		return (n >= 5 && in_range(be16(pdu + 1), be16(pdu + 3), address)) ||
		       (n >= 9 && in_range(be16(pdu + 5), be16(pdu + 7), address));
	default:
		return 0;
	}
}

WWTP_PRIVATE void put_crc(uint8_t *frame, int len)
{
	uint16_t crc = wwtp_sim_crc16(frame, (size_t)len - 2);
	frame[len - 2] = (uint8_t)(crc & 0xFF); /* low byte first on the wire */
	frame[len - 1] = (uint8_t)(crc >> 8);
}

void wwtp_sim_fault_exception(struct wwtp_sim_exchange *x, int code)
{
	int h = x->hdr;
	int fc = x->function < 0 ? 0 : x->function;

	/* The header is the request's: same transaction id, protocol id and
	 * unit (TCP), or same unit (RTU). */
	memcpy(x->rsp, x->req, (size_t)h);
	x->rsp[h] = (uint8_t)(fc | 0x80);
	x->rsp[h + 1] = (uint8_t)code;
	if (h == 1) {
		x->rsp_len = h + 2 + 2;
		put_crc(x->rsp, x->rsp_len);
	} else {
		x->rsp_len = h + 2;
		x->rsp[4] = 0; /* MBAP length: unit id + PDU */
		x->rsp[5] = 3;
	}
}

int wwtp_sim_fault_other_unit(int unit)
{
	return unit >= 255 ? 1 : unit + 1;
}

enum wwtp_sim_action wwtp_sim_fault_apply(const struct wwtp_sim_fault *f,
					  struct wwtp_sim_exchange *x)
{
	int rtu = x->hdr == 1;

	switch (f->kind) {
	case WWTP_SIM_FAULT_DELAY:
		x->delay_ms = f->ms;
		return WWTP_SIM_SEND;
	case WWTP_SIM_FAULT_DROP:
	case WWTP_SIM_FAULT_SILENT:
		return WWTP_SIM_DROP;
	case WWTP_SIM_FAULT_CLOSE:
		return rtu ? WWTP_SIM_DROP : WWTP_SIM_CLOSE;
	case WWTP_SIM_FAULT_EXCEPTION:
		wwtp_sim_fault_exception(x, f->code);
		return WWTP_SIM_SEND;
	case WWTP_SIM_FAULT_BAD_ADDRESS:
		wwtp_sim_fault_exception(x, 2); /* illegal data address */
		return WWTP_SIM_SEND;
	case WWTP_SIM_FAULT_CRC:
		if (rtu && x->rsp_len >= 4) {
			/* Both CRC bytes inverted: wrong whatever the frame. */
			x->rsp[x->rsp_len - 2] ^= 0xFF;
			x->rsp[x->rsp_len - 1] ^= 0xFF;
		} else if (!rtu && x->rsp_len >= 8) {
			/* TCP has no CRC (TCP's own checksum makes corruption
			 * on the way impossible): damage the MBAP header
			 * instead. Protocol id 0xFFFF is not Modbus; every
			 * client must refuse the frame (libmodbus: "Invalid
			 * data"), while the length stays right so the stream
			 * stays in step for the next request. */
			x->rsp[2] = 0xFF;
			x->rsp[3] = 0xFF;
		}
		return WWTP_SIM_SEND;
	case WWTP_SIM_FAULT_WRONG_UNIT:
		if (x->rsp_len > x->hdr) {
			x->rsp[x->hdr - 1] = (uint8_t)wwtp_sim_fault_other_unit(x->unit);
			if (rtu && x->rsp_len >= 4)
				put_crc(x->rsp, x->rsp_len);
		}
		return WWTP_SIM_SEND;
	default:
		return WWTP_SIM_SEND;
	}
}
