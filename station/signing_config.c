/* signing_config.c - the `signing` group of a station file: where the
 * collector's private key is, and the public key central checks with. */
#include "signing_config.h"

#include <stddef.h>
#include <string.h>

#include "../util/sign.h"

static const struct wwtp_opt signing_opts[] = {
    OPT_STR("key_file", WWTP_OPT_NONEMPTY, struct wwtp_signing_cfg, key_file, NULL, "",
	    "a file such as \"/etc/wwtp/keys/<station>.key\" (wwtp-collector --keygen)"),
    OPT_STR("public_key", WWTP_OPT_NONEMPTY, struct wwtp_signing_cfg, public_key, NULL, "",
	    "the 64 hex digits wwtp-collector --keygen printed"),
};

void wwtp_signing_cfg_parse(struct wwtp_ld *L, const config_setting_t *grp,
			    struct wwtp_signing_cfg *out)
{
	unsigned char pk[WWTP_SIGN_PK_LEN];

	memset(out, 0, sizeof(*out));
	if (!grp)
		return;
	wwtp_walk(L, grp, signing_opts, OPT_NELEM(signing_opts), out, "signing", NULL);
	out->line = (int)config_setting_source_line(grp);
	if (out->public_key[0] && wwtp_sign_pk_parse(out->public_key, pk) != 0)
		wwtp_ld_problem(L, config_setting_get_member(grp, "public_key"),
				"signing: public_key must be 64 hex digits (as wwtp-collector "
				"--keygen prints it)");
}
