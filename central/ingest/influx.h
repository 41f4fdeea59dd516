/* influx.h - writing line protocol to InfluxDB over HTTP with libcurl.
 *
 * One client = one curl easy handle, used by one thread (the writer's).
 * It knows both write APIs: 1.x `/write?db=..&precision=ms` (optional basic
 * authentication, the password read from a file) and 2.x/3.x
 * `/api/v2/write?org=..&bucket=..&precision=ms` with `Authorization: Token`
 * read from a file. Bodies of gzip_min_bytes or more are sent gzip-
 * compressed (Content-Encoding: gzip) when that makes them smaller.
 *
 * wwtp_influx_write_batch() is the policy, kept apart from HTTP so that it
 * can be tested with a fake server: a batch InfluxDB refuses as bad data is
 * split in halves, recursively, so that only the lines it refuses are
 * dropped; a failure that is not the data's fault stops the batch for a
 * retry later, with what was done so far reported. */
#ifndef WWTP_CENTRAL_INFLUX_H
#define WWTP_CENTRAL_INFLUX_H

#include <stddef.h>
#include <stdint.h>

#include "../../util/buf.h"
#include "../config/config.h"

/* What one request's answer means for the data. */
enum wwtp_influx_verdict {
	WWTP_INFLUX_OK = 0,   /* 2xx: written */
	WWTP_INFLUX_RETRY,    /* no answer, 5xx, 429, 401/403 and other 4xx: not the data's fault */
	WWTP_INFLUX_NO_DB,    /* 404: database or bucket missing (retried, like RETRY) */
	WWTP_INFLUX_BAD_DATA, /* 400, 422: InfluxDB refuses (some of) these lines */
	WWTP_INFLUX_TOO_LARGE, /* 413: the body is too large */
};

struct wwtp_influx_resp {
	long http;	/* HTTP status, 0 when no answer */
	char text[300]; /* curl's error or the start of InfluxDB's answer */
};

struct wwtp_influx;

/* Makes the client (reads token_file / password_file now). Returns 0 and
 * *out, or WWTP_ERR_CONFIG (a secret file unreadable or empty: logged),
 * WWTP_ERR_NOMEM. Call curl_global_init() before, once per process. */
int wwtp_influx_new(const struct wwtp_central_influx *cfg, struct wwtp_influx **out);
void wwtp_influx_free(struct wwtp_influx *ix); /* accepts NULL */

/* One POST of `len` bytes of line protocol. Returns the verdict. */
int wwtp_influx_post(struct wwtp_influx *ix, const char *data, size_t len,
		     struct wwtp_influx_resp *r);
/* 1.x: CREATE DATABASE (a no-op when it exists). WWTP_INFLUX_OK or another verdict. */
int wwtp_influx_create_db(struct wwtp_influx *ix, struct wwtp_influx_resp *r);
/* Runs InfluxQL q (statements separated by ';') with POST /query and
 * epoch=ms: the database (1.x) or, through the 1.x compatibility API, the
 * bucket (2.x/3.x, which needs a DBRP mapping of that name). The whole
 * answer goes to body (reset first; an answer over its cap is an error).
 * Returns WWTP_INFLUX_OK (HTTP 2xx: the JSON may still hold an "error" per
 * statement) or another verdict with r saying why. */
int wwtp_influx_query(struct wwtp_influx *ix, const char *q, struct wwtp_buf *body,
		      struct wwtp_influx_resp *r);
/* "http://127.0.0.1:8086 database wwtp", for messages. */
const char *wwtp_influx_target(const struct wwtp_influx *ix);

/* The batch policy. post() sends one body and returns its verdict. */
typedef int (*wwtp_influx_post_fn)(void *ctx, const char *data, size_t len);

struct wwtp_write_result {
	int verdict;	  /* WWTP_INFLUX_OK when every line was written or dropped */
	size_t done;	  /* bytes from the start that were written or dropped */
	uint64_t written; /* lines written */
	uint64_t dropped; /* lines refused as bad data (or too large), never to be retried */
	int requests;
};

/* Writes `len` bytes of whole lines. A BAD_DATA or TOO_LARGE answer for
 * more than one line splits the range in two halves at a line boundary,
 * each sent in order; a single line (or any range once max_requests have
 * been made) that is refused is dropped. A RETRY or NO_DB answer stops:
 * res->done tells how much of the start is finished (written or dropped),
 * so that only the rest is sent again. */
void wwtp_influx_write_batch(const char *data, size_t len, wwtp_influx_post_fn post, void *ctx,
			     int max_requests, struct wwtp_write_result *res);

#endif
