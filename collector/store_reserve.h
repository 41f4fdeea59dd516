/* store_reserve.h - room kept on the store's file system for the store
 * alone: "<store>.reserve", a file of real (preallocated, not sparse) blocks
 * that the store gives up when the file system is full, so that SQLite can
 * still checkpoint its WAL (which may need the database file to grow) and
 * the store can drop its oldest rows, and takes again once there is room
 * (docs/reliability.md, "A full disk").
 *
 * It holds no data: a power cut while it is taken or given up leaves it
 * whole, short or empty, and the next start tells these apart by its size
 * and its allocated blocks. Every function returns 0 or a negative
 * WWTP_ERR_*; nothing is logged here (the store says what it costs). */
#ifndef WWTP_STORE_RESERVE_H
#define WWTP_STORE_RESERVE_H

#include <stdint.h>

struct wwtp_reserve;

/* For the store at store_path; looks whether a reserve of `bytes` is in
 * place already (from a previous run). bytes = 0: none is kept, and a file
 * left by a previous run is removed. */
int wwtp_reserve_new(const char *store_path, uint64_t bytes, struct wwtp_reserve **out);
/* Forgets it (the file stays, for the next run). Accepts NULL. */
void wwtp_reserve_free(struct wwtp_reserve *r);

/* 1 when the file holds `bytes` of allocated blocks. */
int wwtp_reserve_held(const struct wwtp_reserve *r);
uint64_t wwtp_reserve_bytes(const struct wwtp_reserve *r);

/* Allocates the blocks (posix_fallocate). WWTP_ERR_FULL when the file
 * system has not the room: then nothing is kept of a partial allocation. */
int wwtp_reserve_take(struct wwtp_reserve *r);
/* Gives the blocks back to the file system (truncated to nothing, synced so
 * that a journalling file system frees them now). WWTP_ERR_NOTFOUND when
 * none were held. */
int wwtp_reserve_release(struct wwtp_reserve *r);

#endif
