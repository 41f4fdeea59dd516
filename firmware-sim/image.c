#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ptys, accept4, pipe2, M_PI: also when built without the Makefile's flags */
#endif
#include "image.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../drivers/decode.h"
#include "../payload/payload.h"
#include "../util/err.h"
#include "../util/log.h"
#include "control_parse.h"
#include "image-private.h"

#define MOD "image"

struct wwtp_sim_image {
	const struct wwtp_device *dev;
	pthread_mutex_t lock;
	modbus_mapping_t *map;
	unsigned char *warned; /* per point: encode failure already logged */
	int *status;	       /* scratch: npoints + 1 analyzer states of one update */
	double *values;	       /* scratch: npoints values of one update */
	/* Control (under lock): values pinned by `set`, and the status
	 * forced by `status` (WWTP_SIM_STATUS_AUTO: the model's). */
	unsigned char *pinned; /* per point */
	double *pin;	       /* per point: the pinned value */
	int forced;
};

/* Lowest and one-past-highest address used on a table; lo > hi = unused. */
struct span {
	unsigned lo, hi;
};

static void span_add(struct span *s, unsigned address, unsigned count)
{
	if (address < s->lo)
		s->lo = address;
	if (address + count > s->hi)
		s->hi = address + count;
}

WWTP_PRIVATE int is_bit_table(enum wwtp_table t)
{
	return t == WWTP_TABLE_COIL || t == WWTP_TABLE_DISCRETE;
}

struct wwtp_sim_image *wwtp_sim_image_new(const struct wwtp_device *dev)
{
	struct span sp[4];
	struct wwtp_sim_image *img;

	for (int i = 0; i < 4; i++)
		sp[i] = (struct span){UINT16_MAX + 1u, 0};
	for (size_t i = 0; i < dev->npoints; i++) {
		const struct wwtp_point *p = &dev->points[i];
		unsigned n = is_bit_table(p->table) ? 1u : (unsigned)wwtp_type_regs(p->type);
		span_add(&sp[p->table], p->address, n);
		if (p->status.mode != WWTP_STATUS_NONE)
			span_add(&sp[p->status.table], p->status.address, 1);
	}
	if (dev->status.mode != WWTP_STATUS_NONE)
		span_add(&sp[dev->status.table], dev->status.address, 1);
	for (int i = 0; i < 4; i++)
		if (sp[i].lo >= sp[i].hi)
			sp[i] = (struct span){0, 0};

	img = calloc(1, sizeof(*img));
	if (!img)
		goto nomem;
	img->dev = dev;
	img->warned = calloc(dev->npoints + 1, 1);
	img->status = calloc(dev->npoints + 1, sizeof(*img->status));
	img->values = calloc(dev->npoints + 1, sizeof(*img->values));
	img->pinned = calloc(dev->npoints + 1, 1);
	img->pin = calloc(dev->npoints + 1, sizeof(*img->pin));
	img->forced = WWTP_SIM_STATUS_AUTO;
	img->map = modbus_mapping_new_start_address(
	    sp[WWTP_TABLE_COIL].lo, sp[WWTP_TABLE_COIL].hi - sp[WWTP_TABLE_COIL].lo,
	    sp[WWTP_TABLE_DISCRETE].lo, sp[WWTP_TABLE_DISCRETE].hi - sp[WWTP_TABLE_DISCRETE].lo,
	    sp[WWTP_TABLE_HOLDING].lo, sp[WWTP_TABLE_HOLDING].hi - sp[WWTP_TABLE_HOLDING].lo,
	    sp[WWTP_TABLE_INPUT].lo, sp[WWTP_TABLE_INPUT].hi - sp[WWTP_TABLE_INPUT].lo);
	if (!img->warned || !img->status || !img->values || !img->pinned || !img->pin || !img->map)
		goto nomem;
	pthread_mutex_init(&img->lock, NULL);
	return img;
nomem:
	LOG_ERROR(MOD, "device %s: no memory for its register image", dev->name);
	if (img) {
		free(img->warned);
		free(img->status);
		free(img->values);
		free(img->pinned);
		free(img->pin);
		if (img->map)
			modbus_mapping_free(img->map);
		free(img);
	}
	return NULL;
}

