/* spool.c - bounded on-disk FIFO of line-protocol segments (see spool.h). */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../model/station.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/timeutil.h"

#define SPOOL_MOD "spool"
#define SPOOL_NAME_MAX 64
#define SPOOL_READ_CHUNK 65536
/* Largest segment read back (an open one is sealed long before). */
#define SPOOL_SEG_MAX ((size_t)1 << 30)

struct spool_seg {
	uint64_t seq;
	uint32_t points;
	uint64_t bytes;
};

struct wwtp_spool {
	pthread_mutex_t lock;
	char dir[WWTP_PATH_MAX];
	int dirfd;
	int lockfd;
	struct wwtp_spool_opts o;

	/* Sealed segments, oldest first: segs[first .. first + n). */
	struct spool_seg *segs;
	size_t first, n, alloc;
	uint64_t sealed_bytes, sealed_points;
	/* The outstanding peek: the first nbusy segments, and how many bytes of
	 * the peek buffer each one filled. */
	size_t nbusy;
	size_t *busy_len;
	size_t busy_alloc;

	/* The open segment (ofd < 0: none). */
	int ofd;
	uint64_t oseq;
	uint32_t opoints;
	uint64_t obytes;
	int64_t osince;

	uint64_t next_seq;
	struct wwtp_spool_stats st;
	struct wwtp_complain drop_complain, io_complain;
};

/* ---- names ---- */

static void name_sealed(char *out, uint64_t seq, uint32_t points)
{
	snprintf(out, SPOOL_NAME_MAX, "%020" PRIu64 "-%" PRIu32 ".lp", seq, points);
}

static void name_open(char *out, uint64_t seq)
{
	snprintf(out, SPOOL_NAME_MAX, "%020" PRIu64 ".open", seq);
}

static void name_tmp(char *out, uint64_t seq, uint32_t points)
{
	snprintf(out, SPOOL_NAME_MAX, "%020" PRIu64 "-%" PRIu32 ".tmp", seq, points);
}

/* Digits at *s into *v (no sign, no overflow); advances *s. 0 or -1. */
static int parse_digits(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	*v = x;
	return 0;
}

/* Which kind of spool file `name` is: 1 sealed, 2 open, 3 tmp, 0 other. */
static int parse_name(const char *name, uint64_t *seq, uint32_t *points)
{
	const char *p = name;
	uint64_t pts = 0;

	if (parse_digits(&p, seq) != 0)
		return 0;
	if (strcmp(p, ".open") == 0)
		return 2;
	if (*p++ != '-' || parse_digits(&p, &pts) != 0 || pts > UINT32_MAX)
		return 0;
	*points = (uint32_t)pts;
	if (strcmp(p, ".lp") == 0)
		return 1;
	if (strcmp(p, ".tmp") == 0)
		return 3;
	return 0;
}

/* ---- helpers ---- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static size_t count_lines(const char *p, size_t n)
{
	size_t c = 0;
	for (const char *e = p + n; p < e; p++) {
		p = memchr(p, '\n', (size_t)(e - p));
		if (!p)
			break;
		c++;
	}
	return c;
}

static void io_problem(struct wwtp_spool *sp, const char *what, const char *name)
{
	wwtp_complain(&sp->io_complain, WWTP_LOG_ERROR, SPOOL_MOD, "%s %s/%s: %s", what, sp->dir,
		      name, strerror(errno));
}

/* Room for one more sealed segment at the end of the index. */
static int seg_reserve(struct wwtp_spool *sp)
{
	if (sp->first > 0 && sp->first >= sp->n) {
		/* Compact once the dead prefix outgrows the live part:
		 * amortised O(1) pops from the front. */
		memmove(sp->segs, sp->segs + sp->first, sp->n * sizeof(*sp->segs));
		sp->first = 0;
	}
	if (sp->first + sp->n < sp->alloc)
		return 0;
	size_t na = sp->alloc ? sp->alloc * 2 : 64;
	struct spool_seg *p = realloc(sp->segs, na * sizeof(*p));
	if (!p)
		return WWTP_ERR_NOMEM;
	sp->segs = p;
	sp->alloc = na;
	return 0;
}

static struct spool_seg *seg_at(struct wwtp_spool *sp, size_t i)
{
	return &sp->segs[sp->first + i];
}

