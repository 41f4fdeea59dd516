/* store.c - the durable message store over SQLite (see store.h).
 *
 * Why SQLite in WAL mode: it is the most tested embedded store there is, a
 * commit is atomic whatever the moment of a crash or a power cut, and in
 * WAL mode a commit is one sequential append, synced every commit_ms
 * (wwtp_store_sync): a killed process loses nothing committed. Readers (the
 * sqlite3 shell, a test) can look at the file while the collector writes. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "../util/err.h"
#include "../util/log.h"
#include "store_reserve.h"

#define MOD "store"

/* The file format this code writes (PRAGMA user_version). */
#define SCHEMA_VERSION 2
/* Payloads at least this long are stored compressed (zlib), when that
 * makes them shorter: a telemetry message with its evaluations is JSON of
 * about 1.2 KB, which deflate brings to a third, and bytes not stored are
 * bytes not written to the card twice (WAL, then the file). */
#define ZIP_MIN 128
#define ZIP_WINDOW_BITS 11
#define ZIP_MEM_LEVEL 4
/* Free room the file system must keep beyond the store's files: for the WAL
 * to grow to its cap (checkpointed at 512 KB, cut back to that
 * after a checkpoint, plus one batch), less what its file holds already,
 * and at least FS_FREE_MIN. */
#define WAL_ROOM (640 * 1024)
#define FS_FREE_MIN (128 * 1024)
/* The page size of a new store (SQLite's default is 4096). A commit writes
 * every page it changed to the WAL whole (the tail of the table and of its
 * index, the meta row, the header): with commits every publish_ms rather
 * than every few seconds, small pages write the card a quarter as much.
 * The sizes below are in bytes, whatever a store's page size. */
#define NEW_PAGE_SIZE "1024"
/* The WAL is checkpointed once it holds this much (SQLite: 1000 pages). */
#define WAL_CHECKPOINT_BYTES (512 * 1024)
#define WAL_LIMIT "524288"
/* While the file system is short of room the WAL is kept smaller (its file
 * cut back to WAL_TIGHT_LIMIT when it starts again), so that its blocks go
 * to the reserve and the rows rather than to a log mostly unused. */
#define WAL_TIGHT_ROOM (256 * 1024)
#define WAL_TIGHT_BYTES (128 * 1024)
#define WAL_TIGHT_LIMIT "163840"
/* ... or once the database file would grow by this many pages at the
 * checkpoint: what a checkpoint may need from the file system stays below
 * the reserve. */
#define GROWTH_CHECKPOINT_BYTES (128 * 1024)
/* The reserve (store_reserve.h): a checkpoint's growth (above, plus one
 * batch) and the WAL room for the transactions that then drop the oldest
 * rows and hand pages back. */
#define RESERVE_BYTES (384 * 1024)
/* Room kept free inside the file, beyond the shortfall, for the next
 * batches to reuse without growing it. */
#define FS_MARGIN (128 * 1024)
/* Pages the file is cut back by in one transaction at most: moving pages
 * writes them to the WAL, which must stay small on a full file system. */
#define SHRINK_STEP_BYTES (64 * 1024)
/* Those sizes in pages of store s. */
#define PAGES(s, bytes) ((int64_t)(bytes) / (s)->page_size)
/* Commits that must work after the file system was found full before the
 * reserve is taken again: the room freed then is the recovery's. */
#define RETAKE_AFTER_COMMITS 20
/* The least a full file system bounds the store to. */
#define FS_BOUND_MIN (64 * 1024)
/* Rows looked at per round when the bounds are applied. */
#define DROP_BATCH 32

enum {
	Q_INSERT,
	Q_DELETE,
	Q_SCAN,
	Q_OLDEST,
	Q_GET_META,
	Q_SET_META,
	Q_UPD_META,
	Q_PAGES,
	Q_FREE,
	Q_DEL_UPTO,
	Q_MIN_SEQ,
	Q_GET_TEXT,
	Q_SET_TEXT,
	Q_COUNT
};

static const char *const sql_text[Q_COUNT] = {
    [Q_INSERT] = "INSERT INTO msg(ts_ms, seq, flags, qos, topic, payload, crc, z) "
		 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    [Q_DELETE] = "DELETE FROM msg WHERE id = ?",
    [Q_SCAN] = "SELECT id, ts_ms, seq, flags, topic, payload, qos, crc, z FROM msg "
	       "WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
    [Q_OLDEST] = "SELECT id, ts_ms, flags FROM msg ORDER BY id LIMIT ?",
    [Q_GET_META] = "SELECT value FROM meta WHERE key = ?",
    /* An UPDATE first: REPLACE would delete and insert the row, writing
     * the key's index page too at every commit (the seq changes at each). */
    [Q_SET_META] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
    [Q_UPD_META] = "UPDATE meta SET value = ?2 WHERE key = ?1",
    [Q_PAGES] = "PRAGMA page_count",
    [Q_FREE] = "PRAGMA freelist_count",
    /* Both by the index on (flags, seq): one b-tree range each. */
    [Q_DEL_UPTO] = "DELETE FROM msg WHERE flags = ? AND seq > ? AND seq <= ?",
    [Q_MIN_SEQ] = "SELECT min(seq) FROM msg WHERE flags = ? AND seq > 0",
    [Q_GET_TEXT] = "SELECT value FROM conf WHERE key = ?",
    [Q_SET_TEXT] = "INSERT OR REPLACE INTO conf(key, value) VALUES (?, ?)",
};

struct wwtp_store {
	sqlite3 *db;
	sqlite3_stmt *q[Q_COUNT];
	char *path;
	int lock_fd; /* flock on "<path>.lock": one collector per store */
	int in_txn;
	int dirty;
	int unsynced; /* commits since the WAL was last synced */
	/* Compression: the deflated payload on its way in, the inflated one
	 * on its way out (valid during a scan's callback). */
	unsigned char *zbuf, *ubuf;
	size_t zcap, ucap;
	/* One deflate stream, reset for each payload: compress2() would
	 * allocate and clear some 256 KB of state for every 1.5 KB message.
	 * A 2 KB window (payloads are that small) and small hash tables make
	 * the reset cheap; inflate() reads any window size. */
	z_stream zs;
	int zs_ready;
	uint64_t max_bytes;
	int64_t max_age_ms;
	int64_t page_size;
	int64_t last_id;      /* highest id appended */
	int64_t committed_id; /* highest id committed */
	uint64_t rows;
	uint64_t committed_rows; /* rows as of the last commit (or open) */
	uint64_t dropped_full, dropped_age;
	uint64_t commits;
	uint64_t syncs; /* of the WAL by wwtp_store_sync() */
	int reset;
	int damaged;		      /* SQLite said SQLITE_CORRUPT or NOTADB since open */
	uint64_t altered;	      /* rows whose checksum did not match, removed */
	uint64_t fs_max_bytes;	      /* the bound a (nearly) full file system sets; 0: none */
	int wal_frames;		      /* frames in the WAL after the last commit */
	int incremental;	      /* auto_vacuum = INCREMENTAL: the file can be cut back */
	int tight;		      /* the file system is short of room: the WAL is kept small */
	uint64_t calm;		      /* commits since the file system was last found full */
	int hit_full;		      /* SQLite met a full file system since the last relief */
	int64_t begin_pages;	      /* page_count when the open transaction began */
	int64_t target_pages;	      /* what a short file system lets the file hold; 0: no limit */
	struct wwtp_reserve *reserve; /* NULL: none (":memory:") */
	struct wwtp_complain altered_complain;
	struct wwtp_complain fs_complain, room_complain;
	struct wwtp_complain release_complain, retake_complain;
};

