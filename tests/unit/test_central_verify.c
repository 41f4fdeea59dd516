/* test_central_verify.c - central's check of signatures and the chain
 * (central/ingest/verify.h): verdicts, gaps with their seq range reported
 * once the station's floor has passed them, late links filling gaps, a
 * link that does not follow, a chain that starts again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../central/ingest/registry.h"
#include "../../central/ingest/verify.h"
#include "../../util/buf.h"
#include "../../util/sign.h"

struct fx {
	struct wwtp_registry *reg;
	struct wwtp_verify *v;
	unsigned char sk[WWTP_SIGN_SK_LEN], sk2[WWTP_SIGN_SK_LEN];
	unsigned char head[WWTP_SIGN_HASH_LEN]; /* the gateway's chain head */
	struct wwtp_buf b;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct wwtp_reg_station s;
	unsigned char pk2[WWTP_SIGN_PK_LEN];

	if (!f)
		return -1;
	f->reg = wwtp_registry_new();
	memset(&s, 0, sizeof(s));
	snprintf(s.id, sizeof(s.id), "signed");
	s.has_key = 1;
	if (wwtp_sign_keypair(s.public_key, f->sk) != 0 || wwtp_sign_keypair(pk2, f->sk2) != 0 ||
	    wwtp_registry_add(f->reg, &s) != 0)
		return -1;
	memset(&s, 0, sizeof(s));
	snprintf(s.id, sizeof(s.id), "plain");
	if (wwtp_registry_add(f->reg, &s) != 0 || !(f->v = wwtp_verify_new(f->reg)))
		return -1;
	wwtp_buf_init(&f->b, 4096);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	wwtp_verify_free(f->v);
	wwtp_registry_free(f->reg);
	wwtp_buf_free(&f->b);
	free(f);
	return 0;
}

/* The gateway makes telemetry seq (as link) with floor, signed and
 * chained on its head; when sent is 0 the message is made (the head moves)
 * but never reaches central. */
static void gateway(struct fx *f, uint64_t link, int64_t floor, int sent, struct wwtp_verify_out *o)
{
	unsigned char h[WWTP_SIGN_HASH_LEN];
	wwtp_buf_reset(&f->b);
	assert_int_equal(wwtp_buf_printf(&f->b, "{\"seq\":%llu,\"floor\":%lld}",
					 (unsigned long long)link, (long long)floor),
			 0);
	assert_int_equal(wwtp_sign_message(&f->b, f->sk, link, f->head, h), 0);
	memcpy(f->head, h, sizeof(h));
	memset(o, 0, sizeof(*o));
	if (sent)
		assert_int_equal(wwtp_verify_message(f->v, "signed", f->b.data, f->b.len, 1, 1,
						     (int64_t)link, floor, 1000, o),
				 0);
}

static void test_verdicts(void **state)
{
	struct fx *f = *state;
	struct wwtp_verify_out o;
	const char *plain = "{\"seq\":1}";

	assert_int_equal(
	    wwtp_verify_message(f->v, "plain", plain, strlen(plain), 1, 1, 1, 1, 0, &o), 0);
	assert_int_equal(o.verdict, WWTP_VERIFY_NOKEY);
	assert_int_equal(
	    wwtp_verify_message(f->v, "signed", plain, strlen(plain), 1, 1, 1, 1, 0, &o), 0);
	assert_int_equal(o.verdict, WWTP_VERIFY_MISSING);
	wwtp_buf_reset(&f->b);
	wwtp_buf_adds(&f->b, plain);
	assert_int_equal(wwtp_sign_message(&f->b, f->sk2, 1, NULL, NULL), 0);
	assert_int_equal(
	    wwtp_verify_message(f->v, "signed", f->b.data, f->b.len, 1, 1, 1, 1, 0, &o), 0);
	assert_int_equal(o.verdict, WWTP_VERIFY_BAD);
	/* Signed by the station, and an unsigned station's signed message. */
	gateway(f, 1, 1, 1, &o);
	assert_int_equal(o.verdict, WWTP_VERIFY_OK);
	assert_true(o.link == 1);
	assert_string_equal(wwtp_verify_verdict_name(WWTP_VERIFY_BAD), "bad");
}

