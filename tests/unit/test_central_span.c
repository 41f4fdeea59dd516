/* test_central_span.c - `wwtp-central verify`'s pure parts: the `signed`
 * point's bytes and back (central/ingest/sigstore.h), the check of a span
 * (central/ingest/span.h): good links, a bad signature, a missing link with
 * its seq range, a broken link, and reading points altered, inserted or
 * deleted; and the times of --from and --to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <zlib.h>

#include "../../central/admin/verify_cmd.h"
#include "../../central/ingest/registry.h"
#include "../../central/ingest/sigstore.h"
#include "../../central/ingest/span.h"
#include "../../payload/payload.h"
#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/sign.h"

#define NMSG 6
#define T0 1796256000000LL /* 2026-12-03T00:00:00Z */

struct fx {
	struct wwtp_registry *reg;
	unsigned char sk[WWTP_SIGN_SK_LEN];
	struct wwtp_buf msg[NMSG]; /* links 1..NMSG, telemetry seq = link */
	struct wwtp_span_signed links[NMSG];
	struct wwtp_span_point points[NMSG + 1];
	struct wwtp_buf said; /* the findings, one a line */
};

/* Telemetry seq at T0 + seq s with one cod reading, signed as link seq on
 * prev (NULL: the first); its hash to h. */
static void make(struct fx *f, struct wwtp_buf *b, int seq, const unsigned char *prev,
		 unsigned char *h)
{
	char ts[40];
	snprintf(ts, sizeof(ts), "2026-12-03T00:00:%02d.000Z", seq);
	wwtp_buf_init(b, 4096);
	assert_int_equal(
	    wwtp_buf_printf(b,
			    "{\"v\":1,\"station\":\"signed\",\"device\":\"outlet\","
			    "\"ts\":\"%s\",\"seq\":%d,\"readings\":[{\"param\":\"cod\","
			    "\"value\":%d.5,\"unit\":\"mg/L\",\"status\":\"ok\"}]}",
			    ts, seq, 10 + seq),
	    0);
	assert_int_equal(wwtp_sign_message(b, f->sk, (uint64_t)seq, prev, h), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct wwtp_reg_station s;
	unsigned char h[WWTP_SIGN_HASH_LEN], prev[WWTP_SIGN_HASH_LEN];

	if (!f)
		return -1;
	f->reg = wwtp_registry_new();
	memset(&s, 0, sizeof(s));
	snprintf(s.id, sizeof(s.id), "signed");
	s.has_key = 1;
	if (wwtp_sign_keypair(s.public_key, f->sk) != 0 || wwtp_registry_add(f->reg, &s) != 0)
		return -1;
	for (int i = 0; i < NMSG; i++) {
		make(f, &f->msg[i], i + 1, i ? prev : NULL, h);
		memcpy(prev, h, sizeof(h));
		f->links[i] = (struct wwtp_span_signed){.time_ms = T0 + (i + 1) * 1000,
							.chain = i + 1,
							.bytes = f->msg[i].data,
							.len = f->msg[i].len};
		f->points[i] = (struct wwtp_span_point){.time_ms = T0 + (i + 1) * 1000,
							.device = "outlet",
							.param = "cod",
							.status = "ok",
							.unit = "mg/L",
							.has_value = 1,
							.value = 10 + i + 1 + 0.5};
	}
	wwtp_buf_init(&f->said, 1 << 16);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < NMSG; i++)
		wwtp_buf_free(&f->msg[i]);
	wwtp_buf_free(&f->said);
	wwtp_registry_free(f->reg);
	free(f);
	return 0;
}

static void said(void *ctx, const char *line)
{
	wwtp_buf_printf(ctx, "%s\n", line);
}

static int check(struct fx *f, size_t nlinks, size_t npoints, struct wwtp_span_counts *c)
{
	struct wwtp_span_in in = {.reg = f->reg,
				  .station = "signed",
				  .prefix = "wwtp",
				  .now_ms = T0 + 86400000LL,
				  .links = f->links,
				  .nlinks = nlinks,
				  .points = f->points,
				  .npoints = npoints};
	wwtp_buf_reset(&f->said);
	return wwtp_span_check(&in, c, said, &f->said);
}

