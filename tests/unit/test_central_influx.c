/* test_central_influx.c - the InfluxDB client's pure parts
 * (central/ingest/influx.c): the batch policy against a fake
 * server (bad lines isolated by halving and dropped, nothing else; a
 * failure mid-way reports exactly what is done; 413 splits; the request
 * budget), gzip bodies that inflate back, and the URLs and query built. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../central/ingest/influx.h"
#include "../../util/err.h"
#include "../../central/ingest/influx-private.h"
#include "../../central/ingest/query.h"

/* ---- a fake server ---- */

struct fake {
	int requests;
	int fail_at;	    /* the request number (1-based) that gets RETRY; 0 never */
	size_t max_body;    /* bodies larger get 413; 0 no limit */
	char written[8192]; /* the lines it accepted, in order */
};

/* Refuses a body holding a line with "bad" in it, as InfluxDB 1.x refuses a
 * batch with one unparsable line. */
static int fake_post(void *ctx, const char *data, size_t len)
{
	struct fake *f = ctx;
	f->requests++;
	if (f->fail_at && f->requests == f->fail_at)
		return WWTP_INFLUX_RETRY;
	if (f->max_body && len > f->max_body)
		return WWTP_INFLUX_TOO_LARGE;
	if (memmem(data, len, "bad", 3))
		return WWTP_INFLUX_BAD_DATA;
	size_t used = strlen(f->written);
	assert_true(used + len < sizeof(f->written));
	memcpy(f->written + used, data, len);
	f->written[used + len] = '\0';
	return WWTP_INFLUX_OK;
}

/* n lines "mI v=I I\n", the ones listed in bad[] named "badI". */
static char *lines(int n, const int *bad, size_t nbad)
{
	static char buf[8192];
	size_t used = 0;
	for (int i = 0; i < n; i++) {
		int isbad = 0;
		for (size_t j = 0; j < nbad; j++)
			isbad |= bad[j] == i;
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%d v=%d %d\n",
					 isbad ? "bad" : "m", i, i, i);
	}
	return buf;
}

/* Writes len bytes of d through the fake with a budget of `budget`
 * requests; the verdict and the counts of lines written and dropped must
 * be these. */
static struct wwtp_write_result write_batch(struct fake *f, const char *d, size_t len, int budget,
					    int verdict, uint64_t written, uint64_t dropped)
{
	struct wwtp_write_result r;
	wwtp_influx_write_batch(d, len, fake_post, f, budget, &r);
	assert_int_equal(r.verdict, verdict);
	assert_int_equal(r.written, written);
	assert_int_equal(r.dropped, dropped);
	return r;
}

static void test_all_good(void **state)
{
	struct fake f = {0};
	struct wwtp_write_result r;
	(void)state;

	char *d = lines(10, NULL, 0);
	r = write_batch(&f, d, strlen(d), 64, WWTP_INFLUX_OK, 10, 0);
	assert_int_equal(r.done, strlen(d));
	assert_int_equal(r.requests, 1);
	assert_string_equal(f.written, d);

	memset(&f, 0, sizeof(f));
	r = write_batch(&f, "", 0, 64, WWTP_INFLUX_OK, 0, 0);
	assert_int_equal(r.requests, 0);
}

