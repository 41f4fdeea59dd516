/* seqmark.c - the seq high-water file (see seqmark.h). */
#include "seqmark.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../util/err.h"
#include "../util/log.h"

#define MOD "store"
#define SLOT 64
static const char magic[8] = {'W', 'W', 'T', 'P', 'S', 'E', 'Q', '1'};

struct wwtp_seqmark {
	int fd;
	char *path;
	uint64_t gen, seq, aseq;
	struct wwtp_complain complain;
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

static uint32_t slot_crc(const unsigned char *p)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, 32);
}

/* 1 and the numbers when slot p is whole. */
static int read_slot(const unsigned char *p, uint64_t *gen, uint64_t *seq, uint64_t *aseq)
{
	if (memcmp(p, magic, 8) != 0 || get64(p + 32) != slot_crc(p))
		return 0;
	*gen = get64(p + 8);
	*seq = get64(p + 16);
	*aseq = get64(p + 24);
	return 1;
}

int wwtp_seqmark_open(const char *path, struct wwtp_seqmark **out, uint64_t *seq, uint64_t *aseq)
{
	unsigned char buf[2 * SLOT];
	struct wwtp_seqmark *m;
	ssize_t n;

	*out = NULL;
	*seq = *aseq = 0;
	m = calloc(1, sizeof(*m));
	if (!m || !(m->path = strdup(path))) {
		free(m);
		return WWTP_ERR_NOMEM;
	}
	m->complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	m->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (m->fd < 0) {
		LOG_ERROR(MOD, "cannot open %s: %s", path, strerror(errno));
		wwtp_seqmark_close(m);
		return WWTP_ERR_ERRNO;
	}
	memset(buf, 0, sizeof(buf));
	n = pread(m->fd, buf, sizeof(buf), 0);
	if (n < 0) {
		LOG_ERROR(MOD, "cannot read %s: %s", path, strerror(errno));
		wwtp_seqmark_close(m);
		return WWTP_ERR_ERRNO;
	}
	for (int i = 0; i < 2; i++) {
		uint64_t g, s, a;
		if (read_slot(buf + i * SLOT, &g, &s, &a) && g >= m->gen) {
			m->gen = g;
			m->seq = s;
			m->aseq = a;
		}
	}
	int blank = 1;
	for (ssize_t i = 0; i < n; i++)
		blank = blank && buf[i] == 0;
	if (!blank && m->gen == 0)
		LOG_ERROR(MOD, "%s holds no readable record: seq goes on from the store's", path);
	if (n < (ssize_t)sizeof(buf)) {
		/* Both slots exist from the start: later writes need no block. */
		memset(buf, 0, sizeof(buf));
		if (m->gen == 0 && (pwrite(m->fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) ||
				    fsync(m->fd) != 0)) {
			LOG_ERROR(MOD, "cannot write %s: %s", path, strerror(errno));
			wwtp_seqmark_close(m);
			return WWTP_ERR_ERRNO;
		}
	}
	*seq = m->seq;
	*aseq = m->aseq;
	*out = m;
	return 0;
}

int wwtp_seqmark_write(struct wwtp_seqmark *m, uint64_t seq, uint64_t aseq)
{
	unsigned char p[SLOT];

	if (m->gen > 0 && seq == m->seq && aseq == m->aseq)
		return 0;
	memset(p, 0, sizeof(p));
	memcpy(p, magic, 8);
	put64(p + 8, m->gen + 1);
	put64(p + 16, seq);
	put64(p + 24, aseq);
	put64(p + 32, slot_crc(p));
	/* The slot the newest record is not in. */
	off_t at = (off_t)(((m->gen + 1) & 1) * SLOT);
	if (pwrite(m->fd, p, sizeof(p), at) != (ssize_t)sizeof(p) || fdatasync(m->fd) != 0) {
		wwtp_complain(&m->complain, WWTP_LOG_ERROR, MOD,
			      "cannot record seq %llu in %s: %s (nothing newer is sent until "
			      "it is)",
			      (unsigned long long)seq, m->path, strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	if (m->complain.interval_ms != 0)
		wwtp_complain_release(&m->complain, MOD, "%s written again", m->path);
	m->gen++;
	m->seq = seq;
	m->aseq = aseq;
	return 0;
}

void wwtp_seqmark_close(struct wwtp_seqmark *m)
{
	if (!m)
		return;
	if (m->fd >= 0)
		close(m->fd);
	free(m->path);
	free(m);
}
