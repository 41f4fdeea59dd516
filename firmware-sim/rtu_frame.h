/* rtu_frame.h - Modbus RTU request framing for the simulated bus. Pure.
 *
 * libmodbus's RTU server drops requests not addressed to its own slave id
 * (3.1.6 checks the unit before anything else), but one simulated bus
 * carries several devices, so the simulator cuts frames out of the byte
 * stream itself: by the length the function code implies when it is known,
 * by silence otherwise, and keeps only frames whose CRC is right. */
#ifndef WWTP_SIM_RTU_FRAME_H
#define WWTP_SIM_RTU_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* Largest RTU frame (Modbus over serial line, 2.5.1.1). */
#define WWTP_SIM_RTU_MAX 256

/* CRC-16/MODBUS (reflected polynomial 0xA001, initial 0xFFFF) of buf[0..n).
 * On the wire the low byte comes first. */
uint16_t wwtp_sim_crc16(const uint8_t *buf, size_t n);

/* 1 if buf[0..n) ends with the right CRC of what precedes it (n >= 4). */
int wwtp_sim_rtu_crc_ok(const uint8_t *buf, size_t n);

/* Length of the request frame starting at buf, CRC included, judged from
 * the n bytes received so far: > 0 the full length; 0 not known yet (need
 * more bytes); -1 the function code has no fixed layout known here (wait for
 * the line to go silent). Never more than WWTP_SIM_RTU_MAX + 1, which means
 * "too long: garbage". */
int wwtp_sim_rtu_request_len(const uint8_t *buf, size_t n);

#endif
