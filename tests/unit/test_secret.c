/* test_secret.c - secrets from files (util/secret.c) and the mqtt group's
 * TLS and credential keys (util/mqtt_auth.c): what is read, what is
 * refused, when the permission warning fires, and that the keys are
 * checked against each other and the URI. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/mqtt_auth.h"
#include "../../util/secret.h"

static char dir[] = "/tmp/wwtp-test-secret-XXXXXX";
static char path[sizeof(dir) + 16];

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/secret", dir);
	wwtp_log_set_level(WWTP_LOG_ERROR); /* the warnings are expected */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void put(const char *text, size_t n, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_reads_first_line(void **state)
{
	char *s = NULL;
	(void)state;
	put("s3cr3t \t\r\nsecond line\n", 23, 0600);
	assert_int_equal(wwtp_secret_read(path, "password_file", "test", &s), 0);
	assert_string_equal(s, "s3cr3t");
	wwtp_secret_free(s);
	/* No line break at all is fine too. */
	put("tok", 3, 0400);
	assert_int_equal(wwtp_secret_read(path, "token_file", "test", &s), 0);
	assert_string_equal(s, "tok");
	wwtp_secret_free(s);
}

static void test_refuses_empty_long_missing(void **state)
{
	char *s = (char *)"untouched";
	char *big = malloc(WWTP_SECRET_MAX + 10);
	(void)state;
	assert_non_null(big);
	put("\nsecond\n", 8, 0600);
	assert_int_equal(wwtp_secret_read(path, "password_file", "test", &s), WWTP_ERR_CONFIG);
	assert_null(s);
	put("  \n", 3, 0600);
	assert_int_equal(wwtp_secret_read(path, "password_file", "test", &s), WWTP_ERR_CONFIG);
	memset(big, 'x', WWTP_SECRET_MAX + 10);
	put(big, WWTP_SECRET_MAX + 10, 0600);
	assert_int_equal(wwtp_secret_read(path, "password_file", "test", &s), WWTP_ERR_CONFIG);
	/* Exactly the limit is accepted. */
	big[WWTP_SECRET_MAX] = '\n';
	put(big, WWTP_SECRET_MAX + 1, 0600);
	assert_int_equal(wwtp_secret_read(path, "password_file", "test", &s), 0);
	assert_int_equal(strlen(s), WWTP_SECRET_MAX);
	wwtp_secret_free(s);
	unlink(path);
	assert_int_equal(wwtp_secret_read(path, "password_file", "test", &s), WWTP_ERR_ERRNO);
	assert_null(s);
	/* A folder is not a secret file. */
	assert_int_equal(wwtp_secret_read(dir, "password_file", "test", &s), WWTP_ERR_ERRNO);
	free(big);
}

static void test_mode_warning(void **state)
{
	char *s = NULL;
	(void)state;
	put("pw\n", 3, 0600);
	assert_int_equal(wwtp_secret_check_mode(path, "key_file", "test"), 0);
	put("pw\n", 3, 0400);
	assert_int_equal(wwtp_secret_check_mode(path, "key_file", "test"), 0);
	put("pw\n", 3, 0640);
	assert_int_equal(wwtp_secret_check_mode(path, "key_file", "test"), 1);
	put("pw\n", 3, 0604);
	assert_int_equal(wwtp_secret_check_mode(path, "key_file", "test"), 1);
	put("pw\n", 3, 0620); /* group may overwrite it: as bad */
	assert_int_equal(wwtp_secret_check_mode(path, "key_file", "test"), 1);
	/* The secret is still read (a warning, not a refusal). */
	put("pw\n", 3, 0644);
	assert_int_equal(wwtp_secret_read(path, "password_file", "test", &s), 0);
	assert_string_equal(s, "pw");
	wwtp_secret_free(s);
	unlink(path);
	assert_int_equal(wwtp_secret_check_mode(path, "key_file", "test"), WWTP_ERR_ERRNO);
}

static void test_wipe(void **state)
{
	char b[8] = "abcdefg";
	(void)state;
	wwtp_secret_wipe(b, sizeof(b));
	for (size_t i = 0; i < sizeof(b); i++)
		assert_int_equal(b[i], 0);
	wwtp_secret_wipe(NULL, 3);
	wwtp_secret_free(NULL);
}

static void test_auth_problems(void **state)
{
	struct wwtp_mqtt_auth a;
	const char *key;
	(void)state;
	memset(&a, 0, sizeof(a));
	assert_null(wwtp_mqtt_auth_problem(&a, "tcp://h:1883", &key));
	assert_true(wwtp_mqtt_uri_is_tls("ssl://h:8883"));
	assert_true(wwtp_mqtt_uri_is_tls("mqtts://h:8883"));
	assert_true(wwtp_mqtt_uri_is_tls("wss://h:443"));
	assert_false(wwtp_mqtt_uri_is_tls("tcp://h:1883"));
	assert_false(wwtp_mqtt_uri_is_tls("ws://h:80"));

	/* Certificates with a plain URI would be silently unused. */
	snprintf(a.ca_file, sizeof(a.ca_file), "ca.crt");
	assert_non_null(wwtp_mqtt_auth_problem(&a, "tcp://h:1883", &key));
	assert_string_equal(key, "ca_file");
	assert_null(wwtp_mqtt_auth_problem(&a, "ssl://h:8883", &key));

	snprintf(a.key_file, sizeof(a.key_file), "c.key");
	assert_non_null(wwtp_mqtt_auth_problem(&a, "ssl://h:8883", &key));
	assert_string_equal(key, "key_file");
	snprintf(a.cert_file, sizeof(a.cert_file), "c.crt");
	assert_null(wwtp_mqtt_auth_problem(&a, "ssl://h:8883", &key));

	snprintf(a.password_file, sizeof(a.password_file), "pw");
	assert_non_null(wwtp_mqtt_auth_problem(&a, "ssl://h:8883", &key));
	assert_string_equal(key, "password_file");
	snprintf(a.username, sizeof(a.username), "st-1");
	assert_null(wwtp_mqtt_auth_problem(&a, "ssl://h:8883", &key));
}

static void test_login_load(void **state)
{
	struct wwtp_mqtt_auth a;
	struct wwtp_mqtt_login l;
	(void)state;
	memset(&a, 0, sizeof(a));
	put("hunter2\n", 8, 0600);
	snprintf(a.username, sizeof(a.username), "st-1");
	snprintf(a.password_file, sizeof(a.password_file), "%s", path);
	assert_int_equal(wwtp_mqtt_login_load(&a, "ssl://h:8883", "test", &l), 0);
	assert_true(l.tls);
	assert_string_equal(l.username, "st-1");
	assert_string_equal(l.password, "hunter2");
	assert_null(l.ca_file);
	wwtp_mqtt_login_clear(&l);
	assert_null(l.password);

	/* A certificate file that cannot be read: refused before the TLS
	 * library would fail with a vaguer message. */
	snprintf(a.ca_file, sizeof(a.ca_file), "%s/missing.crt", dir);
	assert_int_equal(wwtp_mqtt_login_load(&a, "ssl://h:8883", "test", &l), WWTP_ERR_CONFIG);
	assert_null(l.password);
	a.ca_file[0] = '\0';
	unlink(path);
	assert_int_equal(wwtp_mqtt_login_load(&a, "ssl://h:8883", "test", &l), WWTP_ERR_CONFIG);
	assert_null(l.password);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reads_first_line),
	    cmocka_unit_test(test_refuses_empty_long_missing),
	    cmocka_unit_test(test_mode_warning),
	    cmocka_unit_test(test_wipe),
	    cmocka_unit_test(test_auth_problems),
	    cmocka_unit_test(test_login_load),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
