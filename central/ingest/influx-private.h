/* influx-private.h - the insides of influx.c, for it and its unit test
 * (util/unittest.h); nothing else includes this. */
#ifndef WWTP_CENTRAL_INFLUX_PRIVATE_H
#define WWTP_CENTRAL_INFLUX_PRIVATE_H

#include <curl/curl.h>
#include <stddef.h>

#include "../../util/buf.h"
#include "../../util/unittest.h"
#include "influx.h"

/* Cap of a compressed body (wwtp_buf needs a finite cap). */
#define INFLUX_BODY_MAX ((size_t)1 << 30)

struct wwtp_influx {
	CURL *curl;
	struct curl_slist *hdr_plain, *hdr_gzip;
	char *write_url;
	char *query_url;
	char *read_url;		     /* /query?db=..&epoch=ms: reads (both APIs) */
	struct curl_slist *hdr_form; /* form-encoded body, with the token if any */
	char *create_body;	     /* "q=CREATE%20DATABASE%20..." */
	char *username, *password;
	char target[WWTP_URI_MAX + 2 * WWTP_NAME_MAX + 32];
	char errbuf[CURL_ERROR_SIZE];
	const char *auth_hint; /* what to check when InfluxDB says 401 or 403 */
	int gzip_min_bytes;
	struct wwtp_buf gz;   /* compressed body, reused */
	struct wwtp_buf resp; /* start of the answer's body */
};

#ifdef WWTP_UNITTEST
/* base + path + "?k=v&..." (NULL-terminated pairs, values URL-encoded;
 * pairs with an empty value left out); malloc'd, NULL on failure. */
char *make_url(CURL *c, const char *base, const char *path, ...);
/* "q=CREATE DATABASE \"db\"", form-encoded; malloc'd. */
char *make_create_body(CURL *c, const char *db);
/* data gzip-compressed into ix->gz. 0 or WWTP_ERR_*. */
int gzip_body(struct wwtp_influx *ix, const char *data, size_t len);
/* What an HTTP status means for the data (enum wwtp_influx_verdict). */
int classify(long http);
#endif

#endif
