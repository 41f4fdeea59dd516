/* judge.h - compliance at the edge: the collector's side of the evaluator.
 *
 * One judge per station, used by the collector's main thread only (the
 * evaluator is not thread-safe). It holds two evaluators
 * (compliance/evaluator.h):
 *  - one over the station's params, with the station's effective limits
 *    (none when the station has no `limits` group: then only fault and
 *    calibration alerts come from it), fed with every reading;
 *  - one over the station's devices, fed one "answered or not" per poll, so
 *    that a device that stops answering is one offline alert, not one per
 *    point (the params' own offline alerts are dropped).
 * Events are logged here (raise at WARN, clear at INFO, with the ratio) and
 * kept until wwtp_judge_flush() hands them over, so that a poll's telemetry
 * can go out before the alerts it caused. docs/collector.md, "Alerts". */
#ifndef WWTP_JUDGE_H
#define WWTP_JUDGE_H

#include <stddef.h>
#include <stdint.h>

#include "../compliance/evaluator.h"
#include "../payload/payload.h"
#include "../model/station.h"

struct wwtp_judge;

/* st must outlive the judge (it needs st->evaluation; st->limits may be
 * NULL). NULL on error (logged). */
struct wwtp_judge *wwtp_judge_new(const struct wwtp_station *st);
void wwtp_judge_free(struct wwtp_judge *j); /* accepts NULL */

/* Checks each ok reading of s for plausibility (compliance/plausibility.h,
 * the point's bounds), marks the suspect ones (reading.suspect), then feeds
 * every reading (and its device's liveness). Returns the
 * verdicts for wwtp_payload_telemetry_eval: s->nreadings of them, owned by
 * the judge, valid until the next call. Never fails: a reading the
 * evaluator refuses (the clock went back) is logged, rate-limited, and
 * left out. */
const struct wwtp_verdict *wwtp_judge_sample(struct wwtp_judge *j, struct wwtp_sample *s);

/* Why reading r (of s, already judged) is suspect, for people: "ph -31722 is
 * outside 0-14 (what the instrument can read)", "cod 41.2 mg/L unchanged
 * for 6 h 05 min". "" when it is not. */
void wwtp_judge_explain(const struct wwtp_judge *j, const struct wwtp_reading *r, int64_t ts_ms,
			char *buf, size_t n);

/* Re-evaluates at now_ms without readings: windows slide, silence becomes
 * an offline alert. */
void wwtp_judge_tick(struct wwtp_judge *j, int64_t now_ms);

/* What an alert is about, as the alert payload names it. */
struct wwtp_alert_about {
	const char *device; /* the device of the param, or the device offline */
	const char *param;  /* NULL for a device's offline alert */
	const char *unit;   /* unit of value and limit; NULL when they have none */
};

typedef void (*wwtp_alert_cb)(const struct wwtp_alert_event *e,
			      const struct wwtp_alert_about *about, void *ctx);

/* Hands the events kept since the last flush to cb, oldest first, and
 * forgets them. */
void wwtp_judge_flush(struct wwtp_judge *j, wwtp_alert_cb cb, void *ctx);

#endif