static void test_genuine_span(void **state)
{
	struct fx *f = *state;
	struct wwtp_span_counts c;

	assert_int_equal(check(f, NMSG, NMSG, &c), 0);
	assert_int_equal(c.links, NMSG);
	assert_int_equal(c.good, NMSG);
	assert_int_equal(c.bad, 0);
	assert_int_equal(c.first, 1);
	assert_int_equal(c.last, NMSG);
	assert_int_equal(c.gaps + c.broken + c.misplaced, 0);
	assert_int_equal(c.accounted, NMSG);
	assert_int_equal(c.unaccounted + c.altered + c.deleted, 0);
	assert_true(wwtp_span_ok(&c));
	assert_int_equal(f->said.len, 0);
	/* In any order, as InfluxDB's series come. */
	struct wwtp_span_signed t = f->links[0];
	f->links[0] = f->links[4];
	f->links[4] = t;
	assert_int_equal(check(f, NMSG, NMSG, &c), 0);
	assert_true(wwtp_span_ok(&c));
	/* A station without a key has nothing to check. */
	struct wwtp_span_in in = {.reg = f->reg, .station = "nobody", .prefix = "wwtp"};
	assert_int_equal(wwtp_span_check(&in, &c, said, &f->said), WWTP_ERR_NOTFOUND);
}

static void test_bad_signature_and_missing_link(void **state)
{
	struct fx *f = *state;
	struct wwtp_span_counts c;

	/* Link 2's bytes edited (12.5 -> 92.5): its signature fails, so its
	 * reading is accounted for by nothing, and link 2 is missing. */
	char *v = strstr(f->msg[1].data, "12.5");
	assert_non_null(v);
	v[0] = '9';
	assert_int_equal(check(f, NMSG, NMSG, &c), 0);
	assert_int_equal(c.good, NMSG - 1);
	assert_int_equal(c.bad, 1);
	assert_int_equal(c.gaps, 1);
	assert_int_equal(c.missing, 1);
	assert_int_equal(c.unaccounted, 1);
	assert_false(wwtp_span_ok(&c));
	assert_non_null(strstr(f->said.data, "link 2 at 2026-12-03T00:00:02.000Z: bad signature"));
	assert_non_null(strstr(f->said.data, "missing links 2..2 (telemetry seq 2..2)"));
	assert_non_null(strstr(f->said.data, "reading at 2026-12-03T00:00:02.000Z device=outlet "
					     "param=cod (value=12.5 status=ok unit=mg/L): no "
					     "verified message has it"));
	/* Links 3 and 4 not stored at all: one gap of two more. */
	v[0] = '1';
	f->links[2] = f->links[4];
	f->links[3] = f->links[5];
	assert_int_equal(check(f, NMSG - 2, NMSG, &c), 0);
	assert_int_equal(c.bad, 0);
	assert_int_equal(c.gaps, 1);
	assert_int_equal(c.missing, 2);
	assert_non_null(strstr(f->said.data, "missing links 3..4 (telemetry seq 3..4)"));
	/* A link whose bytes cannot be read is bad, not skipped. */
	f->links[0].unreadable = 1;
	assert_int_equal(check(f, NMSG - 2, 0, &c), 0);
	assert_int_equal(c.bad, 1);
	assert_non_null(strstr(
	    f->said.data, "link 1 at 2026-12-03T00:00:01.000Z: its stored bytes cannot be read"));
}

static void test_broken_and_misplaced(void **state)
{
	struct fx *f = *state;
	struct wwtp_span_counts c;
	unsigned char h[WWTP_SIGN_HASH_LEN];
	struct wwtp_buf other;

	/* Link 4 replaced by one validly signed on another prev (the key was
	 * used to re-sign a replacement): the chain is broken at 4. */
	make(f, &other, 4, NULL, h);
	f->links[3].bytes = other.data;
	f->links[3].len = other.len;
	assert_int_equal(check(f, NMSG, NMSG, &c), 0);
	assert_int_equal(c.good, NMSG);
	/* 4 does not follow 3, and 5 does not follow the new 4. */
	assert_int_equal(c.broken, 2);
	assert_non_null(strstr(
	    f->said.data,
	    "broken link 4 at 2026-12-03T00:00:04.000Z: its prev is not the hash of link 3"));
	assert_non_null(strstr(
	    f->said.data,
	    "broken link 5 at 2026-12-03T00:00:05.000Z: its prev is not the hash of link 4"));
	assert_false(wwtp_span_ok(&c));
	/* A signed message stored under another link number. */
	f->links[3].bytes = f->msg[3].data;
	f->links[3].len = f->msg[3].len;
	f->links[3].chain = 9;
	assert_int_equal(check(f, NMSG, NMSG, &c), 0);
	assert_int_equal(c.misplaced, 1);
	assert_non_null(strstr(f->said.data, "the signed message is link 4, stored as link 9"));
	wwtp_buf_free(&other);
}