void wwtp_sim_image_free(struct wwtp_sim_image *img)
{
	if (!img)
		return;
	pthread_mutex_destroy(&img->lock);
	modbus_mapping_free(img->map);
	free(img->warned);
	free(img->status);
	free(img->values);
	free(img->pinned);
	free(img->pin);
	free(img);
}

const struct wwtp_device *wwtp_sim_image_device(const struct wwtp_sim_image *img)
{
	return img->dev;
}

/* Registers [address, address + count) of a register table, or NULL. */
static uint16_t *regs_at(const struct wwtp_sim_image *img, enum wwtp_table t, unsigned address,
			 unsigned count)
{
	const modbus_mapping_t *m = img->map;
	uint16_t *tab;
	int start, nb;

	if (t == WWTP_TABLE_HOLDING) {
		tab = m->tab_registers, start = m->start_registers, nb = m->nb_registers;
	} else if (t == WWTP_TABLE_INPUT) {
		tab = m->tab_input_registers, start = m->start_input_registers,
		nb = m->nb_input_registers;
	} else {
		return NULL;
	}
	if (!tab || address < (unsigned)start || address + count > (unsigned)start + (unsigned)nb)
		return NULL;
	return tab + (address - (unsigned)start);
}

static uint8_t *bit_at(const struct wwtp_sim_image *img, enum wwtp_table t, unsigned address)
{
	const modbus_mapping_t *m = img->map;
	uint8_t *tab;
	int start, nb;

	if (t == WWTP_TABLE_COIL) {
		tab = m->tab_bits, start = m->start_bits, nb = m->nb_bits;
	} else if (t == WWTP_TABLE_DISCRETE) {
		tab = m->tab_input_bits, start = m->start_input_bits, nb = m->nb_input_bits;
	} else {
		return NULL;
	}
	if (!tab || address < (unsigned)start || address >= (unsigned)start + (unsigned)nb)
		return NULL;
	return tab + (address - (unsigned)start);
}

/* A point carries a bit when it sits on a bit table, selects one bit of a
 * register, or is declared bool: then its value is the model's flag. */
static int point_is_flag(const struct wwtp_point *p)
{
	return is_bit_table(p->table) || p->bit >= 0 || p->type == WWTP_TYPE_BOOL;
}

static int write_point(struct wwtp_sim_image *img, size_t i, double v)
{
	const struct wwtp_point *p = &img->dev->points[i];
	int rc;

	if (is_bit_table(p->table)) {
		uint8_t *b = bit_at(img, p->table, p->address);
		if (b)
			*b = v != p->offset; /* raw 1 (see above) */
		return 0;
	}
	unsigned n = (unsigned)wwtp_type_regs(p->type);
	uint16_t *r = regs_at(img, p->table, p->address, n);
	rc = r ? wwtp_encode_regs(p, v, r, n) : WWTP_ERR_RANGE;
	if (rc != 0 && !img->warned[i]) {
		img->warned[i] = 1;
		LOG_WARN(
		    MOD,
		    "%s:%d: device %s point %s: cannot encode %g as %s (%s); register left as is",
		    p->source, p->line, img->dev->name, p->param, v, wwtp_type_name(p->type),
		    wwtp_strerror(rc));
	}
	return rc != 0;
}

/* The value that reads as "ok" in VALUE mode: 0 unless the config gave 0 a
 * meaning, then the smallest value that is neither calibrating nor fault. */
static uint16_t ok_value(const struct wwtp_status_src *s)
{
	uint16_t v = 0;
	while (v == s->calibrating || v == s->fault)
		v++;
	return v;
}

/* Pass 0 resets every status register to ok, pass 1 applies calibrating,
 * pass 2 fault: several analyzers may share one register (one bit each, or
 * one value for the device), and fault must win. */
static void write_status(struct wwtp_sim_image *img, const struct wwtp_status_src *s, int status,
			 int pass)
{
	uint16_t *r = regs_at(img, s->table, s->address, 1);

	if (!r || s->mode == WWTP_STATUS_NONE)
		return;
	if (pass == 0) {
		if (s->mode == WWTP_STATUS_VALUE)
			*r = ok_value(s);
		else
			*r &= (uint16_t) ~(s->calibrating | s->fault);
	} else if (pass == 1 && status == WWTP_READING_CALIBRATING) {
		if (s->mode == WWTP_STATUS_VALUE)
			*r = s->calibrating;
		else
			*r |= s->calibrating;
	} else if (pass == 2 && status == WWTP_READING_FAULT) {
		if (s->mode == WWTP_STATUS_VALUE)
			*r = s->fault;
		else
			*r |= s->fault;
	}
}

