/* fuzz_common.c - see fuzz_common.h. */
#include "fuzz_common.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef WWTP_FUZZ_SRCDIR
#define WWTP_FUZZ_SRCDIR "."
#endif

static char tmp_dir[512];
static char tmp_path[1024];

void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "FUZZ ASSERTION FAILED %s:%d: %s\n", file, line, what);
	abort();
}

const char *fuzz_srcdir(void)
{
	const char *s = getenv("WWTP_SRCDIR");
	return s && *s ? s : WWTP_FUZZ_SRCDIR;
}

/* The folder holds only files this process wrote: remove them, then it. */
static void remove_tmp_dir(void)
{
	DIR *d = opendir(tmp_dir);
	struct dirent *e;
	char p[1024];

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmp_dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(tmp_dir);
}

const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
	if (!tmp_dir[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(tmp_dir, sizeof(tmp_dir), "%s/wwtp-fuzz.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmp_dir)) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(remove_tmp_dir);
	}
	snprintf(tmp_path, sizeof(tmp_path), "%s/%s", tmp_dir, name);
	FILE *f = fopen(tmp_path, "wb");
	if (!f || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
		perror(tmp_path);
		abort();
	}
	return tmp_path;
}

int fuzz_verbose(void)
{
	static int v = -1;
	if (v < 0)
		v = getenv("WWTP_FUZZ_VERBOSE") != NULL;
	return v;
}

static int include_name_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

int fuzz_includes_ok(const uint8_t *data, size_t size)
{
	static const char dir[] = "@include";
	const size_t dl = sizeof(dir) - 1;

	for (size_t i = 0; i + dl <= size; i++) {
		/* By hand: data is not NUL-terminated, which the sanitizers'
		 * strict string checks would hold against strncasecmp. */
		size_t m = 0;
		while (m < dl && tolower(data[i + m]) == dir[m])
			m++;
		if (m < dl)
			continue;
		/* Up to the opening quote: libconfig allows spaces and tabs only. */
		size_t j = i + dl;
		while (j < size && (data[j] == ' ' || data[j] == '\t'))
			j++;
		if (j >= size || data[j] != '"')
			continue; /* no file named: a syntax error, opens nothing */
		size_t start = ++j;
		while (j < size && data[j] != '"') {
			if (!include_name_char(data[j]))
				return 0;
			j++;
		}
		for (size_t k = start; k + 1 < j; k++)
			if (data[k] == '.' && data[k + 1] == '.')
				return 0;
	}
	return 1;
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
