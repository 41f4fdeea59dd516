/* ratelimit.c - log-in attempt limiting (see ratelimit.h). */
#include "ratelimit.h"

#include <stdlib.h>
#include <string.h>

struct rl_slot {
	char key[WWTP_RL_KEY_MAX];
	int failures;
	int64_t last_ms; /* of the last failure */
};

struct wwtp_rl {
	struct wwtp_rl_cfg cfg;
	struct rl_slot *slot;
};

struct wwtp_rl *wwtp_rl_new(const struct wwtp_rl_cfg *cfg)
{
	struct wwtp_rl *rl = calloc(1, sizeof(*rl));
	if (!rl)
		return NULL;
	rl->cfg = *cfg;
	if (rl->cfg.slots == 0)
		rl->cfg.slots = 1;
	rl->slot = calloc(rl->cfg.slots, sizeof(*rl->slot));
	if (!rl->slot) {
		free(rl);
		return NULL;
	}
	return rl;
}

void wwtp_rl_free(struct wwtp_rl *rl)
{
	if (!rl)
		return;
	free(rl->slot);
	free(rl);
}

static int rl_stale(const struct wwtp_rl *rl, const struct rl_slot *s, int64_t now_ms)
{
	return !s->key[0] || now_ms - s->last_ms >= rl->cfg.forget_ms;
}

static struct rl_slot *rl_find(struct wwtp_rl *rl, const char *key, int64_t now_ms)
{
	for (size_t i = 0; i < rl->cfg.slots; i++) {
		struct rl_slot *s = &rl->slot[i];
		if (s->key[0] && strncmp(s->key, key, sizeof(s->key) - 1) == 0) {
			if (rl_stale(rl, s, now_ms))
				memset(s, 0, sizeof(*s));
			return s->key[0] ? s : NULL;
		}
	}
	return NULL;
}

/* The wait after n failures: none for the free ones, then base, 2 base,
 * 4 base... up to max. */
static int64_t rl_wait_after(const struct wwtp_rl_cfg *c, int n)
{
	if (n < c->free_failures)
		return 0;
	int64_t w = c->base_ms;
	for (int i = c->free_failures; i < n && w < c->max_ms; i++)
		w *= 2;
	return w < c->max_ms ? w : c->max_ms;
}

int64_t wwtp_rl_wait(struct wwtp_rl *rl, const char *key, int64_t now_ms)
{
	struct rl_slot *s = rl_find(rl, key, now_ms);
	if (!s)
		return 0;
	int64_t until = s->last_ms + rl_wait_after(&rl->cfg, s->failures);
	return until > now_ms ? until - now_ms : 0;
}

void wwtp_rl_fail(struct wwtp_rl *rl, const char *key, int64_t now_ms)
{
	struct rl_slot *s = rl_find(rl, key, now_ms);
	if (!s) {
		/* A free slot, else the one whose last failure is oldest. */
		s = &rl->slot[0];
		for (size_t i = 0; i < rl->cfg.slots; i++) {
			struct rl_slot *t = &rl->slot[i];
			if (rl_stale(rl, t, now_ms)) {
				s = t;
				break;
			}
			if (t->last_ms < s->last_ms)
				s = t;
		}
		memset(s, 0, sizeof(*s));
		strncpy(s->key, key, sizeof(s->key) - 1);
	}
	if (s->failures < 1000)
		s->failures++;
	s->last_ms = now_ms;
}

void wwtp_rl_clear(struct wwtp_rl *rl, const char *key)
{
	for (size_t i = 0; i < rl->cfg.slots; i++)
		if (rl->slot[i].key[0] &&
		    strncmp(rl->slot[i].key, key, sizeof(rl->slot[i].key) - 1) == 0)
			memset(&rl->slot[i], 0, sizeof(rl->slot[i]));
}

int wwtp_rl_failures(struct wwtp_rl *rl, const char *key, int64_t now_ms)
{
	struct rl_slot *s = rl_find(rl, key, now_ms);
	return s ? s->failures : 0;
}
