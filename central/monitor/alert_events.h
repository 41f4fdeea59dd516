/* alert_events.h - the monitor tells others (the notifier, central/notify)
 * when an inspector's alert is raised, changes or clears.
 *
 * "Alert" here is the central side's alert (an episode, episodes.h): one per
 * station + parameter + kind, which gathers the stations' raw raises and
 * clears (alerts.h) under the on-delay, off-delay and re-arm of its kind
 * (docs/alerts.md). It names every averaging window it holds for, counts
 * the raw alerts it gathered and how long they were active in all.
 *
 * A listener is registered before wwtp_monitor_start(). It is called on the
 * monitor's thread, after each evaluation (every flags.refresh_s, and when
 * new alerts arrived), outside the monitor's lock, once per change, in the
 * order of the changes. It must not block for long and must not call back
 * into the monitor: copy what it needs (the note is valid during the call
 * only) and return, e.g. into an on-disk outbox.
 *
 * At start-up the monitor reads the raw alerts back from InfluxDB; the
 * first evaluation after that reports every alert then open with edge
 * RAISED and `recovered` = 1 (the notifier may have sent it before the
 * restart: its outbox decides by id and edge). Alerts that opened and
 * closed while central was down are not reported. Later notes have
 * recovered = 0.
 *
 * (id, edge, count) identifies a note: the same alert raised twice with the
 * same id does not happen; CHANGED carries the new count / windows / value. */
#ifndef WWTP_CENTRAL_ALERT_EVENTS_H
#define WWTP_CENTRAL_ALERT_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "../../compliance/evaluator.h"
#include "../../model/station.h"
#include "alerts.h" /* WWTP_ALERT_KIND_MAX */

/* What an alert asks of an inspector (ISA-18.2's priorities):
 *  high    a judged average over its limit or out of range (exceedance,
 *          range);
 *  medium  too little data (availability), a device offline;
 *  low     an instrument fault, calibration too long. */
enum wwtp_alert_priority {
	WWTP_PRIO_LOW = 1,
	WWTP_PRIO_MEDIUM = 2,
	WWTP_PRIO_HIGH = 3,
};
/* "low", "medium", "high"; "?" out of range. */
const char *wwtp_alert_priority_name(int prio);
/* The priority by name, or 0 when unknown. */
int wwtp_alert_priority_parse(const char *name);
/* The priority of a kind name ("exceedance", ...; evaluator.h): unknown
 * kinds (a newer collector) are medium. */
int wwtp_alert_priority_of_kind(const char *kind);

enum wwtp_alert_note_edge {
	WWTP_ALERT_NOTE_RAISED = 1,  /* a new alert */
	WWTP_ALERT_NOTE_CHANGED = 2, /* more raw alerts, another window, a worse value */
	WWTP_ALERT_NOTE_CLEARED = 3, /* closed (after its off-delay) */
};
/* "raised", "changed", "cleared". */
const char *wwtp_alert_note_edge_name(int edge);

#define WWTP_ALERT_NOTE_WINDOWS_MAX WWTP_EVAL_WINDOWS_MAX

struct wwtp_alert_note {
	int edge;		    /* enum wwtp_alert_note_edge */
	int recovered;		    /* 1: reported again after a restart (see above) */
	char id[WWTP_ALERT_ID_MAX]; /* the alert's id, as /api/alerts gives it */
	char station[WWTP_ID_MAX];
	char station_name[WWTP_NAME_MAX];
	char param[WWTP_ID_MAX];  /* "" when the alert is of a device touching several params */
	char device[WWTP_ID_MAX]; /* "" when absent */
	char unit[WWTP_UNIT_MAX];
	char kind[WWTP_ALERT_KIND_MAX]; /* evaluator.h's kind names */
	int priority;			/* enum wwtp_alert_priority */
	/* The averaging windows (seconds, ascending) it holds for; none for
	 * fault, calibration and offline. */
	int windows_s[WWTP_ALERT_NOTE_WINDOWS_MAX];
	size_t nwindows;
	/* Of its worst (highest ratio) raw alert still active, else of its
	 * latest: NaN when it does not apply (evaluator.h's table). For an
	 * exceedance: value = the judged average, limit = Cmax, ratio =
	 * value / Cmax ("gấp N lần"). */
	double value, limit, ratio;
	int64_t since_ms;  /* when the condition began (the data's time) */
	int64_t start_ms;  /* when the alert was raised (after its on-delay) */
	int64_t end_ms;	   /* when it cleared; 0 while open */
	unsigned count;	   /* raw alerts gathered */
	int64_t active_ms; /* how long they were active in all */
};

typedef void (*wwtp_alert_note_fn)(void *ctx, const struct wwtp_alert_note *note);

struct wwtp_monitor;
/* Registers the one listener (a second call replaces it; fn NULL removes
 * it). Call before wwtp_monitor_start(). 0, or WWTP_ERR_INVAL when the
 * monitor is already started. */
int wwtp_monitor_on_alert(struct wwtp_monitor *m, wwtp_alert_note_fn fn, void *ctx);

#endif
