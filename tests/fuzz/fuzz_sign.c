/* fuzz_sign.c - the signature and chain-link readers of util/sign.h on any
 * bytes (what anyone with broker access can publish as a station).
 *
 * Promises checked (sign.h): wwtp_sign_check and wwtp_sign_parse_link read
 * nothing outside the message (ASan) and never crash; a message the
 * harness's key did not sign is never OK; and for an input that is a JSON
 * object, signing it as link N after prev P gives a message that checks OK
 * with the signer's key only, whose link reads back as N and P, and that is
 * no longer OK once any one byte of it is changed. Also the collector's
 * renumbering of a stored message (payload.h, wwtp_payload_renumber: the
 * store on disk may hold anything): it reads nothing outside the bytes, and
 * what it gives is an object with the new number that signs and checks. */
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "../../payload/payload.h"
#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/sign.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char pk[WWTP_SIGN_PK_LEN], sk[WWTP_SIGN_SK_LEN];
static unsigned char pk2[WWTP_SIGN_PK_LEN], sk2[WWTP_SIGN_SK_LEN];
static int ready;

/* Keys from fixed seeds: Ed25519 signs deterministically, so an input
 * that failed once fails again when replayed (tests/fuzz/regressions/). */
static void keys(void)
{
	unsigned char seed[crypto_sign_ed25519_SEEDBYTES];
	if (ready)
		return;
	FUZZ_ASSERT(wwtp_sign_init() == 0);
	memset(seed, 1, sizeof(seed));
	FUZZ_ASSERT(crypto_sign_ed25519_seed_keypair(pk, sk, seed) == 0);
	memset(seed, 2, sizeof(seed));
	FUZZ_ASSERT(crypto_sign_ed25519_seed_keypair(pk2, sk2, seed) == 0);
	ready = 1;
}

/* Whether m[0..end) finishes with ,"chain": and 1 to 20 digits (written
 * here from the format's text, not from sign.c). */
static int ends_with_own_chain(const char *m, size_t end)
{
	static const char head[] = ",\"chain\":";
	size_t k = 0;
	while (k < end && k < 20 && m[end - 1 - k] >= '0' && m[end - 1 - k] <= '9')
		k++;
	size_t hl = sizeof(head) - 1;
	return k > 0 && end - k >= hl && memcmp(m + end - k - hl, head, hl) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char prev[WWTP_SIGN_HASH_LEN], got[WWTP_SIGN_HASH_LEN];
	uint64_t chain = 0;
	size_t slen = 0;

	keys();
	/* 1. The bytes as a received message: keys made at start never
	 * signed them (a forgery would need the private key). */
	int v = wwtp_sign_check((const char *)data, size, pk, &slen, NULL);
	FUZZ_ASSERT(v == WWTP_SIGN_MISSING || v == WWTP_SIGN_BAD);
	int rc = wwtp_sign_parse_link((const char *)data, size, &chain, prev);
	FUZZ_ASSERT(rc == 0 || rc == WWTP_ERR_INVAL);

	/* Renumbered as a stored message. */
	struct wwtp_buf r;
	wwtp_buf_init(&r, 1 << 20);
	rc = wwtp_payload_renumber(data, size, 18446744073709551615ull, 7, &r);
	FUZZ_ASSERT(rc == 0 || rc == WWTP_ERR_INVAL || rc == WWTP_ERR_NOMEM);
	if (rc == 0) {
		FUZZ_ASSERT(r.len >= 2 && r.data[0] == '{' && r.data[r.len - 1] == '}');
		FUZZ_ASSERT(memmem(r.data, r.len, ",\"seq\":18446744073709551615", 27) != NULL);
		FUZZ_ASSERT(wwtp_sign_message(&r, sk, 5, NULL, NULL) == 0);
		FUZZ_ASSERT(wwtp_sign_check(r.data, r.len, pk, NULL, NULL) == WWTP_SIGN_OK);
	}
	wwtp_buf_free(&r);

	/* 2. Signed here: the round trip. The first 8 bytes choose the link
	 * and the byte to change; the rest is the message. */
	if (size < 10)
		return 0;
	uint64_t link = 0;
	for (int i = 0; i < 8; i++)
		link = link << 8 | data[i];
	const char *msg = (const char *)data + 8;
	size_t n = size - 8;
	if (n < 2 || msg[0] != '{' || msg[n - 1] != '}')
		return 0;
	struct wwtp_buf b;
	wwtp_buf_init(&b, 1 << 20);
	FUZZ_ASSERT(wwtp_buf_add(&b, msg, n) == 0);
	for (int i = 0; i < WWTP_SIGN_HASH_LEN; i++)
		prev[i] = (unsigned char)(link >> (i % 8) ^ (unsigned)i);
	unsigned char h1[WWTP_SIGN_HASH_LEN], h2[WWTP_SIGN_HASH_LEN];
	rc = wwtp_sign_message(&b, sk, link, prev, h1);
	if (link == 0 && ends_with_own_chain(msg, n - 1)) {
		/* It would read back as a link: refused, b unchanged. */
		FUZZ_ASSERT(rc == WWTP_ERR_INVAL);
		FUZZ_ASSERT(b.len == n && memcmp(b.data, msg, n) == 0);
		wwtp_buf_free(&b);
		return 0;
	}
	FUZZ_ASSERT(rc == 0);
	FUZZ_ASSERT(memcmp(b.data, msg, n - 1) == 0); /* the original bytes lead */
	FUZZ_ASSERT(wwtp_sign_check(b.data, b.len, pk, &slen, h2) == WWTP_SIGN_OK);
	FUZZ_ASSERT(memcmp(h1, h2, sizeof(h1)) == 0);
	FUZZ_ASSERT(slen == b.len - WWTP_SIGN_SUFFIX_LEN + 1);
	FUZZ_ASSERT(wwtp_sign_check(b.data, b.len, pk2, NULL, NULL) == WWTP_SIGN_BAD);
	FUZZ_ASSERT(wwtp_sign_parse_link(b.data, b.len, &chain, got) == 0);
	FUZZ_ASSERT(memcmp(got, prev, sizeof(prev)) == 0);
	/* link 0 writes no chain member; digits of the message's own last
	 * member then read as no chain, never as a link (one named "chain"
	 * was refused above). */
	FUZZ_ASSERT(chain == link);
	size_t at = (size_t)data[0] * 256 + data[1];
	at %= b.len;
	b.data[at] ^= (char)(1 + data[2] % 255);
	FUZZ_ASSERT(wwtp_sign_check(b.data, b.len, pk, NULL, NULL) != WWTP_SIGN_OK);
	wwtp_buf_free(&b);
	return 0;
}