/* A span that starts inside the chain: its first link against the one
 * stored before it. */
static void test_link_before_the_span(void **state)
{
	struct fx *f = *state;
	struct wwtp_span_counts c;
	unsigned char h[WWTP_SIGN_HASH_LEN];
	struct wwtp_buf other;
	struct wwtp_span_in in = {.reg = f->reg,
				  .station = "signed",
				  .prefix = "wwtp",
				  .now_ms = T0 + 86400000LL,
				  .links = f->links + 2,
				  .nlinks = NMSG - 2,
				  .points = f->points + 2,
				  .npoints = NMSG - 2,
				  .before = &f->links[1]};

	assert_int_equal(wwtp_span_check(&in, &c, said, &f->said), 0);
	assert_int_equal(c.first, 3);
	assert_true(c.before_checked);
	assert_true(wwtp_span_ok(&c));
	/* Not the link before the first: nothing checked, nothing wrong. */
	in.before = &f->links[0];
	assert_int_equal(wwtp_span_check(&in, &c, said, &f->said), 0);
	assert_false(c.before_checked);
	assert_true(wwtp_span_ok(&c));
	/* Link 2 as stored is not the one link 3 was made after. */
	make(f, &other, 2, NULL, h);
	struct wwtp_span_signed b = f->links[1];
	b.bytes = other.data;
	b.len = other.len;
	in.before = &b;
	wwtp_buf_reset(&f->said);
	assert_int_equal(wwtp_span_check(&in, &c, said, &f->said), 0);
	assert_true(c.before_checked);
	assert_int_equal(c.broken, 1);
	assert_non_null(strstr(f->said.data,
			       "broken link 3: its prev is not the hash of link 2 (at "
			       "2026-12-03T00:00:02.000Z, just before the span)"));
	/* Not signed by the station: bad. */
	other.data[other.len - 3] ^= 1;
	assert_int_equal(wwtp_span_check(&in, &c, said, &f->said), 0);
	assert_false(c.before_checked);
	assert_int_equal(c.bad, 1);
	assert_false(wwtp_span_ok(&c));
	wwtp_buf_free(&other);
}

static void test_points_altered_inserted_deleted(void **state)
{
	struct fx *f = *state;
	struct wwtp_span_counts c;

	f->points[1].value = 99;	     /* altered */
	f->points[2].status = "calibrating"; /* altered too: the status */
	f->points[3].suspect = 1;	     /* moved to suspect_value */
	f->points[NMSG - 1].time_ms += 1;    /* inserted (and link 6's deleted) */
	f->points[NMSG] = f->points[0];	     /* inserted: another param */
	f->points[NMSG].param = "tss";
	assert_int_equal(check(f, NMSG, NMSG + 1, &c), 0);
	assert_int_equal(c.good, NMSG);
	assert_int_equal(c.altered, 3);
	assert_int_equal(c.unaccounted, 2);
	assert_int_equal(c.deleted, 1);
	assert_int_equal(c.accounted, 2);
	assert_false(wwtp_span_ok(&c));
	assert_non_null(strstr(
	    f->said.data, "reading at 2026-12-03T00:00:02.000Z device=outlet param=cod: altered: "
			  "stored value=99 status=ok unit=mg/L, signed in link 2 value=12.5 "
			  "status=ok unit=mg/L"));
	assert_non_null(strstr(f->said.data, "status=calibrating"));
	assert_non_null(strstr(f->said.data, "stored suspect_value=14.5"));
	assert_non_null(
	    strstr(f->said.data, "reading at 2026-12-03T00:00:06.001Z device=outlet param=cod"));
	assert_non_null(strstr(f->said.data, "device=outlet param=tss"));
	assert_non_null(strstr(
	    f->said.data, "reading at 2026-12-03T00:00:06.000Z device=outlet param=cod (value=16.5 "
			  "status=ok unit=mg/L) of link 6: not stored"));
}

