/* fuzz_station_config.c - the station loader (station/station_config.c) on
 * any bytes: libconfig's parser, the descriptor walk, the profiles a file
 * names (from the checkout's config/profiles), its `limits` group against
 * the shipped regulation files and its `evaluation` group.
 *
 * Promises checked: a refusal leaves at least one message and no station; a
 * station that loads has wire addresses that fit, and every device gets a
 * read plan, as the collector builds at start (`--check` saying yes means
 * the collector can start on the file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../compliance/limits.h"
#include "../../drivers/plan.h"
#include "../../station/station_config.h"
#include "../../util/buf.h"
#include "../../util/diag.h"
#include "../../util/err.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char profiles_dir[512], limits_dir[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(profiles_dir, sizeof(profiles_dir), "%s/config/profiles", fuzz_srcdir());
	snprintf(limits_dir, sizeof(limits_dir), "%s/config/limits", fuzz_srcdir());
	/* Something for an @include "part.cfg" to find: a whole setting, so
	 * that including it at the top level gives a loadable file. */
	static const char part[] = "mqtt = { uri = \"tcp://127.0.0.1:1883\"; };\n";
	fuzz_write_file("part.cfg", (const uint8_t *)part, sizeof(part) - 1);
	return 0;
}

static void check_device(const struct wwtp_device *d)
{
	struct wwtp_read_item *items = NULL;
	long *map = NULL, dev_status = -1;
	size_t nitems = 0;
	struct wwtp_read_plan plan;

	for (size_t i = 0; i < d->npoints; i++) {
		const struct wwtp_point *p = &d->points[i];
		FUZZ_ASSERT(p->bit >= -1 && p->bit <= 15);
		FUZZ_ASSERT((long)p->address + wwtp_type_regs(p->type) - 1 <= 65535);
	}
	FUZZ_ASSERT(wwtp_plan_device_items(d, &items, &nitems, &map, &dev_status) == 0);
	/* The poller's arguments (collector/poller.c). */
	int rc =
	    wwtp_plan_build(items, nitems, d->max_gap >= 0 ? d->max_gap : 0, d->max_regs, &plan);
	FUZZ_ASSERT(rc == 0);
	wwtp_plan_free(&plan);
	free(items);
	free(map);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wwtp_load_opts opts = {.profiles_dir = profiles_dir, .limits_dir = limits_dir};
	struct wwtp_station *st = NULL;
	struct wwtp_diag *diag;

	if (!fuzz_includes_ok(data, size))
		return 0;
	diag = wwtp_diag_new();
	FUZZ_ASSERT(diag != NULL);
	const char *path = fuzz_write_file("station.cfg", data, size);
	int rc = wwtp_station_load(path, &opts, &st, diag);
	/* libconfig would cut a string at a NUL byte: never loaded. */
	if (memchr(data, 0, size))
		FUZZ_ASSERT(rc != 0);
	if (rc != 0) {
		FUZZ_ASSERT(st == NULL);
		FUZZ_ASSERT(wwtp_diag_count(diag) > 0);
	} else {
		FUZZ_ASSERT(st != NULL && st->evaluation != NULL);
		for (size_t i = 0; i < st->ndevices; i++)
			check_device(&st->devices[i]);
		if (st->limits) {
			struct wwtp_buf b;
			wwtp_buf_init(&b, 1 << 20);
			FUZZ_ASSERT(wwtp_limits_format(st->limits, &b) == 0);
			wwtp_buf_free(&b);
		}
	}
	wwtp_station_free(st);
	if (fuzz_verbose())
		wwtp_diag_print(diag, stderr);
	wwtp_diag_free(diag);
	return 0;
}
