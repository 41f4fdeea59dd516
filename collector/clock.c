/* clock.c - clock synchronisation state (see clock.h). */
#include "clock.h"

#include <string.h>
#include <sys/timex.h>
#include <unistd.h>

#include "../util/err.h"

#define TIMESYNCD_FLAG "/run/systemd/timesync/synchronized"

int wwtp_clock_parse_mode(const char *s, enum wwtp_clock_mode *out)
{
	if (strcmp(s, "auto") == 0)
		*out = WWTP_CLOCK_AUTO;
	else if (strcmp(s, "synced") == 0)
		*out = WWTP_CLOCK_ASSUME_SYNCED;
	else if (strcmp(s, "unsynced") == 0)
		*out = WWTP_CLOCK_ASSUME_UNSYNCED;
	else
		return WWTP_ERR_INVAL;
	return 0;
}

enum wwtp_clock_state wwtp_clock_state(enum wwtp_clock_mode mode)
{
	struct timex tx;
	int rc;

	if (mode == WWTP_CLOCK_ASSUME_SYNCED)
		return WWTP_CLOCK_SYNCED;
	if (mode == WWTP_CLOCK_ASSUME_UNSYNCED)
		return WWTP_CLOCK_UNSYNCED;
	/* timesyncd touches this file once it has synchronised, and it lives
	 * in /run, so it goes away at every boot. */
	if (access(TIMESYNCD_FLAG, F_OK) == 0)
		return WWTP_CLOCK_SYNCED;
	/* modes = 0: only read, no privilege needed. */
	memset(&tx, 0, sizeof(tx));
	rc = adjtimex(&tx);
	if (rc < 0)
		return WWTP_CLOCK_UNKNOWN;
	if (rc == TIME_ERROR || (tx.status & STA_UNSYNC))
		return WWTP_CLOCK_UNSYNCED;
	return WWTP_CLOCK_SYNCED;
}

const char *wwtp_clock_state_name(enum wwtp_clock_state s)
{
	switch (s) {
	case WWTP_CLOCK_SYNCED:
		return "synced";
	case WWTP_CLOCK_UNSYNCED:
		return "unsynced";
	default:
		return "unknown";
	}
}
