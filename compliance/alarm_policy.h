/* alarm_policy.h - how the central side gathers the stations' raw alerts
 * into the inspector's alerts, per kind (central/monitor/episodes.h,
 * docs/alerts.md): on-delay, off-delay, re-arm. Data, with the defaults
 * here and the overrides in central.cfg's alarms group. Pure. */
#ifndef WWTP_ALARM_POLICY_H
#define WWTP_ALARM_POLICY_H

#include "evaluator.h"

struct wwtp_alarm_policy {
	int on_delay_s;	 /* active time before raising; 0 raises at once */
	int off_delay_s; /* quiet time before clearing */
	int rearm_s;	 /* least time between two raises of a tag */
};

/* The policies of the kinds, in evaluator.h's order (enum wwtp_alert_kind),
 * and one for kinds this build does not know. */
struct wwtp_alarm_policies {
	struct wwtp_alarm_policy kind[WWTP_ALERT_KINDS];
	struct wwtp_alarm_policy other;
};

/* The defaults (docs/alerts.md says why each). */
void wwtp_alarm_policies_default(struct wwtp_alarm_policies *p);
/* 0, or WWTP_ERR_INVAL: a negative value, more than a week, or an
 * on-delay for exceedance or range. */
int wwtp_alarm_policies_check(const struct wwtp_alarm_policies *p);
const struct wwtp_alarm_policy *wwtp_alarm_policy_of(const struct wwtp_alarm_policies *p,
						     const char *kind);

#endif
