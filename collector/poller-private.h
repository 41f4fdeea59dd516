/* poller-private.h - the insides of poller.c, for it and its unit test
 * (util/unittest.h); nothing else includes this. */
#ifndef WWTP_POLLER_PRIVATE_H
#define WWTP_POLLER_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../drivers/link.h"
#include "../drivers/plan.h"
#include "../payload/payload.h"
#include "../util/log.h"
#include "../util/unittest.h"
#include "poller.h"

#define REASON_MAX sizeof(((struct wwtp_reading *)0)->reason)

struct item_state {
	int rc;			 /* 0, or the WWTP_ERR_* of this poll's read */
	char reason[REASON_MAX]; /* why rc != 0 */
	size_t off;		 /* first value in dev_state.data */
};

struct link_state;

struct dev_state {
	const struct wwtp_device *dev;
	struct link_state *ls;

	/* What to read: items from wwtp_plan_device_items, and the blocks that
	 * currently cover them (rebuilt when an item has to be read alone). */
	struct wwtp_read_item *items;
	size_t nitems;
	long *point_status; /* item index of point i's status, or -1 */
	long dev_status;    /* item index of the device status, or -1 */
	unsigned char *alone;
	struct wwtp_read_block *blocks;
	size_t nblocks;
	size_t *item_block;

	/* One poll's results: per item its outcome and its values (registers,
	 * or bits as 0/1), copied out of the block buffer. */
	struct item_state *ist;
	uint16_t *data;

	/* Schedule, touched by the link's thread only. */
	int64_t interval_ms;
	int64_t eff_interval_ms;
	int64_t due_ms; /* monotonic */
	struct wwtp_complain c_offline;
	struct wwtp_complain c_points;

	/* Failed requests by kind, counted by the link's thread during a poll
	 * and folded into health by account(). */
	struct wwtp_device_health errs;

	/* Counters, under wwtp_poller.lock. */
	struct wwtp_device_health health;
};

struct link_state {
	struct wwtp_poller *p;
	struct wwtp_link *link;
	struct dev_state **devs;
	size_t ndevs;
	pthread_t thread;
	int started;
	/* Answer buffers for one block, the largest a request can ask for. */
	uint16_t regs[WWTP_MAX_READ_REGS];
	uint8_t bits[WWTP_MAX_READ_BITS];
};

struct wwtp_poller {
	const struct wwtp_station *st;
	wwtp_sample_cb cb;
	void *cb_ctx;
	struct dev_state *devs; /* st->ndevices, same order */
	size_t ndevs;
	struct link_state *links;
	size_t nlinks;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* on CLOCK_MONOTONIC; broadcast on stop */
	atomic_int stop;
	int running;
	int once;	   /* under wwtp_poller_run_once: no retry interval to speak of */
	atomic_int silent; /* devices that did not answer at the last run_once */
};

#ifdef WWTP_UNITTEST
/* The longest a failing device's interval grows to. */
int64_t backoff_cap_ms(int64_t interval_ms);
/* One poll of ds on its link's thread: reads, decodes, delivers. */
void poll_device(struct link_state *ls, struct dev_state *ds);
/* ds's next due time after a poll that ended at now (monotonic ms). */
void schedule_next(struct wwtp_poller *p, struct dev_state *ds, int64_t now);
#endif

#endif