/* Removes the i-th sealed segment from the index (not the file). */
static void seg_remove(struct wwtp_spool *sp, size_t i)
{
	struct spool_seg *s = seg_at(sp, i);
	sp->sealed_bytes -= s->bytes;
	sp->sealed_points -= s->points;
	if (i == 0) {
		sp->first++;
	} else {
		memmove(s, s + 1, (sp->n - i - 1) * sizeof(*s));
	}
	sp->n--;
	if (sp->n == 0)
		sp->first = 0;
}

static void drop_seg(struct wwtp_spool *sp, size_t i, const char *why)
{
	struct spool_seg s = *seg_at(sp, i);
	char name[SPOOL_NAME_MAX];

	name_sealed(name, s.seq, s.points);
	if (unlinkat(sp->dirfd, name, 0) != 0 && errno != ENOENT)
		io_problem(sp, "cannot delete", name);
	seg_remove(sp, i);
	sp->st.dropped_points += s.points;
	sp->st.dropped_segments++;
	/* Never silent: the first drop at once, then with the running total. */
	wwtp_complain(&sp->drop_complain, WWTP_LOG_WARN, SPOOL_MOD,
		      "%s: dropped segment %" PRIu64 " (%" PRIu32 " points); %" PRIu64
		      " points dropped since start",
		      why, s.seq, s.points, sp->st.dropped_points);
}

static int fsync_dir(struct wwtp_spool *sp)
{
	if (fsync(sp->dirfd) != 0) {
		io_problem(sp, "cannot fsync folder", ".");
		return WWTP_ERR_ERRNO;
	}
	return 0;
}

/* Adds a sealed segment at the end of the index. */
static int index_add(struct wwtp_spool *sp, uint64_t seq, uint32_t points, uint64_t bytes)
{
	if (seg_reserve(sp) != 0)
		return WWTP_ERR_NOMEM;
	struct spool_seg *s = &sp->segs[sp->first + sp->n++];
	s->seq = seq;
	s->points = points;
	s->bytes = bytes;
	sp->sealed_bytes += bytes;
	sp->sealed_points += points;
	return 0;
}

static int seal_locked(struct wwtp_spool *sp)
{
	char from[SPOOL_NAME_MAX], to[SPOOL_NAME_MAX];
	int rc = 0;

	if (sp->ofd < 0)
		return 0;
	name_open(from, sp->oseq);
	name_sealed(to, sp->oseq, sp->opoints);
	if (sp->obytes == 0) {
		/* Created, but its only write failed: nothing to keep. */
		close(sp->ofd);
		sp->ofd = -1;
		unlinkat(sp->dirfd, from, 0);
		return 0;
	}
	/* Data first, then the name that says it is complete, then the
	 * folder that holds the name. */
	if (fsync(sp->ofd) != 0) {
		io_problem(sp, "cannot fsync", from);
		rc = WWTP_ERR_ERRNO;
	} else {
		/* Durable from here on, renamed or not (a .open segment is
		 * sealed at the next start): what central may confirm. */
		sp->st.synced_points = sp->st.appended_points;
	}
	close(sp->ofd);
	sp->ofd = -1;
	if (renameat(sp->dirfd, from, sp->dirfd, to) != 0) {
		/* Left as .open: the next start seals it. Not indexed, so it
		 * is not sent now; nothing is lost. */
		io_problem(sp, "cannot rename", from);
		sp->opoints = 0;
		sp->obytes = 0;
		return WWTP_ERR_ERRNO;
	}
	fsync_dir(sp);
	if (index_add(sp, sp->oseq, sp->opoints, sp->obytes) != 0)
		rc = WWTP_ERR_NOMEM;
	sp->opoints = 0;
	sp->obytes = 0;
	return rc;
}

/* ---- open ---- */

/* Turns a segment left open by a crash into a sealed one, without a
 * partial last line. */
