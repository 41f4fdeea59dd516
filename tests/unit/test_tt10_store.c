/* test_tt10_store.c - the Circular 10/2021 files on disk
 * (collector/tt10_store.c) in a mkdtemp() folder: a file
 * and one hard link per server outbox, nothing half-written left behind,
 * listing in time order, what a crash leaves finished or removed, and
 * retention by age and by size, outboxes included. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../collector/tt10_format.h"
#include "../../collector/tt10_store.h"
#include "../../util/err.h"

static char root[] = "/tmp/wwtp-test-tt10-XXXXXX";
static char dir[600];
static const char *const servers[] = {"dept", "backup"};

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* Each test gets a fresh DIR (its parents are created by init). */
static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	snprintf(dir, sizeof(dir), "%s/var/tt10", root);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	int rc = nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	memcpy(root + strlen(root) - 6, "XXXXXX", 6);
	return rc;
}

static void path_of(char *out, size_t n, const char *sub, const char *name)
{
	if (sub)
		snprintf(out, n, "%s/%s/%s", dir, sub, name);
	else
		snprintf(out, n, "%s/%s", dir, name);
}

static int exists(const char *sub, const char *name)
{
	char p[900];
	struct stat sb;
	path_of(p, sizeof(p), sub, name);
	return lstat(p, &sb) == 0;
}

static void read_back(const char *sub, const char *name, char *buf, size_t n)
{
	char p[900];
	path_of(p, sizeof(p), sub, name);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	size_t len = fread(buf, 1, n - 1, f);
	buf[len] = '\0';
	fclose(f);
}

static void store(const char *name, const char *text)
{
	assert_int_equal(wwtp_tt10_store_put(dir, servers, 2, name, text, strlen(text)), 0);
}

static void test_put_writes_file_and_links(void **state)
{
	(void)state;
	size_t rec = 9, rem = 9;
	char buf[256], p[900];
	struct stat a, b;

	assert_int_equal(wwtp_tt10_store_init(dir, servers, 2, &rec, &rem), 0);
	assert_int_equal(rec, 0);
	assert_int_equal(rem, 0);
	assert_true(exists("outbox", "dept"));
	assert_true(exists("outbox", "backup"));

	store("HN_F_S_20260201000000.txt", "COD\t1.0\tmg/L\t20260201000000\t00\n");
	read_back(NULL, "HN_F_S_20260201000000.txt", buf, sizeof(buf));
	assert_string_equal(buf, "COD\t1.0\tmg/L\t20260201000000\t00\n");
	/* One inode, three names: no copy per server. */
	path_of(p, sizeof(p), NULL, "HN_F_S_20260201000000.txt");
	assert_int_equal(stat(p, &a), 0);
	assert_int_equal(a.st_nlink, 3);
	path_of(p, sizeof(p), "outbox/backup", "HN_F_S_20260201000000.txt");
	assert_int_equal(stat(p, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_false(exists(NULL, ".HN_F_S_20260201000000.txt.tmp"));

	/* The same name again (the clock went back): replaced everywhere. */
	store("HN_F_S_20260201000000.txt", "COD\t2.0\tmg/L\t20260201000000\t00\n");
	read_back("outbox/dept", "HN_F_S_20260201000000.txt", buf, sizeof(buf));
	assert_string_equal(buf, "COD\t2.0\tmg/L\t20260201000000\t00\n");
	path_of(p, sizeof(p), NULL, "HN_F_S_20260201000000.txt");
	assert_int_equal(stat(p, &a), 0);
	assert_int_equal(a.st_nlink, 3);
}

static void test_put_fails_cleanly(void **state)
{
	(void)state;
	assert_int_equal(wwtp_tt10_store_init(dir, servers, 2, NULL, NULL), 0);
	char p[900];
	/* A server's outbox that cannot take the link: the write fails and
	 * leaves no temporary file and no file under its name. */
	wwtp_tt10_outbox_path(dir, "backup", p, sizeof(p));
	assert_int_equal(rmdir(p), 0);
	const char *text = "x\n";
	assert_int_equal(wwtp_tt10_store_put(dir, servers, 2, "A_B_C_20260201000000.txt", text, 2),
			 WWTP_ERR_ERRNO);
	assert_false(exists(NULL, ".A_B_C_20260201000000.txt.tmp"));
	assert_false(exists(NULL, "A_B_C_20260201000000.txt"));
}

static void test_list_in_time_order(void **state)
{
	(void)state;
	struct wwtp_tt10_names l;

	assert_int_equal(wwtp_tt10_store_init(dir, servers, 2, NULL, NULL), 0);
	/* Names sort by their stamp, not by their prefix. */
	store("ZZ_F_S_20260201000500.txt", "b\n");
	store("AA_F_S_20260201001000.txt", "c\n");
	store("MM_F_S_20260201000000.txt", "a\n");
	store("AA_F_S_20260201000000.txt", "a2\n");
	/* Not ours: skipped. */
	char p[900];
	path_of(p, sizeof(p), NULL, "notes.txt");
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	path_of(p, sizeof(p), NULL, ".X_Y_Z_20260201000000.txt.tmp");
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);

	assert_int_equal(wwtp_tt10_store_list(dir, &l), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0], "AA_F_S_20260201000000.txt");
	assert_string_equal(l.v[1], "MM_F_S_20260201000000.txt");
	assert_string_equal(l.v[2], "ZZ_F_S_20260201000500.txt");
	assert_string_equal(l.v[3], "AA_F_S_20260201001000.txt");
	wwtp_tt10_names_free(&l);

	/* A missing folder is empty, not an error. */
	path_of(p, sizeof(p), NULL, "nowhere");
	assert_int_equal(wwtp_tt10_store_list(p, &l), 0);
	assert_int_equal(l.n, 0);
	wwtp_tt10_names_free(&l);
}