/* The checksum kept with each row: CRC-32 over the topic, a NUL and the
 * payload as published (before deflating), so that a changed digit (a
 * bad card, a hand edit) is caught before the message is published. */
static uint32_t row_crc(const char *topic, const void *payload, size_t len)
{
	uLong c = crc32(0L, Z_NULL, 0);
	c = crc32(c, (const Bytef *)topic, (uInt)strlen(topic) + 1);
	if (len)
		c = crc32(c, (const Bytef *)payload, (uInt)len);
	return (uint32_t)c;
}

/* Notes an error code of SQLite's that means the file itself is bad. */
static void note_rc(struct wwtp_store *s, int rc)
{
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
		s->damaged = 1;
	if ((rc & 0xff) == SQLITE_FULL)
		s->hit_full = 1;
}

/* What the store's file system has (fs_room()). */
struct fs_room {
	uint64_t avail; /* free to this process */
	uint64_t wal;	/* the WAL file */
	uint64_t db;	/* the database file on disk */
};

static uint64_t fs_bound(struct wwtp_store *s);
static int shrink_to(struct wwtp_store *s);
static int want_checkpoint(struct wwtp_store *s);
static int checkpoint(struct wwtp_store *s);
static int release_reserve(struct wwtp_store *s);
static int would_outgrow(struct wwtp_store *s);
static int fs_room(struct wwtp_store *s, struct fs_room *out);

/* Replaces SQLite's automatic checkpoint: notes the log's length only. */
static int wal_hook(void *ctx, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	((struct wwtp_store *)ctx)->wal_frames = frames;
	return SQLITE_OK;
}

static int db_error(struct wwtp_store *s, const char *what)
{
	int code = sqlite3_errcode(s->db), was_damaged = s->damaged;
	note_rc(s, code);
	/* A full disk is the caller's to report: it lasts, and is said once
	 * with what it cost (forward.c). */
	if (code == SQLITE_FULL)
		return WWTP_ERR_FULL;
	/* A damaged file fails every read and write until it is set aside
	 * (forward.c): said once, not once per statement. */
	if (!was_damaged)
		LOG_ERROR(MOD, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
	return WWTP_ERR_ERRNO;
}

static int exec(struct wwtp_store *s, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg), was_damaged = s->damaged;
	if (rc != SQLITE_OK) {
		note_rc(s, rc);
		if (rc != SQLITE_FULL && !was_damaged)
			LOG_ERROR(MOD, "%s: %s: %s", s->path, sql, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
	}
	return rc;
}

/* One integer from a statement without parameters or with them bound. */
static int step_int(struct wwtp_store *s, sqlite3_stmt *q, int64_t *out)
{
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(s, "query");
	return rc == SQLITE_ROW ? 0 : WWTP_ERR_NOTFOUND;
}

static int begin(struct wwtp_store *s)
{
	if (s->in_txn)
		return 0;
	if (exec(s, "BEGIN IMMEDIATE") != SQLITE_OK)
		return WWTP_ERR_ERRNO;
	s->in_txn = 1;
	s->begin_pages = 0;
	step_int(s, s->q[Q_PAGES], &s->begin_pages);
	return 0;
}

/* Takes the lock file next to the store: two collectors sending the same
 * backlog would each delete on the other's acknowledgements. */
static int take_lock(struct wwtp_store *s)
{
	char lock[4096];
	int w = snprintf(lock, sizeof(lock), "%s.lock", s->path);

	s->lock_fd = -1;
	if (strcmp(s->path, ":memory:") == 0)
		return 0;
	if (w < 0 || (size_t)w >= sizeof(lock))
		return WWTP_ERR_INVAL;
	s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->lock_fd < 0) {
		LOG_ERROR(MOD, "cannot create %s: %s", lock, strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		LOG_ERROR(MOD, "%s is in use by another process (%s): one collector per store",
			  s->path, e == EWOULDBLOCK ? "locked" : strerror(e));
		close(s->lock_fd);
		s->lock_fd = -1;
		return WWTP_ERR_ERRNO;
	}
	return 0;
}

static void close_db(struct wwtp_store *s)
{
	for (int i = 0; i < Q_COUNT; i++) {
		sqlite3_finalize(s->q[i]);
		s->q[i] = NULL;
	}
	if (s->db)
		sqlite3_close(s->db);
	s->db = NULL;
}

/* PRAGMA quick_check: every page of the file is read and its b-trees
 * checked (not the indexes against their tables, which is integrity_check's
 * slower part). SQLITE_CORRUPT when it finds anything. */
static int check_file(struct wwtp_store *s)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(q, 0);
		if (v && strcmp(v, "ok") == 0) {
			rc = SQLITE_OK;
		} else {
			LOG_ERROR(MOD, "%s fails SQLite's check: %s", s->path, v ? v : "?");
			rc = SQLITE_CORRUPT;
		}
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_finalize(q);
	return rc;
}

