/* sign.h - Ed25519 signatures and the hash chain over a message's exact
 * bytes (libsodium). Pure: no files, no logging; collector/chain.h keeps
 * the chain's head on disk, central/ingest/verify.h checks what arrives.
 *
 * Wire form (docs/mqtt.md, "Signature"): a JSON object message M (as the
 * payload encoder wrote it) becomes
 *   S = M with ,"chain":N,"prev":"<64 hex>" added before its last '}'
 *       (only ,"prev":... when N is 0: status and health, not chained)
 *   W = S with ,"sig":"<128 hex>" added before its last '}'
 * where sig is the Ed25519 signature of S's bytes and prev the SHA-256 of
 * the previous chained message's S. The signature is always the last 138
 * bytes of W, so the signed bytes are W without them, plus '}': nothing is
 * parsed to find them. */
#ifndef WWTP_SIGN_H
#define WWTP_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define WWTP_SIGN_PK_LEN 32
#define WWTP_SIGN_SK_LEN 64
#define WWTP_SIGN_HASH_LEN 32
/* ,"sig":"<128 hex>"} */
#define WWTP_SIGN_SUFFIX_LEN 138
/* A public key as text: 64 hex digits and a NUL. */
#define WWTP_SIGN_PK_TEXT 65

/* What wwtp_sign_check found. */
enum wwtp_sign_verdict {
	WWTP_SIGN_OK = 0,
	WWTP_SIGN_MISSING = 1, /* no signature member at the end */
	WWTP_SIGN_BAD = 2,     /* a signature that does not match the key and bytes */
};

/* libsodium's start-up; 0 or WWTP_ERR_INVAL. Safe to call again. */
int wwtp_sign_init(void);
/* A fresh key pair. 0 or WWTP_ERR_INVAL. */
int wwtp_sign_keypair(unsigned char pk[WWTP_SIGN_PK_LEN], unsigned char sk[WWTP_SIGN_SK_LEN]);
/* The public key of a secret key. */
void wwtp_sign_sk_to_pk(const unsigned char sk[WWTP_SIGN_SK_LEN],
			unsigned char pk[WWTP_SIGN_PK_LEN]);
/* 64 lowercase hex digits. */
void wwtp_sign_pk_text(const unsigned char pk[WWTP_SIGN_PK_LEN], char out[WWTP_SIGN_PK_TEXT]);
/* 0, or WWTP_ERR_INVAL unless s is exactly 64 hex digits. */
int wwtp_sign_pk_parse(const char *s, unsigned char pk[WWTP_SIGN_PK_LEN]);

/* Turns the JSON object in b into its signed wire form (above). chain 0
 * adds no "chain" member; prev NULL means 32 zero bytes (the first link).
 * hash, when not NULL, gets the SHA-256 of the signed bytes: the next
 * link's prev. 0, or WWTP_ERR_INVAL (b is not an object, or chain is 0 and
 * the object's last member is "chain", which would read back as a link) /
 * WWTP_ERR_NOMEM; b is unchanged on error. */
int wwtp_sign_message(struct wwtp_buf *b, const unsigned char sk[WWTP_SIGN_SK_LEN], uint64_t chain,
		      const unsigned char prev[WWTP_SIGN_HASH_LEN],
		      unsigned char hash[WWTP_SIGN_HASH_LEN]);

/* Checks the wire message w (len bytes, no NUL needed) against pk. On
 * WWTP_SIGN_OK, *signed_len is the length of the signed bytes (w's first
 * *signed_len - 1 bytes and '}') and hash, when not NULL, their SHA-256.
 * Never reads outside w. Returns a wwtp_sign_verdict, or WWTP_ERR_NOMEM. */
int wwtp_sign_check(const char *w, size_t len, const unsigned char pk[WWTP_SIGN_PK_LEN],
		    size_t *signed_len, unsigned char hash[WWTP_SIGN_HASH_LEN]);

/* The signed bytes of a message that wwtp_sign_check found OK, copied
 * into out (reset first). 0 or WWTP_ERR_NOMEM / WWTP_ERR_INVAL. */
int wwtp_sign_signed_bytes(const char *w, size_t len, struct wwtp_buf *out);

/* The link a signed message names: *chain (0 when it has no "chain"
 * member: status, health) and prev, read from their fixed places just
 * before the signature. 0, or WWTP_ERR_INVAL when w does not end with
 * them in the form wwtp_sign_message writes. Never reads outside w. */
int wwtp_sign_parse_link(const char *w, size_t len, uint64_t *chain,
			 unsigned char prev[WWTP_SIGN_HASH_LEN]);

#endif
