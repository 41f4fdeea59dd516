/* acks.c - acknowledgements of alerts, kept in a file (see acks.h). */
#include "acks.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/timeutil.h"

#define ACKS_MOD "acks"

struct wwtp_acks {
	pthread_mutex_t lock;
	FILE *f; /* appended to */
	char *path;
	struct wwtp_ack *v;
	size_t n, cap;
};

/* A bounded copy of a string whose length was checked (or may be cut). */
static void ack_copy(char *dst, size_t n, const char *src)
{
	size_t l = strnlen(src, n - 1);
	memcpy(dst, src, l);
	dst[l] = '\0';
}

int wwtp_ack_valid_comment(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n >= WWTP_ACK_COMMENT_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	/* Valid UTF-8: jansson refuses anything else. */
	json_t *t = json_string(s);
	int ok = t != NULL;
	json_decref(t);
	return ok;
}

json_t *wwtp_ack_json(const struct wwtp_ack *a)
{
	char t[32];
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "user", json_string(a->user));
	if (wwtp_format_utc(a->time_ms, t, sizeof(t)) == 0)
		json_object_set_new(o, "time", json_string(t));
	json_object_set_new(o, "comment", json_string(a->comment));
	return o;
}

static struct wwtp_ack *ack_find(struct wwtp_acks *k, const char *alert)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->v[i].alert, alert) == 0)
			return &k->v[i];
	return NULL;
}

static int ack_keep(struct wwtp_acks *k, const struct wwtp_ack *a)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		struct wwtp_ack *v = realloc(k->v, cap * sizeof(*v));
		if (!v)
			return WWTP_ERR_NOMEM;
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n++] = *a;
	return 0;
}

/* One line of the file into *a: 0 or -1. */
static int ack_parse_line(const char *line, struct wwtp_ack *a)
{
	json_error_t e;
	json_t *o = json_loads(line, 0, &e);
	const char *al = json_string_value(json_object_get(o, "alert"));
	const char *us = json_string_value(json_object_get(o, "user"));
	const char *tm = json_string_value(json_object_get(o, "time"));
	const char *cm = json_string_value(json_object_get(o, "comment"));
	int rc = -1;
	memset(a, 0, sizeof(*a));
	if (al && us && tm && cm && strlen(al) > 0 && strlen(al) < sizeof(a->alert) &&
	    wwtp_auth_valid_user(us) && wwtp_parse_utc(tm, &a->time_ms) == 0 &&
	    wwtp_ack_valid_comment(cm)) {
		ack_copy(a->alert, sizeof(a->alert), al);
		ack_copy(a->user, sizeof(a->user), us);
		ack_copy(a->comment, sizeof(a->comment), cm);
		rc = 0;
	}
	json_decref(o);
	return rc;
}

int wwtp_acks_open(const char *path, struct wwtp_acks **out)
{
	struct wwtp_acks *k;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, fd;

	*out = NULL;
	k = calloc(1, sizeof(*k));
	if (!k || !(k->path = strdup(path))) {
		free(k);
		return WWTP_ERR_NOMEM;
	}
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || !(k->f = fdopen(fd, "a+"))) {
		int err = errno;
		LOG_ERROR(ACKS_MOD, "%s: cannot open the acknowledgements file: %s", path,
			  strerror(err));
		if (fd >= 0)
			close(fd);
		free(k->path);
		free(k);
		errno = err;
		return WWTP_ERR_ERRNO;
	}
	rewind(k->f);
	while ((len = getline(&line, &cap, k->f)) >= 0) {
		struct wwtp_ack a;
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (ack_parse_line(line, &a) != 0) {
			LOG_WARN(ACKS_MOD, "%s:%d: not an acknowledgement: skipped", path, lineno);
			continue;
		}
		if (ack_find(k, a.alert))
			continue; /* the first one stands */
		if (ack_keep(k, &a) != 0) {
			free(line);
			wwtp_acks_close(k);
			return WWTP_ERR_NOMEM;
		}
	}
	free(line);
	pthread_mutex_init(&k->lock, NULL);
	LOG_INFO(ACKS_MOD, "%s: %zu acknowledgements", path, k->n);
	*out = k;
	return 0;
}

void wwtp_acks_close(struct wwtp_acks *k)
{
	if (!k)
		return;
	if (k->f)
		fclose(k->f);
	free(k->v);
	free(k->path);
	free(k);
}

int wwtp_acks_add(struct wwtp_acks *k, const struct wwtp_ack *ack, struct wwtp_ack *prev)
{
	int rc = 0;
	pthread_mutex_lock(&k->lock);
	struct wwtp_ack *old = ack_find(k, ack->alert);
	if (old) {
		if (prev)
			*prev = *old;
		pthread_mutex_unlock(&k->lock);
		return WWTP_ERR_FULL;
	}
	json_t *o = wwtp_ack_json(ack);
	char *text = NULL;
	if (o) {
		json_object_set_new(o, "alert", json_string(ack->alert));
		text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	}
	json_decref(o);
	if (!text) {
		pthread_mutex_unlock(&k->lock);
		return WWTP_ERR_NOMEM;
	}
	/* On disk first: what is confirmed survives a crash. */
	if (fprintf(k->f, "%s\n", text) < 0 || fflush(k->f) != 0 || fsync(fileno(k->f)) != 0) {
		int err = errno;
		LOG_ERROR(ACKS_MOD, "%s: cannot write an acknowledgement: %s", k->path,
			  strerror(err));
		clearerr(k->f);
		errno = err;
		rc = WWTP_ERR_ERRNO;
	} else {
		rc = ack_keep(k, ack);
	}
	free(text);
	pthread_mutex_unlock(&k->lock);
	return rc;
}

int wwtp_acks_get(struct wwtp_acks *k, const char *alert, struct wwtp_ack *out)
{
	pthread_mutex_lock(&k->lock);
	struct wwtp_ack *a = ack_find(k, alert);
	if (a)
		*out = *a;
	pthread_mutex_unlock(&k->lock);
	return a ? 0 : WWTP_ERR_NOTFOUND;
}

size_t wwtp_acks_count(struct wwtp_acks *k)
{
	pthread_mutex_lock(&k->lock);
	size_t n = k->n;
	pthread_mutex_unlock(&k->lock);
	return n;
}
