/* poller.c - one thread per Modbus link, devices polled on their schedules.
 *
 * Per device, the read plan is built once (drivers/plan.h) and only changes
 * when a merged read turns out to cover an address the device refuses: those
 * items are then read on their own, so that one bad point address never takes
 * the other points of its block down. Per poll, every block is read (with the
 * device's retries), each point decoded, and one sample handed to the
 * callback, also when the device did not answer (all readings offline). */
#include "poller.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../drivers/decode.h"
#include "../drivers/link.h"
#include "../drivers/plan.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "poller-private.h"

#define MOD "poller"

/* Back-off cap: ten intervals but at least a minute, at most five minutes
 * (and never below the device's own interval). */
#define BACKOFF_FLOOR_MS 60000
#define BACKOFF_CEIL_MS 300000
/* Below this an interval would only spin the link thread. */
#define MIN_INTERVAL_MS 10

/* ---- small helpers ---------------------------------------------------- */

static int is_bit_table(enum wwtp_table t)
{
	return t == WWTP_TABLE_COIL || t == WWTP_TABLE_DISCRETE;
}

static void set_text(char *out, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_text(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, n, fmt, ap);
	va_end(ap);
}

/* "holding 100" or "holding 100-101", as written in the station file (the
 * station model holds wire addresses; the people reading the reason compare
 * it with their config). */
static void range_text(const struct wwtp_device *dev, enum wwtp_table t, uint16_t address,
		       uint16_t count, char *out, size_t n)
{
	unsigned first =
	    (unsigned)address + (unsigned)(dev->address_base > 0 ? dev->address_base : 0);
	if (count <= 1)
		set_text(out, n, "%s %u", wwtp_table_name(t), first);
	else
		set_text(out, n, "%s %u-%u", wwtp_table_name(t), first, first + count - 1u);
}

WWTP_PRIVATE int64_t backoff_cap_ms(int64_t interval_ms)
{
	int64_t cap = 10 * interval_ms;
	if (cap < BACKOFF_FLOOR_MS)
		cap = BACKOFF_FLOOR_MS;
	if (cap > BACKOFF_CEIL_MS)
		cap = BACKOFF_CEIL_MS;
	if (cap < interval_ms)
		cap = interval_ms;
	return cap;
}

/* ---- read plan ---------------------------------------------------------- */

/* Rebuilds the blocks: the items not marked alone merged by the planner, then
 * one block per item marked alone. */
static int replan(struct dev_state *ds)
{
	const struct wwtp_device *dev = ds->dev;
	struct wwtp_read_plan plan = {0};
	struct wwtp_read_item *sub = NULL;
	size_t *subidx = NULL, *item_block = NULL;
	struct wwtp_read_block *blocks = NULL;
	size_t nsub = 0, nalone = 0, nb = 0;
	int max_gap = dev->max_gap >= 0 ? dev->max_gap : 0;
	int max_regs = dev->max_regs;
	int rc = WWTP_ERR_NOMEM;

	/* A station built without these (tests, old files) gets the protocol's
	 * limit rather than a refusal. */
	if (max_regs < 1 || max_regs > WWTP_MAX_READ_REGS)
		max_regs = WWTP_MAX_READ_REGS;

	for (size_t i = 0; i < ds->nitems; i++)
		nalone += ds->alone[i] != 0;
	nsub = ds->nitems - nalone;
	sub = calloc(nsub ? nsub : 1, sizeof(*sub));
	subidx = calloc(nsub ? nsub : 1, sizeof(*subidx));
	item_block = calloc(ds->nitems ? ds->nitems : 1, sizeof(*item_block));
	if (!sub || !subidx || !item_block)
		goto out;
	for (size_t i = 0, k = 0; i < ds->nitems; i++) {
		if (ds->alone[i])
			continue;
		sub[k] = ds->items[i];
		subidx[k++] = i;
	}
	if (nsub > 0) {
		rc = wwtp_plan_build(sub, nsub, max_gap, max_regs, &plan);
		if (rc != 0)
			goto out;
	}
	rc = WWTP_ERR_NOMEM;
	nb = plan.nblocks + nalone;
	blocks = calloc(nb ? nb : 1, sizeof(*blocks));
	if (!blocks)
		goto out;
	for (nb = 0; nb < plan.nblocks; nb++)
		blocks[nb] = plan.blocks[nb];
	for (size_t k = 0; k < nsub; k++)
		item_block[subidx[k]] = plan.item_block[k];
	for (size_t i = 0; i < ds->nitems; i++) {
		if (!ds->alone[i])
			continue;
		blocks[nb].table = ds->items[i].table;
		blocks[nb].address = ds->items[i].address;
		blocks[nb].count = ds->items[i].count;
		item_block[i] = nb++;
	}
	free(ds->blocks);
	free(ds->item_block);
	ds->blocks = blocks;
	ds->nblocks = nb;
	ds->item_block = item_block;
	blocks = NULL;
	item_block = NULL;
	rc = 0;
out:
	wwtp_plan_free(&plan);
	free(sub);
	free(subidx);
	free(item_block);
	free(blocks);
	return rc;
}

