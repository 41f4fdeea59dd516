/* verify_cmd.c - `wwtp-central verify` (verify_cmd.h). */
#include "verify_cmd.h"

#include <curl/curl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../payload/payload.h"
#include "../../station/station_config.h"
#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/timeutil.h"
#include "../config/cli.h"
#include "../config/config.h"
#include "../ingest/lineproto.h"
#include "../ingest/query.h"
#include "../ingest/registry.h"
#include "../ingest/sigstore.h"
#include "../ingest/span.h"

#define CMD "wwtp-central verify"
/* Cap of one answer of InfluxDB: a day of a station's `signed` points is
 * a few megabytes (docs/influxdb-schema.md); a long span, more. */
#define ANSWER_MAX ((size_t)1 << 30)
/* How far before the span the link before its first is looked for. */
#define BEFORE_MS 86400000LL
/* Rows asked for at a time: under InfluxDB 1.x's default max-row-limit. */
#define PAGE_ROWS 5000

#define SYNOPSIS "Usage: " CMD " -c FILE --station ID --from TIME --to TIME [--log-level LEVEL]\n"

static void usage(FILE *f)
{
	fprintf(f, SYNOPSIS
		"\n"
		"Re-checks what InfluxDB holds of a signed station between two times: the\n"
		"stored bytes of every message against the station's registered public key,\n"
		"every link's prev against the hash of the link before it, and every reading\n"
		"point against the readings of the verified messages. Prints the links\n"
		"checked, good and bad signatures, missing and broken links with their seq\n"
		"ranges, and each reading point no verified message accounts for (written\n"
		"to InfluxDB directly, or altered) or that is missing. docs/security.md.\n"
		"\n"
		"  -c, --config FILE     central.cfg (required; its station files give the key)\n"
		"  -s, --station ID      the station (required; its file has signing.public_key)\n"
		"  -f, --from TIME       start of the span, included (required)\n"
		"  -t, --to TIME         end of the span, excluded (required)\n"
		"      --log-level LEVEL error, warn, info or debug (default warn)\n"
		"  -h, --help            show this help and exit\n"
		"\n"
		"TIME is UTC: 2026-12-04, 2026-12-04T14:00:00Z or 2026-12-04T14:00:00.000Z.\n"
		"The first link's prev is checked against the link before it when that one\n"
		"is stored within a day before the span. Links missing before the first or\n"
		"after the last are not seen: choose a span that starts and ends inside the\n"
		"data you mean.\n"
		"\n"
		"Exit status: 0 everything checks; 1 something does not (each named above\n"
		"the summary); 2 bad command line or configuration, or InfluxDB could not be\n"
		"read (nothing was checked).\n");
}

static const struct wwtp_cli verify_cli = {CMD, SYNOPSIS};

int wwtp_verify_parse_time(const char *s, int64_t *ms)
{
	char full[32];
	size_t n = strlen(s);

	if (n == 10)
		snprintf(full, sizeof(full), "%sT00:00:00.000Z", s);
	else if (n == 20 && s[19] == 'Z')
		snprintf(full, sizeof(full), "%.19s.000Z", s);
	else if (n == 24)
		snprintf(full, sizeof(full), "%s", s);
	else
		return WWTP_ERR_INVAL;
	return wwtp_parse_utc(full, ms);
}

/* What the two queries give, for span.h. */
struct rows {
	struct wwtp_span_signed *links;
	size_t nlinks, alinks;
	struct wwtp_span_point *points;
	size_t npoints, apoints;
	struct wwtp_buf *bytes; /* one per link, the unpacked bytes */
	json_t **docs;		/* the answers the points' strings live in */
	size_t ndocs, adocs;
	int nomem;
};

static int64_t row_time(json_t *columns, json_t *row)
{
	return (int64_t)wwtp_query_col_num(columns, row, "time", 0);
}

