/* limits.c - regulation tables (loading), a station's limit spec (parsing)
 * and effective limits (computation and the --limits table). See limits.h
 * for the contracts and docs/compliance.md for the user's view. */
#include "limits.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/conffile.h"
#include "../util/err.h"
#include "cfgwalk-private.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define SOURCES_MAX 32
#define BANDS_MAX 8
#define USES_MAX 4
#define PARAMS_MAX 128
#define DATE_MAX 16
/* Bounds of what a file may hold: generous, only to catch typos. */
#define VALUE_MAX 1e9
#define FACTOR_MIN 0.01
#define FACTOR_MAX 10.0

static const char ID_CHARS[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
static const char REG_ID_CHARS[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:._-";
static const char COLUMN_CHARS[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char DATE_CHARS[] = "0123456789-";
static const char NOT_SET[] = "not set — fill in from the permit";

struct reg_source {
	char id[WWTP_ID_MAX];
	char text[WWTP_REG_TEXT_MAX];
};

struct reg_band {
	double upto; /* inclusive upper bound; INFINITY for the last band */
	double factor;
};

struct reg_bands {
	int present;
	size_t n;
	struct reg_band b[BANDS_MAX];
	double no_data; /* NaN when the table has no "no data" value */
	char confidence;
	const char *source;
};

struct reg_use {
	char use[WWTP_ID_MAX];
	double kq;
	char description[WWTP_REG_TEXT_MAX];
};

struct reg_sea {
	int present;
	size_t n;
	struct reg_use u[USES_MAX];
	char confidence;
	const char *source;
};

struct wwtp_regulation {
	char path[WWTP_PATH_MAX];
	char id[WWTP_ID_MAX];
	char code[WWTP_ID_MAX];
	char title_vi[WWTP_REG_TEXT_MAX];
	char title_en[WWTP_REG_TEXT_MAX];
	char issued_by[WWTP_NAME_MAX];
	char in_force[DATE_MAX];
	char columns[WWTP_REG_COLUMNS_MAX][WWTP_REG_COLUMN_MAX];
	size_t ncolumns;
	struct reg_source sources[SOURCES_MAX];
	size_t nsources;
	struct wwtp_reg_param *params;
	size_t nparams;
	struct reg_bands river, lake, kf;
	struct reg_sea sea;
};

/* ---- loading ---- */

struct header {
	char id[WWTP_ID_MAX];
	char code[WWTP_ID_MAX];
	char title_vi[WWTP_REG_TEXT_MAX];
	char title_en[WWTP_REG_TEXT_MAX];
	char issued_by[WWTP_NAME_MAX];
	char issued[DATE_MAX];
	char in_force[DATE_MAX];
	char formula[WWTP_NAME_MAX];
	char source[WWTP_ID_MAX];
	char confidence[16];
	char note[WWTP_REG_TEXT_MAX];
	const config_setting_t *replaces, *transition, *columns, *sources;
};

static const struct wwtp_opt header_tab[] = {
    OPT_STR("id", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct header, id, REG_ID_CHARS, "",
	    "letters, digits and \":._-\", e.g. \"QCVN40:2011\""),
    OPT_STR("code", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct header, code, NULL, "", NULL),
    OPT_STR("title_vi", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct header, title_vi, NULL, "", NULL),
    OPT_STR("title_en", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct header, title_en, NULL, "", NULL),
    OPT_STR("issued_by", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct header, issued_by, NULL, "",
	    NULL),
    OPT_STR("issued", 0, struct header, issued, DATE_CHARS, "", "\"YYYY-MM-DD\""),
    OPT_STR("in_force", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct header, in_force, DATE_CHARS, "",
	    "\"YYYY-MM-DD\""),
    OPT_STR("formula", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct header, formula, NULL, "", NULL),
    OPT_STR("source", 0, struct header, source, NULL, "", NULL),
    OPT_STR("confidence", 0, struct header, confidence, NULL, "", NULL),
    OPT_STR("note", 0, struct header, note, NULL, "", NULL),
    OPT_SUB("replaces", WWTP_OPT_SEQ, 0, struct header, replaces, NULL),
    OPT_SUB("transition", WWTP_OPT_GROUP, 0, struct header, transition, NULL),
    OPT_SUB("columns", WWTP_OPT_LIST, WWTP_OPT_REQ, struct header, columns, NULL),
    OPT_SUB("sources", WWTP_OPT_LIST, WWTP_OPT_REQ, struct header, sources, NULL),
};

struct root {
	const config_setting_t *regulation, *parameters, *kq, *kf;
};

static const struct wwtp_opt root_tab[] = {
    OPT_SUB("regulation", WWTP_OPT_GROUP, WWTP_OPT_REQ, struct root, regulation, NULL),
    OPT_SUB("parameters", WWTP_OPT_LIST, WWTP_OPT_REQ, struct root, parameters, NULL),
    OPT_SUB("kq", WWTP_OPT_GROUP, 0, struct root, kq, NULL),
    OPT_SUB("kf", WWTP_OPT_GROUP, 0, struct root, kf, NULL),
};

struct column_def {
	char id[WWTP_REG_COLUMN_MAX];
	char description[WWTP_REG_TEXT_MAX];
};

static const struct wwtp_opt column_tab[] = {
    OPT_STR("id", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct column_def, id, COLUMN_CHARS, "",
	    "capital letters and digits, e.g. \"A\""),
    OPT_STR("description", 0, struct column_def, description, NULL, "", NULL),
};

static const struct wwtp_opt source_tab[] = {
    OPT_STR("id", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct reg_source, id, NULL, "", NULL),
    OPT_STR("text", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct reg_source, text, NULL, "", NULL),
};

struct transition {
	char until[DATE_MAX];
	char applies_to[WWTP_REG_TEXT_MAX];
	char source[WWTP_ID_MAX];
	char confidence[16];
};

static const struct wwtp_opt transition_tab[] = {
    OPT_STR("until", WWTP_OPT_REQ, struct transition, until, DATE_CHARS, "", "\"YYYY-MM-DD\""),
    OPT_STR("applies_to", 0, struct transition, applies_to, NULL, "", NULL),
    OPT_STR("source", WWTP_OPT_REQ, struct transition, source, NULL, "", NULL),
    OPT_STR("confidence", WWTP_OPT_REQ, struct transition, confidence, NULL, "", NULL),
};

struct prow {
	int no;
	char param[WWTP_ID_MAX];
	char name_vi[WWTP_NAME_MAX];
	char name_en[WWTP_NAME_MAX];
	char unit[WWTP_UNIT_MAX];
	int apply_factors;
	char factors_source[WWTP_ID_MAX];
	char factors_confidence[16];
	int not_for_saline;
	char note[WWTP_REG_TEXT_MAX];
};

static const struct wwtp_opt prow_tab[] = {
    OPT_INT("no", 0, struct prow, no, 1, 999, 0),
    OPT_STR("param", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct prow, param, ID_CHARS, "",
	    "a canonical id: lower-case letters, digits and '_'"),
    OPT_STR("name_vi", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct prow, name_vi, NULL, "", NULL),
    OPT_STR("name_en", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct prow, name_en, NULL, "", NULL),
    OPT_STR("unit", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct prow, unit, NULL, "",
	    "the unit of the regulation's table, e.g. \"mg/L\""),
    OPT_BOOL("apply_factors", WWTP_OPT_REQ, struct prow, apply_factors, 1),
    OPT_STR("factors_source", 0, struct prow, factors_source, NULL, "", NULL),
    OPT_STR("factors_confidence", 0, struct prow, factors_confidence, NULL, "", NULL),
    OPT_BOOL("not_for_saline", 0, struct prow, not_for_saline, 0),
    OPT_STR("note", 0, struct prow, note, NULL, "", NULL),
};

struct pvalue {
	double min, max;
	char source[WWTP_ID_MAX];
	char confidence[16];
	char note[WWTP_REG_TEXT_MAX];
};

static const struct wwtp_opt pvalue_tab[] = {
    OPT_FLT("min", 0, struct pvalue, min, 0, VALUE_MAX, NAN),
    OPT_FLT("max", 0, struct pvalue, max, 0, VALUE_MAX, NAN),
    OPT_STR("source", 0, struct pvalue, source, NULL, "", NULL),
    OPT_STR("confidence", 0, struct pvalue, confidence, NULL, "", NULL),
    OPT_STR("note", 0, struct pvalue, note, NULL, "", NULL),
};

struct btable {
	char source[WWTP_ID_MAX];
	char confidence[16];
	double no_data;
	const config_setting_t *bands, *uses;
};

static const struct wwtp_opt kq_bands_tab[] = {
    OPT_STR("source", WWTP_OPT_REQ, struct btable, source, NULL, "", NULL),
    OPT_STR("confidence", WWTP_OPT_REQ, struct btable, confidence, NULL, "", NULL),
    OPT_FLT("no_data", 0, struct btable, no_data, FACTOR_MIN, FACTOR_MAX, NAN),
    OPT_SUB("bands", WWTP_OPT_LIST, WWTP_OPT_REQ, struct btable, bands, NULL),
};

static const struct wwtp_opt kf_bands_tab[] = {
    OPT_STR("source", WWTP_OPT_REQ, struct btable, source, NULL, "", NULL),
    OPT_STR("confidence", WWTP_OPT_REQ, struct btable, confidence, NULL, "", NULL),
    OPT_SUB("bands", WWTP_OPT_LIST, WWTP_OPT_REQ, struct btable, bands, NULL),
};

static const struct wwtp_opt sea_tab[] = {
    OPT_STR("source", WWTP_OPT_REQ, struct btable, source, NULL, "", NULL),
    OPT_STR("confidence", WWTP_OPT_REQ, struct btable, confidence, NULL, "", NULL),
    OPT_SUB("uses", WWTP_OPT_LIST, WWTP_OPT_REQ, struct btable, uses, NULL),
};

struct kqgrp {
	const config_setting_t *river, *lake, *sea;
};

static const struct wwtp_opt kq_tab[] = {
    OPT_SUB("river", WWTP_OPT_GROUP, 0, struct kqgrp, river, NULL),
    OPT_SUB("lake", WWTP_OPT_GROUP, 0, struct kqgrp, lake, NULL),
    OPT_SUB("sea", WWTP_OPT_GROUP, 0, struct kqgrp, sea, NULL),
};

struct band_in {
	double upto, factor;
};

static const struct wwtp_opt kq_band_tab[] = {
    OPT_FLT("upto", 0, struct band_in, upto, 0, 1e15, NAN),
    OPT_FLT("kq", WWTP_OPT_REQ, struct band_in, factor, FACTOR_MIN, FACTOR_MAX, NAN),
};

static const struct wwtp_opt kf_band_tab[] = {
    OPT_FLT("upto", 0, struct band_in, upto, 0, 1e15, NAN),
    OPT_FLT("kf", WWTP_OPT_REQ, struct band_in, factor, FACTOR_MIN, FACTOR_MAX, NAN),
};

static const struct wwtp_opt use_tab[] = {
    OPT_STR("use", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct reg_use, use, ID_CHARS, "", NULL),
    OPT_FLT("kq", WWTP_OPT_REQ, struct reg_use, kq, FACTOR_MIN, FACTOR_MAX, NAN),
    OPT_STR("description", 0, struct reg_use, description, NULL, "", NULL),
};

/* "YYYY-MM-DD" with a plausible month and day. */
static int valid_date(const char *s)
{
	int y, m, d, used = 0;
	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 || used != 10)
		return 0;
	return y >= 1990 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static void check_date(struct wwtp_cw *c, const config_setting_t *grp, const char *key,
		       const char *v)
{
	if (*v && !valid_date(v))
		wwtp_cw_problem(c, grp ? config_setting_get_member(grp, key) : NULL,
				"%s \"%s\" is not a date: use \"YYYY-MM-DD\"", key, v);
}

static const char *find_source(const struct wwtp_regulation *r, const char *id)
{
	for (size_t i = 0; i < r->nsources; i++)
		if (strcmp(r->sources[i].id, id) == 0)
			return r->sources[i].text;
	return NULL;
}

/* Resolves a source id given under `key` of grp; reports an unknown one. */
static const char *resolve_source(struct wwtp_cw *c, const struct wwtp_regulation *r,
				  const config_setting_t *grp, const char *key, const char *id)
{
	const char *t = find_source(r, id);
	if (t)
		return t;
	char ids[400];
	size_t used = 0;
	ids[0] = '\0';
	for (size_t i = 0; i < r->nsources; i++) {
		int w = snprintf(ids + used, sizeof(ids) - used, "%s%s", i ? ", " : "",
				 r->sources[i].id);
		if (w < 0 || (size_t)w >= sizeof(ids) - used)
			break;
		used += (size_t)w;
	}
	wwtp_cw_problem(c, config_setting_get_member(grp, key),
			"%s \"%.64s\" is not in regulation.sources (ids: %s)", key, id,
			used ? ids : "none");
	return "";
}

static char check_confidence(struct wwtp_cw *c, const config_setting_t *grp, const char *key,
			     const char *v)
{
	char k = wwtp_cw_confidence(v);
	if (!k)
		wwtp_cw_problem(c, config_setting_get_member(grp, key),
				"%s \"%.16s\" is not valid: use \"H\" (primary text), \"M\" "
				"(secondary source) or \"L\" (not found verbatim)",
				key, v);
	return k;
}

static void load_header(struct wwtp_cw *c, const config_setting_t *grp, struct wwtp_regulation *r)
{
	struct header h;
	memset(&h, 0, sizeof h);
	wwtp_cw_walk(c, grp, header_tab, NELEM(header_tab), &h, "regulation", NULL, NULL);

	memcpy(r->id, h.id, sizeof r->id);
	memcpy(r->code, h.code, sizeof r->code);
	memcpy(r->title_vi, h.title_vi, sizeof r->title_vi);
	memcpy(r->title_en, h.title_en, sizeof r->title_en);
	memcpy(r->issued_by, h.issued_by, sizeof r->issued_by);
	memcpy(r->in_force, h.in_force, sizeof r->in_force);
	check_date(c, grp, "issued", h.issued);
	check_date(c, grp, "in_force", h.in_force);

	/* Sources first: everything else refers to them. */
	int n = h.sources ? config_setting_length(h.sources) : 0;
	if (h.sources && n == 0)
		wwtp_cw_problem(c, h.sources, "regulation: sources is empty: name at least one");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(h.sources, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			wwtp_cw_problem(c, e,
					"regulation.sources[%d] must be a group { id; text; }", i);
			continue;
		}
		if (r->nsources >= SOURCES_MAX) {
			wwtp_cw_problem(c, e, "regulation: more than %d sources", SOURCES_MAX);
			break;
		}
		struct reg_source *s = &r->sources[r->nsources];
		char what[48];
		snprintf(what, sizeof what, "regulation.sources[%d]", i);
		wwtp_cw_walk(c, e, source_tab, NELEM(source_tab), s, what, NULL, NULL);
		if (!s->id[0])
			continue;
		if (find_source(r, s->id)) {
			wwtp_cw_problem(c, e, "regulation: source id \"%s\" is used twice", s->id);
			continue;
		}
		r->nsources++;
	}
	if (h.source[0])
		resolve_source(c, r, grp, "source", h.source);
	if (h.confidence[0])
		check_confidence(c, grp, "confidence", h.confidence);

	n = h.columns ? config_setting_length(h.columns) : 0;
	if (h.columns && (n < 1 || n > WWTP_REG_COLUMNS_MAX))
		wwtp_cw_problem(c, h.columns, "regulation: columns must have 1 to %d entries",
				WWTP_REG_COLUMNS_MAX);
	for (int i = 0; i < n && r->ncolumns < WWTP_REG_COLUMNS_MAX; i++) {
		const config_setting_t *e = config_setting_get_elem(h.columns, (unsigned)i);
		struct column_def cd;
		char what[48];
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			wwtp_cw_problem(
			    c, e, "regulation.columns[%d] must be a group { id; description; }", i);
			continue;
		}
		snprintf(what, sizeof what, "regulation.columns[%d]", i);
		wwtp_cw_walk(c, e, column_tab, NELEM(column_tab), &cd, what, NULL, NULL);
		if (!cd.id[0])
			continue;
		if (wwtp_regulation_column_index(r, cd.id) >= 0) {
			wwtp_cw_problem(c, e, "regulation: column \"%s\" is declared twice", cd.id);
			continue;
		}
		memcpy(r->columns[r->ncolumns++], cd.id, WWTP_REG_COLUMN_MAX);
	}

	if (h.replaces) {
		n = config_setting_length(h.replaces);
		for (int i = 0; i < n; i++) {
			const config_setting_t *e =
			    config_setting_get_elem(h.replaces, (unsigned)i);
			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				wwtp_cw_problem(c, e, "regulation.replaces must hold strings");
		}
	}
	if (h.transition) {
		struct transition t;
		wwtp_cw_walk(c, h.transition, transition_tab, NELEM(transition_tab), &t,
			     "regulation.transition", NULL, NULL);
		check_date(c, h.transition, "until", t.until);
		if (t.source[0])
			resolve_source(c, r, h.transition, "source", t.source);
		if (t.confidence[0])
			check_confidence(c, h.transition, "confidence", t.confidence);
	}
}

/* Column keys of a parameter row, claimed by the walker's extra callback. */
struct row_ctx {
	const struct wwtp_regulation *r;
	const config_setting_t *col[WWTP_REG_COLUMNS_MAX];
};

static int claim_column(void *ctx, const config_setting_t *m)
{
	struct row_ctx *rc = ctx;
	int i = wwtp_regulation_column_index(rc->r, config_setting_name(m));
	if (i < 0)
		return 0;
	rc->col[i] = m;
	return 1;
}

static void load_value(struct wwtp_cw *c, struct wwtp_regulation *r, const config_setting_t *s,
		       const char *what, struct wwtp_reg_value *v)
{
	struct pvalue pv;

	v->set = 0;
	v->min = v->max = NAN;
	v->confidence = '\0';
	v->source = "";
	v->line = (int)config_setting_source_line(s);
	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		wwtp_cw_problem(c, s,
				"%s must be a group { max = ...; source = ...; confidence = ...; }",
				what);
		return;
	}
	int before = c->errors;
	wwtp_cw_walk(c, s, pvalue_tab, NELEM(pvalue_tab), &pv, what, NULL, NULL);
	int has = isfinite(pv.min) || isfinite(pv.max);
	if (!has) {
		if (pv.source[0] || pv.confidence[0])
			wwtp_cw_problem(c, s,
					"%s has a source or confidence but no value: give max (or "
					"min and max), or leave the column out",
					what);
		return;
	}
	if (isfinite(pv.min) && !isfinite(pv.max))
		wwtp_cw_problem(c, s, "%s has min but no max: a range needs both bounds", what);
	if (isfinite(pv.min) && isfinite(pv.max) && pv.min > pv.max)
		wwtp_cw_problem(c, s, "%s: min %g is greater than max %g", what, pv.min, pv.max);
	if (!pv.source[0])
		wwtp_cw_problem(c, s, "%s: missing source (an id of regulation.sources)", what);
	else
		v->source = resolve_source(c, r, s, "source", pv.source);
	if (!pv.confidence[0])
		wwtp_cw_problem(c, s, "%s: missing confidence (\"H\", \"M\" or \"L\")", what);
	else
		v->confidence = check_confidence(c, s, "confidence", pv.confidence);
	if (c->errors != before)
		return;
	v->set = 1;
	v->min = pv.min;
	v->max = pv.max;
}

