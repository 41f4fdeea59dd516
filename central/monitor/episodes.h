/* episodes.h - the inspector's alerts: the stations' raw alerts (alerts.h)
 * gathered into episodes, one per station + parameter + kind at a time.
 *
 * Why here: the edge (compliance/evaluator.h) raises an alert on every
 * edge it sees, which is right for its log and its MQTT payload, but an
 * analyzer that drops out for minutes thirty times a day then makes thirty
 * alerts for one inspector. The central side is where the inspector's
 * alerts are counted, so the aggregation is here, over what the stations
 * sent, and the raw alerts stay as they came (InfluxDB, alerts.h).
 *
 * The rules, per kind (struct wwtp_alarm_policy, docs/alerts.md):
 *  - raw alerts of one tag belong to one episode while each starts before
 *    the episode closes. A tag is (station, parameter, kind) for
 *    exceedance and range, (station, device, kind) for the instrument's
 *    kinds (fault, calibration, offline, availability: a multi-parameter
 *    analyzer that faults is one fault, and the data it then misses one
 *    lack of data), and (station, parameter or device, kind) for kinds
 *    this build does not know;
 *  - on-delay: an episode becomes an alert (is raised) once its raw alerts
 *    have been active on_delay_s in all (not necessarily in one stretch:
 *    an instrument faulting for 5 minutes every 10 minutes gets there
 *    too); an episode that closes before that never becomes an alert.
 *    Exceedance and range have no on-delay: the judged window already
 *    delayed them (wwtp_alarm_policy_check refuses one);
 *  - off-delay: an episode closes off_delay_s after the last of its raw
 *    alerts cleared, unless another starts before;
 *  - re-arm: a raw alert of the tag that starts within rearm_s of the
 *    episode's raise belongs to it even after it closed (the episode is
 *    reopened), so a tag is raised at most once per rearm_s.
 * Every raw alert belongs to exactly one episode; an episode of a kind
 * without on-delay is raised at its first raw alert's start, so every
 * exceedance the evaluator judges is in an alert raised no later than it.
 *
 * Pure: the result depends only on the raw records (not their order) and
 * on now_ms (which ends the activity of raw alerts still open and decides
 * whether delays have run out). */
#ifndef WWTP_CENTRAL_EPISODES_H
#define WWTP_CENTRAL_EPISODES_H

#include <stddef.h>
#include <stdint.h>

#include "../../compliance/alarm_policy.h"
#include "alert_events.h"
#include "alerts.h"

#define WWTP_EPISODE_PARAMS_MAX 16

struct wwtp_episode {
	const struct wwtp_alert_rec *first; /* its earliest raw alert: id, station, kind, ... */
	const struct wwtp_alert_rec *shown; /* the one whose value, limit, ratio it shows */
	const char *subject;		    /* the tag's: the device (by_device) or the param */
	int by_device;			    /* fault, calibration, offline, availability */
	const char *params[WWTP_EPISODE_PARAMS_MAX]; /* the params of its raw alerts */
	size_t nparams;
	int priority; /* enum wwtp_alert_priority */
	int raised;   /* 0: still within its on-delay (not an alert yet) */
	int windows_s[WWTP_ALERT_NOTE_WINDOWS_MAX];
	size_t nwindows;
	unsigned count;	   /* raw alerts */
	unsigned open;	   /* of them still open */
	int64_t since_ms;  /* earliest since */
	int64_t start_ms;  /* when raised (or would be) */
	int64_t end_ms;	   /* when it closed (clear_ms + off_delay_s); 0 while open */
	int64_t clear_ms;  /* when its last raw alert cleared; 0 while one is open */
	int64_t active_ms; /* union of the raw alerts' active times, up to now */
	int64_t last_ms;   /* latest start of its raw alerts */
};

struct wwtp_episodes;

/* Gathers recs[0..n) (pointers into an alert store, any stations, any
 * order; records without a raise are skipped) at now_ms. The result
 * points into the records: valid while they are. 0 and *out, or
 * WWTP_ERR_NOMEM. */
int wwtp_episodes_build(const struct wwtp_alert_rec *const *recs, size_t n,
			const struct wwtp_alarm_policies *pol, int64_t now_ms,
			struct wwtp_episodes **out);
void wwtp_episodes_free(struct wwtp_episodes *e); /* accepts NULL */
/* All episodes, raised or not, grouped by tag and in time order within one. */
size_t wwtp_episodes_count(const struct wwtp_episodes *e);
const struct wwtp_episode *wwtp_episodes_get(const struct wwtp_episodes *e, size_t i);

/* Alert rates over the raised episodes, as ISA-18.2 counts them. */
struct wwtp_alarm_rates {
	size_t raised;		/* episodes raised in [from, to) */
	double per_day;		/* raised / days */
	double max_station_day; /* most raised at one station in one UTC day */
	char max_station[WWTP_ID_MAX];
	size_t chattering;	/* tags raised 3 times or more within an hour */
	size_t exceedances_raw; /* raw exceedance/range alerts started in [from, to) */
	size_t exceedances_in;	/* ... of them in a raised episode */
	size_t
	    by_kind[WWTP_ALERT_KINDS + 1]; /* raised, by kind (evaluator.h's order; last: other) */
};
void wwtp_episodes_rates(const struct wwtp_episodes *e, int64_t from_ms, int64_t to_ms,
			 struct wwtp_alarm_rates *out);

#endif