static void dev_fini(struct dev_state *ds)
{
	free(ds->items);
	free(ds->point_status);
	free(ds->alone);
	free(ds->blocks);
	free(ds->item_block);
	free(ds->ist);
	free(ds->data);
}

static int dev_init(struct dev_state *ds, const struct wwtp_device *dev)
{
	size_t total = 0;
	int rc;

	memset(ds, 0, sizeof(*ds));
	ds->dev = dev;
	ds->dev_status = -1;
	rc = wwtp_plan_device_items(dev, &ds->items, &ds->nitems, &ds->point_status,
				    &ds->dev_status);
	if (rc != 0) {
		LOG_ERROR(MOD, "device %s: cannot list its registers: %s", dev->name,
			  wwtp_strerror(rc));
		return rc;
	}
	ds->alone = calloc(ds->nitems ? ds->nitems : 1, 1);
	ds->ist = calloc(ds->nitems ? ds->nitems : 1, sizeof(*ds->ist));
	if (!ds->alone || !ds->ist)
		return WWTP_ERR_NOMEM;
	for (size_t i = 0; i < ds->nitems; i++) {
		ds->ist[i].off = total;
		total += ds->items[i].count;
	}
	ds->data = calloc(total ? total : 1, sizeof(*ds->data));
	if (!ds->data)
		return WWTP_ERR_NOMEM;
	rc = replan(ds);
	if (rc != 0) {
		LOG_ERROR(MOD, "device %s: cannot plan its reads: %s", dev->name,
			  wwtp_strerror(rc));
		return rc;
	}
	ds->interval_ms = dev->interval_ms >= MIN_INTERVAL_MS ? dev->interval_ms : MIN_INTERVAL_MS;
	ds->eff_interval_ms = ds->interval_ms;
	ds->health.interval_ms = (int)ds->interval_ms;
	ds->c_offline = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	ds->c_points = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	return 0;
}

/* ---- one poll ------------------------------------------------------------ */

/* Counts one failed request of ds by kind (link thread only). */
static void count_error(struct dev_state *ds, int rc)
{
	switch (rc) {
	case WWTP_ERR_TIMEOUT:
		ds->errs.err_timeout++;
		break;
	case WWTP_ERR_EXCEPTION:
		ds->errs.err_exception++;
		break;
	case WWTP_ERR_PROTO:
		ds->errs.err_frame++;
		break;
	case WWTP_ERR_CONN:
		ds->errs.err_conn++;
		break;
	default:
		ds->errs.err_other++;
		break;
	}
}

/* One read with the device's retries. A Modbus exception is an answer and is
 * not retried; a timeout, a bad frame or a lost connection is, reopening the
 * link first when it was closed (by us, or by the transport after an error).
 * A failed (re)open ends the attempts: the endpoint is not there. On failure,
 * reason says why. */