static void load_params(struct wwtp_cw *c, const config_setting_t *list, struct wwtp_regulation *r)
{
	int n = list ? config_setting_length(list) : 0;
	if (!list)
		return;
	if (n == 0 || n > PARAMS_MAX) {
		wwtp_cw_problem(c, list, "parameters must have 1 to %d entries", PARAMS_MAX);
		if (n == 0)
			return;
		n = PARAMS_MAX;
	}
	r->params = calloc((size_t)n, sizeof *r->params);
	if (!r->params) {
		wwtp_cw_problem(c, list, "out of memory");
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		struct row_ctx rc;
		struct prow pr;
		char what[96];

		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			wwtp_cw_problem(c, e, "parameters[%d] must be a group { param = ...; ... }",
					i);
			continue;
		}
		memset(&rc, 0, sizeof rc);
		rc.r = r;
		/* The id names the row in messages when it can be read. */
		const char *pid = NULL;
		const config_setting_t *ps = config_setting_get_member(e, "param");
		if (ps && config_setting_type(ps) == CONFIG_TYPE_STRING)
			pid = config_setting_get_string(ps);
		if (pid && *pid)
			snprintf(what, sizeof what, "parameter '%.48s'", pid);
		else
			snprintf(what, sizeof what, "parameters[%d]", i);
		int before = c->errors;
		wwtp_cw_walk(c, e, prow_tab, NELEM(prow_tab), &pr, what, claim_column, &rc);

		struct wwtp_reg_param *p = &r->params[r->nparams];
		memset(p, 0, sizeof *p);
		p->line = (int)config_setting_source_line(e);
		p->no = pr.no;
		memcpy(p->param, pr.param, sizeof p->param);
		memcpy(p->name_vi, pr.name_vi, sizeof p->name_vi);
		memcpy(p->name_en, pr.name_en, sizeof p->name_en);
		memcpy(p->unit, pr.unit, sizeof p->unit);
		memcpy(p->note, pr.note, sizeof p->note);
		p->apply_factors = pr.apply_factors;
		p->not_for_saline = pr.not_for_saline;
		p->factors_source = "";
		if (pr.factors_source[0])
			p->factors_source =
			    resolve_source(c, r, e, "factors_source", pr.factors_source);
		if (pr.factors_confidence[0])
			p->factors_confidence =
			    check_confidence(c, e, "factors_confidence", pr.factors_confidence);
		if (!pr.apply_factors && (!pr.factors_source[0] || !pr.factors_confidence[0]))
			wwtp_cw_problem(c, e,
					"%s: apply_factors = false needs factors_source and "
					"factors_confidence (where the exemption comes from)",
					what);
		for (size_t k = 0; k < r->ncolumns; k++) {
			p->values[k].min = p->values[k].max = NAN;
			p->values[k].source = "";
			if (rc.col[k]) {
				char vw[128];
				snprintf(vw, sizeof vw, "%s column %s", what, r->columns[k]);
				load_value(c, r, rc.col[k], vw, &p->values[k]);
			}
		}
		if (p->param[0] && wwtp_regulation_find_param(r, p->param)) {
			wwtp_cw_problem(c, e, "parameter '%s' is listed twice", p->param);
			continue;
		}
		for (size_t k = 0; p->no && k < r->nparams; k++)
			if (r->params[k].no == p->no)
				wwtp_cw_problem(c, e, "%s: row number %d is already used by '%s'",
						what, p->no, r->params[k].param);
		if (c->errors != before || !p->param[0])
			continue;
		r->nparams++;
	}
}

