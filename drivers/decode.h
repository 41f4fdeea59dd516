/* decode.h - register decoding and encoding. Pure functions, no I/O: what
 * the unit tests and fuzzers exercise.
 *
 * Engineering value = raw * point->scale + point->offset, where raw is the
 * integer or float read with the point's type and byte/word order (see
 * enum wwtp_order in station/station.h), or the selected bit (0 or 1).
 * 64-bit integers beyond 2^53 lose precision when held as double. */
#ifndef WWTP_DECODE_H
#define WWTP_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "../model/station.h"

/* Decodes point p from regs[0..nregs), where regs[0] is the register at
 * p->address. Returns 0 with *value set; WWTP_ERR_INVAL if nregs is smaller
 * than the type needs or the point is not a register point; WWTP_ERR_NAN when
 * a float is NaN or infinite (an instrument's "no value"), *value untouched;
 * WWTP_ERR_RANGE when scale and offset push the value past a double's range. */
int wwtp_decode_regs(const struct wwtp_point *p, const uint16_t *regs, size_t nregs, double *value);

/* Decodes a coil or discrete input from one bit (0 or non-zero). */
int wwtp_decode_bit(const struct wwtp_point *p, uint8_t bit, double *value);

/* The inverse of wwtp_decode_regs, for the simulator and the tests: writes
 * value into regs[0..wwtp_type_regs(p->type)). raw = (value - offset) / scale,
 * rounded to nearest for integer types. For a bit point only that bit of
 * regs[0] changes. Returns 0, WWTP_ERR_RANGE if raw does not fit the type,
 * WWTP_ERR_INVAL for bad arguments (nregs too small, scale 0). */
int wwtp_encode_regs(const struct wwtp_point *p, double value, uint16_t *regs, size_t nregs);

/* Instrument status from a status register value (see enum
 * wwtp_status_mode). Returns one of the WWTP_READING_* codes of
 * model/reading.h: OK, CALIBRATING or FAULT. Fault wins over calibrating. */
int wwtp_decode_status(const struct wwtp_status_src *s, uint16_t reg);

#endif
