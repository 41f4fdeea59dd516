/* ingest.c - the data path of wwtp-central (ingest.h). */
#include "ingest.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/timeutil.h"
#include "ackpub.h"
#include "completeness.h"
#include "confchange.h"
#include "evidence.h"
#include "lineproto.h"
#include "sigstore.h"
#include "sub.h"
#include "writer.h"

#define MOD "central"
/* Cap of one message's line protocol: a 256 KiB payload of short readings
 * makes well under this. */
#define LINES_MAX (16u << 20)

struct wwtp_ingest {
	const struct wwtp_central_cfg *cfg;
	const struct wwtp_registry *reg;
	wwtp_ingest_stored_fn stored;
	void *stored_ctx;
	struct wwtp_writer *writer;
	struct wwtp_sub *sub;
	struct wwtp_ackpub *ack;	/* end-to-end acknowledgements (ackpub.h) */
	struct wwtp_evidence *evidence; /* signatures and the chain (evidence.h) */
	int64_t next_stats;		/* monotonic ms */
	pthread_mutex_t lock;		/* the counters */
	uint64_t received;
	uint64_t accepted[WWTP_MSG_KINDS]; /* by enum wwtp_msg_kind */
	uint64_t rejected[WWTP_REJECT_COUNT];
	uint64_t points;	/* encoded from accepted messages */
	uint64_t encode_errors; /* accepted but not encodable (a bug): logged */
	uint64_t put_errors;	/* encoded but not spooled: logged by the spool */
	struct wwtp_complain rej_complain[WWTP_REJECT_COUNT];
	struct wwtp_complain enc_complain;
	struct wwtp_complain sig_complain; /* a `signed` point not written */
	struct wwtp_buf lines;		   /* Paho's thread only */
};

/* Topic bytes fit for a log line. */
static void printable_topic(const char *t, size_t n, char *out, size_t size)
{
	size_t j = 0;
	for (size_t i = 0; i < n && j + 4 < size; i++)
		out[j++] = ((unsigned char)t[i] < 0x20 || t[i] == 0x7f) ? '?' : t[i];
	if (n > 0 && j + 4 >= size && size > 4) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = '\0';
}

/* A telemetry message stored after lost_after counts as late, not lost
 * (completeness.h): its `late` point goes with its readings. Only for a
 * device of the station file, whose name needs no escaping. */
static int late_point(struct wwtp_ingest *c, const struct wwtp_in_msg *m)
{
	int64_t delay = wwtp_now_ms() - m->ts_ms;
	if (m->kind != WWTP_MSG_TELEMETRY || !m->has_ts || !m->device ||
	    delay <= (int64_t)c->cfg->lost_after_s * 1000)
		return 1;
	const struct wwtp_reg_station *st = wwtp_registry_find(c->reg, m->station);
	for (size_t i = 0; st && i < st->ndevices; i++)
		if (strcmp(st->devices[i].name, m->device) == 0)
			return wwtp_compl_late_line(&c->lines, m->station, m->device, m->seq,
						    m->ts_ms, delay);
	return 1;
}

/* A config_change alert and the id it points to (confchange.h). */
struct conf_alert {
	char id[WWTP_CONFCHANGE_ID_MAX];
	struct wwtp_in_msg a;
};