static void test_isolates_bad_lines(void **state)
{
	struct fake f = {0};
	struct wwtp_write_result r;
	static const int bad[] = {3, 12};
	(void)state;

	char *d = lines(16, bad, 2);
	r = write_batch(&f, d, strlen(d), 64, WWTP_INFLUX_OK, 14, 2);
	assert_int_equal(r.done, strlen(d));
	/* Every good line once, in order; the bad ones never. */
	char *want = lines(16, NULL, 0);
	char expect[8192];
	expect[0] = '\0';
	for (char *p = want, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		if (strncmp(p, "m3 ", 3) != 0 && strncmp(p, "m12 ", 4) != 0)
			strncat(expect, p, (size_t)(nl - p + 1));
	assert_string_equal(f.written, expect);
	/* Halving: about 2 log2(16) requests per bad line, not one per line. */
	assert_true(r.requests <= 17);

	/* A single bad line: one request, dropped. */
	memset(&f, 0, sizeof(f));
	static const int only[] = {0};
	d = lines(1, only, 1);
	r = write_batch(&f, d, strlen(d), 64, WWTP_INFLUX_OK, 0, 1);
	assert_int_equal(r.requests, 1);
	assert_int_equal(r.done, strlen(d));
}

static void test_budget(void **state)
{
	struct fake f = {0};
	struct wwtp_write_result r;
	int bad[64];
	(void)state;

	/* Every line bad: the budget stops the halving, whole ranges are
	 * dropped, and the count is still exact. */
	for (int i = 0; i < 64; i++)
		bad[i] = i;
	char *d = lines(64, bad, 64);
	r = write_batch(&f, d, strlen(d), 8, WWTP_INFLUX_OK, 0, 64);
	assert_int_equal(r.done, strlen(d));
	assert_true(r.requests <= 8 + 7); /* the budget plus the ranges already queued */
}

static void test_failure_midway(void **state)
{
	struct fake f = {0};
	struct wwtp_write_result r;
	static const int bad[] = {1};
	(void)state;

	/* Request 1: the whole batch, refused (bad line 1). Request 2: the
	 * first half [0..3], refused. Request 3: [0..1], refused. Request 4:
	 * [0] written. Request 5 ([1], the bad one): the server goes away. */
	char *d = lines(8, bad, 1);
	f.fail_at = 5;
	r = write_batch(&f, d, strlen(d), 64, WWTP_INFLUX_RETRY, 1, 0);
	assert_int_equal(r.done, strlen("m0 v=0 0\n"));
	/* The rest, later: bad1 dropped once, all others written once. */
	f.fail_at = 0;
	write_batch(&f, d + r.done, strlen(d) - r.done, 64, WWTP_INFLUX_OK, 7 - r.written, 1);
	assert_string_equal(f.written,
			    "m0 v=0 0\nm2 v=2 2\nm3 v=3 3\nm4 v=4 4\nm5 v=5 5\nm6 v=6 6\n"
			    "m7 v=7 7\n");

	/* Down from the first request: nothing done. */
	memset(&f, 0, sizeof(f));
	f.fail_at = 1;
	r = write_batch(&f, d, strlen(d), 64, WWTP_INFLUX_RETRY, 0, 0);
	assert_int_equal(r.done, 0);
}

static void test_too_large_splits(void **state)
{
	struct fake f = {0};
	(void)state;

	char *d = lines(10, NULL, 0);
	f.max_body = 30; /* three lines or so */
	write_batch(&f, d, strlen(d), 64, WWTP_INFLUX_OK, 10, 0);
	assert_string_equal(f.written, d);
}

static void test_gzip(void **state)
{
	struct wwtp_influx ix;
	char in[20000], out[20000];
	(void)state;

	memset(&ix, 0, sizeof(ix));
	wwtp_buf_init(&ix.gz, INFLUX_BODY_MAX);
	size_t n = 0;
	for (int i = 0; n + 64 < sizeof(in); i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n,
				      "reading,device=d,param=cod,station=s value=%d %d\n", i, i);
	assert_int_equal(gzip_body(&ix, in, n), 0);
	assert_true(ix.gz.len < n / 3);
	/* A gzip stream (magic 1f 8b) that inflates back to the input. */
	assert_int_equal((unsigned char)ix.gz.data[0], 0x1f);
	assert_int_equal((unsigned char)ix.gz.data[1], 0x8b);
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)ix.gz.data;
	z.avail_in = (uInt)ix.gz.len;
	z.next_out = (Bytef *)out;
	z.avail_out = sizeof(out);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(sizeof(out) - z.avail_out, n);
	inflateEnd(&z);
	assert_memory_equal(out, in, n);
	wwtp_buf_free(&ix.gz);
}