static void signed_row(void *ctx, json_t *tags, json_t *columns, json_t *row)
{
	struct rows *r = ctx;
	const char *text = wwtp_query_col_str(columns, row, "bytes");
	(void)tags;

	if (r->nomem)
		return;
	if (r->nlinks == r->alinks) {
		size_t a = r->alinks ? 2 * r->alinks : 1024;
		struct wwtp_span_signed *l = realloc(r->links, a * sizeof(*l));
		struct wwtp_buf *b = l ? realloc(r->bytes, a * sizeof(*b)) : NULL;
		if (l)
			r->links = l;
		if (!l || !b) {
			r->nomem = 1;
			return;
		}
		r->bytes = b;
		r->alinks = a;
	}
	struct wwtp_span_signed *s = &r->links[r->nlinks];
	struct wwtp_buf *b = &r->bytes[r->nlinks];
	memset(s, 0, sizeof(*s));
	wwtp_buf_init(b, WWTP_PAYLOAD_MAX + 1);
	r->nlinks++;
	s->time_ms = row_time(columns, row);
	s->chain = (int64_t)wwtp_query_col_num(columns, row, "chain", 0);
	s->alert = wwtp_query_col_str(columns, row, "alert") != NULL;
	s->config = wwtp_query_col_str(columns, row, "config") != NULL;
	int rc = text ? wwtp_sigstore_unpack(text, strlen(text), b) : WWTP_ERR_INVAL;
	if (rc == WWTP_ERR_NOMEM)
		r->nomem = 1;
	s->unreadable = rc != 0;
	s->bytes = b->data;
	s->len = b->len;
}

static void reading_row(void *ctx, json_t *tags, json_t *columns, json_t *row)
{
	struct rows *r = ctx;
	(void)tags;

	if (r->nomem)
		return;
	if (r->npoints == r->apoints) {
		size_t a = r->apoints ? 2 * r->apoints : 4096;
		struct wwtp_span_point *p = realloc(r->points, a * sizeof(*p));
		if (!p) {
			r->nomem = 1;
			return;
		}
		r->points = p;
		r->apoints = a;
	}
	struct wwtp_span_point *p = &r->points[r->npoints++];
	json_t *v = wwtp_query_col(columns, row, "value");
	json_t *sv = wwtp_query_col(columns, row, "suspect_value");
	memset(p, 0, sizeof(*p));
	p->time_ms = row_time(columns, row);
	p->device = wwtp_query_col_str(columns, row, "device");
	p->param = wwtp_query_col_str(columns, row, "param");
	p->status = wwtp_query_col_str(columns, row, "status");
	p->unit = wwtp_query_col_str(columns, row, "unit");
	if (json_is_number(v)) {
		p->has_value = 1;
		p->value = json_number_value(v);
	} else if (json_is_number(sv)) {
		p->has_value = 1;
		p->suspect = 1;
		p->value = json_number_value(sv);
	}
}

/* Runs one SELECT of the span into *doc; "database not found" is an
 * empty answer. 0 or the exit status. */
static int ask(struct wwtp_influx **ix, const struct wwtp_central_influx *cfg, const char *what,
	       const char *station, const char *extra, int64_t from, int64_t to, const char *tail,
	       struct wwtp_buf *answer, json_t **doc)
{
	struct wwtp_buf q;
	char why[512];

