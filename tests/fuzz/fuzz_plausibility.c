/* fuzz_plausibility.c - the plausibility defaults loader
 * (compliance/plaus_config.c, wwtp_plaus_defaults_load) on any bytes, and
 * for a file it accepts, the checker (compliance/plausibility.c) run with
 * each row's bounds over a series of values and times taken from the
 * input.
 *
 * Promises checked: a refusal leaves a message and no table; an accepted
 * row has min <= max and flat_s >= 0, and a flat-line rule has a
 * resolution; the checker always answers one of the four verdicts, a value
 * outside the row's range is always "range", and a range failure leaves
 * the state as it was. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../compliance/plausibility.h"
#include "../../util/diag.h"
#include "../../util/err.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs bounds b over values made of the input's bytes. */
static void run_checker(const struct wwtp_plaus *b, const uint8_t *data, size_t size)
{
	struct wwtp_plaus_state s;
	int64_t t = 0;

	wwtp_plaus_state_reset(&s);
	for (size_t i = 0; i + 3 <= size && i < 3 * 256; i += 3) {
		/* Times move forward by 0..255 s, values are spread over the
		 * range's neighbourhood, with some outside it. */
		t += (int64_t)data[i] * 1000;
		double lo = isfinite(b->min) ? b->min : -100.0,
		       hi = isfinite(b->max) ? b->max : 100.0;
		double v =
		    lo +
		    (hi - lo) * ((double)(data[i + 1] << 8 | data[i + 2]) / 65535.0 * 1.2 - 0.1);
		struct wwtp_plaus_state before = s;
		int r = wwtp_plaus_check(b, &s, t, v);
		FUZZ_ASSERT(r >= WWTP_SUSPECT_NONE && r < WWTP_SUSPECTS);
		FUZZ_ASSERT((r == WWTP_SUSPECT_RANGE) == !wwtp_plaus_in_range(b, v));
		if (r == WWTP_SUSPECT_RANGE)
			FUZZ_ASSERT(memcmp(&before, &s, sizeof(s)) == 0);
		FUZZ_ASSERT(wwtp_plaus_flat_ms(&s, t) >= 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wwtp_plaus_defaults *d = NULL;
	struct wwtp_diag *diag;
	static const char *const params[] = {"ph", "temp", "cod", "nh4", "tss", "flow_out", "x"};

	if (!fuzz_includes_ok(data, size))
		return 0;
	diag = wwtp_diag_new();
	FUZZ_ASSERT(diag != NULL);
	const char *path = fuzz_write_file("plausibility.cfg", data, size);
	int rc = wwtp_plaus_defaults_load(path, diag, &d);
	if (rc != 0) {
		FUZZ_ASSERT(d == NULL && wwtp_diag_count(diag) > 0);
		if (fuzz_verbose())
			wwtp_diag_print(diag, stderr);
		wwtp_diag_free(diag);
		return 0;
	}
	FUZZ_ASSERT(d != NULL);
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		struct wwtp_plaus b;
		if (!wwtp_plaus_defaults_get(d, params[i], &b))
			continue;
		FUZZ_ASSERT(!(isfinite(b.min) && isfinite(b.max)) || b.min <= b.max);
		FUZZ_ASSERT(b.flat_s >= 0);
		FUZZ_ASSERT(b.flat_s == 0 || isfinite(b.resolution));
		b.on = wwtp_plaus_any(&b);
		run_checker(&b, data, size);
	}
	wwtp_plaus_defaults_free(d);
	wwtp_diag_free(diag);
	return 0;
}
