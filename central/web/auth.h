/* auth.h - who may use the web page and the API (docs/web.md): accounts
 * from a file, password checks, sessions, and log-in attempt limiting.
 *
 * The accounts file has one account per line, "user:role:hash", role
 * inspector (reads) or operator (reads, acknowledges alerts), hash from
 * libsodium's crypto_pwhash_str (argon2id: salted and slow); '#' starts a
 * comment line. It is read at start and again whenever it changes, so
 * `wwtp-central passwd` takes effect without a restart.
 *
 * A log-in (password) opens a session: a random 256-bit token the browser
 * keeps in a cookie, with its own random CSRF token, ending after idle_s
 * without use, after max_s in any case, or at log-out. Scripts give the
 * same accounts with HTTP Basic on each request; a verified password is
 * remembered (as a keyed hash, in memory) for a few minutes so that a
 * script polling the API does not pay for argon2id each time.
 *
 * Failed attempts are counted per user name and per client address
 * (ratelimit.h): past max_failures, the next attempt must wait, doubling.
 * Thread-safe. The clock is a parameter (now_ms) for the tests. */
#ifndef WWTP_CENTRAL_AUTH_H
#define WWTP_CENTRAL_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define WWTP_AUTH_USER_MAX 33  /* 1..32 of [a-z0-9._-] */
#define WWTP_AUTH_TOKEN_LEN 64 /* hex of 32 random bytes */
#define WWTP_AUTH_PASSWORD_MIN 8
#define WWTP_AUTH_PASSWORD_MAX 256

enum wwtp_role {
	WWTP_ROLE_NONE = 0,
	WWTP_ROLE_INSPECTOR = 1,
	WWTP_ROLE_OPERATOR = 2,
};

struct wwtp_auth_cfg {
	const char *accounts_file;
	int session_idle_s; /* a session unused this long ends */
	int session_max_s;  /* a session ends this long after log-in in any case */
	int max_failures;   /* failed log-ins per user or address before waits */
	int lockout_max_s;  /* the longest wait */
	int first_wait_s;   /* the first wait, doubling after; 0: 1 s */
};

struct wwtp_principal {
	char user[WWTP_AUTH_USER_MAX];
	enum wwtp_role role;
	int session;			    /* 1: by session cookie, 0: by Basic */
	char csrf[WWTP_AUTH_TOKEN_LEN + 1]; /* the session's CSRF token; "" for Basic */
	int64_t idle_until_ms, expires_ms;  /* the session's ends */
};

/* Results beyond 0 and the WWTP_ERR_* codes. */
#define WWTP_AUTH_DENIED 1  /* unknown user or wrong password */
#define WWTP_AUTH_LIMITED 2 /* too many failures: wait *retry_ms */

struct wwtp_auth;

/* Reads the accounts file (which must exist; it may hold no account yet).
 * 0 and *out; WWTP_ERR_CONFIG (a bad line: every problem logged with
 * FILE:LINE), WWTP_ERR_ERRNO (cannot read), WWTP_ERR_NOMEM. Warns when the
 * file is readable by its group or others. */
int wwtp_auth_new(const struct wwtp_auth_cfg *cfg, struct wwtp_auth **out);
void wwtp_auth_free(struct wwtp_auth *a); /* accepts NULL */

/* Checks user and password (from client, an address, for the limits) and
 * opens a session: token[WWTP_AUTH_TOKEN_LEN + 1] gets its cookie value.
 * 0 and *p; WWTP_AUTH_DENIED; WWTP_AUTH_LIMITED with *retry_ms;
 * WWTP_ERR_NOMEM. */
int wwtp_auth_login(struct wwtp_auth *a, const char *user, const char *password, const char *client,
		    int64_t now_ms, char *token, struct wwtp_principal *p, int64_t *retry_ms);
/* The same check for HTTP Basic, without a session. */
int wwtp_auth_basic(struct wwtp_auth *a, const char *user, const char *password, const char *client,
		    int64_t now_ms, struct wwtp_principal *p, int64_t *retry_ms);
/* The session of a cookie value: 0 and *p (its idle time restarts), or
 * WWTP_AUTH_DENIED (unknown, ended, or its account is gone). */
int wwtp_auth_session(struct wwtp_auth *a, const char *token, int64_t now_ms,
		      struct wwtp_principal *p);
/* Ends the session of token (nothing when unknown). */
void wwtp_auth_logout(struct wwtp_auth *a, const char *token);
/* Open sessions at now_ms (for /api/health and the tests). */
size_t wwtp_auth_sessions(struct wwtp_auth *a, int64_t now_ms);

const char *wwtp_role_name(enum wwtp_role r);
/* "inspector" / "operator" into *r: 0 or WWTP_ERR_INVAL. */
int wwtp_role_parse(const char *s, enum wwtp_role *r);
/* Whether s is a valid user name. */
int wwtp_auth_valid_user(const char *s);

/* Hashes password into out[n] (crypto_pwhash_str, interactive limits).
 * 0, WWTP_ERR_INVAL (length outside 8..256), WWTP_ERR_NOMEM. */
int wwtp_auth_hash(const char *password, char *out, size_t n);

/* Writes path with user's line set to role and hash (added, or replacing
 * the old line; the other lines kept as they are), atomically (a new file
 * renamed over the old), mode 0600. 0, WWTP_ERR_INVAL (bad user),
 * WWTP_ERR_ERRNO. */
int wwtp_auth_set_account(const char *path, const char *user, enum wwtp_role role,
			  const char *hash);

#endif
