/* test_central_auth.c - who may use the web page and the API
 * (central/web/auth.c, central/web/ratelimit.c, central/web/acks.c):
 *  - the rate limiter alone, with its clock in our hands: free failures,
 *    then waits doubling up to the cap, forgotten after a quiet while,
 *    cleared by a success, bounded in keys;
 *  - password hashing (argon2id) and checking, the accounts file and its
 *    bad lines, `passwd`'s rewrite of it;
 *  - sessions: idle and absolute expiry, log-out, a removed account;
 *  - log-in limits per user and per address; Basic remembered;
 *  - acknowledgements kept in their file across a reopen. */
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

#include "../../central/web/acks.h"
#include "../../central/web/auth.h"
#include "../../central/web/ratelimit.h"
#include "../../util/err.h"
#include "../../central/web/auth-private.h"
#include "../../util/log.h"

#define T0 1780000000000LL

static char dir[] = "/tmp/wwtp-auth-XXXXXX";

static void rl_cfg(struct wwtp_rl_cfg *c, size_t slots)
{
	c->free_failures = 3;
	c->base_ms = 1000;
	c->max_ms = 60000;
	c->forget_ms = 600000;
	c->slots = slots;
}

static void test_ratelimit(void **state)
{
	struct wwtp_rl_cfg c;
	(void)state;
	rl_cfg(&c, 8);
	struct wwtp_rl *rl = wwtp_rl_new(&c);
	assert_non_null(rl);
	/* Three failures are free. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(wwtp_rl_wait(rl, "u:an", T0), 0);
		wwtp_rl_fail(rl, "u:an", T0);
	}
	assert_int_equal(wwtp_rl_failures(rl, "u:an", T0), 3);
	/* Then 1 s, 2 s, 4 s... from the last failure. */
	assert_int_equal(wwtp_rl_wait(rl, "u:an", T0), 1000);
	assert_int_equal(wwtp_rl_wait(rl, "u:an", T0 + 400), 600);
	assert_int_equal(wwtp_rl_wait(rl, "u:an", T0 + 1000), 0);
	wwtp_rl_fail(rl, "u:an", T0 + 1000);
	assert_int_equal(wwtp_rl_wait(rl, "u:an", T0 + 1000), 2000);
	wwtp_rl_fail(rl, "u:an", T0 + 3000);
	assert_int_equal(wwtp_rl_wait(rl, "u:an", T0 + 3000), 4000);
	/* Capped. */
	for (int i = 0; i < 20; i++)
		wwtp_rl_fail(rl, "u:an", T0 + 4000);
	assert_int_equal(wwtp_rl_wait(rl, "u:an", T0 + 4000), 60000);
	/* Other keys are not touched. */
	assert_int_equal(wwtp_rl_wait(rl, "u:bich", T0 + 4000), 0);
	/* A quiet while: forgotten. */
	assert_int_equal(wwtp_rl_wait(rl, "u:an", T0 + 4000 + 600000), 0);
	assert_int_equal(wwtp_rl_failures(rl, "u:an", T0 + 4000 + 600000), 0);
	/* A success clears. */
	for (int i = 0; i < 5; i++)
		wwtp_rl_fail(rl, "a:10.0.0.1", T0);
	assert_true(wwtp_rl_wait(rl, "a:10.0.0.1", T0) > 0);
	wwtp_rl_clear(rl, "a:10.0.0.1");
	assert_int_equal(wwtp_rl_wait(rl, "a:10.0.0.1", T0), 0);
	wwtp_rl_free(rl);
}

