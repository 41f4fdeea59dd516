/* fuzz_sigstore.c - what `wwtp-central verify` reads from InfluxDB, on any
 * bytes: a `signed` point's bytes field (central/ingest/sigstore.h: base64
 * of zlib data; anyone who can write to InfluxDB can put anything there)
 * and the message bytes it unpacks to, checked as a span
 * (central/ingest/span.h).
 *
 * Promises checked: wwtp_sigstore_unpack reads nothing outside the text
 * (ASan), never gives more than WWTP_PAYLOAD_MAX bytes, and fails only with
 * WWTP_ERR_INVAL or WWTP_ERR_NOMEM; a message kept with wwtp_sigstore_line
 * unpacks to exactly its bytes; wwtp_span_check of the bytes as a stored
 * link never crashes, never counts them good (the harness's key did not
 * sign them), and once they are signed with the station's key counts them
 * good, as one link, whatever they hold. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../central/ingest/registry.h"
#include "../../central/ingest/sigstore.h"
#include "../../central/ingest/span.h"
#include "../../payload/payload.h"
#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/sign.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wwtp_registry *reg;
static unsigned char sk[WWTP_SIGN_SK_LEN];

static void setup(void)
{
	struct wwtp_reg_station s;
	if (reg)
		return;
	reg = wwtp_registry_new();
	FUZZ_ASSERT(reg != NULL);
	memset(&s, 0, sizeof(s));
	snprintf(s.id, sizeof(s.id), "fz");
	s.has_key = 1;
	/* A key from a fixed seed: an input that failed once fails again. */
	unsigned char seed[crypto_sign_ed25519_SEEDBYTES];
	memset(seed, 3, sizeof(seed));
	FUZZ_ASSERT(wwtp_sign_init() == 0);
	FUZZ_ASSERT(crypto_sign_ed25519_seed_keypair(s.public_key, sk, seed) == 0);
	FUZZ_ASSERT(wwtp_registry_add(reg, &s) == 0);
}

static void quiet(void *ctx, const char *line)
{
	(void)ctx;
	FUZZ_ASSERT(line != NULL);
}

static void span(const char *bytes, size_t len, int alert, struct wwtp_span_counts *c)
{
	struct wwtp_span_signed l = {.time_ms = 1796256000000LL, .chain = 1, .alert = alert,
				     .bytes = bytes, .len = len};
	struct wwtp_span_point p = {.time_ms = 1796256000000LL, .device = "outlet", .param = "cod",
				    .status = "ok", .unit = "mg/L", .has_value = 1, .value = 1};
	struct wwtp_span_in in = {.reg = reg, .station = "fz", .prefix = "wwtp",
				  .now_ms = 1796256000000LL, .links = &l, .nlinks = 1,
				  .points = &p, .npoints = 1};
	int rc = wwtp_span_check(&in, c, quiet, NULL);
	FUZZ_ASSERT(rc == 0 || rc == WWTP_ERR_NOMEM);
	FUZZ_ASSERT(c->links == 1 && c->good + c->bad == 1 && c->points == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wwtp_buf out, line, b;
	struct wwtp_span_counts c;

	setup();
	/* 1. The input as a bytes field. */
	wwtp_buf_init(&out, WWTP_PAYLOAD_MAX + 1);
	int rc = wwtp_sigstore_unpack((const char *)data, size, &out);
	FUZZ_ASSERT(rc == 0 || rc == WWTP_ERR_INVAL || rc == WWTP_ERR_NOMEM);
	FUZZ_ASSERT(rc != 0 || (out.len > 0 && out.len <= WWTP_PAYLOAD_MAX));

	/* 2. The input as a message: kept, it comes back the same. */
	struct wwtp_in_msg m;
	memset(&m, 0, sizeof(m));
	m.kind = WWTP_MSG_TELEMETRY;
	m.station = "fz";
	m.device = "outlet";
	m.has_ts = 1;
	m.ts_ms = 1796256000000LL;
	m.verified = 1;
	m.link = 1;
	wwtp_buf_init(&line, 1 << 20);
	rc = wwtp_sigstore_line(&line, &m, data, size);
	FUZZ_ASSERT(rc == 0 || rc == WWTP_ERR_INVAL || rc == WWTP_ERR_RANGE || rc == WWTP_ERR_NOMEM);
	if (rc == 0) {
		const char *start = strstr(line.data, "bytes=\"");
		const char *end = start ? strchr(start + 7, '"') : NULL;
		FUZZ_ASSERT(start && end);
		FUZZ_ASSERT(wwtp_sigstore_unpack(start + 7, (size_t)(end - start - 7), &out) == 0);
		FUZZ_ASSERT(out.len == size && memcmp(out.data, data, size) == 0);
	}

	/* 3. The input as a stored link: not the station's. */
	span((const char *)data, size, size % 2, &c);
	FUZZ_ASSERT(c.good == 0);
	/* Signed by the station: good, however odd the message. */
	wwtp_buf_init(&b, 1 << 20);
	if (wwtp_buf_add(&b, data, size) == 0 &&
	    wwtp_sign_message(&b, sk, 1, NULL, NULL) == 0) {
		span(b.data, b.len, size % 2, &c);
		FUZZ_ASSERT(c.good == 1);
	}
	wwtp_buf_free(&b);
	wwtp_buf_free(&line);
	wwtp_buf_free(&out);
	return 0;
}