int wwtp_sim_image_update(struct wwtp_sim_image *img, const struct wwtp_sim_site *site, int64_t t)
{
	const struct wwtp_device *dev = img->dev;
	int failed = 0;

	/* The model runs outside the lock: only the copy into the mapping
	 * needs it, and readers should wait as little as possible. */
	for (size_t i = 0; i < dev->npoints; i++) {
		const struct wwtp_point *p = &dev->points[i];
		/* A flag goes in as the engineering value that decodes from raw
		 * 0 or 1, so a scaled bit point still carries the bit. */
		img->values[i] = point_is_flag(p)
				     ? wwtp_sim_model_flag(site, p->param, t) * p->scale + p->offset
				     : wwtp_sim_model_value(site, p->param, t);
	}
	for (size_t i = 0; i < dev->npoints; i++)
		img->status[i] = dev->points[i].status.mode == WWTP_STATUS_NONE
				     ? WWTP_READING_OK
				     : wwtp_sim_point_status(site, dev, &dev->points[i], t);
	img->status[dev->npoints] = dev->status.mode == WWTP_STATUS_NONE
					? WWTP_READING_OK
					: wwtp_sim_model_status(site, dev->name, t);

	pthread_mutex_lock(&img->lock);
	for (size_t i = 0; i < dev->npoints; i++)
		failed += write_point(img, i, img->pinned[i] ? img->pin[i] : img->values[i]);
	if (img->forced != WWTP_SIM_STATUS_AUTO)
		for (size_t i = 0; i <= dev->npoints; i++)
			img->status[i] = img->forced;
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < dev->npoints; i++)
			write_status(img, &dev->points[i].status, img->status[i], pass);
		write_status(img, &dev->status, img->status[dev->npoints], pass);
	}
	pthread_mutex_unlock(&img->lock);
	return failed;
}

int wwtp_sim_image_reply(struct wwtp_sim_image *img, modbus_t *ctx, const uint8_t *req, int req_len)
{
	int rc;
	pthread_mutex_lock(&img->lock);
	rc = modbus_reply(ctx, req, req_len, img->map);
	pthread_mutex_unlock(&img->lock);
	return rc;
}

int wwtp_sim_image_read_regs(struct wwtp_sim_image *img, enum wwtp_table table, uint16_t address,
			     uint16_t count, uint16_t *out)
{
	int rc = WWTP_ERR_RANGE;
	pthread_mutex_lock(&img->lock);
	uint16_t *r = regs_at(img, table, address, count);
	if (r) {
		memcpy(out, r, count * sizeof(*out));
		rc = 0;
	}
	pthread_mutex_unlock(&img->lock);
	return rc;
}

int wwtp_sim_image_read_bit(struct wwtp_sim_image *img, enum wwtp_table table, uint16_t address,
			    uint8_t *out)
{
	int rc = WWTP_ERR_RANGE;
	pthread_mutex_lock(&img->lock);
	uint8_t *b = bit_at(img, table, address);
	if (b) {
		*out = *b;
		rc = 0;
	}
	pthread_mutex_unlock(&img->lock);
	return rc;
}

/* Whether v can be written to point p: what wwtp_encode_regs accepts for a
 * register point; for a coil or discrete input, a value that decodes from
 * raw 0 or 1 (with *norm set to exactly that value, since write_point
 * tests against the offset). */
static int pin_fits(const struct wwtp_point *p, double v, double *norm)
{
	uint16_t scratch[4] = {0, 0, 0, 0};

	*norm = v;
	if (is_bit_table(p->table)) {
		double raw = (v - p->offset) / p->scale;
		if (!(raw > -0.5 && raw < 1.5))
			return isnan(raw) ? WWTP_ERR_NAN : WWTP_ERR_RANGE;
		*norm = (raw >= 0.5 ? 1.0 : 0.0) * p->scale + p->offset;
		return 0;
	}
	return wwtp_encode_regs(p, v, scratch, 4);
}

