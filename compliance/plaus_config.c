/* plaus_config.c - plausibility bounds as data: the defaults file and the
 * override groups of profiles and stations (see plausibility.h), kept out
 * of plausibility.c so that the checker needs no libconfig. */
#include <libconfig.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/err.h"
#include "cfgwalk-private.h"
#include "plausibility.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define PLAUS_ABS_MAX 1e12 /* larger bounds are a typo, not an instrument */

struct plaus_in {
	char param[WWTP_ID_MAX];
	double min, max, step, resolution, flat_h;
};

/* The row keys; "param" only in the defaults file. */
static const struct wwtp_opt row_tab[] = {
    OPT_STR("param", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct plaus_in, param, NULL, NULL, NULL),
    OPT_FLT("min", 0, struct plaus_in, min, -PLAUS_ABS_MAX, PLAUS_ABS_MAX, NAN),
    OPT_FLT("max", 0, struct plaus_in, max, -PLAUS_ABS_MAX, PLAUS_ABS_MAX, NAN),
    OPT_FLT("step", 0, struct plaus_in, step, 0, PLAUS_ABS_MAX, NAN),
    OPT_FLT("resolution", 0, struct plaus_in, resolution, 0, PLAUS_ABS_MAX, NAN),
    /* Up to 30 days: longer than any run a real effluent holds still. */
    OPT_FLT("flat_h", 0, struct plaus_in, flat_h, 0, 720, NAN),
};

struct wwtp_plaus_defaults {
	size_t n;
	struct {
		char param[WWTP_ID_MAX];
		struct wwtp_plaus b;
	} * rows;
};

/* Walks one group (with or without "param") and merges what it gives. */
static void merge(struct wwtp_cw *c, const config_setting_t *grp, int with_param, const char *what,
		  struct wwtp_plaus *b, char *param)
{
	struct plaus_in in;
	const struct wwtp_opt *tab = with_param ? row_tab : row_tab + 1;
	size_t n = with_param ? NELEM(row_tab) : NELEM(row_tab) - 1;

	memset(&in, 0, sizeof(in));
	uint64_t has = wwtp_cw_walk(c, grp, tab, n, &in, what, NULL, NULL);
	if (param)
		memcpy(param, in.param, sizeof(in.param));
	if (has & wwtp_cw_bit(tab, n, "min"))
		b->min = in.min;
	if (has & wwtp_cw_bit(tab, n, "max"))
		b->max = in.max;
	if (has & wwtp_cw_bit(tab, n, "step"))
		b->step = in.step;
	if (has & wwtp_cw_bit(tab, n, "resolution"))
		b->resolution = in.resolution;
	if (has & wwtp_cw_bit(tab, n, "flat_h"))
		b->flat_s = (int)lround(in.flat_h * 3600.0);
	if (isfinite(b->min) && isfinite(b->max) && b->min > b->max)
		wwtp_cw_problem(c, grp, "%s: min %g is above max %g", what, b->min, b->max);
}

int wwtp_plaus_parse_group(const config_setting_t *grp, const char *file, const char *what,
			   char *param, struct wwtp_plaus *b, struct wwtp_diag *diag)
{
	struct wwtp_cw c = {.diag = diag, .file = file ? file : "plausible", .errors = 0};
	if (!grp)
		return 0;
	if (config_setting_type(grp) != CONFIG_TYPE_GROUP) {
		wwtp_cw_problem(&c, grp, "%s must be a group { min = ..; max = ..; ... }", what);
		return WWTP_ERR_CONFIG;
	}
	merge(&c, grp, param != NULL, what, b, param);
	return c.errors ? WWTP_ERR_CONFIG : 0;
}

void wwtp_plaus_defaults_free(struct wwtp_plaus_defaults *d)
{
	if (!d)
		return;
	free(d->rows);
	free(d);
}

int wwtp_plaus_defaults_get(const struct wwtp_plaus_defaults *d, const char *param,
			    struct wwtp_plaus *out)
{
	wwtp_plaus_none(out);
	for (size_t i = 0; d && param && i < d->n; i++)
		if (strcmp(d->rows[i].param, param) == 0) {
			*out = d->rows[i].b;
			return 1;
		}
	return 0;
}

int wwtp_plaus_defaults_load(const char *path, struct wwtp_diag *diag,
			     struct wwtp_plaus_defaults **out)
{
	struct wwtp_cw c = {.diag = diag, .file = path, .errors = 0};
	config_t cf;
	int rc = 0;

	*out = NULL;
	config_init(&cf);
	if (wwtp_cw_read_file(&c, &cf, path) != 0) {
		config_destroy(&cf);
		return WWTP_ERR_CONFIG;
	}
	const config_setting_t *root = config_root_setting(&cf);
	const config_setting_t *list = config_setting_get_member(root, "plausibility");
	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *m = config_setting_get_elem(root, (unsigned)i);
		if (m != list)
			wwtp_cw_problem(&c, m,
					"unknown key '%s' (the file holds plausibility = "
					"( ... ); only)",
					config_setting_name(m) ? config_setting_name(m) : "?");
	}
	if (!list || config_setting_type(list) != CONFIG_TYPE_LIST) {
		wwtp_cw_problem(&c, list ? list : root,
				"plausibility must be a list ( { param = \"..\"; ... }, ... )");
		config_destroy(&cf);
		return WWTP_ERR_CONFIG;
	}
	struct wwtp_plaus_defaults *d = calloc(1, sizeof(*d));
	int len = config_setting_length(list);
	if (!d || !(d->rows = calloc((size_t)len + 1, sizeof(*d->rows)))) {
		wwtp_plaus_defaults_free(d);
		config_destroy(&cf);
		return WWTP_ERR_NOMEM;
	}
	for (int i = 0; i < len; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			wwtp_cw_problem(&c, g, "plausibility: each row is a group { param = ..; }");
			continue;
		}
		struct wwtp_plaus b;
		char param[WWTP_ID_MAX];
		wwtp_plaus_none(&b);
		merge(&c, g, 1, "plausibility", &b, param);
		/* Every default row is a complete rule: a flat line needs the
		 * change that counts as a change. */
		if (b.flat_s > 0 && !isfinite(b.resolution))
			wwtp_cw_problem(&c, g,
					"plausibility: param '%s': flat_h needs a resolution (the "
					"instrument's last digit)",
					param);
		struct wwtp_plaus dummy;
		if (wwtp_plaus_defaults_get(d, param, &dummy)) {
			wwtp_cw_problem(&c, g, "plausibility: param '%s' is listed twice", param);
			continue;
		}
		memcpy(d->rows[d->n].param, param, sizeof(param));
		d->rows[d->n++].b = b;
	}
	config_destroy(&cf);
	if (c.errors) {
		wwtp_plaus_defaults_free(d);
		rc = WWTP_ERR_CONFIG;
	} else {
		*out = d;
	}
	return rc;
}
