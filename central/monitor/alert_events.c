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
	static const struct {
		int kind, prio;
	} table[] = {
	    {WWTP_ALERT_EXCEEDANCE, WWTP_PRIO_HIGH},	 {WWTP_ALERT_RANGE, WWTP_PRIO_HIGH},
	    {WWTP_ALERT_AVAILABILITY, WWTP_PRIO_MEDIUM}, {WWTP_ALERT_OFFLINE, WWTP_PRIO_MEDIUM},
	    {WWTP_ALERT_FAULT, WWTP_PRIO_LOW},		 {WWTP_ALERT_CALIBRATION, WWTP_PRIO_LOW},
	};
	for (size_t i = 0; kind && i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(kind, wwtp_alert_kind_name(table[i].kind)) == 0)
			return table[i].prio;
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