static int recover_open(struct wwtp_spool *sp, const char *name, uint64_t seq)
{
	int fd = openat(sp->dirfd, name, O_RDWR | O_CLOEXEC);
	struct wwtp_buf b;
	char buf[SPOOL_READ_CHUNK], to[SPOOL_NAME_MAX];
	ssize_t r;
	int rc = 0;

	if (fd < 0) {
		io_problem(sp, "cannot open", name);
		return WWTP_ERR_ERRNO;
	}
	wwtp_buf_init(&b, SPOOL_SEG_MAX);
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		if (wwtp_buf_add(&b, buf, (size_t)r) != 0) {
			rc = WWTP_ERR_NOMEM;
			break;
		}
	if (r < 0) {
		io_problem(sp, "cannot read", name);
		rc = WWTP_ERR_ERRNO;
	}
	if (rc == 0) {
		const char *nl = b.len ? memrchr(b.data, '\n', b.len) : NULL;
		size_t keep = nl ? (size_t)(nl - b.data) + 1 : 0;
		size_t lines = count_lines(b.data, keep);
		if (keep != b.len)
			LOG_WARN(SPOOL_MOD,
				 "%s/%s: cut a partial last line (%zu bytes) left by a crash",
				 sp->dir, name, b.len - keep);
		if (keep == 0 || lines > UINT32_MAX) {
			unlinkat(sp->dirfd, name, 0);
		} else if (ftruncate(fd, (off_t)keep) != 0 || fsync(fd) != 0) {
			io_problem(sp, "cannot truncate", name);
			rc = WWTP_ERR_ERRNO;
		} else {
			name_sealed(to, seq, (uint32_t)lines);
			if (renameat(sp->dirfd, name, sp->dirfd, to) != 0) {
				io_problem(sp, "cannot rename", name);
				rc = WWTP_ERR_ERRNO;
			} else {
				LOG_INFO(SPOOL_MOD, "sealed %s/%s left open (%zu points)", sp->dir,
					 to, lines);
			}
		}
	}
	close(fd);
	wwtp_buf_free(&b);
	return rc;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct spool_seg *x = a, *y = b;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->points < y->points ? -1 : x->points > y->points;
}

/* Reads the folder: removes .tmp files, seals .open files, indexes the rest. */
static int scan(struct wwtp_spool *sp)
{
	DIR *d;
	struct dirent *e;
	uint64_t seq;
	uint32_t points;
	int rc = 0;

	/* Pass 1: leftovers of a crash. */
	d = fdopendir(dup(sp->dirfd));
	if (!d)
		return WWTP_ERR_ERRNO;
	while ((e = readdir(d)) != NULL) {
		int kind = parse_name(e->d_name, &seq, &points);
		if (kind == 3) {
			unlinkat(sp->dirfd, e->d_name, 0);
		} else if (kind == 2) {
			if (recover_open(sp, e->d_name, seq) != 0)
				rc = WWTP_ERR_ERRNO;
		}
	}
	closedir(d);
	if (rc != 0)
		return rc;

	/* Pass 2: the sealed segments. */
	d = fdopendir(dup(sp->dirfd));
	if (!d)
		return WWTP_ERR_ERRNO;
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		struct stat sb;
		if (parse_name(e->d_name, &seq, &points) != 1)
			continue;
		if (fstatat(sp->dirfd, e->d_name, &sb, 0) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (index_add(sp, seq, points, (uint64_t)sb.st_size) != 0) {
			rc = WWTP_ERR_NOMEM;
			break;
		}
	}
	closedir(d);
	if (rc != 0)
		return rc;
	if (sp->n > 1)
		qsort(sp->segs, sp->n, sizeof(*sp->segs), cmp_seg);
	/* Two files of one seq: a rewrite (the remainder, fewer points) was
	 * renamed in but the crash came before the old file was deleted.
	 * Keep the remainder; sending the other again would only overwrite. */
	for (size_t i = 1; i < sp->n;) {
		if (sp->segs[i].seq == sp->segs[i - 1].seq) {
			char name[SPOOL_NAME_MAX];
			name_sealed(name, sp->segs[i].seq, sp->segs[i].points);
			unlinkat(sp->dirfd, name, 0);
			seg_remove(sp, i);
		} else {
			i++;
		}
	}
	sp->next_seq = sp->n ? sp->segs[sp->n - 1].seq + 1 : 1;
	return 0;
}

/* Creates dir and any missing parents (mode 0750), as `mkdir -p`: a
 * minimal central.cfg names /var/lib/wwtp-central/spool, whose parent does
 * not exist on a fresh system without the package. Logs what failed, naming
 * the folder and what to do. */
static int make_dirs(const char *dir)
{
	char path[WWTP_PATH_MAX];
	size_t n = strlen(dir);

	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char c = path[i];
		path[i] = '\0';
		if (mkdir(path, 0750) != 0 && errno != EEXIST) {
			LOG_ERROR(SPOOL_MOD,
				  "cannot create the spool folder %s (at %s: %s): create it, "
				  "writable by this user, or set influx.spool_dir to a writable "
				  "folder",
				  dir, path, strerror(errno));
			return WWTP_ERR_ERRNO;
		}
		path[i] = c;
	}
	return 0;
}

