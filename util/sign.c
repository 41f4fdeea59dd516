/* sign.c - Ed25519 signatures and the hash chain (see sign.h). */
#include "sign.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static const char sig_head[] = ",\"sig\":\"";

int wwtp_sign_init(void)
{
	return sodium_init() < 0 ? WWTP_ERR_INVAL : 0;
}

int wwtp_sign_keypair(unsigned char pk[WWTP_SIGN_PK_LEN], unsigned char sk[WWTP_SIGN_SK_LEN])
{
	if (wwtp_sign_init() != 0 || crypto_sign_ed25519_keypair(pk, sk) != 0)
		return WWTP_ERR_INVAL;
	return 0;
}

void wwtp_sign_sk_to_pk(const unsigned char sk[WWTP_SIGN_SK_LEN],
			unsigned char pk[WWTP_SIGN_PK_LEN])
{
	crypto_sign_ed25519_sk_to_pk(pk, sk);
}

void wwtp_sign_pk_text(const unsigned char pk[WWTP_SIGN_PK_LEN], char out[WWTP_SIGN_PK_TEXT])
{
	sodium_bin2hex(out, WWTP_SIGN_PK_TEXT, pk, WWTP_SIGN_PK_LEN);
}

/* Exactly n bytes of hex digits into n / 2 bytes. The wire form takes
 * lowercase only, as the signer writes it: were "AB" read as "ab", a
 * signature could be rewritten byte by byte and still check OK. A public
 * key typed into a station file may be in either case. */
static int hex_exact(const char *s, size_t n, int any_case, unsigned char *out)
{
	size_t got = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (any_case && c >= 'A' && c <= 'F')))
			return WWTP_ERR_INVAL;
	}
	if (sodium_hex2bin(out, n / 2, s, n, NULL, &got, NULL) != 0 || got != n / 2)
		return WWTP_ERR_INVAL;
	return 0;
}

int wwtp_sign_pk_parse(const char *s, unsigned char pk[WWTP_SIGN_PK_LEN])
{
	if (!s || strlen(s) != 2 * WWTP_SIGN_PK_LEN)
		return WWTP_ERR_INVAL;
	return hex_exact(s, 2 * WWTP_SIGN_PK_LEN, 1, pk);
}

/* Whether the bytes w[0..end) finish with a chain member's head and its
 * digits (at most 20); *digits and *nd say where they are. */
static int ends_with_chain(const char *w, size_t end, const char **digits, size_t *nd)
{
	static const char chain_head[] = ",\"chain\":";
	const char *d = w + end;
	size_t k = 0;
	while (d > w && d[-1] >= '0' && d[-1] <= '9' && k < 20) {
		d--;
		k++;
	}
	if (k == 0 || (size_t)(d - w) < sizeof(chain_head) ||
	    memcmp(d - (sizeof(chain_head) - 1), chain_head, sizeof(chain_head) - 1) != 0)
		return 0;
	*digits = d;
	*nd = k;
	return 1;
}

int wwtp_sign_message(struct wwtp_buf *b, const unsigned char sk[WWTP_SIGN_SK_LEN], uint64_t chain,
		      const unsigned char prev[WWTP_SIGN_HASH_LEN],
		      unsigned char hash[WWTP_SIGN_HASH_LEN])
{
	static const unsigned char zero[WWTP_SIGN_HASH_LEN];
	char hex[2 * WWTP_SIGN_HASH_LEN + 1];
	unsigned char sig[crypto_sign_ed25519_BYTES];
	char sighex[2 * crypto_sign_ed25519_BYTES + 1];
	size_t start = b->len;
	int rc;

	if (b->len < 2 || b->data[b->len - 1] != '}' || b->data[0] != '{')
		return WWTP_ERR_INVAL;
	/* Without a link, an object whose own last member is "chain" would
	 * read back as a link (wwtp_sign_parse_link cannot tell them apart). */
	const char *digits;
	size_t nd;
	if (chain == 0 && ends_with_chain(b->data, b->len - 1, &digits, &nd))
		return WWTP_ERR_INVAL;
	sodium_bin2hex(hex, sizeof(hex), prev ? prev : zero, WWTP_SIGN_HASH_LEN);
	b->len--;
	if (chain > 0)
		rc = wwtp_buf_printf(b, ",\"chain\":%" PRIu64 ",\"prev\":\"%s\"}", chain, hex);
	else
		rc = wwtp_buf_printf(b, ",\"prev\":\"%s\"}", hex);
	if (rc)
		goto undo;
	if (crypto_sign_ed25519_detached(sig, NULL, (const unsigned char *)b->data, b->len, sk) !=
	    0) {
		rc = WWTP_ERR_INVAL;
		goto undo;
	}
	if (hash)
		crypto_hash_sha256(hash, (const unsigned char *)b->data, b->len);
	sodium_bin2hex(sighex, sizeof(sighex), sig, sizeof(sig));
	b->len--;
	rc = wwtp_buf_printf(b, "%s%s\"}", sig_head, sighex);
	if (rc)
		goto undo;
	return 0;
undo:
	b->len = start;
	b->data[start - 1] = '}';
	b->data[start] = '\0';
	return rc;
}

