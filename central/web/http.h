/* http.h - the HTTP server of the web page and the API (api.h) over
 * libmicrohttpd (docs/web.md).
 *
 * One thread per connection, at most http.connections at once (and
 * http.connections_per_ip per client address), idle connections closed
 * after http.timeout_s, and a request that has not arrived whole within
 * http.timeout_s too (slow clients); when every connection is taken, a new
 * one replaces one still receiving its request. Request bodies beyond http.max_body_bytes get 413.
 * HTTPS only when tls_cert_file and tls_key_file are set. Every answer
 * carries the protective headers (Content-Security-Policy, nosniff, no
 * framing, no referrer, no caching; HSTS under TLS). The page's own files
 * (web_assets.h) are served to anyone: they hold no data; everything else
 * goes through the API's access check. */
#ifndef WWTP_CENTRAL_HTTP_H
#define WWTP_CENTRAL_HTTP_H

#include "api.h"
#include "../config/config.h"

struct wwtp_http;

/* Listens on cfg->http.listen ("host:port", "[v6]:port"; the port may be 0
 * for one the kernel picks) and serves api; cfg (which must outlive the
 * server) also feeds the monthly report's page. 0 and *out, or
 * WWTP_ERR_CONFIG (the address does not resolve, TLS files unreadable or
 * TLS not built into libmicrohttpd) / WWTP_ERR_ERRNO (cannot listen: in
 * use, not local); logged. */
int wwtp_http_start(const struct wwtp_central_cfg *cfg, struct wwtp_api *api,
		    struct wwtp_http **out);
/* The port it listens on. */
int wwtp_http_port(const struct wwtp_http *h);
/* Stops serving (open connections are closed) and frees. Accepts NULL. */
void wwtp_http_stop(struct wwtp_http *h);

#endif
