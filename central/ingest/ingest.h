/* ingest.h - the central side's data path, as one room: MQTT messages in
 * (sub.h), checked against the topic and the registry (decode.h), encoded
 * as line protocol (lineproto.h) and handed to the writer (writer.h: the
 * spool first, then InfluxDB), acknowledged to each station once the spool
 * has synced it (ackpub.h), with the counters and the summary line of
 * docs/central.md, "Counters".
 *
 * It knows nothing of the monitor or the API: whoever wires it (main.c)
 * passes a `stored` hook, called for each message once the writer holds
 * it, and reads the writer's progress and the health through the
 * functions below. */
#ifndef WWTP_CENTRAL_INGEST_H
#define WWTP_CENTRAL_INGEST_H

#include <jansson.h>
#include <stdint.h>

#include "../config/config.h"
#include "decode.h"
#include "registry.h"

struct wwtp_ingest;

/* Called on Paho's thread for each message the writer has taken. */
typedef void (*wwtp_ingest_stored_fn)(void *ctx, const struct wwtp_in_msg *m, int64_t now_ms);

/* Starts the writer (spool and InfluxDB thread) and makes the subscriber,
 * not connected yet. cfg and reg outlive the ingest. 0 and *out, or a
 * negative WWTP_ERR_* (logged). */
int wwtp_ingest_start(const struct wwtp_central_cfg *cfg, const struct wwtp_registry *reg,
		      wwtp_ingest_stored_fn stored, void *stored_ctx, struct wwtp_ingest **out);
/* Connects to the broker, in the background (sub.h). 0 or WWTP_ERR_*. */
int wwtp_ingest_connect(struct wwtp_ingest *in);
/* Publishes the acknowledgements that grew, and logs the summary line
 * when stats_interval_s has passed since the last one; called from the
 * main loop, every 200 ms. */
void wwtp_ingest_tick(struct wwtp_ingest *in);
/* Disconnects from the broker: no message arrives, and no acknowledgement
 * leaves, once it returns. */
void wwtp_ingest_disconnect(struct wwtp_ingest *in);
/* Stops the writer (draining for up to the InfluxDB timeout), logs the
 * summary "at exit" and frees. Accepts NULL. */
void wwtp_ingest_free(struct wwtp_ingest *in);

/* The monitor's watermark (monitor.h, wwtp_monitor_progress_fn): ctx is
 * the ingest. */
void wwtp_ingest_progress(void *ctx, uint64_t *entered, uint64_t *done);
/* What /api/health adds about MQTT and the writer (api.h,
 * wwtp_api_health_fn): ctx is the ingest. */
void wwtp_ingest_health(void *ctx, json_t *h);

#endif
