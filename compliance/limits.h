/* limits.h - discharge limits: regulation tables as data, a station's limit
 * spec, and the effective limits (Cmax) that follow from them.
 *
 * Three layers:
 *  1. struct wwtp_regulation (opaque): one regulation file of config/limits/
 *     (QCVN 40:2011/BTNMT, QCVN 40:2025/BTNMT, ...) loaded and checked. Every
 *     value in it carries its source and a confidence (H, M, L): see
 *     docs/compliance.md. Loading does I/O; the rest of the module is pure.
 *  2. struct wwtp_limits_spec (plain data): what a station file's `limits`
 *     group says - regulation, column, Kq/Kf or the facts they come from,
 *     and the permit's per-parameter overrides.
 *  3. struct wwtp_limits_table (plain data): the effective limits of one
 *     station, computed by wwtp_limits_effective() (pure), printed by
 *     wwtp_limits_format() (pure) and handed to the evaluator.
 *
 * Effective limit of a parameter with column value C (docs/compliance.md):
 *  - a permit override gives the bounds it names; they are used as they are
 *    (no factors); a bound it does not name keeps the regulation's;
 *  - C with an upper bound only, on a row that applies the factors:
 *    Cmax = C x Kq x Kf;
 *  - rows exempt from the factors (apply_factors = false: temperature,
 *    colour, pH, coliform, gross alpha, gross beta) and every range or lower
 *    bound (pH 5.5-9): Cmax = C, Kq = Kf = 1 in the table;
 *  - no value in the column and no override: not judged ("not set — fill in
 *    from the permit");
 *  - rows marked not_for_saline (chloride) when the receiving water is
 *    saline or brackish: not judged. */
#ifndef WWTP_LIMITS_H
#define WWTP_LIMITS_H

#include <libconfig.h>
#include <stddef.h>

#include "../model/station.h"
#include "../util/buf.h"
#include "../util/diag.h"

#define WWTP_LIMITS_DIR "config/limits" /* default folder of regulation files */
#define WWTP_REG_COLUMNS_MAX 4		/* columns of a regulation (A, B, ...) */
#define WWTP_REG_COLUMN_MAX 8		/* bytes of a column id, NUL included */
#define WWTP_REG_TEXT_MAX 256		/* names, notes, source texts */
#define WWTP_LIMITS_OVERRIDES_MAX 48	/* permit overrides in one station */
#define WWTP_LIMIT_SOURCE_MAX 224	/* source text of an effective limit */

/* ---- 1. regulation ---- */

struct wwtp_regulation;

/* One column value of one parameter. Bounds are NaN when absent. */
struct wwtp_reg_value {
	int set;	    /* 0: the table has no value here: not judged */
	double min, max;    /* lower bound (ranges only) and upper bound */
	char confidence;    /* 'H', 'M' or 'L' ('\0' when not set) */
	const char *source; /* text of the source (owned by the regulation); "" when not set */
	int line;	    /* line in the regulation file */
};

/* One parameter row. Pointers returned by the accessors below stay valid
 * until wwtp_regulation_free(). */
struct wwtp_reg_param {
	int no;			 /* row number in the regulation */
	char param[WWTP_ID_MAX]; /* canonical id: "cod", "ph", ... */
	char name_vi[WWTP_NAME_MAX];
	char name_en[WWTP_NAME_MAX];
	char unit[WWTP_UNIT_MAX];
	int apply_factors;	    /* 0: Cmax = C (no Kq/Kf) */
	char factors_confidence;    /* confidence of apply_factors ('\0' if not given) */
	const char *factors_source; /* "" if not given */
	int not_for_saline;	    /* not applied to saline/brackish receiving water */
	char note[WWTP_REG_TEXT_MAX];
	struct wwtp_reg_value values[WWTP_REG_COLUMNS_MAX]; /* by column index */
	int line;
};

/* Loads and checks a regulation file. Every problem is reported into diag
 * (may be NULL) as "FILE:LINE: message": unknown keys, missing or bad
 * fields, min > max, bad confidence, unknown source ids, bad band tables.
 * Returns 0 and *out (free with wwtp_regulation_free), or WWTP_ERR_CONFIG /
 * WWTP_ERR_NOMEM with *out NULL. */
int wwtp_regulation_load(const char *path, struct wwtp_diag *diag, struct wwtp_regulation **out);
void wwtp_regulation_free(struct wwtp_regulation *reg); /* accepts NULL */

