/* influx.c - InfluxDB write client over libcurl, and the batch policy (see
 * influx.h). */
#include "influx.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/secret.h"
#include "influx-private.h"

#define INFLUX_MOD "influx"
#define INFLUX_SPLIT_STACK 128
/* ---- the batch policy (no I/O) ---- */

static size_t influx_lines(const char *p, size_t n)
{
	size_t c = 0;
	const char *e = p + n;
	while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		c++;
		p++;
	}
	return c;
}

/* A line boundary near the middle of [lo, hi), which holds 2+ lines. */
static size_t split_point(const char *data, size_t lo, size_t hi)
{
	size_t mid = lo + (hi - lo) / 2;
	const char *p = memchr(data + mid, '\n', hi - 1 - mid);
	if (p)
		return (size_t)(p - data) + 1;
	p = memrchr(data + lo, '\n', mid - lo);
	return p ? (size_t)(p - data) + 1 : hi;
}

void wwtp_influx_write_batch(const char *data, size_t len, wwtp_influx_post_fn post, void *ctx,
			     int max_requests, struct wwtp_write_result *res)
{
	struct {
		size_t lo, hi;
	} stack[INFLUX_SPLIT_STACK];
	int top = 0;

	memset(res, 0, sizeof(*res));
	res->verdict = WWTP_INFLUX_OK;
	if (len == 0)
		return;
	stack[top].lo = 0;
	stack[top++].hi = len;
	/* Depth first, left half before right: what is finished is always a
	 * prefix of the batch, so res->done is one number. */
	while (top > 0) {
		size_t lo = stack[top - 1].lo, hi = stack[top - 1].hi;
		size_t lines = influx_lines(data + lo, hi - lo);
		top--;
		int v = post(ctx, data + lo, hi - lo);
		res->requests++;
		if (v == WWTP_INFLUX_OK) {
			res->written += lines;
		} else if (v == WWTP_INFLUX_BAD_DATA || v == WWTP_INFLUX_TOO_LARGE) {
			/* The budget bounds splitting, not sending: ranges already
			 * on the stack are still tried once each. */
			size_t mid = lines > 1 ? split_point(data, lo, hi) : hi;
			if (lines > 1 && mid < hi && res->requests < max_requests &&
			    top + 2 <= INFLUX_SPLIT_STACK) {
				stack[top].lo = mid;
				stack[top++].hi = hi;
				stack[top].lo = lo;
				stack[top++].hi = mid;
				continue;
			}
			res->dropped += lines;
		} else {
			res->verdict = v;
			return;
		}
		res->done = hi;
	}
}

/* ---- HTTP ---- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct wwtp_buf *b = ud;
	size_t n = size * nmemb;
	size_t room = b->cap > b->len ? b->cap - b->len : 0;
	/* Only the start is kept (for the log); the rest is read and ignored. */
	if (room > 0)
		(void)wwtp_buf_add(b, ptr, n < room ? n : room);
	return n;
}

/* The first line of a secret file (util/secret.h: warns when others may
 * read it, never logs it). NULL on error (logged). */
static char *read_secret(const char *path, const char *what)
{
	char *s = NULL;
	if (wwtp_secret_read(path, what, INFLUX_MOD, &s) != 0)
		return NULL;
	return s;
}

/* https, or plain http to this host only: where a password or token
 * crosses no network. */
static int influx_private_url(const char *url)
{
	static const char *const ok[] = {"https://", "http://127.",
					 "http://localhost:", "http://localhost/", "http://[::1]"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strncmp(url, ok[i], strlen(ok[i])) == 0 || strcmp(url, "http://localhost") == 0)
			return 1;
	return 0;
}