static int read_range(struct link_state *ls, struct dev_state *ds, enum wwtp_table table,
		      uint16_t address, uint16_t count, char *reason, size_t n)
{
	const struct wwtp_device *dev = ds->dev;
	int attempts = 1 + (dev->retries > 0 ? dev->retries : 0);
	int rc = WWTP_ERR_CONN;

	for (int a = 0; a < attempts; a++) {
		if (a > 0 && atomic_load(&ls->p->stop))
			break;
		if (!wwtp_link_is_open(ls->link)) {
			rc = wwtp_link_open(ls->link);
			if (rc != 0) {
				set_text(reason, n, "%s", wwtp_link_last_error(ls->link));
				count_error(ds, WWTP_ERR_CONN);
				return WWTP_ERR_CONN;
			}
		}
		if (is_bit_table(table))
			rc = wwtp_link_read_bits(ls->link, dev->unit_id, table, address, count,
						 ls->bits);
		else
			rc = wwtp_link_read_regs(ls->link, dev->unit_id, table, address, count,
						 ls->regs);
		if (rc == 0)
			return 0;
		count_error(ds, rc);
		set_text(reason, n, "%s", wwtp_link_last_error(ls->link));
		if (rc == WWTP_ERR_CONN)
			wwtp_link_close(ls->link);
		if (rc != WWTP_ERR_TIMEOUT && rc != WWTP_ERR_PROTO && rc != WWTP_ERR_CONN)
			break;
		if (a + 1 < attempts)
			LOG_DEBUG(MOD, "device %s: %s, retrying", dev->name, reason);
	}
	return rc;
}

/* Copies item i's values out of the block just read at block_address. */
static void store_item(struct link_state *ls, struct dev_state *ds, size_t i,
		       uint16_t block_address)
{
	const struct wwtp_read_item *it = &ds->items[i];
	size_t off = (size_t)(it->address - block_address);
	uint16_t *dst = ds->data + ds->ist[i].off;

	for (size_t k = 0; k < it->count; k++)
		dst[k] = is_bit_table(it->table) ? ls->bits[off + k] : ls->regs[off + k];
	ds->ist[i].rc = 0;
	ds->ist[i].reason[0] = '\0';
}

static void fail_item(struct dev_state *ds, size_t i, int rc, const char *reason)
{
	ds->ist[i].rc = rc;
	set_text(ds->ist[i].reason, sizeof(ds->ist[i].reason), "%s", reason);
}

/* "exception 2 (illegal data address) at holding 100-101" */
static void exception_reason(struct link_state *ls, struct dev_state *ds, enum wwtp_table t,
			     uint16_t address, uint16_t count, char *out, size_t n)
{
	char where[48];
	range_text(ds->dev, t, address, count, where, sizeof(where));
	/* Exception 2 is the device saying these registers do not exist: the
	 * station file's address or table, not the instrument, is wrong. */
	set_text(out, n, "%s at %s%s", wwtp_link_last_error(ls->link), where,
		 wwtp_link_last_exception(ls->link) == 2 ? ": wrong address or table?" : "");
}

struct poll_state {
	int answered; /* the device answered something (data or exception) */
	int aborted;  /* stopped asking: the device or the link is gone */
	int abort_rc;
	char abort_reason[REASON_MAX];
};

/* After a timeout, a lost connection or a system error the device is not
 * there (retries are spent): asking for the remaining blocks would only hold
 * up the other devices of the link. A bad frame means the line is alive. */
static void note_failure(struct poll_state *ps, int rc, const char *reason)
{
	if (rc == WWTP_ERR_PROTO || rc == WWTP_ERR_EXCEPTION || ps->aborted)
		return;
	ps->aborted = 1;
	ps->abort_rc = rc;
	set_text(ps->abort_reason, sizeof(ps->abort_reason), "%s", reason);
}

/* A merged read was refused with "illegal data address": read the block's
 * items one by one in this poll, and mark the refused ones to be read alone
 * from now on. If every item reads fine alone, the unused registers between
 * them were the problem: read them all alone. Returns 1 if the plan changed. */