static void load_bands(struct wwtp_cw *c, struct wwtp_regulation *r, const config_setting_t *grp,
		       const char *what, int is_kf, struct reg_bands *out)
{
	struct btable bt;
	char w[64];

	memset(&bt, 0, sizeof bt);
	out->no_data = NAN;
	if (!grp)
		return;
	int before = c->errors;
	if (is_kf)
		wwtp_cw_walk(c, grp, kf_bands_tab, NELEM(kf_bands_tab), &bt, what, NULL, NULL);
	else
		wwtp_cw_walk(c, grp, kq_bands_tab, NELEM(kq_bands_tab), &bt, what, NULL, NULL);
	if (bt.source[0])
		out->source = resolve_source(c, r, grp, "source", bt.source);
	if (bt.confidence[0])
		out->confidence = check_confidence(c, grp, "confidence", bt.confidence);
	out->no_data = is_kf ? NAN : bt.no_data;
	int n = bt.bands ? config_setting_length(bt.bands) : 0;
	if (bt.bands && (n < 1 || n > BANDS_MAX)) {
		wwtp_cw_problem(c, bt.bands, "%s.bands must have 1 to %d entries", what, BANDS_MAX);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(bt.bands, (unsigned)i);
		struct band_in b;
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			wwtp_cw_problem(c, e,
					"%s.bands[%d] must be a group { upto = ...; %s = ...; }",
					what, i, is_kf ? "kf" : "kq");
			continue;
		}
		snprintf(w, sizeof w, "%s.bands[%d]", what, i);
		wwtp_cw_walk(c, e, is_kf ? kf_band_tab : kq_band_tab, 2, &b, w, NULL, NULL);
		int last = i == n - 1;
		if (!last && !isfinite(b.upto))
			wwtp_cw_problem(c, e, "%s: only the last band may leave out upto", w);
		if (last && isfinite(b.upto))
			wwtp_cw_problem(
			    c, e,
			    "%s: the last band must leave out upto (it covers everything "
			    "above the band before)",
			    w);
		if (i > 0 && isfinite(b.upto) && isfinite(out->b[i - 1].upto) &&
		    b.upto <= out->b[i - 1].upto)
			wwtp_cw_problem(c, e,
					"%s: upto %g must be greater than the band before (%g)", w,
					b.upto, out->b[i - 1].upto);
		out->b[i].upto = last ? INFINITY : b.upto;
		out->b[i].factor = b.factor;
	}
	out->n = (size_t)n;
	out->present = c->errors == before;
}

