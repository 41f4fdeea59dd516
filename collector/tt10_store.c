/* tt10_store.c - the Circular 10/2021 files on local disk (see
 * tt10_store.h). */
#include "tt10_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/err.h"

#define PATH_LEN 1024

static int join(char *out, size_t n, const char *a, const char *b)
{
	int w = snprintf(out, n, "%s/%s", a, b);
	return (w < 0 || (size_t)w >= n) ? WWTP_ERR_RANGE : 0;
}

int wwtp_tt10_outbox_path(const char *dir, const char *server, char *out, size_t n)
{
	int w = snprintf(out, n, "%s/outbox/%s", dir, server);
	return (w < 0 || (size_t)w >= n) ? WWTP_ERR_RANGE : 0;
}

/* mkdir -p, mode 0750 for what it creates. */
static int mkdirs(const char *path)
{
	char p[PATH_LEN];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(p))
		return WWTP_ERR_RANGE;
	memcpy(p, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, 0750) != 0 && errno != EEXIST)
			return WWTP_ERR_ERRNO;
		p[i] = c;
	}
	struct stat sb;
	if (stat(path, &sb) != 0)
		return WWTP_ERR_ERRNO;
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return WWTP_ERR_ERRNO;
	}
	return 0;
}

/* A rename or link is only durable once its folder is flushed. */
static int sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return WWTP_ERR_ERRNO;
	int rc = fsync(fd) == 0 ? 0 : WWTP_ERR_ERRNO;
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

static int tmp_name(char *out, size_t n, const char *dir, const char *name)
{
	int w = snprintf(out, n, "%s/.%s.tmp", dir, name);
	return (w < 0 || (size_t)w >= n) ? WWTP_ERR_RANGE : 0;
}

/* Links src as folder/name, replacing what is there. */
static int link_into(const char *src, const char *folder, const char *name)
{
	char dst[PATH_LEN];
	int rc = join(dst, sizeof(dst), folder, name);
	if (rc)
		return rc;
	if (link(src, dst) == 0)
		return 0;
	if (errno != EEXIST)
		return WWTP_ERR_ERRNO;
	if (unlink(dst) != 0 || link(src, dst) != 0)
		return WWTP_ERR_ERRNO;
	return 0;
}

static int write_all(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return WWTP_ERR_ERRNO;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			close(fd);
			errno = e;
			return WWTP_ERR_ERRNO;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return WWTP_ERR_ERRNO;
	}
	if (close(fd) != 0)
		return WWTP_ERR_ERRNO;
	return 0;
}

int wwtp_tt10_store_put(const char *dir, const char *const *servers, size_t n, const char *name,
			const char *data, size_t len)
{
	char tmp[PATH_LEN], fin[PATH_LEN], box[PATH_LEN];
	int rc;

	if ((rc = tmp_name(tmp, sizeof(tmp), dir, name)) != 0 ||
	    (rc = join(fin, sizeof(fin), dir, name)) != 0)
		return rc;
	rc = write_all(tmp, data, len);
	/* Into every outbox first: once the file has its name, each server is
	 * sure to get it, also after a crash (see wwtp_tt10_store_init). */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = wwtp_tt10_outbox_path(dir, servers[i], box, sizeof(box));
		if (rc == 0)
			rc = link_into(tmp, box, name);
		if (rc == 0)
			rc = sync_dir(box);
	}
	if (rc == 0 && rename(tmp, fin) != 0)
		rc = WWTP_ERR_ERRNO;
	if (rc == 0)
		rc = sync_dir(dir);
	if (rc != 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
	}
	return rc;
}

static int by_stamp(const void *pa, const void *pb)
{
	const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
	char sa[WWTP_TT10_STAMP_LEN + 1], sb[WWTP_TT10_STAMP_LEN + 1];
	wwtp_tt10_name_stamp(a, sa);
	wwtp_tt10_name_stamp(b, sb);
	int c = strcmp(sa, sb);
	return c ? c : strcmp(a, b);
}

void wwtp_tt10_names_free(struct wwtp_tt10_names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int wwtp_tt10_store_list(const char *folder, struct wwtp_tt10_names *out)
{
	size_t cap = 0;
	struct dirent *e;
	char st[WWTP_TT10_STAMP_LEN + 1];

	out->v = NULL;
	out->n = 0;
	DIR *d = opendir(folder);
	if (!d)
		return errno == ENOENT ? 0 : WWTP_ERR_ERRNO;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || wwtp_tt10_name_stamp(e->d_name, st) != 0)
			continue;
		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **nv = realloc(out->v, nc * sizeof(*nv));
			if (!nv)
				goto nomem;
			out->v = nv;
			cap = nc;
		}
		out->v[out->n] = strdup(e->d_name);
		if (!out->v[out->n])
			goto nomem;
		out->n++;
	}
	closedir(d);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), by_stamp);
	return 0;
