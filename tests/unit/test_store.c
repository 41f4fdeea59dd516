/* The collector's durable store (collector/store.c) on
 * real SQLite files in a temporary folder: what a commit keeps and what a
 * crash loses (a child process that dies without closing), ids that are
 * never reused, the size and age bounds and their counters, a damaged file
 * set aside, one collector per store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../collector/store.h"
#include "../../util/err.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/wwtp-store.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[600];
	(void)state;
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	return 0;
}

static const char *file(const char *name)
{
	static char p[600];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static int64_t append(struct wwtp_store *s, const char *text, int64_t ts, uint64_t seq, int flags)
{
	int64_t id = 0;
	assert_int_equal(
	    wwtp_store_append(s, "wwtp/t/telemetry", text, strlen(text), 1, ts, seq, flags, &id),
	    0);
	return id;
}

/* Collects what a scan visits: "id:seq:payload" joined by spaces. */
struct seen {
	char text[4096];
	size_t at;
	int stop_after; /* 0: never */
	int n;
};

static int visit(const struct wwtp_store_msg *m, void *ctx)
{
	struct seen *v = ctx;
	v->at += (size_t)snprintf(v->text + v->at, sizeof(v->text) - v->at, "%s%lld:%llu:%.*s",
				  v->at ? " " : "", (long long)m->id, (unsigned long long)m->seq,
				  (int)m->len, (const char *)m->payload);
	assert_string_equal(m->topic, "wwtp/t/telemetry");
	assert_int_equal(m->qos, 1);
	return v->stop_after && ++v->n >= v->stop_after;
}

static const char *scan_all(struct wwtp_store *s, int64_t from, int64_t below)
{
	static struct seen v;
	memset(&v, 0, sizeof(v));
	assert_true(wwtp_store_scan(s, from, below, 1000, visit, &v) >= 0);
	return v.text;
}

