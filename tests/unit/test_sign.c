/* test_sign.c - signatures and the hash chain over exact bytes (util/sign.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/sign.h"

static unsigned char pk[WWTP_SIGN_PK_LEN], sk[WWTP_SIGN_SK_LEN];
static unsigned char pk2[WWTP_SIGN_PK_LEN], sk2[WWTP_SIGN_SK_LEN];

static int setup(void **state)
{
	(void)state;
	if (wwtp_sign_keypair(pk, sk) != 0 || wwtp_sign_keypair(pk2, sk2) != 0)
		return -1;
	return 0;
}

static void msg(struct wwtp_buf *b, const char *json)
{
	wwtp_buf_init(b, 4096);
	assert_int_equal(wwtp_buf_adds(b, json), 0);
}

static void test_wire_form_and_verify(void **state)
{
	(void)state;
	struct wwtp_buf b;
	unsigned char h1[WWTP_SIGN_HASH_LEN], h2[WWTP_SIGN_HASH_LEN];
	size_t slen = 0;

	msg(&b, "{\"v\":1,\"seq\":41}");
	assert_int_equal(wwtp_sign_message(&b, sk, 7, NULL, h1), 0);
	/* The original bytes stay first; chain, prev and sig are added. */
	assert_memory_equal(b.data, "{\"v\":1,\"seq\":41,\"chain\":7,\"prev\":\"0000", 38);
	assert_int_equal(b.len, strlen("{\"v\":1,\"seq\":41,\"chain\":7,\"prev\":\"\"}") + 64 +
				    WWTP_SIGN_SUFFIX_LEN - 1);
	assert_int_equal(b.data[b.len - 1], '}');
	assert_int_equal(wwtp_sign_check(b.data, b.len, pk, &slen, h2), WWTP_SIGN_OK);
	assert_memory_equal(h1, h2, sizeof(h1));
	assert_int_equal(slen, b.len - WWTP_SIGN_SUFFIX_LEN + 1);
	/* Another key: bad. */
	assert_int_equal(wwtp_sign_check(b.data, b.len, pk2, NULL, NULL), WWTP_SIGN_BAD);
	wwtp_buf_free(&b);
}

static void test_every_edit_is_seen(void **state)
{
	(void)state;
	struct wwtp_buf b;
	msg(&b, "{\"v\":1,\"readings\":[{\"param\":\"cod\",\"value\":42.1}],\"seq\":3}");
	assert_int_equal(wwtp_sign_message(&b, sk, 3, NULL, NULL), 0);
	/* Every single byte of the signed part, and of the signature. */
	for (size_t i = 0; i < b.len - 2; i++) {
		char keep = b.data[i];
		b.data[i] = (char)(keep == '4' ? '5' : keep ^ 1);
		int v = wwtp_sign_check(b.data, b.len, pk, NULL, NULL);
		assert_true(v == WWTP_SIGN_BAD || v == WWTP_SIGN_MISSING);
		b.data[i] = keep;
	}
	assert_int_equal(wwtp_sign_check(b.data, b.len, pk, NULL, NULL), WWTP_SIGN_OK);
	/* A byte added in front, or cut off the end. */
	assert_int_not_equal(wwtp_sign_check(b.data, b.len - 1, pk, NULL, NULL), WWTP_SIGN_OK);
	/* A hex letter of the signature in the other case names the same
	 * bytes, but the message is not the one signed (found by fuzz_sign). */
	size_t k = b.len - 3;
	while (!(b.data[k] >= 'a' && b.data[k] <= 'f'))
		k--;
	b.data[k] = (char)(b.data[k] - 'a' + 'A');
	assert_int_not_equal(wwtp_sign_check(b.data, b.len, pk, NULL, NULL), WWTP_SIGN_OK);
	wwtp_buf_free(&b);
}

static void test_missing(void **state)
{
	(void)state;
	const char *plain = "{\"v\":1,\"seq\":41}";
	assert_int_equal(wwtp_sign_check(plain, strlen(plain), pk, NULL, NULL), WWTP_SIGN_MISSING);
	assert_int_equal(wwtp_sign_check("", 0, pk, NULL, NULL), WWTP_SIGN_MISSING);
	assert_int_equal(wwtp_sign_check("}", 1, pk, NULL, NULL), WWTP_SIGN_MISSING);
	/* A sig member with non-hex digits is no signature. */
	char w[300];
	int n = snprintf(w, sizeof(w), "{\"v\":1,\"sig\":\"%0127dz\"}", 0);
	assert_true(n > 0);
	assert_int_equal(wwtp_sign_check(w, (size_t)n, pk, NULL, NULL), WWTP_SIGN_MISSING);
}