static void on_message(const char *topic, size_t tlen, const void *payload, size_t len,
		       int retained, void *ctx)
{
	struct wwtp_ingest *c = ctx;
	struct wwtp_reject_info why;
	struct wwtp_in_msg m;
	char tshow[128];
	size_t np = 0;
	(void)retained;

	int rc = wwtp_decode(topic, tlen, c->cfg->mqtt.topic_prefix, payload, len, c->reg,
			     wwtp_now_ms(), &m, &why);
	pthread_mutex_lock(&c->lock);
	c->received++;
	if (rc != 0) {
		if (rc == WWTP_ERR_INVAL && why.reason >= 0 && why.reason < WWTP_REJECT_COUNT) {
			uint64_t n = ++c->rejected[why.reason];
			printable_topic(topic, tlen, tshow, sizeof(tshow));
			/* Per reason, so one noisy sender does not hide the others. */
			wwtp_complain(&c->rej_complain[why.reason], WWTP_LOG_WARN, MOD,
				      "rejected a message on %s: %s: %s (%" PRIu64 " %s so far)",
				      tshow, wwtp_reject_name(why.reason), why.text, n,
				      wwtp_reject_name(why.reason));
		} else {
			c->encode_errors++;
			LOG_ERROR(MOD, "cannot decode a message: %s", wwtp_strerror(rc));
		}
		pthread_mutex_unlock(&c->lock);
		/* Refused for good: sending it again would not change that, so
		 * its number is acknowledged (not for a sender it may not be). */
		if (rc == WWTP_ERR_INVAL && why.reason != WWTP_REJECT_UNKNOWN_STATION &&
		    why.reason != WWTP_REJECT_TOPIC_MISMATCH && why.reason != WWTP_REJECT_BAD_TOPIC)
			wwtp_ackpub_note_refused(c->ack, topic, tlen, payload, len);
		return;
	}
	pthread_mutex_unlock(&c->lock);
	/* Forged or altered: not the station's data, not acknowledged. */
	if (!wwtp_evidence_admit(c->evidence, &m, payload, len, wwtp_now_ms())) {
		wwtp_in_msg_clear(&m);
		return;
	}

	wwtp_buf_reset(&c->lines);
	rc = wwtp_lp_encode(&m, &c->lines, &np);
	if (rc == 0 && late_point(c, &m) == 0)
		np++;
	/* The verified bytes, in the same batch as their points: what
	 * `wwtp-central verify` checks again later (sigstore.h). */
	if (rc == 0 && m.verified && m.link > 0) {
		int src = wwtp_sigstore_line(&c->lines, &m, payload, len);
		if (src == 0)
			np++;
		else
			wwtp_complain(&c->sig_complain, WWTP_LOG_WARN, MOD,
				      "the signed bytes of a %s message of %s (link %" PRId64
				      ", %zu bytes) are not kept: %s; `wwtp-central verify` will "
				      "name its link as missing",
				      wwtp_msg_kind_name(m.kind), m.station, m.link, len,
				      wwtp_strerror(src));
	}
	/* A measuring-configuration change raises one alert per change,
	 * written with the message's points (confchange.h). */
	struct conf_alert *cca = NULL;
	size_t ncca = 0;
	if (rc == 0 && m.kind == WWTP_MSG_CONFIG && m.nchanges &&
	    !(cca = calloc(m.nchanges, sizeof(*cca))))
		LOG_ERROR(MOD, "out of memory: the configuration changes of %s raise no alert",
			  m.station);
	for (size_t i = 0; cca && i < m.nchanges; i++) {
		size_t n1 = 0;
		if (wwtp_confchange_alert(&m, i, cca[ncca].id, &cca[ncca].a) == 0 &&
		    wwtp_lp_encode(&cca[ncca].a, &c->lines, &n1) == 0) {
			np += n1;
			ncca++;
		}
	}
	if (rc == 0)
		rc = wwtp_writer_put(c->writer, c->lines.data, c->lines.len, np);
	/* After the writer has it: the monitor asks InfluxDB for it later. */
	if (rc == 0 && c->stored)
		c->stored(c->stored_ctx, &m, wwtp_now_ms());
	for (size_t i = 0; rc == 0 && c->stored && i < ncca; i++)
		c->stored(c->stored_ctx, &cca[i].a, wwtp_now_ms());
	if (rc == 0 && ncca)
		LOG_WARN(MOD, "station %s: measuring configuration changed (%zu settings): %s",
			 m.station, m.nchanges, m.fingerprint);
	/* Acknowledged to the station once the spool has synced it. */
	if (rc == 0 && m.kind != WWTP_MSG_STATUS) {
		struct wwtp_writer_stats ws;
		wwtp_writer_get_stats(c->writer, &ws);
		/* Config messages are numbered with the alerts. */
		wwtp_ackpub_note(c->ack, m.station,
				 m.kind == WWTP_MSG_ALERT || m.kind == WWTP_MSG_CONFIG, m.seq,
				 m.floor, ws.points_in);
	}
	pthread_mutex_lock(&c->lock);
	if (rc == 0) {
		c->accepted[m.kind]++;
		c->points += np;
	} else if (c->lines.len == 0 || np == 0) {
		c->encode_errors++;
		wwtp_complain(&c->enc_complain, WWTP_LOG_ERROR, MOD,
			      "cannot encode a %s message of %s: %s", wwtp_msg_kind_name(m.kind),
			      m.station, wwtp_strerror(rc));
	} else {
		c->put_errors++;
	}
	pthread_mutex_unlock(&c->lock);
	free(cca);
	wwtp_in_msg_clear(&m);
}