static void test_ratelimit_bounded(void **state)
{
	struct wwtp_rl_cfg c;
	char key[32];
	(void)state;
	rl_cfg(&c, 4);
	struct wwtp_rl *rl = wwtp_rl_new(&c);
	/* One key hammered, then many others: the table never grows, the
	 * least recently failed goes first. */
	for (int i = 0; i < 10; i++)
		wwtp_rl_fail(rl, "u:target", T0 + 100);
	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "u:other%d", i);
		wwtp_rl_fail(rl, key, T0 + 200 + i);
	}
	assert_int_equal(wwtp_rl_failures(rl, "u:target", T0 + 300), 10);
	wwtp_rl_fail(rl, "u:newcomer", T0 + 400);
	assert_int_equal(wwtp_rl_failures(rl, "u:target", T0 + 400), 0);
	assert_int_equal(wwtp_rl_failures(rl, "u:newcomer", T0 + 400), 1);
	wwtp_rl_free(rl);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static struct wwtp_auth *make_auth(const char *accounts, int idle_s, int max_s)
{
	struct wwtp_auth_cfg c = {.accounts_file = accounts,
				  .session_idle_s = idle_s,
				  .session_max_s = max_s,
				  .max_failures = 2,
				  .lockout_max_s = 60};
	struct wwtp_auth *a = NULL;
	assert_int_equal(wwtp_auth_new(&c, &a), 0);
	return a;
}

static void test_accounts_and_sessions(void **state)
{
	char path[256], hash[crypto_pwhash_STRBYTES], token[WWTP_AUTH_TOKEN_LEN + 1];
	struct wwtp_principal p;
	int64_t retry;
	(void)state;

	snprintf(path, sizeof(path), "%s/accounts", dir);
	/* passwd: too short refused; a new file, then a change in place. */
	assert_int_equal(wwtp_auth_hash("short", hash, sizeof(hash)), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_auth_hash("correct horse", hash, sizeof(hash)), 0);
	assert_int_equal(strncmp(hash, "$argon2id$", 10), 0);
	assert_int_equal(crypto_pwhash_str_verify(hash, "correct horse", 13), 0);
	assert_int_not_equal(crypto_pwhash_str_verify(hash, "correct horsf", 13), 0);
	assert_int_equal(wwtp_auth_set_account(path, "an", WWTP_ROLE_INSPECTOR, hash), 0);
	assert_int_equal(wwtp_auth_set_account(path, "bich", WWTP_ROLE_INSPECTOR, hash), 0);
	assert_int_equal(wwtp_auth_set_account(path, "an", WWTP_ROLE_OPERATOR, hash), 0);
	assert_int_equal(wwtp_auth_set_account(path, "Bad Name", WWTP_ROLE_OPERATOR, hash),
			 WWTP_ERR_INVAL);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);

	struct wwtp_auth *a = make_auth(path, 60, 300);
	assert_int_equal(a->nacct, 2);
	assert_int_equal(find_account(a, "an")->role, WWTP_ROLE_OPERATOR);

	/* Log-in, the session, idle expiry. */
	assert_int_equal(
	    wwtp_auth_login(a, "an", "wrong password", "10.0.0.1", T0, token, &p, &retry),
	    WWTP_AUTH_DENIED);
	assert_int_equal(
	    wwtp_auth_login(a, "an", "correct horse", "10.0.0.1", T0, token, &p, &retry), 0);
	assert_int_equal(p.role, WWTP_ROLE_OPERATOR);
	assert_int_equal(strlen(token), WWTP_AUTH_TOKEN_LEN);
	assert_int_equal(strlen(p.csrf), WWTP_AUTH_TOKEN_LEN);
	assert_string_not_equal(p.csrf, token);
	assert_int_equal(wwtp_auth_session(a, token, T0 + 59000, &p), 0);
	assert_string_equal(p.user, "an");
	assert_int_equal(wwtp_auth_session(a, token, T0 + 59000 + 59000, &p), 0); /* use renews */
	assert_int_equal(wwtp_auth_session(a, token, T0 + 59000 + 59000 + 60000, &p),
			 WWTP_AUTH_DENIED);
	assert_int_equal(wwtp_auth_session(a, token, T0 + 200000, &p), WWTP_AUTH_DENIED); /* gone */

	/* Absolute expiry, however busy the session. */
	assert_int_equal(
	    wwtp_auth_login(a, "an", "correct horse", "10.0.0.1", T0, token, &p, &retry), 0);
	for (int64_t t = T0; t < T0 + 300000; t += 50000)
		assert_int_equal(wwtp_auth_session(a, token, t, &p), 0);
	assert_int_equal(wwtp_auth_session(a, token, T0 + 300000, &p), WWTP_AUTH_DENIED);

	/* Log-out; made-up and malformed tokens. */
	assert_int_equal(
	    wwtp_auth_login(a, "bich", "correct horse", "10.0.0.2", T0, token, &p, &retry), 0);
	assert_int_equal(p.role, WWTP_ROLE_INSPECTOR);
	assert_int_equal(wwtp_auth_sessions(a, T0), 1);
	wwtp_auth_logout(a, token);
	assert_int_equal(wwtp_auth_session(a, token, T0, &p), WWTP_AUTH_DENIED);
	assert_int_equal(wwtp_auth_session(a, "00", T0, &p), WWTP_AUTH_DENIED);
	assert_int_equal(wwtp_auth_session(a, NULL, T0, &p), WWTP_AUTH_DENIED);
	token[0] = token[0] == 'a' ? 'b' : 'a';
	assert_int_equal(wwtp_auth_session(a, token, T0, &p), WWTP_AUTH_DENIED);

	/* An account removed from the file: its open session ends. */
	assert_int_equal(
	    wwtp_auth_login(a, "bich", "correct horse", "10.0.0.2", T0, token, &p, &retry), 0);
	char line[400];
	snprintf(line, sizeof(line), "# only an now\nan:operator:%s\n", hash);
	write_file(path, line, 0600);
	assert_int_equal(wwtp_auth_session(a, token, T0 + 5000, &p), WWTP_AUTH_DENIED);
	assert_int_equal(a->nacct, 1);
	wwtp_auth_free(a);
}

