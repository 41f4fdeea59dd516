/* archive.c - the report archive, read (archive.h). */
#include "archive.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../util/err.h"
#include "../../util/timeutil.h"
#include "report_stats.h"

#define PERIODS_MAX 600

/* "2026-11", "2026-Q4", "2026": what schedule.c names its folders. */
static int valid_id(const char *id)
{
	struct wwtp_report_period p;
	return id && id[0] != '.' && wwtp_report_period_parse(id, 0, &p) == 0;
}

/* a-z, 0-9, '-', '.', not starting with '.': the names report.c writes. */
static int valid_name(const char *s)
{
	if (!s || !s[0] || s[0] == '.' || strlen(s) > 200)
		return 0;
	if (strcmp(s, "SHA256SUMS") == 0)
		return 1;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      *s == '.' || *s == 'Q'))
			return 0;
	return 1;
}

/* Calls fn for each "hash  name" line of DIR/ID/SHA256SUMS. -1 without it. */
static int each_sum(const char *dir, const char *id,
		    int (*fn)(void *ctx, const char *hash, const char *name), void *ctx)
{
	char p[4200], line[512];
	int r = snprintf(p, sizeof p, "%s/%s/SHA256SUMS", dir, id);
	if (r < 0 || (size_t)r >= sizeof p)
		return -1;
	FILE *f = fopen(p, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *sp = strstr(line, "  ");
		if (!sp || sp - line != 64)
			continue;
		*sp = '\0';
		if (fn(ctx, line, sp + 2) != 0)
			break;
	}
	fclose(f);
	return 0;
}

struct add_ctx {
	const char *dir, *id;
	json_t *files;
};

static int add_file(void *arg, const char *hash, const char *name)
{
	struct add_ctx *c = arg;
	char p[4200];
	struct stat sb;
	json_t *o = json_object();
	if (!o || !valid_name(name))
		return o ? 0 : -1;
	int r = snprintf(p, sizeof p, "%s/%s/%s", c->dir, c->id, name);
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "bytes",
			    r > 0 && (size_t)r < sizeof p && stat(p, &sb) == 0
				? json_integer((json_int_t)sb.st_size)
				: json_null());
	json_object_set_new(o, "sha256", json_string(hash));
	json_array_append_new(c->files, o);
	return 0;
}

static int cmp_desc(const void *a, const void *b)
{
	return -strcmp(a, b);
}

json_t *wwtp_report_archive_list(const char *dir)
{
	static __thread char ids[PERIODS_MAX][16];
	json_t *out = json_object(), *periods = json_array();
	size_t n = 0;
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;

	if (!out || !periods) {
		json_decref(out);
		json_decref(periods);
		return NULL;
	}
	json_object_set_new(out, "periods", periods);
	while (d && (e = readdir(d)) && n < PERIODS_MAX)
		if (strlen(e->d_name) < sizeof ids[0] && valid_id(e->d_name)) {
			memcpy(ids[n], e->d_name, strlen(e->d_name) + 1);
			n++;
		}
	if (d)
		closedir(d);
	/* By id, reversed: the newest year first, and in a year its quarters,
	 * then its months, then the year itself ("2026-Q4" > "2026-12" > "2026"). */
	qsort(ids, n, sizeof ids[0], cmp_desc);
	for (size_t i = 0; i < n; i++) {
		char p[4200], made[32];
		struct stat sb;
		struct add_ctx c = {dir, ids[i], json_array()};
		int r = snprintf(p, sizeof p, "%s/%s/SHA256SUMS", dir, ids[i]);
		if (!c.files || r < 0 || (size_t)r >= sizeof p || stat(p, &sb) != 0 ||
		    each_sum(dir, ids[i], add_file, &c) != 0) {
			json_decref(c.files);
			continue;
		}
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(ids[i]));
		int64_t ms = (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
		json_object_set_new(o, "made",
				    wwtp_format_utc(ms, made, sizeof made) == 0 ? json_string(made)
										: json_null());
		json_object_set_new(o, "files", c.files);
		json_array_append_new(periods, o);
	}
	return out;
}

struct find_ctx {
	const char *name;
	int found;
};

static int find_file(void *arg, const char *hash, const char *name)
{
	struct find_ctx *c = arg;
	(void)hash;
	if (strcmp(name, c->name) == 0)
		c->found = 1;
	return c->found;
}

int wwtp_report_archive_file(const char *dir, const char *id, const char *name, char *path,
			     size_t n)
{
	struct find_ctx c = {name, 0};
	if (!dir || !valid_id(id) || !valid_name(name))
		return WWTP_ERR_INVAL;
	if (strcmp(name, "SHA256SUMS") != 0 && (each_sum(dir, id, find_file, &c) != 0 || !c.found))
		return WWTP_ERR_NOTFOUND;
	int r = snprintf(path, n, "%s/%s/%s", dir, id, name);
	if (r < 0 || (size_t)r >= n)
		return WWTP_ERR_RANGE;
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) ? 0 : WWTP_ERR_NOTFOUND;
}
