/* diag.h - a list of diagnostics, each "FILE:LINE: message", collected while
 * checking input so that a user sees every problem of a file at once rather
 * than one per run. */
#ifndef WWTP_DIAG_H
#define WWTP_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct wwtp_diag;

struct wwtp_diag *wwtp_diag_new(void);
void wwtp_diag_free(struct wwtp_diag *d); /* accepts NULL */

/* Adds "file:line: message" (or "file: message" when line <= 0). Stops
 * recording (but keeps counting) after 200 entries. */
void wwtp_diag_add(struct wwtp_diag *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
size_t wwtp_diag_count(const struct wwtp_diag *d);
const char *wwtp_diag_get(const struct wwtp_diag *d, size_t i); /* NULL past the end */
/* Writes every entry, one per line. */
void wwtp_diag_print(const struct wwtp_diag *d, FILE *f);

#endif
