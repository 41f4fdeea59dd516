/* test_spool.c - the central side's on-disk queue (central/ingest/spool.c),
 * in a mkdtemp() folder: FIFO order across segments,
 * sealing by size, batching several segments into one peek, partial
 * consumption, the size bound with oldest-first drops that are counted,
 * refusals, reopening after a clean stop and after a crash (a segment left
 * open with a partial last line, a rewrite half done), and the folder lock. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../central/ingest/spool.h"
#include "fixture.h"
#include "../../util/err.h"

static char tmpl[] = "/tmp/wwtp-test-spool-XXXXXX";
static char dir[sizeof(tmpl) + 16];

static int setup(void **state)
{
	(void)state;
	memcpy(tmpl + strlen(tmpl) - 6, "XXXXXX", 6);
	assert_non_null(mkdtemp(tmpl));
	/* A folder the spool has to create itself. */
	snprintf(dir, sizeof(dir), "%s/spool", tmpl);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fx_rmtree(tmpl);
	return 0;
}

static struct wwtp_spool *open_spool(uint64_t max_bytes, uint32_t seal_points)
{
	struct wwtp_spool_opts o = {
	    .max_bytes = max_bytes, .seal_points = seal_points, .seal_bytes = 1 << 20};
	struct wwtp_spool *sp = NULL;
	assert_int_equal(wwtp_spool_open(dir, &o, &sp), 0);
	assert_non_null(sp);
	return sp;
}

/* Appends lines "<prefix><i> v=<i> <i>\n" for i in [from, to), one per call. */
static void put(struct wwtp_spool *sp, const char *prefix, int from, int to)
{
	for (int i = from; i < to; i++) {
		char line[64];
		int n = snprintf(line, sizeof(line), "%s%d v=%d %d\n", prefix, i, i, i);
		assert_int_equal(wwtp_spool_append(sp, line, (size_t)n, 1), 0);
	}
}

/* Peeks (all of one segment per call when max_points is 1) and returns the
 * text; *np the points. The peek stays outstanding. */
static const char *peek(struct wwtp_spool *sp, struct wwtp_buf *b, uint32_t max_points,
			uint32_t *np)
{
	wwtp_buf_reset(b);
	assert_int_equal(wwtp_spool_peek(sp, max_points, 1 << 20, b, np), 0);
	return b->data;
}

static struct wwtp_spool_stats stats(struct wwtp_spool *sp)
{
	struct wwtp_spool_stats s;
	wwtp_spool_get_stats(sp, &s);
	return s;
}

