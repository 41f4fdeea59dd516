/* report_write-private.h - what report_write.c keeps to itself and its
 * unit test calls (util/unittest.h). */
#ifndef WWTP_CENTRAL_REPORT_WRITE_PRIVATE_H
#define WWTP_CENTRAL_REPORT_WRITE_PRIVATE_H

#include <stddef.h>

#include "../../util/unittest.h"

#ifdef WWTP_UNITTEST
/* v with prec decimals in lang's way ("61,5" / "61.5"), "—" when not finite. */
const char *num(char *buf, size_t n, int lang, double v, int prec);
#endif

#endif