static int split_block(struct link_state *ls, struct dev_state *ds, size_t b, struct poll_state *ps)
{
	char reason[REASON_MAX];
	size_t bad = 0;

	for (size_t i = 0; i < ds->nitems; i++) {
		const struct wwtp_read_item *it = &ds->items[i];
		int rc;

		if (ds->item_block[i] != b)
			continue;
		if (ps->aborted) {
			fail_item(ds, i, ps->abort_rc, ps->abort_reason);
			continue;
		}
		rc = read_range(ls, ds, it->table, it->address, it->count, reason, sizeof(reason));
		if (rc == 0) {
			store_item(ls, ds, i, it->address);
			continue;
		}
		if (rc == WWTP_ERR_EXCEPTION) {
			exception_reason(ls, ds, it->table, it->address, it->count, reason,
					 sizeof(reason));
			if (wwtp_link_last_exception(ls->link) == 2) {
				char where[48];
				ds->alone[i] = 1;
				bad++;
				range_text(ds->dev, it->table, it->address, it->count, where,
					   sizeof(where));
				LOG_WARN(MOD,
					 "device %s: %s refused (illegal data address); reading it "
					 "alone from now on",
					 ds->dev->name, where);
			}
		}
		fail_item(ds, i, rc, reason);
		note_failure(ps, rc, reason);
	}
	if (ps->aborted && bad == 0)
		return 0;
	if (bad == 0) {
		LOG_WARN(MOD,
			 "device %s: a merged read of %s %u-%u was refused but each point reads "
			 "fine alone; reading them one by one (set max_gap = 0 to avoid this)",
			 ds->dev->name, wwtp_table_name(ds->blocks[b].table),
			 (unsigned)ds->blocks[b].address,
			 (unsigned)ds->blocks[b].address + ds->blocks[b].count - 1u);
		for (size_t i = 0; i < ds->nitems; i++)
			if (ds->item_block[i] == b)
				ds->alone[i] = 1;
	}
	return 1;
}

static size_t items_in_block(const struct dev_state *ds, size_t b)
{
	size_t n = 0;
	for (size_t i = 0; i < ds->nitems; i++)
		n += ds->item_block[i] == b;
	return n;
}

static void read_blocks(struct link_state *ls, struct dev_state *ds, struct poll_state *ps)
{
	char reason[REASON_MAX];
	int changed = 0;

	for (size_t b = 0; b < ds->nblocks; b++) {
		const struct wwtp_read_block *blk = &ds->blocks[b];
		int rc;

		if (ps->aborted) {
			for (size_t i = 0; i < ds->nitems; i++)
				if (ds->item_block[i] == b)
					fail_item(ds, i, ps->abort_rc, ps->abort_reason);
			continue;
		}
		rc = read_range(ls, ds, blk->table, blk->address, blk->count, reason,
				sizeof(reason));
		if (rc == 0) {
			ps->answered = 1;
			for (size_t i = 0; i < ds->nitems; i++)
				if (ds->item_block[i] == b)
					store_item(ls, ds, i, blk->address);
			continue;
		}
		if (rc == WWTP_ERR_EXCEPTION) {
			ps->answered = 1;
			if (wwtp_link_last_exception(ls->link) == 2 && items_in_block(ds, b) > 1) {
				changed |= split_block(ls, ds, b, ps);
				continue;
			}
			exception_reason(ls, ds, blk->table, blk->address, blk->count, reason,
					 sizeof(reason));
		}
		for (size_t i = 0; i < ds->nitems; i++)
			if (ds->item_block[i] == b)
				fail_item(ds, i, rc, reason);
		note_failure(ps, rc, reason);
	}
	if (changed && replan(ds) != 0)
		LOG_ERROR(MOD, "device %s: cannot rebuild its read plan; keeping the old one",
			  ds->dev->name);
}

/* A failed read: an exception is the device saying no for those registers
 * (fault), anything else means no answer for them (offline). */
static int failed_status(int rc)
{
	return rc == WWTP_ERR_EXCEPTION ? WWTP_READING_FAULT : WWTP_READING_OFFLINE;
}

