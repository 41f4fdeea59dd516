/* buf.h - a growable byte buffer with a hard cap (after curl's dynbuf).
 * Payload encoders append to it; once the cap would be exceeded every
 * further append fails with WWTP_ERR_FULL and the buffer keeps what it had.
 * The content is always NUL-terminated. */
#ifndef WWTP_BUF_H
#define WWTP_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct wwtp_buf {
	char *data;   /* NUL-terminated; NULL until the first append */
	size_t len;   /* bytes used, without the NUL */
	size_t alloc; /* bytes allocated */
	size_t cap;   /* most bytes len may reach */
};

void wwtp_buf_init(struct wwtp_buf *b, size_t cap);
void wwtp_buf_free(struct wwtp_buf *b);	 /* frees data; b may be reused after init */
void wwtp_buf_reset(struct wwtp_buf *b); /* len = 0, memory kept */
int wwtp_buf_add(struct wwtp_buf *b, const void *p, size_t n);
int wwtp_buf_adds(struct wwtp_buf *b, const char *s);
int wwtp_buf_printf(struct wwtp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included, escaping as RFC 8259 asks. */
int wwtp_buf_add_json_string(struct wwtp_buf *b, const char *s);
/* Appends a finite double in the shortest form that reads back identically
 * (%.17g trimmed); NaN and infinities are refused with WWTP_ERR_NAN. */
int wwtp_buf_add_json_number(struct wwtp_buf *b, double v);

#endif
