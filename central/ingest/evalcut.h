/* evalcut.h - a payload without its "eval" members, before jansson reads it.
 *
 * A collector's telemetry carries, per reading, an "eval" object (its own
 * judgement: limits, windows) that central neither checks nor stores; in a
 * typical message it is 60 % of the bytes, and building it as jansson
 * objects only to free them again was most of central's decoding time
 * (bench/README.md, benchmark 4). This scanner copies a document leaving
 * out every object member whose key is "eval", at any depth, without
 * building anything.
 *
 * It decides nothing about the payload: whenever the input is anything but
 * well-formed JSON of the plain shape it expects, it says so and the caller
 * parses the original bytes, so that every refusal and its text stay
 * jansson's. What it cuts it checks as jansson (2.14, JSON_REJECT_DUPLICATES)
 * would: string escapes, UTF-8, number syntax and range, literals, nesting
 * and duplicate keys; it gives up (0) rather than judge a case it does not
 * check (a key written with escapes anywhere, a second "eval" in one object,
 * more than EVALCUT_MAX_DEPTH levels, more than EVALCUT_MAX_KEYS keys in an
 * object inside an "eval", a number that might be out of range). So a
 * document is accepted with its "eval" members cut exactly when it would be
 * accepted whole, and reads the same apart from them. */
#ifndef WWTP_CENTRAL_EVALCUT_H
#define WWTP_CENTRAL_EVALCUT_H

#include <stddef.h>

#include "../../util/buf.h"

#define EVALCUT_MAX_DEPTH 64 /* nesting levels the scanner follows */
#define EVALCUT_MAX_KEYS 32  /* keys of one object inside an "eval" */

/* 1: out (reset first) holds the document without its "eval" members; 0:
 * nothing to cut, or the input is not of the shape described above: parse
 * the original (out is then left reset); WWTP_ERR_NOMEM or WWTP_ERR_FULL
 * from out. */
int wwtp_evalcut(const char *in, size_t len, struct wwtp_buf *out);

#endif