static void load_sea(struct wwtp_cw *c, struct wwtp_regulation *r, const config_setting_t *grp,
		     struct reg_sea *out)
{
	struct btable bt;
	if (!grp)
		return;
	int before = c->errors;
	wwtp_cw_walk(c, grp, sea_tab, NELEM(sea_tab), &bt, "kq.sea", NULL, NULL);
	if (bt.source[0])
		out->source = resolve_source(c, r, grp, "source", bt.source);
	if (bt.confidence[0])
		out->confidence = check_confidence(c, grp, "confidence", bt.confidence);
	int n = bt.uses ? config_setting_length(bt.uses) : 0;
	if (bt.uses && (n < 1 || n > USES_MAX)) {
		wwtp_cw_problem(c, bt.uses, "kq.sea.uses must have 1 to %d entries", USES_MAX);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(bt.uses, (unsigned)i);
		char w[48];
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			wwtp_cw_problem(c, e, "kq.sea.uses[%d] must be a group { use; kq; }", i);
			continue;
		}
		snprintf(w, sizeof w, "kq.sea.uses[%d]", i);
		struct reg_use *u = &out->u[out->n];
		wwtp_cw_walk(c, e, use_tab, NELEM(use_tab), u, w, NULL, NULL);
		for (size_t k = 0; k < out->n; k++)
			if (strcmp(out->u[k].use, u->use) == 0)
				wwtp_cw_problem(c, e, "%s: use \"%s\" is listed twice", w, u->use);
		out->n++;
	}
	out->present = c->errors == before;
}

int wwtp_regulation_load(const char *path, struct wwtp_diag *diag, struct wwtp_regulation **out)
{
	struct wwtp_cw c = {.diag = diag, .file = path, .errors = 0};
	config_t cfg;
	struct root root;
	struct kqgrp kq;

	*out = NULL;
	struct wwtp_regulation *r = calloc(1, sizeof *r);
	if (!r)
		return WWTP_ERR_NOMEM;
	if (wwtp_cw_copy(r->path, sizeof r->path, path) != 0) {
		wwtp_cw_problem(&c, NULL, "path is too long");
		free(r);
		return WWTP_ERR_CONFIG;
	}
	r->river.no_data = r->lake.no_data = r->kf.no_data = NAN;
	config_init(&cfg);
	if (wwtp_cw_read_file(&c, &cfg, path) != 0) {
		config_destroy(&cfg);
		free(r);
		return WWTP_ERR_CONFIG;
	}
	wwtp_cw_walk(&c, config_root_setting(&cfg), root_tab, NELEM(root_tab), &root, "", NULL,
		     NULL);
	if (root.regulation)
		load_header(&c, root.regulation, r);
	load_params(&c, root.parameters, r);
	wwtp_cw_walk(&c, root.kq, kq_tab, NELEM(kq_tab), &kq, "kq", NULL, NULL);
	load_bands(&c, r, kq.river, "kq.river", 0, &r->river);
	load_bands(&c, r, kq.lake, "kq.lake", 0, &r->lake);
	load_sea(&c, r, kq.sea, &r->sea);
	load_bands(&c, r, root.kf, "kf", 1, &r->kf);
	config_destroy(&cfg);

	if (c.errors) {
		wwtp_regulation_free(r);
		return WWTP_ERR_CONFIG;
	}
	*out = r;
	return 0;
}

void wwtp_regulation_free(struct wwtp_regulation *reg)
{
	if (!reg)
		return;
	free(reg->params);
	free(reg);
}

/* The regulation.id of a file, without checking the rest: "" if unreadable. */
static void peek_id(const char *path, char *id, size_t n)
{
	config_t cfg;
	const char *v = NULL;

	id[0] = '\0';
	config_init(&cfg);
	if (wwtp_conffile_check(path, NULL, NULL) == 0 &&
	    config_read_file(&cfg, path) == CONFIG_TRUE &&
	    config_lookup_string(&cfg, "regulation.id", &v) == CONFIG_TRUE && v)
		wwtp_cw_copy(id, n, v);
	config_destroy(&cfg);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int wwtp_regulation_find_file(const char *dir, const char *id, char *path, size_t n,
			      struct wwtp_diag *diag)
{
	char **names = NULL;
	size_t count = 0, cap = 0;
	int rc = WWTP_ERR_NOTFOUND, found = 0;
	char seen[512];
	size_t used = 0;

	if (!dir)
		dir = WWTP_LIMITS_DIR;
	DIR *d = opendir(dir);
	if (!d) {
		if (diag)
			wwtp_diag_add(diag, dir, 0, "cannot read the folder of limit tables: %s",
				      strerror(errno));
		return WWTP_ERR_CONFIG;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".cfg") != 0)
			continue;
		if (count == cap) {
			size_t nc = cap ? cap * 2 : 8;
			char **p = realloc(names, nc * sizeof *p);
			if (!p) {
				rc = WWTP_ERR_NOMEM;
				goto out;
			}
			names = p;
			cap = nc;
		}
		names[count] = strdup(de->d_name);
		if (!names[count]) {
			rc = WWTP_ERR_NOMEM;
			goto out;
		}
		count++;
	}
	if (count)
		qsort(names, count, sizeof *names, cmp_str);
	seen[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		char full[WWTP_PATH_MAX * 2], fid[WWTP_ID_MAX];
		int w = snprintf(full, sizeof full, "%s/%s", dir, names[i]);
		if (w < 0 || (size_t)w >= sizeof full)
			continue;
		peek_id(full, fid, sizeof fid);
		if (fid[0]) {
			int k = snprintf(seen + used, sizeof seen - used, "%s%s", used ? ", " : "",
					 fid);
			if (k > 0 && (size_t)k < sizeof seen - used)
				used += (size_t)k;
		}
		if (strcmp(fid, id) != 0)
			continue;
		if (found) {
			if (diag)
				wwtp_diag_add(
				    diag, full, 0,
				    "regulation id \"%s\" is also in %s: keep one file per id", id,
				    path);
			rc = WWTP_ERR_CONFIG;
			goto out;
		}
		if ((size_t)w >= n) {
			rc = WWTP_ERR_RANGE;
			goto out;
		}
		memcpy(path, full, (size_t)w + 1);
		found = 1;
		rc = 0;
	}
	if (!found && diag)
		wwtp_diag_add(diag, dir, 0,
			      "no limit table has regulation id \"%.64s\" (found: %s)", id,
			      used ? seen : "none");