/* evidence.h's way to InfluxDB and the monitor. */
static int evidence_write(void *ctx, const char *lines, size_t len, size_t npoints)
{
	struct wwtp_ingest *c = ctx;
	return wwtp_writer_put(c->writer, lines, len, npoints);
}

static void evidence_raise(void *ctx, const struct wwtp_in_msg *alert, int64_t now_ms)
{
	struct wwtp_ingest *c = ctx;
	if (c->stored)
		c->stored(c->stored_ctx, alert, now_ms);
}

/* ackpub's way out: retained, on the subscriber's connection. */
static int publish_ack(void *ctx, const char *topic, const char *payload, size_t len)
{
	struct wwtp_ingest *c = ctx;
	return c->sub ? wwtp_sub_publish(c->sub, topic, payload, len, 1) : WWTP_ERR_CONN;
}

void wwtp_ingest_progress(void *ctx, uint64_t *entered, uint64_t *done)
{
	struct wwtp_ingest *c = ctx;
	struct wwtp_writer_stats ws;
	wwtp_writer_get_stats(c->writer, &ws);
	*entered = ws.points_entered;
	*done = ws.points_entered - ws.points_queued;
}

void wwtp_ingest_health(void *ctx, json_t *h)
{
	struct wwtp_ingest *c = ctx;
	struct wwtp_writer_stats ws;
	struct wwtp_sub_stats ss;
	json_t *mq = json_object(), *ix = json_object();

	wwtp_writer_get_stats(c->writer, &ws);
	memset(&ss, 0, sizeof(ss));
	if (c->sub)
		wwtp_sub_get_stats(c->sub, &ss);
	json_object_set_new(mq, "connected", json_boolean(ss.connected));
	json_object_set_new(mq, "messages", json_integer((json_int_t)ss.messages));
	json_object_set_new(ix, "writes_ok", json_boolean(ws.influx_ok));
	json_object_set_new(ix, "points_written", json_integer((json_int_t)ws.points_written));
	json_object_set_new(ix, "points_queued", json_integer((json_int_t)ws.points_queued));
	json_object_set_new(h, "mqtt", mq);
	json_object_set_new(h, "influxdb", ix);
	wwtp_evidence_health(c->evidence, h);
}

/* One line with every counter (docs/central.md, "Counters"). */
static void log_summary(struct wwtp_ingest *c, const struct wwtp_writer_stats *ws, int connected,
			const char *when)
{
	char rej[512];
	size_t used = 0;
	uint64_t nrej = 0;

	char internal[96];

	pthread_mutex_lock(&c->lock);
	internal[0] = '\0';
	if (c->encode_errors)
		snprintf(internal, sizeof(internal),
			 "; %" PRIu64 " messages not decodable or encodable (a bug, logged)",
			 c->encode_errors);
	rej[0] = '\0';
	for (int i = 0; i < WWTP_REJECT_COUNT; i++) {
		nrej += c->rejected[i];
		if (c->rejected[i] == 0)
			continue;
		int w = snprintf(rej + used, sizeof(rej) - used, " %s=%" PRIu64,
				 wwtp_reject_name(i), c->rejected[i]);
		if (w > 0 && (size_t)w < sizeof(rej) - used)
			used += (size_t)w;
	}
	LOG_INFO(MOD,
		 "%s: received %" PRIu64 " (telemetry %" PRIu64 ", status %" PRIu64
		 ", alert %" PRIu64 ", config %" PRIu64 "); rejected %" PRIu64
		 "%s%s%s; points accepted %" PRIu64 ", written %" PRIu64 ", queued %" PRIu64
		 " (%" PRIu64 " segments), dropped %" PRIu64 " (spool %" PRIu64
		 ", refused by InfluxDB %" PRIu64 "); InfluxDB requests %" PRIu64
		 ", failed %" PRIu64 "; MQTT %s%s",
		 when, c->received, c->accepted[WWTP_MSG_TELEMETRY], c->accepted[WWTP_MSG_STATUS],
		 c->accepted[WWTP_MSG_ALERT], c->accepted[WWTP_MSG_CONFIG], nrej, nrej ? " (" : "",
		 nrej ? rej + 1 : "", nrej ? ")" : "", c->points, ws->points_written,
		 ws->points_queued, ws->segments_queued, ws->points_lost + ws->points_refused,
		 ws->points_lost, ws->points_refused, ws->requests, ws->failures,
		 connected ? "connected" : "not connected", internal);
	pthread_mutex_unlock(&c->lock);
}

