/* tsguard.h - poll times that never go back.
 *
 * A Raspberry Pi has no hardware clock: until NTP sets it, the wall clock
 * may be well ahead, and NTP then steps it back. Polls taken after the step
 * would carry times earlier than, or equal to, polls already published: in
 * InfluxDB one point per (series, time), so a later poll overwrites an
 * earlier one; and the evaluator refuses a reading older than the last.
 *
 * So each device's published ts is kept strictly increasing. While the wall
 * clock is behind the last ts published for a device (it stepped back), the
 * next ts is the last one plus half the real time elapsed since (monotonic
 * clock), at least 1 ms: the polls keep their order and roughly their
 * spacing, and the wall clock catches up within twice the step, after which
 * ts is the wall clock again. Readings taken meanwhile say by how much their
 * ts is ahead of the wall clock (docs/mqtt.md, "clock_behind_ms").
 *
 * A floor (the highest ts published before a restart, kept by the caller)
 * extends the guarantee across restarts.
 *
 * A step back of more than WWTP_TSGUARD_HOLD_MS is not held: the clock was
 * plainly wrong before (a bad time source, a typo), and holding ts ahead
 * for twice as long would stamp hours or days of readings with a made-up
 * time. ts then follows the wall clock again at once (the readings before
 * were far ahead: no two polls share a time), and the caller is told
 * (wwtp_tsguard_resyncs) to start its evaluation afresh. Not thread-safe: the collector's
 * main loop owns it. */
#ifndef WWTP_TSGUARD_H
#define WWTP_TSGUARD_H

#include <stddef.h>
#include <stdint.h>

struct wwtp_tsguard;

#define WWTP_TSGUARD_HOLD_MS (3600 * 1000LL)

/* For ndevices devices (indexes 0..ndevices-1); floor_ms: no ts at or
 * below it is given (0: none). 0 and *out, or WWTP_ERR_NOMEM. */
int wwtp_tsguard_new(size_t ndevices, int64_t floor_ms, struct wwtp_tsguard **out);
void wwtp_tsguard_free(struct wwtp_tsguard *g); /* accepts NULL */

/* The ts to publish for a poll of device dev whose wall clock time was
 * wall_ms, handled at monotonic time mono_ms. *behind_ms (may be NULL)
 * gets how far that ts is ahead of wall_ms (0 when the clock is right). */
int64_t wwtp_tsguard_poll(struct wwtp_tsguard *g, size_t dev, int64_t wall_ms, int64_t mono_ms,
			  int64_t *behind_ms);

/* The station's time for the evaluator's ticks: the wall clock, or the
 * latest ts published if that is later (the clock stepped back). */
int64_t wwtp_tsguard_now(const struct wwtp_tsguard *g, int64_t wall_ms);

/* The highest ts published so far (or the floor); what to keep for the
 * next start. */
int64_t wwtp_tsguard_high(const struct wwtp_tsguard *g);

/* How many times a step back larger than WWTP_TSGUARD_HOLD_MS made ts
 * follow the wall clock back (see above). */
uint64_t wwtp_tsguard_resyncs(const struct wwtp_tsguard *g);

#endif