out:
	closedir(d);
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return rc;
}

int wwtp_regulation_load_id(const char *dir, const char *id, struct wwtp_diag *diag,
			    struct wwtp_regulation **out)
{
	char path[WWTP_PATH_MAX * 2];
	*out = NULL;
	int rc = wwtp_regulation_find_file(dir, id, path, sizeof path, diag);
	if (rc)
		return rc;
	return wwtp_regulation_load(path, diag, out);
}

/* ---- accessors ---- */

const char *wwtp_regulation_id(const struct wwtp_regulation *reg)
{
	return reg->id;
}
const char *wwtp_regulation_code(const struct wwtp_regulation *reg)
{
	return reg->code;
}
const char *wwtp_regulation_title_vi(const struct wwtp_regulation *reg)
{
	return reg->title_vi;
}
const char *wwtp_regulation_title_en(const struct wwtp_regulation *reg)
{
	return reg->title_en;
}
const char *wwtp_regulation_issued_by(const struct wwtp_regulation *reg)
{
	return reg->issued_by;
}
const char *wwtp_regulation_in_force(const struct wwtp_regulation *reg)
{
	return reg->in_force;
}
const char *wwtp_regulation_path(const struct wwtp_regulation *reg)
{
	return reg->path;
}
size_t wwtp_regulation_ncolumns(const struct wwtp_regulation *reg)
{
	return reg->ncolumns;
}
size_t wwtp_regulation_nparams(const struct wwtp_regulation *reg)
{
	return reg->nparams;
}

const char *wwtp_regulation_column(const struct wwtp_regulation *reg, size_t i)
{
	return i < reg->ncolumns ? reg->columns[i] : NULL;
}

int wwtp_regulation_column_index(const struct wwtp_regulation *reg, const char *column)
{
	for (size_t i = 0; column && i < reg->ncolumns; i++)
		if (strcmp(reg->columns[i], column) == 0)
			return (int)i;
	return -1;
}

const struct wwtp_reg_param *wwtp_regulation_param(const struct wwtp_regulation *reg, size_t i)
{
	return i < reg->nparams ? &reg->params[i] : NULL;
}

const struct wwtp_reg_param *wwtp_regulation_find_param(const struct wwtp_regulation *reg,
							const char *param)
{
	for (size_t i = 0; param && i < reg->nparams; i++)
		if (strcmp(reg->params[i].param, param) == 0)
			return &reg->params[i];
	return NULL;
}

const struct wwtp_reg_value *wwtp_regulation_value(const struct wwtp_regulation *reg,
						   const struct wwtp_reg_param *p,
						   const char *column)
{
	int i = wwtp_regulation_column_index(reg, column);
	return (i >= 0 && p) ? &p->values[i] : NULL;
}

/* ---- factor tables ---- */

static int band_lookup(const struct reg_bands *t, double x, double *f)
{
	if (!t->present)
		return WWTP_ERR_NOTFOUND;
	if (isnan(x)) {
		if (isnan(t->no_data))
			return WWTP_ERR_INVAL;
		*f = t->no_data;
		return 0;
	}
	if (!isfinite(x) || x < 0)
		return WWTP_ERR_INVAL;
	for (size_t i = 0; i < t->n; i++) {
		if (x <= t->b[i].upto) {
			*f = t->b[i].factor;
			return 0;
		}
	}
	return WWTP_ERR_INVAL; /* unreachable: the last band is open */
}

int wwtp_regulation_kq_river(const struct wwtp_regulation *reg, double q_m3s, double *kq)
{
	return band_lookup(&reg->river, q_m3s, kq);
}

int wwtp_regulation_kq_lake(const struct wwtp_regulation *reg, double v_m3, double *kq)
{
	return band_lookup(&reg->lake, v_m3, kq);
}

int wwtp_regulation_kq_sea(const struct wwtp_regulation *reg, const char *use, double *kq)
{
	if (!reg->sea.present)
		return WWTP_ERR_NOTFOUND;
	for (size_t i = 0; use && i < reg->sea.n; i++) {
		if (strcmp(reg->sea.u[i].use, use) == 0) {
			*kq = reg->sea.u[i].kq;
			return 0;
		}
	}
	return WWTP_ERR_NOTFOUND;
}

int wwtp_regulation_kf(const struct wwtp_regulation *reg, double f_m3d, double *kf)
{
	if (!reg->kf.present)
		return WWTP_ERR_NOTFOUND;
	if (isnan(f_m3d))
		return WWTP_ERR_INVAL; /* Kf has no "no data" value: F is the plant's own */
	return band_lookup(&reg->kf, f_m3d, kf);
}

/* ---- station spec ---- */

void wwtp_limits_spec_init(struct wwtp_limits_spec *spec)
{
	memset(spec, 0, sizeof *spec);
	spec->kq = spec->kf = NAN;
	spec->flow_m3s = spec->volume_m3 = spec->design_flow_m3d = NAN;
	spec->saline = -1;
}

struct spec_in {
	char regulation[WWTP_ID_MAX];
	char column[WWTP_REG_COLUMN_MAX];
	double kq, kf;
	char water[16];
	double flow_m3s, volume_m3;
	char sea_use[WWTP_ID_MAX];
	int saline;
	double design_flow_m3d;
	const config_setting_t *overrides;
};

static const struct wwtp_opt spec_tab[] = {
    OPT_STR("regulation", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct spec_in, regulation,
	    REG_ID_CHARS, "", "the id of a table in config/limits, e.g. \"QCVN40:2011\""),
    OPT_STR("column", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct spec_in, column, COLUMN_CHARS, "",
	    "the column the permit names, e.g. \"B\""),
    OPT_FLT("kq", 0, struct spec_in, kq, FACTOR_MIN, FACTOR_MAX, NAN),
    OPT_FLT("kf", 0, struct spec_in, kf, FACTOR_MIN, FACTOR_MAX, NAN),
    OPT_STR("water", 0, struct spec_in, water, NULL, "", "\"river\", \"lake\" or \"sea\""),
    OPT_FLT("flow_m3s", 0, struct spec_in, flow_m3s, 0, 1e7, NAN),
    OPT_FLT("volume_m3", 0, struct spec_in, volume_m3, 0, 1e15, NAN),
    OPT_STR("sea_use", 0, struct spec_in, sea_use, ID_CHARS, "", "\"protected\" or \"other\""),
    OPT_BOOL("saline", 0, struct spec_in, saline, -1),
    OPT_FLT("design_flow_m3d", 0, struct spec_in, design_flow_m3d, 0, 1e8, NAN),
    OPT_SUB("overrides", WWTP_OPT_LIST, 0, struct spec_in, overrides, NULL),
};

