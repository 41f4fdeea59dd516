/* tt10_upload.c - sending the Circular 10/2021 files to one FTP/FTPS
 * server (see tt10_upload.h). */
#include "tt10_upload.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/err.h"
#include "../util/log.h"
#include "tt10_format.h"
#include "tt10_store.h"

#define MOD "tt10"
/* An idle uploader looks at its outbox this often even without a wake-up
 * (files left by an earlier run, a wake-up lost to a full disk). */
#define IDLE_LOOK_MS 60000
#define FIRST_RETRY_MS 1000
#define CONNECT_TIMEOUT_S 10
#define SECRET_MAX 256
/* Files refused in a row before a pass stops and backs off. */
#define MAX_REFUSALS 3

struct wwtp_tt10_uploader {
	const struct wwtp_tt10_config *c;
	const struct wwtp_tt10_server *s;
	char outbox[1024];
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;			     /* under mu */
	uint64_t wakes;			     /* under mu: wake-ups asked for */
	struct wwtp_tt10_upload_stats stats; /* under mu */
	int perm_warned;		     /* thread only */
	struct wwtp_complain fail_complain;
	char errbuf[CURL_ERROR_SIZE];
};

static int stopping(struct wwtp_tt10_uploader *u)
{
	pthread_mutex_lock(&u->mu);
	int s = u->stop;
	pthread_mutex_unlock(&u->mu);
	return s;
}

/* Waits up to ms, or until stopped, or (when woken_ok) until a wake-up
 * arrives after `seen`. Returns the wake-up count. */
static uint64_t wait_ms(struct wwtp_tt10_uploader *u, int64_t ms, int woken_ok, uint64_t seen)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&u->mu);
	while (!u->stop && !(woken_ok && u->wakes != seen)) {
		if (pthread_cond_timedwait(&u->cv, &u->mu, &ts) == ETIMEDOUT)
			break;
	}
	uint64_t w = u->wakes;
	pthread_mutex_unlock(&u->mu);
	return w;
}

/* Aborts a transfer once the collector stops. */
static int on_progress(void *p, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return stopping(p) ? 1 : 0;
}

