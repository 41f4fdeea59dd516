/* alert_events.c - the names of priorities and note edges (alert_events.h). */
#include "alert_events.h"

#include <string.h>

const char *wwtp_alert_priority_name(int prio)
{
	switch (prio) {
	case WWTP_PRIO_LOW:
		return "low";
	case WWTP_PRIO_MEDIUM:
		return "medium";
	case WWTP_PRIO_HIGH:
		return "high";
	default:
		return "?";
	}
}

int wwtp_alert_priority_parse(const char *name)
{
	for (int p = WWTP_PRIO_LOW; p <= WWTP_PRIO_HIGH; p++)
		if (name && strcmp(name, wwtp_alert_priority_name(p)) == 0)
			return p;
	return 0;
}

int wwtp_alert_priority_of_kind(const char *kind)
{
	/* Raised by central itself (ingest/evidence.h), not by an evaluator. */
	if (kind && strcmp(kind, "forged") == 0)
		return WWTP_PRIO_HIGH;
	/* A measuring setting changed (ingest/confchange.h): every value from
	 * then on may be shaped differently. */
	if (kind && strcmp(kind, "config_change") == 0)
		return WWTP_PRIO_HIGH;
	/* The analyzer disagrees with a laboratory result (ingest/labsample.h):
	 * medium, not high. One grab sample against a continuous analyzer can
	 * differ for reasons that are not the analyzer's (where and when the
	 * bottle was filled, the laboratory's own uncertainty); it calls for a
	 * check or a calibration within days, not for action within the hour
	 * as an exceedance or forged data does. */
	if (kind && strcmp(kind, "lab_mismatch") == 0)
		return WWTP_PRIO_MEDIUM;
	for (int k = 0; kind && k < WWTP_ALERT_KINDS; k++)
		if (strcmp(kind, wwtp_alert_kind_name(k)) == 0)
			return wwtp_alert_priority_parse(wwtp_alert_kind_priority(k));
	return WWTP_PRIO_MEDIUM;
}

const char *wwtp_alert_note_edge_name(int edge)
{
	switch (edge) {
	case WWTP_ALERT_NOTE_RAISED:
		return "raised";
	case WWTP_ALERT_NOTE_CHANGED:
		return "changed";
	case WWTP_ALERT_NOTE_CLEARED:
		return "cleared";
	default:
		return "?";
	}
}