struct override_in {
	char param[WWTP_ID_MAX];
	double min, max;
	char unit[WWTP_UNIT_MAX];
	char source[WWTP_REG_TEXT_MAX];
};

static const struct wwtp_opt override_tab[] = {
    OPT_STR("param", WWTP_OPT_REQ | WWTP_OPT_NONEMPTY, struct override_in, param, ID_CHARS, "",
	    "a parameter id, e.g. \"cod\""),
    OPT_FLT("min", 0, struct override_in, min, -VALUE_MAX, VALUE_MAX, NAN),
    OPT_FLT("max", 0, struct override_in, max, -VALUE_MAX, VALUE_MAX, NAN),
    OPT_STR("unit", 0, struct override_in, unit, NULL, "", NULL),
    OPT_STR("source", 0, struct override_in, source, NULL, "", NULL),
};

static int parse_water(const char *s, enum wwtp_water_kind *w)
{
	if (!*s)
		*w = WWTP_WATER_NONE;
	else if (strcmp(s, "river") == 0)
		*w = WWTP_WATER_RIVER;
	else if (strcmp(s, "lake") == 0)
		*w = WWTP_WATER_LAKE;
	else if (strcmp(s, "sea") == 0)
		*w = WWTP_WATER_SEA;
	else
		return -1;
	return 0;
}

int wwtp_limits_spec_parse(const config_setting_t *limits_group, const char *file,
			   struct wwtp_limits_spec *out, struct wwtp_diag *diag)
{
	struct wwtp_cw c = {.diag = diag, .file = file ? file : "limits", .errors = 0};
	struct spec_in in;

	wwtp_limits_spec_init(out);
	if (!limits_group)
		return 0;
	const char *src = config_setting_source_file(limits_group);
	wwtp_cw_copy(out->file, sizeof out->file, src ? src : c.file);
	out->line = (int)config_setting_source_line(limits_group);
	if (config_setting_type(limits_group) != CONFIG_TYPE_GROUP) {
		wwtp_cw_problem(&c, limits_group,
				"limits must be a group { regulation; column; ... }");
		return WWTP_ERR_CONFIG;
	}
	out->present = 1;
	uint64_t seen =
	    wwtp_cw_walk(&c, limits_group, spec_tab, NELEM(spec_tab), &in, "limits", NULL, NULL);
#define HAS(k) ((seen & wwtp_cw_bit(spec_tab, NELEM(spec_tab), k)) != 0)
#define AT(k) config_setting_get_member(limits_group, k)
	memcpy(out->regulation, in.regulation, sizeof out->regulation);
	memcpy(out->column, in.column, sizeof out->column);
	out->kq = in.kq;
	out->kf = in.kf;
	out->flow_m3s = in.flow_m3s;
	out->volume_m3 = in.volume_m3;
	out->design_flow_m3d = in.design_flow_m3d;
	out->saline = in.saline;
	memcpy(out->sea_use, in.sea_use, sizeof out->sea_use);
	if (parse_water(in.water, &out->water) != 0)
		wwtp_cw_problem(
		    &c, AT("water"),
		    "limits: water \"%.32s\" is not valid: use \"river\" (river, stream, "
		    "canal), \"lake\" (lake, pond) or \"sea\" (coastal sea)",
		    in.water);

	/* Kq comes either from the permit or from the facts, never both: two
	 * sources for one number would leave the reader guessing which won. */
	if (HAS("kq") && HAS("water"))
		wwtp_cw_problem(&c, AT("kq"),
				"limits: give either kq or the receiving water (water and its "
				"flow, volume or use), not both");
	if (HAS("kf") && HAS("design_flow_m3d"))
		wwtp_cw_problem(&c, AT("kf"),
				"limits: give either kf or design_flow_m3d, not both");
	if (HAS("flow_m3s") && out->water != WWTP_WATER_RIVER)
		wwtp_cw_problem(&c, AT("flow_m3s"), "limits: flow_m3s needs water = \"river\"");
	if (HAS("volume_m3") && out->water != WWTP_WATER_LAKE)
		wwtp_cw_problem(&c, AT("volume_m3"), "limits: volume_m3 needs water = \"lake\"");
	if (HAS("sea_use") && out->water != WWTP_WATER_SEA)
		wwtp_cw_problem(&c, AT("sea_use"), "limits: sea_use needs water = \"sea\"");
	if (out->water == WWTP_WATER_SEA && !out->sea_use[0])
		wwtp_cw_problem(&c, AT("water"),
				"limits: water = \"sea\" needs sea_use (\"protected\": used for "
				"aquatic life, sport or recreation; \"other\")");

	int n = in.overrides ? config_setting_length(in.overrides) : 0;
	if (n > WWTP_LIMITS_OVERRIDES_MAX) {
		wwtp_cw_problem(&c, in.overrides, "limits: more than %d overrides",
				WWTP_LIMITS_OVERRIDES_MAX);
		n = WWTP_LIMITS_OVERRIDES_MAX;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(in.overrides, (unsigned)i);
		struct override_in oi;
		char what[48];
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			wwtp_cw_problem(&c, e,
					"limits.overrides[%d] must be a group { param; max; }", i);
			continue;
		}
		snprintf(what, sizeof what, "limits.overrides[%d]", i);
		int before = c.errors;
		wwtp_cw_walk(&c, e, override_tab, NELEM(override_tab), &oi, what, NULL, NULL);
		if (!isfinite(oi.min) && !isfinite(oi.max))
			wwtp_cw_problem(&c, e, "%s: give max, min, or both", what);
		if (isfinite(oi.min) && isfinite(oi.max) && oi.min > oi.max)
			wwtp_cw_problem(&c, e, "%s: min %g is greater than max %g", what, oi.min,
					oi.max);
		for (size_t k = 0; k < out->noverrides; k++)
			if (strcmp(out->overrides[k].param, oi.param) == 0)
				wwtp_cw_problem(&c, e, "%s: parameter '%s' is overridden twice",
						what, oi.param);
		if (c.errors != before)
			continue;
		struct wwtp_limit_override *o = &out->overrides[out->noverrides++];
		memcpy(o->param, oi.param, sizeof o->param);
		memcpy(o->unit, oi.unit, sizeof o->unit);
		memcpy(o->source, oi.source, sizeof o->source);
		o->min = oi.min;
		o->max = oi.max;
		o->line = (int)config_setting_source_line(e);
	}
#undef HAS
#undef AT
	return c.errors ? WWTP_ERR_CONFIG : 0;
}

/* ---- effective limits ---- */

