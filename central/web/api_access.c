/* api_access.c - who may use the API (api.h, docs/web.md): the one access
 * check (a session cookie or HTTP Basic, the CSRF checks, the role), and
 * the routes of the session: log-in, log-out, who am I. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/timeutil.h"
#include "api-private.h"

static int starts_ci(const char *s, const char *prefix)
{
	return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* A request that changes something must come from the page's own origin:
 * browsers send Origin with every POST and DELETE; scripts send none. */
static int same_origin(const struct wwtp_api_request *q)
{
	if (!q->origin)
		return 1;
	const char *o = strstr(q->origin, "://");
	return o && q->host && strcasecmp(o + 3, q->host) == 0;
}

/* "Basic base64(user:password)" into user and pass. 0 or -1. */
static int parse_basic(const char *h, char *user, size_t un, char *pass, size_t pn)
{
	unsigned char bin[WWTP_AUTH_USER_MAX + WWTP_AUTH_PASSWORD_MAX + 8];
	size_t n = 0;
	int rc = -1;

	if (!starts_ci(h, "Basic "))
		return -1;
	h += 6;
	while (*h == ' ')
		h++;
	if (sodium_base642bin(bin, sizeof(bin) - 1, h, strlen(h), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	bin[n] = '\0';
	char *colon = memchr(bin, ':', n);
	if (colon && !memchr(bin, '\0', n)) {
		*colon = '\0';
		size_t ul = strlen((char *)bin), pl = strlen(colon + 1);
		if (ul < un && pl < pn) {
			memcpy(user, bin, ul + 1);
			memcpy(pass, colon + 1, pl + 1);
			rc = 0;
		}
	}
	sodium_memzero(bin, sizeof(bin));
	return rc;
}

/* The cookie that ends the browser's session. */
static void clear_cookie(const struct wwtp_api_request *q, struct wwtp_api_response *r)
{
	snprintf(r->set_cookie, sizeof(r->set_cookie),
		 WWTP_API_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
		 q->tls ? "; Secure" : "");
}

static void unauthorized(const struct wwtp_api_request *q, struct wwtp_api_response *r,
			 const char *why)
{
	api_error(r, 401, "%s", why);
	/* Not for the page's own requests: the browser would pop up its
	 * Basic dialog over the log-in form. */
	r->www_authenticate = q->requested_with == NULL;
}

static void too_many(struct wwtp_api_response *r, int64_t retry_ms)
{
	int s = (int)((retry_ms + 999) / 1000);
	if (s < 1)
		s = 1;
	api_error(r, 429, "too many failed log-ins: try again in %d s", s);
	r->retry_after_s = s;
}

int wwtp_api_authenticate(struct wwtp_api *a, const struct wwtp_api_request *q,
			  struct wwtp_principal *who, struct wwtp_api_response *r)
{
	memset(who, 0, sizeof(*who));
	if (!a->auth) {
		/* No access check (the tests): read-only. */
		snprintf(who->user, sizeof(who->user), "-");
		who->role = WWTP_ROLE_INSPECTOR;
		return 0;
	}
	if (q->authorization) {
		char user[WWTP_AUTH_USER_MAX], pass[WWTP_AUTH_PASSWORD_MAX + 1];
		int64_t retry = 0;
		if (parse_basic(q->authorization, user, sizeof(user), pass, sizeof(pass)) != 0) {
			unauthorized(
			    q, r, "the Authorization header is not HTTP Basic with user:password");
			return -1;
		}
		int rc = wwtp_auth_basic(a->auth, user, pass, q->client, q->now_ms, who, &retry);
		sodium_memzero(pass, sizeof(pass));
		if (rc == WWTP_AUTH_LIMITED) {
			too_many(r, retry);
			return -1;
		}
		if (rc != 0) {
			unauthorized(q, r, "wrong user name or password");
			return -1;
		}
		return 0;
	}
	if (q->session && wwtp_auth_session(a->auth, q->session, q->now_ms, who) == 0)
		return 0;
	unauthorized(q, r,
		     q->session ? "the session has ended: log in again"
				: "log in first: POST /api/session, or HTTP Basic (docs/web.md)");
	if (q->session)
		clear_cookie(q, r);
	return -1;
}

/* The access check before every route but the log-in: who asks, and for
 * what changes anything (changes), that it comes from our origin and, in a
 * session, carries the session's CSRF token. 0, or -1 with the answer. */
int api_authorize(struct wwtp_api *a, const struct wwtp_api_request *q, int changes,
		  struct wwtp_principal *who, struct wwtp_api_response *r)
{
	if (wwtp_api_authenticate(a, q, who, r) != 0)
		return -1;
	if (!changes)
		return 0;
	if (!same_origin(q)) {
		api_error(r, 403, "cross-origin request refused");
		return -1;
	}
	if (who->session && (!q->csrf || strlen(q->csrf) != strlen(who->csrf) ||
			     sodium_memcmp(q->csrf, who->csrf, strlen(who->csrf)) != 0)) {
		api_error(r, 403,
			  "missing or wrong X-CSRF-Token header (the page sends the token "
			  "/api/me gives)");
		return -1;
	}
	return 0;
}

/* The JSON object of a request body that must be one. NULL with a 400 or
 * 415 answer. */
json_t *api_body_object(const struct wwtp_api_request *q, struct wwtp_api_response *r)
{
	json_error_t e;
	if (!starts_ci(q->content_type, "application/json")) {
		api_error(r, 415, "send the body as Content-Type: application/json");
		return NULL;
	}
	json_t *o = q->body ? json_loadb(q->body, q->body_len, JSON_REJECT_DUPLICATES, &e) : NULL;
	if (!json_is_object(o)) {
		json_decref(o);
		api_error(r, 400, "the body is not a JSON object");
		return NULL;
	}
	return o;
}

json_t *api_time_or_null(int64_t ms)
{
	char t[32];
	return ms > 0 && wwtp_format_utc(ms, t, sizeof(t)) == 0 ? json_string(t) : json_null();
}

json_t *api_who_json(const struct wwtp_principal *who)
{
	json_t *o = json_object();
	json_object_set_new(o, "user", json_string(who->user));
	json_object_set_new(o, "role", json_string(wwtp_role_name(who->role)));
	json_object_set_new(o, "via", json_string(who->session ? "session" : "basic"));
	json_object_set_new(o, "can_ack", json_boolean(who->role == WWTP_ROLE_OPERATOR));
	if (who->session) {
		json_object_set_new(o, "csrf", json_string(who->csrf));
		json_object_set_new(o, "idle_until", api_time_or_null(who->idle_until_ms));
		json_object_set_new(o, "expires", api_time_or_null(who->expires_ms));
	}
	return o;
}

/* POST /api/session {"user", "password"}: the log-in. */
void wwtp_api_route_login(struct wwtp_api *a, const struct wwtp_api_request *q,
			  struct wwtp_api_response *r)
{
	char token[WWTP_AUTH_TOKEN_LEN + 1];
	struct wwtp_principal who;
	int64_t retry = 0;

	if (!same_origin(q)) {
		api_error(r, 403, "cross-origin request refused");
		return;
	}
	json_t *o = api_body_object(q, r);
	if (!o)
		return;
	const char *user = json_string_value(json_object_get(o, "user"));
	const char *pass = json_string_value(json_object_get(o, "password"));
	if (!user || !pass) {
		json_decref(o);
		api_error(r, 400, "give {\"user\": \"...\", \"password\": \"...\"}");
		return;
	}
	int rc = wwtp_auth_login(a->auth, user, pass, q->client, q->now_ms, token, &who, &retry);
	json_decref(o);
	if (rc == WWTP_AUTH_LIMITED) {
		too_many(r, retry);
		return;
	}
	if (rc != 0) {
		api_error(r, rc == WWTP_AUTH_DENIED ? 401 : 500, "%s",
			  rc == WWTP_AUTH_DENIED ? "wrong user name or password" : "out of memory");
		return;
	}
	snprintf(r->set_cookie, sizeof(r->set_cookie),
		 WWTP_API_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", token,
		 (long long)((who.expires_ms - q->now_ms) / 1000), q->tls ? "; Secure" : "");
	sodium_memzero(token, sizeof(token));
	api_finish(r, 200, api_who_json(&who));
}

/* DELETE /api/session: the log-out. */
void wwtp_api_route_logout(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			   const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	(void)id;
	if (!who->session) {
		api_error(r, 400, "no session to end: HTTP Basic has none");
		return;
	}
	wwtp_auth_logout(a->auth, q->session);
	clear_cookie(q, r);
	json_t *o = json_object();
	json_object_set_new(o, "logged_out", json_string(who->user));
	api_finish(r, 200, o);
}

/* The acknowledgement of each alert of an array, where there is one. */

/* GET /api/me: who is asking. */
void wwtp_api_route_me(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
		       const struct wwtp_principal *who, struct wwtp_api_response *r)
{
	static const char *const known[] = {NULL};
	(void)a;
	(void)id;
	if (api_check_args(q, known, r) == 0)
		api_finish(r, 200, api_who_json(who));
}
