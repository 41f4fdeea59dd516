/* fault-private.h - what fault.c keeps to itself and its unit test calls
 * (util/unittest.h). */
#ifndef WWTP_SIM_FAULT_PRIVATE_H
#define WWTP_SIM_FAULT_PRIVATE_H

#include <stdint.h>

#include "../util/unittest.h"

#ifdef WWTP_UNITTEST
/* Writes an RTU frame's CRC into its last two bytes. */
void put_crc(uint8_t *frame, int len);
#endif

#endif