int wwtp_spool_open(const char *dir, const struct wwtp_spool_opts *o, struct wwtp_spool **out)
{
	struct wwtp_spool *sp;
	int rc;

	*out = NULL;
	if (!o || o->max_bytes == 0 || o->seal_points == 0 || o->seal_bytes == 0 ||
	    strlen(dir) >= WWTP_PATH_MAX || !dir[0])
		return WWTP_ERR_INVAL;
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return WWTP_ERR_NOMEM;
	memcpy(sp->dir, dir, strlen(dir) + 1);
	sp->o = *o;
	sp->ofd = -1;
	sp->lockfd = -1;
	sp->dirfd = -1;
	sp->drop_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	sp->io_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	pthread_mutex_init(&sp->lock, NULL);

	if (make_dirs(dir) != 0) {
		wwtp_spool_close(sp);
		return WWTP_ERR_ERRNO;
	}
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0) {
		LOG_ERROR(SPOOL_MOD, "cannot open spool folder %s: %s", dir, strerror(errno));
		wwtp_spool_close(sp);
		return WWTP_ERR_ERRNO;
	}
	/* Two processes appending to one folder would interleave segments. */
	sp->lockfd = openat(sp->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (sp->lockfd < 0 || flock(sp->lockfd, LOCK_EX | LOCK_NB) != 0) {
		LOG_ERROR(SPOOL_MOD, "cannot lock spool folder %s: %s%s", dir, strerror(errno),
			  errno == EWOULDBLOCK ? " (another wwtp-central uses it)" : "");
		wwtp_spool_close(sp);
		return WWTP_ERR_ERRNO;
	}
	rc = scan(sp);
	if (rc != 0) {
		if (rc == WWTP_ERR_ERRNO)
			LOG_ERROR(SPOOL_MOD, "cannot read spool folder %s: %s", dir,
				  strerror(errno));
		wwtp_spool_close(sp);
		return rc;
	}
	sp->st.segments = sp->n;
	*out = sp;
	return 0;
}

void wwtp_spool_close(struct wwtp_spool *sp)
{
	if (!sp)
		return;
	pthread_mutex_lock(&sp->lock);
	if (sp->dirfd >= 0)
		seal_locked(sp);
	pthread_mutex_unlock(&sp->lock);
	if (sp->lockfd >= 0)
		close(sp->lockfd); /* releases the flock */
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	pthread_mutex_destroy(&sp->lock);
	free(sp->segs);
	free(sp->busy_len);
	free(sp);
}

/* ---- append ---- */

int wwtp_spool_append(struct wwtp_spool *sp, const char *data, size_t len, uint32_t npoints)
{
	char name[SPOOL_NAME_MAX];
	int rc = 0;

	if (len == 0)
		return 0;
	if (data[len - 1] != '\n')
		return WWTP_ERR_INVAL;
	pthread_mutex_lock(&sp->lock);
	if (len > sp->o.max_bytes) {
		sp->st.refused_points += npoints;
		rc = WWTP_ERR_FULL;
		goto out;
	}
	/* Make room, oldest first. Segments of an outstanding peek are being
	 * sent and stay; the open segment is older than this append, so it is
	 * sealed to become droppable when nothing else is left. */
	while (sp->sealed_bytes + sp->obytes + len > sp->o.max_bytes) {
		if (sp->n > sp->nbusy)
			drop_seg(sp, sp->nbusy, "spool full");
		else if (sp->ofd >= 0)
			seal_locked(sp);
		else
			break;
	}
	if (sp->sealed_bytes + sp->obytes + len > sp->o.max_bytes) {
		sp->st.refused_points += npoints;
		wwtp_complain(&sp->drop_complain, WWTP_LOG_WARN, SPOOL_MOD,
			      "spool full and all of it being sent: refused %" PRIu32 " points",
			      npoints);
		rc = WWTP_ERR_FULL;
		goto out;
	}
	if (sp->ofd < 0) {
		name_open(name, sp->next_seq);
		sp->ofd = openat(sp->dirfd, name,
				 O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0640);
		if (sp->ofd < 0) {
			io_problem(sp, "cannot create", name);
			sp->st.refused_points += npoints;
			rc = WWTP_ERR_ERRNO;
			goto out;
		}
		sp->oseq = sp->next_seq++;
		sp->opoints = 0;
		sp->obytes = 0;
		sp->osince = wwtp_mono_ms();
	}
	if (write_all(sp->ofd, data, len) != 0) {
		int e = errno;
		name_open(name, sp->oseq);
		/* Cut what got in, so that the segment holds whole lines only. */
		if (ftruncate(sp->ofd, (off_t)sp->obytes) != 0)
			LOG_ERROR(SPOOL_MOD, "cannot cut %s/%s back: %s", sp->dir, name,
				  strerror(errno));
		errno = e;
		io_problem(sp, "cannot write", name);
		sp->st.refused_points += npoints;
		rc = WWTP_ERR_ERRNO;
		goto out;
	}
	if (sp->io_complain.interval_ms != 0)
		wwtp_complain_release(&sp->io_complain, SPOOL_MOD, "spool writes work again");
	sp->opoints += npoints;
	sp->obytes += len;
	sp->st.appended_points += npoints;
	if (sp->opoints >= sp->o.seal_points || sp->obytes >= sp->o.seal_bytes)
		rc = seal_locked(sp);
out:
	pthread_mutex_unlock(&sp->lock);
	return rc;
}

