/* send.c - see send.h. */
#include "send.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/secret.h"

#define MOD "notify"

struct wwtp_sender {
	struct wwtp_notify_smtp smtp;
	int has_smtp;
	char *password; /* NULL: no log-in */
	long timeout_s;
	CURL *mail, *hook; /* kept: their connections are reused */
};

int wwtp_sender_new(const struct wwtp_notify_smtp *smtp, int timeout_s, struct wwtp_sender **out)
{
	struct wwtp_sender *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return WWTP_ERR_NOMEM;
	s->timeout_s = timeout_s;
	if (smtp) {
		s->smtp = *smtp;
		s->has_smtp = 1;
		if (smtp->password_file[0]) {
			int rc = wwtp_secret_read(smtp->password_file, "notify.smtp password_file",
						  MOD, &s->password);
			if (rc != 0) {
				free(s);
				return rc;
			}
		}
	}
	*out = s;
	return 0;
}

void wwtp_sender_free(struct wwtp_sender *s)
{
	if (!s)
		return;
	if (s->mail)
		curl_easy_cleanup(s->mail);
	if (s->hook)
		curl_easy_cleanup(s->hook);
	wwtp_secret_free(s->password);
	free(s);
}

struct reader {
	const char *p;
	size_t left;
};

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *ctx)
{
	struct reader *r = ctx;
	size_t n = size * nmemb < r->left ? size * nmemb : r->left;

	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return n;
}

static size_t discard_cb(char *p, size_t size, size_t nmemb, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * nmemb;
}

int wwtp_send_mail(struct wwtp_sender *s, const char *to, const char *msg, size_t len, char *why,
		   size_t whyn)
{
	struct curl_slist *rcpt = NULL;
	struct reader r = {msg, len};
	char from[WWTP_NOTIFY_ADDR_MAX + 2], rc_to[WWTP_NOTIFY_ADDR_MAX + 2];
	char err[CURL_ERROR_SIZE];
	long code = 0;
	CURLcode rc;

	if (!s->has_smtp) {
		snprintf(why, whyn, "no smtp group");
		return WWTP_ERR_PROTO;
	}
	if (!s->mail && !(s->mail = curl_easy_init())) {
		snprintf(why, whyn, "out of memory");
		return WWTP_ERR_CONN;
	}
	CURL *c = s->mail;
	snprintf(from, sizeof(from), "<%s>", s->smtp.from);
	snprintf(rc_to, sizeof(rc_to), "<%s>", to);
	rcpt = curl_slist_append(NULL, rc_to);
	if (!rcpt) {
		snprintf(why, whyn, "out of memory");
		return WWTP_ERR_CONN;
	}
	err[0] = '\0';
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, s->smtp.url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &r);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, s->timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, s->timeout_s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_USE_SSL,
			 s->smtp.use_ssl == 2	? (long)CURLUSESSL_ALL
			 : s->smtp.use_ssl == 1 ? (long)CURLUSESSL_TRY
						: (long)CURLUSESSL_NONE);
	if (s->smtp.ca_file[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, s->smtp.ca_file);
	if (s->password) {
		curl_easy_setopt(c, CURLOPT_USERNAME, s->smtp.username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->password);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	/* The password is not left in the handle between messages. */
	curl_easy_setopt(c, CURLOPT_PASSWORD, NULL);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpt);
	if (rc == CURLE_OK)
		return 0;
	snprintf(why, whyn, "%s%s%s (SMTP %ld)", curl_easy_strerror(rc), err[0] ? ": " : "", err,
		 code);
	/* A connection that failed is not kept. */
	curl_easy_cleanup(c);
	s->mail = NULL;
	/* A refused log-in is ours to fix (the password file), not the
	 * message's: retried like an outage. A 5xx to the message itself
	 * (MAIL, RCPT, DATA) is the message's. */
	if (rc == CURLE_LOGIN_DENIED)
		return WWTP_ERR_CONN;
	return code >= 500 && code < 600 ? WWTP_ERR_PROTO : WWTP_ERR_CONN;
}

int wwtp_send_hook(struct wwtp_sender *s, const char *url, const char *key, const char *body,
		   size_t len, char *why, size_t whyn)
{
	struct curl_slist *hdr = NULL;
	char idem[WWTP_NOTIFY_ADDR_MAX], err[CURL_ERROR_SIZE];
	long code = 0;
	CURLcode rc;

	if (!s->hook && !(s->hook = curl_easy_init())) {
		snprintf(why, whyn, "out of memory");
		return WWTP_ERR_CONN;
	}
	CURL *c = s->hook;
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", key);
	hdr = curl_slist_append(hdr, "Content-Type: application/json; charset=utf-8");
	if (hdr)
		hdr = curl_slist_append(hdr, idem);
	if (!hdr) {
		snprintf(why, whyn, "out of memory");
		return WWTP_ERR_CONN;
	}
	err[0] = '\0';
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, s->timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, s->timeout_s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	if (rc == CURLE_OK && code >= 200 && code < 300)
		return 0;
	if (rc != CURLE_OK)
		snprintf(why, whyn, "%s%s%s", curl_easy_strerror(rc), err[0] ? ": " : "", err);
	else
		snprintf(why, whyn, "HTTP %ld", code);
	return WWTP_ERR_CONN;
}
