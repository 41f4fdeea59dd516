/* station_dir.c - loading a folder of station files, as the simulator and
 * the central side do, with the one check that spans files: unique ids. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/err.h"
#include "station_config.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void wwtp_station_list_free(struct wwtp_station **list, size_t n)
{
	if (!list)
		return;
	for (size_t i = 0; i < n; i++)
		wwtp_station_free(list[i]);
	free(list);
}

static int load_dir(const char *dir, const struct wwtp_load_opts *opts, struct wwtp_station ***out,
		    size_t *nout, struct wwtp_diag *diag)
{
	char **names = NULL;
	size_t nnames = 0, cap = 0;
	struct wwtp_station **list = NULL;
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	DIR *dh = opendir(dir);
	if (!dh) {
		wwtp_diag_add(diag, dir, 0, "cannot open folder: %s", strerror(errno));
		return WWTP_ERR_CONFIG;
	}
	for (struct dirent *de; (de = readdir(dh)) != NULL;) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".cfg") != 0)
			continue;
		if (nnames == cap) {
			cap = cap ? cap * 2 : 32;
			char **grown = realloc(names, cap * sizeof(*names));
			if (!grown) {
				rc = WWTP_ERR_NOMEM;
				break;
			}
			names = grown;
		}
		if (!(names[nnames] = strdup(de->d_name))) {
			rc = WWTP_ERR_NOMEM;
			break;
		}
		nnames++;
	}
	closedir(dh);
	if (rc == 0 && nnames == 0) {
		wwtp_diag_add(diag, dir, 0, "no *.cfg station files in this folder");
		rc = WWTP_ERR_CONFIG;
	}
	if (rc == 0) {
		qsort(names, nnames, sizeof(*names), cmp_str);
		list = calloc(nnames, sizeof(*list));
		if (!list)
			rc = WWTP_ERR_NOMEM;
	}
	for (size_t i = 0; rc != WWTP_ERR_NOMEM && list && i < nnames; i++) {
		char path[WWTP_PATH_MAX];
		struct wwtp_station *st = NULL;
		int w = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (w < 0 || (size_t)w >= sizeof(path)) {
			wwtp_diag_add(diag, names[i], 0, "path in %s is too long", dir);
			rc = WWTP_ERR_CONFIG;
			continue;
		}
		int r = wwtp_station_load(path, opts, &st, diag);
		if (r != 0) {
			rc = (r == WWTP_ERR_NOMEM) ? r : WWTP_ERR_CONFIG;
			continue;
		}
		for (size_t j = 0; j < n; j++) {
			if (strcmp(list[j]->id, st->id) == 0) {
				wwtp_diag_add(diag, path, 0,
					      "station id '%s' is also used by %s: ids must be "
					      "unique (they name the MQTT topics)",
					      st->id, list[j]->path);
				rc = WWTP_ERR_CONFIG;
			}
		}
		list[n++] = st;
	}
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	if (rc != 0) {
		wwtp_station_list_free(list, n);
		return rc;
	}
	*out = list;
	*nout = n;
	return 0;
}

int wwtp_station_load_dir(const char *dir, const struct wwtp_load_opts *opts,
			  struct wwtp_station ***out, size_t *nout, struct wwtp_diag *diag)
{
	struct wwtp_diag *own = diag ? NULL : wwtp_diag_new();

	if (!diag && !own)
		return WWTP_ERR_NOMEM;
	int rc = load_dir(dir, opts, out, nout, diag ? diag : own);
	wwtp_diag_free(own);
	return rc;
}

int wwtp_station_check_dir(const char *dir, const struct wwtp_load_opts *opts,
			   struct wwtp_diag *diag)
{
	struct wwtp_station **list;
	size_t n;
	int rc = wwtp_station_load_dir(dir, opts, &list, &n, diag);
	if (rc == 0)
		wwtp_station_list_free(list, n);
	return rc;
}
