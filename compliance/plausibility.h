/* plausibility.h - could a reading be true? Engineering checks on each
 * reading, apart from the regulation (docs/plausibility.md).
 *
 * Three checks, on readings the instrument calls `ok`:
 *  - range     the value is outside what can physically be measured (pH
 *              outside 0-14, a negative concentration, past the analyzer's
 *              measuring range): a wrong type, word order or scale, or a
 *              broken instrument;
 *  - step      the value jumped by more than `step` from the last credible
 *              reading less than WWTP_PLAUS_STEP_GAP_MS before it; a jump
 *              that persists (the next reading is near the new level) is a
 *              real change and is accepted from then on, so a level shift
 *              costs one reading and a spike only itself;
 *  - flatline  the value stayed within `resolution` of where it was for
 *              longer than flat_s: a frozen register, or an analyzer fed
 *              clean water.
 * Bounds are data (struct wwtp_plaus in model/station.h): the defaults file
 * config/plausibility.cfg, the profile's point, the station's overrides.
 *
 * The checker is pure: no clock, no I/O. The loader of the bounds is
 * plaus_config.c (libconfig). */
#ifndef WWTP_PLAUSIBILITY_H
#define WWTP_PLAUSIBILITY_H

#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>

#include "../model/station.h"
#include "../util/diag.h"

enum wwtp_suspect {
	WWTP_SUSPECT_NONE = 0,
	WWTP_SUSPECT_RANGE,
	WWTP_SUSPECT_STEP,
	WWTP_SUSPECT_FLATLINE,
	WWTP_SUSPECTS /* how many values there are, NONE included */
};

/* "range", "step", "flatline"; "" for NONE and out of range. */
const char *wwtp_suspect_name(int suspect);
/* The enum of a name above, or -1 (NONE is not a name). */
int wwtp_suspect_from_name(const char *name);

/* Readings further apart than this are not compared for a step: after a
 * gap (the device was offline, the collector off) anything may have
 * changed. */
#define WWTP_PLAUS_STEP_GAP_MS (10 * 60 * 1000)

/* Bounds with no check at all (NaN, flat_s 0). */
void wwtp_plaus_none(struct wwtp_plaus *b);
/* Bounds not given yet (NaN, flat_s -1), before the layers are merged. */
void wwtp_plaus_unset(struct wwtp_plaus *b);
/* Fills what b does not give from `from` (the layer below). */
void wwtp_plaus_fill(struct wwtp_plaus *b, const struct wwtp_plaus *from);
/* Whether b's bounds check anything (whatever b->on says). */
int wwtp_plaus_any(const struct wwtp_plaus *b);

/* What the checker remembers of one point. Zero it (or call
 * wwtp_plaus_state_reset) before the first reading. */
struct wwtp_plaus_state {
	int has_ref;
	double ref;	 /* the last credible value */
	int64_t ref_ts;	 /* its time */
	int has_prev;	 /* the last value checked, credible or not */
	double prev;	 /* (for the level shift: near it, a jump persists) */
	int has_flat;	 /* a run of unchanged values */
	double flat_ref; /* its first value */
	int64_t flat_since;
};
void wwtp_plaus_state_reset(struct wwtp_plaus_state *s);

/* Checks value v, read at ts_ms with status ok, against b, and updates s.
 * Returns enum wwtp_suspect. Readings that are not ok are not given to it.
 * A range failure leaves the state as it was. */
int wwtp_plaus_check(const struct wwtp_plaus *b, struct wwtp_plaus_state *s, int64_t ts_ms,
		     double v);

/* How long (ms) the current run of unchanged values lasts at ts_ms; 0
 * without one. */
int64_t wwtp_plaus_flat_ms(const struct wwtp_plaus_state *s, int64_t ts_ms);

/* Whether v lies within b's range (NaN bounds are open). */
int wwtp_plaus_in_range(const struct wwtp_plaus *b, double v);

/* "0-14", ">= 0", "<= 500", or "any value": b's range as people write it. */
void wwtp_plaus_range_label(const struct wwtp_plaus *b, char *buf, size_t n);

/* ---- the bounds as data (plaus_config.c) ---- */

/* Per parameter defaults: the rows of config/plausibility.cfg. */
struct wwtp_plaus_defaults;

/* Loads a defaults file:
 *   plausibility = ( { param = "ph"; min = 0.0; max = 14.0; step = 2.0;
 *                      resolution = 0.005; flat_h = 4.0; }, ... );
 * Unknown keys and a param listed twice are refused. Returns 0 and *out,
 * WWTP_ERR_CONFIG (problems as FILE:LINE in diag) or WWTP_ERR_NOMEM. */
int wwtp_plaus_defaults_load(const char *path, struct wwtp_diag *diag,
			     struct wwtp_plaus_defaults **out);
void wwtp_plaus_defaults_free(struct wwtp_plaus_defaults *d); /* accepts NULL */
/* The defaults of param into *out (wwtp_plaus_none when the file has no
 * row for it, or d is NULL). Returns 1 when there was a row. */
int wwtp_plaus_defaults_get(const struct wwtp_plaus_defaults *d, const char *param,
			    struct wwtp_plaus *out);

/* Merges an override group { min; max; step; resolution; flat_h; } into
 * *b: only the keys it gives change (flat_h = 0 turns the flat-line rule
 * off). With param non-NULL the group must also give param = "..", copied
 * there (WWTP_ID_MAX bytes). `what` names the group in messages, file the
 * file. Returns 0 or WWTP_ERR_CONFIG. */
int wwtp_plaus_parse_group(const config_setting_t *grp, const char *file, const char *what,
			   char *param, struct wwtp_plaus *b, struct wwtp_diag *diag);

#endif