static void test_limits_and_basic(void **state)
{
	char path[256], hash[crypto_pwhash_STRBYTES], line[400];
	struct wwtp_principal p;
	int64_t retry = 0;
	(void)state;

	snprintf(path, sizeof(path), "%s/accounts2", dir);
	assert_int_equal(wwtp_auth_hash("correct horse", hash, sizeof(hash)), 0);
	snprintf(line, sizeof(line), "an:inspector:%s\n", hash);
	write_file(path, line, 0600);
	struct wwtp_auth *a = make_auth(path, 60, 300);

	/* Two free failures (max_failures 2), then the right password must
	 * wait too: the attacker learns nothing while limited. */
	assert_int_equal(wwtp_auth_basic(a, "an", "guess1", "10.0.0.9", T0, &p, &retry),
			 WWTP_AUTH_DENIED);
	assert_int_equal(wwtp_auth_basic(a, "an", "guess2", "10.0.0.9", T0, &p, &retry),
			 WWTP_AUTH_DENIED);
	assert_int_equal(wwtp_auth_basic(a, "an", "correct horse", "10.0.0.8", T0 + 10, &p, &retry),
			 WWTP_AUTH_LIMITED);
	assert_true(retry > 0 && retry <= 1000);
	assert_int_equal(
	    wwtp_auth_basic(a, "an", "correct horse", "10.0.0.8", T0 + 1000, &p, &retry), 0);
	/* Remembered: the same password again is taken without argon2id,
	 * a different one is checked (and fails). */
	assert_int_equal(
	    wwtp_auth_basic(a, "an", "correct horse", "10.0.0.8", T0 + 2000, &p, &retry), 0);
	assert_int_equal(
	    wwtp_auth_basic(a, "an", "correct horsE", "10.0.0.8", T0 + 2000, &p, &retry),
	    WWTP_AUTH_DENIED);
	/* ... but never past the limits: guesses would be checked at full
	 * speed otherwise. */
	assert_int_equal(
	    wwtp_auth_basic(a, "an", "correct horsF", "10.0.0.8", T0 + 2000, &p, &retry),
	    WWTP_AUTH_DENIED);
	assert_int_equal(
	    wwtp_auth_basic(a, "an", "correct horse", "10.0.0.8", T0 + 2000, &p, &retry),
	    WWTP_AUTH_LIMITED);
	assert_int_equal(
	    wwtp_auth_basic(a, "an", "correct horse", "10.0.0.8", T0 + 3000, &p, &retry), 0);
	/* Per address: many names from one address, each failing once: the
	 * address runs out after 6 (3 x max_failures). */
	for (int i = 0; i < 8; i++) {
		char u[16];
		snprintf(u, sizeof(u), "u%d", i);
		assert_int_equal(wwtp_auth_basic(a, u, "pw", "10.0.0.7", T0 + 5000, &p, &retry),
				 i < 6 ? WWTP_AUTH_DENIED : WWTP_AUTH_LIMITED);
	}
	/* ... while the same names from elsewhere are not held up. */
	assert_int_equal(
	    wwtp_auth_basic(a, "an", "correct horse", "10.0.0.6", T0 + 5000, &p, &retry), 0);
	wwtp_auth_free(a);

	/* Bad files: refused with the line. */
	write_file(path, "an:inspector\n", 0600);
	struct wwtp_auth_cfg c = {.accounts_file = path,
				  .session_idle_s = 60,
				  .session_max_s = 60,
				  .max_failures = 2,
				  .lockout_max_s = 60};
	assert_int_equal(wwtp_auth_new(&c, &a), WWTP_ERR_CONFIG);
	write_file(path, "an:admin:$argon2id$x\n", 0600);
	assert_int_equal(wwtp_auth_new(&c, &a), WWTP_ERR_CONFIG);
	write_file(path, "an:inspector:plaintext\n", 0600);
	assert_int_equal(wwtp_auth_new(&c, &a), WWTP_ERR_CONFIG);
	snprintf(line, sizeof(line), "an:inspector:%s\nan:operator:%s\n", hash, hash);
	write_file(path, line, 0600);
	assert_int_equal(wwtp_auth_new(&c, &a), WWTP_ERR_CONFIG);
	c.accounts_file = "/nonexistent/accounts";
	assert_int_equal(wwtp_auth_new(&c, &a), WWTP_ERR_ERRNO);
}