static void fill_reading(const struct dev_state *ds, size_t j, struct wwtp_reading *r)
{
	const struct wwtp_device *dev = ds->dev;
	const struct wwtp_point *pt = &dev->points[j];
	const struct item_state *vi = &ds->ist[j]; /* item j is point j's value */
	const struct wwtp_status_src *src = NULL;
	long si = -1;
	double v = 0;
	int rc;

	r->point = pt;
	r->has_value = 0;
	r->value = 0;
	r->reason[0] = '\0';
	if (vi->rc != 0) {
		r->status = failed_status(vi->rc);
		set_text(r->reason, sizeof(r->reason), "%s", vi->reason);
		return;
	}
	if (is_bit_table(pt->table))
		rc = wwtp_decode_bit(pt, (uint8_t)(ds->data[vi->off] != 0), &v);
	else
		rc = wwtp_decode_regs(pt, ds->data + vi->off, ds->items[j].count, &v);
	if (rc == WWTP_ERR_NAN) {
		r->status = WWTP_READING_FAULT;
		set_text(r->reason, sizeof(r->reason), "no value (NaN)");
		return;
	}
	if (rc != 0) {
		r->status = WWTP_READING_FAULT;
		set_text(r->reason, sizeof(r->reason), "cannot decode: %s", wwtp_strerror(rc));
		return;
	}
	r->has_value = 1;
	r->value = v;
	r->status = WWTP_READING_OK;

	if (pt->status.mode != WWTP_STATUS_NONE) {
		src = &pt->status;
		si = ds->point_status[j];
	} else if (dev->status.mode != WWTP_STATUS_NONE) {
		src = &dev->status;
		si = ds->dev_status;
	}
	if (!src || si < 0)
		return;
	if (ds->ist[si].rc != 0) {
		/* Without the status nobody can tell a calibration value from a
		 * measurement: do not let it pass as ok. */
		r->status = WWTP_READING_FAULT;
		set_text(r->reason, sizeof(r->reason), "status unreadable: %s", ds->ist[si].reason);
		return;
	}
	r->status = wwtp_decode_status(src, ds->data[ds->ist[si].off]);
	if (r->status == WWTP_READING_FAULT)
		set_text(r->reason, sizeof(r->reason), "instrument reports a fault");
	else if (r->status == WWTP_READING_CALIBRATING)
		set_text(r->reason, sizeof(r->reason), "instrument is calibrating");
}

/* Counts, back-off and logging after a poll. Runs on the link's thread. */
static void account(struct wwtp_poller *p, struct dev_state *ds, const struct poll_state *ps,
		    int64_t ts_ms, size_t unread, const char *first_unread)
{
	const struct wwtp_device *dev = ds->dev;
	int failed = ds->nblocks > 0 && !ps->answered;
	/* Not answering is either a timeout/lost link (which ended the poll) or
	 * nothing but garbled frames. */
	const char *why = ps->aborted ? ps->abort_reason : first_unread;
	uint64_t nfail;

	if (failed) {
		int64_t cap = backoff_cap_ms(ds->interval_ms);
		ds->eff_interval_ms = ds->eff_interval_ms * 2 > cap ? cap : ds->eff_interval_ms * 2;
	} else {
		ds->eff_interval_ms = ds->interval_ms;
	}

	pthread_mutex_lock(&p->lock);
	ds->health.polls++;
	ds->health.last_poll_ms = ts_ms;
	ds->health.interval_ms = (int)ds->eff_interval_ms;
	ds->health.last_unread = unread;
	ds->health.err_timeout = ds->errs.err_timeout;
	ds->health.err_exception = ds->errs.err_exception;
	ds->health.err_frame = ds->errs.err_frame;
	ds->health.err_conn = ds->errs.err_conn;
	ds->health.err_other = ds->errs.err_other;
	if (failed) {
		ds->health.failures++;
		ds->health.consecutive_failures++;
		set_text(ds->health.last_error, sizeof(ds->health.last_error), "%s", why);
	} else {
		ds->health.last_ok_ms = ts_ms;
		ds->health.consecutive_failures = 0;
		if (unread > 0) {
			ds->health.partial++;
			set_text(ds->health.last_error, sizeof(ds->health.last_error), "%s",
				 first_unread);
		}
	}
	nfail = ds->health.failures;
	pthread_mutex_unlock(&p->lock);

	if (failed && p->once) {
		/* One poll and out: there is no next try to announce. */
		atomic_fetch_add(&p->silent, 1);
		LOG_WARN(MOD, "device %s (unit %d, %s) did not answer: %s", dev->name, dev->unit_id,
			 wwtp_link_describe(ds->ls->link), why);
		return;
	}
	if (failed) {
		wwtp_complain(&ds->c_offline, WWTP_LOG_WARN, MOD,
			      "device %s (unit %d, %s) not answering: %s; retrying every %lld ms",
			      dev->name, dev->unit_id, wwtp_link_describe(ds->ls->link), why,
			      (long long)ds->eff_interval_ms);
		return;
	}
	wwtp_complain_release(&ds->c_offline, MOD,
			      "device %s answering again (%llu failed polls so far)", dev->name,
			      (unsigned long long)nfail);
	if (unread > 0)
		wwtp_complain(&ds->c_points, WWTP_LOG_WARN, MOD,
			      "device %s: %zu of %zu values unreadable, first: %s", dev->name,
			      unread, ds->nitems, first_unread);
	else
		wwtp_complain_release(&ds->c_points, MOD, "device %s: all points readable again",
				      dev->name);
}

