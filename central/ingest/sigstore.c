/* sigstore.c - a verified message's bytes as a `signed` point (sigstore.h). */
#include "sigstore.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../payload/payload.h"
#include "../../util/err.h"
#include "lineproto.h"

/* zlib's default state (a 32 KiB window, memLevel 8) is some 256 KiB to
 * allocate and clear for every message, on the MQTT thread: for payloads of
 * a few KiB that cost about 20 times the compressing itself (bench/README.md,
 * 2026-12-04). A window no larger than the payload, and a hash table to
 * match, compress as well at the same level (benchmark 4's payloads to the
 * same size); any zlib reader (wwtp_sigstore_unpack) reads the result: the
 * window size is in its header. */
static unsigned char *pack(const void *payload, size_t len, size_t *zlen)
{
	int wbits = 9; /* zlib's smallest for deflate */
	while (wbits < 15 && ((size_t)1 << wbits) < len)
		wbits++;
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	int mem = wbits - 6 < 8 ? wbits - 6 : 8; /* hash table of 2^(mem + 7) entries */
	if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, wbits, mem, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return NULL;
	uLong bound = deflateBound(&zs, (uLong)len);
	unsigned char *z = malloc(bound);
	if (z) {
		zs.next_in = (Bytef *)(uintptr_t)payload;
		zs.avail_in = (uInt)len;
		zs.next_out = z;
		zs.avail_out = (uInt)bound;
		if (deflate(&zs, Z_FINISH) == Z_STREAM_END) {
			*zlen = (size_t)zs.total_out;
		} else {
			free(z);
			z = NULL;
		}
	}
	deflateEnd(&zs);
	return z;
}

int wwtp_sigstore_line(struct wwtp_buf *out, const struct wwtp_in_msg *m, const void *payload,
		       size_t len)
{
	struct wwtp_lp p;
	int rc;

	/* An alert's ts is optional: then its start (decode.h). */
	int64_t t = m->has_ts ? m->ts_ms : m->start_ms;

	if (!m->verified || m->link <= 0 || (!m->has_ts && m->kind != WWTP_MSG_ALERT) || len == 0 ||
	    len > WWTP_PAYLOAD_MAX ||
	    (m->kind == WWTP_MSG_TELEMETRY ? !m->device
	     : m->kind == WWTP_MSG_CONFIG  ? !m->fingerprint
					   : m->kind != WWTP_MSG_ALERT || !m->id))
		return WWTP_ERR_INVAL;
	size_t zlen;
	unsigned char *z = pack(payload, len, &zlen);
	if (!z)
		return WWTP_ERR_NOMEM;
	size_t tlen = sodium_base64_ENCODED_LEN(zlen, sodium_base64_VARIANT_ORIGINAL);
	if (tlen - 1 > WWTP_SIGSTORE_MAX_TEXT) {
		free(z);
		return WWTP_ERR_RANGE;
	}
	char *text = malloc(tlen);
	if (!text) {
		free(z);
		return WWTP_ERR_NOMEM;
	}
	sodium_bin2base64(text, tlen, z, zlen, sodium_base64_VARIANT_ORIGINAL);
	free(z);
	/* Tags by key, as InfluxDB sorts them. */
	wwtp_lp_begin(&p, out, WWTP_LP_SIGNED);
	if (m->kind == WWTP_MSG_ALERT)
		wwtp_lp_tag(&p, "alert", m->id);
	else if (m->kind == WWTP_MSG_CONFIG) /* a configuration message (confaudit) */
		wwtp_lp_tag(&p, "config", m->fingerprint);
	else
		wwtp_lp_tag(&p, "device", m->device);
	wwtp_lp_tag(&p, "station", m->station);
	wwtp_lp_int(&p, "chain", m->link);
	wwtp_lp_str(&p, "bytes", text);
	rc = wwtp_lp_end(&p, t);
	free(text);
	return rc;
}

int wwtp_sigstore_unpack(const char *text, size_t n, struct wwtp_buf *out)
{
	size_t zlen = 0;
	const char *end = NULL;

	wwtp_buf_reset(out);
	if (n == 0 || n > WWTP_SIGSTORE_MAX_TEXT)
		return WWTP_ERR_INVAL;
	unsigned char *z = malloc(n);
	if (!z)
		return WWTP_ERR_NOMEM;
	if (sodium_base642bin(z, n, text, n, NULL, &zlen, &end, sodium_base64_VARIANT_ORIGINAL) !=
		0 ||
	    end != text + n || zlen == 0) {
		free(z);
		return WWTP_ERR_INVAL;
	}
	unsigned char *raw = malloc(WWTP_PAYLOAD_MAX);
	if (!raw) {
		free(z);
		return WWTP_ERR_NOMEM;
	}
	uLongf rlen = WWTP_PAYLOAD_MAX;
	uLong used = (uLong)zlen;
	int zrc = uncompress2(raw, &rlen, z, &used);
	free(z);
	int rc = zrc == Z_MEM_ERROR			    ? WWTP_ERR_NOMEM
		 : zrc != Z_OK || used != zlen || rlen == 0 ? WWTP_ERR_INVAL
							    : wwtp_buf_add(out, raw, rlen);
	free(raw);
	if (rc == WWTP_ERR_FULL)
		rc = WWTP_ERR_INVAL;
	return rc;
}