/* The password: the first line of password_file. Never logged. */
static int read_secret(struct wwtp_tt10_uploader *u, char *out, size_t n)
{
	struct stat sb;
	FILE *f = fopen(u->s->password_file, "re");

	out[0] = '\0';
	if (!f) {
		wwtp_complain(&u->fail_complain, WWTP_LOG_ERROR, MOD,
			      "server %s: cannot read password_file %s: %s", u->s->name,
			      u->s->password_file, strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	if (!u->perm_warned && fstat(fileno(f), &sb) == 0 && (sb.st_mode & S_IRWXO)) {
		LOG_WARN(MOD,
			 "server %s: password_file %s can be read by other users: chmod 600 it",
			 u->s->name, u->s->password_file);
		u->perm_warned = 1;
	}
	if (!fgets(out, (int)n, f))
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

/* The server answered, but refused this file (its STOR, the rename): the
 * next files may still go, unlike when the server cannot be reached or
 * refuses the login. */
static int refused(CURLcode cc)
{
	return cc == CURLE_UPLOAD_FAILED || cc == CURLE_QUOTE_ERROR ||
	       cc == CURLE_REMOTE_FILE_EXISTS || cc == CURLE_REMOTE_ACCESS_DENIED;
}

/* One file: "<name>.tmp" up, then renamed. 0, WWTP_ERR_PROTO (the server
 * refused this file) or another error (the server is out of reach); the
 * reason is in u->errbuf. */
static int send_file(struct wwtp_tt10_uploader *u, CURL *curl, const char *name)
{
	char path[1100], stamp[WWTP_TT10_STAMP_LEN + 1], sub[WWTP_PATH_MAX], url[1024];
	char rnfr[WWTP_TT10_NAME_MAX + 16], rnto[WWTP_TT10_NAME_MAX + 16];
	char secret[SECRET_MAX];
	struct curl_slist *post = NULL, *p2;
	struct stat sb;
	int rc = WWTP_ERR_CONN;

	u->errbuf[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/%s", u->outbox, name) >= (int)sizeof(path) ||
	    wwtp_tt10_name_stamp(name, stamp) != 0 ||
	    wwtp_tt10_expand_dir(u->s->remote_dir, stamp, sub, sizeof(sub)) != 0 ||
	    snprintf(url, sizeof(url), "%s%s%s.tmp", u->s->url, sub, name) >= (int)sizeof(url) ||
	    snprintf(rnfr, sizeof(rnfr), "RNFR %s.tmp", name) >= (int)sizeof(rnfr) ||
	    snprintf(rnto, sizeof(rnto), "RNTO %s", name) >= (int)sizeof(rnto)) {
		snprintf(u->errbuf, sizeof(u->errbuf), "name or URL too long");
		return WWTP_ERR_RANGE;
	}
	if (u->s->password_file[0] && read_secret(u, secret, sizeof(secret)) != 0) {
		snprintf(u->errbuf, sizeof(u->errbuf), "no password");
		return WWTP_ERR_CONN;
	}
	FILE *f = fopen(path, "rbe");
	if (!f || fstat(fileno(f), &sb) != 0) {
		snprintf(u->errbuf, sizeof(u->errbuf), "cannot read %.160s: %s", path,
			 strerror(errno));
		if (f)
			fclose(f);
		return WWTP_ERR_ERRNO;
	}
	post = curl_slist_append(NULL, rnfr);
	p2 = post ? curl_slist_append(post, rnto) : NULL;
	if (!p2) {
		curl_slist_free_all(post);
		fclose(f);
		snprintf(u->errbuf, sizeof(u->errbuf), "out of memory");
		return WWTP_ERR_NOMEM;
	}

	curl_easy_reset(curl); /* keeps the connection for the next file */
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "ftp,ftps");
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_READDATA, f);
	curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)sb.st_size);
	curl_easy_setopt(curl, CURLOPT_USERNAME, u->s->user);
	if (u->s->password_file[0])
		curl_easy_setopt(curl, CURLOPT_PASSWORD, secret);
	curl_easy_setopt(curl, CURLOPT_FTP_CREATE_MISSING_DIRS, (long)CURLFTP_CREATE_DIR_RETRY);
	curl_easy_setopt(curl, CURLOPT_POSTQUOTE, post);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
	curl_easy_setopt(
	    curl, CURLOPT_CONNECTTIMEOUT,
	    (long)(u->s->timeout_s < CONNECT_TIMEOUT_S ? u->s->timeout_s : CONNECT_TIMEOUT_S));
	curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)u->s->timeout_s);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)u->s->timeout_s);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, u);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, u->errbuf);
	if (u->s->tls == WWTP_TT10_TLS_TRY)
		curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	else if (u->s->tls == WWTP_TT10_TLS_REQUIRED)
		curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (u->s->ca_file[0])
		curl_easy_setopt(curl, CURLOPT_CAINFO, u->s->ca_file);

	CURLcode cc = curl_easy_perform(curl);
	if (cc == CURLE_OK)
		rc = 0;
	else if (refused(cc))
		rc = WWTP_ERR_PROTO;
	if (cc != CURLE_OK && !u->errbuf[0])
		snprintf(u->errbuf, sizeof(u->errbuf), "%s", curl_easy_strerror(cc));
	/* The options point into this frame: drop them before it goes. */
	curl_easy_setopt(curl, CURLOPT_POSTQUOTE, NULL);
	curl_easy_setopt(curl, CURLOPT_PASSWORD, NULL);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
	memset(secret, 0, sizeof(secret));
	curl_slist_free_all(post);
	fclose(f);
	return rc;
}

