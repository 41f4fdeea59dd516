/* evidence.c - signatures and the chain at the ingest (see evidence.h). */
#include "evidence.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../payload/payload.h"
#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "influx.h"
#include "lineproto.h"
#include "query.h"
#include "sigstore.h"
#include "verify.h"

#define MOD "verify"

struct wwtp_evidence {
	struct wwtp_verify *v;
	const struct wwtp_registry *reg;
	struct wwtp_evidence_io io;
	unsigned char *raised; /* by registry index: the forged alert is open */
	struct wwtp_buf lines;
	pthread_mutex_t lock; /* the counters */
	uint64_t verified, missing, bad, gaps, broken, restarts;
	size_t resumed;	      /* stations whose position was read back */
	size_t hashed;	      /* ... and the hash of their last link too */
	struct wwtp_buf kept; /* a kept message's bytes, at start */
	struct wwtp_complain refuse_complain;
};

static void name_unsigned(const char *station, void *ctx)
{
	struct wwtp_buf *b = ctx;
	wwtp_buf_printf(b, "%s%s", b->len ? ", " : "", station);
}

struct wwtp_evidence *wwtp_evidence_new(const struct wwtp_registry *reg,
					const struct wwtp_evidence_io *io)
{
	struct wwtp_evidence *e = calloc(1, sizeof(*e));
	struct wwtp_buf names;

	if (!e)
		return NULL;
	e->reg = reg;
	e->io = *io;
	e->v = wwtp_verify_new(reg);
	e->raised = calloc(wwtp_registry_count(reg) + 1, 1);
	if (!e->v || !e->raised) {
		wwtp_evidence_free(e);
		return NULL;
	}
	pthread_mutex_init(&e->lock, NULL);
	e->refuse_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	wwtp_buf_init(&e->lines, 1 << 16);
	wwtp_buf_init(&e->kept, WWTP_PAYLOAD_MAX + 1);
	wwtp_buf_init(&names, 4096);
	size_t keyed = wwtp_verify_unsigned(e->v, name_unsigned, &names);
	if (names.len)
		LOG_WARN(MOD,
			 "%zu of %zu stations have no signing.public_key: their messages are "
			 "stored unverified (anyone with their broker credentials can publish "
			 "as them): %s",
			 wwtp_registry_count(reg) - keyed, wwtp_registry_count(reg), names.data);
	wwtp_buf_free(&names);
	return e;
}

