/* cfgwalk-private.h - private to compliance/: the descriptor-table walk
 * over libconfig groups of the regulation loader (limits.c) and of the
 * parsers of a station's `limits` and `evaluation` groups.
 *
 * A group is described by a `const struct wwtp_opt[]` (key, kind, flags,
 * bounds, field offset, default). wwtp_cw_walk() refuses keys that are not in
 * the table (unless the caller's `extra` callback claims them), type- and
 * range-checks the keys that are there, stores them at the entry's offset and
 * applies defaults to the others. Nested groups and lists are stored as a
 * `const config_setting_t *` for the caller to walk.
 *
 * The walk is util/confschema.h's, which the station loader uses too; a
 * table entry is its struct wwtp_opt. What is compliance/'s own is the
 * wording of the messages and their order: each member in the file's order,
 * then the missing keys. */
#ifndef WWTP_COMPLIANCE_CFGWALK_PRIVATE_H
#define WWTP_COMPLIANCE_CFGWALK_PRIVATE_H

#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/confschema.h"
#include "../util/diag.h"

struct wwtp_cw {
	struct wwtp_diag *diag; /* may be NULL: problems are only counted */
	const char *file;	/* for settings that carry no file (read from a string) */
	int errors;		/* problems reported through this walker */
};

/* Table entries are util/confschema.h's struct wwtp_opt, written with its
 * OPT_* macros, like every loader's. */

/* Reports "FILE:LINE: message" for setting s (c->file and no line when s is
 * NULL) and counts it. */
void wwtp_cw_problem(struct wwtp_cw *c, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Claims a member that is not in the table: returns 1 when the caller
 * handles it (then the walker leaves it alone), 0 to refuse it as unknown. */
typedef int (*wwtp_cw_extra_fn)(void *ctx, const config_setting_t *member);

/* Walks group grp (NULL: defaults only). `what` names the group in
 * messages ("parameter 'cod'"; "" for the top level). Returns a mask of the
 * entries present (bit i = tab[i]); tables have at most 64 entries. */
uint64_t wwtp_cw_walk(struct wwtp_cw *c, const config_setting_t *grp, const struct wwtp_opt *tab,
		      size_t n, void *obj, const char *what, wwtp_cw_extra_fn extra, void *ctx);

/* Bit of `key` in a mask returned by wwtp_cw_walk() (0 if not in tab). */
uint64_t wwtp_cw_bit(const struct wwtp_opt *tab, size_t n, const char *key);

/* Reads a file into cfg (config_init already done), reporting a parse or
 * I/O error as FILE:LINE. Returns 0 or -1. */
int wwtp_cw_read_file(struct wwtp_cw *c, config_t *cfg, const char *path);

/* Checks a confidence string: "H", "M" or "L". Returns the letter or 0. */
char wwtp_cw_confidence(const char *s);

/* Bounded copy; returns 0, or -1 (and an empty dst) when src does not fit. */
int wwtp_cw_copy(char *dst, size_t n, const char *src);

#endif
