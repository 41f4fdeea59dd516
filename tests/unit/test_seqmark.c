/* The seq mark (collector/seqmark.c) on a real file: a process killed
 * after a write leaves the exact numbers (same boot: no gap); a record of
 * another boot (a power cut) gives the numbers reserved ahead, synced when
 * a number passed them; a clean stop puts the exact numbers in the synced
 * slots; a file of the first format (128 bytes, slots only) is read as it
 * was and given its exact record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "../../collector/seqmark.h"

static char dir[256];
static char path[300];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/wwtp-seqmark.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.db.seq", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void open_mark(struct wwtp_seqmark **m, uint64_t *seq, uint64_t *aseq, int *exact)
{
	assert_int_equal(wwtp_seqmark_open(path, m, seq, aseq, exact), 0);
	assert_non_null(*m);
}

/* The record of this boot made another boot's (what a power cut leaves:
 * the next boot has another id): one byte of the id in the file. */
static void other_boot(void)
{
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "#", 1, 4096 + 24), 1);
	close(fd);
}

/* A child writes the numbers and dies without closing (SIGKILL-like). */
static void killed_after(uint64_t seq, uint64_t aseq)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct wwtp_seqmark *m;
		uint64_t s, a;
		int x;
		if (wwtp_seqmark_open(path, &m, &s, &a, &x) != 0 ||
		    wwtp_seqmark_write(m, seq, aseq) != 0)
			_exit(1);
		_exit(0);
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_killed_same_boot_then_power_cut(void **state)
{
	struct wwtp_seqmark *m;
	uint64_t seq, aseq;
	int exact;
	(void)state;

	open_mark(&m, &seq, &aseq, &exact);
	assert_int_equal(seq, 0);
	assert_int_equal(aseq, 0);
	wwtp_seqmark_close(m);

	killed_after(5, 1);
	open_mark(&m, &seq, &aseq, &exact);
	assert_int_equal(exact, 1); /* same boot: the page cache has it */
	assert_int_equal(seq, 5);
	assert_int_equal(aseq, 1);
	wwtp_seqmark_close(m);

	/* The clean close above put 5 and 1 in the slots: 40 passes them. */
	killed_after(40, 3);
	other_boot();
	open_mark(&m, &seq, &aseq, &exact);
	assert_int_equal(exact, 0); /* another boot: the reserved numbers */
	assert_int_equal(seq, 1040);
	assert_int_equal(aseq, 103);
	/* Within the reserve: the slots are not rewritten. */
	assert_int_equal(wwtp_seqmark_write(m, 1006, 101), 0);
	assert_int_equal(wwtp_seqmark_write(m, 1007, 102), 0);
	wwtp_seqmark_close(m); /* a clean stop: exact numbers synced */

	other_boot();
	open_mark(&m, &seq, &aseq, &exact);
	assert_int_equal(exact, 0);
	assert_int_equal(seq, 1007); /* no gap after a clean stop */
	assert_int_equal(aseq, 102);
	wwtp_seqmark_close(m);
}

static void test_killed_past_the_reserve(void **state)
{
	struct wwtp_seqmark *m;
	uint64_t seq, aseq;
	int exact;
	(void)state;

	killed_after(5, 0);
	killed_after(900, 0);
	killed_after(1500, 0);
	other_boot();
	open_mark(&m, &seq, &aseq, &exact);
	assert_int_equal(exact, 0);
	assert_int_equal(seq, 2500); /* reserved when 1500 passed 1005 */
	assert_int_equal(aseq, 0);
	wwtp_seqmark_close(m);
}

/* v as 8 bytes little-endian at p (the file's order). */
static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void test_first_format(void **state)
{
	unsigned char f[128];
	struct wwtp_seqmark *m;
	uint64_t seq, aseq;
	int exact;
	(void)state;

	/* One slot as the first format wrote it: CRC-32 of its first 32
	 * bytes. */
	memset(f, 0, sizeof(f));
	memcpy(f, "WWTPSEQ1", 8);
	put64(f + 8, 1);
	put64(f + 16, 9);
	put64(f + 24, 2);
	put64(f + 32, crc32(crc32(0L, Z_NULL, 0), f, 32));
	FILE *out = fopen(path, "wb");
	assert_non_null(out);
	assert_int_equal(fwrite(f, 1, sizeof(f), out), sizeof(f));
	fclose(out);

	open_mark(&m, &seq, &aseq, &exact);
	assert_int_equal(exact, 0);
	assert_int_equal(seq, 9);
	assert_int_equal(aseq, 2);
	wwtp_seqmark_close(m);
	killed_after(10, 2);
	open_mark(&m, &seq, &aseq, &exact);
	assert_int_equal(exact, 1);
	assert_int_equal(seq, 10);
	wwtp_seqmark_close(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_killed_same_boot_then_power_cut, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_killed_past_the_reserve, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_first_format, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
