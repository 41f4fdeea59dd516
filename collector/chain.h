/* chain.h - the collector's signing key and the head of its chain of
 * signed messages (util/sign.h; docs/security.md).
 *
 * Every telemetry and alert message takes the next link: it names the
 * SHA-256 of the previous one and is signed with the gateway's key.
 * Status, health and the will are signed but take no link (they are not
 * stored, and the will is written long before it is sent).
 *
 * The head (link number, hash) is kept in "<store>.chain" beside the store,
 * written and synced before the message enters the store, so that after a
 * restart or a power cut the chain goes on from the last link ever handed
 * on: a link is never given twice to different bytes. A message lost after
 * taking its link leaves a gap central sees. The file is a slot file
 * (util/slotfile.h: two slots written in turn, a torn write leaves the
 * other) holding the link and the hash. Without a store the chain lives in
 * memory and starts again at 1 with each start (central sees a restart).
 *
 * Later, the store itself may keep the head in its meta table within the
 * commit of the batch: then this file goes, and so does its fsync per
 * message (docs/security.md, "Where the head lives"). */
#ifndef WWTP_CHAIN_H
#define WWTP_CHAIN_H

#include <stdint.h>

#include "../util/buf.h"
#include "../util/sign.h"

struct wwtp_chain;

/* Writes a new private key to key_file (mode 0600; an existing file is
 * never overwritten: WWTP_ERR_INVAL) and its public key as text into pk.
 * 0 or a negative code; errors are printed on stderr. */
int wwtp_chain_keygen(const char *key_file, char pk[WWTP_SIGN_PK_TEXT]);

/* Reads the private key (64 hex digits of the seed, a newline allowed).
 * 0, or WWTP_ERR_ERRNO / WWTP_ERR_INVAL / WWTP_ERR_NOMEM, logged. */
int wwtp_chain_open(const char *key_file, struct wwtp_chain **out);
/* Keeps the head in state_path from now on (reads it first: the chain
 * goes on from there). 0 or WWTP_ERR_ERRNO, logged. */
int wwtp_chain_keep(struct wwtp_chain *c, const char *state_path);
void wwtp_chain_close(struct wwtp_chain *c); /* accepts NULL */

/* Signs the JSON object in b as the next link, after recording the new
 * head. 0 or a negative code (b unchanged, the head not moved). */
int wwtp_chain_sign_link(struct wwtp_chain *c, struct wwtp_buf *b);
/* Signs b without taking a link; it names the current head. */
int wwtp_chain_sign_side(struct wwtp_chain *c, struct wwtp_buf *b);
/* The public key of the signing key, as text (64 hex digits). */
void wwtp_chain_public_key(const struct wwtp_chain *c, char out[WWTP_SIGN_PK_TEXT]);
/* The last link given (0: none yet). */
uint64_t wwtp_chain_head(const struct wwtp_chain *c);

#endif
