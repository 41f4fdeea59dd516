/* store.h - the collector's durable message store: an SQLite database in
 * WAL mode holding every message until central has confirmed it stored (or,
 * with store.confirm = false, until the broker has acknowledged it).
 *
 * Writes (appends, deletes, metadata) go into one open transaction that
 * wwtp_store_commit() writes to the WAL (a killed process loses none of
 * it) and wwtp_store_sync() makes durable against a power cut (the WAL
 * synced to the card), so many small commits cost one sync. What is not
 * committed yet is lost on a crash or power cut, and must not have left
 * the station: rows above
 * wwtp_store_committed_id() are not to be published (forward.c keeps to
 * that). Rows are numbered in the order they were appended, never reusing
 * a committed number (a rolled-back append's id may come again). The store
 * is bounded by size, by age, and by what its file system has room for:
 * wwtp_store_enforce() drops the oldest rows and counts them
 * (docs/reliability.md). A commit that fails is rolled back whole
 * (WWTP_ERR_FULL for a full file system): the caller keeps the batch.
 *
 * Used by one thread. Every function returns 0 or a negative WWTP_ERR_*;
 * SQLite's own message is logged (module "store") where it happens, except
 * a full disk (the caller says it once while it lasts). */
#ifndef WWTP_STORE_H
#define WWTP_STORE_H

#include <stddef.h>
#include <stdint.h>

struct wwtp_store;

/* Bits of wwtp_store_msg.flags: taken before the clock was synchronised;
 * an alert (its seq is the alert number, not telemetry's). A row's flags
 * are one of 0..3: the confirmations delete by (flags, seq). */
#define WWTP_STORE_UNSYNCED 0x1
#define WWTP_STORE_ALERT 0x2

struct wwtp_store_msg {
	int64_t id;	   /* 1, 2, 3...: append order, never reused */
	int64_t ts_ms;	   /* the reading's time (the age bound uses it) */
	uint64_t seq;	   /* telemetry seq; 0 for other messages */
	int flags;	   /* WWTP_STORE_* */
	int qos;	   /* MQTT QoS to publish it with */
	const char *topic; /* valid during the callback only */
	const void *payload;
	size_t len;
};

/* Counts kept in the store itself, so they survive restarts. */
struct wwtp_store_stats {
	uint64_t rows;		 /* messages held (committed or not) */
	uint64_t committed_rows; /* messages held as of the last commit */
	int64_t oldest_ts_ms;	 /* ts of the oldest held; 0 when empty */
	uint64_t bytes;		 /* pages in use, in bytes */
	uint64_t max_bytes;	 /* the size bound */
	uint64_t dropped_full;	 /* dropped because the store was full (lifetime) */
	uint64_t dropped_age;	 /* dropped because too old (lifetime) */
	int64_t committed_id;	 /* highest id that is committed */
	uint64_t commits;	 /* commits since open */
	uint64_t syncs;		 /* WAL syncs (wwtp_store_sync) since open */
	int reset;		 /* the file was unreadable and was set aside (at open or later) */
	uint64_t altered;	 /* rows that failed their checksum: not sent, removed */
	uint64_t fs_max_bytes;	 /* the bound a (nearly) full file system sets now; 0: none */
	uint64_t reserve_bytes;	 /* the reserve held now; 0: none, or given up */
};

/* Opens (creating it and its folder's file if needed) the store at path;
 * ":memory:" for a store that lasts as long as the process (tests).
 * max_bytes > 0 bounds its size, max_age_ms > 0 the age of what it holds. A
 * file that is not a database, is damaged beyond opening or fails PRAGMA
 * quick_check (every page read once) is renamed to
 * "<path>.corrupt-<epoch s>" and a new one made (logged at ERROR, and
 * stats.reset is set): the station goes on collecting. Each row carries a
 * CRC-32 of its topic and payload; wwtp_store_scan() never hands over a row
 * that fails it (removed, counted in stats.altered, logged rate-limited). 0 and *out, or
 * WWTP_ERR_ERRNO / WWTP_ERR_NOMEM / WWTP_ERR_INVAL (logged). */
int wwtp_store_open(const char *path, uint64_t max_bytes, int64_t max_age_ms,
		    struct wwtp_store **out);
/* Commits what is pending, then closes. Accepts NULL. */
void wwtp_store_close(struct wwtp_store *s);

/* Appends a message (in the open transaction); *id_out gets its id. */
int wwtp_store_append(struct wwtp_store *s, const char *topic, const void *payload, size_t len,
		      int qos, int64_t ts_ms, uint64_t seq, int flags, int64_t *id_out);
/* Deletes message id (acknowledged); deleting a missing id is not an
 * error. */
int wwtp_store_delete(struct wwtp_store *s, int64_t id);

/* Commits everything pending: written to the WAL, so that a process
 * killed afterwards loses none of it, but not synced to the card
 * (synchronous=NORMAL): a power cut may lose the commits made since the
 * last wwtp_store_sync(). Nothing pending: 0 at once. */