/* Whether w ends with a well-formed signature member; sig gets it. */
static int find_sig(const char *w, size_t len, unsigned char sig[crypto_sign_ed25519_BYTES])
{
	if (len < WWTP_SIGN_SUFFIX_LEN + 2 || w[0] != '{')
		return 0;
	const char *t = w + len - WWTP_SIGN_SUFFIX_LEN;
	if (memcmp(t, sig_head, sizeof(sig_head) - 1) != 0 || t[WWTP_SIGN_SUFFIX_LEN - 2] != '"' ||
	    t[WWTP_SIGN_SUFFIX_LEN - 1] != '}')
		return 0;
	return hex_exact(t + sizeof(sig_head) - 1, 2 * crypto_sign_ed25519_BYTES, 0, sig) == 0;
}

int wwtp_sign_signed_bytes(const char *w, size_t len, struct wwtp_buf *out)
{
	wwtp_buf_reset(out);
	if (len < WWTP_SIGN_SUFFIX_LEN + 2)
		return WWTP_ERR_INVAL;
	size_t n = len - WWTP_SIGN_SUFFIX_LEN;
	int rc = wwtp_buf_add(out, w, n);
	return rc ? rc : wwtp_buf_add(out, "}", 1);
}

int wwtp_sign_check(const char *w, size_t len, const unsigned char pk[WWTP_SIGN_PK_LEN],
		    size_t *signed_len, unsigned char hash[WWTP_SIGN_HASH_LEN])
{
	unsigned char sig[crypto_sign_ed25519_BYTES];
	struct wwtp_buf s;
	int rc;

	if (!find_sig(w, len, sig))
		return WWTP_SIGN_MISSING;
	wwtp_buf_init(&s, len);
	rc = wwtp_sign_signed_bytes(w, len, &s);
	if (rc) {
		wwtp_buf_free(&s);
		return rc;
	}
	if (crypto_sign_ed25519_verify_detached(sig, (const unsigned char *)s.data, s.len, pk) !=
	    0) {
		wwtp_buf_free(&s);
		return WWTP_SIGN_BAD;
	}
	if (signed_len)
		*signed_len = s.len;
	if (hash)
		crypto_hash_sha256(hash, (const unsigned char *)s.data, s.len);
	wwtp_buf_free(&s);
	return WWTP_SIGN_OK;
}

int wwtp_sign_parse_link(const char *w, size_t len, uint64_t *chain,
			 unsigned char prev[WWTP_SIGN_HASH_LEN])
{
	static const char prev_head[] = ",\"prev\":\"";
	const size_t plen = sizeof(prev_head) - 1 + 2 * WWTP_SIGN_HASH_LEN + 1;

	*chain = 0;
	if (len < WWTP_SIGN_SUFFIX_LEN + plen + 1)
		return WWTP_ERR_INVAL;
	const char *p = w + len - WWTP_SIGN_SUFFIX_LEN - plen;
	if (memcmp(p, prev_head, sizeof(prev_head) - 1) != 0 || p[plen - 1] != '"' ||
	    hex_exact(p + sizeof(prev_head) - 1, 2 * WWTP_SIGN_HASH_LEN, 0, prev) != 0)
		return WWTP_ERR_INVAL;
	/* No chain member (a side signature, perhaps after "seq":5): the
	 * signer never side-signs an object that ends with one. */
	const char *d;
	size_t nd;
	uint64_t v = 0;
	if (!ends_with_chain(w, (size_t)(p - w), &d, &nd))
		return 0;
	for (size_t i = 0; i < nd; i++) {
		uint64_t digit = (uint64_t)(d[i] - '0');
		if (v > (UINT64_MAX - digit) / 10)
			return WWTP_ERR_INVAL;
		v = v * 10 + digit;
	}
	if (v == 0)
		return WWTP_ERR_INVAL;
	*chain = v;
	return 0;
}
