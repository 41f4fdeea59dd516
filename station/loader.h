/* loader.h - the walk every loader of the project uses over its libconfig
 * groups, with the one wording of its messages: the station files'
 * (station_config.c and the groups it hands on: store_config.c,
 * tt10_config.c) and central.cfg's (central/config/config.c).
 *
 * wwtp_walk() is util/confschema.h's walker reporting "FILE:LINE: what"
 * into the loader's diag; the tables are struct wwtp_opt written with
 * confschema.h's OPT_* macros. */
#ifndef WWTP_STATION_LOADER_H
#define WWTP_STATION_LOADER_H

#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/confschema.h"
#include "../util/diag.h"

/* Loader state shared by the walker and the loader. */
struct wwtp_ld {
	struct wwtp_diag *diag;
	const char *file;	 /* file being read, for messages without a setting */
	const char *include_dir; /* where libconfig found its @include files */
	int nomem;		 /* an allocation failed: the load fails with NOMEM */
};

/* The file setting s comes from, as a path usable from the working folder:
 * libconfig names an @include'd file as written, relative to include_dir.
 * Writes into buf (n bytes) when it has to join; returns 0, or -1 when the
 * path does not fit. */
int wwtp_ld_source(const struct wwtp_ld *L, const config_setting_t *s, char *buf, size_t n);

/* Adds "FILE:LINE: message" for setting s (file/line of s; L->file and no
 * line when s is NULL or has none). */
void wwtp_ld_problem(struct wwtp_ld *L, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Walks group `grp` (may be NULL: only defaults are applied, nothing is
 * required). `what` names the group in messages ("device 'outlet'"; "" for
 * the top level). Returns a mask of the entries present (bit i = tab[i]);
 * tables have at most 64 entries. *bad (if not NULL) gets the mask of the
 * entries present but refused: their field holds the default. Problems go
 * to L's diag. */
uint64_t wwtp_walk(struct wwtp_ld *L, const config_setting_t *grp, const struct wwtp_opt *tab,
		   size_t n, void *obj, const char *what, uint64_t *bad);

/* Short name of a libconfig type, for messages ("an integer", "a list"). */
const char *wwtp_cfg_type_name(int type);

#endif
