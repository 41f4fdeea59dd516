/* registry.c - the known stations, kept sorted by id for bsearch. */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

#include "../../util/err.h"

struct wwtp_registry {
	struct wwtp_reg_station *st; /* sorted by id */
	size_t n, alloc;
};

struct wwtp_registry *wwtp_registry_new(void)
{
	return calloc(1, sizeof(struct wwtp_registry));
}

void wwtp_registry_free(struct wwtp_registry *r)
{
	if (!r)
		return;
	free(r->st);
	free(r);
}

static int reg_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct wwtp_reg_station *)elem)->id);
}

int wwtp_registry_add(struct wwtp_registry *r, const struct wwtp_reg_station *st)
{
	size_t len = strnlen(st->id, sizeof(st->id));
	size_t at = 0;

	if (len == 0 || len >= sizeof(st->id) || wwtp_registry_find(r, st->id))
		return WWTP_ERR_INVAL;
	if (r->n == r->alloc) {
		size_t na = r->alloc ? r->alloc * 2 : 32;
		struct wwtp_reg_station *p = realloc(r->st, na * sizeof(*p));
		if (!p)
			return WWTP_ERR_NOMEM;
		r->st = p;
		r->alloc = na;
	}
	/* Insertion keeps the order; a registry holds tens of stations. */
	while (at < r->n && strcmp(r->st[at].id, st->id) < 0)
		at++;
	memmove(&r->st[at + 1], &r->st[at], (r->n - at) * sizeof(*r->st));
	r->st[at] = *st;
	r->n++;
	return 0;
}

int wwtp_registry_add_stations(struct wwtp_registry *r, struct wwtp_station *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct wwtp_reg_station e;
		memset(&e, 0, sizeof(e));
		memcpy(e.id, list[i]->id, sizeof(e.id));
		memcpy(e.name, list[i]->name, sizeof(e.name));
		memcpy(e.plan, list[i]->plan, sizeof(e.plan));
		e.plan_review = list[i]->plan_review;
		memcpy(e.topic_prefix, list[i]->mqtt.topic_prefix, sizeof(e.topic_prefix));
		/* Checked by the loader: 64 hex digits or nothing. */
		e.has_key = list[i]->signing.public_key[0] &&
			    wwtp_sign_pk_parse(list[i]->signing.public_key, e.public_key) == 0;
		for (size_t d = 0; d < list[i]->ndevices && e.ndevices < WWTP_REG_DEVICES; d++) {
			memcpy(e.devices[e.ndevices].name, list[i]->devices[d].name,
			       sizeof(e.devices[0].name));
			e.devices[e.ndevices++].interval_ms = list[i]->devices[d].interval_ms;
		}
		int rc = wwtp_registry_add(r, &e);
		if (rc != 0)
			return rc;
	}
	return 0;
}

const struct wwtp_reg_station *wwtp_registry_find(const struct wwtp_registry *r, const char *id)
{
	if (!r || r->n == 0)
		return NULL;
	return bsearch(id, r->st, r->n, sizeof(*r->st), reg_cmp);
}

size_t wwtp_registry_count(const struct wwtp_registry *r)
{
	return r ? r->n : 0;
}

const struct wwtp_reg_station *wwtp_registry_get(const struct wwtp_registry *r, size_t i)
{
	return (r && i < r->n) ? &r->st[i] : NULL;
}
