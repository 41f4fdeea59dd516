/* http.c - libmicrohttpd glue for the page and the API (see http.h). */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/secret.h"
#include "../../util/timeutil.h"
#include "../report/archive.h"
#include "../report/report.h"
#include "web_assets.h"

#define HTTP_MOD "http"
#define HTTP_PEM_MAX (1 << 20)
#define HTTP_REPORT_MAX ((size_t)32 << 20)

/* The page's policy: its own files only, no inline script or style, no
 * framing, forms only to itself. */
#define CSP_PAGE                                                                                   \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "             \
	"frame-ancestors 'none'"
/* A monthly report is one self-contained document: its inline styles and
 * SVG, and no script at all. */
#define CSP_REPORT                                                                                 \
	"default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "          \
	"form-action 'none'; frame-ancestors 'none'"

/* Slow clients. libmicrohttpd's timeout is per idle period: a client
 * sending one header byte every few seconds holds its connection (and, one
 * thread per connection, its thread) for ever, and 200 such connections
 * from a dozen addresses fill every slot, so nobody else is answered. So
 * each connection is watched here (guard_*): while it is receiving a
 * request (from its start, or from the end of its previous answer, until
 * the request is in whole, body included) it has timeout_s in all; past
 * that a watchdog thread shuts its socket down (its own thread then closes
 * it). And when `connections` are open, a new connection takes the place of
 * one still receiving its request, from the address holding the most such
 * (on_accept): slow clients then push out each other, while a client that
 * sends its request at once is answered. Connections being answered are
 * never cut here. */
#define GUARD_TICK_MS 250

enum slot_state { SLOT_FREE = 0, SLOT_RECEIVING, SLOT_ANSWERING };

struct slot {
	enum slot_state state;
	int fd;
	unsigned char addr[16]; /* the client's address (IPv4 in the first 4) */
	int cut;		/* shut down by the guard, closing */
	int64_t since;		/* monotonic: start of the current receiving phase */
};

struct guard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int running, stop;
	struct slot *slots;
	size_t nslots;	  /* libmicrohttpd's hard limit: connections and headroom */
	size_t limit;	  /* http.connections */
	int64_t bound_ms; /* http.timeout_s */
	uint64_t cut_slow, evicted, evicted_said;
	struct wwtp_complain complain;
};

struct wwtp_http {
	struct MHD_Daemon *d;
	struct guard g;
	struct wwtp_api *api;
	const struct wwtp_central_cfg *cfg;
	size_t max_body;
	int tls;
	int port;
	char *cert, *key; /* PEM, for libmicrohttpd */
};

/* One request's state, from its first call to its end. */
struct conn {
	char *body;
	size_t len;
	int too_big;
};

struct args {
	struct wwtp_api_arg a[WWTP_API_ARGS_MAX];
	size_t n;
	int too_many;
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	struct args *g = cls;
	(void)kind;
	if (g->n == WWTP_API_ARGS_MAX) {
		g->too_many = 1;
		return MHD_NO;
	}
	g->a[g->n].key = key ? key : "";
	g->a[g->n].value = value ? value : "";
	g->n++;
	return MHD_YES;
}

