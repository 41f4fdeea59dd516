/* notify.h - systemd's readiness and watchdog protocol (sd_notify(3)),
 * spoken directly: one datagram to the socket named by $NOTIFY_SOCKET, so
 * that the collector needs no libsystemd. Without $NOTIFY_SOCKET (not run
 * by systemd, or not Type=notify) every call does nothing. */
#ifndef WWTP_NOTIFY_H
#define WWTP_NOTIFY_H

#include <stdint.h>

/* Sends state ("READY=1", "WATCHDOG=1", "STATUS=...", "STOPPING=1",
 * several separated by newlines). 1 when sent, 0 when there is nobody to
 * tell, or a negative code (WWTP_ERR_ERRNO, WWTP_ERR_RANGE). */
int wwtp_notify(const char *state);

/* The watchdog period systemd expects pings within (WatchdogSec=), in
 * milliseconds, from $WATCHDOG_USEC when $WATCHDOG_PID is unset or this
 * process; 0 when there is no watchdog. Ping at half of it. */
int64_t wwtp_notify_watchdog_ms(void);

#endif
