/* auth.c - accounts, passwords, sessions (see auth.h, docs/web.md). */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/secret.h"
#include "auth-private.h"
#include "ratelimit.h"

#define AUTH_MOD "auth"
#define AUTH_ACCOUNTS_MAX 1000
#define AUTH_SESSIONS_MAX 1024
#define AUTH_LINE_MAX 512
/* Argon2id runs that may go at once: each takes 64 MiB for a moment. */
#define AUTH_HASHING_MAX 2
/* A Basic password once verified is taken without argon2id this long. */
#define AUTH_BASIC_CACHE_MS (5 * 60 * 1000LL)
#define AUTH_RELOAD_CHECK_MS 1000
#define AUTH_CS_USER "abcdefghijklmnopqrstuvwxyz0123456789._-"

/* A bounded copy of a string whose length was checked (or may be cut). */
static void auth_copy(char *dst, size_t n, const char *src)
{
	size_t l = strnlen(src, n - 1);
	memcpy(dst, src, l);
	dst[l] = '\0';
}

const char *wwtp_role_name(enum wwtp_role r)
{
	return r == WWTP_ROLE_OPERATOR	  ? "operator"
	       : r == WWTP_ROLE_INSPECTOR ? "inspector"
					  : "none";
}

int wwtp_role_parse(const char *s, enum wwtp_role *r)
{
	if (strcmp(s, "inspector") == 0)
		*r = WWTP_ROLE_INSPECTOR;
	else if (strcmp(s, "operator") == 0)
		*r = WWTP_ROLE_OPERATOR;
	else
		return WWTP_ERR_INVAL;
	return 0;
}

int wwtp_auth_valid_user(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n < WWTP_AUTH_USER_MAX && strspn(s, AUTH_CS_USER) == n;
}

/* ---- the accounts file ---- */

/* Parses the file into *out; every bad line logged. */
static int load_accounts(const char *path, struct account **out, size_t *nout, struct stat *st)
{
	char line[AUTH_LINE_MAX + 2];
	int lineno = 0, bad = 0;
	size_t n = 0;
	struct account *acct;
	FILE *f = fopen(path, "re");

	if (!f) {
		LOG_ERROR(AUTH_MOD,
			  "%s: cannot read the accounts file: %s (create it with "
			  "`wwtp-central passwd --file %s USER ROLE`)",
			  path, strerror(errno), path);
		return WWTP_ERR_ERRNO;
	}
	if (fstat(fileno(f), st) != 0) {
		fclose(f);
		return WWTP_ERR_ERRNO;
	}
	acct = calloc(AUTH_ACCOUNTS_MAX, sizeof(*acct));
	if (!acct) {
		fclose(f);
		return WWTP_ERR_NOMEM;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		lineno++;
		if (len > AUTH_LINE_MAX) {
			LOG_ERROR(AUTH_MOD, "%s:%d: line longer than %d bytes", path, lineno,
				  AUTH_LINE_MAX);
			bad = 1;
			int c;
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
				   line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2) {
			LOG_ERROR(AUTH_MOD, "%s:%d: not \"user:role:hash\"", path, lineno);
			bad = 1;
			continue;
		}
		*c1 = '\0';
		*c2 = '\0';
		const char *user = line, *role = c1 + 1, *hash = c2 + 1;
		struct account a;
		memset(&a, 0, sizeof(a));
		if (!wwtp_auth_valid_user(user)) {
			LOG_ERROR(AUTH_MOD,
				  "%s:%d: user name \"%.40s\" is not 1..32 of a-z, 0-9, '.', '_', "
				  "'-'",
				  path, lineno, user);
			bad = 1;
			continue;
		}
		if (wwtp_role_parse(role, &a.role) != 0) {
			LOG_ERROR(AUTH_MOD,
				  "%s:%d: role \"%.20s\" of %s is not inspector or operator", path,
				  lineno, role, user);
			bad = 1;
			continue;
		}
		if (strncmp(hash, "$argon2", 7) != 0 || strlen(hash) >= sizeof(a.hash)) {
			LOG_ERROR(AUTH_MOD,
				  "%s:%d: the hash of %s is not an argon2 hash from `wwtp-central "
				  "passwd`",
				  path, lineno, user);
			bad = 1;
			continue;
		}
		for (size_t i = 0; i < n; i++)
			if (strcmp(acct[i].user, user) == 0) {
				LOG_ERROR(AUTH_MOD, "%s:%d: user %s appears twice", path, lineno,
					  user);
				bad = 1;
			}
		if (n == AUTH_ACCOUNTS_MAX) {
			LOG_ERROR(AUTH_MOD, "%s:%d: more than %d accounts", path, lineno,
				  AUTH_ACCOUNTS_MAX);
			bad = 1;
			break;
		}
		auth_copy(a.user, sizeof(a.user), user);
		auth_copy(a.hash, sizeof(a.hash), hash);
		acct[n++] = a;
	}
	int rerr = ferror(f);
	fclose(f);
	if (rerr || bad) {
		if (rerr)
			LOG_ERROR(AUTH_MOD, "%s: read error", path);
		sodium_memzero(acct, AUTH_ACCOUNTS_MAX * sizeof(*acct));
		free(acct);
		return rerr ? WWTP_ERR_ERRNO : WWTP_ERR_CONFIG;
	}
	*out = acct;
	*nout = n;
	return 0;
}

