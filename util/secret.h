/* secret.h - passwords, tokens and private keys kept in files.
 *
 * A secret never goes into a configuration file (those get copied, mailed
 * and committed) but into a file of its own, readable by the service only
 * (chmod 600). These functions read such a file, warn when its permissions
 * let the group or others read it, never put the secret itself in a log
 * line, and wipe every copy they make before freeing it. */
#ifndef WWTP_SECRET_H
#define WWTP_SECRET_H

#include <stddef.h>

/* Longest secret accepted (bytes of the first line). */
#define WWTP_SECRET_MAX 4096

/* Warns (module `mod`, naming `what` and `path`) when the file may be read
 * or written by its group or by others. Returns 1 when it warned, 0 when
 * the mode is private, WWTP_ERR_ERRNO when the file cannot be examined
 * (nothing logged: the caller's read will say why). */
int wwtp_secret_check_mode(const char *path, const char *what, const char *mod);

/* Reads the first line of `path` (trailing blanks and CR/LF removed) into a
 * new string *out, after wwtp_secret_check_mode(). Errors, logged once with
 * the file's name but never its content: WWTP_ERR_ERRNO (cannot open or
 * read), WWTP_ERR_CONFIG (empty first line or longer than WWTP_SECRET_MAX),
 * WWTP_ERR_NOMEM. Free *out with wwtp_secret_free(). */
int wwtp_secret_read(const char *path, const char *what, const char *mod, char **out);

/* Overwrites n bytes in a way the compiler may not drop. */
void wwtp_secret_wipe(void *p, size_t n);
/* Wipes a string from wwtp_secret_read() and frees it. Accepts NULL. */
void wwtp_secret_free(char *s);

#endif
