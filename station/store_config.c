/* store_config.c - the `store` group of a station file: where the collector
 * keeps messages until the broker has them, and how much of them. */
#include "store_config.h"

#include <stddef.h>
#include <string.h>

#define FSIZE(T, f) sizeof(((T *)0)->f)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct wwtp_opt store_opts[] = {
    {.key = "path",
     .kind = WWTP_OPT_STR,
     .flags = WWTP_OPT_NONEMPTY,
     .off = offsetof(struct wwtp_store_cfg, path),
     .size = FSIZE(struct wwtp_store_cfg, path),
     .def_s = "",
     .hint = "a file such as \"/var/lib/wwtp/<station>.db\""},
    /* 0 is the default only: written in the file, a bound must be real. */
    {.key = "max_mb",
     .kind = WWTP_OPT_INT,
     .off = offsetof(struct wwtp_store_cfg, max_mb),
     .size = FSIZE(struct wwtp_store_cfg, max_mb),
     .min = 1,
     .max = 1048576,
     .def_n = 0},
    {.key = "max_age_days",
     .kind = WWTP_OPT_INT,
     .off = offsetof(struct wwtp_store_cfg, max_age_days),
     .size = FSIZE(struct wwtp_store_cfg, max_age_days),
     .min = 1,
     .max = 3650,
     .def_n = WWTP_STORE_DEFAULT_MAX_AGE_DAYS},
    {.key = "commit_ms",
     .kind = WWTP_OPT_INT,
     .off = offsetof(struct wwtp_store_cfg, commit_ms),
     .size = FSIZE(struct wwtp_store_cfg, commit_ms),
     .min = 10,
     .max = 600000,
     .def_n = WWTP_STORE_DEFAULT_COMMIT_MS},
    {.key = "replay_rate",
     .kind = WWTP_OPT_INT,
     .off = offsetof(struct wwtp_store_cfg, replay_rate),
     .size = FSIZE(struct wwtp_store_cfg, replay_rate),
     .min = 1,
     .max = 10000,
     .def_n = WWTP_STORE_DEFAULT_REPLAY_RATE},
    /* Off only for a central side that publishes no confirmations (older
     * than this collector): then the broker's PUBACK deletes. */
    {.key = "confirm",
     .kind = WWTP_OPT_BOOL,
     .off = offsetof(struct wwtp_store_cfg, confirm),
     .size = FSIZE(struct wwtp_store_cfg, confirm),
     .def_n = 1},
    {.key = "confirm_timeout_s",
     .kind = WWTP_OPT_INT,
     .off = offsetof(struct wwtp_store_cfg, confirm_timeout_s),
     .size = FSIZE(struct wwtp_store_cfg, confirm_timeout_s),
     .min = 5,
     .max = 86400,
     .def_n = WWTP_STORE_DEFAULT_CONFIRM_TIMEOUT_S},
};

void wwtp_store_cfg_parse(struct wwtp_ld *L, const config_setting_t *grp,
			  struct wwtp_store_cfg *out)
{
	memset(out, 0, sizeof(*out));
	wwtp_walk(L, grp, store_opts, NELEM(store_opts), out, "store", NULL);
	if (grp) {
		out->present = 1;
		out->line = (int)config_setting_source_line(grp);
	}
}
