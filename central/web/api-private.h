/* api-private.h - the API's insides, shared by its files: api.c (the
 * answers, the dispatch over the route table), api_access.c (who may ask:
 * the access check, log-in, log-out) and api_routes.c (the routes and
 * their table). Nothing else includes this. */
#ifndef WWTP_CENTRAL_API_PRIVATE_H
#define WWTP_CENTRAL_API_PRIVATE_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "../config/config.h"
#include "../ingest/influx.h"
#include "api.h"

#ifndef WWTP_VERSION
#define WWTP_VERSION "0.0.0"
#endif

#define API_MOD "api"
#define API_ALERTS_LIMIT 1000 /* default of /api/alerts?limit */
#define API_ALERTS_LIMIT_MAX 10000
#define API_CSV_MAX ((size_t)32 << 20) /* /api/alerts.csv */
#define API_SERIES_POINTS_MAX 10000    /* per answer */
#define API_SERIES_DEFAULT_MS (24 * 3600 * 1000LL)
#define API_SERIES_ANSWER_MAX ((size_t)64 << 20)
#define API_CS_ID "abcdefghijklmnopqrstuvwxyz0123456789-"
#define API_CS_PARAM "abcdefghijklmnopqrstuvwxyz0123456789_"

struct wwtp_api {
	struct wwtp_monitor *mon;
	int have_influx;
	struct wwtp_central_influx influx;
	wwtp_api_health_fn health;
	void *health_ctx;
	struct wwtp_auth *auth; /* NULL: open, read-only (tests) */
	struct wwtp_acks *acks;
	/* One InfluxDB client for the series route; requests take turns. */
	pthread_mutex_t ix_lock;
	struct wwtp_influx *ix;
	const struct wwtp_registry *reg;
	int lost_after_s;
	struct wwtp_central_lab lab;
};

/* ---- answers (api.c) ---- */

/* Sets r's status and its body from body (taken; NULL: 500). */
void api_finish(struct wwtp_api_response *r, int status, json_t *body);
/* {"error": text, "status": status}. */
void api_error(struct wwtp_api_response *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Text from a client, fit to be echoed in JSON: printable ASCII, at most
 * 64 bytes (anything else becomes '?'). */
void api_echo(const char *in, char *out, size_t n);
/* s is 1..max-1 bytes, all of cs. */
int api_in_charset(const char *s, const char *cs, size_t max);
/* Checks the query's parameters against those the route knows (a NULL-
 * terminated list). 0, or -1 with a 400 answer. */
int api_check_args(const struct wwtp_api_request *q, const char *const *known,
		   struct wwtp_api_response *r);
/* The value of parameter key ("" when it has none), or NULL. */
const char *api_arg(const struct wwtp_api_request *q, const char *key);
/* from/to: the time, or dflt when absent. -1 with a 400 answer when bad. */
int api_time_arg(const struct wwtp_api_request *q, const char *key, int64_t dflt, int64_t *out,
		 struct wwtp_api_response *r);

/* ---- who may ask (api_access.c) ---- */

/* The access check every route but the log-in goes through: 0 and *who,
 * or -1 with the answer (401, 403, 429). changes: the request changes
 * something (the CSRF checks and the role apply). */
int api_authorize(struct wwtp_api *a, const struct wwtp_api_request *q, int changes,
		  struct wwtp_principal *who, struct wwtp_api_response *r);
/* The request's JSON object body, or NULL with a 400/415 answer. */
json_t *api_body_object(const struct wwtp_api_request *q, struct wwtp_api_response *r);
json_t *api_time_or_null(int64_t ms);
json_t *api_who_json(const struct wwtp_principal *who);

/* ---- the routes (api_routes.c, api_access.c, api.c) ---- */

/* A route's handler: id is the path's {id}, or NULL when it has none. */
typedef void (*route_fn)(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			 const struct wwtp_principal *who, struct wwtp_api_response *r);

enum { M_GET = 1, M_POST = 2, M_DELETE = 4 }; /* HEAD is GET */

struct api_route {
	const char *path;  /* "{id}": one path segment; "{id+}": one or more bytes */
	unsigned methods;  /* M_* */
	const char *allow; /* the Allow header of a 405 */
	route_fn fn;	   /* NULL: served by http.c, not JSON (see there) */
	const char *index; /* how /api lists it; NULL: not listed there */
};
extern const struct api_route wwtp_api_routes[];
extern const size_t wwtp_api_nroutes;

/* POST /api/session, before the access check (api.c dispatches it). */
void wwtp_api_route_login(struct wwtp_api *a, const struct wwtp_api_request *q,
			  struct wwtp_api_response *r);
void wwtp_api_route_logout(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			   const struct wwtp_principal *who, struct wwtp_api_response *r);
void wwtp_api_route_me(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
		       const struct wwtp_principal *who, struct wwtp_api_response *r);
/* GET and POST /api/stations/{id}/samples (api_samples.c). */
void wwtp_api_route_samples(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			    const struct wwtp_principal *who, struct wwtp_api_response *r);
/* GET / and /api: what there is to read (api.c, from the table). */
void wwtp_api_route_index(struct wwtp_api *a, const struct wwtp_api_request *q, const char *id,
			  const struct wwtp_principal *who, struct wwtp_api_response *r);

#endif