static void test_commit_scan_delete_reopen(void **state)
{
	struct wwtp_store *s;
	struct wwtp_store_stats st;
	int64_t v = 0;
	(void)state;

	assert_int_equal(wwtp_store_open(file("a.db"), 0, 0, &s), 0);
	assert_int_equal(wwtp_store_get_meta(s, "seq", &v), WWTP_ERR_NOTFOUND);
	assert_int_equal(append(s, "one", 1000, 1, 0), 1);
	assert_int_equal(append(s, "two", 2000, 2, 0), 2);
	assert_int_equal(append(s, "three", 3000, 3, 0), 3);
	assert_int_equal(wwtp_store_set_meta(s, "seq", 3), 0);
	/* Nothing is committed yet: none of it may leave the station. */
	assert_true(wwtp_store_dirty(s));
	assert_int_equal(wwtp_store_committed_id(s), 0);
	assert_int_equal(wwtp_store_commit(s), 0);
	assert_false(wwtp_store_dirty(s));
	assert_int_equal(wwtp_store_committed_id(s), 3);
	assert_string_equal(scan_all(s, 1, 0), "1:1:one 2:2:two 3:3:three");
	assert_string_equal(scan_all(s, 2, 3), "2:2:two");

	/* A visitor that stops early. */
	struct seen stop = {.stop_after = 1};
	assert_int_equal(wwtp_store_scan(s, 1, 0, 10, visit, &stop), 1);
	assert_string_equal(stop.text, "1:1:one");

	assert_int_equal(wwtp_store_delete(s, 2), 0);
	assert_int_equal(wwtp_store_delete(s, 42), 0); /* gone already: fine */
	wwtp_store_get_stats(s, &st);
	assert_int_equal(st.rows, 2);
	assert_int_equal(st.oldest_ts_ms, 1000);
	assert_true(st.bytes > 0);
	assert_int_equal(st.commits, 1);
	wwtp_store_close(s); /* commits the delete */

	assert_int_equal(wwtp_store_open(file("a.db"), 0, 0, &s), 0);
	assert_string_equal(scan_all(s, 1, 0), "1:1:one 3:3:three");
	assert_int_equal(wwtp_store_get_meta(s, "seq", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(wwtp_store_committed_id(s), 3);
	/* The highest id deleted is not given out again. */
	assert_int_equal(wwtp_store_delete(s, 3), 0);
	assert_int_equal(wwtp_store_commit(s), 0);
	assert_int_equal(append(s, "four", 4000, 4, 0), 4);
	wwtp_store_close(s);
	wwtp_store_close(NULL);
}

/* A process that dies between commits: what it committed is there, what it
 * had not is gone, and the file is consistent. */
static void test_crash_loses_only_the_open_batch(void **state)
{
	struct wwtp_store *s;
	int status;
	(void)state;

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (wwtp_store_open(file("c.db"), 0, 0, &s) != 0)
			_exit(2);
		for (int i = 1; i <= 50; i++) {
			char p[16];
			snprintf(p, sizeof(p), "m%d", i);
			int64_t id = 0;
			if (wwtp_store_append(s, "wwtp/t/telemetry", p, strlen(p), 1, i,
					      (uint64_t)i, 0, &id) != 0)
				_exit(3);
			if (i == 40 &&
			    (wwtp_store_set_meta(s, "seq", 40) != 0 || wwtp_store_commit(s) != 0))
				_exit(4);
		}
		_exit(0); /* no close, no commit: as SIGKILL would */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	assert_int_equal(wwtp_store_open(file("c.db"), 0, 0, &s), 0);
	struct wwtp_store_stats st;
	wwtp_store_get_stats(s, &st);
	assert_int_equal(st.rows, 40);
	assert_int_equal(wwtp_store_committed_id(s), 40);
	int64_t v = 0;
	assert_int_equal(wwtp_store_get_meta(s, "seq", &v), 0);
	assert_int_equal(v, 40);
	/* The file is sound, as SQLite sees it (a connection of our own: the
	 * store's is its business). */
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_open_v2(file("c.db"), &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "ok");
	sqlite3_finalize(q);
	sqlite3_close(db);
	wwtp_store_close(s);
}

static int keep_odd(int64_t id, void *ctx)
{
	(void)ctx;
	return id % 2 == 0; /* odd ids are "with the broker": keep them */
}

static void test_size_bound_drops_oldest(void **state)
{
	struct wwtp_store *s;
	struct wwtp_store_stats st;
	char big[1000];
	uint64_t full = 0, age = 0;
	(void)state;

	/* Bytes that do not compress (the store deflates payloads). */
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof(big) - 1; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (char)(1 + (x >> 16) % 255);
	}
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(wwtp_store_open(file("b.db"), 64 * 1024, 0, &s), 0);
	for (int i = 1; i <= 300; i++) {
		append(s, big, i, (uint64_t)i, 0);
		if (i % 10 == 0) {
			assert_int_equal(wwtp_store_enforce(s, 0, 1, NULL, NULL, &full, &age), 0);
			assert_int_equal(wwtp_store_commit(s), 0);
		}
	}
	wwtp_store_get_stats(s, &st);
	assert_true(st.bytes <= 64 * 1024);
	assert_true(full > 200);
	assert_int_equal(age, 0);
	assert_int_equal(st.dropped_full, full);
	assert_int_equal(st.rows + full, 300);
	/* Oldest first: what is left is the newest, without a hole. */
	assert_int_equal(st.oldest_ts_ms, (int64_t)(300 - st.rows + 1));

	/* Rows the caller keeps are spared, the others go. */
	uint64_t before = full;
	for (int i = 301; i <= 340; i++)
		append(s, big, i, (uint64_t)i, 0);
	assert_int_equal(wwtp_store_enforce(s, 0, 1, keep_odd, NULL, &full, NULL), 0);
	assert_int_equal(wwtp_store_commit(s), 0);
	assert_true(full > before);
	wwtp_store_get_stats(s, &st);
	assert_true(st.bytes <= 64 * 1024 + 4096 * 4); /* kept rows may hold it over a little */
	wwtp_store_close(s);

	/* The count survives a restart. */
	assert_int_equal(wwtp_store_open(file("b.db"), 64 * 1024, 0, &s), 0);
	wwtp_store_get_stats(s, &st);
	assert_int_equal(st.dropped_full, full);
	wwtp_store_close(s);
}

/* Bytes of blocks allocated to path; -1 when it is missing. */
static long long allocated(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_blocks * 512 : -1;
}

/* The reserve: taken at open with real blocks (a sparse file left there
 * is no reserve), resized or removed on request, counted in the stats. */
static void test_reserve(void **state)
{
	struct wwtp_store *s;
	struct wwtp_store_stats st;
	char res[700];
	(void)state;

	snprintf(res, sizeof(res), "%s.reserve", file("r.db"));
	/* A sparse file of the right length: not room at all. */
	int fd = open(res, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 384 * 1024), 0);
	close(fd);
	assert_true(allocated(res) < 384 * 1024);
	assert_int_equal(wwtp_store_open(file("r.db"), 0, 0, &s), 0);
	assert_true(allocated(res) >= 384 * 1024);
	wwtp_store_get_stats(s, &st);
	assert_int_equal(st.reserve_bytes, 384 * 1024);
	/* Another size, then none. */
	assert_int_equal(wwtp_store_set_reserve(s, 64 * 1024), 0);
	wwtp_store_get_stats(s, &st);
	assert_int_equal(st.reserve_bytes, 64 * 1024);
	assert_true(allocated(res) >= 64 * 1024 && allocated(res) < 384 * 1024);
	assert_int_equal(wwtp_store_set_reserve(s, 0), 0);
	wwtp_store_get_stats(s, &st);
	assert_int_equal(st.reserve_bytes, 0);
	assert_int_equal(allocated(res), -1);
	wwtp_store_close(s);
	/* A new store is made to be cut back (auto_vacuum = INCREMENTAL). */
	sqlite3 *db;
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_open(file("r.db"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA auto_vacuum", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 2);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

static void test_age_bound(void **state)
{
	struct wwtp_store *s;
	struct wwtp_store_stats st;
	uint64_t full = 0, age = 0;
	int64_t now = 1769878800000LL;
	(void)state;

	assert_int_equal(wwtp_store_open(file("g.db"), 0, 3600 * 1000, &s), 0);
	append(s, "old", now - 7200 * 1000, 1, 0);
	append(s, "old-unsynced", now - 7200 * 1000, 2, WWTP_STORE_UNSYNCED);
	append(s, "old-too", now - 3601 * 1000, 3, 0);
	append(s, "young", now - 60 * 1000, 4, 0);
	append(s, "old-after-young", now - 7200 * 1000, 5, 0);
	assert_int_equal(wwtp_store_commit(s), 0);
	/* Without a trusted clock nothing is aged. */
	assert_int_equal(wwtp_store_enforce(s, now, 0, NULL, NULL, &full, &age), 0);
	assert_int_equal(age, 0);
	assert_int_equal(wwtp_store_enforce(s, now, 1, NULL, NULL, &full, &age), 0);
	assert_int_equal(wwtp_store_commit(s), 0);
	/* The unsynced row's time means nothing: not aged; a row behind a
	 * young one waits (append order is time order, near enough). */
	assert_int_equal(age, 2);
	assert_int_equal(full, 0);
	assert_string_equal(scan_all(s, 1, 0), "2:2:old-unsynced 4:4:young 5:5:old-after-young");
	wwtp_store_get_stats(s, &st);
	assert_int_equal(st.dropped_age, 2);
	wwtp_store_close(s);
}

static void test_damaged_file_set_aside(void **state)
{
	struct wwtp_store *s;
	struct wwtp_store_stats st;
	(void)state;

	FILE *f = fopen(file("d.db"), "w");
	assert_non_null(f);
	for (int i = 0; i < 500; i++)
		fputs("this is not an SQLite database, it is a damaged card. ", f);
	fclose(f);
	assert_int_equal(wwtp_store_open(file("d.db"), 0, 0, &s), 0);
	wwtp_store_get_stats(s, &st);
	assert_true(st.reset);
	assert_int_equal(st.rows, 0);
	append(s, "fresh", 1, 1, 0);
	assert_int_equal(wwtp_store_commit(s), 0);
	wwtp_store_close(s);

	int found = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		found += strncmp(e->d_name, "d.db.corrupt-", 13) == 0;
	closedir(d);
	assert_int_equal(found, 1);
}

static void test_one_collector_per_store(void **state)
{
	struct wwtp_store *a, *b = NULL;
	(void)state;
	assert_int_equal(wwtp_store_open(file("l.db"), 0, 0, &a), 0);
	assert_int_equal(wwtp_store_open(file("l.db"), 0, 0, &b), WWTP_ERR_ERRNO);
	assert_null(b);
	wwtp_store_close(a);
	assert_int_equal(wwtp_store_open(file("l.db"), 0, 0, &b), 0);
	wwtp_store_close(b);
}

/* A payload worth compressing is stored deflated (the row is smaller than
 * it, z says its length) and comes back as it was; one byte changed in the
 * stored form is caught (it does not inflate, or fails the checksum): not
 * handed over, counted. Syncs: one for what was committed, none after. */
static void test_compressed_payload(void **state)
{
	struct wwtp_store *s;
	struct wwtp_store_stats st;
	char text[1100], want[1200];
	sqlite3 *db;
	sqlite3_stmt *q;
	(void)state;

	size_t at = 0;
	for (int i = 0; at + 40 < sizeof(text); i++)
		at += (size_t)snprintf(text + at, sizeof(text) - at,
				       "{\"p\":\"cod%d\",\"v\":%d.5},", i, i * 7);
	assert_int_equal(wwtp_store_open(file("z.db"), 0, 0, &s), 0);
	append(s, text, 1000, 1, 0);
	append(s, "short", 2000, 2, 0);
	assert_int_equal(wwtp_store_commit(s), 0);
	wwtp_store_get_stats(s, &st);
	assert_int_equal(st.syncs, 0);
	assert_int_equal(wwtp_store_sync(s), 0);
	assert_int_equal(wwtp_store_sync(s), 0);
	wwtp_store_get_stats(s, &st);
	assert_int_equal(st.syncs, 1);
	snprintf(want, sizeof(want), "1:1:%s 2:2:short", text);
	assert_string_equal(scan_all(s, 0, 0), want);

	assert_int_equal(sqlite3_open(file("z.db"), &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT length(payload), z FROM msg ORDER BY id", -1, &q, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_true(sqlite3_column_int(q, 0) < (int)strlen(text) / 2);
	assert_int_equal(sqlite3_column_int(q, 1), (int)strlen(text));
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 5); /* too short to pay */
	sqlite3_finalize(q);
	/* One byte in the middle of the deflated form, as a bad card would. */
	assert_int_equal(
	    sqlite3_exec(db,
			 "UPDATE msg SET payload = substr(payload, 1, 20) || CASE WHEN "
			 "substr(payload, 21, 1) = x'5a' THEN x'a5' ELSE x'5a' END || "
			 "substr(payload, 22) WHERE id = 1",
			 NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_string_equal(scan_all(s, 0, 0), "2:2:short");
	wwtp_store_get_stats(s, &st);
	assert_int_equal(st.altered, 1);
	wwtp_store_close(s);
}

static void test_newer_format_refused(void **state)
{
	sqlite3 *db;
	struct wwtp_store *s = NULL;
	(void)state;
	assert_int_equal(sqlite3_open(file("n.db"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=7", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(wwtp_store_open(file("n.db"), 0, 0, &s), WWTP_ERR_INVAL);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_commit_scan_delete_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crash_loses_only_the_open_batch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_size_bound_drops_oldest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_age_bound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reserve, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_damaged_file_set_aside, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_one_collector_per_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compressed_payload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newer_format_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