	wwtp_buf_init(&q, 4096);
	int rc = wwtp_buf_adds(&q, what);
	rc |= wwtp_query_str(&q, station);
	rc |= wwtp_buf_adds(&q, extra);
	rc |= wwtp_buf_printf(&q, " AND time >= %" PRId64 "ms AND time < %" PRId64 "ms", from, to);
	rc |= wwtp_buf_adds(&q, tail);
	if (rc != 0) {
		wwtp_buf_free(&q);
		fprintf(stderr, CMD ": out of memory\n");
		return 1;
	}
	rc = wwtp_query_run(ix, cfg, q.data, answer, doc, why, sizeof(why));
	wwtp_buf_free(&q);
	if (rc != 0 && strstr(why, "database not found")) {
		*doc = NULL;
		return 0;
	}
	if (rc != 0) {
		fprintf(stderr,
			CMD ": cannot read InfluxDB at %s: %s (nothing was checked; "
			    "see the influxdb group of the configuration)\n",
			cfg->url, why);
		return WWTP_CLI_USAGE;
	}
	/* Cut by the server's max-row-limit: not the whole span. */
	json_t *res = json_array_get(json_object_get(*doc, "results"), 0);
	int partial = json_is_true(json_object_get(res, "partial"));
	json_t *series = json_object_get(res, "series");
	for (size_t i = 0; i < json_array_size(series); i++)
		partial |= json_is_true(json_object_get(json_array_get(series, i), "partial"));
	if (partial) {
		fprintf(stderr,
			CMD ": InfluxDB at %s gave only part of the span (its [http] "
			    "max-row-limit): nothing was checked; ask for a shorter span\n",
			cfg->url);
		json_decref(*doc);
		*doc = NULL;
		return WWTP_CLI_USAGE;
	}
	return 0;
}

/* A page's rows before `until` (the rest come again with the next page). */
struct page {
	wwtp_query_row_fn fn;
	struct rows *r;
	int64_t until;
	size_t n, taken;
	int64_t last;
};

static void page_scan(void *ctx, json_t *tags, json_t *columns, json_t *row)
{
	struct page *p = ctx;
	int64_t t = row_time(columns, row);
	(void)tags;
	p->n++;
	if (t > p->last)
		p->last = t;
}

static void page_take(void *ctx, json_t *tags, json_t *columns, json_t *row)
{
	struct page *p = ctx;
	if (row_time(columns, row) < p->until) {
		p->taken++;
		p->fn(p->r, tags, columns, row);
	}
}

/* Every row of a SELECT of the span, a page at a time (InfluxDB 1.x gives
 * at most max-row-limit rows, 10000 by default, per answer), to fn with r;
 * the answers are kept in r. A full page is taken up to its last time,
 * and the next starts there: rows of one time are never split between
 * pages. 0 or the exit status. */
static int ask_all(struct wwtp_influx **ix, const struct wwtp_central_influx *cfg, const char *what,
		   const char *station, const char *extra, int64_t from, int64_t to,
		   struct wwtp_buf *answer, wwtp_query_row_fn fn, struct rows *r)
{
	char tail[32];

	snprintf(tail, sizeof(tail), " LIMIT %d", PAGE_ROWS);
	for (int64_t at = from;;) {
		struct page p = {.fn = fn, .r = r, .until = to, .last = INT64_MIN};
		json_t *doc = NULL;
		int status = ask(ix, cfg, what, station, extra, at, to, tail, answer, &doc);
		if (status != 0 || !doc)
			return status;
		if (r->ndocs == r->adocs) {
			size_t a = r->adocs ? 2 * r->adocs : 16;
			json_t **d = realloc(r->docs, a * sizeof(*d));
			if (!d) {
				json_decref(doc);
				r->nomem = 1;
				return 0;
			}
			r->docs = d;
			r->adocs = a;
		}
		r->docs[r->ndocs++] = doc;
		wwtp_query_each_row(doc, 0, page_scan, &p);
		if (p.n >= PAGE_ROWS)
			p.until = p.last;
		wwtp_query_each_row(doc, 0, page_take, &p);
		if (p.n < PAGE_ROWS || r->nomem)
			return 0;
		if (p.taken == 0) {
			fprintf(stderr,
				CMD ": more than %d rows at one time (%" PRId64
				    " ms): cannot read them a page at a time\n",
				PAGE_ROWS, p.last);
			return WWTP_CLI_USAGE;
		}
		at = p.last;
	}
}

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	printf("  %s\n", line);
}

