/* api.h - the HTTP API's routes (docs/api.md): a request in, a status and a
 * JSON body out. No sockets here (http.c serves it), so the unit tests call
 * it directly.
 *
 *   GET /api/health
 *   GET /api/stations
 *   GET /api/stations/{id}
 *   GET /api/stations/{id}/params
 *   GET /api/stations/{id}/series?param=&from=&to=&every=
 *   GET /api/stations/{id}/completeness?from=&to=
 *   GET /api/alerts?station=&kind=&state=&param=&from=&to=&limit=
 *   GET /api/stations/{id}/samples?from=&to=
 *   POST /api/stations/{id}/samples        operators; a laboratory result
 *   POST /api/alerts/{id}/ack             operators; body {"comment": "..."}
 *   POST /api/session, DELETE /api/session, GET /api/me     log-in, log-out
 *
 * Every route goes through one access check first (api_authorize in
 * api.c): a session cookie or HTTP Basic (auth.h), the CSRF checks for
 * what changes anything, the role for acknowledgements (docs/web.md). Bad
 * input gets 400 with {"error": "..."}: unknown parameters, a parameter
 * twice, bad times or numbers; unknown stations, params and routes 404;
 * other methods 405. One table in api_routes.c (`wwtp_api_routes[]`) lists
 * the routes: it drives the dispatch, the index at /api and the 404/405
 * answers. */
#ifndef WWTP_CENTRAL_API_H
#define WWTP_CENTRAL_API_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "acks.h"
#include "auth.h"
#include "../config/config.h"
#include "../ingest/registry.h"
#include "../monitor/monitor.h"

#define WWTP_API_ARGS_MAX 16
#define WWTP_API_COOKIE "wwtp_session"

struct wwtp_api;

/* Adds to /api/health what the caller knows (MQTT, the writer). */
typedef void (*wwtp_api_health_fn)(void *ctx, json_t *health);

struct wwtp_api_opts {
	struct wwtp_monitor *mon;
	const struct wwtp_central_influx *influx; /* for series; NULL: 503 for series */
	wwtp_api_health_fn health;		  /* may be NULL */
	void *health_ctx;
	/* Who may do what. NULL: no access check and no acknowledgements, the
	 * API only reads (the unit tests and the fuzzer); wwtp-central always
	 * gives one. */
	struct wwtp_auth *auth;
	struct wwtp_acks *acks; /* with auth */
	/* For completeness: the stations' devices; NULL: 503 there. */
	const struct wwtp_registry *reg;
	int lost_after_s;
	/* Laboratory samples (ingest/labsample.h); NULL: the defaults
	 * (window 1800 s, 20 %, no absolute tolerance). */
	const struct wwtp_central_lab *lab;
};

/* NULL on NOMEM. The monitor (and auth, acks) must outlive the API. */
struct wwtp_api *wwtp_api_new(const struct wwtp_api_opts *o);
void wwtp_api_free(struct wwtp_api *a); /* accepts NULL */

struct wwtp_api_arg {
	const char *key;
	const char *value; /* "" when given without '=' */
};

struct wwtp_api_request {
	const char *method;
	const char *path; /* decoded, without the query */
	const struct wwtp_api_arg *args;
	size_t nargs;
	int64_t now_ms;
	/* From the HTTP layer; NULL (0) when absent. */
	const char *client;	    /* the peer's address: log-in limits, logs */
	const char *session;	    /* the session cookie's value */
	const char *authorization;  /* the Authorization header */
	const char *csrf;	    /* X-CSRF-Token */
	const char *requested_with; /* X-Requested-With: the page's own requests */
	const char *origin, *host;
	const char *content_type;
	const char *body; /* the request body, size-limited by http.c */
	size_t body_len;
	int tls; /* came over TLS: the cookie gets Secure */
};

struct wwtp_api_response {
	int status;
	char *body; /* JSON text, malloc'ed: the caller frees it */
	size_t len;
	char total[24];		  /* X-Total-Count when not "" (lists that may be cut) */
	char set_cookie[192];	  /* Set-Cookie when not "" */
	int www_authenticate;	  /* a 401 that asks for Basic */
	int retry_after_s;	  /* Retry-After when > 0 (429) */
	const char *allow;	  /* Allow of a 405 */
	const char *content_type; /* NULL: JSON */
	const char *attachment;	  /* a file name to save the body as; NULL: none */
};

/* Answers req. Thread-safe (the monitor locks; series queries take turns
 * on one InfluxDB client). Always fills resp (500 with a body when out of
 * memory, body NULL only if even that fails). */
void wwtp_api_handle(struct wwtp_api *a, const struct wwtp_api_request *req,
		     struct wwtp_api_response *resp);

/* The access check alone, for routes served outside this file (the monthly
 * report): 0 and *who, or -1 with resp filled (401, 429). */
int wwtp_api_authenticate(struct wwtp_api *a, const struct wwtp_api_request *req,
			  struct wwtp_principal *who, struct wwtp_api_response *resp);

/* Parses a time parameter: "2026-01-31T17:00:00Z", with .mmm, or epoch
 * milliseconds. 0 or WWTP_ERR_INVAL. Pure. */
int wwtp_api_parse_time(const char *s, int64_t *ms);
/* Parses a duration "90s", "5m", "1h", "1d" (a positive integer and one
 * unit) into ms. 0 or WWTP_ERR_INVAL. Pure. */
int wwtp_api_parse_duration(const char *s, int64_t *ms);

#endif