/* Finds the file of folder dir (NULL: WWTP_LIMITS_DIR) whose regulation.id
 * is id, by reading every "*.cfg" of the folder. Writes its path into
 * path[n]. Returns 0, WWTP_ERR_NOTFOUND (no such id; a diag entry lists the
 * ids found), WWTP_ERR_CONFIG (two files have the id, or the folder cannot
 * be read) or WWTP_ERR_RANGE (path too long). Only each file's
 * regulation.id is read here: a file that does not parse is skipped, and its
 * problems show when it is loaded. */
int wwtp_regulation_find_file(const char *dir, const char *id, char *path, size_t n,
			      struct wwtp_diag *diag);
/* wwtp_regulation_find_file() + wwtp_regulation_load(). */
int wwtp_regulation_load_id(const char *dir, const char *id, struct wwtp_diag *diag,
			    struct wwtp_regulation **out);

const char *wwtp_regulation_id(const struct wwtp_regulation *reg);   /* "QCVN40:2011" */
const char *wwtp_regulation_code(const struct wwtp_regulation *reg); /* "QCVN 40:2011/BTNMT" */
const char *wwtp_regulation_title_vi(const struct wwtp_regulation *reg);
const char *wwtp_regulation_title_en(const struct wwtp_regulation *reg);
const char *wwtp_regulation_issued_by(const struct wwtp_regulation *reg);
const char *wwtp_regulation_in_force(const struct wwtp_regulation *reg); /* "YYYY-MM-DD" */
const char *wwtp_regulation_path(const struct wwtp_regulation *reg);

size_t wwtp_regulation_ncolumns(const struct wwtp_regulation *reg);
const char *wwtp_regulation_column(const struct wwtp_regulation *reg, size_t i); /* NULL past end */
/* Index of column id ("A"), or -1. */
int wwtp_regulation_column_index(const struct wwtp_regulation *reg, const char *column);

size_t wwtp_regulation_nparams(const struct wwtp_regulation *reg);
const struct wwtp_reg_param *wwtp_regulation_param(const struct wwtp_regulation *reg, size_t i);
const struct wwtp_reg_param *wwtp_regulation_find_param(const struct wwtp_regulation *reg,
							const char *param);
/* The value of p in column ("A"); NULL when the regulation has no such column. */
const struct wwtp_reg_value *wwtp_regulation_value(const struct wwtp_regulation *reg,
						   const struct wwtp_reg_param *p,
						   const char *column);

/* Factor tables. Each returns 0 with the factor, WWTP_ERR_NOTFOUND when the
 * regulation file has no such table (or, for the sea, no such use), and
 * WWTP_ERR_INVAL for a negative or non-finite quantity. A band's upper bound
 * is inclusive: Q = 50 falls in "Q <= 50".
 *  river: q_m3s = mean flow of the 3 driest months (m3/s); NaN = no data.
 *  lake:  v_m3 = mean volume of the 3 driest months (m3); NaN = no data.
 *  sea:   use = an id of the file's sea table ("protected", "other").
 *  kf:    f_m3d = total effluent flow (m3 per 24 h); no "no data" value. */
int wwtp_regulation_kq_river(const struct wwtp_regulation *reg, double q_m3s, double *kq);
int wwtp_regulation_kq_lake(const struct wwtp_regulation *reg, double v_m3, double *kq);
int wwtp_regulation_kq_sea(const struct wwtp_regulation *reg, const char *use, double *kq);
int wwtp_regulation_kf(const struct wwtp_regulation *reg, double f_m3d, double *kf);

/* ---- 2. a station's limit spec (the `limits` group of a station file) ---- */

enum wwtp_water_kind {
	WWTP_WATER_NONE = 0, /* not given */
	WWTP_WATER_RIVER,    /* river, stream, canal: Kq by flow Q (m3/s) */
	WWTP_WATER_LAKE,     /* lake, pond: Kq by volume V (m3) */
	WWTP_WATER_SEA,	     /* coastal sea: Kq by use */
};

/* A permit value replacing the regulation's for one parameter. */
struct wwtp_limit_override {
	char param[WWTP_ID_MAX];
	double min, max;		/* NaN when not given (at least one is) */
	char unit[WWTP_UNIT_MAX];	/* "" = the regulation's unit */
	char source[WWTP_REG_TEXT_MAX]; /* e.g. "Giấy phép môi trường 123/GP-UBND"; "" allowed */
	int line;
};