/* "<base><path>?k1=<v1 escaped>&k2=..." (pairs end with NULL). */
WWTP_PRIVATE char *make_url(CURL *c, const char *base, const char *path, ...)
{
	struct wwtp_buf b;
	va_list ap;
	const char *k;
	int rc, first = 1;

	wwtp_buf_init(&b, 8192);
	rc = wwtp_buf_adds(&b, base);
	if (rc == 0)
		rc = wwtp_buf_adds(&b, path);
	va_start(ap, path);
	while (rc == 0 && (k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);
		if (!v || !*v)
			continue;
		char *e = curl_easy_escape(c, v, 0);
		if (!e) {
			rc = WWTP_ERR_NOMEM;
			break;
		}
		rc = wwtp_buf_printf(&b, "%s%s=%s", first ? "?" : "&", k, e);
		first = 0;
		curl_free(e);
	}
	va_end(ap);
	if (rc != 0) {
		wwtp_buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* q=CREATE DATABASE "<name>", form-encoded. */
WWTP_PRIVATE char *make_create_body(CURL *c, const char *db)
{
	struct wwtp_buf q;
	char *e, *out = NULL;

	wwtp_buf_init(&q, 1024);
	int rc = wwtp_buf_adds(&q, "CREATE DATABASE \"");
	for (const char *p = db; rc == 0 && *p; p++) {
		if (*p == '"' || *p == '\\')
			rc = wwtp_buf_add(&q, "\\", 1);
		if (rc == 0)
			rc = wwtp_buf_add(&q, p, 1);
	}
	if (rc == 0)
		rc = wwtp_buf_adds(&q, "\"");
	if (rc == 0 && (e = curl_easy_escape(c, q.data, (int)q.len)) != NULL) {
		size_t n = strlen(e) + 3;
		out = malloc(n);
		if (out)
			snprintf(out, n, "q=%s", e);
		curl_free(e);
	}
	wwtp_buf_free(&q);
	return out;
}

int wwtp_influx_new(const struct wwtp_central_influx *cfg, struct wwtp_influx **out)
{
	struct wwtp_influx *ix = calloc(1, sizeof(*ix));
	char *token = NULL;
	int rc = WWTP_ERR_NOMEM;

	*out = NULL;
	if (!ix)
		return WWTP_ERR_NOMEM;
	wwtp_buf_init(&ix->gz, INFLUX_BODY_MAX);
	wwtp_buf_init(&ix->resp, 512);
	ix->gzip_min_bytes = cfg->gzip_min_bytes;
	ix->curl = curl_easy_init();
	if (!ix->curl)
		goto fail;

	if (cfg->api == WWTP_INFLUX_V2) {
		token = read_secret(cfg->token_file, "token_file");
		if (!token) {
			rc = WWTP_ERR_CONFIG;
			goto fail;
		}
		ix->write_url = make_url(ix->curl, cfg->url, "/api/v2/write", "org", cfg->org,
					 "bucket", cfg->bucket, "precision", "ms", NULL);
		/* Reads go through the 1.x compatibility API: the bucket needs
		 * a DBRP mapping named like it (docs/central.md). */
		ix->read_url =
		    make_url(ix->curl, cfg->url, "/query", "db", cfg->bucket, "epoch", "ms", NULL);
		snprintf(ix->target, sizeof(ix->target), "%s org %s bucket %s", cfg->url, cfg->org,
			 cfg->bucket);
	} else {
		if (cfg->username[0]) {
			ix->username = strdup(cfg->username);
			ix->password = read_secret(cfg->password_file, "password_file");
			if (!ix->password) {
				rc = WWTP_ERR_CONFIG;
				goto fail;
			}
		}
		ix->write_url = make_url(ix->curl, cfg->url, "/write", "db", cfg->database, "rp",
					 cfg->retention_policy, "precision", "ms", NULL);
		ix->query_url = make_url(ix->curl, cfg->url, "/query", NULL);
		ix->read_url = make_url(ix->curl, cfg->url, "/query", "db", cfg->database, "rp",
					cfg->retention_policy, "epoch", "ms", NULL);
		ix->create_body = make_create_body(ix->curl, cfg->database);
		if (!ix->query_url || !ix->create_body)
			goto fail;
		snprintf(ix->target, sizeof(ix->target), "%s database %s", cfg->url, cfg->database);
	}
	if (!ix->write_url || !ix->read_url)
		goto fail;

	/* "Expect:" off: curl would wait for a 100-continue before large
	 * bodies, a round trip for nothing. */
	const char *common[] = {"Content-Type: text/plain; charset=utf-8", "Expect:"};
	for (size_t i = 0; i < 2; i++) {
		struct curl_slist *a = curl_slist_append(ix->hdr_plain, common[i]);
		if (!a)
			goto fail;
		ix->hdr_plain = a;
		a = curl_slist_append(ix->hdr_gzip, common[i]);
		if (!a)
			goto fail;
		ix->hdr_gzip = a;
	}
	struct curl_slist *a = curl_slist_append(ix->hdr_gzip, "Content-Encoding: gzip");
	if (!a)
		goto fail;
	ix->hdr_gzip = a;
	a = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
	if (!a)
		goto fail;
	ix->hdr_form = a;
	if (token) {
		size_t n = strlen(token) + 32;
		char *h = malloc(n);
		if (!h)
			goto fail;
		snprintf(h, n, "Authorization: Token %s", token);
		a = curl_slist_append(ix->hdr_plain, h);
		struct curl_slist *b = a ? curl_slist_append(ix->hdr_gzip, h) : NULL;
		struct curl_slist *f = b ? curl_slist_append(ix->hdr_form, h) : NULL;
		wwtp_secret_wipe(h, n);
		free(h);
		if (!a || !b || !f)
			goto fail;
		ix->hdr_plain = a;
		ix->hdr_gzip = b;
		ix->hdr_form = f;
	}

	if (cfg->api == WWTP_INFLUX_V2)
		ix->auth_hint = "check the token in token_file";
	else if (ix->username)
		ix->auth_hint = "check username and the password in password_file";
	else
		ix->auth_hint = "the server wants a user: set username and password_file";
	/* Basic authentication and tokens are readable by anyone on the path
	 * over plain HTTP. */
	if ((token || ix->username) && !influx_private_url(cfg->url))
		LOG_WARN(INFLUX_MOD, "%s goes to %s unencrypted: use https://",
			 token ? "the token" : "the password", cfg->url);
	CURL *c = ix->curl;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for timeouts */
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ix->errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &ix->resp);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (ix->username) {
		curl_easy_setopt(c, CURLOPT_USERNAME, ix->username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, ix->password);
	}
	wwtp_secret_free(token);
	*out = ix;
	return 0;

fail:
	wwtp_secret_free(token);
	wwtp_influx_free(ix);
	return rc;
}

void wwtp_influx_free(struct wwtp_influx *ix)
{
	if (!ix)
		return;
	if (ix->curl)
		curl_easy_cleanup(ix->curl);
	curl_slist_free_all(ix->hdr_plain); /* the token is in there: freed, not kept */
	curl_slist_free_all(ix->hdr_gzip);
	curl_slist_free_all(ix->hdr_form);
	free(ix->write_url);
	free(ix->query_url);
	free(ix->read_url);
	free(ix->create_body);
	free(ix->username);
	wwtp_secret_free(ix->password);
	wwtp_buf_free(&ix->gz);
	wwtp_buf_free(&ix->resp);
	free(ix);
}

const char *wwtp_influx_target(const struct wwtp_influx *ix)
{
	return ix->target;
}

/* gzip of data into ix->gz. 0, or an error (then it is sent plain). */
WWTP_PRIVATE int gzip_body(struct wwtp_influx *ix, const char *data, size_t len)
{
	z_stream z;
	int rc;

	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip wrapper, which is what Content-Encoding: gzip means. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return WWTP_ERR_NOMEM;
	wwtp_buf_reset(&ix->gz);
	size_t bound = deflateBound(&z, (uLong)len);
	/* Grow once to the bound, then write into the buffer directly. */
	char *tmp = malloc(bound);
	if (!tmp) {
		deflateEnd(&z);
		return WWTP_ERR_NOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)tmp;
	z.avail_out = (uInt)bound;
	rc = deflate(&z, Z_FINISH);
	size_t outlen = bound - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(tmp);
		return WWTP_ERR_INVAL;
	}
	rc = wwtp_buf_add(&ix->gz, tmp, outlen);
	free(tmp);
	return rc;
}