/* The headers every answer carries. */
static void protect(const struct wwtp_http *h, struct MHD_Response *resp, const char *csp)
{
	MHD_add_response_header(resp, "Content-Security-Policy", csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(resp, "Permissions-Policy",
				"camera=(), microphone=(), geolocation=()");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (h->tls)
		MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
}

static enum MHD_Result answer(const struct wwtp_http *h, struct MHD_Connection *c,
			      struct wwtp_api_response *r)
{
	static char fallback[] = "{\"error\":\"out of memory\",\"status\":500}";
	struct MHD_Response *resp;
	enum MHD_Result ok;
	char n[16];

	if (r->body)
		resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(strlen(fallback), fallback,
						       MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(r->body);
		return MHD_NO;
	}
	protect(h, resp, CSP_PAGE);
	MHD_add_response_header(resp, "Content-Type",
				r->content_type ? r->content_type
						: "application/json; charset=utf-8");
	if (r->attachment) {
		char cd[96];
		snprintf(cd, sizeof(cd), "attachment; filename=\"%s\"", r->attachment);
		MHD_add_response_header(resp, "Content-Disposition", cd);
	}
	if (r->allow)
		MHD_add_response_header(resp, "Allow", r->allow);
	if (r->total[0])
		MHD_add_response_header(resp, "X-Total-Count", r->total);
	if (r->set_cookie[0])
		MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
	if (r->www_authenticate)
		MHD_add_response_header(resp, "WWW-Authenticate",
					"Basic realm=\"wwtp-central\", charset=\"UTF-8\"");
	if (r->retry_after_s > 0) {
		snprintf(n, sizeof(n), "%d", r->retry_after_s);
		MHD_add_response_header(resp, "Retry-After", n);
	}
	ok = MHD_queue_response(c, (unsigned)(r->body ? r->status : 500), resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result answer_error(const struct wwtp_http *h, struct MHD_Connection *c, int status,
				    const char *text)
{
	struct wwtp_api_response r;
	memset(&r, 0, sizeof(r));
	json_t *o = json_object();
	json_object_set_new(o, "error", json_string(text));
	json_object_set_new(o, "status", json_integer(status));
	r.status = status;
	r.body = json_dumps(o, JSON_COMPACT);
	r.len = r.body ? strlen(r.body) : 0;
	json_decref(o);
	return answer(h, c, &r);
}

/* The page's own files. */
static const struct wwtp_web_asset *find_asset(const char *url)
{
	for (size_t i = 0; i < wwtp_web_nassets; i++)
		if (strcmp(wwtp_web_assets[i].path, url) == 0)
			return &wwtp_web_assets[i];
	return NULL;
}

static enum MHD_Result serve_asset(const struct wwtp_http *h, struct MHD_Connection *c,
				   const struct wwtp_web_asset *a)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    a->len, (void *)(uintptr_t)a->data, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	protect(h, resp, CSP_PAGE);
	MHD_add_response_header(resp, "Content-Type", a->type);
	enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ok;
}

static const char *arg_of(const struct args *g, const char *key)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->a[i].key, key) == 0)
			return g->a[i].value;
	return NULL;
}

/* GET /report?month=YYYY-MM[&station=ID][&lang=vi|en][&format=html|csv]:
 * the monthly summary (report.h), for anyone logged in. */
static enum MHD_Result serve_report(struct wwtp_http *h, struct MHD_Connection *c,
				    const struct wwtp_api_request *q, const struct args *g)
{
	struct wwtp_api_response r;
	struct wwtp_principal who;
	struct wwtp_buf out;
	char err[256] = "";

	memset(&r, 0, sizeof(r)); /* authenticate fills only what it answers */
	if (wwtp_api_authenticate(h->api, q, &who, &r) != 0)
		return answer(h, c, &r);
	for (size_t i = 0; i < g->n; i++) {
		const char *k = g->a[i].key;
		if (strcmp(k, "month") && strcmp(k, "station") && strcmp(k, "lang") &&
		    strcmp(k, "format"))
			return answer_error(h, c, 400,
					    "/report takes month=YYYY-MM, station=, lang=vi|en, "
					    "format=html|csv");
	}
	const char *month = arg_of(g, "month"), *format = arg_of(g, "format");
	int csv = format && strcmp(format, "csv") == 0;
	if (format && !csv && strcmp(format, "html") != 0)
		return answer_error(h, c, 400, "format is html or csv");
	if (!month)
		return answer_error(h, c, 400, "month=YYYY-MM is required");
	wwtp_buf_init(&out, HTTP_REPORT_MAX);
	int rc = wwtp_report_render(h->cfg, month, arg_of(g, "station"), arg_of(g, "lang"), csv,
				    &out, err, sizeof(err));
	if (rc != 0) {
		wwtp_buf_free(&out);
		int status = rc == WWTP_ERR_INVAL      ? 400
			     : rc == WWTP_ERR_NOTFOUND ? 404
			     : rc == WWTP_ERR_CONN     ? 503
						       : 500;
		return answer_error(h, c, status, err[0] ? err : wwtp_strerror(rc));
	}
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(out.len, out.data, MHD_RESPMEM_MUST_COPY);
	wwtp_buf_free(&out);
	if (!resp)
		return MHD_NO;
	protect(h, resp, CSP_REPORT);
	MHD_add_response_header(resp, "Content-Type",
				csv ? "text/csv; charset=utf-8" : "text/html; charset=utf-8");
	if (csv)
		MHD_add_response_header(resp, "Content-Disposition",
					"attachment; filename=\"report.csv\"");
	enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	LOG_INFO(HTTP_MOD, "report %s%s%s for %s", month, arg_of(g, "station") ? " of " : "",
		 arg_of(g, "station") ? arg_of(g, "station") : "", who.user);
	return ok;
}

