/* store_config.h - private to the station loader: the `store` group (the
 * collector's durable queue; docs/config.md, docs/reliability.md). */
#ifndef WWTP_STORE_CONFIG_H
#define WWTP_STORE_CONFIG_H

#include <libconfig.h>

#include "../model/station.h"
#include "station_schema.h"

/* Defaults of the keys not given (and of a file without the group). */
#define WWTP_STORE_DEFAULT_MAX_AGE_DAYS 60
#define WWTP_STORE_DEFAULT_COMMIT_MS 5000
#define WWTP_STORE_DEFAULT_PUBLISH_MS 200
#define WWTP_STORE_DEFAULT_REPLAY_RATE 500
/* Seconds without a confirmation from central before what it has not
 * confirmed is sent again (docs/reliability.md). */
#define WWTP_STORE_DEFAULT_CONFIRM_TIMEOUT_S 60

/* Walks grp (NULL: no group, only the defaults) into *out; problems go to
 * L's diag as FILE:LINE messages. */
void wwtp_store_cfg_parse(struct wwtp_ld *L, const config_setting_t *grp,
			  struct wwtp_store_cfg *out);

#endif
