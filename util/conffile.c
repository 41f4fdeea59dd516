/* conffile.c - checks of a libconfig file before libconfig reads it (see
 * conffile.h). One pass over each file's bytes: comments and strings are
 * skipped, the rest is tokenised just enough to see numbers, names followed
 * by '=' or ':', brackets and @include lines. */
#include "conffile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"

struct scan {
	struct wwtp_diag *diag;
	const char *include_dir;
	size_t total; /* bytes read so far, includes counted each time */
	/* Open brackets, innermost last: '{' for a group, '(' or '[' for a
	 * list; members[] counts each group's named settings. Level 0 is the
	 * top of the file, a group. */
	char open[WWTP_CONFFILE_MAX_NEST + 1];
	int members[WWTP_CONFFILE_MAX_NEST + 1];
	int depth;
	int fatal; /* a problem that keeps the file from libconfig */
	int nomem;
};

static int is_name_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '*';
}

static int is_name_char(int c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

/* Checks one number token t[0..len) found at `line`; 1 if it is refused. */
static int check_literal(struct scan *S, const char *path, int line, const char *t, size_t len)
{
	char tok[64];
	size_t n = len < sizeof(tok) - 1 ? len : sizeof(tok) - 1;
	int is_long = 0, hex = 0;
	const char *digits = tok;

	memcpy(tok, t, n);
	tok[n] = '\0';
	if (len >= sizeof(tok) - 1) {
		/* A number no one writes on purpose; floats this long still parse. */
		if (!strpbrk(tok, ".eE") ||
		    (n > 2 && (tok[1] == 'x' || tok[1] == 'X' || tok[2] == 'x' || tok[2] == 'X'))) {
			if (S->diag)
				wwtp_diag_add(S->diag, path, line, "number %.20s... is too long",
					      tok);
			return 1;
		}
		return 0;
	}
	while (n > 0 && (tok[n - 1] == 'L' || tok[n - 1] == 'l')) {
		tok[--n] = '\0';
		is_long = 1;
	}
	if (*digits == '-' || *digits == '+')
		digits++;
	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
		hex = 1;
	if (!hex && strpbrk(tok, ".eE"))
		return 0; /* a float: libconfig handles it (inf is caught later) */
	if (is_long)
		return 0; /* 64-bit literal: parsed as such, range-checked by the walker */
	errno = 0;
	char *end = NULL;
	long long v = strtoll(tok, &end, hex ? 16 : 10);
	if (end == tok || *end != '\0')
		return 0; /* not a plain number: libconfig will report the syntax */
	if (hex ? (errno == ERANGE || v < 0 || v > INT_MAX)
		: (errno == ERANGE || v < INT_MIN || v > INT_MAX)) {
		if (S->diag)
			wwtp_diag_add(
			    S->diag, path, line,
			    "integer %s does not fit in 32 bits (libconfig would silently change "
			    "it): use a value in range",
			    tok);
		return 1;
	}
	return 0;
}

static void refuse(struct scan *S, const char *path, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void refuse(struct scan *S, const char *path, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (S->diag)
		wwtp_diag_add(S->diag, path, line, "%s", msg);
	S->fatal = 1;
}

static void scan_file(struct scan *S, const char *path, int inc_depth, const char *from,
		      int from_line);

/* Reads the whole of a regular file into a new buffer (*len bytes, NUL
 * added); NULL when refused (said in diag). Opening a FIFO for reading
 * would wait for a writer: O_NONBLOCK, and the type is checked on the open
 * descriptor, so a file swapped for a FIFO after a stat() is still seen. */
static char *read_whole(struct scan *S, const char *path, const char *from, int from_line,
			size_t *len)
{
	const char *at = from ? from : path;
	int line = from ? from_line : 0;
	struct stat sb;
	char *buf;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		refuse(S, at, line, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		refuse(
		    S, at, line,
		    "%s is not a regular file (%s): a configuration file or @include must "
		    "name a plain file",
		    path,
		    S_ISFIFO(sb.st_mode)  ? "a FIFO"
		    : S_ISDIR(sb.st_mode) ? "a folder"
		    : S_ISSOCK(sb.st_mode)
			? "a socket"
			: (S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ? "a device" : "not a file"));
		close(fd);
		return NULL;
	}
	if (sb.st_size > WWTP_CONFFILE_MAX_BYTES) {
		refuse(S, at, line,
		       "%s is %lld bytes, more than the %d a configuration file may have: not read "
		       "(split it, or check that it is the right file)",
		       path, (long long)sb.st_size, WWTP_CONFFILE_MAX_BYTES);
		close(fd);
		return NULL;
	}
	buf = malloc(WWTP_CONFFILE_MAX_BYTES + 1);
	if (!buf) {
		S->nomem = 1;
		close(fd);
		return NULL;
	}
	/* The file may grow after fstat: read at most one byte past the bound. */
	for (;;) {
		ssize_t r = read(fd, buf + n, WWTP_CONFFILE_MAX_BYTES + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			refuse(S, at, line, "cannot read %s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0 || (n += (size_t)r) > WWTP_CONFFILE_MAX_BYTES)
			break;
	}
	close(fd);
	if (n > WWTP_CONFFILE_MAX_BYTES) {
		refuse(S, at, line,
		       "%s is more than the %d bytes a configuration file may have: not read", path,
		       WWTP_CONFFILE_MAX_BYTES);
		free(buf);
		return NULL;
	}
	S->total += n;
	if (S->total > WWTP_CONFFILE_MAX_TOTAL) {
		refuse(S, at, line,
		       "the file and its @include files come to more than %d bytes: not read "
		       "(is a file included many times?)",
		       WWTP_CONFFILE_MAX_TOTAL);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* An @include line starting at buf[i] ('@' at a line's start): checks the
 * file it names. Returns the index after the line's name string. */
static size_t include_line(struct scan *S, const char *path, int line, const char *buf, size_t len,
			   size_t i, int inc_depth)
{
	char name[PATH_MAX], full[PATH_MAX];
	size_t k = 0;

	if (len - i < 8 || memcmp(buf + i, "@include", 8) != 0)
		return i + 1; /* libconfig reports the syntax */
	i += 8;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	if (i >= len || buf[i] != '"')
		return i;
	for (i++; i < len && buf[i] != '"' && buf[i] != '\n'; i++) {
		char c = buf[i];
		if (c == '\\' && i + 1 < len)
			c = buf[++i];
		if (k + 1 < sizeof(name))
			name[k++] = c;
	}
	name[k] = '\0';
	if (i < len && buf[i] == '"')
		i++;
	if (inc_depth + 1 > WWTP_CONFFILE_MAX_DEPTH) {
		refuse(S, path, line, "@include \"%s\" is nested more than %d deep: not read", name,
		       WWTP_CONFFILE_MAX_DEPTH);
		return i;
	}
	/* As libconfig 1.5 builds it. */
	if (S->include_dir &&
	    snprintf(full, sizeof(full), "%s/%s", S->include_dir, name) >= (int)sizeof(full)) {
		refuse(S, path, line, "@include \"%s\": path too long", name);
		return i;
	}
	scan_file(S, S->include_dir ? full : name, inc_depth + 1, path, line);
	return i;
}

static void open_bracket(struct scan *S, const char *path, int line, char c)
{
	if (S->depth >= WWTP_CONFFILE_MAX_NEST) {
		if (!S->fatal)
			refuse(S, path, line,
			       "groups and lists nested more than %d deep: not a configuration "
			       "file this program reads",
			       WWTP_CONFFILE_MAX_NEST);
		return;
	}
	S->depth++;
	S->open[S->depth] = c;
	S->members[S->depth] = 0;
}

/* A name followed by '=' or ':': one more member of the innermost group. */
static void count_member(struct scan *S, const char *path, int line)
{
	if (S->open[S->depth] != '{')
		return; /* a list's elements have no names; libconfig says so */
	if (++S->members[S->depth] == WWTP_CONFFILE_MAX_MEMBERS + 1)
		refuse(S, path, line,
		       "more than %d settings in one group: not a configuration file this "
		       "program reads (libconfig would take minutes over it)",
		       WWTP_CONFFILE_MAX_MEMBERS);
}

static void scan_text(struct scan *S, const char *path, const char *buf, size_t len, int inc_depth)
{
	int line = 1, line_start = 1;
	size_t i = 0;

	while (i < len && !S->fatal) {
		char c = buf[i];
		if (c == '\n') {
			line++;
			line_start = 1;
			i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			i++;
			continue;
		}
		if (c == '@' && line_start) {
			i = include_line(S, path, line, buf, len, i, inc_depth);
			line_start = 0;
			continue;
		}
		line_start = 0;
		if (c == '"') {
			for (i++; i < len && buf[i] != '"'; i++) {
				if (buf[i] == '\\' && i + 1 < len)
					i++;
				if (buf[i] == '\n')
					line++;
			}
			i++;
		} else if (c == '#' || (c == '/' && i + 1 < len && buf[i + 1] == '/')) {
			while (i < len && buf[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && buf[i + 1] == '*') {
			for (i += 2;
			     i < len && !(buf[i] == '*' && i + 1 < len && buf[i + 1] == '/'); i++)
				if (buf[i] == '\n')
					line++;
			i += 2;
		} else if (c == '{' || c == '(' || c == '[') {
			open_bracket(S, path, line, c);
			i++;
		} else if (c == '}' || c == ')' || c == ']') {
			if (S->depth > 0)
				S->depth--;
			i++;
		} else if (is_name_start((unsigned char)c)) {
			for (i++; i < len && is_name_char((unsigned char)buf[i]); i++)
				;
			size_t j = i;
			while (j < len && (buf[j] == ' ' || buf[j] == '\t' || buf[j] == '\r' ||
					   buf[j] == '\n'))
				j++;
			if (j < len && (buf[j] == '=' || buf[j] == ':'))
				count_member(S, path, line);
		} else if ((c >= '0' && c <= '9') ||
			   ((c == '-' || c == '+' || c == '.') && i + 1 < len &&
			    buf[i + 1] >= '0' && buf[i + 1] <= '9')) {
			size_t start = i;
			for (i++; i < len; i++) {
				char d = buf[i];
				int exp_sign = (d == '-' || d == '+') &&
					       (buf[i - 1] == 'e' || buf[i - 1] == 'E') &&
					       !(buf[start] == '0' && i > start + 1 &&
						 (buf[start + 1] == 'x' || buf[start + 1] == 'X'));
				if (!(is_name_char((unsigned char)d) && d != '-' && d != '*') &&
				    d != '.' && !exp_sign)
					break;
			}
			check_literal(S, path, line, buf + start, i - start);
		} else {
			i++;
		}
	}
}

static void scan_file(struct scan *S, const char *path, int inc_depth, const char *from,
		      int from_line)
{
	size_t len = 0;
	char *buf = read_whole(S, path, from, from_line, &len);
	const char *nul;

	if (!buf)
		return;
	nul = memchr(buf, '\0', len);
	if (nul) {
		int line = 1;
		for (const char *p = buf; p < nul; p++)
			line += *p == '\n';
		refuse(S, path, line,
		       "a NUL byte (\\0) in the file: libconfig would cut the text there; remove "
		       "it (is this a text file?)");
	} else {
		scan_text(S, path, buf, len, inc_depth);
	}
	free(buf);
}

int wwtp_conffile_check(const char *path, const char *include_dir, struct wwtp_diag *diag)
{
	struct scan S;

	memset(&S, 0, sizeof(S));
	S.diag = diag;
	S.include_dir = include_dir;
	S.open[0] = '{';
	scan_file(&S, path, 0, NULL, 0);
	if (S.nomem)
		return WWTP_ERR_NOMEM;
	return S.fatal ? WWTP_ERR_CONFIG : 0;
}