static void free_accounts(struct account *acct)
{
	if (!acct)
		return;
	sodium_memzero(acct, AUTH_ACCOUNTS_MAX * sizeof(*acct));
	free(acct);
}

/* Under the lock: reads the file again when it changed (at most once a
 * second). A bad new version is logged and the old accounts kept. */
static void maybe_reload(struct wwtp_auth *a, int64_t now_ms)
{
	struct stat st;
	struct account *acct;
	size_t n;

	if (now_ms - a->checked_ms < AUTH_RELOAD_CHECK_MS && now_ms >= a->checked_ms)
		return;
	a->checked_ms = now_ms;
	if (stat(a->path, &st) != 0)
		return;
	if (st.st_ino == a->seen.st_ino && st.st_size == a->seen.st_size &&
	    st.st_mtim.tv_sec == a->seen.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == a->seen.st_mtim.tv_nsec)
		return;
	if (load_accounts(a->path, &acct, &n, &st) != 0) {
		LOG_ERROR(AUTH_MOD, "%s changed but cannot be used: the accounts stay as they were",
			  a->path);
		a->seen = st;
		return;
	}
	wwtp_secret_check_mode(a->path, "accounts file", AUTH_MOD);
	free_accounts(a->acct);
	a->acct = acct;
	a->nacct = n;
	a->seen = st;
	LOG_INFO(AUTH_MOD, "%s read again: %zu accounts", a->path, n);
}

/* The cost of an argon2id hash ("$argon2id$v=19$m=65536,t=2,p=1$..."):
 * *ops and *mem kept when it cannot be read or is out of libsodium's
 * bounds. */
static void hash_cost(const char *hash, unsigned long long *ops, size_t *mem)
{
	unsigned long m = 0, t = 0;
	const char *q = strstr(hash, "$m=");
	if (strncmp(hash, "$argon2id$", 10) != 0 || !q || sscanf(q, "$m=%lu,t=%lu", &m, &t) != 2)
		return;
	if (t >= crypto_pwhash_OPSLIMIT_MIN && t <= 64 && m >= crypto_pwhash_MEMLIMIT_MIN / 1024 &&
	    m <= (1ul << 22)) {
		*ops = t;
		*mem = (size_t)m * 1024;
	}
}

