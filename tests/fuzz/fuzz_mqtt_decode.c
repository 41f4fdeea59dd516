/* fuzz_mqtt_decode.c - the central side's payload decoder (central/ingest/decode.c)
 * on any topic and payload, then the line-protocol encoder on every message
 * it accepts (what central/ingest/writer.c does next).
 *
 * Input: the topic, a newline, the payload (no newline: all topic, empty
 * payload). The registry knows four stations; "now" is fixed, so that a
 * time that passes once passes always.
 *
 * Promises checked (decode.h): a payload is decoded completely or rejected
 * with one reason and a text fit for a log line; what is accepted keeps the
 * documented syntax and bounds; and every accepted message becomes line
 * protocol, one point per reading (a message the decoder accepts but the
 * writer cannot write would sit in the spool for ever). Before that, the
 * "eval" cut (evalcut.h) on the payload: when it cuts, jansson takes the
 * cut document exactly when it takes the whole, and they read the same
 * apart from the "eval" members. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../central/ingest/confchange.h"
#include "../../central/ingest/decode.h"
#include "../../central/ingest/evalcut.h"
#include "../../central/ingest/lineproto.h"
#include "../../central/ingest/registry.h"
#include "../../payload/payload.h"
#include "../../util/buf.h"
#include "../../util/err.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_MS 1769878800000LL /* 2026-01-31T17:00:00.000Z */

static struct wwtp_registry *reg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const ids[] = {"thanh-thuy", "bat-trang", "qd6613-01", "a"};
	(void)argc;
	(void)argv;
	reg = wwtp_registry_new();
	FUZZ_ASSERT(reg != NULL);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct wwtp_reg_station st;
		memset(&st, 0, sizeof(st));
		snprintf(st.id, sizeof(st.id), "%s", ids[i]);
		snprintf(st.topic_prefix, sizeof(st.topic_prefix), "wwtp");
		FUZZ_ASSERT(wwtp_registry_add(reg, &st) == 0);
	}
	return 0;
}

static int all_in(const char *s, const char *set, size_t max)
{
	size_t n = strlen(s);
	return n > 0 && n < max && strspn(s, set) == n;
}

static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static void check_time(int64_t ms)
{
	FUZZ_ASSERT(ms >= WWTP_DECODE_MIN_TS_MS && ms <= NOW_MS + WWTP_DECODE_MAX_AHEAD_MS);
}

static void check_num(int has, double v)
{
	if (has)
		FUZZ_ASSERT(isfinite(v) && fabs(v) < WWTP_DECODE_MAX_ABS);
}