/* GET /api/reports: the archive of the scheduled documents (archive.h),
 * for anyone logged in. */
static enum MHD_Result serve_archive_list(struct wwtp_http *h, struct MHD_Connection *c,
					  const struct wwtp_api_request *q, const struct args *g)
{
	struct wwtp_api_response r;
	struct wwtp_principal who;

	memset(&r, 0, sizeof(r));
	if (wwtp_api_authenticate(h->api, q, &who, &r) != 0)
		return answer(h, c, &r);
	if (g->n)
		return answer_error(h, c, 400, "/api/reports takes no parameter");
	json_t *o = wwtp_report_archive_list(h->cfg->report.enabled ? h->cfg->report.dir : NULL);
	if (!o)
		return answer_error(h, c, 500, "out of memory");
	json_object_set_new(o, "scheduled", json_boolean(h->cfg->report.enabled));
	r.status = 200;
	r.body = json_dumps(o, JSON_COMPACT);
	r.len = r.body ? strlen(r.body) : 0;
	json_decref(o);
	return answer(h, c, &r);
}

/* GET /reports/ID/NAME: one archived file, as the archive's SHA256SUMS
 * lists it (nothing else is served), read-only bytes as they were sent. */
static enum MHD_Result serve_archive_file(struct wwtp_http *h, struct MHD_Connection *c,
					  const struct wwtp_api_request *q, const char *rest)
{
	struct wwtp_api_response r;
	struct wwtp_principal who;
	char id[16], path[4200];
	const char *slash = strchr(rest, '/');

	memset(&r, 0, sizeof(r));
	if (wwtp_api_authenticate(h->api, q, &who, &r) != 0)
		return answer(h, c, &r);
	if (!h->cfg->report.enabled || !slash || (size_t)(slash - rest) >= sizeof id)
		return answer_error(h, c, 404, "no such archived document");
	memcpy(id, rest, (size_t)(slash - rest));
	id[slash - rest] = '\0';
	const char *name = slash + 1;
	int rc = wwtp_report_archive_file(h->cfg->report.dir, id, name, path, sizeof path);
	if (rc != 0)
		return answer_error(h, c, 404, "no such archived document");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		if (fd >= 0)
			close(fd);
		return answer_error(h, c, 404, "no such archived document");
	}
	struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	const char *ext = strrchr(name, '.');
	const char *type = !ext			       ? "text/plain; charset=utf-8"
			   : strcmp(ext, ".pdf") == 0  ? "application/pdf"
			   : strcmp(ext, ".html") == 0 ? "text/html; charset=utf-8"
			   : strcmp(ext, ".csv") == 0  ? "text/csv; charset=utf-8"
						       : "application/octet-stream";
	protect(h, resp, CSP_REPORT);
	MHD_add_response_header(resp, "Content-Type", type);
	if (!ext || strcmp(ext, ".html") != 0) {
		char cd[300];
		snprintf(cd, sizeof cd, "%s; filename=\"%s\"",
			 ext && strcmp(ext, ".pdf") == 0 ? "inline" : "attachment", name);
		MHD_add_response_header(resp, "Content-Disposition", cd);
	}
	enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	LOG_INFO(HTTP_MOD, "archived report %s/%s for %s", id, name, who.user);
	return ok;
}