static void test_chain_links(void **state)
{
	(void)state;
	struct wwtp_buf a, b;
	unsigned char ha[WWTP_SIGN_HASH_LEN], hb[WWTP_SIGN_HASH_LEN];
	char hex[2 * WWTP_SIGN_HASH_LEN + 1];

	msg(&a, "{\"seq\":1}");
	msg(&b, "{\"seq\":2}");
	assert_int_equal(wwtp_sign_message(&a, sk, 1, NULL, ha), 0);
	assert_int_equal(wwtp_sign_message(&b, sk, 2, ha, hb), 0);
	/* b names a's hash, which is the hash of a's signed bytes. */
	struct wwtp_buf s;
	wwtp_buf_init(&s, 4096);
	assert_int_equal(wwtp_sign_signed_bytes(a.data, a.len, &s), 0);
	assert_memory_equal(s.data, "{\"seq\":1,\"chain\":1,\"prev\":\"", 27);
	for (int i = 0; i < WWTP_SIGN_HASH_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", ha[i]);
	assert_non_null(strstr(b.data, hex));
	/* Status and health: no chain member, prev only. */
	struct wwtp_buf c;
	msg(&c, "{\"status\":\"online\"}");
	assert_int_equal(wwtp_sign_message(&c, sk, 0, hb, NULL), 0);
	assert_null(strstr(c.data, "\"chain\""));
	assert_int_equal(wwtp_sign_check(c.data, c.len, pk, NULL, NULL), WWTP_SIGN_OK);
	/* Not an object: refused, buffer unchanged. */
	struct wwtp_buf d;
	msg(&d, "[1]");
	assert_int_equal(wwtp_sign_message(&d, sk, 1, NULL, NULL), WWTP_ERR_INVAL);
	assert_string_equal(d.data, "[1]");
	wwtp_buf_free(&a);
	wwtp_buf_free(&b);
	wwtp_buf_free(&c);
	wwtp_buf_free(&d);
	wwtp_buf_free(&s);
}

static void test_full_buffer_left_as_is(void **state)
{
	(void)state;
	struct wwtp_buf b;
	wwtp_buf_init(&b, 64);
	assert_int_equal(wwtp_buf_adds(&b, "{\"seq\":1}"), 0);
	assert_int_equal(wwtp_sign_message(&b, sk, 1, NULL, NULL), WWTP_ERR_FULL);
	assert_string_equal(b.data, "{\"seq\":1}");
	wwtp_buf_free(&b);
}

static void test_public_key_text(void **state)
{
	(void)state;
	char t[WWTP_SIGN_PK_TEXT];
	unsigned char back[WWTP_SIGN_PK_LEN], derived[WWTP_SIGN_PK_LEN];
	wwtp_sign_pk_text(pk, t);
	assert_int_equal(strlen(t), 64);
	assert_int_equal(wwtp_sign_pk_parse(t, back), 0);
	assert_memory_equal(back, pk, sizeof(pk));
	wwtp_sign_sk_to_pk(sk, derived);
	assert_memory_equal(derived, pk, sizeof(pk));
	t[10] = 'g';
	assert_int_equal(wwtp_sign_pk_parse(t, back), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_sign_pk_parse("abcd", back), WWTP_ERR_INVAL);
}

static void test_link_read_back(void **state)
{
	(void)state;
	struct wwtp_buf b;
	unsigned char prev[WWTP_SIGN_HASH_LEN], got[WWTP_SIGN_HASH_LEN];
	uint64_t chain = 99;

	for (int i = 0; i < WWTP_SIGN_HASH_LEN; i++)
		prev[i] = (unsigned char)(i * 7);
	msg(&b, "{\"seq\":5}");
	assert_int_equal(wwtp_sign_message(&b, sk, 18446744073709551615ULL, prev, NULL), 0);
	assert_int_equal(wwtp_sign_parse_link(b.data, b.len, &chain, got), 0);
	assert_true(chain == 18446744073709551615ULL);
	assert_memory_equal(got, prev, sizeof(prev));
	wwtp_buf_free(&b);
	/* A side signature: no chain. */
	msg(&b, "{\"seq\":5}");
	assert_int_equal(wwtp_sign_message(&b, sk, 0, prev, NULL), 0);
	assert_int_equal(wwtp_sign_parse_link(b.data, b.len, &chain, got), 0);
	assert_true(chain == 0);
	wwtp_buf_free(&b);
	/* A side signature over an object whose last member is its own
	 * "chain" would read back as link 5: refused, the bytes left as they
	 * were (found by fuzz_sign). Linked, the same object is fine. */
	msg(&b, "{\"seq\":5,\"chain\":5}");
	assert_int_equal(wwtp_sign_message(&b, sk, 0, prev, NULL), WWTP_ERR_INVAL);
	assert_string_equal(b.data, "{\"seq\":5,\"chain\":5}");
	assert_int_equal(wwtp_sign_message(&b, sk, 6, prev, NULL), 0);
	assert_int_equal(wwtp_sign_parse_link(b.data, b.len, &chain, got), 0);
	assert_true(chain == 6);
	wwtp_buf_free(&b);
	/* Too short, or an unsigned message. */
	assert_int_equal(wwtp_sign_parse_link("{}", 2, &chain, got), WWTP_ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wire_form_and_verify),
	    cmocka_unit_test(test_every_edit_is_seen),
	    cmocka_unit_test(test_missing),
	    cmocka_unit_test(test_chain_links),
	    cmocka_unit_test(test_full_buffer_left_as_is),
	    cmocka_unit_test(test_public_key_text),
	    cmocka_unit_test(test_link_read_back),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
