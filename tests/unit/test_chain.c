/* test_chain.c - the collector's signing key and chain head
 * (collector/chain.h): --keygen never replaces a key, the head survives a
 * restart and a torn write, links follow each other across it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../collector/chain.h"
#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/sign.h"

static char dir[256], key[300], head[300];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/wwtp-chain.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(key, sizeof(key), "%s/st.key", dir);
	snprintf(head, sizeof(head), "%s/store.db.chain", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(key);
	unlink(head);
	return rmdir(dir);
}

/* Signs {"seq":n} as the next link; the link read back into *link and its
 * prev into prev. */
static void next(struct wwtp_chain *c, int n, uint64_t *link, unsigned char *prev,
		 unsigned char *hash, const unsigned char *pk)
{
	struct wwtp_buf b;
	wwtp_buf_init(&b, 4096);
	assert_int_equal(wwtp_buf_printf(&b, "{\"seq\":%d}", n), 0);
	assert_int_equal(wwtp_chain_sign_link(c, &b), 0);
	assert_int_equal(wwtp_sign_check(b.data, b.len, pk, NULL, hash), WWTP_SIGN_OK);
	assert_int_equal(wwtp_sign_parse_link(b.data, b.len, link, prev), 0);
	wwtp_buf_free(&b);
}

static void test_keygen_and_restart(void **state)
{
	(void)state;
	char pkt[WWTP_SIGN_PK_TEXT];
	unsigned char pk[WWTP_SIGN_PK_LEN], prev[WWTP_SIGN_HASH_LEN], h[WWTP_SIGN_HASH_LEN],
	    zero[WWTP_SIGN_HASH_LEN] = {0};
	struct wwtp_chain *c;
	struct stat sb;
	uint64_t link;

	assert_int_equal(wwtp_chain_keygen(key, pkt), 0);
	assert_int_equal(stat(key, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(wwtp_sign_pk_parse(pkt, pk), 0);
	/* Never replaced. */
	char again[WWTP_SIGN_PK_TEXT];
	assert_int_equal(wwtp_chain_keygen(key, again), WWTP_ERR_INVAL);

	assert_int_equal(wwtp_chain_open(key, &c), 0);
	assert_int_equal(wwtp_chain_keep(c, head), 0);
	next(c, 1, &link, prev, h, pk);
	assert_true(link == 1);
	assert_memory_equal(prev, zero, sizeof(zero));
	unsigned char h1[WWTP_SIGN_HASH_LEN];
	memcpy(h1, h, sizeof(h));
	next(c, 2, &link, prev, h, pk);
	assert_true(link == 2);
	assert_memory_equal(prev, h1, sizeof(h1));
	wwtp_chain_close(c);

	/* A restart goes on after link 2, naming its hash. */
	assert_int_equal(wwtp_chain_open(key, &c), 0);
	assert_int_equal(wwtp_chain_keep(c, head), 0);
	assert_true(wwtp_chain_head(c) == 2);
	unsigned char h2[WWTP_SIGN_HASH_LEN];
	memcpy(h2, h, sizeof(h));
	next(c, 3, &link, prev, h, pk);
	assert_true(link == 3);
	assert_memory_equal(prev, h2, sizeof(h2));
	wwtp_chain_close(c);

	/* The newest record torn by a power cut: the chain goes on from the
	 * older slot. The message whose head write was torn had not entered
	 * the store yet (chain.h), so its link is free to be given again. */
	int fd = open(head, O_RDWR);
	assert_true(fd >= 0);
	unsigned char junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	/* Link 3 was the third write (generation 3): slot 1 (odd). */
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 96 + 30), (ssize_t)sizeof(junk));
	close(fd);
	assert_int_equal(wwtp_chain_open(key, &c), 0);
	assert_int_equal(wwtp_chain_keep(c, head), 0);
	assert_true(wwtp_chain_head(c) == 2);
	wwtp_chain_close(c);
}

static void test_bad_key_files(void **state)
{
	(void)state;
	struct wwtp_chain *c = NULL;
	assert_int_equal(wwtp_chain_open(key, &c), WWTP_ERR_ERRNO); /* none */
	FILE *f = fopen(key, "w");
	assert_non_null(f);
	fputs("not a key\n", f);
	fclose(f);
	assert_int_equal(wwtp_chain_open(key, &c), WWTP_ERR_INVAL);
	assert_null(c);
}

static void test_side_signature_takes_no_link(void **state)
{
	(void)state;
	char pkt[WWTP_SIGN_PK_TEXT];
	unsigned char pk[WWTP_SIGN_PK_LEN], prev[WWTP_SIGN_HASH_LEN];
	struct wwtp_chain *c;
	struct wwtp_buf b;
	uint64_t link = 9;

	assert_int_equal(wwtp_chain_keygen(key, pkt), 0);
	assert_int_equal(wwtp_sign_pk_parse(pkt, pk), 0);
	assert_int_equal(wwtp_chain_open(key, &c), 0); /* in memory: no store */
	wwtp_buf_init(&b, 4096);
	wwtp_buf_adds(&b, "{\"status\":\"online\"}");
	assert_int_equal(wwtp_chain_sign_side(c, &b), 0);
	assert_int_equal(wwtp_sign_check(b.data, b.len, pk, NULL, NULL), WWTP_SIGN_OK);
	assert_int_equal(wwtp_sign_parse_link(b.data, b.len, &link, prev), 0);
	assert_true(link == 0);
	assert_true(wwtp_chain_head(c) == 0);
	wwtp_buf_free(&b);
	wwtp_chain_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_keygen_and_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_key_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_side_signature_takes_no_link, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
