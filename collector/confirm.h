/* confirm.h - central's end-to-end confirmations, as the collector hears
 * them: the retained message on <prefix>/<station>/ack (docs/mqtt.md, "Ack")
 * says up to which telemetry seq and alert number everything the station
 * sent is stored centrally (in InfluxDB, or in central's spool and synced).
 *
 * wwtp_confirm_feed() is called on Paho's thread with each message that
 * arrives; the main thread reads the highest numbers seen with
 * wwtp_confirm_get(). Numbers only go up: an older or smaller ack (central
 * restarted and has not caught up) changes nothing. Thread-safe. */
#ifndef WWTP_CONFIRM_H
#define WWTP_CONFIRM_H

#include <stddef.h>
#include <stdint.h>

struct wwtp_confirm;

/* For station id `station`. NULL when out of memory. */
struct wwtp_confirm *wwtp_confirm_new(const char *station);
void wwtp_confirm_free(struct wwtp_confirm *c); /* accepts NULL */

/* One ack payload (len bytes, not NUL-terminated). A payload that is not
 * an ack of this station ({"v":1,"station":..,"seq":N,"alert_seq":N}) is
 * counted as refused and otherwise ignored. 0 or WWTP_ERR_INVAL. */
int wwtp_confirm_feed(struct wwtp_confirm *c, const void *payload, size_t len);

struct wwtp_confirm_state {
	uint64_t seq;	   /* every telemetry seq up to this one is stored centrally */
	uint64_t aseq;	   /* every alert number up to this one likewise */
	uint64_t received; /* acks taken since start */
	uint64_t refused;  /* payloads that were not acks of this station */
};
void wwtp_confirm_get(struct wwtp_confirm *c, struct wwtp_confirm_state *out);

#endif