static int run(const struct wwtp_central_cfg *cfg, const struct wwtp_registry *reg,
	       const char *station, int64_t from, int64_t to)
{
	struct wwtp_influx *ix = NULL;
	struct wwtp_buf answer;
	struct rows r, b;
	struct wwtp_span_counts c;
	char t1[40], t2[40], extra[64];
	int status;

	memset(&r, 0, sizeof(r));
	memset(&b, 0, sizeof(b));
	wwtp_buf_init(&answer, ANSWER_MAX);
	status = ask_all(&ix, &cfg->influx,
			 "SELECT \"chain\", \"bytes\", \"alert\", \"config\" FROM \"" WWTP_LP_SIGNED
			 "\" WHERE \"station\" = ",
			 station, "", from, to, &answer, signed_row, &r);
	/* The link before the first, within a day before the span: the
	 * first link's prev is checked against it. */
	int64_t lowest = 0;
	for (size_t i = 0; i < r.nlinks; i++)
		if (r.links[i].chain > 0 && (lowest == 0 || r.links[i].chain < lowest))
			lowest = r.links[i].chain;
	if (status == 0 && lowest > 1) {
		snprintf(extra, sizeof(extra), " AND \"chain\" = %" PRId64, lowest - 1);
		status = ask_all(
		    &ix, &cfg->influx,
		    "SELECT \"chain\", \"bytes\", \"alert\", \"config\" FROM \"" WWTP_LP_SIGNED
		    "\" WHERE \"station\" = ",
		    station, extra, from - BEFORE_MS, from, &answer, signed_row, &b);
	}
	if (status == 0)
		status =
		    ask_all(&ix, &cfg->influx,
			    "SELECT * FROM \"" WWTP_LP_READING "\" WHERE \"station\" = ", station,
			    "", from, to, &answer, reading_row, &r);
	if (status == 0 && (r.nomem || b.nomem)) {
		fprintf(stderr, CMD ": out of memory\n");
		status = 1;
	}
	if (status == 0) {
		wwtp_format_utc(from, t1, sizeof(t1));
		wwtp_format_utc(to, t2, sizeof(t2));
		printf("station %s, %s to %s\n", station, t1, t2);
		struct wwtp_span_in in = {.reg = reg,
					  .station = station,
					  .prefix = cfg->mqtt.topic_prefix,
					  .now_ms = wwtp_now_ms(),
					  .links = r.links,
					  .nlinks = r.nlinks,
					  .points = r.points,
					  .npoints = r.npoints,
					  .before = b.nlinks ? &b.links[0] : NULL};
		int rc = wwtp_span_check(&in, &c, print_line, NULL);
		if (rc != 0) {
			fprintf(stderr, CMD ": %s\n", wwtp_strerror(rc));
			status = 1;
		}
	}
	if (status == 0) {
		printf("links checked: %zu", c.links);
		if (c.first)
			printf(" (links %zu..%zu)", c.first, c.last);
		printf("\nsignatures: %zu good, %zu bad\n", c.good, c.bad);
		if (c.misplaced)
			printf("signed but misplaced or not decodable: %zu\n", c.misplaced);
		printf("chain: %zu missing links in %zu gaps, %zu broken links\n", c.missing,
		       c.gaps, c.broken);
		if (c.first == 1)
			printf("first link: 1, the start of the chain\n");
		else if (c.before_checked)
			printf(
			    "first link's prev: checked against link %zu, stored before the span\n",
			    c.first - 1);
		else if (c.first > 1)
			printf("first link's prev: not checked (link %zu is not stored in the day "
			       "before "
			       "the span)\n",
			       c.first - 1);
		printf(
		    "reading points: %zu stored, %zu accounted for by verified messages, %zu not "
		    "accounted for, %zu altered; %zu readings of verified messages not stored\n",
		    c.points, c.accounted, c.unaccounted, c.altered, c.deleted);
		if (c.links == 0 && c.points == 0)
			printf("nothing is stored for %s in this span\n", station);
		status = wwtp_span_ok(&c) ? 0 : 1;
		printf("%s\n", status == 0 ? "verify: everything checks"
					   : "verify: FAILED (see the lines above)");
	}
	for (size_t i = 0; i < r.ndocs; i++)
		json_decref(r.docs[i]);
	for (size_t i = 0; i < b.ndocs; i++)
		json_decref(b.docs[i]);
	free(r.docs);
	free(b.docs);
	for (size_t i = 0; i < r.nlinks; i++)
		wwtp_buf_free(&r.bytes[i]);
	for (size_t i = 0; i < b.nlinks; i++)
		wwtp_buf_free(&b.bytes[i]);
	free(b.bytes);
	free(b.links);
	free(r.bytes);
	free(r.links);
	free(r.points);
	wwtp_buf_free(&answer);
	wwtp_influx_free(ix);
	return status;
}