struct wwtp_limits_spec {
	int present;			  /* the station file has a `limits` group */
	char regulation[WWTP_ID_MAX];	  /* "QCVN40:2011" */
	char column[WWTP_REG_COLUMN_MAX]; /* "A", "B" */
	double kq, kf;			  /* NaN when not given: computed from the facts */
	enum wwtp_water_kind water;
	double flow_m3s;	   /* river: Q; NaN = no data */
	double volume_m3;	   /* lake: V; NaN = no data */
	char sea_use[WWTP_ID_MAX]; /* sea: "protected" or "other" */
	int saline;		   /* saline/brackish receiving water; -1 = not given */
	double design_flow_m3d;	   /* F for Kf; NaN = not given (the lead may copy
				      the station's design_flow_m3d here) */
	size_t noverrides;
	struct wwtp_limit_override overrides[WWTP_LIMITS_OVERRIDES_MAX];
	char file[WWTP_PATH_MAX]; /* where the group was read, for messages */
	int line;
};

/* A spec with nothing given (present = 0, every number NaN, saline -1). */
void wwtp_limits_spec_init(struct wwtp_limits_spec *spec);

/* Parses a `limits = { ... }` group (descriptor table, unknown keys refused;
 * see docs/compliance.md for the keys). limits_group may be NULL: then *out
 * is a spec with present = 0 and 0 is returned. `file` names the station
 * file in messages when the setting carries none. Returns 0 or
 * WWTP_ERR_CONFIG with the problems in diag (FILE:LINE). Whether the
 * regulation, column, sea use and parameters exist is checked later, by
 * wwtp_limits_effective(), which has the regulation. */
int wwtp_limits_spec_parse(const config_setting_t *limits_group, const char *file,
			   struct wwtp_limits_spec *out, struct wwtp_diag *diag);

/* ---- 3. effective limits ---- */

struct wwtp_limit {
	char param[WWTP_ID_MAX];
	char unit[WWTP_UNIT_MAX];
	int no;		     /* row in the regulation; 0 for a permit-only parameter */
	int has_limit;	     /* 0: not judged */
	int is_range;	     /* has a lower bound (pH): judged on both sides */
	double c_min, c_max; /* C of the regulation column; NaN when none */
	double kq, kf;	     /* factors applied; 1.0 when not applied */
	int factors_applied;
	double cmax_min, cmax_max; /* effective bounds; NaN when none */
	int overridden;		   /* a permit value replaced the regulation's */
	char confidence;	   /* of C ('\0' when not set or overridden) */
	char source[WWTP_LIMIT_SOURCE_MAX];
};

struct wwtp_limits_table {
	char regulation[WWTP_ID_MAX];
	char column[WWTP_REG_COLUMN_MAX];
	double kq, kf;			      /* the station's factors (before exemptions) */
	char kq_basis[WWTP_LIMIT_SOURCE_MAX]; /* where Kq came from */
	char kf_basis[WWTP_LIMIT_SOURCE_MAX];
	size_t n;
	struct wwtp_limit *rows; /* regulation order, then permit-only parameters */
};

/* Computes the effective limits of spec under reg (pure). Problems (spec
 * names another regulation, unknown column, water kind without a table in
 * the regulation, Kf needed but no design flow, unknown sea use, override of
 * an unknown parameter without unit) go to diag (may be NULL) as FILE:LINE
 * of the spec. Returns 0 and *out (free with wwtp_limits_table_free), or
 * WWTP_ERR_NOTFOUND (spec->present == 0: the station configures no limits;
 * nothing in diag), WWTP_ERR_CONFIG, WWTP_ERR_NOMEM, or WWTP_ERR_INVAL (a
 * NULL argument). */
int wwtp_limits_effective(const struct wwtp_regulation *reg, const struct wwtp_limits_spec *spec,
			  struct wwtp_limits_table **out, struct wwtp_diag *diag);
void wwtp_limits_table_free(struct wwtp_limits_table *t); /* accepts NULL */
const struct wwtp_limit *wwtp_limits_find(const struct wwtp_limits_table *t, const char *param);

/* The `--limits` table (pure): a header with the regulation, column and the
 * basis of Kq and Kf, then one aligned line per parameter: parameter, unit,
 * C, Kq, Kf, Cmax, source. Ranges print as "5.5-9"; factors not applied
 * print as "-"; a parameter without a value has Cmax "not judged" and the
 * source "not set — fill in from the permit". Appends to out; returns 0 or
 * the buffer's error (WWTP_ERR_FULL: out's cap is too small). */
int wwtp_limits_format(const struct wwtp_limits_table *t, struct wwtp_buf *out);

#endif