static void spec_problem(struct wwtp_cw *c, const struct wwtp_limits_spec *spec, int line,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void spec_problem(struct wwtp_cw *c, const struct wwtp_limits_spec *spec, int line,
			 const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->errors++;
	if (c->diag)
		wwtp_diag_add(c->diag, spec->file[0] ? spec->file : "limits",
			      line > 0 ? line : spec->line, "%s", msg);
}

static const struct wwtp_limit_override *find_override(const struct wwtp_limits_spec *spec,
						       const char *param)
{
	for (size_t i = 0; i < spec->noverrides; i++)
		if (strcmp(spec->overrides[i].param, param) == 0)
			return &spec->overrides[i];
	return NULL;
}

/* Bounded formatting into a fixed field: the texts are ours and short; a
 * cut one is still readable. */
static void fmt_into(char *dst, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fmt_into(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, n, fmt, ap);
	va_end(ap);
}

static void compute_kq(struct wwtp_cw *c, const struct wwtp_regulation *reg,
		       const struct wwtp_limits_spec *spec, struct wwtp_limits_table *t)
{
	const char *rid = reg->id;
	int rc;

	if (isfinite(spec->kq)) {
		t->kq = spec->kq;
		fmt_into(t->kq_basis, sizeof t->kq_basis, "given in the station file (permit)");
		return;
	}
	switch (spec->water) {
	case WWTP_WATER_NONE:
		if (reg->river.present || reg->lake.present || reg->sea.present) {
			spec_problem(
			    c, spec, 0,
			    "limits: Kq unknown: give kq (from the permit), or the receiving "
			    "water: water = \"river\" (with flow_m3s), \"lake\" (with "
			    "volume_m3) or \"sea\" (with sea_use)");
			return;
		}
		t->kq = 1.0;
		fmt_into(t->kq_basis, sizeof t->kq_basis,
			 "%s has no Kq table (give kq if the permit names one)", rid);
		return;
	case WWTP_WATER_RIVER:
		rc = wwtp_regulation_kq_river(reg, spec->flow_m3s, &t->kq);
		if (rc == 0 && isnan(spec->flow_m3s))
			fmt_into(t->kq_basis, sizeof t->kq_basis,
				 "river, no flow data (%s Kq table, %c: %s)", rid,
				 reg->river.confidence, reg->river.source);
		else if (rc == 0)
			fmt_into(t->kq_basis, sizeof t->kq_basis,
				 "river, Q = %g m3/s (%s Kq table, %c: %s)", spec->flow_m3s, rid,
				 reg->river.confidence, reg->river.source);
		break;
	case WWTP_WATER_LAKE:
		rc = wwtp_regulation_kq_lake(reg, spec->volume_m3, &t->kq);
		if (rc == 0 && isnan(spec->volume_m3))
			fmt_into(t->kq_basis, sizeof t->kq_basis,
				 "lake, no volume data (%s Kq table, %c: %s)", rid,
				 reg->lake.confidence, reg->lake.source);
		else if (rc == 0)
			fmt_into(t->kq_basis, sizeof t->kq_basis,
				 "lake, V = %g m3 (%s Kq table, %c: %s)", spec->volume_m3, rid,
				 reg->lake.confidence, reg->lake.source);
		break;
	case WWTP_WATER_SEA:
		rc = wwtp_regulation_kq_sea(reg, spec->sea_use, &t->kq);
		if (rc == 0)
			fmt_into(t->kq_basis, sizeof t->kq_basis,
				 "coastal sea, use \"%s\" (%s Kq table, %c: %s)", spec->sea_use,
				 rid, reg->sea.confidence, reg->sea.source);
		else if (reg->sea.present) {
			char uses[200];
			size_t used = 0;
			uses[0] = '\0';
			for (size_t i = 0; i < reg->sea.n; i++) {
				int w = snprintf(uses + used, sizeof uses - used, "%s\"%s\"",
						 i ? ", " : "", reg->sea.u[i].use);
				if (w < 0 || (size_t)w >= sizeof uses - used)
					break;
				used += (size_t)w;
			}
			spec_problem(c, spec, 0,
				     "limits: sea_use \"%s\" is not in %s's table (uses: %s)",
				     spec->sea_use, rid, uses);
			return;
		}
		break;
	default:
		rc = WWTP_ERR_INVAL;
		break;
	}
	if (rc == WWTP_ERR_NOTFOUND)
		spec_problem(
		    c, spec, 0,
		    "limits: %s has no Kq table for this receiving water: give kq from the "
		    "permit instead",
		    rid);
	else if (rc)
		spec_problem(c, spec, 0, "limits: cannot compute Kq from the receiving water");
}

static void compute_kf(struct wwtp_cw *c, const struct wwtp_regulation *reg,
		       const struct wwtp_limits_spec *spec, struct wwtp_limits_table *t)
{
	if (isfinite(spec->kf)) {
		t->kf = spec->kf;
		fmt_into(t->kf_basis, sizeof t->kf_basis, "given in the station file (permit)");
		return;
	}
	if (!reg->kf.present) {
		t->kf = 1.0;
		fmt_into(t->kf_basis, sizeof t->kf_basis,
			 "%s has no Kf table (give kf if the permit names one)", reg->id);
		return;
	}
	if (!isfinite(spec->design_flow_m3d) || spec->design_flow_m3d <= 0) {
		spec_problem(
		    c, spec, 0,
		    "limits: Kf unknown: give kf (from the permit) or design_flow_m3d (the "
		    "plant's design effluent flow, m3/day)");
		return;
	}
	if (wwtp_regulation_kf(reg, spec->design_flow_m3d, &t->kf) != 0) {
		spec_problem(c, spec, 0, "limits: cannot compute Kf from design_flow_m3d");
		return;
	}
	fmt_into(t->kf_basis, sizeof t->kf_basis, "F = %g m3/24h (%s Kf table, %c: %s)",
		 spec->design_flow_m3d, reg->id, reg->kf.confidence, reg->kf.source);
}

static void fill_row(const struct wwtp_regulation *reg, const struct wwtp_limits_spec *spec,
		     const struct wwtp_limits_table *t, const struct wwtp_reg_param *p, int col,
		     int saline, struct wwtp_limit *row)
{
	const struct wwtp_reg_value *v = &p->values[col];
	const char *rid = reg->id;

	memcpy(row->param, p->param, sizeof row->param);
	memcpy(row->unit, p->unit, sizeof row->unit);
	row->no = p->no;
	row->kq = row->kf = 1.0;
	row->c_min = row->c_max = row->cmax_min = row->cmax_max = NAN;

	if (p->not_for_saline && saline) {
		fmt_into(row->source, sizeof row->source,
			 "not applied: saline or brackish receiving water (%s)", rid);
	} else if (v->set) {
		row->c_min = v->min;
		row->c_max = v->max;
		row->confidence = v->confidence;
		/* Factors scale an upper limit only: a range (pH) or a lower bound
		 * is a property of the water, not of a load the river can dilute. */
		int range = isfinite(v->min);
		if (p->apply_factors && !range && isfinite(v->max)) {
			row->kq = t->kq;
			row->kf = t->kf;
			row->factors_applied = 1;
			row->cmax_max = v->max * t->kq * t->kf;
			fmt_into(row->source, sizeof row->source, "%s %s (%c)", rid, spec->column,
				 v->confidence);
		} else {
			row->cmax_min = v->min;
			row->cmax_max = v->max;
			if (!p->apply_factors)
				fmt_into(row->source, sizeof row->source,
					 "%s %s (%c); no Kq/Kf for this parameter (%c)", rid,
					 spec->column, v->confidence,
					 p->factors_confidence ? p->factors_confidence : '?');
			else
				fmt_into(row->source, sizeof row->source,
					 "%s %s (%c); range: no Kq/Kf", rid, spec->column,
					 v->confidence);
		}
	} else {
		fmt_into(row->source, sizeof row->source, "%s", NOT_SET);
	}

	const struct wwtp_limit_override *o = find_override(spec, p->param);
	if (o) {
		if (isfinite(o->max)) {
			row->cmax_max = o->max;
			row->factors_applied = 0;
			row->kq = row->kf = 1.0;
		}
		if (isfinite(o->min))
			row->cmax_min = o->min;
		row->overridden = 1;
		row->confidence = '\0';
		fmt_into(row->source, sizeof row->source, "permit override: %s",
			 o->source[0] ? o->source : "(no source given)");
	}
	row->has_limit = isfinite(row->cmax_min) || isfinite(row->cmax_max);
	row->is_range = isfinite(row->cmax_min);
}

int wwtp_limits_effective(const struct wwtp_regulation *reg, const struct wwtp_limits_spec *spec,
			  struct wwtp_limits_table **out, struct wwtp_diag *diag)
{
	struct wwtp_cw c = {.diag = diag, .file = spec ? spec->file : "limits", .errors = 0};

	if (!out)
		return WWTP_ERR_INVAL;
	*out = NULL;
	if (!reg || !spec)
		return WWTP_ERR_INVAL;
	if (!spec->present)
		return WWTP_ERR_NOTFOUND;
	if (strcmp(spec->regulation, reg->id) != 0) {
		spec_problem(&c, spec, 0,
			     "limits: regulation \"%s\" was asked for, but %s holds \"%s\"",
			     spec->regulation, reg->path, reg->id);
		return WWTP_ERR_CONFIG;
	}
	int col = wwtp_regulation_column_index(reg, spec->column);
	if (col < 0) {
		char cols[64];
		size_t used = 0;
		cols[0] = '\0';
		for (size_t i = 0; i < reg->ncolumns; i++) {
			int w = snprintf(cols + used, sizeof cols - used, "%s\"%s\"", i ? ", " : "",
					 reg->columns[i]);
			if (w < 0 || (size_t)w >= sizeof cols - used)
				break;
			used += (size_t)w;
		}
		spec_problem(&c, spec, 0, "limits: %s has no column \"%s\" (columns: %s)", reg->id,
			     spec->column, cols);
		return WWTP_ERR_CONFIG;
	}

	struct wwtp_limits_table *t = calloc(1, sizeof *t);
	if (!t)
		return WWTP_ERR_NOMEM;
	memcpy(t->regulation, reg->id, sizeof t->regulation);
	memcpy(t->column, spec->column, sizeof t->column);
	t->kq = t->kf = NAN;
	compute_kq(&c, reg, spec, t);
	compute_kf(&c, reg, spec, t);

	/* Overrides of parameters the regulation does not list become extra
	 * rows; they need a unit so that readings can be matched to them. */
	size_t extra = 0;
	for (size_t i = 0; i < spec->noverrides; i++) {
		const struct wwtp_limit_override *o = &spec->overrides[i];
		const struct wwtp_reg_param *p = wwtp_regulation_find_param(reg, o->param);
		if (!p) {
			extra++;
			if (!o->unit[0])
				spec_problem(
				    &c, spec, o->line,
				    "limits: override of '%s', which %s does not list: give "
				    "its unit",
				    o->param, reg->id);
		} else if (o->unit[0] && strcmp(o->unit, p->unit) != 0) {
			spec_problem(
			    &c, spec, o->line,
			    "limits: override of '%s' in \"%s\", but %s uses \"%s\": convert "
			    "the value to %s",
			    o->param, o->unit, reg->id, p->unit, p->unit);
		}
	}
	if (c.errors) {
		free(t);
		return WWTP_ERR_CONFIG;
	}

	t->rows = calloc(reg->nparams + extra, sizeof *t->rows);
	if (!t->rows && reg->nparams + extra > 0) {
		free(t);
		return WWTP_ERR_NOMEM;
	}
	int saline = spec->saline >= 0 ? spec->saline : spec->water == WWTP_WATER_SEA;
	for (size_t i = 0; i < reg->nparams; i++)
		fill_row(reg, spec, t, &reg->params[i], col, saline, &t->rows[t->n++]);
	for (size_t i = 0; i < spec->noverrides; i++) {
		const struct wwtp_limit_override *o = &spec->overrides[i];
		if (wwtp_regulation_find_param(reg, o->param))
			continue;
		struct wwtp_limit *row = &t->rows[t->n++];
		memcpy(row->param, o->param, sizeof row->param);
		memcpy(row->unit, o->unit, sizeof row->unit);
		row->kq = row->kf = 1.0;
		row->c_min = row->c_max = NAN;
		row->cmax_min = o->min;
		row->cmax_max = o->max;
		row->overridden = 1;
		row->has_limit = 1;
		row->is_range = isfinite(o->min);
		fmt_into(row->source, sizeof row->source, "permit override: %s",
			 o->source[0] ? o->source : "(no source given)");
	}
	*out = t;
	return 0;
}

void wwtp_limits_table_free(struct wwtp_limits_table *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t);
}

