/* confschema.h - the one descriptor-table walker over libconfig groups and
 * the one way of writing its tables (OPT_*), used by every loader: the
 * station files' and central.cfg's (station/loader.h) and the regulation
 * loader (compliance/cfgwalk-private.h).
 *
 * A group is described by a `const struct wwtp_opt[]` table (key, kind,
 * flags, bounds, field offset, default, parser). wwtp_cs_walk() refuses
 * members that are not in the table, type- and range-checks the ones that
 * are, stores them at the entry's offset and applies the defaults of the
 * others. Nested groups and lists are stored as a `const config_setting_t *`
 * for the caller to walk in the order it needs.
 *
 * The walker finds the problems; it does not word them. Each loader has
 * its own messages (users and tests rely on their text), so each problem
 * goes to the loader's report() as a struct wwtp_cs_issue. */
#ifndef WWTP_CONFSCHEMA_H
#define WWTP_CONFSCHEMA_H

#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>

enum wwtp_opt_kind {
	WWTP_OPT_STR,	/* char[size] at off; too long is an error, never truncated */
	WWTP_OPT_ENUM,	/* a string turned into a field by parse() */
	WWTP_OPT_INT,	/* int, uint16_t or long long (by size) at off */
	WWTP_OPT_FLOAT, /* double at off; integers accepted */
	WWTP_OPT_BOOL,	/* int at off, 0 or 1 */
	WWTP_OPT_GROUP, /* const config_setting_t * at off */
	WWTP_OPT_LIST,	/* const config_setting_t * at off; ( ... ) */
	WWTP_OPT_SEQ,	/* const config_setting_t * at off; [ ... ] or ( ... ) */
};

#define WWTP_OPT_REQ 0x01      /* must be present */
#define WWTP_OPT_NONEMPTY 0x02 /* string must not be "" */
#define WWTP_OPT_NONZERO 0x04  /* number must not be 0 */
/* Bits from 0x08 up are the loaders' own (station/station_schema.h). */

struct wwtp_opt {
	const char *key;
	enum wwtp_opt_kind kind;
	unsigned flags;
	double min, max;     /* INT and FLOAT bounds, inclusive (see below) */
	size_t off, size;    /* field in the object; size of it */
	const char *charset; /* STR: the bytes allowed, NULL for any */
	const char *def_s;   /* STR and ENUM default (NULL: leave the field) */
	double def_n;	     /* INT, FLOAT, BOOL default (FLOAT: NAN allowed) */
	int (*parse)(const char *s, void *field); /* ENUM: 0 or -1 */
	int (*valid)(long long v);		  /* INT: extra check, 1 = ok */
	const char *hint; /* what is allowed, for messages ("\"tcp\" or \"rtu\"") */
};
/* min >= max (both left out) means no bounds: any finite number, or any
 * integer that fits an int. */

/* Table entries, one line per key, the same in every loader: k the key, fl
 * its WWTP_OPT_* flags, T the struct the walk fills and f its field; then
 * what the kind needs (charset, bounds, parser or check, default, hint). */
#define WWTP_OPT_FIELD(T, f) .off = offsetof(T, f), .size = sizeof(((T *)0)->f)
#define OPT_STR(k, fl, T, f, cs, def, h)                                                           \
	{                                                                                          \
		.key = (k), .kind = WWTP_OPT_STR, .flags = (fl), WWTP_OPT_FIELD(T, f),             \
		.charset = (cs), .def_s = (def), .hint = (h)                                       \
	}
#define OPT_ENUM(k, fl, T, f, fn, def, h)                                                          \
	{                                                                                          \
		.key = (k), .kind = WWTP_OPT_ENUM, .flags = (fl), WWTP_OPT_FIELD(T, f),            \
		.parse = (fn), .def_s = (def), .hint = (h)                                         \
	}
#define OPT_INT(k, fl, T, f, lo, hi, def)                                                          \
	{                                                                                          \
		.key = (k), .kind = WWTP_OPT_INT, .flags = (fl), WWTP_OPT_FIELD(T, f),             \
		.min = (lo), .max = (hi), .def_n = (def)                                           \
	}
/* An integer with an extra check (fn) and a hint for its messages. */
#define OPT_INTX(k, fl, T, f, lo, hi, def, fn, h)                                                  \
	{                                                                                          \
		.key = (k), .kind = WWTP_OPT_INT, .flags = (fl), WWTP_OPT_FIELD(T, f),             \
		.min = (lo), .max = (hi), .def_n = (def), .valid = (fn), .hint = (h)               \
	}