int wwtp_auth_new(const struct wwtp_auth_cfg *cfg, struct wwtp_auth **out)
{
	struct wwtp_auth *a;
	int rc;

	*out = NULL;
	if (sodium_init() < 0) {
		LOG_ERROR(AUTH_MOD, "libsodium cannot start");
		return WWTP_ERR_NOMEM;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return WWTP_ERR_NOMEM;
	a->path = strdup(cfg->accounts_file);
	a->sess = calloc(AUTH_SESSIONS_MAX, sizeof(*a->sess));
	struct wwtp_rl_cfg rc_cfg = {
	    .free_failures = cfg->max_failures,
	    .base_ms = 1000 * (int64_t)(cfg->first_wait_s > 0 ? cfg->first_wait_s : 1),
	    .max_ms = (int64_t)cfg->lockout_max_s * 1000,
	    .forget_ms = 2 * (int64_t)cfg->lockout_max_s * 1000 + 60000,
	    .slots = 4096};
	a->rl = wwtp_rl_new(&rc_cfg);
	/* An address may hold several people (a NAT): more room. */
	rc_cfg.free_failures *= 3;
	a->rl_addr = wwtp_rl_new(&rc_cfg);
	if (!a->path || !a->sess || !a->rl || !a->rl_addr) {
		wwtp_auth_free(a);
		return WWTP_ERR_NOMEM;
	}
	a->max_failures = cfg->max_failures;
	a->idle_ms = (int64_t)cfg->session_idle_s * 1000;
	a->max_ms = (int64_t)cfg->session_max_s * 1000;
	rc = load_accounts(a->path, &a->acct, &a->nacct, &a->seen);
	if (rc != 0) {
		free(a->sess);
		wwtp_rl_free(a->rl);
		wwtp_rl_free(a->rl_addr);
		free(a->path);
		free(a);
		return rc;
	}
	wwtp_secret_check_mode(a->path, "accounts file", AUTH_MOD);
	if (a->nacct == 0)
		LOG_WARN(AUTH_MOD,
			 "%s holds no account: nobody can log in (add one with `wwtp-central "
			 "passwd --file %s USER ROLE`)",
			 a->path, a->path);
	randombytes_buf(a->mac_key, sizeof(a->mac_key));
	/* The dummy costs what the accounts' hashes cost, so that an unknown
	 * name takes as long as a known one. */
	unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	hash_cost(a->nacct ? a->acct[0].hash : "", &ops, &mem);
	if (crypto_pwhash_str(a->dummy, "no such user, no such password", 30, ops, mem) != 0) {
		wwtp_auth_free(a);
		return WWTP_ERR_NOMEM;
	}
	pthread_mutex_init(&a->lock, NULL);
	sem_init(&a->hashing, 0, AUTH_HASHING_MAX);
	*out = a;
	return 0;
}

void wwtp_auth_free(struct wwtp_auth *a)
{
	if (!a)
		return;
	if (a->dummy[0]) {
		pthread_mutex_destroy(&a->lock);
		sem_destroy(&a->hashing);
	}
	free_accounts(a->acct);
	if (a->sess)
		sodium_memzero(a->sess, AUTH_SESSIONS_MAX * sizeof(*a->sess));
	free(a->sess);
	wwtp_rl_free(a->rl);
	wwtp_rl_free(a->rl_addr);
	free(a->path);
	sodium_memzero(a, sizeof(*a));
	free(a);
}

WWTP_PRIVATE struct account *find_account(struct wwtp_auth *a, const char *user)
{
	for (size_t i = 0; i < a->nacct; i++)
		if (strcmp(a->acct[i].user, user) == 0)
			return &a->acct[i];
	return NULL;
}

/* ---- checking a password ---- */

/* The rate limiter's keys of an attempt. */
static void rl_keys(const char *user, const char *client, char *ku, char *ka)
{
	snprintf(ku, WWTP_RL_KEY_MAX, "u:%.*s", WWTP_AUTH_USER_MAX - 1, user);
	snprintf(ka, WWTP_RL_KEY_MAX, "a:%.70s", client ? client : "?");
}

/* Checks a password; for Basic, a remembered verification first. Fills
 * *p. The lock is not held while argon2id runs. */
static int check_password(struct wwtp_auth *a, const char *user, const char *password,
			  const char *client, int64_t now_ms, int basic, struct wwtp_principal *p,
			  int64_t *retry_ms)
{
	char ku[WWTP_RL_KEY_MAX], ka[WWTP_RL_KEY_MAX], hash[crypto_pwhash_STRBYTES];
	unsigned char mac[crypto_generichash_BYTES];
	size_t plen = strlen(password);
	enum wwtp_role role = WWTP_ROLE_NONE;
	int known;

	*retry_ms = 0;
	memset(p, 0, sizeof(*p));
	rl_keys(user, client, ku, ka);
	crypto_generichash(mac, sizeof(mac), (const unsigned char *)password, plen, a->mac_key,
			   sizeof(a->mac_key));
	pthread_mutex_lock(&a->lock);
	maybe_reload(a, now_ms);
	struct account *ac = wwtp_auth_valid_user(user) ? find_account(a, user) : NULL;
	/* The limits first, the remembered password only then: otherwise
	 * guesses would be checked at full speed while it is remembered. */
	int64_t wu = wwtp_rl_wait(a->rl, ku, now_ms), wa = wwtp_rl_wait(a->rl_addr, ka, now_ms);
	if (wu > 0 || wa > 0) {
		pthread_mutex_unlock(&a->lock);
		*retry_ms = wu > wa ? wu : wa;
		return WWTP_AUTH_LIMITED;
	}
	if (basic && ac && ac->basic_ok_ms && now_ms - ac->basic_ok_ms < AUTH_BASIC_CACHE_MS &&
	    now_ms >= ac->basic_ok_ms && sodium_memcmp(mac, ac->basic_mac, sizeof(mac)) == 0) {
		auth_copy(p->user, sizeof(p->user), ac->user);
		p->role = ac->role;
		pthread_mutex_unlock(&a->lock);
		return 0;
	}
	known = ac != NULL;
	snprintf(hash, sizeof(hash), "%s", known ? ac->hash : a->dummy);
	if (known)
		role = ac->role;
	pthread_mutex_unlock(&a->lock);

	int good = 0;
	if (plen >= 1 && plen <= WWTP_AUTH_PASSWORD_MAX) {
		while (sem_wait(&a->hashing) != 0 && errno == EINTR)
			;
		good = crypto_pwhash_str_verify(hash, password, plen) == 0;
		sem_post(&a->hashing);
	}
	sodium_memzero(hash, sizeof(hash));

	pthread_mutex_lock(&a->lock);
	/* The account may have changed meanwhile: it must still be there with
	 * the same role. */
	ac = known ? find_account(a, user) : NULL;
	if (!good || !ac || ac->role != role) {
		wwtp_rl_fail(a->rl, ku, now_ms);
		wwtp_rl_fail(a->rl_addr, ka, now_ms);
		int nu = wwtp_rl_failures(a->rl, ku, now_ms);
		pthread_mutex_unlock(&a->lock);
		LOG_WARN(AUTH_MOD, "failed log-in as \"%.32s\" from %s (%d in a row)",
			 wwtp_auth_valid_user(user) ? user : "(invalid name)",
			 client ? client : "?", nu);
		return WWTP_AUTH_DENIED;
	}
	wwtp_rl_clear(a->rl, ku);
	if (basic) {
		memcpy(ac->basic_mac, mac, sizeof(mac));
		ac->basic_ok_ms = now_ms;
	}
	auth_copy(p->user, sizeof(p->user), ac->user);
	p->role = ac->role;
	pthread_mutex_unlock(&a->lock);
	return 0;
}

int wwtp_auth_basic(struct wwtp_auth *a, const char *user, const char *password, const char *client,
		    int64_t now_ms, struct wwtp_principal *p, int64_t *retry_ms)
{
	return check_password(a, user, password, client, now_ms, 1, p, retry_ms);
}

static void sess_fill(const struct wwtp_auth *a, const struct session *s, enum wwtp_role role,
		      struct wwtp_principal *p)
{
	memset(p, 0, sizeof(*p));
	auth_copy(p->user, sizeof(p->user), s->user);
	p->role = role;
	p->session = 1;
	memcpy(p->csrf, s->csrf, sizeof(p->csrf));
	p->idle_until_ms = s->last_ms + a->idle_ms;
	p->expires_ms = s->created_ms + a->max_ms;
}

static int sess_alive(const struct wwtp_auth *a, const struct session *s, int64_t now_ms)
{
	return s->used && now_ms - s->last_ms < a->idle_ms && now_ms - s->created_ms < a->max_ms &&
	       now_ms >= s->created_ms;
}

int wwtp_auth_login(struct wwtp_auth *a, const char *user, const char *password, const char *client,
		    int64_t now_ms, char *token, struct wwtp_principal *p, int64_t *retry_ms)
{
	unsigned char csrf[32];
	int rc = check_password(a, user, password, client, now_ms, 0, p, retry_ms);
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&a->lock);
	/* A free or ended slot, else the least recently used. */
	struct session *s = &a->sess[0];
	for (size_t i = 0; i < AUTH_SESSIONS_MAX; i++) {
		struct session *t = &a->sess[i];
		if (!sess_alive(a, t, now_ms)) {
			s = t;
			break;
		}
		if (t->last_ms < s->last_ms)
			s = t;
	}
	memset(s, 0, sizeof(*s));
	randombytes_buf(s->tok, sizeof(s->tok));
	randombytes_buf(csrf, sizeof(csrf));
	sodium_bin2hex(s->csrf, sizeof(s->csrf), csrf, sizeof(csrf));
	sodium_bin2hex(token, WWTP_AUTH_TOKEN_LEN + 1, s->tok, sizeof(s->tok));
	auth_copy(s->user, sizeof(s->user), p->user);
	s->used = 1;
	s->created_ms = s->last_ms = now_ms;
	sess_fill(a, s, p->role, p);
	pthread_mutex_unlock(&a->lock);
	LOG_INFO(AUTH_MOD, "%s (%s) logged in from %s", p->user, wwtp_role_name(p->role),
		 client ? client : "?");
	return 0;
}

