/* tt10_upload.h - one FTP/FTPS receiver of the Circular 10/2021 files: a
 * thread that sends the files of its outbox (tt10_store.h), oldest first,
 * with libcurl, and removes each from the outbox once the server has it.
 *
 * Each file goes up as "<name>.tmp" into the url's folder plus the
 * expanded remote_dir (missing folders created), then RNFR/RNTO renames it
 * to "<name>" on the server, so a receiver that picks up *.txt never reads
 * half a file. A failure is retried, oldest file first, after 1 s, then
 * twice as long each time up to retry_max_s; polling never waits for it.
 * The caller must have called curl_global_init() before the first start. */
#ifndef WWTP_TT10_UPLOAD_H
#define WWTP_TT10_UPLOAD_H

#include <stdint.h>

#include "../station/tt10_config.h"

struct wwtp_tt10_uploader;

/* Starts the thread for server s of c (both must outlive the uploader).
 * NULL when out of memory or the thread cannot start (logged). */
struct wwtp_tt10_uploader *wwtp_tt10_uploader_start(const struct wwtp_tt10_config *c,
						    const struct wwtp_tt10_server *s);

/* A new file is in the outbox: look now rather than at the next check. */
void wwtp_tt10_uploader_wake(struct wwtp_tt10_uploader *u);

struct wwtp_tt10_upload_stats {
	uint64_t sent;	  /* files the server confirmed */
	uint64_t failed;  /* attempts that failed */
	uint64_t waiting; /* files in the outbox at the last look */
};
void wwtp_tt10_uploader_stats(struct wwtp_tt10_uploader *u, struct wwtp_tt10_upload_stats *out);

/* Stops the thread (a transfer in progress is abandoned: the file stays in
 * the outbox for the next start), joins it and frees u. Accepts NULL. */
void wwtp_tt10_uploader_stop(struct wwtp_tt10_uploader *u);

#endif