static void client_address(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, n, "?");
	if (!ci || !ci->client_addr)
		return;
	socklen_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							       : sizeof(struct sockaddr_in);
	if (getnameinfo(ci->client_addr, len, out, (socklen_t)n, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(out, n, "?");
}

/* ---- the guard against slow clients (see struct guard) ---- */

static struct slot *slot_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* The connection's slot goes to state st (a receiving phase starts now). */
static void guard_set(struct guard *g, struct MHD_Connection *c, enum slot_state st)
{
	struct slot *sl = slot_of(c);
	if (!sl)
		return;
	pthread_mutex_lock(&g->lock);
	if (sl->state != SLOT_FREE) {
		sl->state = st;
		sl->since = wwtp_mono_ms();
	}
	pthread_mutex_unlock(&g->lock);
}

/* Shuts a connection down from outside: its thread sees the end of the
 * stream and closes it, which frees the slot (on_connection). The slot is
 * held under the lock until then, so the descriptor is still its own. */
static void guard_cut(struct slot *sl)
{
	if (!sl->cut) {
		shutdown(sl->fd, SHUT_RDWR);
		sl->cut = 1;
	}
}

/* The address part of sa, as 16 bytes (IPv4 in the first 4). */
static void addr_key(const struct sockaddr *sa, unsigned char out[16])
{
	memset(out, 0, 16);
	if (sa->sa_family == AF_INET)
		memcpy(out, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct wwtp_http *h = cls;
	struct guard *g = &h->g;
	struct slot *sl = *socket_context;

	pthread_mutex_lock(&g->lock);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ai =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		for (size_t i = 0; ci && i < g->nslots; i++) {
			if (g->slots[i].state == SLOT_FREE) {
				g->slots[i] = (struct slot){.state = SLOT_RECEIVING,
							    .fd = ci->connect_fd,
							    .since = wwtp_mono_ms()};
				if (ai && ai->client_addr)
					addr_key(ai->client_addr, g->slots[i].addr);
				*socket_context = &g->slots[i];
				break;
			}
		}
	} else if (sl) {
		sl->state = SLOT_FREE;
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&g->lock);
}

/* Called before a connection is accepted: when `connections` are open
 * already, one still receiving its request makes room: the longest
 * receiving of the address that holds the most such connections. A client
 * that sends its request at once is then never the one to go while slow
 * ones hold more; a new one is refused only when every open connection is
 * being answered. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct wwtp_http *h = cls;
	struct guard *g = &h->g;
	struct slot *victim = NULL;
	size_t open = 0, used = 0, most = 0;
	enum MHD_Result ok = MHD_YES;
	(void)addr;
	(void)len;

	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->nslots; i++) {
		struct slot *sl = &g->slots[i];
		if (sl->state != SLOT_FREE)
			used++;
		if (sl->state != SLOT_FREE && !sl->cut)
			open++;
	}
	if (used >= g->nslots) {
		ok = MHD_NO;
	} else if (open >= g->limit) {
		for (size_t i = 0; i < g->nslots; i++) {
			struct slot *sl = &g->slots[i];
			size_t same = 0;
			if (sl->state != SLOT_RECEIVING || sl->cut)
				continue;
			for (size_t k = 0; k < g->nslots; k++)
				same += g->slots[k].state == SLOT_RECEIVING && !g->slots[k].cut &&
					memcmp(g->slots[k].addr, sl->addr, 16) == 0;
			if (same > most || (same == most && victim && sl->since < victim->since)) {
				most = same;
				victim = sl;
			}
		}
		if (victim) {
			guard_cut(victim);
			g->evicted++;
		} else {
			ok = MHD_NO;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return ok;
}

/* Every GUARD_TICK_MS: cuts the connections receiving a request for longer
 * than the bound. Logged at most now and then while it goes on. */
static void *guard_thread(void *arg)
{
	struct wwtp_http *h = arg;
	struct guard *g = &h->g;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		struct timespec until;
		int64_t now = wwtp_mono_ms();
		uint64_t cut = 0;

		for (size_t i = 0; i < g->nslots; i++) {
			struct slot *sl = &g->slots[i];
			if (sl->state == SLOT_RECEIVING && !sl->cut &&
			    now - sl->since > g->bound_ms) {
				guard_cut(sl);
				cut++;
			}
		}
		g->cut_slow += cut;
		if (cut || g->evicted != g->evicted_said) {
			wwtp_complain(
			    &g->complain, WWTP_LOG_WARN, HTTP_MOD,
			    "slow clients: %" PRIu64 " connection(s) closed so far for not "
			    "sending their request whole within timeout_s (%lld s), %" PRIu64
			    " more to make room for new ones (all %zu connections taken)",
			    g->cut_slow, (long long)(g->bound_ms / 1000), g->evicted, g->limit);
			g->evicted_said = g->evicted;
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += GUARD_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->wake, &g->lock, &until);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

static int guard_start(struct wwtp_http *h, const struct wwtp_central_http *hc)
{
	struct guard *g = &h->g;
	pthread_condattr_t ca;

	g->limit = (size_t)hc->connections;
	/* Headroom for connections cut but not closed yet. */
	g->nslots = g->limit + (g->limit / 4 > 8 ? g->limit / 4 : 8);
	g->bound_ms = (int64_t)hc->timeout_s * 1000;
	g->complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	g->slots = calloc(g->nslots, sizeof(*g->slots));
	if (!g->slots)
		return WWTP_ERR_NOMEM;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&g->thread, NULL, guard_thread, h) != 0) {
		LOG_ERROR(HTTP_MOD, "cannot start the connection watchdog");
		return WWTP_ERR_ERRNO;
	}
	g->running = 1;
	return 0;
}

