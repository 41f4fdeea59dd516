/* alarm_policy.c - the per-kind alarm policies and their defaults
 * (alarm_policy.h). */
#include "alarm_policy.h"

#include <string.h>

#include "../util/err.h"

#define WEEK_S (7 * 86400)

void wwtp_alarm_policies_default(struct wwtp_alarm_policies *p)
{
	/* Exceedance and range: raised at once (the judged window is the
	 * delay); an average that wavers about its limit stays one alert for
	 * six hours after it last cleared, and a tag is raised at most once a
	 * day. Availability: the window's own share is its delay; held four
	 * hours, at most once a day. Offline: 10 minutes of silence (a router
	 * rebooting is not news), held two hours. Fault and calibration: an
	 * instrument that misbehaves for half an hour in all (in one stretch
	 * or in many), held four hours so that intermittent faults make one
	 * episode; at most twice a day. Measured on the demo week:
	 * docs/alerts.md. */
	static const struct wwtp_alarm_policy d[WWTP_ALERT_KINDS] = {
	    [WWTP_ALERT_EXCEEDANCE] = {.on_delay_s = 0, .off_delay_s = 21600, .rearm_s = 86400},
	    [WWTP_ALERT_RANGE] = {.on_delay_s = 0, .off_delay_s = 21600, .rearm_s = 86400},
	    [WWTP_ALERT_FAULT] = {.on_delay_s = 1800, .off_delay_s = 14400, .rearm_s = 43200},
	    [WWTP_ALERT_CALIBRATION] = {.on_delay_s = 1800, .off_delay_s = 14400, .rearm_s = 43200},
	    [WWTP_ALERT_OFFLINE] = {.on_delay_s = 600, .off_delay_s = 7200, .rearm_s = 43200},
	    [WWTP_ALERT_AVAILABILITY] = {.on_delay_s = 0, .off_delay_s = 14400, .rearm_s = 86400},
	    /* Implausible data (docs/plausibility.md): as faults, an instrument
	     * misbehaving for half an hour, held four hours. */
	    [WWTP_ALERT_SUSPECT] = {.on_delay_s = 1800, .off_delay_s = 14400, .rearm_s = 43200},
	};
	memcpy(p->kind, d, sizeof(d));
	p->other =
	    (struct wwtp_alarm_policy){.on_delay_s = 600, .off_delay_s = 3600, .rearm_s = 7200};
}

static int policy_ok(const struct wwtp_alarm_policy *a)
{
	return a->on_delay_s >= 0 && a->on_delay_s <= WEEK_S && a->off_delay_s >= 0 &&
	       a->off_delay_s <= WEEK_S && a->rearm_s >= 0 && a->rearm_s <= WEEK_S;
}

int wwtp_alarm_policies_check(const struct wwtp_alarm_policies *p)
{
	for (int k = 0; k < WWTP_ALERT_KINDS; k++)
		if (!policy_ok(&p->kind[k]))
			return WWTP_ERR_INVAL;
	/* An exceedance is never delayed beyond its judged window. */
	if (p->kind[WWTP_ALERT_EXCEEDANCE].on_delay_s || p->kind[WWTP_ALERT_RANGE].on_delay_s)
		return WWTP_ERR_INVAL;
	return policy_ok(&p->other) ? 0 : WWTP_ERR_INVAL;
}

const struct wwtp_alarm_policy *wwtp_alarm_policy_of(const struct wwtp_alarm_policies *p,
						     const char *kind)
{
	for (int k = 0; k < WWTP_ALERT_KINDS; k++)
		if (strcmp(kind, wwtp_alert_kind_name(k)) == 0)
			return &p->kind[k];
	return &p->other;
}
