/* store_reserve.c - the store's reserve of file-system room (see
 * store_reserve.h). */
#include "store_reserve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/err.h"

struct wwtp_reserve {
	char path[4200];
	uint64_t bytes;
	int held;
};

/* Whole when it is as long as wanted and its blocks are allocated (a
 * sparse file, or an allocation a power cut interrupted, is not room). */
static int whole(const char *path, uint64_t bytes)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	return (uint64_t)st.st_size == bytes && (uint64_t)st.st_blocks * 512 >= bytes;
}

int wwtp_reserve_new(const char *store_path, uint64_t bytes, struct wwtp_reserve **out)
{
	struct wwtp_reserve *r;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return WWTP_ERR_NOMEM;
	int w = snprintf(r->path, sizeof(r->path), "%s.reserve", store_path);
	if (w < 0 || (size_t)w >= sizeof(r->path)) {
		free(r);
		return WWTP_ERR_INVAL;
	}
	r->bytes = bytes;
	if (bytes == 0)
		unlink(r->path); /* none wanted: a previous run's goes back */
	else
		r->held = whole(r->path, bytes);
	*out = r;
	return 0;
}

void wwtp_reserve_free(struct wwtp_reserve *r)
{
	free(r);
}

int wwtp_reserve_held(const struct wwtp_reserve *r)
{
	return r && r->held;
}

uint64_t wwtp_reserve_bytes(const struct wwtp_reserve *r)
{
	return r ? r->bytes : 0;
}

int wwtp_reserve_take(struct wwtp_reserve *r)
{
	if (r->bytes == 0)
		return WWTP_ERR_INVAL;
	if (r->held)
		return 0;
	int fd = open(r->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return WWTP_ERR_ERRNO;
	/* A file left longer (another size configured) is cut first, so
	 * that its length is the reserve's. */
	int rc = ftruncate(fd, 0);
	if (rc == 0)
		rc = posix_fallocate(fd, 0, (off_t)r->bytes);
	if (rc != 0) {
		int e = rc > 0 ? rc : errno;
		/* A partial allocation is no reserve: its blocks go back. */
		if (ftruncate(fd, 0) != 0) {
			/* nothing more to do: the next take cuts it again */
		}
		close(fd);
		errno = e;
		return e == ENOSPC || e == EDQUOT ? WWTP_ERR_FULL : WWTP_ERR_ERRNO;
	}
	/* Not synced: after a power cut the next start looks at the blocks
	 * again and takes what is missing. */
	close(fd);
	r->held = whole(r->path, r->bytes);
	return r->held ? 0 : WWTP_ERR_FULL;
}

int wwtp_reserve_release(struct wwtp_reserve *r)
{
	if (!r || !r->held)
		return WWTP_ERR_NOTFOUND;
	r->held = 0;
	int fd = open(r->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? WWTP_ERR_NOTFOUND : WWTP_ERR_ERRNO;
	int rc = ftruncate(fd, 0);
	/* The sync commits the truncation: ext4 does not hand freed blocks
	 * out again before its journal has. */
	if (rc == 0)
		fsync(fd);
	close(fd);
	return rc == 0 ? 0 : WWTP_ERR_ERRNO;
}