static void check_accepted(const struct wwtp_in_msg *m, int kind, const char *station)
{
	static const char cs_param[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
	static const char cs_name[] = "abcdefghijklmnopqrstuvwxyz0123456789-_";

	FUZZ_ASSERT(m->kind == kind);
	FUZZ_ASSERT(m->station && strcmp(m->station, station) == 0);
	FUZZ_ASSERT(wwtp_registry_find(reg, m->station) != NULL);
	if (m->has_ts)
		check_time(m->ts_ms);
	switch (m->kind) {
	case WWTP_MSG_TELEMETRY:
		FUZZ_ASSERT(m->has_ts && m->seq >= 0);
		FUZZ_ASSERT(m->device && all_in(m->device, cs_name, WWTP_ID_MAX));
		FUZZ_ASSERT(m->nreadings >= 1 && m->nreadings <= WWTP_DECODE_MAX_READINGS);
		for (size_t i = 0; i < m->nreadings; i++) {
			const struct wwtp_in_reading *r = &m->readings[i];
			FUZZ_ASSERT(r->param && all_in(r->param, cs_param, WWTP_ID_MAX));
			FUZZ_ASSERT(r->unit && printable(r->unit));
			FUZZ_ASSERT(!r->reason || strlen(r->reason) < WWTP_DECODE_MAX_TEXT);
			FUZZ_ASSERT(r->status >= WWTP_READING_OK &&
				    r->status <= WWTP_READING_OFFLINE);
			check_num(r->has_value, r->value);
			for (size_t j = 0; j < i; j++)
				FUZZ_ASSERT(strcmp(m->readings[j].param, r->param) != 0);
		}
		break;
	case WWTP_MSG_STATUS:
		FUZZ_ASSERT(m->has_ts && m->state);
		FUZZ_ASSERT(strcmp(m->state, "online") == 0 || strcmp(m->state, "offline") == 0);
		FUZZ_ASSERT(!m->version || printable(m->version));
		break;
	case WWTP_MSG_ALERT:
		FUZZ_ASSERT(m->id && m->id[0] && printable(m->id));
		FUZZ_ASSERT(m->event &&
			    (strcmp(m->event, "raised") == 0 || strcmp(m->event, "cleared") == 0));
		FUZZ_ASSERT(m->alert_kind && all_in(m->alert_kind, cs_name, WWTP_ID_MAX));
		FUZZ_ASSERT(!m->alert_device || all_in(m->alert_device, cs_name, WWTP_ID_MAX));
		FUZZ_ASSERT(!m->param || all_in(m->param, cs_param, WWTP_ID_MAX));
		FUZZ_ASSERT(!m->unit || printable(m->unit));
		check_time(m->start_ms);
		if (m->has_end)
			check_time(m->end_ms);
		if (m->has_since)
			check_time(m->since_ms);
		check_num(m->has_value, m->value);
		check_num(m->has_limit, m->limit);
		check_num(m->has_ratio, m->ratio);
		FUZZ_ASSERT(!m->has_window || m->window_s >= 0);
		break;
	case WWTP_MSG_CONFIG:
		FUZZ_ASSERT(m->has_ts && m->seq >= 0 && m->more >= 0);
		FUZZ_ASSERT(m->fingerprint && strlen(m->fingerprint) == 64);
		FUZZ_ASSERT(!m->previous || strlen(m->previous) == 64);
		FUZZ_ASSERT(m->nchanges <= WWTP_DECODE_MAX_CHANGES);
		FUZZ_ASSERT(m->nchanges == 0 || m->changes);
		for (size_t i = 0; i < m->nchanges; i++) {
			const struct wwtp_in_change *c = &m->changes[i];
			FUZZ_ASSERT(c->device && (!c->device[0] || all_in(c->device, cs_name, WWTP_ID_MAX)));
			FUZZ_ASSERT(!c->param || all_in(c->param, cs_param, WWTP_ID_MAX));
			FUZZ_ASSERT(c->setting && c->setting[0] && printable(c->setting));
			FUZZ_ASSERT(!c->from || printable(c->from));
			FUZZ_ASSERT(!c->to || printable(c->to));
		}
		break;
	default:
		FUZZ_ASSERT(!"a message kind");
	}
}

/* The points of an accepted message: one per reading, or one; each a
 * whole line. */
static void check_encoded(const struct wwtp_in_msg *m)
{
	struct wwtp_buf b;
	size_t np = 0, lines = 0;

	wwtp_buf_init(&b, 1 << 24);
	int rc = wwtp_lp_encode(m, &b, &np);
	FUZZ_ASSERT(rc == 0);
	FUZZ_ASSERT(np == (m->kind == WWTP_MSG_TELEMETRY			? m->nreadings
			   : m->kind == WWTP_MSG_CONFIG && m->nchanges > 0 ? m->nchanges
									   : 1));
	/* Each change of a config message: one alert point (confchange.h). */
	for (size_t i = 0; m->kind == WWTP_MSG_CONFIG && i < m->nchanges; i++) {
		char id[WWTP_CONFCHANGE_ID_MAX];
		struct wwtp_in_msg a;
		size_t n1 = 0;
		FUZZ_ASSERT(wwtp_confchange_alert(m, i, id, &a) == 0);
		FUZZ_ASSERT(wwtp_lp_encode(&a, &b, &n1) == 0 && n1 == 1);
		np += n1;
	}
	for (size_t i = 0; i < b.len; i++)
		lines += b.data[i] == '\n';
	FUZZ_ASSERT(lines == np && b.len > 0 && b.data[b.len - 1] == '\n');
	wwtp_buf_free(&b);
}

/* Every "eval" member removed, at any depth (what evalcut.h's output is
 * to equal). */
static void drop_eval(json_t *j)
{
	size_t i;
	json_t *v;
	const char *k;
	if (json_is_object(j)) {
		json_object_del(j, "eval");
		json_object_foreach(j, k, v) drop_eval(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) drop_eval(v);
	}
}

/* evalcut.h's promise: when it cuts, jansson takes the cut document exactly
 * when it takes the whole, and both read the same apart from "eval". */
static void check_evalcut(const uint8_t *p, size_t n)
{
	struct wwtp_buf b;
	json_error_t e;

	wwtp_buf_init(&b, WWTP_PAYLOAD_MAX);
	int rc = wwtp_evalcut((const char *)p, n, &b);
	FUZZ_ASSERT(rc == 0 || rc == 1);
	if (rc == 1) {
		FUZZ_ASSERT(b.len <= n);
		json_t *whole = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &e);
		json_t *part = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &e);
		FUZZ_ASSERT((whole != NULL) == (part != NULL));
		if (whole) {
			drop_eval(whole);
			FUZZ_ASSERT(json_equal(whole, part));
		}
		json_decref(whole);
		json_decref(part);
	} else {
		FUZZ_ASSERT(b.len == 0);
	}
	wwtp_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t tlen = nl ? (size_t)(nl - data) : size;
	const uint8_t *payload = nl ? nl + 1 : data + size;
	size_t plen = size - (size_t)(payload - data);
	struct wwtp_in_msg m;
	struct wwtp_reject_info why;
	char station[WWTP_ID_MAX] = "";
	int kind = 0;

	/* The decoder reads the topic by its length, the payload likewise:
	 * exact-size copies, so that ASan sees any read past either. */
	char *topic = fuzz_strndup(data, tlen);
	uint8_t *body = (uint8_t *)fuzz_strndup(payload, plen);

	if (plen <= WWTP_PAYLOAD_MAX)
		check_evalcut(body, plen);
	int rc = wwtp_decode(topic, tlen, "wwtp", body, plen, reg, NOW_MS, &m, &why);
	if (rc == 0) {
		/* What the topic says, worked out here from the bytes. */
		const char *s = topic + 5, *slash = strchr(s, '/');
		FUZZ_ASSERT(tlen > 5 && memcmp(topic, "wwtp/", 5) == 0 && slash);
		FUZZ_ASSERT((size_t)(slash - s) < sizeof(station));
		memcpy(station, s, (size_t)(slash - s));
		station[slash - s] = '\0';
		kind = strcmp(slash + 1, "telemetry") == 0 ? WWTP_MSG_TELEMETRY
		       : strcmp(slash + 1, "status") == 0  ? WWTP_MSG_STATUS
		       : strcmp(slash + 1, "alert") == 0   ? WWTP_MSG_ALERT
		       : strcmp(slash + 1, "config") == 0  ? WWTP_MSG_CONFIG
							   : 0;
		check_accepted(&m, kind, station);
		check_encoded(&m);
		if (fuzz_verbose())
			fprintf(stderr, "accepted: %s\n", wwtp_msg_kind_name(m.kind));
	} else {
		FUZZ_ASSERT(rc == WWTP_ERR_INVAL || rc == WWTP_ERR_NOMEM);
		FUZZ_ASSERT(m.priv == NULL && m.readings == NULL && m.kind == 0);
		if (rc == WWTP_ERR_INVAL) {
			if (fuzz_verbose())
				fprintf(stderr, "rejected: %s: %s\n", wwtp_reject_name(why.reason),
					why.text);
			FUZZ_ASSERT(why.reason >= 0 && why.reason < WWTP_REJECT_COUNT);
			FUZZ_ASSERT(strcmp(wwtp_reject_name(why.reason), "?") != 0);
			FUZZ_ASSERT(memchr(why.text, '\0', sizeof(why.text)) &&
				    printable(why.text));
		}
	}
	wwtp_in_msg_clear(&m);
	free(topic);
	free(body);
	return 0;
}