int wwtp_sim_image_pin(struct wwtp_sim_image *img, const char *param, int on, double value,
		       const struct wwtp_point **bad)
{
	const struct wwtp_device *dev = img->dev;
	int n = 0, rc;
	double norm;

	if (bad)
		*bad = NULL;
	/* Check every point of param first: all pinned or none. */
	for (size_t i = 0; on && i < dev->npoints; i++) {
		if (strcmp(dev->points[i].param, param) != 0)
			continue;
		if ((rc = pin_fits(&dev->points[i], value, &norm)) != 0) {
			if (bad)
				*bad = &dev->points[i];
			return rc;
		}
	}
	pthread_mutex_lock(&img->lock);
	for (size_t i = 0; i < dev->npoints; i++) {
		if (strcmp(dev->points[i].param, param) != 0)
			continue;
		if (on)
			pin_fits(&dev->points[i], value, &img->pin[i]);
		img->pinned[i] = (unsigned char)(on != 0);
		n++;
	}
	pthread_mutex_unlock(&img->lock);
	return n;
}

int wwtp_sim_image_has_status(const struct wwtp_sim_image *img)
{
	const struct wwtp_device *dev = img->dev;

	if (dev->status.mode != WWTP_STATUS_NONE)
		return 1;
	for (size_t i = 0; i < dev->npoints; i++)
		if (dev->points[i].status.mode != WWTP_STATUS_NONE)
			return 1;
	return 0;
}

int wwtp_sim_image_force_status(struct wwtp_sim_image *img, int status)
{
	if (!wwtp_sim_image_has_status(img))
		return WWTP_ERR_NOTFOUND;
	pthread_mutex_lock(&img->lock);
	img->forced = status;
	pthread_mutex_unlock(&img->lock);
	return 0;
}

int wwtp_sim_image_forced_status(struct wwtp_sim_image *img)
{
	int st;
	pthread_mutex_lock(&img->lock);
	st = img->forced;
	pthread_mutex_unlock(&img->lock);
	return st;
}

int wwtp_sim_image_get(struct wwtp_sim_image *img, const char *param, double *value, int *pinned)
{
	const struct wwtp_device *dev = img->dev;
	int rc = WWTP_ERR_NOTFOUND;

	pthread_mutex_lock(&img->lock);
	for (size_t i = 0; i < dev->npoints; i++) {
		const struct wwtp_point *p = &dev->points[i];
		if (strcmp(p->param, param) != 0)
			continue;
		/* Decoded from the registers, as a client would: the answer
		 * is what the collector reads, not what the model meant. */
		if (is_bit_table(p->table)) {
			const uint8_t *b = bit_at(img, p->table, p->address);
			rc = b ? wwtp_decode_bit(p, *b, value) : WWTP_ERR_RANGE;
		} else {
			unsigned n = (unsigned)wwtp_type_regs(p->type);
			const uint16_t *r = regs_at(img, p->table, p->address, n);
			rc = r ? wwtp_decode_regs(p, r, n, value) : WWTP_ERR_RANGE;
		}
		if (pinned)
			*pinned = img->pinned[i];
		break;
	}
	pthread_mutex_unlock(&img->lock);
	return rc;
}

int wwtp_sim_point_value(const struct wwtp_sim_site *site, const struct wwtp_point *p, int64_t t,
			 double *value)
{
	uint16_t regs[4] = {0, 0, 0, 0};
	double v;
	int rc;

	if (point_is_flag(p)) {
		int f = wwtp_sim_model_flag(site, p->param, t);
		if (is_bit_table(p->table))
			return wwtp_decode_bit(p, (uint8_t)f, value);
		v = f * p->scale + p->offset; /* as write_point puts it in */
	} else {
		v = wwtp_sim_model_value(site, p->param, t);
	}
	rc = wwtp_encode_regs(p, v, regs, 4);
	if (rc == 0)
		rc = wwtp_decode_regs(p, regs, (size_t)wwtp_type_regs(p->type), value);
	return rc;
}

int wwtp_sim_point_status(const struct wwtp_sim_site *site, const struct wwtp_device *dev,
			  const struct wwtp_point *p, int64_t t)
{
	if (p->status.mode != WWTP_STATUS_NONE)
		return wwtp_sim_model_status(site, p->param, t);
	if (dev->status.mode != WWTP_STATUS_NONE)
		return wwtp_sim_model_status(site, dev->name, t);
	return WWTP_READING_OK;
}