static void test_gap_reported_when_floor_passes(void **state)
{
	struct fx *f = *state;
	struct wwtp_verify_out o;

	for (uint64_t l = 1; l <= 3; l++) {
		gateway(f, l, (int64_t)l, 1, &o);
		assert_int_equal(o.verdict, WWTP_VERIFY_OK);
		assert_int_equal(o.ngaps, 0);
		assert_true(o.broken == 0);
	}
	gateway(f, 4, 4, 0, &o); /* deleted at the station */
	gateway(f, 5, 4, 0, &o);
	/* 6 arrives while 4 and 5 may still come (its floor is 4). */
	gateway(f, 6, 4, 1, &o);
	assert_int_equal(o.ngaps, 0);
	assert_true(o.broken == 0);
	/* 7 says nothing below 7 will come: the gap is final. */
	gateway(f, 7, 7, 1, &o);
	assert_int_equal(o.ngaps, 1);
	assert_true(o.gaps[0].from == 4 && o.gaps[0].to == 5);
	assert_int_equal(o.gaps[0].seq_from, 4);
	assert_int_equal(o.gaps[0].seq_to, 5);
	/* Said once. */
	gateway(f, 8, 8, 1, &o);
	assert_int_equal(o.ngaps, 0);
}

static void test_late_links_fill_gaps(void **state)
{
	struct fx *f = *state;
	struct wwtp_verify_out o;
	struct wwtp_buf keep[3];

	gateway(f, 1, 1, 1, &o);
	/* 2, 3, 4 made, sent late (a backlog behind a live message). */
	for (int i = 0; i < 3; i++) {
		gateway(f, (uint64_t)i + 2, 2, 0, &o);
		wwtp_buf_init(&keep[i], 4096);
		wwtp_buf_add(&keep[i], f->b.data, f->b.len);
	}
	gateway(f, 5, 2, 1, &o);
	assert_int_equal(o.ngaps, 0);
	/* The middle one first: the gap splits, then closes. */
	int order[3] = {1, 0, 2};
	for (int k = 0; k < 3; k++) {
		int i = order[k];
		assert_int_equal(wwtp_verify_message(f->v, "signed", keep[i].data, keep[i].len, 1,
						     1, i + 2, 2, 1000, &o),
				 0);
		assert_int_equal(o.verdict, WWTP_VERIFY_OK);
		assert_int_equal(o.ngaps, 0);
		wwtp_buf_free(&keep[i]);
	}
	gateway(f, 6, 6, 1, &o);
	assert_int_equal(o.ngaps, 0); /* nothing was missing in the end */
	/* A repeat changes nothing. */
	assert_int_equal(
	    wwtp_verify_message(f->v, "signed", f->b.data, f->b.len, 1, 1, 6, 6, 0, &o), 0);
	assert_int_equal(o.ngaps, 0);
	assert_true(o.broken == 0);
}

static void test_broken_and_restarted(void **state)
{
	struct fx *f = *state;
	struct wwtp_verify_out o;

	gateway(f, 1, 1, 1, &o);
	gateway(f, 2, 2, 1, &o);
	/* The gateway's head is not what central holds for link 2. */
	memset(f->head, 0x5a, sizeof(f->head));
	gateway(f, 3, 3, 1, &o);
	assert_int_equal(o.verdict, WWTP_VERIFY_OK);
	assert_true(o.broken == 3);
	/* A new store: link 1 after a zero head. */
	memset(f->head, 0, sizeof(f->head));
	gateway(f, 1, 1, 1, &o);
	assert_int_equal(o.restarted, 1);
	gateway(f, 2, 2, 1, &o);
	assert_int_equal(o.restarted, 0);
	assert_true(o.broken == 0);
}

static void test_many_gaps_bounded(void **state)
{
	struct fx *f = *state;
	struct wwtp_verify_out o;
	size_t reported = 0;

	gateway(f, 1, 1, 1, &o);
	/* Every other link lost, floors held low: more gaps than are kept. */
	for (uint64_t l = 2; l < 2 + 2 * (WWTP_VERIFY_MAX_GAPS + 4); l += 2) {
		gateway(f, l, 1, 0, &o);
		gateway(f, l + 1, 1, 1, &o);
		reported += o.ngaps;
	}
	assert_int_equal(reported, 4); /* the oldest went out, reported */
	gateway(f, 100, 100, 1, &o);
	/* Link 100 opens 44..99 (the oldest kept goes out), and its floor
	 * settles all the others. */
	assert_int_equal(o.ngaps, WWTP_VERIFY_MAX_GAPS + 1);
}