static int count_files(const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name), s = strlen(suffix);
		if (l > s && strcmp(e->d_name + l - s, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void wipe(void)
{
	fx_rmtree(dir);
}

/* Starts a test: no spool folder, an empty buffer b, then a spool opened
 * on the folder. */
static struct wwtp_spool *begin(struct wwtp_buf *b, uint64_t max_bytes, uint32_t seal_points)
{
	wipe();
	wwtp_buf_init(b, 1 << 20);
	return open_spool(max_bytes, seal_points);
}

static void test_fifo(void **state)
{
	struct wwtp_buf b;
	uint32_t np;
	(void)state;

	struct wwtp_spool *sp = begin(&b, 1 << 20, 2);
	/* Nothing sealed yet. */
	assert_int_equal(wwtp_spool_peek(sp, 100, 1 << 20, &b, &np), WWTP_ERR_NOTFOUND);
	assert_int_equal(wwtp_spool_open_age_ms(sp), -1);
	put(sp, "a", 0, 5); /* sealed at 2 points: [a0 a1] [a2 a3], open [a4] */
	assert_true(wwtp_spool_open_age_ms(sp) >= 0);
	assert_int_equal(count_files(".lp"), 2);
	assert_int_equal(count_files(".open"), 1);
	struct wwtp_spool_stats s = stats(sp);
	assert_int_equal(s.segments, 2);
	assert_int_equal(s.points, 5);
	assert_int_equal(s.appended_points, 5);

	assert_string_equal(peek(sp, &b, 1, &np), "a0 v=0 0\na1 v=1 1\n");
	assert_int_equal(np, 2);
	/* One peek at a time. */
	assert_int_equal(wwtp_spool_peek(sp, 1, 1 << 20, &b, &np), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_spool_consume(sp, b.data, b.len), 0);
	assert_int_equal(wwtp_spool_seal(sp), 0);
	assert_int_equal(wwtp_spool_open_age_ms(sp), -1);
	/* Several segments in one peek, up to max_points. */
	assert_string_equal(peek(sp, &b, 3, &np), "a2 v=2 2\na3 v=3 3\na4 v=4 4\n");
	assert_int_equal(np, 3);
	/* Nothing done (InfluxDB down): all of it stays, first in line. */
	assert_int_equal(wwtp_spool_consume(sp, b.data, 0), 0);
	put(sp, "b", 0, 1);
	assert_int_equal(wwtp_spool_seal(sp), 0);
	assert_string_equal(peek(sp, &b, 100, &np), "a2 v=2 2\na3 v=3 3\na4 v=4 4\nb0 v=0 0\n");
	assert_int_equal(wwtp_spool_consume(sp, b.data, b.len), 0);
	s = stats(sp);
	assert_int_equal(s.points, 0);
	assert_int_equal(s.segments, 0);
	assert_int_equal(s.bytes, 0);
	assert_int_equal(s.consumed_points, 6);
	assert_int_equal(s.dropped_points, 0);
	assert_int_equal(count_files(".lp"), 0);
	/* A line must end with a newline. */
	assert_int_equal(wwtp_spool_append(sp, "x v=1 1", 7, 1), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_spool_append(sp, "", 0, 0), 0);
	wwtp_spool_close(sp);
	wwtp_spool_close(NULL);
	wwtp_buf_free(&b);
}

static void test_partial_consume(void **state)
{
	struct wwtp_buf b;
	uint32_t np;
	(void)state;

	struct wwtp_spool *sp = begin(&b, 1 << 20, 3);
	put(sp, "c", 0, 6); /* [c0 c1 c2] [c3 c4 c5] */
	peek(sp, &b, 100, &np);
	assert_int_equal(np, 6);
	/* Done up to the end of c3: the first segment goes, the second is
	 * rewritten with c4 c5. */
	const char *cut = strstr(b.data, "c4");
	assert_non_null(cut);
	assert_int_equal(wwtp_spool_consume(sp, b.data, (size_t)(cut - b.data)), 0);
	struct wwtp_spool_stats s = stats(sp);
	assert_int_equal(s.points, 2);
	assert_int_equal(s.consumed_points, 4);
	assert_int_equal(count_files(".lp"), 1);
	assert_int_equal(count_files(".tmp"), 0);
	assert_string_equal(peek(sp, &b, 100, &np), "c4 v=4 4\nc5 v=5 5\n");
	assert_int_equal(np, 2);
	/* Not on a line boundary: refused, nothing lost. */
	assert_int_equal(wwtp_spool_consume(sp, b.data, 3), WWTP_ERR_INVAL);
	assert_string_equal(peek(sp, &b, 100, &np), "c4 v=4 4\nc5 v=5 5\n");
	wwtp_spool_consume(sp, b.data, 0);
	wwtp_spool_close(sp);

	/* The rewritten segment survives a restart with its new count. */
	sp = open_spool(1 << 20, 3);
	assert_string_equal(peek(sp, &b, 100, &np), "c4 v=4 4\nc5 v=5 5\n");
	assert_int_equal(np, 2);
	wwtp_spool_consume(sp, b.data, b.len);
	wwtp_spool_close(sp);
	wwtp_buf_free(&b);
}

static void test_bound(void **state)
{
	struct wwtp_buf b;
	uint32_t np;
	(void)state;

	/* Lines "dN v=N N\n" are 9 bytes for N < 10: 2 per segment = 18 bytes;
	 * a bound of 60 bytes holds three sealed segments and a bit. */
	struct wwtp_spool *sp = begin(&b, 60, 2);
	put(sp, "d", 0, 6); /* [d0 d1] [d2 d3] [d4 d5]: 54 bytes */
	struct wwtp_spool_stats s = stats(sp);
	assert_int_equal(s.bytes, 54);
	assert_int_equal(s.dropped_points, 0);
	put(sp, "d", 6, 8); /* 72 > 60: [d0 d1] goes when d6 comes */
	s = stats(sp);
	assert_int_equal(s.dropped_points, 2);
	assert_int_equal(s.dropped_segments, 1);
	assert_true(s.bytes <= 60);
	assert_int_equal(s.points, 6);
	/* Oldest first: what is left starts at d2, in order. */
	assert_string_equal(peek(sp, &b, 100, &np), "d2 v=2 2\nd3 v=3 3\nd4 v=4 4\nd5 v=5 5\n"
						    "d6 v=6 6\nd7 v=7 7\n");
	/* While those are being sent they are not dropped: with nothing else
	 * to drop, a new append is refused and counted instead. */
	assert_int_equal(wwtp_spool_append(sp, "e0 v=0 0\n", 9, 1), WWTP_ERR_FULL);
	s = stats(sp);
	assert_int_equal(s.refused_points, 1);
	assert_int_equal(s.dropped_points, 2);
	wwtp_spool_consume(sp, b.data, 0);
	/* Larger than the whole bound: refused, nothing dropped for it. */
	char big[128];
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(wwtp_spool_append(sp, big, sizeof(big), 1), WWTP_ERR_FULL);
	s = stats(sp);
	assert_int_equal(s.refused_points, 2);
	assert_int_equal(s.dropped_points, 2);
	/* The open segment is dropped too when it is the oldest left. */
	wwtp_spool_close(sp);
	sp = open_spool(20, 100);
	put(sp, "f", 0, 2); /* open [f0 f1] = 18 bytes, plus the 3 old segments */
	s = stats(sp);
	assert_int_equal(s.bytes, 18);
	assert_int_equal(s.dropped_points, 6);
	put(sp, "f", 2, 3);
	s = stats(sp);
	assert_int_equal(s.points, 1);
	assert_int_equal(s.dropped_points, 8);
	assert_int_equal(wwtp_spool_seal(sp), 0);
	assert_string_equal(peek(sp, &b, 100, &np), "f2 v=2 2\n");
	wwtp_spool_consume(sp, b.data, b.len);
	wwtp_spool_close(sp);
	wwtp_buf_free(&b);
}

static void test_reopen(void **state)
{
	struct wwtp_buf b;
	uint32_t np;
	(void)state;

	struct wwtp_spool *sp = begin(&b, 1 << 20, 2);
	put(sp, "g", 0, 5);
	wwtp_spool_close(sp); /* seals [g4] */
	assert_int_equal(count_files(".open"), 0);

	sp = open_spool(1 << 20, 2);
	struct wwtp_spool_stats s = stats(sp);
	assert_int_equal(s.points, 5);
	assert_int_equal(s.segments, 3);
	/* New appends queue after the old ones. */
	put(sp, "h", 0, 2);
	assert_string_equal(
	    peek(sp, &b, 100, &np),
	    "g0 v=0 0\ng1 v=1 1\ng2 v=2 2\ng3 v=3 3\ng4 v=4 4\nh0 v=0 0\nh1 v=1 1\n");
	wwtp_spool_consume(sp, b.data, b.len);

	/* One process per folder. */
	struct wwtp_spool_opts o = {.max_bytes = 100, .seal_points = 1, .seal_bytes = 100};
	struct wwtp_spool *other = (struct wwtp_spool *)1;
	assert_int_equal(wwtp_spool_open(dir, &o, &other), WWTP_ERR_ERRNO);
	assert_null(other);
	wwtp_spool_close(sp);
	/* Bad options. */
	o.max_bytes = 0;
	assert_int_equal(wwtp_spool_open(dir, &o, &other), WWTP_ERR_INVAL);
	wwtp_buf_free(&b);
}

static void write_file(const char *name, const char *content)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fx_write(path, content);
}

static void test_crash_leftovers(void **state)
{
	struct wwtp_buf b;
	uint32_t np;
	(void)state;

	wipe();
	wwtp_buf_init(&b, 1 << 20);
	assert_int_equal(mkdir(dir, 0750), 0);
	/* As a crash leaves them: a sealed segment, a rewrite of seq 3 renamed
	 * in with the old file still there, an unfinished rewrite, a segment
	 * left open with a partial last line, an empty open one, and a file
	 * that is none of ours. */
	write_file("00000000000000000002-2.lp", "k0 v=0 0\nk1 v=1 1\n");
	write_file("00000000000000000003-3.lp", "k2 v=2 2\nk3 v=3 3\nk4 v=4 4\n");
	write_file("00000000000000000003-1.lp", "k4 v=4 4\n");
	write_file("00000000000000000004-1.tmp", "junk\n");
	write_file("00000000000000000005.open", "k5 v=5 5\nk6 v=6 6\nk7 v=7");
	write_file("00000000000000000006.open", "k8 v=8");
	write_file("README", "not a segment\n");

	struct wwtp_spool *sp = open_spool(1 << 20, 100);
	assert_int_equal(count_files(".tmp"), 0);
	assert_int_equal(count_files(".open"), 0);
	struct wwtp_spool_stats s = stats(sp);
	assert_int_equal(s.segments, 3);
	assert_int_equal(s.points, 5);
	assert_string_equal(peek(sp, &b, 100, &np), "k0 v=0 0\nk1 v=1 1\nk4 v=4 4\nk5 v=5 5\n"
						    "k6 v=6 6\n");
	assert_int_equal(np, 5);
	wwtp_spool_consume(sp, b.data, b.len);
	/* The next segment number is past everything seen. */
	put(sp, "m", 0, 1);
	assert_int_equal(wwtp_spool_seal(sp), 0);
	assert_int_equal(count_files(".lp"), 1);
	char path[512];
	snprintf(path, sizeof(path), "%s/00000000000000000006-1.lp", dir);
	assert_int_equal(access(path, F_OK), 0);
	wwtp_spool_close(sp);

	/* A sealed segment deleted behind our back is skipped and counted. */
	sp = open_spool(1 << 20, 100);
	put(sp, "n", 0, 1);
	wwtp_spool_seal(sp);
	assert_int_equal(unlink(path), 0);
	assert_string_equal(peek(sp, &b, 100, &np), "n0 v=0 0\n");
	s = stats(sp);
	assert_int_equal(s.dropped_points, 1);
	wwtp_spool_consume(sp, b.data, b.len);
	wwtp_spool_close(sp);
	wwtp_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fifo),
	    cmocka_unit_test(test_partial_consume),
	    cmocka_unit_test(test_bound),
	    cmocka_unit_test(test_reopen),
	    cmocka_unit_test(test_crash_leftovers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
