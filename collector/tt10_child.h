/* tt10_child.h - the Circular 10/2021 uploads run in a program of their own,
 * wwtp-tt10-upload (collector/tt10_upload_main.c), which the collector
 * starts only when the station's tt10 group names servers. So a collector
 * that does not upload never loads libcurl and the TLS, SSH, LDAP and
 * Kerberos libraries it brings (issue 21: memory at the edge; docs/tt10.md).
 *
 * The child reads the same station file, sends what is in the outbox and
 * exits when told (SIGTERM) or when the collector is gone (its parent-death
 * signal). SIGUSR1 tells it a new file is there. A child that dies is
 * started again, after 1 s, then twice as long each time up to 60 s, and
 * said once while it keeps failing. Used by the main thread only. */
#ifndef WWTP_TT10_CHILD_H
#define WWTP_TT10_CHILD_H

#include <stdint.h>

struct wwtp_tt10_child;

/* What the child is started with: the program (a path, or NULL for
 * wwtp-tt10-upload next to the running program, else on PATH) and the
 * collector's own options that locate the station's files. */
struct wwtp_tt10_child_opts {
	const char *program;
	const char *config;		       /* the station file */
	const char *profiles_dir, *limits_dir; /* NULL: the defaults */
};

/* Starts the child. NULL when out of memory or it cannot be started
 * (logged). The strings of o are copied. */
struct wwtp_tt10_child *wwtp_tt10_child_start(const struct wwtp_tt10_child_opts *o);

/* A new file is in the outbox. */
void wwtp_tt10_child_wake(struct wwtp_tt10_child *c);

/* Notices a child that ended and starts it again when its wait is over;
 * called from the main loop's tick. */
void wwtp_tt10_child_check(struct wwtp_tt10_child *c, int64_t now_ms);

/* Tells the child to stop, waits for it (up to 5 s, then SIGKILL) and
 * frees c. Accepts NULL. */
void wwtp_tt10_child_stop(struct wwtp_tt10_child *c);

#endif