/* The session of a token, under the lock; NULL when none. */
static struct session *find_session(struct wwtp_auth *a, const char *token)
{
	unsigned char tok[32];
	size_t n = 0;
	if (!token || strlen(token) != WWTP_AUTH_TOKEN_LEN ||
	    sodium_hex2bin(tok, sizeof(tok), token, WWTP_AUTH_TOKEN_LEN, NULL, &n, NULL) != 0 ||
	    n != sizeof(tok))
		return NULL;
	for (size_t i = 0; i < AUTH_SESSIONS_MAX; i++)
		if (a->sess[i].used && sodium_memcmp(a->sess[i].tok, tok, sizeof(tok)) == 0)
			return &a->sess[i];
	return NULL;
}

int wwtp_auth_session(struct wwtp_auth *a, const char *token, int64_t now_ms,
		      struct wwtp_principal *p)
{
	int rc = WWTP_AUTH_DENIED;
	pthread_mutex_lock(&a->lock);
	maybe_reload(a, now_ms);
	struct session *s = find_session(a, token);
	if (s && sess_alive(a, s, now_ms)) {
		struct account *ac = find_account(a, s->user);
		if (ac) {
			s->last_ms = now_ms;
			sess_fill(a, s, ac->role, p);
			rc = 0;
		}
	}
	if (rc != 0 && s)
		memset(s, 0, sizeof(*s)); /* ended, or its account is gone */
	pthread_mutex_unlock(&a->lock);
	return rc;
}