static void guard_stop(struct guard *g)
{
	if (!g->slots)
		return;
	if (g->running) {
		pthread_mutex_lock(&g->lock);
		g->stop = 1;
		pthread_cond_signal(&g->wake);
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->thread, NULL);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g->slots);
	g->slots = NULL;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct wwtp_http *h = cls;
	struct conn *k = *con_cls;
	(void)toe;
	/* The answer is out: the next request's receiving phase starts. */
	guard_set(&h->g, c, SLOT_RECEIVING);
	if (!k)
		return;
	if (k->body)
		wwtp_secret_wipe(k->body, k->len); /* it may hold a password */
	free(k->body);
	free(k);
	*con_cls = NULL;
}

static enum MHD_Result handle_request(struct wwtp_http *h, struct MHD_Connection *c,
				      const char *url, const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **con_cls);

/* The request is in whole when libmicrohttpd calls with no more body: from
 * then on the connection is being answered, which is not bounded here (a
 * report may take minutes to make). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct wwtp_http *h = cls;
	if (*con_cls && *upload_data_size == 0)
		guard_set(&h->g, c, SLOT_ANSWERING);
	return handle_request(h, c, url, method, version, upload_data, upload_data_size, con_cls);
}

static enum MHD_Result handle_request(struct wwtp_http *h, struct MHD_Connection *c,
				      const char *url, const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **con_cls)
{
	struct wwtp_api_response r;
	struct conn *k = *con_cls;
	char client[64];
	struct args g;
	(void)version;

	/* First call: headers only. A body announced too large is refused
	 * at once; the others are read into k, up to the limit. */
	if (!k) {
		k = calloc(1, sizeof(*k));
		if (!k)
			return MHD_NO;
		*con_cls = k;
		const char *cl =
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > h->max_body) {
			k->too_big = 1;
			return answer_error(h, c, 413, "request body too large");
		}
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (!k->too_big && k->len + *upload_data_size <= h->max_body) {
			char *b = realloc(k->body, k->len + *upload_data_size + 1);
			if (!b)
				return MHD_NO;
			k->body = b;
			memcpy(k->body + k->len, upload_data, *upload_data_size);
			k->len += *upload_data_size;
			k->body[k->len] = '\0';
		} else {
			k->too_big = 1;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (k->too_big)
		return answer_error(h, c, 413, "request body too large");

	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	const struct wwtp_web_asset *asset = get ? find_asset(url) : NULL;
	if (asset)
		return serve_asset(h, c, asset);

	memset(&g, 0, sizeof(g));
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, &g);
	if (g.too_many)
		return answer_error(h, c, 400, "too many query parameters");
	client_address(c, client, sizeof(client));
	struct wwtp_api_request q = {
	    .method = method,
	    .path = url,
	    .args = g.a,
	    .nargs = g.n,
	    .now_ms = wwtp_now_ms(),
	    .client = client,
	    .session = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, WWTP_API_COOKIE),
	    .authorization =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
	    .csrf = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token"),
	    .requested_with = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Requested-With"),
	    .origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin"),
	    .host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
	    .content_type =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
	    .body = k->body,
	    .body_len = k->len,
	    .tls = h->tls,
	};
	if (get && (strcmp(url, "/report") == 0 || strcmp(url, "/report/") == 0))
		return serve_report(h, c, &q, &g);
	if (get && (strcmp(url, "/api/reports") == 0 || strcmp(url, "/api/reports/") == 0))
		return serve_archive_list(h, c, &q, &g);
	if (get && strncmp(url, "/reports/", 9) == 0)
		return serve_archive_file(h, c, &q, url + 9);
	wwtp_api_handle(h->api, &q, &r);
	LOG_DEBUG(HTTP_MOD, "%s %s from %s: %d", method, url, client, r.status);
	return answer(h, c, &r);
}