void wwtp_evidence_free(struct wwtp_evidence *e)
{
	if (!e)
		return;
	wwtp_verify_free(e->v);
	free(e->raised);
	wwtp_buf_free(&e->lines);
	wwtp_buf_free(&e->kept);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

static void resume_row(void *ctx, json_t *tags, json_t *columns, json_t *row)
{
	struct wwtp_evidence *e = ctx;
	const char *station = wwtp_query_tag(tags, columns, row, "station");
	double last = wwtp_query_col_num(columns, row, "max", 0);
	if (station && last >= 1 && last < 9e15) {
		wwtp_verify_resume(e->v, station, (uint64_t)last);
		e->resumed++;
	}
}

/* The kept bytes of a station's highest link (sigstore.h): its hash, once
 * they check against the station's key. */
static void resume_hash_row(void *ctx, json_t *tags, json_t *columns, json_t *row)
{
	struct wwtp_evidence *e = ctx;
	const char *station = wwtp_query_tag(tags, columns, row, "station");
	const char *text = wwtp_query_col_str(columns, row, "bytes");
	double last = wwtp_query_col_num(columns, row, "max", 0);
	const struct wwtp_reg_station *r = station ? wwtp_registry_find(e->reg, station) : NULL;
	unsigned char hash[WWTP_SIGN_HASH_LEN], prev[WWTP_SIGN_HASH_LEN];
	uint64_t link = 0;

	if (!r || !r->has_key || !text || last < 1 || last >= 9e15 ||
	    wwtp_sigstore_unpack(text, strlen(text), &e->kept) != 0)
		return;
	if (wwtp_sign_check(e->kept.data, e->kept.len, r->public_key, NULL, hash) != WWTP_SIGN_OK ||
	    wwtp_sign_parse_link(e->kept.data, e->kept.len, &link, prev) != 0 ||
	    link != (uint64_t)last) {
		LOG_WARN(MOD,
			 "station %s: the kept bytes of link %.0f do not check against its key: "
			 "the next link is not checked against it (run wwtp-central verify on "
			 "the last day)",
			 station, last);
		return;
	}
	wwtp_verify_resume_hash(e->v, station, link, hash);
	e->hashed++;
}

void wwtp_evidence_resume(struct wwtp_evidence *e, const struct wwtp_central_influx *cfg)
{
	struct wwtp_influx *ix = NULL;
	struct wwtp_buf answer;
	json_t *doc = NULL;
	char why[256];

	if (wwtp_verify_unsigned(e->v, NULL, NULL) == 0)
		return; /* no signed station */
	wwtp_buf_init(&answer, 1 << 20);
	/* Readings, alerts and config messages take links: the highest of
	 * them, per station. */
	int rc = wwtp_query_run(&ix, cfg,
				"SELECT max(\"chain\") FROM \"reading\", \"alert\", \"config\" "
				"GROUP BY \"station\"",
				&answer, &doc, why, sizeof(why));
	if (rc == 0) {
		wwtp_query_each_row(doc, 0, resume_row, e);
		json_decref(doc);
		doc = NULL;
		/* The hash of each one's last link, from its kept bytes. */
		if (e->resumed > 0 &&
		    wwtp_query_run(&ix, cfg,
				   "SELECT max(\"chain\"), \"bytes\" FROM \"" WWTP_LP_SIGNED
				   "\" GROUP BY \"station\"",
				   &answer, &doc, why, sizeof(why)) == 0)
			wwtp_query_each_row(doc, 0, resume_hash_row, e);
		LOG_INFO(MOD,
			 "chain positions of signed stations read back from InfluxDB (%zu series), "
			 "and the hash of the last link of %zu station(s)",
			 e->resumed, e->hashed);
	} else if (strstr(why, "database not found")) {
		LOG_INFO(MOD, "no chain positions to read back: nothing is stored yet");
	} else {
		LOG_WARN(
		    MOD,
		    "cannot read the chain positions back from InfluxDB (%s): links lost while "
		    "central was stopped will not show as gaps",
		    why);
	}
	json_decref(doc);
	wwtp_influx_free(ix);
	wwtp_buf_free(&answer);
}

/* One record of the measurement "chain": event gap, broken or restart. */
static void record(struct wwtp_evidence *e, const char *station, const char *event,
		   const struct wwtp_chain_gap *g, uint64_t link, int64_t now_ms)
{
	struct wwtp_lp p;

	wwtp_buf_reset(&e->lines);
	wwtp_lp_begin(&p, &e->lines, WWTP_LP_CHAIN);
	wwtp_lp_tag(&p, "event", event);
	wwtp_lp_tag(&p, "station", station);
	wwtp_lp_int(&p, "from", (int64_t)(g ? g->from : link));
	wwtp_lp_int(&p, "to", (int64_t)(g ? g->to : link));
	if (g && g->seq_to > 0) {
		wwtp_lp_int(&p, "seq_from", g->seq_from);
		wwtp_lp_int(&p, "seq_to", g->seq_to);
	}
	if (g)
		wwtp_lp_int(&p, "found_ms", g->seen_ms);
	if (wwtp_lp_end(&p, now_ms) == 0)
		e->io.write(e->io.ctx, e->lines.data, e->lines.len, 1);
}

static void chain_news(struct wwtp_evidence *e, const struct wwtp_in_msg *m,
		       const struct wwtp_verify_out *o, int64_t now_ms)
{
	for (size_t i = 0; i < o->ngaps; i++) {
		const struct wwtp_chain_gap *g = &o->gaps[i];
		if (g->seq_to > 0)
			LOG_WARN(MOD,
				 "station %s: chain gap: links %" PRIu64 "..%" PRIu64
				 " never arrived (telemetry seq %" PRId64 "..%" PRId64 ")",
				 m->station, g->from, g->to, g->seq_from, g->seq_to);
		else
			LOG_WARN(MOD,
				 "station %s: chain gap: links %" PRIu64 "..%" PRIu64
				 " never arrived",
				 m->station, g->from, g->to);
		record(e, m->station, "gap", g, 0, now_ms);
	}
	if (o->broken) {
		LOG_WARN(MOD,
			 "station %s: chain broken at link %" PRIu64 " (seq %" PRId64
			 "): it does not follow the message central holds before it",
			 m->station, o->broken, m->seq);
		record(e, m->station, "broken", NULL, o->broken, now_ms);
	}
	if (o->restarted) {
		LOG_WARN(MOD, "station %s: its chain starts again at link 1 (a new store?)",
			 m->station);
		record(e, m->station, "restart", NULL, 1, now_ms);
	}
	pthread_mutex_lock(&e->lock);
	e->gaps += o->ngaps;
	e->broken += o->broken ? 1 : 0;
	e->restarts += (uint64_t)o->restarted;
	pthread_mutex_unlock(&e->lock);
}

/* The station's forged-data alert: raised once, at the first refusal. */
static void raise_forged(struct wwtp_evidence *e, const char *station, int64_t now_ms)
{
	const struct wwtp_reg_station *r = wwtp_registry_find(e->reg, station);
	struct wwtp_in_msg a;
	char id[WWTP_ID_MAX + 48];
	size_t np = 0;

	if (!r) /* decode.h lets only registered stations through */
		return;
	size_t i = (size_t)(r - wwtp_registry_get(e->reg, 0));
	if (e->raised[i])
		return;
	e->raised[i] = 1;
	snprintf(id, sizeof(id), "%s-forged-%" PRId64, station, now_ms);
	memset(&a, 0, sizeof(a));
	a.kind = WWTP_MSG_ALERT;
	a.station = station;
	a.id = id;
	a.event = "raised";
	a.alert_kind = WWTP_ALERT_KIND_FORGED;
	a.has_ts = 1;
	a.ts_ms = now_ms;
	a.start_ms = now_ms;
	wwtp_buf_reset(&e->lines);
	if (wwtp_lp_encode(&a, &e->lines, &np) == 0 &&
	    e->io.write(e->io.ctx, e->lines.data, e->lines.len, np) == 0 && e->io.raise)
		e->io.raise(e->io.ctx, &a, now_ms);
}

int wwtp_evidence_admit(struct wwtp_evidence *e, struct wwtp_in_msg *m, const void *payload,
			size_t len, int64_t now_ms)
{
	struct wwtp_verify_out o;
	/* Config messages take links like alerts (docs/mqtt.md, "Config"). */
	int chained = m->kind == WWTP_MSG_TELEMETRY || m->kind == WWTP_MSG_ALERT ||
		      m->kind == WWTP_MSG_CONFIG;

	if (wwtp_verify_message(e->v, m->station, payload, len, chained,
				m->kind == WWTP_MSG_TELEMETRY, m->seq, m->floor, now_ms, &o) != 0) {
		LOG_ERROR(MOD, "out of memory checking a message of %s", m->station);
		return 0;
	}
	if (o.verdict == WWTP_VERIFY_NOKEY)
		return 1;
	if (o.verdict == WWTP_VERIFY_OK) {
		m->verified = 1;
		m->link = (int64_t)o.link;
		pthread_mutex_lock(&e->lock);
		e->verified++;
		pthread_mutex_unlock(&e->lock);
		chain_news(e, m, &o, now_ms);
		return 1;
	}
	pthread_mutex_lock(&e->lock);
	uint64_t n = o.verdict == WWTP_VERIFY_MISSING ? ++e->missing : ++e->bad;
	uint64_t all = e->missing + e->bad;
	pthread_mutex_unlock(&e->lock);
	wwtp_complain(&e->refuse_complain, WWTP_LOG_ERROR, MOD,
		      "refused a %s message as station %s's: signature %s (%" PRIu64
		      " such so far, %" PRIu64 " refused in all): forged or altered data",
		      wwtp_msg_kind_name(m->kind), m->station,
		      o.verdict == WWTP_VERIFY_MISSING ? "missing" : "does not match its key", n,
		      all);
	raise_forged(e, m->station, now_ms);
	return 0;
}

void wwtp_evidence_health(struct wwtp_evidence *e, json_t *h)
{
	json_t *s = json_object();
	pthread_mutex_lock(&e->lock);
	json_object_set_new(s, "verified", json_integer((json_int_t)e->verified));
	json_object_set_new(s, "refused_unsigned", json_integer((json_int_t)e->missing));
	json_object_set_new(s, "refused_bad_signature", json_integer((json_int_t)e->bad));
	json_object_set_new(s, "chain_gaps", json_integer((json_int_t)e->gaps));
	json_object_set_new(s, "chain_breaks", json_integer((json_int_t)e->broken));
	json_object_set_new(s, "chain_restarts", json_integer((json_int_t)e->restarts));
	pthread_mutex_unlock(&e->lock);
	json_object_set_new(h, "signing", s);
}