static void test_acks(void **state)
{
	char path[256];
	struct wwtp_acks *k;
	struct wwtp_ack a, got, prev;
	(void)state;

	snprintf(path, sizeof(path), "%s/acks.jsonl", dir);
	assert_int_equal(wwtp_acks_open(path, &k), 0);
	memset(&a, 0, sizeof(a));
	snprintf(a.alert, sizeof(a.alert), "yen-nghia:cod:exceedance:3600:1780000000000");
	snprintf(a.user, sizeof(a.user), "an");
	snprintf(a.comment, sizeof(a.comment), "Đã gọi nhà máy");
	a.time_ms = T0;
	assert_int_equal(wwtp_acks_add(k, &a, &prev), 0);
	snprintf(a.user, sizeof(a.user), "bich");
	assert_int_equal(wwtp_acks_add(k, &a, &prev), WWTP_ERR_FULL);
	assert_string_equal(prev.user, "an");
	wwtp_acks_close(k);
	/* A torn last line (a crash mid-write) is skipped, the rest kept. */
	FILE *f = fopen(path, "a");
	fputs("{\"alert\":\"x\",\"us", f);
	fclose(f);
	assert_int_equal(wwtp_acks_open(path, &k), 0);
	assert_int_equal(wwtp_acks_count(k), 1);
	assert_int_equal(wwtp_acks_get(k, a.alert, &got), 0);
	assert_string_equal(got.user, "an");
	assert_string_equal(got.comment, "Đã gọi nhà máy");
	assert_int_equal(got.time_ms, T0);
	assert_int_equal(wwtp_acks_get(k, "nope", &got), WWTP_ERR_NOTFOUND);
	wwtp_acks_close(k);

	assert_true(wwtp_ack_valid_comment("ok"));
	assert_false(wwtp_ack_valid_comment(""));
	assert_false(wwtp_ack_valid_comment("two\nlines"));
	assert_false(wwtp_ack_valid_comment("\xff\xfe"));
}

static int setup(void **state)
{
	(void)state;
	wwtp_log_set_level(WWTP_LOG_ERROR);
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ratelimit),
	    cmocka_unit_test(test_ratelimit_bounded),
	    cmocka_unit_test(test_accounts_and_sessions),
	    cmocka_unit_test(test_limits_and_basic),
	    cmocka_unit_test(test_acks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
