/* web_assets.h - the web page's files (central/web/), compiled into
 * wwtp-central by scripts/embed-web.sh so that the page needs nothing but
 * the program: no files to install, nothing from the internet. */
#ifndef WWTP_CENTRAL_WEB_ASSETS_H
#define WWTP_CENTRAL_WEB_ASSETS_H

#include <stddef.h>

struct wwtp_web_asset {
	const char *path; /* "/app.js"; index.html is also "/" */
	const char *type; /* Content-Type */
	const unsigned char *data;
	size_t len;
};

extern const struct wwtp_web_asset wwtp_web_assets[];
extern const size_t wwtp_web_nassets;

#endif