int wwtp_store_commit(struct wwtp_store *s);
/* Syncs the WAL (fdatasync), making every commit so far durable against a
 * power cut; 0 at once when nothing was committed since the last sync.
 * wwtp_store_close() syncs too. 0 or WWTP_ERR_ERRNO (logged). */
int wwtp_store_sync(struct wwtp_store *s);
/* Drops what the open transaction holds (appends, deletes, metadata): the
 * store is as the last commit left it. */
void wwtp_store_rollback(struct wwtp_store *s);
/* 1 when appends, deletes or metadata wait for a commit. */
int wwtp_store_dirty(const struct wwtp_store *s);
/* Highest id a commit made durable (0: none). */
int64_t wwtp_store_committed_id(const struct wwtp_store *s);

/* Calls cb for the messages with from_id <= id < below_id (below_id <= 0:
 * no upper limit), oldest first, at most max of them, until cb returns
 * non-zero. Returns the number of messages cb saw, or a negative code. */
typedef int (*wwtp_store_visit_cb)(const struct wwtp_store_msg *m, void *ctx);
int wwtp_store_scan(struct wwtp_store *s, int64_t from_id, int64_t below_id, int max,
		    wwtp_store_visit_cb cb, void *ctx);

/* Says whether row id may be dropped now (0: keep it, e.g. it is with the
 * broker and its acknowledgement is on the way). */
typedef int (*wwtp_store_keep_cb)(int64_t id, void *ctx);

/* Applies the bounds (in the open transaction): while the pages in use
 * exceed max_bytes, the oldest rows go; when clock_ok, rows older than
 * max_age_ms before now_ms go too (rows taken while the clock was unsynced
 * are not aged: their ts means little). keep (may be NULL) spares rows.
 * Adds what it dropped to *full and *age (may be NULL) and to the lifetime
 * counters. */
int wwtp_store_enforce(struct wwtp_store *s, int64_t now_ms, int clock_ok, wwtp_store_keep_cb keep,
		       void *ctx, uint64_t *full, uint64_t *age);

/* A number kept with the data (in the open transaction): the last seq. */
int wwtp_store_get_meta(struct wwtp_store *s, const char *key, int64_t *value);
int wwtp_store_set_meta(struct wwtp_store *s, const char *key, int64_t value);

/* A text kept with the data (in the open transaction, committed with the
 * next commit): the last run's measuring configuration (confaudit.h).
 * get: 0 and *value (free()), WWTP_ERR_NOTFOUND (none kept: *value NULL),
 * or an error. */
int wwtp_store_get_text(struct wwtp_store *s, const char *key, char **value);
int wwtp_store_set_text(struct wwtp_store *s, const char *key, const char *value);

void wwtp_store_get_stats(struct wwtp_store *s, struct wwtp_store_stats *out);
const char *wwtp_store_path(const struct wwtp_store *s);

/* Deletes (in the open transaction) the telemetry rows (alerts = 0) or the
 * alert rows (alerts = 1) with above < seq <= upto: central has confirmed
 * them (rows at or below `above` are numbers central's acknowledgement does
 * not cover; 0: none such). *n (may be NULL) gets how many went. */
int wwtp_store_delete_upto(struct wwtp_store *s, int alerts, uint64_t above, uint64_t upto,
			   uint64_t *n);
/* The lowest seq > 0 held of that kind, 0 when none. */
int wwtp_store_min_seq(struct wwtp_store *s, int alerts, uint64_t *out);

/* 1 once SQLite has said the file is damaged (SQLITE_CORRUPT, NOTADB). */
int wwtp_store_damaged(const struct wwtp_store *s);
/* Sets the damaged file aside (renamed "<path>.corrupt-<epoch s>", kept)
 * and starts a new one in its place; what was not committed is gone. */
int wwtp_store_reset(struct wwtp_store *s);
/* After a commit failed with WWTP_ERR_FULL (the file system is full):
 * gives up the reserve (below) and checkpoints the log, so that the next,
 * smaller, transaction can drop the oldest rows. (wwtp_store_enforce() also
 * keeps the store within what the file system has room for, logged once
 * when that starts and once when it ends.) */
void wwtp_store_relieve(struct wwtp_store *s);

/* The reserve: "<path>.reserve", `bytes` of preallocated room on the
 * store's file system (bytes < 0: the default, 96 pages, 384 KB; 0: none,
 * and a previous one is removed). wwtp_store_open() takes the default. It
 * is given up when the file system is full (a commit or a checkpoint meets
 * SQLITE_FULL), so that the checkpoint (which may need the database file
 * to grow) and the deletes that make room can run, and taken again by
 * wwtp_store_enforce() once the file system has room for it, the oldest
 * rows dropped (counted) and the file cut back to make that room. Said
 * (rate-limited) when it goes and when it comes back. */
int wwtp_store_set_reserve(struct wwtp_store *s, int64_t bytes);

#endif
