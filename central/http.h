/* http.h - the HTTP server of the API (api.h) over libmicrohttpd.
 *
 * One thread per connection, at most HTTP_CONNECTIONS at once (and 16 per
 * client address), idle connections closed after 15 s, request bodies
 * read and ignored: the API only reads, and a series query may wait on
 * InfluxDB without holding up the others. */
#ifndef WWTP_CENTRAL_HTTP_H
#define WWTP_CENTRAL_HTTP_H

#include "api.h"

struct wwtp_http;

/* Listens on listen ("host:port", "[v6]:port"; the port may be 0 for one
 * the kernel picks) and serves api. 0 and *out, or WWTP_ERR_CONFIG (the
 * address does not resolve) / WWTP_ERR_ERRNO (cannot listen: in use,
 * not local); logged. */
int wwtp_http_start(const char *listen, struct wwtp_api *api, struct wwtp_http **out);
/* The port it listens on. */
int wwtp_http_port(const struct wwtp_http *h);
/* Stops serving (open connections are closed) and frees. Accepts NULL. */
void wwtp_http_stop(struct wwtp_http *h);

#endif