static void test_urls(void **state)
{
	(void)state;
	CURL *c = curl_easy_init();
	assert_non_null(c);
	char *u = make_url(c, "http://h:8086", "/write", "db", "my db&x", "rp", "", "precision",
			   "ms", NULL);
	assert_string_equal(u, "http://h:8086/write?db=my%20db%26x&precision=ms");
	free(u);
	u = make_url(c, "https://i/base", "/api/v2/write", "org", "Sở TN&MT", "bucket", "wwtp",
		     "precision", "ms", NULL);
	assert_string_equal(u, "https://i/base/api/v2/write?org=S%E1%BB%9F%20TN%26MT&bucket=wwtp"
			       "&precision=ms");
	free(u);
	u = make_url(c, "http://h", "/query", NULL);
	assert_string_equal(u, "http://h/query");
	free(u);
	u = make_create_body(c, "w\"x");
	assert_string_equal(u, "q=CREATE%20DATABASE%20%22w%5C%22x%22");
	free(u);
	curl_easy_cleanup(c);

	/* What each answer means. */
	assert_int_equal(classify(204), WWTP_INFLUX_OK);
	assert_int_equal(classify(400), WWTP_INFLUX_BAD_DATA);
	assert_int_equal(classify(422), WWTP_INFLUX_BAD_DATA);
	assert_int_equal(classify(413), WWTP_INFLUX_TOO_LARGE);
	assert_int_equal(classify(404), WWTP_INFLUX_NO_DB);
	assert_int_equal(classify(401), WWTP_INFLUX_RETRY);
	assert_int_equal(classify(429), WWTP_INFLUX_RETRY);
	assert_int_equal(classify(503), WWTP_INFLUX_RETRY);
}

/* query.c: literals and identifiers quoted whatever they hold; an answer
 * read only when every statement succeeded. */
static void test_query(void **state)
{
	struct wwtp_buf q;
	json_t *doc = NULL;
	char why[128];
	(void)state;

	wwtp_buf_init(&q, 256);
	assert_int_equal(wwtp_query_str(&q, "x' OR 1=1 \\"), 0);
	assert_int_equal(wwtp_buf_adds(&q, " "), 0);
	assert_int_equal(wwtp_query_ident(&q, "a\"b"), 0);
	assert_int_equal(wwtp_buf_add(&q, "", 1), 0);
	assert_string_equal(q.data, "'x\\' OR 1=1 \\\\' \"a\\\"b\"");
	wwtp_buf_free(&q);

	const char *good = "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"reading\","
			   "\"tags\":{\"param\":\"cod\"},\"columns\":[\"time\",\"count\"],"
			   "\"values\":[[3600000,58]]}]}]}";
	assert_int_equal(wwtp_query_parse(good, strlen(good), &doc, why, sizeof why), 0);
	json_t *s0 = json_array_get(wwtp_query_series(doc, 0), 0);
	json_t *cols = json_object_get(s0, "columns");
	json_t *row = json_array_get(json_object_get(s0, "values"), 0);
	assert_true(wwtp_query_col_num(cols, row, "count", -1) == 58);
	assert_string_equal(wwtp_query_tag(json_object_get(s0, "tags"), cols, row, "param"), "cod");
	assert_null(wwtp_query_col_str(cols, row, "count"));
	json_decref(doc);

	const char *e = "{\"results\":[{\"statement_id\":0},{\"statement_id\":1,"
			"\"error\":\"database not found: wwtp\"}]}";
	assert_int_equal(wwtp_query_parse(e, strlen(e), &doc, why, sizeof why), WWTP_ERR_PROTO);
	assert_null(doc);
	assert_string_equal(why, "database not found: wwtp");
	assert_int_equal(wwtp_query_parse("<html>", 6, &doc, why, sizeof why), WWTP_ERR_PROTO);
	assert_string_equal(why, "the answer is not JSON");
	assert_int_equal(wwtp_query_parse("{}", 2, &doc, why, sizeof why), WWTP_ERR_PROTO);
	assert_string_equal(why, "the answer has no results");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_good),
	    cmocka_unit_test(test_isolates_bad_lines),
	    cmocka_unit_test(test_budget),
	    cmocka_unit_test(test_failure_midway),
	    cmocka_unit_test(test_too_large_splits),
	    cmocka_unit_test(test_gzip),
	    cmocka_unit_test(test_urls),
	    cmocka_unit_test(test_query),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
