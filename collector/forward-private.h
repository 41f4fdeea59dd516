/* forward-private.h - the insides of forward.c, for it and its unit test
 * (util/unittest.h); nothing else includes this. */
#ifndef WWTP_FORWARD_PRIVATE_H
#define WWTP_FORWARD_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "../util/unittest.h"

/* The ids with the broker: a small open-addressing set (linear probing,
 * deletion by shifting back), 0 marks a free slot (ids start at 1). */
struct idset {
	int64_t *slot;
	size_t mask;
	size_t n;
};

#ifdef WWTP_UNITTEST
int idset_init(struct idset *s, size_t want); /* room for `want`; 0 or WWTP_ERR_NOMEM */
int idset_has(const struct idset *s, int64_t id);
void idset_add(struct idset *s, int64_t id);
int idset_del(struct idset *s, int64_t id); /* 1 if it was there */
#endif

#endif
