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
/* The exact record: in a block of its own, so that writing it back (the
 * kernel's, every few seconds) never rewrites the synced slots. */
#define EXACT_AT 4096
#define BOOT_LEN 36
static const char xmagic[8] = {'W', 'W', 'T', 'P', 'S', 'E', 'Q', 'X'};
/* Numbers reserved ahead: the slots are synced once per this many. */
#define AHEAD_SEQ 1000
#define AHEAD_ASEQ 100

struct wwtp_seqmark {
	int fd;
	char *path;
	uint64_t gen, seq, aseq; /* the synced slots: numbers reserved */
	uint64_t xseq, xaseq;	 /* the exact record last written */
	int exact;		 /* the file has room for the exact record */
	char boot[BOOT_LEN];	 /* this boot's id; "" when unknown */
	struct wwtp_complain complain;
};

/* The kernel's id of this boot: the page cache, and the exact record in
 * it, is this boot's only while the id is the same. */
static void read_boot(char *out)
{
	char b[64];
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, b, sizeof(b)) : -1;

	memset(out, 0, BOOT_LEN);
	if (fd >= 0)
		close(fd);
	if (n >= BOOT_LEN)
		memcpy(out, b, BOOT_LEN);
}

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

static uint32_t slot_crc_n(const unsigned char *p, unsigned n)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, n);
}

static uint32_t slot_crc(const unsigned char *p)
{
	return slot_crc_n(p, 32);
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

int wwtp_seqmark_open(const char *path, struct wwtp_seqmark **out, uint64_t *seq, uint64_t *aseq,
		      int *exact)
{
	unsigned char buf[2 * SLOT];
	struct wwtp_seqmark *m;
	ssize_t n;

	*out = NULL;
	*seq = *aseq = 0;
	*exact = 0;
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
	/* Room for the exact record, taken now (a full file system later
	 * cannot refuse it); without it every record is synced, as before. */
	unsigned char x[SLOT];
	read_boot(m->boot);
	*exact = 0;
	n = pread(m->fd, x, sizeof(x), EXACT_AT);
	if (n == (ssize_t)sizeof(x)) {
		m->exact = m->boot[0] != 0;
		if (memcmp(x, xmagic, 8) == 0 && get64(x + 56) == slot_crc_n(x, 56) && m->boot[0] &&
		    memcmp(x + 24, m->boot, 32) == 0) {
			/* Written in this boot: what the page cache holds is what
			 * was written, whatever became of the process. */
			m->xseq = get64(x + 8);
			m->xaseq = get64(x + 16);
			*exact = 1;
		}
	} else if (m->boot[0]) {
		memset(x, 0, sizeof(x));
		m->exact = pwrite(m->fd, x, sizeof(x), EXACT_AT) == (ssize_t)sizeof(x) &&
			   fsync(m->fd) == 0;
	}
	*seq = m->xseq = *exact ? m->xseq : m->seq;
	*aseq = m->xaseq = *exact ? m->xaseq : m->aseq;
	*out = m;
	return 0;
}

/* Writes the numbers into the slot the newest record is not in, synced. */
static int write_slots(struct wwtp_seqmark *m, uint64_t seq, uint64_t aseq)
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

int wwtp_seqmark_write(struct wwtp_seqmark *m, uint64_t seq, uint64_t aseq)
{
	if (!m->exact)
		return write_slots(m, seq, aseq);
	/* Synced only when a number passes what the slots reserve: then the
	 * next AHEAD numbers are reserved at once. */
	if ((seq > m->seq || aseq > m->aseq) &&
	    write_slots(m, seq > m->seq ? seq + AHEAD_SEQ : m->seq,
			aseq > m->aseq ? aseq + AHEAD_ASEQ : m->aseq) != 0)
		return WWTP_ERR_ERRNO;
	if (seq == m->xseq && aseq == m->xaseq)
		return 0;
	unsigned char x[SLOT];
	memset(x, 0, sizeof(x));
	memcpy(x, xmagic, 8);
	put64(x + 8, seq);
	put64(x + 16, aseq);
	memcpy(x + 24, m->boot, 32); /* of the id's 36 characters */
	put64(x + 56, slot_crc_n(x, 56));
	/* Not synced: a process that dies leaves it in the page cache, and a
	 * boot that follows a power cut does not read it (another boot id). */
	if (pwrite(m->fd, x, sizeof(x), EXACT_AT) != (ssize_t)sizeof(x)) {
		wwtp_complain(&m->complain, WWTP_LOG_ERROR, MOD, "cannot record seq %llu in %s: %s",
			      (unsigned long long)seq, m->path, strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	m->xseq = seq;
	m->xaseq = aseq;
	return 0;
}

void wwtp_seqmark_close(struct wwtp_seqmark *m)
{
	if (!m)
		return;
	/* A clean stop: the slots say the exact numbers again, so that the
	 * next boot skips none. */
	if (m->fd >= 0 && m->exact && (m->xseq || m->xaseq))
		write_slots(m, m->xseq, m->xaseq);
	if (m->fd >= 0)
		close(m->fd);
	free(m->path);
	free(m);
}
