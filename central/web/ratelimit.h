/* ratelimit.h - log-in attempt limiting: after a few failures, each further
 * attempt under the same key (a user name, a client address) must wait,
 * twice as long after each failure, up to a cap.
 *
 * Pure: the clock is a parameter, nothing is logged; not thread-safe (the
 * caller locks). Bounded: a fixed number of keys, the least recently failed
 * forgotten first when full. */
#ifndef WWTP_CENTRAL_RATELIMIT_H
#define WWTP_CENTRAL_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define WWTP_RL_KEY_MAX 80

struct wwtp_rl_cfg {
	int free_failures; /* failures allowed before any wait */
	int64_t base_ms;   /* the first wait */
	int64_t max_ms;	   /* the longest wait */
	int64_t forget_ms; /* a key with no failure for this long starts afresh */
	size_t slots;	   /* keys remembered */
};

struct wwtp_rl;

struct wwtp_rl *wwtp_rl_new(const struct wwtp_rl_cfg *cfg); /* NULL on NOMEM */
void wwtp_rl_free(struct wwtp_rl *rl);			    /* accepts NULL */

/* 0 when key may try at now_ms, else how many ms it must still wait. */
int64_t wwtp_rl_wait(struct wwtp_rl *rl, const char *key, int64_t now_ms);
/* A failed attempt of key at now_ms. */
void wwtp_rl_fail(struct wwtp_rl *rl, const char *key, int64_t now_ms);
/* A successful attempt: key starts afresh. */
void wwtp_rl_clear(struct wwtp_rl *rl, const char *key);
/* Failures counted for key (0 when unknown or forgotten). */
int wwtp_rl_failures(struct wwtp_rl *rl, const char *key, int64_t now_ms);

#endif