static void test_resumed_after_central_restart(void **state)
{
	struct fx *f = *state;
	struct wwtp_verify_out o;

	/* Links 1..5 were stored before central restarted. */
	for (uint64_t l = 1; l <= 5; l++)
		gateway(f, l, (int64_t)l, 0, &o);
	wwtp_verify_resume(f->v, "signed", 4); /* the readings' highest */
	wwtp_verify_resume(f->v, "signed", 5); /* the alerts' */
	wwtp_verify_resume(f->v, "signed", 3);
	wwtp_verify_resume(f->v, "plain", 5); /* no key: ignored */
	gateway(f, 6, 6, 0, &o);	      /* lost while central was away */
	gateway(f, 7, 7, 0, &o);
	/* Link 8: a gap 6..7, final at once (its floor is its own seq); the
	 * unknown hash of link 5 is not held against it. */
	gateway(f, 8, 8, 1, &o);
	assert_int_equal(o.verdict, WWTP_VERIFY_OK);
	assert_true(o.broken == 0);
	assert_int_equal(o.ngaps, 1);
	assert_true(o.gaps[0].from == 6 && o.gaps[0].to == 7);
	/* Read back late: ignored once links have been seen. */
	wwtp_verify_resume(f->v, "signed", 100);
	gateway(f, 9, 9, 1, &o);
	assert_int_equal(o.ngaps, 0);
	assert_true(o.broken == 0);
}

/* With the hash of the last stored link read back too (its kept bytes),
 * the first link after the restart is checked against it. */
static void test_resumed_with_hash(void **state)
{
	struct fx *f = *state;
	struct wwtp_verify_out o;
	unsigned char h5[WWTP_SIGN_HASH_LEN], wrong[WWTP_SIGN_HASH_LEN];

	for (uint64_t l = 1; l <= 5; l++)
		gateway(f, l, (int64_t)l, 0, &o);
	memcpy(h5, f->head, sizeof(h5));
	memset(wrong, 7, sizeof(wrong));
	wwtp_verify_resume(f->v, "signed", 5);
	wwtp_verify_resume_hash(f->v, "signed", 4, wrong); /* not the position: ignored */
	wwtp_verify_resume_hash(f->v, "plain", 5, wrong);  /* no key: ignored */
	wwtp_verify_resume_hash(f->v, "signed", 5, wrong);
	/* Link 6 follows the real link 5, not what was read back. */
	gateway(f, 6, 6, 1, &o);
	assert_int_equal(o.verdict, WWTP_VERIFY_OK);
	assert_true(o.broken == 6);
	/* Again, with the right hash: nothing to say. */
	wwtp_verify_free(f->v);
	f->v = wwtp_verify_new(f->reg);
	assert_non_null(f->v);
	memcpy(f->head, h5, sizeof(h5));
	wwtp_verify_resume(f->v, "signed", 5);
	wwtp_verify_resume_hash(f->v, "signed", 5, h5);
	gateway(f, 6, 6, 1, &o);
	assert_true(o.broken == 0);
	assert_int_equal(o.ngaps, 0);
}

static void noted(const char *station, void *ctx)
{
	assert_string_equal(station, "plain");
	(*(int *)ctx)++;
}

static void test_unsigned_named(void **state)
{
	struct fx *f = *state;
	int n = 0;
	assert_int_equal(wwtp_verify_unsigned(f->v, noted, &n), 1);
	assert_int_equal(n, 1);
}

/* A reconnected gateway sends what it makes now before its backlog: here
 * its configuration message (not telemetry) first, after central
 * restarted. The hole's telemetry range is still learned, from the
 * telemetry that fills it from both ends (seen in signing.sh: the gap was
 * recorded without its seq range when the live message was no reading). */
struct held {
	uint64_t link;
	int64_t seq;
	int telemetry;
	struct wwtp_buf b;
};

