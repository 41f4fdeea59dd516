/* test_buf.c - the capped buffer and its JSON helpers. */
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

static const char *num(double v)
{
	static struct wwtp_buf b;
	wwtp_buf_free(&b);
	wwtp_buf_init(&b, 64);
	assert_int_equal(wwtp_buf_add_json_number(&b, v), 0);
	return b.data;
}

static void test_numbers_shortest_and_plain(void **state)
{
	(void)state;
	assert_string_equal(num(42.1), "42.1");
	assert_string_equal(num(100), "100");
	assert_string_equal(num(-1234), "-1234");
	assert_string_equal(num(3000000000.0), "3000000000");
	assert_string_equal(num(1234567890123456.0), "1234567890123456");
	assert_string_equal(num(0.5), "0.5");
	assert_string_equal(num(0), "0");
	assert_string_equal(num(-1234.5678125), "-1234.5678125");
	assert_string_equal(num(1e-7), "1e-07");
	assert_string_equal(num(1e300), "1e+300");
	/* The shortest that reads back, wherever the digits are (the %.15g
	 * shortcut, and 16 or 17 digits past it; subnormals by the search). */
	assert_string_equal(num(0.1 + 0.2), "0.30000000000000004");
	assert_string_equal(num(59.463585), "59.463585");
	assert_string_equal(num(2.0 / 3.0), "0.6666666666666666");
	assert_string_equal(num(1e23), "1e+23");
	assert_string_equal(num(5e-324), "5e-324");
	assert_string_equal(num(2.2250738585072014e-308), "2.2250738585072014e-308");
	assert_string_equal(num(1.7976931348623157e308), "1.7976931348623157e+308");
	assert_string_equal(num(123456789012345678.0), "1.2345678901234568e+17");
	assert_string_equal(num(1e15 + 0.3), "1000000000000000.2");
	assert_string_equal(num(0.0003), "0.0003");
	/* What is printed reads back as the same double. */
	const double vals[] = {0.1, 2.0 / 3.0, 123456.789, 5e-324, 1.7976931348623157e308, 99.99};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		assert_true(strtod(num(vals[i]), NULL) == vals[i]);
	num(0); /* leaves the static buffer allocated: free it */
	struct wwtp_buf b;
	wwtp_buf_init(&b, 64);
	assert_int_equal(wwtp_buf_add_json_number(&b, 0.0 / 0.0), WWTP_ERR_NAN);
	wwtp_buf_free(&b);
}

static void test_cap_is_hard(void **state)
{
	(void)state;
	struct wwtp_buf b;
	wwtp_buf_init(&b, 10);
	assert_int_equal(wwtp_buf_adds(&b, "0123456789"), 0);
	assert_int_equal(wwtp_buf_adds(&b, "x"), WWTP_ERR_FULL);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "0123456789");
	assert_int_equal(wwtp_buf_printf(&b, "%d", 1), WWTP_ERR_FULL);
	wwtp_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(wwtp_buf_printf(&b, "%s-%d", "ab", 7), 0);
	assert_string_equal(b.data, "ab-7");
	wwtp_buf_free(&b);
}

static void test_uncapped_does_not_wrap(void **state)
{
	(void)state;
	struct wwtp_buf b;
	wwtp_buf_init(&b, SIZE_MAX);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(wwtp_buf_adds(&b, "0123456789"), 0);
	assert_int_equal(b.len, 10000);
	/* An absurd size is refused, not wrapped into a small allocation. */
	assert_int_not_equal(wwtp_buf_add(&b, "x", SIZE_MAX - 5), 0);
	assert_int_equal(b.len, 10000);
	wwtp_buf_free(&b);
}

static void test_json_string_escapes(void **state)
{
	(void)state;
	struct wwtp_buf b;
	wwtp_buf_init(&b, 256);
	assert_int_equal(wwtp_buf_add_json_string(&b, "a\"b\\c\nd\te\x01 Thùy"), 0);
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\\te\\u0001 Thùy\"");
	wwtp_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_numbers_shortest_and_plain),
	    cmocka_unit_test(test_cap_is_hard),
	    cmocka_unit_test(test_uncapped_does_not_wrap),
	    cmocka_unit_test(test_json_string_escapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