int wwtp_ingest_start(const struct wwtp_central_cfg *cfg, const struct wwtp_registry *reg,
		      wwtp_ingest_stored_fn stored, void *stored_ctx, struct wwtp_ingest **out)
{
	struct wwtp_ingest *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c)
		return WWTP_ERR_NOMEM;
	c->cfg = cfg;
	c->reg = reg;
	c->stored = stored;
	c->stored_ctx = stored_ctx;
	pthread_mutex_init(&c->lock, NULL);
	for (int i = 0; i < WWTP_REJECT_COUNT; i++)
		c->rej_complain[i] = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	c->enc_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	c->sig_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	wwtp_buf_init(&c->lines, LINES_MAX);
	c->ack = wwtp_ackpub_new(cfg->mqtt.topic_prefix, publish_ack, c);
	if (!c->ack) {
		LOG_ERROR(MOD, "out of memory");
		wwtp_ingest_free(c);
		return WWTP_ERR_NOMEM;
	}
	rc = wwtp_writer_start(&cfg->influx, &c->writer);
	if (rc != 0) {
		LOG_ERROR(MOD, "cannot start the InfluxDB writer: %s%s%s%s", wwtp_strerror(rc),
			  rc == WWTP_ERR_ERRNO ? " (the spool folder " : "",
			  rc == WWTP_ERR_ERRNO ? cfg->influx.spool_dir : "",
			  rc == WWTP_ERR_ERRNO ? ": see the line above)" : "");
		wwtp_ingest_free(c);
		return rc;
	}
	struct wwtp_evidence_io eio = {.write = evidence_write, .raise = evidence_raise, .ctx = c};
	c->evidence = wwtp_evidence_new(reg, &eio);
	if (!c->evidence) {
		wwtp_ingest_free(c);
		return WWTP_ERR_NOMEM;
	}
	wwtp_evidence_resume(c->evidence, &cfg->influx);
	/* Made now, connected later: /api/health reads it from the start. */
	c->sub = wwtp_sub_new(&cfg->mqtt, on_message, c);
	if (!c->sub) {
		wwtp_ingest_free(c);
		return WWTP_ERR_MQTT;
	}
	c->next_stats = wwtp_mono_ms() + (int64_t)cfg->stats_interval_s * 1000;
	*out = c;
	return 0;
}

int wwtp_ingest_connect(struct wwtp_ingest *in)
{
	return wwtp_sub_connect(in->sub);
}

void wwtp_ingest_tick(struct wwtp_ingest *c)
{
	{
		struct wwtp_writer_stats ws;
		struct wwtp_sub_stats ss;
		wwtp_writer_get_stats(c->writer, &ws);
		wwtp_sub_get_stats(c->sub, &ss);
		wwtp_ackpub_pump(c->ack, ws.points_synced, ss.connects, wwtp_now_ms());
	}
	if (c->cfg->stats_interval_s > 0 && wwtp_mono_ms() >= c->next_stats) {
		struct wwtp_writer_stats ws;
		struct wwtp_sub_stats ss;
		wwtp_writer_get_stats(c->writer, &ws);
		wwtp_sub_get_stats(c->sub, &ss);
		log_summary(c, &ws, ss.connected, "stats");
		c->next_stats += (int64_t)c->cfg->stats_interval_s * 1000;
	}
}

void wwtp_ingest_disconnect(struct wwtp_ingest *c)
{
	if (!c)
		return;
	wwtp_sub_free(c->sub);
	c->sub = NULL;
	wwtp_ackpub_free(c->ack);
	c->ack = NULL;
}

void wwtp_ingest_free(struct wwtp_ingest *c)
{
	if (!c)
		return;
	wwtp_ingest_disconnect(c);
	if (c->writer) {
		struct wwtp_writer_stats ws;
		wwtp_writer_stop(c->writer, c->cfg->influx.timeout_ms, &ws);
		c->writer = NULL;
		log_summary(c, &ws, 0, "at exit");
	}
	wwtp_evidence_free(c->evidence);
	wwtp_buf_free(&c->lines);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