const struct wwtp_limit *wwtp_limits_find(const struct wwtp_limits_table *t, const char *param)
{
	for (size_t i = 0; t && param && i < t->n; i++)
		if (strcmp(t->rows[i].param, param) == 0)
			return &t->rows[i];
	return NULL;
}

/* ---- the --limits table ---- */

enum { COL_PARAM, COL_UNIT, COL_C, COL_KQ, COL_KF, COL_CMAX, COL_SOURCE, NCOLS };
#define CELL_MAX WWTP_LIMIT_SOURCE_MAX

/* Display width of UTF-8 text: one column per code point, which is right
 * for the Latin, Vietnamese and Greek letters of the tables. */
static size_t width(const char *s)
{
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			w++;
	return w;
}

static void fmt_bounds(char *dst, size_t n, double lo, double hi)
{
	if (isfinite(lo) && isfinite(hi))
		snprintf(dst, n, "%.6g-%.6g", lo, hi);
	else if (isfinite(hi))
		snprintf(dst, n, "%.6g", hi);
	else if (isfinite(lo))
		snprintf(dst, n, ">=%.6g", lo);
	else
		snprintf(dst, n, "-");
}

static void cells_of(const struct wwtp_limits_table *t, size_t i, char cell[NCOLS][CELL_MAX])
{
	static const char *const head[NCOLS] = {"parameter", "unit", "C",     "Kq",
						"Kf",	     "Cmax", "source"};
	if (i == 0) {
		for (int k = 0; k < NCOLS; k++)
			snprintf(cell[k], CELL_MAX, "%s", head[k]);
		return;
	}
	const struct wwtp_limit *r = &t->rows[i - 1];
	snprintf(cell[COL_PARAM], CELL_MAX, "%s", r->param);
	snprintf(cell[COL_UNIT], CELL_MAX, "%s", r->unit[0] ? r->unit : "-");
	fmt_bounds(cell[COL_C], CELL_MAX, r->c_min, r->c_max);
	if (r->factors_applied) {
		snprintf(cell[COL_KQ], CELL_MAX, "%.4g", r->kq);
		snprintf(cell[COL_KF], CELL_MAX, "%.4g", r->kf);
	} else {
		snprintf(cell[COL_KQ], CELL_MAX, "-");
		snprintf(cell[COL_KF], CELL_MAX, "-");
	}
	if (r->has_limit)
		fmt_bounds(cell[COL_CMAX], CELL_MAX, r->cmax_min, r->cmax_max);
	else
		snprintf(cell[COL_CMAX], CELL_MAX, "not judged");
	snprintf(cell[COL_SOURCE], CELL_MAX, "%s", r->source);
}

int wwtp_limits_format(const struct wwtp_limits_table *t, struct wwtp_buf *out)
{
	char cell[NCOLS][CELL_MAX];
	size_t w[NCOLS] = {0};
	int rc;

	rc = wwtp_buf_printf(out,
			     "Effective limits: %s column %s\n"
			     "Kq = %.4g: %s\n"
			     "Kf = %.4g: %s\n"
			     "Cmax = C x Kq x Kf; Kq/Kf \"-\": not applied (exempt parameter, "
			     "range, or permit value)\n\n",
			     t->regulation, t->column, t->kq, t->kq_basis, t->kf, t->kf_basis);
	if (rc)
		return rc;
	for (size_t i = 0; i <= t->n; i++) {
		cells_of(t, i, cell);
		for (int k = 0; k < NCOLS; k++)
			if (width(cell[k]) > w[k])
				w[k] = width(cell[k]);
	}
	for (size_t i = 0; i <= t->n; i++) {
		cells_of(t, i, cell);
		for (int k = 0; k < NCOLS && rc == 0; k++) {
			rc = wwtp_buf_adds(out, cell[k]);
			if (k == NCOLS - 1)
				break;
			for (size_t pad = width(cell[k]); rc == 0 && pad < w[k] + 2; pad++)
				rc = wwtp_buf_add(out, " ", 1);
		}
		if (rc == 0)
			rc = wwtp_buf_add(out, "\n", 1);
		if (rc)
			return rc;
	}
	return 0;
}
