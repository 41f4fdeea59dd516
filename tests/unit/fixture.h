/* fixture.h - what several unit tests need around the code under test: a
 * mkdtemp() folder removed with everything in it, files written whole, and
 * questions about a wwtp_diag list ("is there a FILE:LINE: entry holding
 * this?"). Static inline helpers, so that each test stays one .c file that
 * the Makefile's test_% rule builds alone; include it after <cmocka.h>.
 * Station files: fx_station_ok() and fx_station_fails() load one through
 * wwtp_station_load() and check the outcome. With FX_FAKE_MQTT_TOPIC
 * defined first, a fake MQTT client for the collector's outbox. */
#ifndef WWTP_TEST_FIXTURE_H
#define WWTP_TEST_FIXTURE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw, mkdtemp: also when built without the Makefile's flags */
#endif
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../station/station_config.h"
#include "../../util/diag.h"
#include "../../util/err.h"

static inline int fx_rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* Removes path and everything below it. Returns 0, or -1 (with errno) on
 * the first entry that cannot be removed. */
static inline int fx_rmtree(const char *path)
{
	return nftw(path, fx_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* mkdtemp() on tmpl ("/tmp/wwtp-test-NAME-XXXXXX", changed in place), then
 * creates each of the NULL-terminated sub-folders in it. Returns 0 or -1. */
static inline int fx_mkdtemp(char *tmpl, const char *const *subdirs)
{
	if (!mkdtemp(tmpl))
		return -1;
	for (size_t i = 0; subdirs && subdirs[i]; i++) {
		char sub[700];
		snprintf(sub, sizeof(sub), "%s/%s", tmpl, subdirs[i]);
		if (mkdir(sub, 0700) != 0)
			return -1;
	}
	return 0;
}

/* Writes text to path, replacing what was there; fails the test if it cannot. */
static inline void fx_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* True when some entry of d starts with "FILE:LINE: " and holds want
 * (line 0: "FILE: ", no line; line < 0: "FILE:" and any line). */
static inline int fx_diag_has(const struct wwtp_diag *d, const char *file, int line,
			      const char *want)
{
	char prefix[800];
	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", file, line);
	else if (line < 0)
		snprintf(prefix, sizeof(prefix), "%s:", file);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", file);
	for (size_t i = 0; wwtp_diag_get(d, i); i++) {
		const char *m = wwtp_diag_get(d, i);
		if (strncmp(m, prefix, strlen(prefix)) == 0 && strstr(m, want))
			return 1;
	}
	return 0;
}

/* Every entry of d, one per line, into buf (n bytes; cut if it does not fit). */
static inline void fx_diag_join(const struct wwtp_diag *d, char *buf, size_t n)
{
	size_t at = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < wwtp_diag_count(d) && at < n; i++) {
		int w = snprintf(buf + at, n - at, "%s\n", wwtp_diag_get(d, i));
		if (w < 0)
			break;
		at += (size_t)w;
	}
}

/* ---- station files (station/station_config.h) ---- */

/* Loads the station file at path, which must be valid: returns the station
 * (the caller frees it) and, in *ndiag when not NULL, how many entries the
 * load left in its diag (warnings). Prints them when the load fails. */
static inline struct wwtp_station *fx_station_ok(const char *path, size_t *ndiag)
{
	struct wwtp_diag *d = wwtp_diag_new();
	struct wwtp_station *st = NULL;
	int rc = wwtp_station_load(path, NULL, &st, d);
	if (rc != 0)
		wwtp_diag_print(d, stderr);
	assert_int_equal(rc, 0);
	assert_non_null(st);
	if (ndiag)
		*ndiag = wwtp_diag_count(d);
	wwtp_diag_free(d);
	return st;
}

/* Loads the station file at path, which must be refused (WWTP_ERR_CONFIG,
 * no station) with an entry "FILE:LINE: ...want..." (line as fx_diag_has). */
static inline void fx_station_fails(const char *path, const char *file, int line, const char *want)
{
	struct wwtp_diag *d = wwtp_diag_new();
	struct wwtp_station *st = (struct wwtp_station *)1;
	int rc = wwtp_station_load(path, NULL, &st, d);
	int found = fx_diag_has(d, file, line, want);
	if (rc != WWTP_ERR_CONFIG || st != NULL || !found) {
		fprintf(stderr, "wanted %s:%d: ...%s...; got rc %d and:\n", file, line, want, rc);
		wwtp_diag_print(d, stderr);
	}
	assert_int_equal(rc, WWTP_ERR_CONFIG);
	assert_null(st);
	assert_true(found);
	wwtp_diag_free(d);
}

/* ---- a fake MQTT client (collector/mqtt.h), when FX_FAKE_MQTT_TOPIC is
 * defined before this header: the topic every publish must be for ---- */
#ifdef FX_FAKE_MQTT_TOPIC
#define FX_FAKE_MAX 512

/* The test controls the connection (connects, connected), refusals and
 * acknowledgements (fx_ack); what it accepted is in token[] and payload[]. */
struct wwtp_mqtt {
	uint64_t connects;
	int connected;
	int refuse; /* 0, or the error wwtp_mqtt_publish returns */
	uint64_t next_token;
	size_t n; /* messages accepted */
	uint64_t token[FX_FAKE_MAX];
	char payload[FX_FAKE_MAX][32];
	int done[FX_FAKE_MAX]; /* acknowledged or given up */
	wwtp_mqtt_ack_cb cb;
	void *ctx;
};

int wwtp_mqtt_publish(struct wwtp_mqtt *m, const char *topic, const void *payload, size_t len,
		      int qos, int retained, uint64_t *token_out)
{
	assert_string_equal(topic, FX_FAKE_MQTT_TOPIC);
	assert_int_equal(qos, 1);
	assert_int_equal(retained, 0);
	if (m->refuse)
		return m->refuse;
	if (!m->connects)
		return WWTP_ERR_CONN;
	assert_true(m->n < FX_FAKE_MAX);
	assert_true(len < sizeof(m->payload[0]));
	m->token[m->n] = ++m->next_token;
	memcpy(m->payload[m->n], payload, len);
	m->payload[m->n][len] = '\0';
	m->n++;
	*token_out = m->next_token;
	return 0;
}

void wwtp_mqtt_get_stats(struct wwtp_mqtt *m, struct wwtp_mqtt_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->connects = m->connects;
}

int wwtp_mqtt_is_connected(struct wwtp_mqtt *m)
{
	return m->connected;
}

void wwtp_mqtt_set_ack_cb(struct wwtp_mqtt *m, wwtp_mqtt_ack_cb cb, void *ctx)
{
	m->cb = cb;
	m->ctx = ctx;
}

/* Acknowledges (ok = 1) or gives up (ok = 0) the i-th accepted message
 * (again, if the test wants to: a stale token). */
static inline void fx_ack(struct wwtp_mqtt *m, size_t i, int ok)
{
	assert_non_null(m->cb);
	m->done[i] = 1;
	m->cb(m->token[i], ok, m->ctx);
}

/* The payloads accepted from the first-th on, joined by spaces. */
static inline const char *fx_sent_from(const struct wwtp_mqtt *m, size_t first)
{
	static char all[FX_FAKE_MAX * 33];
	size_t at = 0;
	all[0] = '\0';
	for (size_t i = first; i < m->n; i++)
		at += (size_t)snprintf(all + at, sizeof(all) - at, "%s%s", i > first ? " " : "",
				       m->payload[i]);
	return all;
}
#endif

#endif