/* "host:port" or "[v6]:port" into host and port. */
static int split_listen(const char *listen, char *host, size_t hn, char *port, size_t pn)
{
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen)
		return -1;
	size_t len = (size_t)(colon - listen);
	const char *h = listen;
	if (h[0] == '[' && len >= 2 && h[len - 1] == ']') {
		h++;
		len -= 2;
	}
	if (len >= hn || strlen(colon + 1) >= pn)
		return -1;
	memcpy(host, h, len);
	host[len] = '\0';
	snprintf(port, pn, "%s", colon + 1);
	return 0;
}

/* A whole PEM file into a new string; NULL (logged) when it cannot be. */
static char *read_pem(const char *path, const char *what)
{
	struct stat st;
	char *s = NULL;
	FILE *f = fopen(path, "re");
	if (!f) {
		LOG_ERROR(HTTP_MOD, "%s %s: cannot read: %s", what, path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0 || st.st_size <= 0 || st.st_size > HTTP_PEM_MAX) {
		LOG_ERROR(HTTP_MOD, "%s %s: empty or larger than 1 MiB", what, path);
	} else if ((s = malloc((size_t)st.st_size + 1)) != NULL) {
		size_t n = fread(s, 1, (size_t)st.st_size, f);
		s[n] = '\0';
		if (!strstr(s, "-----BEGIN ")) {
			LOG_ERROR(HTTP_MOD, "%s %s: not a PEM file", what, path);
			wwtp_secret_wipe(s, n);
			free(s);
			s = NULL;
		}
	}
	fclose(f);
	return s;
}

int wwtp_http_start(const struct wwtp_central_cfg *cfg, struct wwtp_api *api,
		    struct wwtp_http **out)
{
	const struct wwtp_central_http *hc = &cfg->http;
	const char *listen = hc->listen;
	struct addrinfo hints, *ai = NULL;
	char host[256], port[16];
	struct wwtp_http *h;

	*out = NULL;
	if (split_listen(listen, host, sizeof(host), port, sizeof(port)) != 0) {
		LOG_ERROR(HTTP_MOD, "listen \"%s\" is not host:port", listen);
		return WWTP_ERR_CONFIG;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return WWTP_ERR_NOMEM;
	h->api = api;
	h->cfg = cfg;
	h->max_body = (size_t)hc->max_body_bytes;
	if (hc->tls_cert_file[0]) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			LOG_ERROR(
			    HTTP_MOD,
			    "http: tls_cert_file is set but this libmicrohttpd has no TLS "
			    "(built without GnuTLS): install Debian's libmicrohttpd12 or remove "
			    "tls_cert_file and tls_key_file");
			free(h);
			return WWTP_ERR_CONFIG;
		}
		wwtp_secret_check_mode(hc->tls_key_file, "http tls_key_file", HTTP_MOD);
		h->cert = read_pem(hc->tls_cert_file, "http tls_cert_file");
		h->key = h->cert ? read_pem(hc->tls_key_file, "http tls_key_file") : NULL;
		if (!h->key) {
			free(h->cert);
			free(h);
			return WWTP_ERR_CONFIG;
		}
		h->tls = 1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	int gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (gai != 0 || !ai) {
		LOG_ERROR(HTTP_MOD, "cannot resolve %s: %s", listen, gai_strerror(gai));
		wwtp_http_stop(h);
		return WWTP_ERR_CONFIG;
	}
	int grc = guard_start(h, hc);
	if (grc != 0) {
		freeaddrinfo(ai);
		wwtp_http_stop(h);
		return grc;
	}
	unsigned flags =
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (h->tls)
		flags |= MHD_USE_TLS;
	/* The TLS options are given only with TLS: libmicrohttpd refuses
	 * them otherwise. */
	struct MHD_OptionItem tls_opts[] = {
	    {h->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, h->cert},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, h->key},
	    {MHD_OPTION_END, 0, NULL},
	};
	h->d = MHD_start_daemon(
	    flags, 0, on_accept, h, on_request, h, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)h->g.nslots, MHD_OPTION_NOTIFY_CONNECTION,
	    on_connection, h, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)hc->connections_per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)hc->timeout_s,
	    /* Headers, cookies and query must fit in this. */
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024, MHD_OPTION_NOTIFY_COMPLETED,
	    on_completed, h, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
	int err = errno, v6 = ai->ai_family == AF_INET6;
	freeaddrinfo(ai);
	if (!h->d) {
		LOG_ERROR(HTTP_MOD, "cannot listen on %s: %s", listen,
			  err ? strerror(err) : "refused (a bad TLS certificate or key?)");
		wwtp_http_stop(h);
		errno = err;
		return WWTP_ERR_ERRNO;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : (int)strtol(port, NULL, 10);
	LOG_INFO(HTTP_MOD, "web page and API at %s://%s%s%s:%d/", h->tls ? "https" : "http",
		 v6 ? "[" : "", host, v6 ? "]" : "", h->port);
	*out = h;
	return 0;
}

int wwtp_http_port(const struct wwtp_http *h)
{
	return h->port;
}

void wwtp_http_stop(struct wwtp_http *h)
{
	if (!h)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	guard_stop(&h->g);
	if (h->key)
		wwtp_secret_wipe(h->key, strlen(h->key));
	free(h->key);
	free(h->cert);
	free(h);
}