/* The bytes field: what goes in comes out, and nothing else is read. */
static void test_sigstore_round_trip(void **state)
{
	struct fx *f = *state;
	struct wwtp_in_msg m;
	struct wwtp_buf line, back;
	char big[64];

	memset(&m, 0, sizeof(m));
	m.kind = WWTP_MSG_TELEMETRY;
	m.station = "signed";
	m.device = "outlet";
	m.has_ts = 1;
	m.ts_ms = T0 + 1000;
	m.verified = 1;
	m.link = 1;
	wwtp_buf_init(&line, 1 << 20);
	wwtp_buf_init(&back, WWTP_PAYLOAD_MAX + 1);
	assert_int_equal(wwtp_sigstore_line(&line, &m, f->msg[0].data, f->msg[0].len), 0);
	assert_true(
	    strncmp(line.data, "signed,device=outlet,station=signed chain=1i,bytes=\"", 52) == 0);
	snprintf(big, sizeof(big), "\" %lld\n", T0 + 1000);
	char *end = strstr(line.data, big);
	assert_non_null(end);
	assert_int_equal(
	    wwtp_sigstore_unpack(line.data + 52, (size_t)(end - line.data - 52), &back), 0);
	assert_int_equal(back.len, f->msg[0].len);
	assert_memory_equal(back.data, f->msg[0].data, back.len);
	/* Not verified, or not chained: no point. */
	m.verified = 0;
	wwtp_buf_reset(&line);
	assert_int_equal(wwtp_sigstore_line(&line, &m, "{}", 2), WWTP_ERR_INVAL);
	assert_int_equal(line.len, 0);
	/* An alert goes under its id. */
	m.verified = 1;
	m.kind = WWTP_MSG_ALERT;
	m.id = "signed-cod-exceedance-1";
	assert_int_equal(wwtp_sigstore_line(&line, &m, f->msg[0].data, f->msg[0].len), 0);
	assert_true(
	    strncmp(line.data, "signed,alert=signed-cod-exceedance-1,station=signed ", 52) == 0);
	/* An alert without ts is dated by its start. */
	m.has_ts = 0;
	m.start_ms = T0 + 500;
	wwtp_buf_reset(&line);
	assert_int_equal(wwtp_sigstore_line(&line, &m, f->msg[0].data, f->msg[0].len), 0);
	snprintf(big, sizeof(big), "\" %lld\n", T0 + 500);
	assert_non_null(strstr(line.data, big));

	/* Garbage: not base64, base64 of no zlib data, trailing bytes. */
	assert_int_equal(wwtp_sigstore_unpack("", 0, &back), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_sigstore_unpack("!!!!", 4, &back), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_sigstore_unpack("aGVsbG8=", 8, &back), WWTP_ERR_INVAL);
	/* A bomb: a megabyte of zeros is 1 kB of zlib; refused past the cap. */
	unsigned char *zeros = calloc(1 << 20, 1), z[8192];
	uLongf zl = sizeof(z);
	char text[12000];
	assert_int_equal(compress2(z, &zl, zeros, 1 << 20, 9), Z_OK);
	sodium_bin2base64(text, sizeof(text), z, zl, sodium_base64_VARIANT_ORIGINAL);
	assert_int_equal(wwtp_sigstore_unpack(text, strlen(text), &back), WWTP_ERR_INVAL);
	free(zeros);
	wwtp_buf_free(&line);
	wwtp_buf_free(&back);
}

static void test_times(void **state)
{
	int64_t ms;
	(void)state;
	assert_int_equal(wwtp_verify_parse_time("2026-12-03", &ms), 0);
	assert_true(ms == T0);
	assert_int_equal(wwtp_verify_parse_time("2026-12-03T00:00:01Z", &ms), 0);
	assert_true(ms == T0 + 1000);
	assert_int_equal(wwtp_verify_parse_time("2026-12-03T00:00:01.250Z", &ms), 0);
	assert_true(ms == T0 + 1250);
	assert_int_equal(wwtp_verify_parse_time("yesterday", &ms), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_verify_parse_time("2026-12-03T00:00:01", &ms), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_verify_parse_time("2026-13-03", &ms), WWTP_ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_genuine_span, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_signature_and_missing_link, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_broken_and_misplaced, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_link_before_the_span, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_points_altered_inserted_deleted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sigstore_round_trip, setup, teardown),
	    cmocka_unit_test(test_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
