/* schedule.h - the documents made on schedule, archived and e-mailed
 * (docs/report.md, "On schedule").
 *
 * With a report group in central.cfg, wwtp-central makes, in Hanoi time:
 *  - the previous month's documents on report.day of the month (default 5,
 *    before the 20th the plan asks for);
 *  - a quarter's on report.quarter_day of its last month (before the 25th);
 *  - a year's on report.year_day of December (before the 20th).
 * Each run writes into DIR/.work-ID, then lists every file with its SHA-256
 * in SHA256SUMS (sha256sum -c reads it), makes the files read-only, queues
 * one e-mail per report.emails address (the PDFs attached, or the HTML when
 * no PDF could be printed) and renames the folder DIR/ID: a period whose
 * folder exists is never made again, so a document once archived and sent
 * is never silently replaced (a correction is made by hand, with
 * `wwtp-central report --number`, as a new document). Documents are
 * numbered from a counter per year (DIR/.numbers/YYYY), reserved before
 * they are written: a run that fails leaves a gap, never a number twice.
 *
 * A due period whose folder is missing (central was down that day, or
 * InfluxDB did not answer) is made at the next start, after delay_s, and
 * retried every retry_s while it fails. E-mails are files in
 * DIR/.outbox/out/ (notify/outbox.h's discipline), removed once the server
 * took them: a crash between the server's 250 and the removal sends one
 * again (at least once). */
#ifndef WWTP_REPORT_SCHEDULE_H
#define WWTP_REPORT_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "../config/config.h"

/* The periods due at now_ms: the latest month, quarter and year whose day
 * has come (00:00 Hanoi time), as ids ("2026-11", "2026-Q4", "2026") with
 * the moment each became due. Returns how many (3, or fewer before 2000).
 * Pure. */
size_t wwtp_report_due(const struct wwtp_central_report *rc, int64_t now_ms, char ids[3][16],
		       int64_t due_ms[3]);

struct wwtp_report_sched;

/* Starts the schedule's thread (cfg must outlive it). 0 or WWTP_ERR_*
 * (logged): the archive folder cannot be made. */
int wwtp_report_sched_start(const struct wwtp_central_cfg *cfg, struct wwtp_report_sched **out);
/* Stops (a run under way finishes first) and frees. NULL ok. */
void wwtp_report_sched_stop(struct wwtp_report_sched *s);

#endif
