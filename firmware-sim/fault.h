/* fault.h - fault injection: the fault each simulated device is told to
 * play, and what it does to one request's answer.
 *
 * A faultbox holds one device's current fault behind its own mutex: the
 * control thread (or the command line, before start) sets it, the
 * endpoint thread serving the device reads it once per request. The
 * frame surgery (exception answers, corrupt CRC, wrong unit id) is pure and
 * works on a struct wwtp_sim_exchange, for TCP and RTU framing alike. */
#ifndef WWTP_SIM_FAULT_H
#define WWTP_SIM_FAULT_H

#include <stdint.h>

#include "control_parse.h"
#include "serve.h"

struct wwtp_sim_faultbox;

/* seed makes `drop P` repeatable: the draws restart from it every time a
 * drop fault is set. NULL on no memory. */
struct wwtp_sim_faultbox *wwtp_sim_faultbox_new(uint64_t seed);
void wwtp_sim_faultbox_free(struct wwtp_sim_faultbox *b); /* accepts NULL */

/* Replaces the device's fault; a SILENT fault lasts f->ms from now_ms. */
void wwtp_sim_faultbox_set(struct wwtp_sim_faultbox *b, const struct wwtp_sim_fault *f,
			   int64_t now_ms);

/* The device's fault as set (NONE once a silence is over); *left_ms gets
 * what remains of a silence (0 otherwise). left_ms may be NULL. */
void wwtp_sim_faultbox_get(struct wwtp_sim_faultbox *b, struct wwtp_sim_fault *out, int64_t now_ms,
			   int64_t *left_ms);

/* The fault that applies to request x (x->hdr, x->req, x->req_len set):
 * the device's fault, or NONE when this request escapes it (the drop draw
 * spared it, the silence is over, the request does not cover the bad
 * address). One draw per request under DROP. b may be NULL (NONE). */
void wwtp_sim_faultbox_take(struct wwtp_sim_faultbox *b, const struct wwtp_sim_exchange *x,
			    int64_t now_ms, struct wwtp_sim_fault *out);

/* Pure helpers. */

/* Whether the device does not carry out the request under f (it answers
 * an exception instead, or is silent): then no write may reach the register
 * image, and no libmodbus answer is built. Under DROP it is carried out and
 * only the answer is lost. */
int wwtp_sim_fault_preempts(const struct wwtp_sim_fault *f);

/* Whether request req (req_len bytes, function code at req[hdr]) reads or
 * writes register or bit `address` of any table: functions 1-6, 15, 16,
 * 22, 23 (either range of 23). Other functions name no address. */
int wwtp_sim_request_covers(const uint8_t *req, int req_len, int hdr, int address);

/* Writes into x->rsp the exception answer `code` to x's request, framed
 * as the request was (TCP: MBAP with its transaction id; RTU: with CRC). */
void wwtp_sim_fault_exception(struct wwtp_sim_exchange *x, int code);

/* Applies f (as returned by take) to x, whose x->rsp holds the normal
 * answer unless f preempts: may rewrite x->rsp, set x->delay_ms, and says
 * what to do with the answer. */
enum wwtp_sim_action wwtp_sim_fault_apply(const struct wwtp_sim_fault *f,
					  struct wwtp_sim_exchange *x);

/* The unit id a WRONG_UNIT answer carries instead of unit: the next one,
 * 255 wrapping to 1 (never 0, which a client could take for a broadcast). */
int wwtp_sim_fault_other_unit(int unit);

#endif
