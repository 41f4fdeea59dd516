/* slotfile.c - a record in two slots written in turn (see slotfile.h). */
#include "slotfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "err.h"

/* magic 0..8, generation 8..16, payload 16..16+n, CRC-32 of all that after */
#define SLOT 96

struct wwtp_slotfile {
	int fd;
	char magic[8];
	size_t n;
	uint64_t gen;
};

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint32_t crc_of(const unsigned char *p, size_t len)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)len);
}

int wwtp_slotfile_open(const char *path, const char magic[8], void *payload, size_t n,
		       struct wwtp_slotfile **out, int *found)
{
	unsigned char buf[2 * SLOT];
	struct wwtp_slotfile *f;
	ssize_t got;

	*out = NULL;
	*found = 0;
	memset(payload, 0, n);
	if (n > WWTP_SLOTFILE_MAX)
		return WWTP_ERR_INVAL;
	if (!(f = calloc(1, sizeof(*f))))
		return WWTP_ERR_NOMEM;
	memcpy(f->magic, magic, 8);
	f->n = n;
	f->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	memset(buf, 0, sizeof(buf));
	if (f->fd < 0 || (got = pread(f->fd, buf, sizeof(buf), 0)) < 0) {
		int e = errno;
		wwtp_slotfile_close(f);
		errno = e;
		return WWTP_ERR_ERRNO;
	}
	for (int i = 0; i < 2; i++) {
		const unsigned char *p = buf + i * SLOT;
		if (memcmp(p, magic, 8) != 0 || get64(p + 16 + n) != crc_of(p, 16 + n))
			continue;
		if (get64(p + 8) >= f->gen) {
			f->gen = get64(p + 8);
			memcpy(payload, p + 16, n);
			*found = 1;
		}
	}
	if (!*found && got > 0)
		*found = -1;
	if (got < (ssize_t)sizeof(buf) && *found != 1) {
		/* Both slots exist from the start: later writes need no block. */
		memset(buf, 0, sizeof(buf));
		if (pwrite(f->fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) ||
		    fsync(f->fd) != 0) {
			int e = errno;
			wwtp_slotfile_close(f);
			errno = e;
			return WWTP_ERR_ERRNO;
		}
	}
	*out = f;
	return 0;
}

int wwtp_slotfile_write(struct wwtp_slotfile *f, const void *payload)
{
	unsigned char p[SLOT];

	memset(p, 0, sizeof(p));
	memcpy(p, f->magic, 8);
	put64(p + 8, f->gen + 1);
	memcpy(p + 16, payload, f->n);
	put64(p + 16 + f->n, crc_of(p, 16 + f->n));
	/* The slot the newest record is not in. */
	off_t at = (off_t)(((f->gen + 1) & 1) * SLOT);
	if (pwrite(f->fd, p, sizeof(p), at) != (ssize_t)sizeof(p) || fdatasync(f->fd) != 0)
		return WWTP_ERR_ERRNO;
	f->gen++;
	return 0;
}

void wwtp_slotfile_close(struct wwtp_slotfile *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}
