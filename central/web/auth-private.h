/* auth-private.h - the insides of auth.c, for it and its unit test
 * (util/unittest.h); nothing else includes this. */
#ifndef WWTP_CENTRAL_AUTH_PRIVATE_H
#define WWTP_CENTRAL_AUTH_PRIVATE_H

#include <pthread.h>
#include <semaphore.h>
#include <sodium.h>
#include <stdint.h>
#include <sys/stat.h>

#include "../../util/unittest.h"
#include "auth.h"

struct account {
	char user[WWTP_AUTH_USER_MAX];
	enum wwtp_role role;
	char hash[crypto_pwhash_STRBYTES];
	unsigned char basic_mac[crypto_generichash_BYTES];
	int64_t basic_ok_ms; /* 0: none remembered */
};

struct session {
	unsigned char tok[32];
	int used;
	char user[WWTP_AUTH_USER_MAX];
	char csrf[WWTP_AUTH_TOKEN_LEN + 1];
	int64_t created_ms, last_ms;
};

struct wwtp_auth {
	pthread_mutex_t lock;
	sem_t hashing;
	char *path;
	int64_t idle_ms, max_ms;
	struct account *acct;
	size_t nacct;
	struct stat seen; /* the file as last read */
	int64_t checked_ms;
	struct session *sess;
	struct wwtp_rl *rl;	 /* per user name */
	struct wwtp_rl *rl_addr; /* per client address */
	int max_failures;
	unsigned char mac_key[crypto_generichash_KEYBYTES];
	char dummy[crypto_pwhash_STRBYTES]; /* verified for unknown users: same time */
};

#ifdef WWTP_UNITTEST
/* The account of that name, or NULL; under a->lock. */
struct account *find_account(struct wwtp_auth *a, const char *user);
#endif

#endif