static void *run(void *arg)
{
	struct wwtp_tt10_uploader *u = arg;
	int64_t backoff = 0;
	const int64_t max_ms = (int64_t)u->c->retry_max_s * 1000;
	uint64_t seen = 0;
	CURL *curl = curl_easy_init();

	if (!curl) {
		LOG_ERROR(MOD, "server %s: cannot set up libcurl: nothing is sent to it",
			  u->s->name);
		return NULL;
	}
	while (!stopping(u)) {
		struct wwtp_tt10_names l;
		pthread_mutex_lock(&u->mu);
		seen = u->wakes;
		pthread_mutex_unlock(&u->mu);
		int rc = wwtp_tt10_store_list(u->outbox, &l);
		if (rc) {
			wwtp_complain(&u->fail_complain, WWTP_LOG_ERROR, MOD,
				      "server %s: cannot list %s: %s", u->s->name, u->outbox,
				      rc == WWTP_ERR_ERRNO ? strerror(errno) : wwtp_strerror(rc));
			wait_ms(u, IDLE_LOOK_MS, 1, seen);
			continue;
		}
		pthread_mutex_lock(&u->mu);
		u->stats.waiting = l.n;
		pthread_mutex_unlock(&u->mu);
		int failed = 0, refusals = 0;
		size_t left = l.n;
		/* The wait after this pass if it fails: 1 s, doubling up to
		 * retry_max_s while passes keep failing. */
		int64_t next = backoff ? backoff * 2 : FIRST_RETRY_MS;
		if (next > max_ms)
			next = max_ms;
		for (size_t i = 0; i < l.n && !stopping(u); i++) {
			int why = send_file(u, curl, l.v[i]);
			if (why != 0) {
				if (stopping(u))
					break; /* aborted by us, not a fault of the server */
				failed = 1;
				pthread_mutex_lock(&u->mu);
				u->stats.failed++;
				u->stats.waiting = left;
				pthread_mutex_unlock(&u->mu);
				wwtp_complain(
				    &u->fail_complain, WWTP_LOG_WARN, MOD,
				    "server %s (%s): cannot send %s: %s; %zu files waiting, "
				    "next attempt in %" PRId64 " ms",
				    u->s->name, u->s->url, l.v[i], u->errbuf, left, next);
				/* A file the server refuses must not hold back the
				 * others for ever; a server out of reach stops the
				 * pass, as do a few refusals in a row (a folder it
				 * will not let us write). */
				if (why != WWTP_ERR_PROTO || ++refusals >= MAX_REFUSALS)
					break;
				continue;
			}
			refusals = 0;
			left--;
			char path[1100];
			snprintf(path, sizeof(path), "%s/%s", u->outbox, l.v[i]);
			if (unlink(path) != 0 && errno != ENOENT)
				LOG_ERROR(MOD,
					  "server %s: sent %s but cannot remove it from %s: %s",
					  u->s->name, l.v[i], u->outbox, strerror(errno));
			pthread_mutex_lock(&u->mu);
			u->stats.sent++;
			u->stats.waiting = left;
			pthread_mutex_unlock(&u->mu);
			LOG_DEBUG(MOD, "server %s: sent %s", u->s->name, l.v[i]);
		}
		wwtp_tt10_names_free(&l);
		if (failed) {
			backoff = next;
			wait_ms(u, backoff, 0, seen); /* a new file does not cut a back-off */
			continue;
		}
		if (backoff && !stopping(u))
			wwtp_complain_release(&u->fail_complain, MOD,
					      "server %s (%s) receives files again", u->s->name,
					      u->s->url);
		backoff = 0;
		if (!stopping(u))
			wait_ms(u, IDLE_LOOK_MS, 1, seen);
	}
	curl_easy_cleanup(curl);
	return NULL;
}

struct wwtp_tt10_uploader *wwtp_tt10_uploader_start(const struct wwtp_tt10_config *c,
						    const struct wwtp_tt10_server *s)
{
	pthread_condattr_t ca;
	struct wwtp_tt10_uploader *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->c = c;
	u->s = s;
	u->fail_complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	if (wwtp_tt10_outbox_path(c->dir, s->name, u->outbox, sizeof(u->outbox)) != 0) {
		LOG_ERROR(MOD, "server %s: outbox path too long", s->name);
		free(u);
		return NULL;
	}
	pthread_mutex_init(&u->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&u->cv, &ca);
	pthread_condattr_destroy(&ca);
	int rc = pthread_create(&u->thread, NULL, run, u);
	if (rc != 0) {
		LOG_ERROR(MOD, "server %s: cannot start its thread: %s", s->name, strerror(rc));
		pthread_cond_destroy(&u->cv);
		pthread_mutex_destroy(&u->mu);
		free(u);
		return NULL;
	}
	return u;
}

void wwtp_tt10_uploader_wake(struct wwtp_tt10_uploader *u)
{
	pthread_mutex_lock(&u->mu);
	u->wakes++;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
}

void wwtp_tt10_uploader_stats(struct wwtp_tt10_uploader *u, struct wwtp_tt10_upload_stats *out)
{
	pthread_mutex_lock(&u->mu);
	*out = u->stats;
	pthread_mutex_unlock(&u->mu);
}

void wwtp_tt10_uploader_stop(struct wwtp_tt10_uploader *u)
{
	if (!u)
		return;
	pthread_mutex_lock(&u->mu);
	u->stop = 1;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	pthread_join(u->thread, NULL);
	pthread_cond_destroy(&u->cv);
	pthread_mutex_destroy(&u->mu);
	free(u);
}
