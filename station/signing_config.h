/* signing_config.h - private to the station loader: the `signing` group
 * (the signed chain of messages; docs/security.md, docs/config.md). */
#ifndef WWTP_SIGNING_CONFIG_H
#define WWTP_SIGNING_CONFIG_H

#include <libconfig.h>

#include "../model/station.h"
#include "station_schema.h"

/* Walks grp (NULL: no group) into *out; a public_key that is not 64 hex
 * digits is a problem in L's diag, with its line. */
void wwtp_signing_cfg_parse(struct wwtp_ld *L, const config_setting_t *grp,
			    struct wwtp_signing_cfg *out);

#endif
