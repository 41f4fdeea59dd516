/* tt10.h - the Circular 10/2021 transmission of one station, as the
 * collector's main loop sees it (docs/tt10.md): readings in, one file per
 * period written locally and sent to every configured FTP server.
 *
 * The main thread feeds it and ticks it; it never blocks there for I/O:
 * files are written by a thread of its own (tt10_store.h) and uploaded by
 * wwtp-tt10-upload, a program the collector starts when there are servers
 * (tt10_child.h), with one thread per server (tt10_upload.h). */
#ifndef WWTP_TT10_H
#define WWTP_TT10_H

#include <stdint.h>

#include "../payload/payload.h"
#include "../model/station.h"
#include "tt10_child.h"

struct wwtp_tt10;

/* 1 when st has a tt10 group that is enabled. */
int wwtp_tt10_wanted(const struct wwtp_station *st);

/* For a station whose tt10 group is there and enabled: creates the local
 * folders, finishes what a crash left, starts the writer thread and, when
 * the group names servers, wwtp-tt10-upload as co says. NULL (the reason
 * logged) when that fails. st must outlive the result. */
struct wwtp_tt10 *wwtp_tt10_new(const struct wwtp_station *st,
				const struct wwtp_tt10_child_opts *co);

/* Feeds the readings of one poll (main thread). */
void wwtp_tt10_sample(struct wwtp_tt10 *t, const struct wwtp_sample *s);

/* Closes the periods that have ended (allowing late readings a short
 * while) and hands their files to the writer. Call about once a second. */
void wwtp_tt10_tick(struct wwtp_tt10 *t, int64_t now_ms);

/* Closes the periods that ended by now (the poller must be stopped: no
 * reading is coming), writes what is pending, stops the threads and frees
 * t. An upload in progress is abandoned: its file stays in the outbox for
 * the next run. The period in progress is not written. Accepts NULL. */
void wwtp_tt10_free(struct wwtp_tt10 *t);

#endif
