/* evidence.h - what the ingest does with signatures and the chain
 * (verify.h; docs/security.md): a message of a station whose key is
 * registered is stored only when signed by it; a forged or altered one is
 * counted, logged (rate-limited) and raises one `forged` alert (high) for
 * the station; holes and breaks in the chain are logged and recorded in
 * InfluxDB (measurement "chain", docs/influxdb-schema.md).
 *
 * wwtp_evidence_admit is called from the MQTT thread only; the health
 * from any thread. */
#ifndef WWTP_CENTRAL_EVIDENCE_H
#define WWTP_CENTRAL_EVIDENCE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../config/config.h"
#include "decode.h"
#include "registry.h"

#define WWTP_LP_CHAIN "chain"
#define WWTP_ALERT_KIND_FORGED "forged"

/* Where the evidence goes: write takes line protocol (npoints points) for
 * InfluxDB; raise takes a central-made alert, after it was written (for the
 * monitor and the notifier). */
struct wwtp_evidence_io {
	int (*write)(void *ctx, const char *lines, size_t len, size_t npoints);
	void (*raise)(void *ctx, const struct wwtp_in_msg *alert, int64_t now_ms);
	void *ctx;
};

struct wwtp_evidence;

/* Logs once which stations are unsigned (no signing.public_key). NULL on
 * NOMEM. reg must outlive it; io is copied. */
struct wwtp_evidence *wwtp_evidence_new(const struct wwtp_registry *reg,
					const struct wwtp_evidence_io *io);
void wwtp_evidence_free(struct wwtp_evidence *e); /* accepts NULL */

/* Reads back from InfluxDB (cfg) the last link stored for each signed
 * station, so that links lost while central was stopped show as a gap.
 * Logs and goes on without when InfluxDB cannot answer. */
void wwtp_evidence_resume(struct wwtp_evidence *e, const struct wwtp_central_influx *cfg);

/* 1: store m as its station's data (m->verified and m->link are set);
 * 0: refused, not the station's data (counted, logged, alert raised). */
int wwtp_evidence_admit(struct wwtp_evidence *e, struct wwtp_in_msg *m, const void *payload,
			size_t len, int64_t now_ms);

/* Its counters into /api/health's object h, as "signing". */
void wwtp_evidence_health(struct wwtp_evidence *e, json_t *h);

#endif
