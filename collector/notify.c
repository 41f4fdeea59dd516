/* notify.c - sd_notify without libsystemd (see notify.h). */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../util/err.h"

int wwtp_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	size_t plen;
	int fd, rc = 1;

	if (!path || !path[0])
		return 0;
	plen = strlen(path);
	/* An absolute path, or '@' for Linux's abstract namespace. */
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sa.sun_path))
		return WWTP_ERR_RANGE;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return WWTP_ERR_ERRNO;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen)) < 0)
		rc = WWTP_ERR_ERRNO;
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

int64_t wwtp_notify_watchdog_ms(void)
{
	const char *us = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	char *end;

	if (!us || !us[0])
		return 0;
	if (pid && pid[0]) {
		errno = 0;
		long p = strtol(pid, &end, 10);
		if (errno || *end || p != (long)getpid())
			return 0; /* meant for another process (our parent shell) */
	}
	errno = 0;
	long long v = strtoll(us, &end, 10);
	if (errno || *end || v <= 0)
		return 0;
	return v / 1000 > 0 ? v / 1000 : 1;
}
