/* http.c - libmicrohttpd glue for the API (see http.h). */
#include "http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"

#define HTTP_MOD "http"
#define HTTP_CONNECTIONS 64
#define HTTP_PER_IP 16
#define HTTP_TIMEOUT_S 15

struct wwtp_http {
	struct MHD_Daemon *d;
	struct wwtp_api *api;
	int port;
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

static enum MHD_Result answer(struct MHD_Connection *c, struct wwtp_api_response *r)
{
	static char fallback[] = "{\"error\":\"out of memory\",\"status\":500}";
	struct MHD_Response *resp;
	enum MHD_Result ok;

	if (r->body)
		resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(strlen(fallback), fallback,
						       MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(r->body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (r->status == 405)
		MHD_add_response_header(resp, "Allow", "GET, HEAD");
	if (r->total[0])
		MHD_add_response_header(resp, "X-Total-Count", r->total);
	ok = MHD_queue_response(c, (unsigned)(r->body ? r->status : 500), resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	static int seen;
	struct wwtp_http *h = cls;
	struct wwtp_api_response r;
	struct args g;
	(void)version;
	(void)upload_data;

	/* First call: headers only. Then the body, in pieces: read and
	 * dropped (no route takes one). Then the answer. */
	if (*con_cls == NULL) {
		*con_cls = &seen;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	memset(&g, 0, sizeof(g));
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, &g);
	if (g.too_many) {
		memset(&r, 0, sizeof(r));
		r.status = 400;
		r.body = strdup("{\"error\":\"too many query parameters\",\"status\":400}");
		r.len = r.body ? strlen(r.body) : 0;
		return answer(c, &r);
	}
	struct wwtp_api_request q = {
	    .method = method, .path = url, .args = g.a, .nargs = g.n, .now_ms = wwtp_now_ms()};
	wwtp_api_handle(h->api, &q, &r);
	LOG_DEBUG(HTTP_MOD, "%s %s: %d", method, url, r.status);
	return answer(c, &r);
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

int wwtp_http_start(const char *listen, struct wwtp_api *api, struct wwtp_http **out)
{
	struct addrinfo hints, *ai = NULL;
	char host[256], port[16];
	struct wwtp_http *h;

	*out = NULL;
	if (split_listen(listen, host, sizeof(host), port, sizeof(port)) != 0) {
		LOG_ERROR(HTTP_MOD, "listen \"%s\" is not host:port", listen);
		return WWTP_ERR_CONFIG;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	int gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (gai != 0 || !ai) {
		LOG_ERROR(HTTP_MOD, "cannot resolve %s: %s", listen, gai_strerror(gai));
		return WWTP_ERR_CONFIG;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		freeaddrinfo(ai);
		return WWTP_ERR_NOMEM;
	}
	h->api = api;
	unsigned flags =
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
				ai->ai_addr, MHD_OPTION_CONNECTION_LIMIT,
				(unsigned)HTTP_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				(unsigned)HTTP_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)HTTP_TIMEOUT_S, MHD_OPTION_END);
	int err = errno, v6 = ai->ai_family == AF_INET6;
	freeaddrinfo(ai);
	if (!h->d) {
		LOG_ERROR(HTTP_MOD, "cannot listen on %s: %s", listen,
			  err ? strerror(err) : "refused");
		free(h);
		errno = err;
		return WWTP_ERR_ERRNO;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : (int)strtol(port, NULL, 10);
	LOG_INFO(HTTP_MOD, "API at http://%s%s%s:%d/api/stations", v6 ? "[" : "", host,
		 v6 ? "]" : "", h->port);
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
	free(h);
}