int wwtp_spool_seal(struct wwtp_spool *sp)
{
	pthread_mutex_lock(&sp->lock);
	int rc = seal_locked(sp);
	pthread_mutex_unlock(&sp->lock);
	return rc;
}

int wwtp_spool_sync(struct wwtp_spool *sp)
{
	int rc = 0;
	pthread_mutex_lock(&sp->lock);
	if (sp->ofd >= 0 && fdatasync(sp->ofd) != 0) {
		char name[SPOOL_NAME_MAX];
		name_open(name, sp->oseq);
		io_problem(sp, "cannot fsync", name);
		rc = WWTP_ERR_ERRNO;
	} else if (sp->ofd >= 0) {
		sp->st.synced_points = sp->st.appended_points;
	}
	pthread_mutex_unlock(&sp->lock);
	return rc;
}

int64_t wwtp_spool_open_age_ms(struct wwtp_spool *sp)
{
	int64_t age = -1;
	pthread_mutex_lock(&sp->lock);
	if (sp->ofd >= 0)
		age = wwtp_mono_ms() - sp->osince;
	pthread_mutex_unlock(&sp->lock);
	return age;
}

/* ---- peek and consume ---- */

/* Appends the file's whole lines to out; *got = bytes appended. */
static int read_seg(struct wwtp_spool *sp, const char *name, struct wwtp_buf *out, size_t *got)
{
	char buf[SPOOL_READ_CHUNK];
	size_t start = out->len;
	ssize_t r;
	int rc = 0;
	int fd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC);

	*got = 0;
	if (fd < 0)
		return WWTP_ERR_ERRNO;
	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = WWTP_ERR_ERRNO;
			break;
		}
		if ((rc = wwtp_buf_add(out, buf, (size_t)r)) != 0)
			break;
	}
	close(fd);
	if (rc == 0) {
		/* Sealed segments end with a newline; if one was damaged,
		 * its partial last line is not sent. */
		const char *nl =
		    out->len > start ? memrchr(out->data + start, '\n', out->len - start) : NULL;
		size_t keep = nl ? (size_t)(nl - out->data) + 1 : start;
		out->len = keep;
		if (out->data)
			out->data[keep] = '\0';
		*got = keep - start;
		return 0;
	}
	int e = errno;
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	errno = e;
	return rc;
}

int wwtp_spool_peek(struct wwtp_spool *sp, uint32_t max_points, size_t max_bytes,
		    struct wwtp_buf *out, uint32_t *npoints)
{
	uint64_t pts = 0, bytes = 0;
	int rc = 0;