void wwtp_auth_logout(struct wwtp_auth *a, const char *token)
{
	pthread_mutex_lock(&a->lock);
	struct session *s = find_session(a, token);
	if (s)
		sodium_memzero(s, sizeof(*s));
	pthread_mutex_unlock(&a->lock);
}

size_t wwtp_auth_sessions(struct wwtp_auth *a, int64_t now_ms)
{
	size_t n = 0;
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < AUTH_SESSIONS_MAX; i++)
		n += sess_alive(a, &a->sess[i], now_ms);
	pthread_mutex_unlock(&a->lock);
	return n;
}

/* ---- making accounts ---- */

int wwtp_auth_hash(const char *password, char *out, size_t n)
{
	size_t plen = strlen(password);
	if (plen < WWTP_AUTH_PASSWORD_MIN || plen > WWTP_AUTH_PASSWORD_MAX ||
	    n < crypto_pwhash_STRBYTES)
		return WWTP_ERR_INVAL;
	if (sodium_init() < 0)
		return WWTP_ERR_NOMEM;
	if (crypto_pwhash_str(out, password, plen, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return WWTP_ERR_NOMEM;
	return 0;
}

int wwtp_auth_set_account(const char *path, const char *user, enum wwtp_role role, const char *hash)
{
	char tmp[4200], line[AUTH_LINE_MAX + 2];
	size_t ulen = strlen(user);
	int done = 0, fd, err;
	FILE *in, *out;

	if (!wwtp_auth_valid_user(user) || strchr(hash, ':') || strchr(hash, '\n') ||
	    strlen(path) > 4000)
		return WWTP_ERR_INVAL;
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return WWTP_ERR_ERRNO;
	out = fdopen(fd, "w");
	if (!out) {
		err = errno;
		close(fd);
		unlink(tmp);
		errno = err;
		return WWTP_ERR_ERRNO;
	}
	in = fopen(path, "re");
	if (!in && errno != ENOENT) {
		err = errno;
		fclose(out);
		unlink(tmp);
		errno = err;
		return WWTP_ERR_ERRNO;
	}
	if (!in)
		fprintf(out, "# wwtp-central accounts: user:role:hash (docs/web.md). Made with "
			     "`wwtp-central passwd`.\n");
	while (in && fgets(line, sizeof(line), in)) {
		if (strncmp(line, user, ulen) == 0 && line[ulen] == ':') {
			if (!done)
				fprintf(out, "%s:%s:%s\n", user, wwtp_role_name(role), hash);
			done = 1;
			continue;
		}
		fputs(line, out);
		if (line[0] && line[strlen(line) - 1] != '\n')
			fputc('\n', out);
	}
	if (in)
		fclose(in);
	if (!done)
		fprintf(out, "%s:%s:%s\n", user, wwtp_role_name(role), hash);
	if (fflush(out) != 0 || fsync(fileno(out)) != 0) {
		err = errno;
		fclose(out);
		unlink(tmp);
		errno = err;
		return WWTP_ERR_ERRNO;
	}
	if (fclose(out) != 0 || rename(tmp, path) != 0) {
		err = errno;
		unlink(tmp);
		errno = err;
		return WWTP_ERR_ERRNO;
	}
	return 0;
}