/* Adds column `name` to msg unless it is there: stores made before it. */
static int add_column(struct wwtp_store *s, const char *name)
{
	sqlite3_stmt *q = NULL;
	char sql[96];
	int has = 0, rc = sqlite3_prepare_v2(s->db, "PRAGMA table_info(msg)", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(q, 1);
		if (n && strcmp(n, name) == 0)
			has = 1;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return rc;
	snprintf(sql, sizeof(sql), "ALTER TABLE msg ADD COLUMN %s INTEGER", name);
	return has ? SQLITE_OK : sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

/* Opens the file and brings its schema up; a damaged file shows here as
 * SQLITE_NOTADB or SQLITE_CORRUPT, returned as *sqlite_rc. */
static int open_db(struct wwtp_store *s, int *sqlite_rc)
{
	int64_t v = 0;
	int rc;

	*sqlite_rc = SQLITE_OK;
	rc =
	    sqlite3_open_v2(s->path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		*sqlite_rc = rc;
		LOG_ERROR(MOD, "cannot open %s: %s", s->path,
			  s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		return WWTP_ERR_ERRNO;
	}
	sqlite3_extended_result_codes(s->db, 0);
	sqlite3_wal_hook(s->db, wal_hook, s);
	/* A reader (the sqlite3 shell) may hold the file for a moment. */
	sqlite3_busy_timeout(s->db, 5000);
	/* WAL: a commit appends to the log (synced by wwtp_store_sync); the
	 * database file is written at checkpoints. SQLite checkpoints at 1000
	 * pages (4 MB) by default, which a 2 MB file system never reaches:
	 * here at 512 KB of pages, and the log is cut back to 512 KB after
	 * a checkpoint, so the store lives on a small partition too. The
	 * checkpoint is ours (wal_hook, after_commit): SQLite's automatic one
	 * runs inside COMMIT and its failure (a full disk) comes back as
	 * COMMIT's although the transaction is committed. */
	const char *setup[] = {
	    /* First, before anything is written: only a new file takes it.
	     * Pages freed by dropped rows can then be handed back to a full
	     * file system (PRAGMA incremental_vacuum, shrink_to()). */
	    /* Likewise only for a new file (NEW_PAGE_SIZE); before
	     * auto_vacuum, which would settle it at the default. */
	    "PRAGMA page_size=" NEW_PAGE_SIZE,
	    "PRAGMA auto_vacuum=INCREMENTAL",
	    "PRAGMA journal_mode=WAL",
	    /* NORMAL: a commit is written to the WAL (the OS has it: a
	     * killed process loses nothing committed) but not synced;
	     * wwtp_store_sync() syncs the log, every commit_ms (forward.c),
	     * so a power cut loses at most that. Checkpoints sync as ever. */
	    "PRAGMA synchronous=NORMAL",
	    "PRAGMA journal_size_limit=" WAL_LIMIT,
	    /* Debian builds SQLite with secure_delete on: every page a delete
	     * frees is zeroed, so deleting a backlog wrote all of it to the WAL
	     * again (megabytes on a full file system). The messages are no
	     * secret: content is cleared only on pages written anyway. */
	    "PRAGMA secure_delete=FAST",
	    /* The page cache is heap that stays: SQLite's default is 2000 KiB,
	     * more than all the rest of the collector's heap. The store is
	     * appended at its end and read from its start, so a few pages of
	     * each b-tree's path are what is hit; 256 KiB holds them. */
	    "PRAGMA cache_size=-256",
	    "CREATE TABLE IF NOT EXISTS msg(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	    " ts_ms INTEGER NOT NULL, seq INTEGER NOT NULL, flags INTEGER NOT NULL,"
	    " qos INTEGER NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL, crc INTEGER)",
	    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
	    /* Texts kept across runs: the measuring configuration of the last
	     * run (confaudit.h). TEXT affinity: a value is never taken for a
	     * number. */
	    "CREATE TABLE IF NOT EXISTS conf(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
	};
	for (size_t i = 0; i < sizeof(setup) / sizeof(setup[0]); i++) {
		char *msg = NULL;
		rc = sqlite3_exec(s->db, setup[i], NULL, NULL, &msg);
		if (rc != SQLITE_OK) {
			*sqlite_rc = rc;
			LOG_ERROR(MOD, "%s: %s: %s", s->path, setup[i],
				  msg ? msg : sqlite3_errstr(rc));
			sqlite3_free(msg);
			return WWTP_ERR_ERRNO;
		}
	}
	/* A damaged file is set aside before anything is read from it; a
	 * check of every page costs a read of the file once per start. */
	rc = check_file(s);
	if (rc != SQLITE_OK) {
		*sqlite_rc = rc;
		return WWTP_ERR_ERRNO;
	}
	/* Stores of format 1 before checksums and confirmations: the column
	 * (NULL: not checked) and the index the confirmations delete by. */
	rc = add_column(s, "crc");
	/* Format 2: the payload's length before compression (NULL or 0:
	 * stored as it is). */
	if (rc == SQLITE_OK)
		rc = add_column(s, "z");
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db,
				  "CREATE INDEX IF NOT EXISTS msg_kind_seq ON msg(flags, seq)",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		*sqlite_rc = rc;
		return db_error(s, "cannot bring the schema up");
	}
	for (int i = 0; i < Q_COUNT; i++) {
		rc = sqlite3_prepare_v2(s->db, sql_text[i], -1, &s->q[i], NULL);
		if (rc != SQLITE_OK) {
			*sqlite_rc = rc;
			return db_error(s, sql_text[i]);
		}
	}
	sqlite3_stmt *q = NULL;
	const char *facts[] = {"PRAGMA user_version", "PRAGMA page_size",
			       "SELECT count(*) FROM msg", "SELECT coalesce(max(id), 0) FROM msg",
			       "PRAGMA auto_vacuum"};
	int64_t val[5] = {0, 4096, 0, 0, 0};
	for (size_t i = 0; i < 5; i++) {
		rc = sqlite3_prepare_v2(s->db, facts[i], -1, &q, NULL);
		if (rc != SQLITE_OK) {
			*sqlite_rc = rc;
			return db_error(s, facts[i]);
		}
		rc = step_int(s, q, &val[i]);
		sqlite3_finalize(q);
		if (rc == WWTP_ERR_ERRNO) {
			*sqlite_rc = sqlite3_errcode(s->db);
			return rc;
		}
	}
	v = val[0];
	if (v > SCHEMA_VERSION) {
		LOG_ERROR(MOD,
			  "%s was written by a newer collector (format %" PRId64 ", this one "
			  "knows %d): refusing to touch it",
			  s->path, v, SCHEMA_VERSION);
		return WWTP_ERR_INVAL;
	}
	/* An older collector refuses a store of format 2 rather than publish
	 * its compressed payloads as they are. */
	if (v < SCHEMA_VERSION && exec(s, "PRAGMA user_version=2") != SQLITE_OK)
		return WWTP_ERR_ERRNO;
	s->page_size = val[1] > 0 ? val[1] : 4096;
	s->rows = s->committed_rows = (uint64_t)val[2];
	s->last_id = s->committed_id = val[3];
	s->incremental = val[4] == 2;
	if (wwtp_store_get_meta(s, "dropped_full", &v) == 0)
		s->dropped_full = (uint64_t)v;
	if (wwtp_store_get_meta(s, "dropped_age", &v) == 0)
		s->dropped_age = (uint64_t)v;
	return 0;
}

/* Moves a damaged store (and its WAL) out of the way, keeping it for a
 * post-mortem rather than deleting what may hold unsent readings. */
static int set_aside(struct wwtp_store *s)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	long now = (long)time(NULL);
	char tag[48];
	int k = 0;

	/* A name not taken yet: two set-asides in one second keep both. */
	snprintf(tag, sizeof(tag), "%ld", now);
	for (;;) {
		char probe[4200];
		int w = snprintf(probe, sizeof(probe), "%s.corrupt-%s", s->path, tag);
		if (w < 0 || (size_t)w >= sizeof(probe) || access(probe, F_OK) != 0 || k > 1000)
			break;
		snprintf(tag, sizeof(tag), "%ld-%d", now, ++k);
	}
	for (size_t i = 0; i < 3; i++) {
		char from[4096], to[4200];
		int a = snprintf(from, sizeof(from), "%s%s", s->path, suffix[i]);
		int b = snprintf(to, sizeof(to), "%s.corrupt-%s%s", s->path, tag, suffix[i]);
		if (a < 0 || b < 0 || (size_t)a >= sizeof(from) || (size_t)b >= sizeof(to))
			return WWTP_ERR_INVAL;
		if (rename(from, to) != 0 && errno != ENOENT) {
			LOG_ERROR(MOD, "cannot move %s aside: %s", from, strerror(errno));
			return WWTP_ERR_ERRNO;
		}
		if (i == 0)
			LOG_ERROR(MOD, "%s is damaged or not a store: moved to %s, starting empty",
				  from, to);
	}
	return 0;
}

/* Before the database is opened: SQLite makes its -shm (32 KB) and -wal
 * files again at each start (it removes them at a clean close), so on a
 * file system full to its last block the reserve a previous run left goes
 * now, or the store could not open, nor write the deletes that make room.
 * Sized in bytes, whatever the page size.  */
static int reserve_at_start(struct wwtp_store *s)
{
	struct fs_room f;

	s->page_size = 4096;
	if (strcmp(s->path, ":memory:") == 0)
		return 0;
	int rc = wwtp_reserve_new(s->path, RESERVE_BYTES, &s->reserve);
	if (rc == 0 && wwtp_reserve_held(s->reserve) && fs_room(s, &f) == 0 &&
	    f.avail < FS_FREE_MIN)
		release_reserve(s);
	return rc;
}

int wwtp_store_open(const char *path, uint64_t max_bytes, int64_t max_age_ms,
		    struct wwtp_store **out)
{
	struct wwtp_store *s;
	int rc, src;

	*out = NULL;
	if (!path || !path[0])
		return WWTP_ERR_INVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return WWTP_ERR_NOMEM;
	s->path = strdup(path);
	if (!s->path) {
		free(s);
		return WWTP_ERR_NOMEM;
	}
	s->max_bytes = max_bytes;
	s->max_age_ms = max_age_ms;
	s->altered_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	s->fs_complain = s->room_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	s->release_complain = s->retake_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	s->calm = RETAKE_AFTER_COMMITS; /* nothing found full yet */
	rc = take_lock(s);
	if (rc == 0)
		rc = reserve_at_start(s);
	if (rc == 0) {
		rc = open_db(s, &src);
		if (rc != 0 && (src == SQLITE_NOTADB || src == SQLITE_CORRUPT)) {
			close_db(s);
			rc = set_aside(s);
			if (rc == 0) {
				s->reset = 1;
				rc = open_db(s, &src);
			}
		}
	}
	if (rc == 0)
		rc = wwtp_store_set_reserve(s, -1);
	if (rc != 0) {
		wwtp_store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void wwtp_store_close(struct wwtp_store *s)
{
	if (!s)
		return;
	if (s->db && s->in_txn)
		wwtp_store_commit(s);
	if (s->db)
		wwtp_store_sync(s);
	close_db(s);
	/* After the database is closed: closing another descriptor of a file
	 * would drop SQLite's own POSIX locks on it, so the lock is a file of
	 * its own anyway. */
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	wwtp_reserve_free(s->reserve);
	if (s->zs_ready)
		deflateEnd(&s->zs);
	free(s->zbuf);
	free(s->ubuf);
	free(s->path);
	free(s);
}

int wwtp_store_append(struct wwtp_store *s, const char *topic, const void *payload, size_t len,
		      int qos, int64_t ts_ms, uint64_t seq, int flags, int64_t *id_out)
{
	sqlite3_stmt *q = s->q[Q_INSERT];
	int rc = begin(s);

	if (rc)
		return rc;
	if (len > (size_t)INT32_MAX)
		return WWTP_ERR_INVAL;
	/* Compressed when it pays; the checksum stays that of the payload as
	 * published, checked after inflating. */
	const void *data = len ? payload : "";
	size_t dlen = len;
	int64_t z = 0;
	if (len >= ZIP_MIN && !s->zs_ready &&
	    deflateInit2(&s->zs, 6, Z_DEFLATED, ZIP_WINDOW_BITS, ZIP_MEM_LEVEL,
			 Z_DEFAULT_STRATEGY) == Z_OK)
		s->zs_ready = 1;
	if (len >= ZIP_MIN && s->zs_ready && deflateReset(&s->zs) == Z_OK) {
		uLong zl = deflateBound(&s->zs, (uLong)len);
		if (zl > s->zcap) {
			unsigned char *b = realloc(s->zbuf, zl);
			if (b) {
				s->zbuf = b;
				s->zcap = zl;
			}
		}
		s->zs.next_in = (Bytef *)(uintptr_t)payload;
		s->zs.avail_in = (uInt)len;
		s->zs.next_out = s->zbuf;
		s->zs.avail_out = (uInt)s->zcap;
		if (zl <= s->zcap && deflate(&s->zs, Z_FINISH) == Z_STREAM_END &&
		    s->zs.total_out < len) {
			data = s->zbuf;
			dlen = s->zs.total_out;
			z = (int64_t)len;
		}
	}
	sqlite3_bind_int64(q, 1, ts_ms);
	sqlite3_bind_int64(q, 2, (int64_t)seq);
	sqlite3_bind_int(q, 3, flags);
	sqlite3_bind_int(q, 4, qos);
	sqlite3_bind_text(q, 5, topic, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 6, data, (int)dlen, SQLITE_STATIC);
	sqlite3_bind_int64(q, 7, row_crc(topic, payload, len));
	sqlite3_bind_int64(q, 8, z);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE)
		return db_error(s, "cannot store a message");
	s->last_id = sqlite3_last_insert_rowid(s->db);
	s->rows++;
	s->dirty = 1;
	if (id_out)
		*id_out = s->last_id;
	return 0;
}

int wwtp_store_delete(struct wwtp_store *s, int64_t id)
{
	sqlite3_stmt *q = s->q[Q_DELETE];
	int rc = begin(s);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return db_error(s, "cannot delete a message");
	int n = sqlite3_changes(s->db);
	if (n > 0) {
		s->rows = s->rows >= (uint64_t)n ? s->rows - (uint64_t)n : 0;
		s->dirty = 1;
	}
	return 0;
}

int wwtp_store_commit(struct wwtp_store *s)
{
	if (!s->in_txn)
		return 0;
	/* Rows that may not be dropped (with the broker) can keep the bounds
	 * from making room: such a transaction would make the file grow at the
	 * next checkpoint into room the file system has not, and the store
	 * would be stuck (the checkpoint fails, and every later transaction
	 * with it). Refused as a full disk is, before it is durable; the
	 * caller keeps its batch and tries again once acknowledgements have
	 * made room. */
	if (would_outgrow(s)) {
		wwtp_store_rollback(s);
		return WWTP_ERR_FULL;
	}
	int crc = exec(s, "COMMIT");
	if (crc != SQLITE_OK) {
		/* Rolled back, whatever SQLite did (a full disk may leave the
		 * transaction open): nothing above committed_id was published,
		 * and the forwarder, which keeps the batch, puts it again. */
		wwtp_store_rollback(s);
		return crc == SQLITE_FULL ? WWTP_ERR_FULL : WWTP_ERR_ERRNO;
	}
	s->in_txn = 0;
	s->dirty = 0;
	s->committed_id = s->last_id;
	s->committed_rows = s->rows;
	s->commits++;
	s->calm++;
	s->unsynced = 1;
	/* Committed: a checkpoint that fails now (a full disk) loses nothing,
	 * the log only stays longer. */
	if (want_checkpoint(s))
		checkpoint(s);
	return 0;
}

int wwtp_store_sync(struct wwtp_store *s)
{
	char wal[4200];

	if (!s->unsynced || strcmp(s->path, ":memory:") == 0)
		return 0;
	/* The log's pages, whoever wrote them: fdatasync() is of the file,
	 * not of this descriptor. No log (checkpointed and removed): the
	 * checkpoint synced the file. */
	snprintf(wal, sizeof(wal), "%s-wal", s->path);
	int fd = open(wal, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		LOG_ERROR(MOD, "cannot open %s to sync it: %s", wal, strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	if (fd >= 0) {
		int rc = fdatasync(fd), e = errno;
		close(fd);
		if (rc != 0) {
			LOG_ERROR(MOD, "cannot sync %s: %s", wal, strerror(e));
			return WWTP_ERR_ERRNO;
		}
	}
	s->unsynced = 0;
	s->syncs++;
	return 0;
}

void wwtp_store_rollback(struct wwtp_store *s)
{
	sqlite3_stmt *q = NULL;
	int64_t n = 0;

	if (!s->db)
		return;
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_txn = 0;
	s->dirty = 0;
	s->last_id = s->committed_id;
	/* What the last commit left; a damaged file is not asked (its count
	 * may be short, or fail). */
	s->rows = s->committed_rows;
	if (!s->damaged &&
	    sqlite3_prepare_v2(s->db, "SELECT count(*) FROM msg", -1, &q, NULL) == SQLITE_OK &&
	    step_int(s, q, &n) == 0)
		s->rows = s->committed_rows = (uint64_t)n;
	sqlite3_finalize(q);
	/* Drops made in the transaction did not happen. */
	s->dropped_full = wwtp_store_get_meta(s, "dropped_full", &n) == 0 ? (uint64_t)n : 0;
	s->dropped_age = wwtp_store_get_meta(s, "dropped_age", &n) == 0 ? (uint64_t)n : 0;
}

int wwtp_store_dirty(const struct wwtp_store *s)
{
	return s->dirty;
}

int64_t wwtp_store_committed_id(const struct wwtp_store *s)
{
	return s->committed_id;
}

/* Inflates a compressed payload (z: its length before) into s->ubuf and
 * points m at it; WWTP_ERR_INVAL when it does not inflate to z bytes. */
static int unzip(struct wwtp_store *s, struct wwtp_store_msg *m, int64_t z)
{
	if (z > INT32_MAX)
		return WWTP_ERR_INVAL;
	if ((size_t)z > s->ucap) {
		unsigned char *b = realloc(s->ubuf, (size_t)z);
		if (!b)
			return WWTP_ERR_NOMEM;
		s->ubuf = b;
		s->ucap = (size_t)z;
	}
	uLongf ul = (uLongf)z;
	if (!m->payload ||
	    uncompress(s->ubuf, &ul, (const Bytef *)m->payload, (uLong)m->len) != Z_OK ||
	    ul != (uLongf)z)
		return WWTP_ERR_INVAL;
	m->payload = s->ubuf;
	m->len = (size_t)z;
	return 0;
}

int wwtp_store_scan(struct wwtp_store *s, int64_t from_id, int64_t below_id, int max,
		    wwtp_store_visit_cb cb, void *ctx)
{
	sqlite3_stmt *q = s->q[Q_SCAN];
	int64_t bad[16];
	int n = 0, rc, nbad = 0;

	sqlite3_bind_int64(q, 1, from_id);
	sqlite3_bind_int64(q, 2, below_id > 0 ? below_id : INT64_MAX);
	sqlite3_bind_int(q, 3, max);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct wwtp_store_msg m;
		m.id = sqlite3_column_int64(q, 0);
		m.ts_ms = sqlite3_column_int64(q, 1);
		m.seq = (uint64_t)sqlite3_column_int64(q, 2);
		m.flags = sqlite3_column_int(q, 3);
		m.topic = (const char *)sqlite3_column_text(q, 4);
		m.payload = sqlite3_column_blob(q, 5);
		m.len = (size_t)sqlite3_column_bytes(q, 5);
		m.qos = sqlite3_column_int(q, 6);
		if (!m.topic)
			continue; /* NOT NULL in the schema: cannot happen */
		int64_t z = sqlite3_column_int64(q, 8);
		if (z > 0 && unzip(s, &m, z) != 0) {
			/* Does not inflate to its length: altered, as below. */
			if (nbad < (int)(sizeof(bad) / sizeof(bad[0])))
				bad[nbad++] = m.id;
			continue;
		}
		/* A row whose bytes are not those stored is never published:
		 * removed after the scan, counted and said. Rows of stores
		 * written before checksums have none (NULL). */
		if (sqlite3_column_type(q, 7) != SQLITE_NULL &&
		    (uint32_t)sqlite3_column_int64(q, 7) != row_crc(m.topic, m.payload, m.len)) {
			if (nbad < (int)(sizeof(bad) / sizeof(bad[0])))
				bad[nbad++] = m.id;
			continue;
		}
		n++;
		if (cb(&m, ctx))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_reset(q);
		return db_error(s, "cannot read messages");
	}
	sqlite3_reset(q);
	int removed = 0;
	for (int i = 0; i < nbad; i++, removed++) {
		if (wwtp_store_delete(s, bad[i]) != 0)
			break;
		s->altered++;
		wwtp_complain(&s->altered_complain, WWTP_LOG_ERROR, MOD,
			      "%s: message %" PRId64 " does not match its checksum (altered on "
			      "disk): not sent, removed (%" PRIu64 " so far)",
			      s->path, bad[i], s->altered);
	}
	/* Rows were skipped: the caller scans again from where it was. */
	if (nbad > 0 && removed == nbad && n == 0)
		return wwtp_store_scan(s, from_id, below_id, max, cb, ctx);
	return n;
}

static int pages_in_use(struct wwtp_store *s, uint64_t *bytes)
{
	int64_t pages = 0, freep = 0;
	if (step_int(s, s->q[Q_PAGES], &pages) == WWTP_ERR_ERRNO ||
	    step_int(s, s->q[Q_FREE], &freep) == WWTP_ERR_ERRNO)
		return WWTP_ERR_ERRNO;
	*bytes = pages > freep ? (uint64_t)(pages - freep) * (uint64_t)s->page_size : 0;
	return 0;
}

static int oldest_rows(struct wwtp_store *s, int64_t *ids, int64_t *ts, int *flags, int max)
{
	sqlite3_stmt *q = s->q[Q_OLDEST];
	int n = 0, rc;

	sqlite3_bind_int(q, 1, max);
	while (n < max && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		ids[n] = sqlite3_column_int64(q, 0);
		ts[n] = sqlite3_column_int64(q, 1);
		flags[n] = sqlite3_column_int(q, 2);
		n++;
	}
	sqlite3_reset(q);
	return n;
}

static int drop_ids(struct wwtp_store *s, const int64_t *ids, int n)
{
	for (int i = 0; i < n; i++) {
		int rc = wwtp_store_delete(s, ids[i]);
		if (rc)
			return rc;
	}
	return 0;
}

int wwtp_store_enforce(struct wwtp_store *s, int64_t now_ms, int clock_ok, wwtp_store_keep_cb keep,
		       void *ctx, uint64_t *full, uint64_t *age)
{
	int64_t ids[DROP_BATCH], ts[DROP_BATCH], del[DROP_BATCH];
	int flags[DROP_BATCH];
	uint64_t nfull = 0, nage = 0, used = 0;
	int rc = 0;

	/* Age first: rows that would go anyway should not push out younger
	 * ones. Only whole-heartedly with a synchronised clock: right after a
	 * boot without one, every row would look years old (or in the future). */
	if (s->max_age_ms > 0 && clock_ok) {
		int64_t cutoff = now_ms - s->max_age_ms;
		int64_t from = 0;
		for (;;) {
			sqlite3_stmt *q = s->q[Q_SCAN];
			int n = 0, nd = 0, stop = 0;
			/* The oldest rows from `from` on: id and ts only. */
			sqlite3_bind_int64(q, 1, from);
			sqlite3_bind_int64(q, 2, INT64_MAX);
			sqlite3_bind_int(q, 3, DROP_BATCH);
			while (n < DROP_BATCH && sqlite3_step(q) == SQLITE_ROW) {
				ids[n] = sqlite3_column_int64(q, 0);
				ts[n] = sqlite3_column_int64(q, 1);
				flags[n] = sqlite3_column_int(q, 3);
				n++;
			}
			sqlite3_reset(q);
			for (int i = 0; i < n && !stop; i++) {
				from = ids[i] + 1;
				if (flags[i] & WWTP_STORE_UNSYNCED)
					continue;
				if (ts[i] >= cutoff) {
					stop =
					    1; /* append order is time order: the rest is younger */
					break;
				}
				if (!keep || keep(ids[i], ctx))
					del[nd++] = ids[i];
			}
			rc = drop_ids(s, del, nd);
			if (rc)
				return rc;
			nage += (uint64_t)nd;
			if (stop || n < DROP_BATCH)
				break;
		}
	}
	uint64_t bound = s->max_bytes, fsb = fs_bound(s);
	if (fsb > 0 && (bound == 0 || fsb < bound))
		bound = fsb;
	/* Said once when it starts and once when it ends; a file system on the
	 * edge of full does not repeat them more than once in a while. */
	if (fsb > 0 && s->fs_max_bytes == 0)
		wwtp_complain(
		    &s->fs_complain, WWTP_LOG_WARN, MOD,
		    "%s: its file system is (nearly) full: the store keeps to %" PRIu64
		    " KB while it is, oldest unsent messages first (as with store.max_mb)",
		    s->path, fsb / 1024);
	else if (fsb == 0 && s->fs_max_bytes > 0 && s->fs_complain.interval_ms != 0)
		wwtp_complain(&s->room_complain, WWTP_LOG_INFO, MOD,
			      "%s: its file system has room again", s->path);
	s->fs_max_bytes = fsb;
	if (bound > 0) {
		rc = pages_in_use(s, &used);
		/* A few rows first, then more: no more go than the bound needs. */
		int step = 1;
		while (rc == 0 && used > bound) {
			int asked = step, n = oldest_rows(s, ids, ts, flags, step), nd = 0;
			step = step * 2 > DROP_BATCH ? DROP_BATCH : step * 2;
			for (int i = 0; i < n; i++)
				if (!keep || keep(ids[i], ctx))
					del[nd++] = ids[i];
			if (nd == 0 && (n < asked || asked == DROP_BATCH))
				break; /* nothing left that may go */
			rc = drop_ids(s, del, nd);
			nfull += (uint64_t)nd;
			if (rc == 0)
				rc = pages_in_use(s, &used);
		}
		if (rc == 0)
			rc = shrink_to(s);
		if (rc)
			return rc;
	}
	if (nfull) {
		s->dropped_full += nfull;
		rc = wwtp_store_set_meta(s, "dropped_full", (int64_t)s->dropped_full);
	}
	if (nage && rc == 0) {
		s->dropped_age += nage;
		rc = wwtp_store_set_meta(s, "dropped_age", (int64_t)s->dropped_age);
	}
	if (full)
		*full += nfull;
	if (age)
		*age += nage;
	return rc;
}

int wwtp_store_get_meta(struct wwtp_store *s, const char *key, int64_t *value)
{
	sqlite3_stmt *q = s->q[Q_GET_META];
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	return step_int(s, q, value);
}

int wwtp_store_set_meta(struct wwtp_store *s, const char *key, int64_t value)
{
	int rc = begin(s);

	if (rc)
		return rc;
	for (int k = Q_UPD_META; k >= Q_SET_META; k--) {
		sqlite3_stmt *q = s->q[k];
		sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, value);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
		if (rc != SQLITE_DONE)
			return db_error(s, "cannot write metadata");
		if (k == Q_UPD_META && sqlite3_changes(s->db) > 0)
			break;
	}
	s->dirty = 1;
	return 0;
}

int wwtp_store_get_text(struct wwtp_store *s, const char *key, char **value)
{
	sqlite3_stmt *q = s->q[Q_GET_TEXT];
	int rc;

	*value = NULL;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(q, 0);
		int n = sqlite3_column_bytes(q, 0);
		*value = t ? malloc((size_t)n + 1) : NULL;
		if (*value) {
			memcpy(*value, t, (size_t)n);
			(*value)[n] = '\0';
		}
		rc = t && !*value ? WWTP_ERR_NOMEM : 0;
	} else if (rc == SQLITE_DONE) {
		rc = WWTP_ERR_NOTFOUND;
	} else {
		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
		return db_error(s, "cannot read a kept text");
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc;
}

int wwtp_store_set_text(struct wwtp_store *s, const char *key, const char *value)
{
	sqlite3_stmt *q = s->q[Q_SET_TEXT];
	int rc = begin(s);

	if (rc)
		return rc;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE)
		return db_error(s, "cannot write a kept text");
	s->dirty = 1;
	return 0;
}

void wwtp_store_get_stats(struct wwtp_store *s, struct wwtp_store_stats *out)
{
	int64_t id[1], ts[1];
	int flags[1];

	memset(out, 0, sizeof(*out));
	out->rows = s->rows;
	out->committed_rows = s->committed_rows;
	if (s->rows > 0 && oldest_rows(s, id, ts, flags, 1) == 1)
		out->oldest_ts_ms = ts[0];
	pages_in_use(s, &out->bytes);
	out->max_bytes = s->max_bytes;
	out->dropped_full = s->dropped_full;
	out->dropped_age = s->dropped_age;
	out->committed_id = s->committed_id;
	out->commits = s->commits;
	out->syncs = s->syncs;
	out->reset = s->reset;
	out->altered = s->altered;
	out->fs_max_bytes = s->fs_max_bytes;
	out->reserve_bytes = wwtp_reserve_held(s->reserve) ? wwtp_reserve_bytes(s->reserve) : 0;
}

int wwtp_store_delete_upto(struct wwtp_store *s, int alerts, uint64_t above, uint64_t upto,
			   uint64_t *n)
{
	int rc = begin(s);
	uint64_t gone = 0;

	if (rc)
		return rc;
	for (int unsynced = 0; unsynced < 2; unsynced++) {
		sqlite3_stmt *q = s->q[Q_DEL_UPTO];
		sqlite3_bind_int(q, 1, (alerts ? WWTP_STORE_ALERT : 0) | unsynced);
		sqlite3_bind_int64(q, 2, above > INT64_MAX ? INT64_MAX : (int64_t)above);
		sqlite3_bind_int64(q, 3, upto > INT64_MAX ? INT64_MAX : (int64_t)upto);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
		if (rc != SQLITE_DONE)
			return db_error(s, "cannot delete confirmed messages");
		gone += (uint64_t)sqlite3_changes(s->db);
	}
	if (gone) {
		s->rows = s->rows >= gone ? s->rows - gone : 0;
		s->dirty = 1;
	}
	if (n)
		*n = gone;
	return 0;
}

int wwtp_store_min_seq(struct wwtp_store *s, int alerts, uint64_t *out)
{
	uint64_t best = 0;
	for (int unsynced = 0; unsynced < 2; unsynced++) {
		sqlite3_stmt *q = s->q[Q_MIN_SEQ];
		int64_t v = 0;
		sqlite3_bind_int(q, 1, (alerts ? WWTP_STORE_ALERT : 0) | unsynced);
		int rc = sqlite3_step(q);
		if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
			v = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return db_error(s, "cannot read the lowest seq");
		if (v > 0 && (best == 0 || (uint64_t)v < best))
			best = (uint64_t)v;
	}
	*out = best;
	return 0;
}

int wwtp_store_damaged(const struct wwtp_store *s)
{
	return s->damaged;
}

int wwtp_store_reset(struct wwtp_store *s)
{
	int rc, src;

	close_db(s);
	s->in_txn = 0;
	s->dirty = 0;
	rc = set_aside(s);
	if (rc == 0)
		rc = open_db(s, &src);
	if (rc == 0) {
		s->reset = 1;
		s->damaged = 0;
	}
	return rc;
}

void wwtp_store_relieve(struct wwtp_store *s)
{
	/* A failed transaction (SQLITE_FULL) or checkpoint: the reserve goes,
	 * so that the log can be checkpointed (the file may grow into it) and
	 * start again from its beginning, and the next transaction, its
	 * batch cut small, can drop the oldest rows and hand pages back
	 * (fs_bound). The log's file keeps its blocks for the transactions to
	 * come (journal_size_limit cuts it back to 512 KB). */
	if (s->hit_full)
		release_reserve(s);
	s->hit_full = 0;
	checkpoint(s);
}

int wwtp_store_set_reserve(struct wwtp_store *s, int64_t bytes)
{
	struct wwtp_reserve *r = NULL;

	if (strcmp(s->path, ":memory:") == 0)
		return 0;
	if (bytes < 0)
		bytes = RESERVE_BYTES;
	if (!s->reserve || wwtp_reserve_bytes(s->reserve) != (uint64_t)bytes) {
		int rc = wwtp_reserve_new(s->path, (uint64_t)bytes, &r);
		if (rc)
			return rc;
		wwtp_reserve_free(s->reserve);
		s->reserve = r;
	}
	/* Taken now if the file system has room; otherwise fs_bound makes the
	 * room (the oldest rows go) and takes it then. */
	fs_bound(s);
	if (bytes > 0 && !wwtp_reserve_held(s->reserve) && s->release_complain.interval_ms == 0)
		LOG_WARN(MOD,
			 "%s: no room on its file system for the reserve of %" PRId64
			 " KB now: the store makes it, dropping its oldest messages if need be",
			 s->path, bytes / 1024);
	return 0;
}

/* Free room the file system must keep beyond the store's files: for the WAL
 * to grow to wal_room, less what its file holds already, at least
 * FS_FREE_MIN. */
static uint64_t wal_need(uint64_t wal_room, uint64_t wal)
{
	return wal_room > wal + FS_FREE_MIN ? wal_room - wal : FS_FREE_MIN;
}

static int fs_room(struct wwtp_store *s, struct fs_room *out)
{
	char dir[4096], wal[4200];
	struct statvfs v;
	struct stat st;

	if (strcmp(s->path, ":memory:") == 0)
		return WWTP_ERR_INVAL;
	snprintf(dir, sizeof(dir), "%s", s->path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (statvfs(dir, &v) != 0)
		return WWTP_ERR_ERRNO;
	out->avail = (uint64_t)v.f_bavail * v.f_frsize;
	out->db = stat(s->path, &st) == 0 ? (uint64_t)st.st_size : 0;
	snprintf(wal, sizeof(wal), "%s-wal", s->path);
	out->wal = stat(wal, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

/* The bound the file system sets on the pages in use now, 0 when it has
 * room. The free room it must keep (fs_room: for the WAL, and for the
 * reserve while that is not held) comes out of the database file: the file
 * may hold its size on disk plus what is free beyond that room, or less
 * (s->target_pages, reached by shrink_to()), and the pages in use keep
 * FS_MARGIN below that, free inside the file for the next batches. So a
 * checkpoint never needs the file to grow on a full file system, and the
 * store keeps working on a small one, oldest unsent messages first. Takes
 * the reserve again when there is room for it. */
static uint64_t fs_bound(struct wwtp_store *s)
{
	struct fs_room f;
	uint64_t r = wwtp_reserve_bytes(s->reserve);

	s->target_pages = 0;
	if (fs_room(s, &f) != 0)
		return 0;
	/* Room for the WAL to grow to its cap: the full one to leave the
	 * tight mode (so that the mode does not flip back at once), the small
	 * one while in it. */
	uint64_t need = wal_need(WAL_ROOM, f.wal);
	if (r > 0 && !wwtp_reserve_held(s->reserve))
		need += r;
	int tight = f.avail < need + FS_MARGIN;
	if (tight != s->tight) {
		s->tight = tight;
		exec(s, tight ? "PRAGMA journal_size_limit=" WAL_TIGHT_LIMIT
			      : "PRAGMA journal_size_limit=" WAL_LIMIT);
	}
	need = wal_need(tight ? WAL_TIGHT_ROOM : WAL_ROOM, f.wal);
	if (r > 0 && !wwtp_reserve_held(s->reserve)) {
		if (s->calm >= RETAKE_AFTER_COMMITS && f.avail >= need + r &&
		    wwtp_reserve_take(s->reserve) == 0) {
			f.avail -= r;
			if (s->release_complain.interval_ms != 0)
				wwtp_complain(&s->retake_complain, WWTP_LOG_INFO, MOD,
					      "%s: its file system has room again for the reserve "
					      "of %" PRIu64 " KB: taken",
					      s->path, r / 1024);
		} else {
			need += r;
		}
	}
	if (!tight)
		return 0;
	int64_t room = (int64_t)f.db + (int64_t)f.avail - (int64_t)need;
	uint64_t target = room > FS_BOUND_MIN ? (uint64_t)room : FS_BOUND_MIN;
	s->target_pages = (int64_t)(target / (uint64_t)s->page_size);
	return target > FS_MARGIN + FS_BOUND_MIN ? target - FS_MARGIN : FS_BOUND_MIN;
}

/* Cuts the file back to s->target_pages (in the open transaction): pages
 * at its end are moved into free ones, and the checkpoint after the commit
 * truncates the file. Stores made before auto_vacuum = INCREMENTAL cannot
 * (docs/reliability.md says how to convert one). */
static int shrink_to(struct wwtp_store *s)
{
	int64_t pages = 0, after = 0;
	char sql[64];

	if (!s->incremental || s->target_pages <= 0 || step_int(s, s->q[Q_PAGES], &pages) != 0 ||
	    pages <= s->target_pages)
		return 0;
	int rc = begin(s);
	if (rc)
		return rc;
	/* What this transaction added (rows appended, then dropped: free
	 * pages at the end, nothing to move) goes in any case, and a step. */
	int64_t n = pages - s->target_pages, step = PAGES(s, SHRINK_STEP_BYTES);
	if (pages - s->begin_pages > 0)
		step += pages - s->begin_pages;
	snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum(%" PRId64 ")", n < step ? n : step);
	rc = exec(s, sql);
	if (rc != SQLITE_OK)
		return rc == SQLITE_FULL ? WWTP_ERR_FULL : WWTP_ERR_ERRNO;
	if (step_int(s, s->q[Q_PAGES], &after) == 0 && after != pages)
		s->dirty = 1;
	return 0;
}

/* 1 when the open transaction adds pages beyond those the file holds on
 * disk and those a short file system lets it hold (fs_bound). One that
 * cuts the file back, if not yet far enough, goes through. */
static int would_outgrow(struct wwtp_store *s)
{
	int64_t pages = 0;
	struct stat st;

	if (!s->tight || s->target_pages <= 0 || step_int(s, s->q[Q_PAGES], &pages) != 0 ||
	    stat(s->path, &st) != 0)
		return 0;
	return pages > s->target_pages && pages > (int64_t)st.st_size / s->page_size &&
	       pages > s->begin_pages;
}

/* After a commit: the log is checkpointed at WAL_CHECKPOINT_BYTES, or
 * sooner when the database file would grow by GROWTH_CHECKPOINT_BYTES (what
 * a checkpoint may need from a full file system stays within the reserve),
 * or when a short file system waits for the file to be cut back. */
static int want_checkpoint(struct wwtp_store *s)
{
	int64_t pages = 0;
	struct stat st;

	if (s->wal_frames >= PAGES(s, s->tight ? WAL_TIGHT_BYTES : WAL_CHECKPOINT_BYTES))
		return 1;
	if (s->wal_frames == 0 || strcmp(s->path, ":memory:") == 0 ||
	    step_int(s, s->q[Q_PAGES], &pages) != 0 || stat(s->path, &st) != 0)
		return 0;
	int64_t file_pages = (int64_t)st.st_size / s->page_size;
	return pages - file_pages >= PAGES(s, GROWTH_CHECKPOINT_BYTES) ||
	       (s->target_pages > 0 && pages < file_pages);
}

/* A passive checkpoint (it waits for no reader). On a full file system the
 * reserve is given up and it is tried again: what it needs is within the
 * reserve (want_checkpoint). */
static int checkpoint(struct wwtp_store *s)
{
	int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if ((rc & 0xff) == SQLITE_FULL && release_reserve(s) == 0)
		rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	note_rc(s, rc);
	return rc;
}

/* Gives the reserve up (said, rate-limited); 0 when there was one. */
static int release_reserve(struct wwtp_store *s)
{
	s->calm = 0;
	if (wwtp_reserve_release(s->reserve) != 0)
		return WWTP_ERR_NOTFOUND;
	wwtp_complain(&s->release_complain, WWTP_LOG_WARN, MOD,
		      "%s: its file system is full: the reserve of %" PRIu64
		      " KB is given up so that the store can checkpoint and drop its oldest "
		      "messages; taken again once there is room",
		      s->path, wwtp_reserve_bytes(s->reserve) / 1024);
	return 0;
}

const char *wwtp_store_path(const struct wwtp_store *s)
{
	return s->path;
}