WWTP_PRIVATE void poll_device(struct link_state *ls, struct dev_state *ds)
{
	struct wwtp_poller *p = ls->p;
	const struct wwtp_device *dev = ds->dev;
	struct poll_state ps;
	struct wwtp_sample *s;
	int64_t ts_ms = wwtp_now_ms();
	size_t unread = 0;
	const char *first_unread = "";

	memset(&ps, 0, sizeof(ps));
	for (size_t i = 0; i < ds->nitems; i++) {
		ds->ist[i].rc = 0;
		ds->ist[i].reason[0] = '\0';
	}
	wwtp_link_set_timeout(ls->link, dev->timeout_ms);
	read_blocks(ls, ds, &ps);

	for (size_t i = 0; i < ds->nitems; i++) {
		if (ds->ist[i].rc != 0) {
			if (unread++ == 0)
				first_unread = ds->ist[i].reason;
		}
	}
	account(p, ds, &ps, ts_ms, unread, first_unread);

	s = wwtp_sample_new(dev);
	if (!s) {
		LOG_ERROR(MOD, "device %s: out of memory, sample dropped", dev->name);
		return;
	}
	s->ts_ms = ts_ms;
	for (size_t j = 0; j < s->nreadings && j < dev->npoints; j++)
		fill_reading(ds, j, &s->readings[j]);
	p->cb(s, p->cb_ctx);
}

/* ---- threads ------------------------------------------------------------- */

/* Next due time after a poll that was due at due_ms: on the grid of the
 * schedule (due + interval, not now + interval, so the period does not drift
 * by the poll's own duration). When the link fell a whole interval or more
 * behind, the missed slots are skipped, not caught up in a burst. */
WWTP_PRIVATE void schedule_next(struct wwtp_poller *p, struct dev_state *ds, int64_t now)
{
	int64_t next = ds->due_ms + ds->eff_interval_ms;
	if (now - next >= ds->eff_interval_ms) {
		int64_t missed = (now - next) / ds->eff_interval_ms;
		next += missed * ds->eff_interval_ms;
		pthread_mutex_lock(&p->lock);
		ds->health.skipped += (uint64_t)missed;
		pthread_mutex_unlock(&p->lock);
	}
	ds->due_ms = next;
}

static struct timespec mono_deadline(int64_t ms)
{
	struct timespec ts;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	return ts;
}