static void make(struct fx *f, struct held *h, uint64_t link, int64_t seq, int telemetry)
{
	unsigned char next[WWTP_SIGN_HASH_LEN];
	h->link = link;
	h->seq = seq;
	h->telemetry = telemetry;
	wwtp_buf_init(&h->b, 4096);
	assert_int_equal(wwtp_buf_printf(&h->b, telemetry ? "{\"seq\":%lld}" : "{\"aseq\":%lld}",
					 (long long)seq),
			 0);
	assert_int_equal(wwtp_sign_message(&h->b, f->sk, link, f->head, next), 0);
	memcpy(f->head, next, sizeof(next));
}

static void deliver(struct fx *f, struct held *h, int64_t floor, struct wwtp_verify_out *o)
{
	assert_int_equal(wwtp_verify_message(f->v, "signed", h->b.data, h->b.len, 1, h->telemetry,
					     h->seq, floor, 1000, o),
			 0);
	assert_int_equal(o->verdict, WWTP_VERIFY_OK);
	wwtp_buf_free(&h->b);
}

static void test_gap_range_when_backlog_comes_after(void **state)
{
	struct fx *f = *state;
	struct wwtp_verify_out o;
	struct held m[12];

	/* Links 1..3 (telemetry 1..3) stored before central restarted. */
	for (int i = 1; i <= 3; i++) {
		make(f, &m[i], (uint64_t)i, i, 1);
		wwtp_buf_free(&m[i].b);
	}
	wwtp_verify_resume(f->v, "signed", 3);
	/* Stored while the broker was away: telemetry 4..9 as links 4..9;
	 * 6 and 7 are then deleted from the store. */
	for (int i = 4; i <= 9; i++)
		make(f, &m[i], (uint64_t)i, i, 1);
	/* Restarted, the gateway first sends its configuration (link 10),
	 * then a new reading (link 11, seq 10), then its backlog. */
	make(f, &m[10], 10, 2, 0);
	make(f, &m[11], 11, 10, 1);
	deliver(f, &m[10], 3, &o);
	deliver(f, &m[11], 3, &o);
	int backlog[] = {4, 5, 8, 9};
	for (size_t k = 0; k < 4; k++) {
		deliver(f, &m[backlog[k]], 3, &o);
		assert_int_equal(o.ngaps, 0);
	}
	wwtp_buf_free(&m[6].b);
	wwtp_buf_free(&m[7].b);
	/* Link 12's floor passes the hole: final, links 6..7 = seq 6..7. */
	make(f, &m[0], 12, 11, 1);
	deliver(f, &m[0], 11, &o);
	assert_int_equal(o.ngaps, 1);
	assert_true(o.gaps[0].from == 6 && o.gaps[0].to == 7);
	assert_int_equal(o.gaps[0].seq_from, 6);
	assert_int_equal(o.gaps[0].seq_to, 7);
}

/* A hole holding only a non-telemetry message has no telemetry range. */
static void test_gap_without_telemetry_has_no_range(void **state)
{
	struct fx *f = *state;
	struct wwtp_verify_out o;
	struct held m[4];

	make(f, &m[0], 1, 1, 1);
	deliver(f, &m[0], 1, &o);
	make(f, &m[1], 2, 5, 0); /* an alert, lost */
	wwtp_buf_free(&m[1].b);
	make(f, &m[2], 3, 2, 1);
	deliver(f, &m[2], 1, &o);
	assert_int_equal(o.ngaps, 0); /* the alert may still come */
	make(f, &m[3], 4, 3, 1);
	deliver(f, &m[3], 3, &o);
	assert_int_equal(o.ngaps, 1);
	assert_true(o.gaps[0].from == 2 && o.gaps[0].to == 2);
	assert_int_equal(o.gaps[0].seq_from, 0);
	assert_int_equal(o.gaps[0].seq_to, 0);
}

/* The telemetry next to a hole is the highest seen, whatever order it
 * came in: here link 3 fills an earlier hole before links 5..6 are lost. */
