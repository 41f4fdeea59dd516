/* chain.c - the signing key and the chain's head (see chain.h). */
#include "chain.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/err.h"
#include "../util/log.h"
#include "../util/slotfile.h"

#define MOD "sign"
#define SEED_HEX (2 * crypto_sign_ed25519_SEEDBYTES)

static const char magic[8] = {'W', 'W', 'T', 'P', 'C', 'H', 'N', '1'};

struct wwtp_chain {
	unsigned char sk[WWTP_SIGN_SK_LEN];
	uint64_t link;
	unsigned char head[WWTP_SIGN_HASH_LEN];
	struct wwtp_slotfile *file; /* NULL: in memory only */
	char *path;
	struct wwtp_complain complain;
};

int wwtp_chain_keygen(const char *key_file, char pk_text[WWTP_SIGN_PK_TEXT])
{
	unsigned char seed[crypto_sign_ed25519_SEEDBYTES], pk[WWTP_SIGN_PK_LEN],
	    sk[WWTP_SIGN_SK_LEN];
	char hex[SEED_HEX + 2];
	int fd, rc = 0;

	if (wwtp_sign_init() != 0)
		return WWTP_ERR_INVAL;
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_ed25519_seed_keypair(pk, sk, seed);
	sodium_bin2hex(hex, sizeof(hex), seed, sizeof(seed));
	hex[SEED_HEX] = '\n';
	/* O_EXCL: a key in use is never replaced by accident (central holds
	 * its public key; a new one is a deliberate, registered change). */
	fd = open(key_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "wwtp-collector: cannot create %s: %s%s\n", key_file,
			strerror(errno),
			errno == EEXIST ? " (a key is there already: it is not replaced)" : "");
		rc = errno == EEXIST ? WWTP_ERR_INVAL : WWTP_ERR_ERRNO;
	} else if (fchmod(fd, 0600) != 0 || write(fd, hex, SEED_HEX + 1) != SEED_HEX + 1 ||
		   fsync(fd) != 0) {
		fprintf(stderr, "wwtp-collector: cannot write %s: %s\n", key_file, strerror(errno));
		close(fd);
		unlink(key_file);
		rc = WWTP_ERR_ERRNO;
	} else if (close(fd) != 0) {
		rc = WWTP_ERR_ERRNO;
	}
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(hex, sizeof(hex));
	if (rc == 0)
		wwtp_sign_pk_text(pk, pk_text);
	return rc;
}

