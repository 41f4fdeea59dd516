#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DIAG_KEEP 200

struct wwtp_diag {
	char *msgs[DIAG_KEEP];
	size_t kept;
	size_t count;
};

struct wwtp_diag *wwtp_diag_new(void)
{
	return calloc(1, sizeof(struct wwtp_diag));
}

void wwtp_diag_free(struct wwtp_diag *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->kept; i++)
		free(d->msgs[i]);
	free(d);
}

void wwtp_diag_add(struct wwtp_diag *d, const char *file, int line, const char *fmt, ...)
{
	char msg[768], full[1100];
	va_list ap;

	d->count++;
	if (d->kept >= DIAG_KEEP)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%d: %s", file ? file : "?", line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", file ? file : "?", msg);
	char *copy = strdup(full);
	if (copy)
		d->msgs[d->kept++] = copy;
}

size_t wwtp_diag_count(const struct wwtp_diag *d)
{
	return d ? d->count : 0;
}

const char *wwtp_diag_get(const struct wwtp_diag *d, size_t i)
{
	return (d && i < d->kept) ? d->msgs[i] : NULL;
}

void wwtp_diag_print(const struct wwtp_diag *d, FILE *f)
{
	for (size_t i = 0; i < d->kept; i++)
		fprintf(f, "%s\n", d->msgs[i]);
	if (d->count > d->kept)
		fprintf(f, "... and %zu more problems\n", d->count - d->kept);
}