static void *link_thread(void *arg)
{
	struct link_state *ls = arg;
	struct wwtp_poller *p = ls->p;

	pthread_mutex_lock(&p->lock);
	while (!atomic_load(&p->stop)) {
		struct dev_state *next = ls->devs[0];
		int64_t now = wwtp_mono_ms();

		for (size_t i = 1; i < ls->ndevs; i++)
			if (ls->devs[i]->due_ms < next->due_ms)
				next = ls->devs[i];
		if (next->due_ms > now) {
			struct timespec until = mono_deadline(next->due_ms);
			pthread_cond_timedwait(&p->wake, &p->lock, &until);
			continue; /* stop, or time: look again */
		}
		pthread_mutex_unlock(&p->lock);
		poll_device(ls, next);
		schedule_next(p, next, wwtp_mono_ms());
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	wwtp_link_close(ls->link);
	return NULL;
}

static void *once_thread(void *arg)
{
	struct link_state *ls = arg;
	for (size_t i = 0; i < ls->ndevs; i++)
		poll_device(ls, ls->devs[i]);
	wwtp_link_close(ls->link);
	return NULL;
}

/* ---- construction -------------------------------------------------------- */

static int same_endpoint(const struct wwtp_device *a, const struct wwtp_device *b)
{
	if (a->transport != b->transport)
		return 0;
	if (a->transport == WWTP_TRANSPORT_TCP)
		return a->port == b->port && strcasecmp(a->host, b->host) == 0;
	return strcmp(a->serial, b->serial) == 0;
}

/* Devices on one serial line must agree on how the line is driven. */
static int same_line_settings(const struct wwtp_device *a, const struct wwtp_device *b)
{
	if (a->transport != WWTP_TRANSPORT_RTU)
		return 1;
	return a->baud == b->baud && a->parity == b->parity && a->data_bits == b->data_bits &&
	       a->stop_bits == b->stop_bits && a->rs485.enabled == b->rs485.enabled &&
	       a->rs485.rts == b->rs485.rts && a->rs485.rts_delay_us == b->rs485.rts_delay_us;
}

static int build_links(struct wwtp_poller *p)
{
	p->links = calloc(p->ndevs ? p->ndevs : 1, sizeof(*p->links));
	if (!p->links)
		return WWTP_ERR_NOMEM;
	for (size_t i = 0; i < p->ndevs; i++) {
		struct dev_state *ds = &p->devs[i];
		struct link_state *ls = NULL;

		for (size_t k = 0; k < p->nlinks && !ls; k++)
			if (same_endpoint(p->links[k].devs[0]->dev, ds->dev))
				ls = &p->links[k];
		if (ls && !same_line_settings(ls->devs[0]->dev, ds->dev)) {
			LOG_ERROR(MOD, "devices %s and %s share %s but not its line settings",
				  ls->devs[0]->dev->name, ds->dev->name, ds->dev->serial);
			return WWTP_ERR_CONFIG;
		}
		if (!ls) {
			ls = &p->links[p->nlinks++];
			ls->p = p;
			ls->devs = calloc(p->ndevs, sizeof(*ls->devs));
			if (!ls->devs)
				return WWTP_ERR_NOMEM;
			ls->link = wwtp_link_new(ds->dev);
			if (!ls->link) {
				LOG_ERROR(MOD, "device %s: cannot set up its link", ds->dev->name);
				return WWTP_ERR_CONFIG;
			}
		}
		ls->devs[ls->ndevs++] = ds;
		ds->ls = ls;
	}
	return 0;
}

struct wwtp_poller *wwtp_poller_new(const struct wwtp_station *st, wwtp_sample_cb cb, void *ctx)
{
	struct wwtp_poller *p;
	pthread_condattr_t ca;
	int rc;

	if (!st || !cb || (st->ndevices > 0 && !st->devices)) {
		LOG_ERROR(MOD, "poller: no station or no callback");
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		LOG_ERROR(MOD, "poller: out of memory");
		return NULL;
	}
	p->st = st;
	p->cb = cb;
	p->cb_ctx = ctx;
	atomic_init(&p->stop, 0);
	pthread_mutex_init(&p->lock, NULL);
	/* Due times are monotonic; so must the timed wait be, or a clock step
	 * (NTP after boot on a Pi without RTC) would stall or rush the polls. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &ca);
	pthread_condattr_destroy(&ca);

	p->devs = calloc(st->ndevices ? st->ndevices : 1, sizeof(*p->devs));
	if (!p->devs) {
		LOG_ERROR(MOD, "poller: out of memory");
		wwtp_poller_free(p);
		return NULL;
	}
	for (size_t i = 0; i < st->ndevices; i++) {
		rc = dev_init(&p->devs[i], &st->devices[i]);
		p->ndevs = i + 1; /* so that free cleans this one up too */
		if (rc != 0) {
			wwtp_poller_free(p);
			return NULL;
		}
	}
	rc = build_links(p);
	if (rc != 0) {
		if (rc == WWTP_ERR_NOMEM)
			LOG_ERROR(MOD, "poller: out of memory");
		wwtp_poller_free(p);
		return NULL;
	}
	for (size_t k = 0; k < p->nlinks; k++)
		LOG_INFO(MOD, "%s: %zu device(s)", wwtp_link_describe(p->links[k].link),
			 p->links[k].ndevs);
	return p;
}