WWTP_PRIVATE int classify(long http)
{
	if (http >= 200 && http < 300)
		return WWTP_INFLUX_OK;
	if (http == 400 || http == 422)
		return WWTP_INFLUX_BAD_DATA;
	if (http == 413)
		return WWTP_INFLUX_TOO_LARGE;
	if (http == 404)
		return WWTP_INFLUX_NO_DB;
	/* 401/403 (credentials), 429, 5xx and anything unexpected: a problem
	 * of the server or the setup, not of these lines, so they wait. */
	return WWTP_INFLUX_RETRY;
}

static int perform(struct wwtp_influx *ix, const char *url, const char *body, size_t len,
		   struct curl_slist *hdr, struct wwtp_influx_resp *r)
{
	CURL *c = ix->curl;
	CURLcode cc;

	wwtp_buf_reset(&ix->resp);
	ix->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	cc = curl_easy_perform(c);
	r->http = 0;
	r->text[0] = '\0';
	if (cc != CURLE_OK) {
		snprintf(r->text, sizeof(r->text), "%s",
			 ix->errbuf[0] ? ix->errbuf : curl_easy_strerror(cc));
		return WWTP_INFLUX_RETRY;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->http);
	if (ix->resp.len > 0) {
		snprintf(r->text, sizeof(r->text), "%s", ix->resp.data);
		r->text[strcspn(r->text, "\r\n")] = '\0';
	}
	if (r->http == 401 || r->http == 403) {
		/* InfluxDB's own words ("authorization failed") do not say
		 * which of our settings is wrong. */
		char said[sizeof(r->text)];
		snprintf(said, sizeof(said), "%s", r->text);
		snprintf(r->text, sizeof(r->text), "credentials refused, %s: %.200s", ix->auth_hint,
			 said);
	}
	return classify(r->http);
}