int wwtp_chain_open(const char *key_file, struct wwtp_chain **out)
{
	unsigned char seed[crypto_sign_ed25519_SEEDBYTES], pk[WWTP_SIGN_PK_LEN];
	char hex[SEED_HEX + 8];
	size_t got = 0;
	struct stat sb;
	ssize_t n;
	int fd;

	*out = NULL;
	if (wwtp_sign_init() != 0)
		return WWTP_ERR_INVAL;
	fd = open(key_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		LOG_ERROR(MOD,
			  "cannot open the signing key %s: %s (make one with "
			  "wwtp-collector --keygen)",
			  key_file, strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	if (fstat(fd, &sb) == 0 && (sb.st_mode & 0077))
		LOG_WARN(MOD, "the signing key %s can be read by others (mode %03o): chmod 600 it",
			 key_file, (unsigned)(sb.st_mode & 0777));
	n = read(fd, hex, sizeof(hex));
	close(fd);
	/* Compared as size_t: on 32-bit ARM ssize_t is an int. */
	size_t len = n > 0 ? (size_t)n : 0;
	if (len >= SEED_HEX && (len == SEED_HEX || hex[SEED_HEX] == '\n') && len <= SEED_HEX + 1 &&
	    sodium_hex2bin(seed, sizeof(seed), hex, SEED_HEX, NULL, &got, NULL) == 0 &&
	    got == sizeof(seed)) {
		struct wwtp_chain *c = calloc(1, sizeof(*c));
		if (!c) {
			sodium_memzero(seed, sizeof(seed));
			return WWTP_ERR_NOMEM;
		}
		crypto_sign_ed25519_seed_keypair(pk, c->sk, seed);
		sodium_memzero(seed, sizeof(seed));
		sodium_memzero(hex, sizeof(hex));
		c->complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
		*out = c;
		char t[WWTP_SIGN_PK_TEXT];
		wwtp_sign_pk_text(pk, t);
		LOG_INFO(MOD, "signing with the key in %s (public key %s)", key_file, t);
		return 0;
	}
	sodium_memzero(hex, sizeof(hex));
	LOG_ERROR(MOD, "%s holds no signing key (64 hex digits, as --keygen writes)", key_file);
	return WWTP_ERR_INVAL;
}

/* The record: link (8 bytes, little-endian) and hash. */
#define REC (8 + WWTP_SIGN_HASH_LEN)

int wwtp_chain_keep(struct wwtp_chain *c, const char *state_path)
{
	unsigned char rec[REC];
	int found;

	c->path = strdup(state_path);
	if (!c->path)
		return WWTP_ERR_NOMEM;
	int rc = wwtp_slotfile_open(state_path, magic, rec, sizeof(rec), &c->file, &found);
	if (rc) {
		LOG_ERROR(MOD, "cannot use %s: %s", state_path,
			  rc == WWTP_ERR_ERRNO ? strerror(errno) : wwtp_strerror(rc));
		return rc;
	}
	if (found < 0)
		LOG_ERROR(MOD, "%s holds no readable chain head: the chain starts again at 1",
			  state_path);
	c->link = 0;
	for (int i = 7; i >= 0; i--)
		c->link = c->link << 8 | rec[i];
	memcpy(c->head, rec + 8, WWTP_SIGN_HASH_LEN);
	if (c->link > 0)
		LOG_INFO(MOD, "the chain goes on after link %llu", (unsigned long long)c->link);
	return 0;
}

void wwtp_chain_close(struct wwtp_chain *c)
{
	if (!c)
		return;
	wwtp_slotfile_close(c->file);
	free(c->path);
	sodium_memzero(c->sk, sizeof(c->sk));
	free(c);
}

/* Records link and hash as the head, synced. */
static int write_head(struct wwtp_chain *c, uint64_t link, const unsigned char *hash)
{
	unsigned char rec[REC];

	if (!c->file)
		return 0;
	for (int i = 0; i < 8; i++)
		rec[i] = (unsigned char)(link >> (8 * i));
	memcpy(rec + 8, hash, WWTP_SIGN_HASH_LEN);
	if (wwtp_slotfile_write(c->file, rec) != 0) {
		wwtp_complain(&c->complain, WWTP_LOG_ERROR, MOD,
			      "cannot record chain link %llu in %s: %s (the message is not kept)",
			      (unsigned long long)link, c->path, strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	if (c->complain.interval_ms != 0)
		wwtp_complain_release(&c->complain, MOD, "%s written again", c->path);
	return 0;
}

int wwtp_chain_sign_link(struct wwtp_chain *c, struct wwtp_buf *b)
{
	unsigned char hash[WWTP_SIGN_HASH_LEN];
	size_t len = b->len;
	int rc = wwtp_sign_message(b, c->sk, c->link + 1, c->head, hash);
	if (rc)
		return rc;
	rc = write_head(c, c->link + 1, hash);
	if (rc) {
		/* Back to the unsigned bytes: the link is not given. */
		b->len = len;
		b->data[len - 1] = '}';
		b->data[len] = '\0';
		return rc;
	}
	c->link++;
	memcpy(c->head, hash, sizeof(hash));
	return 0;
}

int wwtp_chain_sign_side(struct wwtp_chain *c, struct wwtp_buf *b)
{
	return wwtp_sign_message(b, c->sk, 0, c->head, NULL);
}

void wwtp_chain_public_key(const struct wwtp_chain *c, char out[WWTP_SIGN_PK_TEXT])
{
	unsigned char pk[WWTP_SIGN_PK_LEN];
	wwtp_sign_sk_to_pk(c->sk, pk);
	wwtp_sign_pk_text(pk, out);
}

uint64_t wwtp_chain_head(const struct wwtp_chain *c)
{
	return c->link;
}