/* What a crash leaves: a temporary file already linked into the outboxes
 * was complete (it is flushed before the links) and gets its name; one not
 * linked may be half-written and goes. */
static void test_init_recovers_after_crash(void **state)
{
	(void)state;
	char tmp[900], box[900];
	size_t rec = 0, rem = 0;

	assert_int_equal(wwtp_tt10_store_init(dir, servers, 2, NULL, NULL), 0);
	path_of(tmp, sizeof(tmp), NULL, ".A_B_C_20260201000000.txt.tmp");
	FILE *f = fopen(tmp, "w");
	assert_non_null(f);
	fputs("complete\n", f);
	fclose(f);
	path_of(box, sizeof(box), "outbox/dept", "A_B_C_20260201000000.txt");
	assert_int_equal(link(tmp, box), 0);
	path_of(tmp, sizeof(tmp), NULL, ".A_B_C_20260201000500.txt.tmp");
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs("half", f);
	fclose(f);

	assert_int_equal(wwtp_tt10_store_init(dir, servers, 2, &rec, &rem), 0);
	assert_int_equal(rec, 1);
	assert_int_equal(rem, 1);
	assert_true(exists(NULL, "A_B_C_20260201000000.txt"));
	assert_false(exists(NULL, ".A_B_C_20260201000000.txt.tmp"));
	assert_false(exists(NULL, "A_B_C_20260201000500.txt"));
	assert_false(exists(NULL, ".A_B_C_20260201000500.txt.tmp"));
}

static uint64_t space_of(const char *name)
{
	char p[900];
	struct stat sb;
	path_of(p, sizeof(p), NULL, name);
	assert_int_equal(stat(p, &sb), 0);
	return (uint64_t)sb.st_blocks * 512;
}

static void test_prune_by_age_and_size(void **state)
{
	(void)state;
	struct wwtp_tt10_prune_stats ps;
	const char *names[] = {"A_B_C_20251201000000.txt", "A_B_C_20251202000000.txt",
			       "A_B_C_20260130000000.txt", "A_B_C_20260131000000.txt",
			       "A_B_C_20260201000000.txt"};

	assert_int_equal(wwtp_tt10_store_init(dir, servers, 2, NULL, NULL), 0);
	for (size_t i = 0; i < 5; i++)
		store(names[i], "COD\t1.0\tmg/L\t20260201000000\t00\n");
	/* The backup server got the two December files already. */
	char p[900];
	path_of(p, sizeof(p), "outbox/backup", names[0]);
	unlink(p);
	path_of(p, sizeof(p), "outbox/backup", names[1]);
	unlink(p);
	/* A link whose file is gone (removed by hand), also old. */
	path_of(p, sizeof(p), "outbox/backup", "A_B_C_20251115000000.txt");
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);

	/* By age: before 2026-01-01 goes; no size limit in the way. */
	assert_int_equal(wwtp_tt10_store_prune(dir, servers, 2, "20260101000000", UINT64_MAX, &ps),
			 0);
	assert_int_equal(ps.removed_age, 2);
	assert_int_equal(ps.removed_size, 0);
	/* Two December files were still in dept's outbox, plus the orphan. */
	assert_int_equal(ps.undelivered, 3);
	assert_int_equal(ps.kept, 3);
	assert_false(exists(NULL, names[0]));
	assert_false(exists("outbox/dept", names[1]));
	assert_false(exists("outbox/backup", "A_B_C_20251115000000.txt"));
	assert_true(exists(NULL, names[2]));
	uint64_t two = space_of(names[3]) + space_of(names[4]);
	assert_int_equal(ps.bytes, two + space_of(names[2]));

	/* By size: room for two files, so the oldest of the three goes, from
	 * the outboxes too. */
	assert_int_equal(wwtp_tt10_store_prune(dir, servers, 2, "20260101000000", two, &ps), 0);
	assert_int_equal(ps.removed_age, 0);
	assert_int_equal(ps.removed_size, 1);
	assert_int_equal(ps.undelivered, 2);
	assert_int_equal(ps.kept, 2);
	assert_int_equal(ps.bytes, two);
	assert_false(exists(NULL, names[2]));
	assert_false(exists("outbox/dept", names[2]));
	assert_true(exists(NULL, names[3]));
	assert_true(exists("outbox/backup", names[4]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_put_writes_file_and_links, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_put_fails_cleanly, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_in_time_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_init_recovers_after_crash, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prune_by_age_and_size, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