void wwtp_poller_free(struct wwtp_poller *p)
{
	if (!p)
		return;
	wwtp_poller_stop(p);
	for (size_t k = 0; k < p->nlinks; k++) {
		wwtp_link_free(p->links[k].link);
		free(p->links[k].devs);
	}
	free(p->links);
	for (size_t i = 0; i < p->ndevs; i++)
		dev_fini(&p->devs[i]);
	free(p->devs);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int wwtp_poller_start(struct wwtp_poller *p)
{
	int64_t now;

	if (!p || p->running)
		return WWTP_ERR_INVAL;
	atomic_store(&p->stop, 0);
	now = wwtp_mono_ms();
	for (size_t i = 0; i < p->ndevs; i++) {
		p->devs[i].due_ms = now;
		p->devs[i].eff_interval_ms = p->devs[i].interval_ms;
	}
	p->running = 1;
	for (size_t k = 0; k < p->nlinks; k++) {
		int rc = pthread_create(&p->links[k].thread, NULL, link_thread, &p->links[k]);
		if (rc != 0) {
			LOG_ERROR(MOD, "%s: cannot start its thread: %s",
				  wwtp_link_describe(p->links[k].link), strerror(rc));
			wwtp_poller_stop(p);
			errno = rc;
			return WWTP_ERR_ERRNO;
		}
		p->links[k].started = 1;
	}
	return 0;
}

void wwtp_poller_stop(struct wwtp_poller *p)
{
	if (!p || !p->running)
		return;
	pthread_mutex_lock(&p->lock);
	atomic_store(&p->stop, 1);
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (size_t k = 0; k < p->nlinks; k++) {
		if (p->links[k].started)
			pthread_join(p->links[k].thread, NULL);
		p->links[k].started = 0;
	}
	p->running = 0;
}

int wwtp_poller_run_once(struct wwtp_poller *p)
{
	if (!p || p->running)
		return WWTP_ERR_INVAL;
	atomic_store(&p->stop, 0);
	atomic_store(&p->silent, 0);
	p->once = 1;
	for (size_t k = 0; k < p->nlinks; k++) {
		struct link_state *ls = &p->links[k];
		/* Without a thread, poll this link here: slower, still complete. */
		ls->started = pthread_create(&ls->thread, NULL, once_thread, ls) == 0;
		if (!ls->started)
			once_thread(ls);
	}
	for (size_t k = 0; k < p->nlinks; k++) {
		if (p->links[k].started)
			pthread_join(p->links[k].thread, NULL);
		p->links[k].started = 0;
	}
	p->once = 0;
	return 0;
}

int wwtp_poller_silent(const struct wwtp_poller *p)
{
	return atomic_load(&((struct wwtp_poller *)p)->silent);
}

int wwtp_poller_device_health(struct wwtp_poller *p, size_t i, struct wwtp_device_health *out)
{
	if (!p || !out || i >= p->ndevs)
		return WWTP_ERR_NOTFOUND;
	pthread_mutex_lock(&p->lock);
	*out = p->devs[i].health;
	pthread_mutex_unlock(&p->lock);
	return 0;
}