int wwtp_verify_main(int argc, char **argv)
{
	enum { OPT_LOG = 256 };
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"station", required_argument, NULL, 's'},
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"log-level", required_argument, NULL, OPT_LOG},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct wwtp_central_cfg cfg; /* large: not on the stack */
	struct wwtp_station **stations = NULL;
	const char *config = NULL, *station = NULL, *from_s = NULL, *to_s = NULL;
	int64_t from = 0, to = 0;
	size_t nst = 0;
	int opt;

	wwtp_log_set_level(WWTP_LOG_WARN);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":c:s:f:t:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 's':
			station = optarg;
			break;
		case 'f':
			from_s = optarg;
			break;
		case 't':
			to_s = optarg;
			break;
		case OPT_LOG:
			if (wwtp_cli_log_level(&verify_cli, optarg) != 0)
				return WWTP_CLI_USAGE;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return wwtp_cli_bad_option(&verify_cli, opt, argv);
		}
	}
	if (wwtp_cli_no_operand_and_config(&verify_cli, argc, argv, config) != 0)
		return WWTP_CLI_USAGE;
	if (!station)
		return wwtp_cli_bad(&verify_cli, "%s", "the station is required: --station ID");
	if (!from_s || !to_s)
		return wwtp_cli_bad(&verify_cli, "%s",
				    "the span is required: --from TIME --to TIME");
	if (wwtp_verify_parse_time(from_s, &from) != 0)
		return wwtp_cli_bad(&verify_cli,
				    "bad --from '%s' (2026-12-04, 2026-12-04T14:00:00Z or "
				    "2026-12-04T14:00:00.000Z, UTC)",
				    from_s);
	if (wwtp_verify_parse_time(to_s, &to) != 0)
		return wwtp_cli_bad(&verify_cli,
				    "bad --to '%s' (2026-12-04, 2026-12-04T14:00:00Z or "
				    "2026-12-04T14:00:00.000Z, UTC)",
				    to_s);
	if (to <= from)
		return wwtp_cli_bad(&verify_cli, "--to '%s' is not after --from", to_s);

	int status = wwtp_cli_load(config, &cfg, NULL, &stations, &nst);
	if (status != 0)
		return status;
	struct wwtp_registry *reg = wwtp_registry_new();
	int rc = reg ? wwtp_registry_add_stations(reg, stations, nst) : WWTP_ERR_NOMEM;
	wwtp_station_list_free(stations, nst);
	if (rc != 0) {
		fprintf(stderr, CMD ": %s: %s\n", config, wwtp_strerror(rc));
		wwtp_registry_free(reg);
		return rc == WWTP_ERR_NOMEM ? 1 : WWTP_CLI_USAGE;
	}
	const struct wwtp_reg_station *st = wwtp_registry_find(reg, station);
	if (!st || !st->has_key) {
		fprintf(stderr,
			CMD ": station '%s' %s in %s: nothing to verify (its file there needs "
			    "signing = { public_key = \"...\"; }, docs/config.md)\n",
			station, st ? "has no signing.public_key" : "has no station file",
			cfg.stations_dir);
		wwtp_registry_free(reg);
		return WWTP_CLI_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, CMD ": cannot initialise libcurl\n");
		wwtp_registry_free(reg);
		return 1;
	}
	status = run(&cfg, reg, station, from, to);
	curl_global_cleanup();
	wwtp_registry_free(reg);
	return status;
}