int wwtp_influx_post(struct wwtp_influx *ix, const char *data, size_t len,
		     struct wwtp_influx_resp *r)
{
	int v;
	if (len >= (size_t)ix->gzip_min_bytes && gzip_body(ix, data, len) == 0 &&
	    ix->gz.len < len) {
		v = perform(ix, ix->write_url, ix->gz.data, ix->gz.len, ix->hdr_gzip, r);
		LOG_DEBUG(INFLUX_MOD, "POST %zu bytes as %zu gzip: HTTP %ld", len, ix->gz.len,
			  r->http);
	} else {
		v = perform(ix, ix->write_url, data, len, ix->hdr_plain, r);
		LOG_DEBUG(INFLUX_MOD, "POST %zu bytes: HTTP %ld", len, r->http);
	}
	return v;
}

int wwtp_influx_create_db(struct wwtp_influx *ix, struct wwtp_influx_resp *r)
{
	struct curl_slist *h = NULL;

	if (!ix->create_body) {
		r->http = 0;
		snprintf(r->text, sizeof(r->text), "CREATE DATABASE is for InfluxDB 1.x");
		return WWTP_INFLUX_RETRY;
	}
	h = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
	if (!h) {
		r->http = 0;
		snprintf(r->text, sizeof(r->text), "out of memory");
		return WWTP_INFLUX_RETRY;
	}
	int v = perform(ix, ix->query_url, ix->create_body, strlen(ix->create_body), h, r);
	curl_easy_setopt(ix->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	/* 1.x answers 200 with {"results":[{"statement_id":0,"error":"..."}]}
	 * when a statement fails. */
	if (v == WWTP_INFLUX_OK && strstr(r->text, "\"error\""))
		return WWTP_INFLUX_RETRY;
	return v;
}

int wwtp_influx_query(struct wwtp_influx *ix, const char *q, struct wwtp_buf *body,
		      struct wwtp_influx_resp *r)
{
	struct wwtp_buf form;
	char *e;
	int v;

	wwtp_buf_reset(body);
	e = curl_easy_escape(ix->curl, q, 0);
	wwtp_buf_init(&form, (size_t)1 << 24);
	if (!e || wwtp_buf_adds(&form, "q=") != 0 || wwtp_buf_adds(&form, e) != 0) {
		curl_free(e);
		wwtp_buf_free(&form);
		r->http = 0;
		snprintf(r->text, sizeof(r->text), "query too long or out of memory");
		return WWTP_INFLUX_RETRY;
	}
	curl_free(e);
	/* The whole answer this time, into the caller's buffer (its cap
	 * bounds it: a cut answer does not parse, and says so). */
	curl_easy_setopt(ix->curl, CURLOPT_WRITEDATA, body);
	v = perform(ix, ix->read_url, form.data, form.len, ix->hdr_form, r);
	curl_easy_setopt(ix->curl, CURLOPT_WRITEDATA, &ix->resp);
	wwtp_buf_free(&form);
	if (v == WWTP_INFLUX_OK && body->len >= body->cap) {
		snprintf(r->text, sizeof(r->text), "answer larger than %zu bytes", body->cap);
		return WWTP_INFLUX_RETRY;
	}
	if (v != WWTP_INFLUX_OK && body->len > 0) {
		snprintf(r->text, sizeof(r->text), "%s", body->data);
		r->text[strcspn(r->text, "\r\n")] = '\0';
	}
	LOG_DEBUG(INFLUX_MOD, "query (%zu bytes): HTTP %ld, %zu bytes back", strlen(q), r->http,
		  body->len);
	return v;
}
