/* poller.h - polls a station's devices on their schedules.
 *
 * Devices are grouped by link (same TCP host:port, or same serial line);
 * each link gets one thread and one libmodbus context (contexts are not
 * thread-safe, and an RS-485 bus carries one transaction at a time). Within
 * a link, devices are polled on their own interval_ms; a failing device is
 * retried with back-off (doubling its interval up to a cap, restored on
 * success, as collectd does) and its link closed and reopened on the next
 * attempt, so that it costs the other devices of the link as little time as
 * possible and never stalls devices on other links.
 *
 * Every poll of a device yields one struct wwtp_sample, with a reading per
 * point: ok / calibrating / fault from the instrument's status, or offline
 * (with a reason) when the device did not answer. */
#ifndef WWTP_POLLER_H
#define WWTP_POLLER_H

#include <stddef.h>
#include <stdint.h>

#include "../payload/payload.h"
#include "../model/station.h"

struct wwtp_poller;

/* Receives each sample and takes ownership (free with wwtp_sample_free).
 * Called from the link threads: must be thread-safe and quick. */
typedef void (*wwtp_sample_cb)(struct wwtp_sample *s, void *ctx);

/* st must outlive the poller. NULL on error (logged). */
struct wwtp_poller *wwtp_poller_new(const struct wwtp_station *st, wwtp_sample_cb cb, void *ctx);
void wwtp_poller_free(struct wwtp_poller *p); /* stops first if running; accepts NULL */

/* Starts one thread per link; returns 0 or a negative code. */
int wwtp_poller_start(struct wwtp_poller *p);
/* Asks the threads to stop and joins them; an in-flight request finishes
 * (bounded by its timeout). */
void wwtp_poller_stop(struct wwtp_poller *p);

/* Polls every device exactly once (links in parallel, with the device's
 * retries), delivering one sample per device to cb before it returns.
 * For --once. Returns 0, or a negative code if it could not run at all
 * (an unreachable device is not an error: its sample says offline). */
int wwtp_poller_run_once(struct wwtp_poller *p);
/* How many devices did not answer at all at the last wwtp_poller_run_once
 * (their readings are offline): --once exits non-zero then. */
int wwtp_poller_silent(const struct wwtp_poller *p);

/* What the poller knows about one device: struct wwtp_device_health, in
 * payload/payload.h (the health payload carries it). */

/* Copies the counters of st->devices[i] into *out. Thread-safe. Returns 0 or
 * WWTP_ERR_NOTFOUND when i is out of range. */
int wwtp_poller_device_health(struct wwtp_poller *p, size_t i, struct wwtp_device_health *out);

#endif