static void test_gap_range_after_a_filled_hole(void **state)
{
	struct fx *f = *state;
	struct wwtp_verify_out o;
	struct held m[8];

	for (int i = 1; i <= 2; i++) {
		make(f, &m[i], (uint64_t)i, i, 1);
		deliver(f, &m[i], i, &o);
	}
	make(f, &m[3], 3, 3, 1);
	make(f, &m[4], 4, 1, 0); /* an alert, sent before reading 3 */
	deliver(f, &m[4], 3, &o);
	deliver(f, &m[3], 3, &o);
	make(f, &m[5], 5, 4, 1); /* lost, with 6 */
	make(f, &m[6], 6, 5, 1);
	wwtp_buf_free(&m[5].b);
	wwtp_buf_free(&m[6].b);
	make(f, &m[7], 7, 6, 1);
	deliver(f, &m[7], 6, &o);
	assert_int_equal(o.ngaps, 1);
	assert_true(o.gaps[0].from == 5 && o.gaps[0].to == 6);
	assert_int_equal(o.gaps[0].seq_from, 4);
	assert_int_equal(o.gaps[0].seq_to, 5);
}

/* A hole split by a late alert: its left part's right neighbour is not
 * the next new reading (readings came between, filling the right part),
 * so it gets no range rather than a wrong one. */
static void test_split_gap_gets_no_wrong_range(void **state)
{
	struct fx *f = *state;
	struct wwtp_verify_out o;
	struct held m[8];

	make(f, &m[1], 1, 1, 1);
	deliver(f, &m[1], 1, &o);
	make(f, &m[2], 2, 2, 1); /* lost */
	make(f, &m[3], 3, 1, 0); /* an alert */
	make(f, &m[4], 4, 3, 1);
	make(f, &m[5], 5, 4, 1);
	make(f, &m[6], 6, 2, 0); /* an alert */
	wwtp_buf_free(&m[2].b);
	int order[] = {6, 3, 4, 5};
	for (size_t k = 0; k < 4; k++) {
		deliver(f, &m[order[k]], 2, &o);
		assert_int_equal(o.ngaps, 0);
	}
	make(f, &m[7], 7, 5, 1);
	deliver(f, &m[7], 5, &o);
	assert_int_equal(o.ngaps, 1);
	assert_true(o.gaps[0].from == 2 && o.gaps[0].to == 2);
	assert_true((o.gaps[0].seq_from == 0 && o.gaps[0].seq_to == 0) ||
		    (o.gaps[0].seq_from == 2 && o.gaps[0].seq_to == 2));
}

/* A backlog delivered with its real floors (each message's own seq, the
 * lowest the gateway still holds) after a live configuration message: a
 * reading from before the hole must not make it final while its links are
 * still on their way; only the two deleted ones end up a gap. */
static void test_backlog_does_not_close_hole_early(void **state)
{
	struct fx *f = *state;
	struct wwtp_verify_out o;
	struct held m[12];
	size_t gaps = 0;

	for (int i = 1; i <= 3; i++) {
		make(f, &m[i], (uint64_t)i, i, 1);
		wwtp_buf_free(&m[i].b);
	}
	wwtp_verify_resume(f->v, "signed", 3);
	for (int i = 4; i <= 9; i++)
		make(f, &m[i], (uint64_t)i, i, 1);
	wwtp_buf_free(&m[6].b);
	wwtp_buf_free(&m[7].b);
	make(f, &m[10], 10, 2, 0);
	make(f, &m[11], 11, 10, 1);
	deliver(f, &m[10], 4, &o);
	int backlog[] = {4, 5, 8, 9};
	for (size_t k = 0; k < 4; k++) {
		int i = backlog[k];
		deliver(f, &m[i], i, &o);
		for (size_t g = 0; g < o.ngaps; g++, gaps++) {
			assert_true(o.gaps[g].from == 6 && o.gaps[g].to == 7);
			assert_int_equal(o.gaps[g].seq_from, 6);
			assert_int_equal(o.gaps[g].seq_to, 7);
		}
	}
	deliver(f, &m[11], 10, &o);
	gaps += o.ngaps;
	assert_int_equal(gaps, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_verdicts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gap_reported_when_floor_passes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_late_links_fill_gaps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_broken_and_restarted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_gaps_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unsigned_named, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resumed_after_central_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resumed_with_hash, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gap_range_when_backlog_comes_after, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_gap_without_telemetry_has_no_range, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_gap_range_after_a_filled_hole, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_split_gap_gets_no_wrong_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backlog_does_not_close_hole_early, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
