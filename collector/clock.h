/* clock.h - is the wall clock to be trusted? A Raspberry Pi has no
 * hardware clock: until NTP has set it, the time may be that of the last
 * shutdown, or 1970. Readings taken meanwhile are marked (docs/mqtt.md,
 * "clock"), and the store does not age them. */
#ifndef WWTP_CLOCK_H
#define WWTP_CLOCK_H

enum wwtp_clock_state {
	WWTP_CLOCK_UNKNOWN = 0, /* the kernel would not say */
	WWTP_CLOCK_SYNCED,
	WWTP_CLOCK_UNSYNCED,
};

enum wwtp_clock_mode {
	WWTP_CLOCK_AUTO = 0,	   /* ask the kernel and systemd-timesyncd */
	WWTP_CLOCK_ASSUME_SYNCED,  /* e.g. a battery-backed RTC and no NTP */
	WWTP_CLOCK_ASSUME_UNSYNCED /* never trust it (and tests) */
};

/* "auto", "synced", "unsynced": 0 or WWTP_ERR_INVAL. */
int wwtp_clock_parse_mode(const char *s, enum wwtp_clock_mode *out);

/* The state now. In auto mode: synced when systemd-timesyncd says so
 * (/run/systemd/timesync/synchronized exists) or when the kernel's NTP
 * status (adjtimex) is not STA_UNSYNC, as chrony, ntpd and timesyncd leave
 * it once they have set the clock; unsynced when the kernel says so;
 * unknown when adjtimex fails. Thread-safe, a system call: call it once a
 * second or so, not per reading. */
enum wwtp_clock_state wwtp_clock_state(enum wwtp_clock_mode mode);

const char *wwtp_clock_state_name(enum wwtp_clock_state s); /* "synced", ... */

#endif