#define OPT_FLT(k, fl, T, f, lo, hi, def)                                                          \
	{                                                                                          \
		.key = (k), .kind = WWTP_OPT_FLOAT, .flags = (fl), WWTP_OPT_FIELD(T, f),           \
		.min = (lo), .max = (hi), .def_n = (def)                                           \
	}
#define OPT_BOOL(k, fl, T, f, def)                                                                 \
	{                                                                                          \
		.key = (k), .kind = WWTP_OPT_BOOL, .flags = (fl), WWTP_OPT_FIELD(T, f),            \
		.def_n = (def)                                                                     \
	}
/* A nested group or list (kd: WWTP_OPT_GROUP, _LIST or _SEQ), stored as a
 * const config_setting_t * for the caller to walk. */
#define OPT_SUB(k, kd, fl, T, f, h)                                                                \
	{                                                                                          \
		.key = (k), .kind = (kd), .flags = (fl), WWTP_OPT_FIELD(T, f), .hint = (h)         \
	}
#define OPT_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* What was wrong, and where. */
enum wwtp_cs_problem {
	WWTP_CS_UNKNOWN,     /* member `name` is not in the table (known: its keys) */
	WWTP_CS_TYPE,	     /* the member is not what entry o wants */
	WWTP_CS_EMPTY,	     /* "" for a NONEMPTY string */
	WWTP_CS_TOO_LONG,    /* str does not fit o->size */
	WWTP_CS_CHARSET,     /* str has a byte not in o->charset */
	WWTP_CS_NOT_ENUM,    /* o->parse refused str */
	WWTP_CS_INT_RANGE,   /* ival outside [lo, hi] */
	WWTP_CS_INT_INVALID, /* o->valid refused ival */
	WWTP_CS_NOT_FINITE,  /* a FLOAT that is inf or nan */
	WWTP_CS_FLOAT_RANGE, /* dval outside [lo, hi] */
	WWTP_CS_ZERO,	     /* 0 for a NONZERO number */
	WWTP_CS_MISSING,     /* required entry o is not in the group (at: the group) */
};

struct wwtp_cs_issue {
	enum wwtp_cs_problem problem;
	const config_setting_t *at; /* the member; the group for MISSING */
	const struct wwtp_opt *o;   /* the entry; NULL for UNKNOWN */
	const char *what;	    /* the group's name as given to the walk ("" at the top) */
	const char *prefix;	    /* "what: ", or "" at the top */
	const char *name;	    /* UNKNOWN: the member's name (NULL if it has none) */
	const char *known;	    /* UNKNOWN: the table's keys, "a, b, c" */
	const char *str;	    /* the string given */
	long long ival;		    /* the integer given */
	double dval;		    /* the number given */
	double lo, hi;		    /* the bounds that apply */
};

/* How a loader walks. */
struct wwtp_cs_walker {
	void (*report)(void *ctx, const struct wwtp_cs_issue *is);
	void *ctx;
	/* Claims a member that is not in the table: returns 1 when the caller
	 * handles it (the walker leaves it alone), 0 to refuse it as unknown.
	 * NULL: none is claimed. */
	int (*extra)(void *extra_ctx, const config_setting_t *member);
	void *extra_ctx;
	/* Flags of entries whose presence the caller checks itself. */
	unsigned req_by_caller;
	/* 0: unknown members first, then the table's entries in its order,
	 * each present or missing; present includes members of the wrong type.
	 * WWTP_CS_BY_MEMBER: the group's members in the file's order, then the
	 * missing entries; a member of the wrong type counts as missing. */
	unsigned order;
};
#define WWTP_CS_BY_MEMBER 1u

/* Walks group grp (NULL: defaults only). `what` names the group in
 * messages. Returns a mask of the entries present (bit i = tab[i]); tables
 * have at most 64 entries. *bad (if not NULL) gets the mask of those present
 * but refused: their field holds the default. */
uint64_t wwtp_cs_walk(const struct wwtp_cs_walker *w, const config_setting_t *grp,
		      const struct wwtp_opt *tab, size_t n, void *obj, const char *what,
		      uint64_t *bad);

/* What a value of kind k must be, for messages ("a string", "an integer"). */
const char *wwtp_cs_wanted(enum wwtp_opt_kind k);

#endif
