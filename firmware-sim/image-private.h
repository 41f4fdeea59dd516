/* image-private.h - what image.c keeps to itself and its unit test calls
 * (util/unittest.h). */
#ifndef WWTP_SIM_IMAGE_PRIVATE_H
#define WWTP_SIM_IMAGE_PRIVATE_H

#include "../model/station.h"
#include "../util/unittest.h"

#ifdef WWTP_UNITTEST
int is_bit_table(enum wwtp_table t); /* coils and discrete inputs */
#endif

#endif
