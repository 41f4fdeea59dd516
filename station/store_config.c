/* store_config.c - the `store` group of a station file: where the collector
 * keeps messages until the broker has them, and how much of them. */
#include "store_config.h"

#include <stddef.h>
#include <string.h>

static const struct wwtp_opt store_opts[] = {
    OPT_STR("path", WWTP_OPT_NONEMPTY, struct wwtp_store_cfg, path, NULL, "",
	    "a file such as \"/var/lib/wwtp/<station>.db\""),
    /* 0 is the default only: written in the file, a bound must be real. */
    OPT_INT("max_mb", 0, struct wwtp_store_cfg, max_mb, 1, 1048576, 0),
    OPT_INT("max_age_days", 0, struct wwtp_store_cfg, max_age_days, 1, 3650,
	    WWTP_STORE_DEFAULT_MAX_AGE_DAYS),
    OPT_INT("commit_ms", 0, struct wwtp_store_cfg, commit_ms, 10, 600000,
	    WWTP_STORE_DEFAULT_COMMIT_MS),
    /* Optional (added Dec 2026): before it, a message waited commit_ms
     * for a synced commit; now it is committed (not synced, a killed
     * process keeps it) and published within publish_ms. */
    OPT_INT("publish_ms", 0, struct wwtp_store_cfg, publish_ms, 10, 600000,
	    WWTP_STORE_DEFAULT_PUBLISH_MS),
    OPT_INT("replay_rate", 0, struct wwtp_store_cfg, replay_rate, 1, 10000,
	    WWTP_STORE_DEFAULT_REPLAY_RATE),
    /* Off only for a central side that publishes no confirmations (older
     * than this collector): then the broker's PUBACK deletes. */
    OPT_BOOL("confirm", 0, struct wwtp_store_cfg, confirm, 1),
    OPT_INT("confirm_timeout_s", 0, struct wwtp_store_cfg, confirm_timeout_s, 5, 86400,
	    WWTP_STORE_DEFAULT_CONFIRM_TIMEOUT_S),
    /* -1 is the default only (96 of SQLite's pages, 384 KB); 0 keeps none. */
    OPT_INT("reserve_kb", 0, struct wwtp_store_cfg, reserve_kb, 0, 65536, -1),
};

void wwtp_store_cfg_parse(struct wwtp_ld *L, const config_setting_t *grp,
			  struct wwtp_store_cfg *out)
{
	memset(out, 0, sizeof(*out));
	wwtp_walk(L, grp, store_opts, OPT_NELEM(store_opts), out, "store", NULL);
	if (grp) {
		out->present = 1;
		out->line = (int)config_setting_source_line(grp);
	}
}