	*npoints = 0;
	pthread_mutex_lock(&sp->lock);
	if (sp->nbusy > 0) {
		rc = WWTP_ERR_INVAL;
		goto out;
	}
	while (sp->nbusy < sp->n) {
		struct spool_seg *s = seg_at(sp, sp->nbusy);
		char name[SPOOL_NAME_MAX];
		size_t got;

		if (sp->nbusy > 0 && (pts + s->points > max_points || bytes + s->bytes > max_bytes))
			break;
		if (sp->nbusy >= sp->busy_alloc) {
			size_t na = sp->busy_alloc ? sp->busy_alloc * 2 : 16;
			size_t *p = realloc(sp->busy_len, na * sizeof(*p));
			if (!p) {
				rc = WWTP_ERR_NOMEM;
				break;
			}
			sp->busy_len = p;
			sp->busy_alloc = na;
		}
		name_sealed(name, s->seq, s->points);
		int r = read_seg(sp, name, out, &got);
		if (r == WWTP_ERR_FULL && sp->nbusy > 0)
			break; /* the caller's buffer is full: send what we have */
		if (r != 0) {
			if (r == WWTP_ERR_ERRNO)
				io_problem(sp, "cannot read", name);
			drop_seg(sp, sp->nbusy,
				 r == WWTP_ERR_FULL ? "segment too large" : "unreadable");
			continue;
		}
		sp->busy_len[sp->nbusy++] = got;
		pts += s->points;
		bytes += s->bytes;
	}
	if (rc == 0 && sp->nbusy == 0)
		rc = WWTP_ERR_NOTFOUND;
	*npoints = (uint32_t)(pts > UINT32_MAX ? UINT32_MAX : pts);
out:
	pthread_mutex_unlock(&sp->lock);
	return rc;
}

/* Rewrites busy segment 0 with the remaining `rest` bytes. */
static int rewrite_head(struct wwtp_spool *sp, const char *rest, size_t len)
{
	struct spool_seg *s = seg_at(sp, 0);
	char tmp[SPOOL_NAME_MAX], to[SPOOL_NAME_MAX], old[SPOOL_NAME_MAX];
	size_t lines = count_lines(rest, len);
	int fd;

	name_tmp(tmp, s->seq, (uint32_t)lines);
	name_sealed(to, s->seq, (uint32_t)lines);
	name_sealed(old, s->seq, s->points);
	fd = openat(sp->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		io_problem(sp, "cannot create", tmp);
		return WWTP_ERR_ERRNO;
	}
	if (write_all(fd, rest, len) != 0 || fsync(fd) != 0) {
		io_problem(sp, "cannot write", tmp);
		close(fd);
		unlinkat(sp->dirfd, tmp, 0);
		return WWTP_ERR_ERRNO;
	}
	close(fd);
	/* The remainder under its own name first, then the old file goes: a
	 * crash in between leaves both, and open() keeps the remainder. */
	if (renameat(sp->dirfd, tmp, sp->dirfd, to) != 0) {
		io_problem(sp, "cannot rename", tmp);
		unlinkat(sp->dirfd, tmp, 0);
		return WWTP_ERR_ERRNO;
	}
	if (strcmp(old, to) != 0)
		unlinkat(sp->dirfd, old, 0);
	fsync_dir(sp);
	sp->sealed_bytes = sp->sealed_bytes - s->bytes + len;
	sp->sealed_points = sp->sealed_points - s->points + lines;
	s->bytes = len;
	s->points = (uint32_t)lines;
	return 0;
}

int wwtp_spool_consume(struct wwtp_spool *sp, const char *peeked, size_t done)
{
	size_t off = 0;
	int rc = 0;

	pthread_mutex_lock(&sp->lock);
	size_t total = 0;
	for (size_t i = 0; i < sp->nbusy; i++)
		total += sp->busy_len[i];
	if (done > total || (done > 0 && peeked[done - 1] != '\n')) {
		sp->nbusy = 0;
		rc = WWTP_ERR_INVAL;
		goto out;
	}
	for (size_t i = 0; i < sp->nbusy && done > off; i++) {
		size_t len = sp->busy_len[i];
		struct spool_seg *s = seg_at(sp, 0);
		if (done >= off + len) {
			char name[SPOOL_NAME_MAX];
			name_sealed(name, s->seq, s->points);
			sp->st.consumed_points += s->points;
			if (unlinkat(sp->dirfd, name, 0) != 0 && errno != ENOENT)
				io_problem(sp, "cannot delete", name);
			seg_remove(sp, 0);
		} else {
			uint32_t before = s->points;
			rc = rewrite_head(sp, peeked + done, off + len - done);
			if (rc == 0)
				sp->st.consumed_points += before - s->points;
		}
		off += len;
	}
	sp->nbusy = 0;
out:
	pthread_mutex_unlock(&sp->lock);
	return rc;
}

void wwtp_spool_get_stats(struct wwtp_spool *sp, struct wwtp_spool_stats *out)
{
	pthread_mutex_lock(&sp->lock);
	*out = sp->st;
	out->segments = sp->n;
	out->bytes = sp->sealed_bytes + sp->obytes;
	out->points = sp->sealed_points + sp->opoints;
	pthread_mutex_unlock(&sp->lock);
}
