/* replay.h - publishing simulated history (history.h) to an MQTT broker, as
 * the stations' gateways would after an outage: the stations' own topics and
 * payloads, past timestamps, QoS 1, oldest first.
 *
 * One Paho asynchronous client with a clean session. At most max_inflight
 * messages wait for their acknowledgement (PUBACK) at any time, and at most
 * rate messages go out per second, so that the broker's queue for a slow
 * subscriber stays bounded. Progress is logged every few seconds. */
#ifndef WWTP_SIM_REPLAY_H
#define WWTP_SIM_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "../model/station.h"
#include "model.h"

#define WWTP_SIM_HISTORY_INTERVAL_S 300 /* default: a reading every 5 minutes */
#define WWTP_SIM_HISTORY_RATE 20000	/* default bound, messages per second */
#define WWTP_SIM_HISTORY_INFLIGHT 500	/* unacknowledged messages at most */

struct wwtp_sim_replay_opts {
	const char *uri; /* broker, tcp://host:port */
	int64_t from_ms; /* the span replayed: [from_ms, to_ms) */
	int64_t to_ms;
	int64_t interval_ms; /* one reading per device every interval_ms */
	double rate;	     /* messages per second at most; 0: unbounded */
	int max_inflight;    /* > 0 */
};

struct wwtp_sim_replay_result {
	uint64_t telemetry; /* telemetry messages acknowledged */
	uint64_t alerts;    /* alert messages acknowledged */
	uint64_t failed;    /* refused or not acknowledged */
	int64_t elapsed_ms;
};

/* Publishes the history of stations[0..n) (sites[i] models stations[i]).
 * Returns 0 once every message is acknowledged; WWTP_ERR_CONN (the broker
 * cannot be reached, or the connection was lost), WWTP_ERR_MQTT (a message
 * was refused), WWTP_ERR_TIMEOUT (stopped by *stop before the end: stop may
 * be NULL) or another error; each logged. *res (may be NULL) says what was
 * done either way. */
int wwtp_sim_replay(struct wwtp_station *const *stations, const struct wwtp_sim_site *sites,
		    size_t n, const struct wwtp_sim_replay_opts *o, const volatile int *stop,
		    struct wwtp_sim_replay_result *res);

#endif
