/* fuzz_limits.c - the regulation file loader (compliance/limits.c,
 * wwtp_regulation_load) on any bytes, and, for a file it accepts, every use
 * the collector makes of it: the accessors, the factor tables (Kq for a
 * river, a lake, the sea; Kf), the effective limits of a station for each
 * column, with and without factors and a permit override, and the
 * `--limits` table.
 *
 * Promises checked: a refusal leaves a message and no regulation; values
 * have min <= max and a confidence when set; factors found are finite and
 * positive; effective limits of a column the file has are computed or
 * refused with a message. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../compliance/limits.h"
#include "../../util/buf.h"
#include "../../util/diag.h"
#include "../../util/err.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_factor(int rc, double k)
{
	FUZZ_ASSERT(rc == 0 || rc == WWTP_ERR_NOTFOUND || rc == WWTP_ERR_INVAL);
	if (rc == 0)
		FUZZ_ASSERT(isfinite(k) && k > 0.0);
}

static void factors(const struct wwtp_regulation *reg)
{
	/* Band edges of the shipped tables, values between, zero, huge, and
	 * the "no data" and refused values. */
	static const double q[] = {0.0, 50.0, 50.0001, 200.0, 500.0, 1e300, NAN, -1.0, INFINITY};
	static const double f[] = {0.0, 50.0, 500.0, 5000.0, 5000.5, 1e300, -1.0, NAN};
	double k = 0.0;

	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		check_factor(wwtp_regulation_kq_river(reg, q[i], &k), k);
		check_factor(wwtp_regulation_kq_lake(reg, q[i] * 1e6, &k), k);
	}
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		check_factor(wwtp_regulation_kf(reg, f[i], &k), k);
	check_factor(wwtp_regulation_kq_sea(reg, "protected", &k), k);
	check_factor(wwtp_regulation_kq_sea(reg, "other", &k), k);
	check_factor(wwtp_regulation_kq_sea(reg, "", &k), k);
}

/* The limits of a station on column `col`, in a few shapes of spec. */
static void effective(const struct wwtp_regulation *reg, const char *col, int shape)
{
	struct wwtp_limits_spec spec;
	struct wwtp_limits_table *t = NULL;
	struct wwtp_diag *diag = wwtp_diag_new();
	FUZZ_ASSERT(diag != NULL);

	wwtp_limits_spec_init(&spec);
	spec.present = 1;
	snprintf(spec.regulation, sizeof(spec.regulation), "%s", wwtp_regulation_id(reg));
	snprintf(spec.column, sizeof(spec.column), "%s", col);
	snprintf(spec.file, sizeof(spec.file), "station.cfg");
	spec.line = 1;
	switch (shape) {
	case 0: /* factors given */
		spec.kq = 0.9;
		spec.kf = 1.1;
		break;
	case 1: /* factors from the facts */
		spec.water = WWTP_WATER_RIVER;
		spec.flow_m3s = 120.0;
		spec.design_flow_m3d = 2500.0;
		spec.saline = 1;
		break;
	case 2:
		spec.water = WWTP_WATER_LAKE;
		spec.volume_m3 = NAN;
		spec.design_flow_m3d = 0.0;
		break;
	default: /* the sea, and permit overrides of a known and an unknown row */
		spec.water = WWTP_WATER_SEA;
		snprintf(spec.sea_use, sizeof(spec.sea_use), "other");
		spec.design_flow_m3d = 40000.0;
		spec.noverrides = 2;
		for (size_t i = 0; i < 2; i++) {
			struct wwtp_limit_override *o = &spec.overrides[i];
			const struct wwtp_reg_param *p = wwtp_regulation_param(reg, 0);
			snprintf(o->param, sizeof(o->param), "%s", i == 0 && p ? p->param : "zz");
			o->min = NAN;
			o->max = 10.0 * (double)(i + 1);
			o->line = 2;
		}
		break;
	}
	size_t before = wwtp_diag_count(diag);
	int rc = wwtp_limits_effective(reg, &spec, &t, diag);
	FUZZ_ASSERT(rc == 0 || rc == WWTP_ERR_CONFIG);
	if (rc != 0) {
		FUZZ_ASSERT(t == NULL && wwtp_diag_count(diag) > before);
	} else {
		struct wwtp_buf b;
		for (size_t i = 0; i < t->n; i++) {
			const struct wwtp_limit *l = &t->rows[i];
			if (l->has_limit)
				FUZZ_ASSERT(!isnan(l->cmax_max) || !isnan(l->cmax_min));
			FUZZ_ASSERT(wwtp_limits_find(t, l->param) != NULL);
		}
		wwtp_buf_init(&b, 1 << 20);
		FUZZ_ASSERT(wwtp_limits_format(t, &b) == 0);
		wwtp_buf_free(&b);
	}
	wwtp_limits_table_free(t);
	wwtp_diag_free(diag);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wwtp_regulation *reg = NULL;
	struct wwtp_diag *diag;

	if (!fuzz_includes_ok(data, size))
		return 0;
	diag = wwtp_diag_new();
	FUZZ_ASSERT(diag != NULL);
	const char *path = fuzz_write_file("regulation.cfg", data, size);
	int rc = wwtp_regulation_load(path, diag, &reg);
	if (rc != 0) {
		FUZZ_ASSERT(reg == NULL && wwtp_diag_count(diag) > 0);
		if (fuzz_verbose())
			wwtp_diag_print(diag, stderr);
		wwtp_diag_free(diag);
		return 0;
	}
	FUZZ_ASSERT(reg != NULL && wwtp_regulation_id(reg) != NULL);
	size_t nc = wwtp_regulation_ncolumns(reg);
	FUZZ_ASSERT(nc <= WWTP_REG_COLUMNS_MAX);
	FUZZ_ASSERT(wwtp_regulation_column(reg, nc) == NULL);
	for (size_t i = 0; i < wwtp_regulation_nparams(reg); i++) {
		const struct wwtp_reg_param *p = wwtp_regulation_param(reg, i);
		FUZZ_ASSERT(p != NULL && wwtp_regulation_find_param(reg, p->param) != NULL);
		for (size_t c = 0; c < nc; c++) {
			const struct wwtp_reg_value *v =
			    wwtp_regulation_value(reg, p, wwtp_regulation_column(reg, c));
			FUZZ_ASSERT(v != NULL);
			if (!v->set)
				continue;
			FUZZ_ASSERT(v->source != NULL);
			FUZZ_ASSERT(v->confidence == 'H' || v->confidence == 'M' ||
				    v->confidence == 'L');
			FUZZ_ASSERT(!(v->min > v->max));
		}
	}
	factors(reg);
	for (size_t c = 0; c < nc; c++) {
		const char *col = wwtp_regulation_column(reg, c);
		FUZZ_ASSERT(col != NULL && wwtp_regulation_column_index(reg, col) == (int)c);
		for (int shape = 0; shape < 4; shape++)
			effective(reg, col, shape);
	}
	wwtp_regulation_free(reg);
	if (fuzz_verbose())
		wwtp_diag_print(diag, stderr);
	wwtp_diag_free(diag);
	return 0;
}
