/* confirm.c - central's confirmations as the collector hears them (see
 * confirm.h). */
#include "confirm.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../util/err.h"
#include "../util/log.h"

#define MOD "mqtt"

struct wwtp_confirm {
	pthread_mutex_t lock;
	char *station;
	struct wwtp_confirm_state st;
	struct wwtp_complain bad;
};

struct wwtp_confirm *wwtp_confirm_new(const char *station)
{
	struct wwtp_confirm *c = calloc(1, sizeof(*c));
	if (!c || !(c->station = strdup(station))) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->bad = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	return c;
}

void wwtp_confirm_free(struct wwtp_confirm *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->station);
	free(c);
}

/* A JSON integer >= 0, or -1. */
static json_int_t count_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
}

int wwtp_confirm_feed(struct wwtp_confirm *c, const void *payload, size_t len)
{
	json_t *root = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *station = root ? json_object_get(root, "station") : NULL;
	json_int_t v = root ? count_of(root, "v") : -1;
	json_int_t seq = root ? count_of(root, "seq") : -1;
	json_int_t aseq = root ? count_of(root, "alert_seq") : -1;
	int ok = json_is_object(root) && v == 1 && json_is_string(station) &&
		 strcmp(json_string_value(station), c->station) == 0 && seq >= 0 && aseq >= 0;

	json_decref(root);
	pthread_mutex_lock(&c->lock);
	if (!ok) {
		c->st.refused++;
		wwtp_complain(&c->bad, WWTP_LOG_WARN, MOD,
			      "ignored a message on the ack topic that is not an ack of %s "
			      "(%llu so far)",
			      c->station, (unsigned long long)c->st.refused);
	} else {
		c->st.received++;
		if ((uint64_t)seq > c->st.seq)
			c->st.seq = (uint64_t)seq;
		if ((uint64_t)aseq > c->st.aseq)
			c->st.aseq = (uint64_t)aseq;
	}
	pthread_mutex_unlock(&c->lock);
	return ok ? 0 : WWTP_ERR_INVAL;
}

void wwtp_confirm_get(struct wwtp_confirm *c, struct wwtp_confirm_state *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->st;
	pthread_mutex_unlock(&c->lock);
}
