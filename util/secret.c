/* secret.c - secrets read from private files (see secret.h). */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "log.h"

void wwtp_secret_wipe(void *p, size_t n)
{
	/* A plain memset before free() is a dead store the optimiser may
	 * remove; explicit_bzero (glibc 2.25+) is guaranteed to stay. */
	if (p && n)
		explicit_bzero(p, n);
}

void wwtp_secret_free(char *s)
{
	if (!s)
		return;
	wwtp_secret_wipe(s, strlen(s));
	free(s);
}

static int mode_warn(const struct stat *sb, const char *path, const char *what, const char *mod)
{
	/* Group or others with any access: a secret's file should be the
	 * service user's alone (chmod 600, or 400). */
	if ((sb->st_mode & (S_IRWXG | S_IRWXO)) == 0)
		return 0;
	LOG_WARN(mod, "%s %s can be read by %s (mode %03o): run chmod 600 %s", what, path,
		 (sb->st_mode & S_IROTH) ? "every user" : "its group",
		 (unsigned)(sb->st_mode & 0777), path);
	return 1;
}

int wwtp_secret_check_mode(const char *path, const char *what, const char *mod)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		return WWTP_ERR_ERRNO;
	return mode_warn(&sb, path, what, mod);
}

int wwtp_secret_read(const char *path, const char *what, const char *mod, char **out)
{
	char buf[WWTP_SECRET_MAX + 2];
	struct stat sb;
	size_t n = 0;
	ssize_t got;
	int fd, rc = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		LOG_ERROR(mod, "cannot read %s %s: %s", what, path, strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	/* The mode of the file actually opened, not of whatever the name
	 * points to a moment later. */
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		LOG_ERROR(mod, "cannot read %s %s: not a regular file", what, path);
		close(fd);
		return WWTP_ERR_ERRNO;
	}
	mode_warn(&sb, path, what, mod);
	/* Up to one byte more than the limit, to tell "too long" apart. */
	while (n < sizeof(buf) - 1) {
		got = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			LOG_ERROR(mod, "cannot read %s %s: %s", what, path, strerror(errno));
			rc = WWTP_ERR_ERRNO;
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (memchr(buf, '\n', n))
			break;
	}
	close(fd);
	buf[n] = '\0';
	if (rc == 0) {
		buf[strcspn(buf, "\r\n")] = '\0';
		n = strlen(buf);
		while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
			buf[--n] = '\0';
		if (n == 0 || n > WWTP_SECRET_MAX) {
			LOG_ERROR(mod,
				  "%s %s: the first line must hold the secret (1..%d bytes, "
				  "no line break)",
				  what, path, WWTP_SECRET_MAX);
			rc = WWTP_ERR_CONFIG;
		} else if (!(*out = strdup(buf))) {
			rc = WWTP_ERR_NOMEM;
		}
	}
	wwtp_secret_wipe(buf, sizeof(buf));
	return rc;
}