nomem:
	closedir(d);
	wwtp_tt10_names_free(out);
	return WWTP_ERR_NOMEM;
}

int wwtp_tt10_store_init(const char *dir, const char *const *servers, size_t n, size_t *recovered,
			 size_t *removed)
{
	char box[PATH_LEN], path[PATH_LEN], fin[PATH_LEN];
	struct dirent *e;
	int rc;

	if (recovered)
		*recovered = 0;
	if (removed)
		*removed = 0;
	if ((rc = mkdirs(dir)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if ((rc = wwtp_tt10_outbox_path(dir, servers[i], box, sizeof(box))) != 0 ||
		    (rc = mkdirs(box)) != 0)
			return rc;
	}
	DIR *d = opendir(dir);
	if (!d)
		return WWTP_ERR_ERRNO;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		struct stat sb;
		if (e->d_name[0] != '.' || len < 6 || strcmp(e->d_name + len - 4, ".tmp") != 0)
			continue;
		if (join(path, sizeof(path), dir, e->d_name) != 0 || lstat(path, &sb) != 0 ||
		    !S_ISREG(sb.st_mode))
			continue;
		/* ".<name>.tmp" -> "<name>" */
		int w = snprintf(fin, sizeof(fin), "%s/%.*s", dir, (int)(len - 5), e->d_name + 1);
		if (w < 0 || (size_t)w >= sizeof(fin))
			continue;
		if (sb.st_nlink > 1 && rename(path, fin) == 0) {
			if (recovered)
				(*recovered)++;
		} else if (unlink(path) == 0 && removed) {
			(*removed)++;
		}
	}
	closedir(d);
	return sync_dir(dir);
}

/* Removes folder/name if there; 1 when it was there. */
static int remove_if(const char *folder, const char *name)
{
	char p[PATH_LEN];
	if (join(p, sizeof(p), folder, name) != 0)
		return 0;
	return unlink(p) == 0;
}

int wwtp_tt10_store_prune(const char *dir, const char *const *servers, size_t n, const char *cutoff,
			  uint64_t max_bytes, struct wwtp_tt10_prune_stats *st)
{
	struct wwtp_tt10_names l;
	char path[PATH_LEN], box[PATH_LEN], stamp[WWTP_TT10_STAMP_LEN + 1];
	uint64_t *size = NULL, total = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = wwtp_tt10_store_list(dir, &l)) != 0)
		return rc;
	if (l.n) {
		size = calloc(l.n, sizeof(*size));
		if (!size) {
			wwtp_tt10_names_free(&l);
			return WWTP_ERR_NOMEM;
		}
	}
	/* Disk space, not length: a 300-byte file takes a whole block, and
	 * the bound is there to protect the disk. */
	for (size_t i = 0; i < l.n; i++) {
		struct stat sb;
		if (join(path, sizeof(path), dir, l.v[i]) == 0 && stat(path, &sb) == 0)
			size[i] = (uint64_t)sb.st_blocks * 512;
		total += size[i];
	}
	for (size_t i = 0; i < l.n; i++) {
		wwtp_tt10_name_stamp(l.v[i], stamp);
		int old = strcmp(stamp, cutoff) < 0;
		if (!old && total <= max_bytes)
			break;
		if (join(path, sizeof(path), dir, l.v[i]) != 0 || unlink(path) != 0)
			continue;
		total -= size[i];
		if (old)
			st->removed_age++;
		else
			st->removed_size++;
		for (size_t k = 0; k < n; k++)
			if (wwtp_tt10_outbox_path(dir, servers[k], box, sizeof(box)) == 0)
				st->undelivered += (size_t)remove_if(box, l.v[i]);
	}
	st->bytes = total;
	st->kept = l.n - st->removed_age - st->removed_size;
	free(size);
	wwtp_tt10_names_free(&l);

	/* Old links whose file is gone already (removed by hand, or lost in a
	 * crash between the links and the rename). */
	for (size_t k = 0; k < n; k++) {
		if (wwtp_tt10_outbox_path(dir, servers[k], box, sizeof(box)) != 0 ||
		    wwtp_tt10_store_list(box, &l) != 0)
			continue;
		for (size_t i = 0; i < l.n; i++) {
			wwtp_tt10_name_stamp(l.v[i], stamp);
			if (strcmp(stamp, cutoff) >= 0)
				break;
			st->undelivered += (size_t)remove_if(box, l.v[i]);
		}
		wwtp_tt10_names_free(&l);
	}
	return 0;
}
