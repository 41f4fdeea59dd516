/* outbox.c - see outbox.h. */
#include "outbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../util/err.h"
#include "../../util/log.h"

#define MOD "notify"

static const char *const sub_names[WWTP_OB_NDIRS] = {"ev", "out", "st", "bad"};

struct wwtp_nbox {
	char dir[512];
	int fd[WWTP_OB_NDIRS];
};

static int mkdir_p(const char *path)
{
	char tmp[512];
	size_t len = strlen(path);

	if (len >= sizeof(tmp))
		return -1;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(tmp, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

int wwtp_nbox_open(const char *dir, struct wwtp_nbox **out)
{
	struct wwtp_nbox *ob = calloc(1, sizeof(*ob));

	*out = NULL;
	if (!ob)
		return WWTP_ERR_NOMEM;
	for (int i = 0; i < WWTP_OB_NDIRS; i++)
		ob->fd[i] = -1;
	if (strlen(dir) >= sizeof(ob->dir) - 8 || mkdir_p(dir) != 0) {
		LOG_ERROR(MOD, "cannot make the outbox folder %s: %s", dir, strerror(errno));
		free(ob);
		return WWTP_ERR_ERRNO;
	}
	snprintf(ob->dir, sizeof(ob->dir), "%s", dir);
	for (int i = 0; i < WWTP_OB_NDIRS; i++) {
		char p[600];
		snprintf(p, sizeof(p), "%s/%s", dir, sub_names[i]);
		if ((mkdir(p, 0700) != 0 && errno != EEXIST) ||
		    (ob->fd[i] = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			LOG_ERROR(MOD, "cannot open the outbox folder %s: %s", p, strerror(errno));
			wwtp_nbox_close(ob);
			return WWTP_ERR_ERRNO;
		}
	}
	*out = ob;
	return 0;
}

void wwtp_nbox_close(struct wwtp_nbox *ob)
{
	if (!ob)
		return;
	for (int i = 0; i < WWTP_OB_NDIRS; i++)
		if (ob->fd[i] >= 0)
			close(ob->fd[i]);
	free(ob);
}

static int sync_dir(struct wwtp_nbox *ob, enum wwtp_ob_dir d)
{
	return fsync(ob->fd[d]) == 0 ? 0 : WWTP_ERR_ERRNO;
}

int wwtp_nbox_put(struct wwtp_nbox *ob, enum wwtp_ob_dir d, const char *name, const void *data,
		  size_t len)
{
	char tmp[WWTP_OB_NAME_MAX + 8];
	const char *p = data;
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), ".tmp-%s", name);
	fd = openat(ob->fd[d], tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return WWTP_ERR_ERRNO;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = errno ? errno : EIO;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (!err && fsync(fd) != 0)
		err = errno;
	if (close(fd) != 0 && !err)
		err = errno;
	if (!err && renameat(ob->fd[d], tmp, ob->fd[d], name) != 0)
		err = errno;
	if (err) {
		unlinkat(ob->fd[d], tmp, 0);
		errno = err;
		return WWTP_ERR_ERRNO;
	}
	return sync_dir(ob, d);
}

int wwtp_nbox_get(struct wwtp_nbox *ob, enum wwtp_ob_dir d, const char *name, size_t max,
		  struct wwtp_buf *out)
{
	struct stat sb;
	int fd = openat(ob->fd[d], name, O_RDONLY | O_CLOEXEC);
	char chunk[4096];
	size_t got = 0;

	if (fd < 0)
		return errno == ENOENT ? WWTP_ERR_NOTFOUND : WWTP_ERR_ERRNO;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return WWTP_ERR_ERRNO;
	}
	if ((size_t)sb.st_size > max) {
		close(fd);
		return WWTP_ERR_RANGE;
	}
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return WWTP_ERR_ERRNO;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got > max) {
			close(fd);
			return WWTP_ERR_RANGE;
		}
		if (wwtp_buf_add(out, chunk, (size_t)r) != 0) {
			close(fd);
			return WWTP_ERR_NOMEM;
		}
	}
	close(fd);
	return 0;
}

int wwtp_nbox_move(struct wwtp_nbox *ob, enum wwtp_ob_dir d, const char *from, const char *to)
{
	if (renameat(ob->fd[d], from, ob->fd[d], to) != 0)
		return WWTP_ERR_ERRNO;
	return sync_dir(ob, d);
}

int wwtp_nbox_del(struct wwtp_nbox *ob, enum wwtp_ob_dir d, const char *name)
{
	if (unlinkat(ob->fd[d], name, 0) != 0 && errno != ENOENT)
		return WWTP_ERR_ERRNO;
	return sync_dir(ob, d);
}

int wwtp_nbox_set_aside(struct wwtp_nbox *ob, enum wwtp_ob_dir d, const char *name)
{
	char to[WWTP_OB_NAME_MAX + 16];

	snprintf(to, sizeof(to), "%s-%s", sub_names[d], name);
	if (renameat(ob->fd[d], name, ob->fd[WWTP_OB_BAD], to) != 0)
		return WWTP_ERR_ERRNO;
	return sync_dir(ob, WWTP_OB_BAD) == 0 && sync_dir(ob, d) == 0 ? 0 : WWTP_ERR_ERRNO;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

int wwtp_nbox_list(struct wwtp_nbox *ob, enum wwtp_ob_dir d, char (**names)[WWTP_OB_NAME_MAX],
		   size_t *n)
{
	int fd = openat(ob->fd[d], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
	char(*v)[WWTP_OB_NAME_MAX] = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;

	*names = NULL;
	*n = 0;
	if (!dp) {
		if (fd >= 0)
			close(fd);
		return WWTP_ERR_ERRNO;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.') {
			/* A write a crash interrupted: it never counted. */
			if (strncmp(de->d_name, ".tmp-", 5) == 0)
				unlinkat(ob->fd[d], de->d_name, 0);
			continue;
		}
		if (strlen(de->d_name) >= WWTP_OB_NAME_MAX)
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 64;
			void *nv = realloc(v, nc * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(dp);
				return WWTP_ERR_NOMEM;
			}
			v = nv;
			cap = nc;
		}
		memcpy(v[cnt++], de->d_name, strlen(de->d_name) + 1);
	}
	closedir(dp);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_name);
	*names = v;
	*n = cnt;
	return 0;
}
