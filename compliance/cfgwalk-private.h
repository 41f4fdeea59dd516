/* cfgwalk-private.h - private to compliance/: the descriptor-table walk
 * over libconfig groups of the regulation loader (limits.c) and of the
 * parsers of a station's `limits` and `evaluation` groups.
 *
 * A group is described by a `const struct wwtp_cw_opt[]` (key, kind, flags,
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

/* The shared table entry and its kinds and flags, by compliance/'s names. */
#define wwtp_cw_opt wwtp_opt
#define WWTP_CW_STR WWTP_OPT_STR     /* char[size] at off; too long is an error, not cut */
#define WWTP_CW_FLOAT WWTP_OPT_FLOAT /* double at off; integers accepted */
#define WWTP_CW_INT WWTP_OPT_INT     /* int at off */
#define WWTP_CW_BOOL WWTP_OPT_BOOL   /* int at off, 0 or 1 */
#define WWTP_CW_GROUP WWTP_OPT_GROUP /* const config_setting_t * at off; { ... } */
#define WWTP_CW_LIST WWTP_OPT_LIST   /* const config_setting_t * at off; ( ... ) */
#define WWTP_CW_SEQ WWTP_OPT_SEQ     /* const config_setting_t * at off; [ ... ] or ( ... ) */

#define WWTP_CW_REQ WWTP_OPT_REQ	   /* must be present */
#define WWTP_CW_NONEMPTY WWTP_OPT_NONEMPTY /* a string must not be "" */

/* One table entry per line (T: the struct the walker fills, f: its field). */
#define CW_FIELD(T, f) .off = offsetof(T, f), .size = sizeof(((T *)0)->f)
#define CW_STR(k, fl, T, f, cs, hint_)                                                             \
	{                                                                                          \
		.key = (k), .kind = WWTP_CW_STR, .flags = (fl), CW_FIELD(T, f), .charset = (cs),   \
		.def_s = "", .hint = (hint_)                                                       \
	}
#define CW_FLT(k, fl, T, f, lo, hi, d)                                                             \
	{                                                                                          \
		.key = (k), .kind = WWTP_CW_FLOAT, .flags = (fl), .min = (lo), .max = (hi),        \
		CW_FIELD(T, f), .def_n = (d)                                                       \
	}
#define CW_INT(k, fl, T, f, lo, hi, d)                                                             \
	{                                                                                          \
		.key = (k), .kind = WWTP_CW_INT, .flags = (fl), .min = (lo), .max = (hi),          \
		CW_FIELD(T, f), .def_n = (d)                                                       \
	}
#define CW_BOOL(k, fl, T, f, d)                                                                    \
	{                                                                                          \
		.key = (k), .kind = WWTP_CW_BOOL, .flags = (fl), CW_FIELD(T, f), .def_n = (d)      \
	}
#define CW_SUB(k, kind_, fl, T, f)                                                                 \
	{                                                                                          \
		.key = (k), .kind = (kind_), .flags = (fl), CW_FIELD(T, f)                         \
	}

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
uint64_t wwtp_cw_walk(struct wwtp_cw *c, const config_setting_t *grp, const struct wwtp_cw_opt *tab,
		      size_t n, void *obj, const char *what, wwtp_cw_extra_fn extra, void *ctx);

/* Bit of `key` in a mask returned by wwtp_cw_walk() (0 if not in tab). */
uint64_t wwtp_cw_bit(const struct wwtp_cw_opt *tab, size_t n, const char *key);

/* Reads a file into cfg (config_init already done), reporting a parse or
 * I/O error as FILE:LINE. Returns 0 or -1. */
int wwtp_cw_read_file(struct wwtp_cw *c, config_t *cfg, const char *path);

/* Checks a confidence string: "H", "M" or "L". Returns the letter or 0. */
char wwtp_cw_confidence(const char *s);

/* Bounded copy; returns 0, or -1 (and an empty dst) when src does not fit. */
int wwtp_cw_copy(char *dst, size_t n, const char *src);

#endif
