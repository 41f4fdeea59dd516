#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ptys, accept4, pipe2, M_PI: also when built without the Makefile's flags */
#endif
#include "sim.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../payload/payload.h"
#include "../util/err.h"
#include "../util/log.h"
#include "../util/timeutil.h"
#include "control.h"
#include "fault.h"
#include "image.h"
#include "serve.h"

#define MOD "sim"

struct sim_ep {
	struct wwtp_sim_endpoint ep;	/* first: threads get &sim_ep->ep */
	size_t station;			/* RTU pty bus: the station it belongs to */
	char cfg_serial[WWTP_PATH_MAX]; /* RTU pty bus: its serial path in the config */
	size_t owner[256];		/* per unit id: index + 1 of the device in devs */
};

struct sim_dev {
	size_t station; /* index into stations and sites */
	const struct wwtp_device *dev;
	struct wwtp_sim_image *img;
	struct wwtp_sim_faultbox *fb;
	size_t ep; /* index into eps */
};

struct wwtp_sim {
	struct wwtp_station *const *stations;
	size_t nstations;
	struct wwtp_sim_opts o;
	struct wwtp_sim_site *sites;
	struct sim_dev *devs;
	size_t ndevs;
	struct sim_ep **eps;
	size_t neps;
	int stop_pipe[2];
	int started;
	/* One update at a time: the main loop's, or a control command's
	 * (which redoes the current second so that a change shows at once). */
	pthread_mutex_t upd;
	int64_t elapsed_s; /* of the last update */
	struct wwtp_sim_control *ctl;
};

unsigned wwtp_sim_scenario_for(const struct wwtp_sim_opts *o, const char *station)
{
	unsigned sc = o->scenario;
	for (size_t i = 0; i < o->nper_station; i++)
		if (strcmp(o->per_station[i].station, station) == 0)
			sc = o->per_station[i].scenario;
	return sc;
}

void wwtp_sim_sites_init(struct wwtp_station *const *stations, size_t n,
			 const struct wwtp_sim_opts *o, struct wwtp_sim_site *sites)
{
	for (size_t i = 0; i < n; i++)
		wwtp_sim_site_init(&sites[i], o->seed, stations[i]->id,
				   stations[i]->design_flow_m3d,
				   wwtp_sim_scenario_for(o, stations[i]->id));
}

const struct wwtp_sim_site *wwtp_sim_sites(const struct wwtp_sim *s)
{
	return s->sites;
}

static struct sim_ep *add_ep(struct wwtp_sim *s, const struct wwtp_sim_transport *tp)
{
	struct sim_ep **grown = realloc(s->eps, (s->neps + 1) * sizeof(*grown));
	struct sim_ep *e;

	if (!grown)
		return NULL;
	s->eps = grown;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	wwtp_sim_endpoint_init(&e->ep, tp, s->stop_pipe[0]);
	s->eps[s->neps++] = e;
	return e;
}

/* The endpoint device d is served on, made if new. Returns its index, or
 * a negative code. */
static long place(struct wwtp_sim *s, size_t station, const struct wwtp_device *d)
{
	const struct wwtp_sim_opts *o = &s->o;
	struct sim_ep *e;

	if (d->transport == WWTP_TRANSPORT_TCP) {
		const char *host = o->bind ? o->bind : d->host[0] ? d->host : "0.0.0.0";
		int port = d->port + o->port_offset;
		if (port < 1 || port > 65535) {
			LOG_ERROR(MOD, "%s: device %s: port %d + offset %d is not a TCP port",
				  s->stations[station]->path, d->name, d->port, o->port_offset);
			return WWTP_ERR_CONFIG;
		}
		for (size_t i = 0; i < s->neps; i++) {
			e = s->eps[i];
			if (e->ep.tp == &wwtp_sim_tcp_transport && e->ep.port == port &&
			    strcmp(e->ep.host, host) == 0)
				return (long)i;
		}
		if (!(e = add_ep(s, &wwtp_sim_tcp_transport)))
			return WWTP_ERR_NOMEM;
		snprintf(e->ep.host, sizeof(e->ep.host), "%s", host);
		e->ep.port = port;
		return (long)s->neps - 1;
	}

	for (size_t i = 0; i < s->neps; i++) {
		e = s->eps[i];
		if (e->ep.tp != &wwtp_sim_rtu_transport)
			continue;
		if (o->serial || (e->station == station && strcmp(e->cfg_serial, d->serial) == 0)) {
			if (e->ep.baud != d->baud || e->ep.parity != d->parity ||
			    e->ep.data_bits != d->data_bits || e->ep.stop_bits != d->stop_bits)
				LOG_WARN(MOD,
					 "%s: device %s: line settings %d %c%d%d differ from the "
					 "first device on the same line (%d %c%d%d); a real bus "
					 "would not work, the simulator serves it anyway",
					 s->stations[station]->path, d->name, d->baud, d->parity,
					 d->data_bits, d->stop_bits, e->ep.baud, e->ep.parity,
					 e->ep.data_bits, e->ep.stop_bits);
			return (long)i;
		}
	}
	if (!(e = add_ep(s, &wwtp_sim_rtu_transport)))
		return WWTP_ERR_NOMEM;
	e->station = station;
	snprintf(e->cfg_serial, sizeof(e->cfg_serial), "%s", d->serial);
	snprintf(e->ep.serial, sizeof(e->ep.serial), "%s", o->serial ? o->serial : "");
	e->ep.baud = d->baud;
	e->ep.parity = d->parity;
	e->ep.data_bits = d->data_bits;
	e->ep.stop_bits = d->stop_bits;
	return (long)s->neps - 1;
}

/* The drop draws of a device: from the seed and the device's full name, so
 * that devices do not drop in step and runs repeat. FNV-1a, then mixed. */
static uint64_t device_seed(uint64_t seed, const char *station, const char *device)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const char *parts[3] = {station, "/", device};

	for (int k = 0; k < 3; k++)
		for (const char *c = parts[k]; *c; c++)
			h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
	return h ^ (seed * 0x9E3779B97F4A7C15ull);
}

static int claim_unit(struct wwtp_sim *s, size_t di)
{
	struct sim_dev *sd = &s->devs[di];
	struct sim_ep *e = s->eps[sd->ep];
	int u = sd->dev->unit_id;
	const char *path = s->stations[sd->station]->path;

	if (u < 0 || u > 255 || (e->ep.tp == &wwtp_sim_rtu_transport && (u == 0 || u > 247))) {
		LOG_ERROR(MOD, "%s: device %s: unit id %d cannot be served on %s (RTU: 1..247)",
			  path, sd->dev->name, u, e->ep.tp->name);
		return WWTP_ERR_CONFIG;
	}
	if (e->owner[u]) {
		const struct sim_dev *o = &s->devs[e->owner[u] - 1];
		LOG_ERROR(MOD,
			  "%s: device %s and %s: device %s both answer unit id %d on the same %s "
			  "endpoint; give them distinct unit ids or ports",
			  path, sd->dev->name, s->stations[o->station]->path, o->dev->name, u,
			  e->ep.tp->name);
		return WWTP_ERR_CONFIG;
	}
	e->owner[u] = di + 1;
	e->ep.units[u] = sd->img;
	e->ep.faults[u] = sd->fb;
	return 0;
}

int wwtp_sim_new(struct wwtp_station *const *stations, size_t n, const struct wwtp_sim_opts *o,
		 struct wwtp_sim **out)
{
	struct wwtp_sim *s = calloc(1, sizeof(*s));
	size_t ndev = 0;
	int rc = WWTP_ERR_NOMEM;

	*out = NULL;
	if (!s)
		return WWTP_ERR_NOMEM;
	s->stop_pipe[0] = s->stop_pipe[1] = -1;
	pthread_mutex_init(&s->upd, NULL);
	s->stations = stations;
	s->nstations = n;
	s->o = *o;
	for (size_t i = 0; i < n; i++)
		ndev += stations[i]->ndevices;
	s->sites = calloc(n ? n : 1, sizeof(*s->sites));
	s->devs = calloc(ndev ? ndev : 1, sizeof(*s->devs));
	if (!s->sites || !s->devs)
		goto fail;
	if (pipe2(s->stop_pipe, O_CLOEXEC) != 0) {
		rc = WWTP_ERR_ERRNO;
		goto fail;
	}
	wwtp_sim_sites_init(stations, n, o, s->sites);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			if (strcmp(stations[i]->id, stations[j]->id) == 0) {
				LOG_ERROR(MOD, "%s and %s: both are station %s", stations[j]->path,
					  stations[i]->path, stations[i]->id);
				rc = WWTP_ERR_CONFIG;
				goto fail;
			}
		}
		for (size_t k = 0; k < stations[i]->ndevices; k++) {
			struct sim_dev *sd = &s->devs[s->ndevs];
			long ep;
			sd->station = i;
			sd->dev = &stations[i]->devices[k];
			sd->img = wwtp_sim_image_new(sd->dev);
			sd->fb = wwtp_sim_faultbox_new(
			    device_seed(o->seed, stations[i]->id, sd->dev->name));
			if (!sd->img || !sd->fb) {
				wwtp_sim_image_free(sd->img);
				wwtp_sim_faultbox_free(sd->fb);
				goto fail;
			}
			s->ndevs++;
			ep = place(s, i, sd->dev);
			if (ep < 0) {
				rc = (int)ep;
				goto fail;
			}
			sd->ep = (size_t)ep;
			if ((rc = claim_unit(s, s->ndevs - 1)) != 0)
				goto fail;
			rc = WWTP_ERR_NOMEM;
		}
	}
	*out = s;
	return 0;
fail:
	wwtp_sim_free(s);
	return rc;
}

static void update_locked(struct wwtp_sim *s)
{
	int64_t t = s->o.start_s + s->elapsed_s;
	for (size_t i = 0; i < s->ndevs; i++)
		wwtp_sim_image_update(s->devs[i].img, &s->sites[s->devs[i].station], t);
}

void wwtp_sim_update(struct wwtp_sim *s, int64_t elapsed_s)
{
	pthread_mutex_lock(&s->upd);
	s->elapsed_s = elapsed_s;
	update_locked(s);
	pthread_mutex_unlock(&s->upd);
}

/* Rewrites the registers for the current second, after a control change. */
static void refresh(struct wwtp_sim *s)
{
	pthread_mutex_lock(&s->upd);
	update_locked(s);
	pthread_mutex_unlock(&s->upd);
}

/* ---- Control commands ---------------------------------------------------- */

/* A reply built in pieces; text that does not fit is cut and ends in "...". */
struct reply {
	char *buf;
	size_t n, len;
	int cut;
};

static void say(struct reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct reply *r, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (r->cut || r->n == 0)
		return;
	va_start(ap, fmt);
	w = vsnprintf(r->buf + r->len, r->n - r->len, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= r->n - r->len) {
		r->cut = 1;
		if (r->n >= 4)
			memcpy(r->buf + r->n - 4, "...", 4);
		r->len = r->n - 1;
		return;
	}
	r->len += (size_t)w;
}

static int say_error(struct reply *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int say_error(struct reply *r, int rc, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->len = 0;
	r->cut = 0;
	if (r->n)
		r->buf[0] = '\0';
	say(r, "error: %s", msg);
	return rc;
}

static long find_station(const struct wwtp_sim *s, const char *id)
{
	for (size_t i = 0; i < s->nstations; i++)
		if (strcmp(s->stations[i]->id, id) == 0)
			return (long)i;
	return -1;
}

static struct sim_dev *find_dev(struct wwtp_sim *s, size_t st, const char *name)
{
	for (size_t i = 0; i < s->ndevs; i++)
		if (s->devs[i].station == st && strcmp(s->devs[i].dev->name, name) == 0)
			return &s->devs[i];
	return NULL;
}

static int has_param(const struct wwtp_device *d, const char *param)
{
	for (size_t i = 0; i < d->npoints; i++)
		if (strcmp(d->points[i].param, param) == 0)
			return 1;
	return 0;
}

static const char *status_name(int st)
{
	switch (st) {
	case WWTP_SIM_STATUS_AUTO:
		return "auto";
	case WWTP_READING_CALIBRATING:
		return "calibrating";
	case WWTP_READING_FAULT:
		return "fault";
	default:
		return "ok";
	}
}

static int exec_set(struct wwtp_sim *s, size_t st, const struct wwtp_sim_cmd *c, struct reply *r)
{
	int on = c->verb == WWTP_SIM_CMD_SET, total = 0;

	for (size_t i = 0; i < s->ndevs; i++) {
		const struct wwtp_point *bad;
		int n;
		if (s->devs[i].station != st)
			continue;
		n = wwtp_sim_image_pin(s->devs[i].img, c->name, on, c->value, &bad);
		if (n < 0)
			return say_error(r, WWTP_ERR_RANGE,
					 "%g does not fit point %s of device %s (%s, scale %g, "
					 "offset %g)",
					 c->value, bad->param, s->devs[i].dev->name,
					 wwtp_type_name(bad->type), bad->scale, bad->offset);
		total += n;
	}
	if (total == 0)
		return say_error(r, WWTP_ERR_NOTFOUND, "station %s has no param '%s'", c->station,
				 c->name);
	refresh(s);
	if (on)
		LOG_INFO(MOD, "%s/%s pinned to %g", c->station, c->name, c->value);
	else
		LOG_INFO(MOD, "%s/%s follows the model again", c->station, c->name);
	say(r, "ok");
	return 0;
}

static int exec_get(struct wwtp_sim *s, size_t st, const struct wwtp_sim_cmd *c, struct reply *r)
{
	for (size_t i = 0; i < s->ndevs; i++) {
		double v;
		int rc;
		if (s->devs[i].station != st || !has_param(s->devs[i].dev, c->name))
			continue;
		rc = wwtp_sim_image_get(s->devs[i].img, c->name, &v, NULL);
		if (rc == WWTP_ERR_NAN) {
			say(r, "ok nan"); /* a float point playing "no value" */
			return 0;
		}
		if (rc != 0)
			return say_error(r, rc, "cannot read %s: %s", c->name, wwtp_strerror(rc));
		/* 15 digits: the decoder's arithmetic noise (raw x scale) goes,
		 * every digit a user typed stays. */
		say(r, "ok %.15g", v);
		return 0;
	}
	return say_error(r, WWTP_ERR_NOTFOUND, "station %s has no param '%s'", c->station, c->name);
}

static void exec_show(struct wwtp_sim *s, struct sim_dev *d, struct reply *r)
{
	struct wwtp_sim_fault f;
	int64_t left;
	char what[64];
	int any = 0;

	wwtp_sim_faultbox_get(d->fb, &f, wwtp_mono_ms(), &left);
	wwtp_sim_fault_format(&f, what, sizeof(what));
	say(r, "ok unit=%d transport=%s fault=%s", d->dev->unit_id, s->eps[d->ep]->ep.tp->name,
	    what);
	if (f.kind == WWTP_SIM_FAULT_SILENT)
		say(r, " silent_left_ms=%lld", (long long)left);
	say(r, " status=%s",
	    wwtp_sim_image_has_status(d->img) ? status_name(wwtp_sim_image_forced_status(d->img))
					      : "none");
	say(r, " pinned=");
	for (size_t i = 0; i < d->dev->npoints; i++) {
		double v;
		int pinned = 0;
		wwtp_sim_image_get(d->img, d->dev->points[i].param, &v, &pinned);
		if (pinned) {
			say(r, "%s%s", any ? "," : "", d->dev->points[i].param);
			any = 1;
		}
	}
	if (!any)
		say(r, "-");
}

static void exec_list(struct wwtp_sim *s, struct reply *r)
{
	say(r, "ok");
	for (size_t i = 0; i < s->ndevs; i++) {
		const struct sim_dev *d = &s->devs[i];
		say(r, " %s/%s:", s->stations[d->station]->id, d->dev->name);
		for (size_t k = 0; k < d->dev->npoints; k++)
			say(r, "%s%s", k ? "," : "", d->dev->points[k].param);
	}
}

int wwtp_sim_exec(struct wwtp_sim *s, const struct wwtp_sim_cmd *c, char *reply, size_t n)
{
	struct reply r = {reply, n, 0, 0};
	struct sim_dev *d = NULL;
	long st = -1;
	char what[64];
	int rc;

	if (n)
		reply[0] = '\0';
	switch (c->verb) {
	case WWTP_SIM_CMD_LIST:
		exec_list(s, &r);
		return 0;
	case WWTP_SIM_CMD_HELP:
		say(&r, "ok %s", wwtp_sim_cmd_help);
		return 0;
	case WWTP_SIM_CMD_QUIT:
		say(&r, "ok bye");
		return 0;
	default:
		break;
	}
	if ((st = find_station(s, c->station)) < 0)
		return say_error(&r, WWTP_ERR_NOTFOUND, "unknown station '%s'", c->station);
	if (c->verb == WWTP_SIM_CMD_FAULT || c->verb == WWTP_SIM_CMD_STATUS ||
	    c->verb == WWTP_SIM_CMD_SHOW) {
		if (!(d = find_dev(s, (size_t)st, c->name)))
			return say_error(&r, WWTP_ERR_NOTFOUND, "station %s has no device '%s'",
					 c->station, c->name);
	}
	switch (c->verb) {
	case WWTP_SIM_CMD_FAULT:
		wwtp_sim_faultbox_set(d->fb, &c->fault, wwtp_mono_ms());
		wwtp_sim_fault_format(&c->fault, what, sizeof(what));
		LOG_INFO(MOD, "%s/%s: fault %s", c->station, c->name, what);
		say(&r, "ok");
		return 0;
	case WWTP_SIM_CMD_SET:
	case WWTP_SIM_CMD_UNSET:
		return exec_set(s, (size_t)st, c, &r);
	case WWTP_SIM_CMD_STATUS:
		rc = wwtp_sim_image_force_status(d->img, c->status);
		if (rc != 0)
			return say_error(&r, rc, "device %s of station %s has no status register",
					 c->name, c->station);
		refresh(s);
		LOG_INFO(MOD, "%s/%s: status %s", c->station, c->name, status_name(c->status));
		say(&r, "ok");
		return 0;
	case WWTP_SIM_CMD_GET:
		return exec_get(s, (size_t)st, c, &r);
	case WWTP_SIM_CMD_SHOW:
		exec_show(s, d, &r);
		return 0;
	default:
		return say_error(&r, WWTP_ERR_INVAL, "command not handled");
	}
}

/* The control port's callback: one line in, one answer out. */
static int control_line(void *ctx, const char *line, char *reply, size_t n)
{
	struct wwtp_sim_cmd c;
	char err[WWTP_SIM_ERR_MAX];

	if (wwtp_sim_cmd_parse(line, &c, err, sizeof(err)) != 0) {
		snprintf(reply, n, "error: %s", err);
		return 0;
	}
	wwtp_sim_exec(ctx, &c, reply, n);
	return c.verb == WWTP_SIM_CMD_QUIT;
}

/* Whether an earlier device already printed the same station line. */
static int announced(const struct wwtp_sim *s, size_t di)
{
	const struct sim_dev *d = &s->devs[di];
	for (size_t i = 0; i < di; i++) {
		const struct sim_dev *p = &s->devs[i];
		if (p->station != d->station || p->ep != d->ep)
			continue;
		if (d->dev->transport == WWTP_TRANSPORT_RTU
			? strcmp(p->dev->serial, d->dev->serial) == 0
			: strcmp(p->dev->host, d->dev->host) == 0 && p->dev->port == d->dev->port)
			return 1;
	}
	return 0;
}

int wwtp_sim_open(struct wwtp_sim *s, FILE *out)
{
	for (size_t i = 0; i < s->neps; i++) {
		struct wwtp_sim_endpoint *ep = &s->eps[i]->ep;
		int rc = ep->tp->open(ep);
		if (rc != 0)
			return rc;
	}
	if (s->o.control_port >= 0) {
		int rc = wwtp_sim_control_open(s->o.control_port, s->stop_pipe[0], control_line, s,
					       &s->ctl);
		if (rc != 0)
			return rc;
	}
	for (size_t i = 0; i < s->ndevs; i++) {
		const struct sim_dev *d = &s->devs[i];
		const struct wwtp_sim_endpoint *ep = &s->eps[d->ep]->ep;
		const char *st = s->stations[d->station]->id;
		if (announced(s, i))
			continue;
		if (d->dev->transport == WWTP_TRANSPORT_RTU)
			fprintf(out, "rtu %s %s -> %s\n", st, d->dev->serial, ep->path);
		else
			fprintf(out, "tcp %s %s:%d -> %s %d\n", st, d->dev->host, d->dev->port,
				ep->host, ep->port);
	}
	if (s->ctl)
		fprintf(out, "control 127.0.0.1 %d\n", wwtp_sim_control_port(s->ctl));
	fflush(out);
	return 0;
}

int wwtp_sim_start(struct wwtp_sim *s)
{
	s->started = 1;
	for (size_t i = 0; i < s->neps; i++) {
		struct wwtp_sim_endpoint *ep = &s->eps[i]->ep;
		int rc = pthread_create(&ep->thread, NULL, ep->tp->run, ep);
		if (rc != 0) {
			errno = rc;
			LOG_ERROR(MOD, "%s: cannot start a thread: %s", ep->desc, strerror(rc));
			return WWTP_ERR_ERRNO;
		}
		ep->running = 1;
	}
	return s->ctl ? wwtp_sim_control_start(s->ctl) : 0;
}

int wwtp_sim_write_ready(const struct wwtp_sim *s, const char *path, const char *extra)
{
	char tmp[WWTP_PATH_MAX + 8];
	FILE *f;
	int ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		LOG_ERROR(MOD, "ready file name too long: %s", path);
		return WWTP_ERR_RANGE;
	}
	f = fopen(tmp, "w");
	if (!f) {
		LOG_ERROR(MOD, "cannot write %s: %s", tmp, strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	ok = fputs("ready\n", f) >= 0;
	for (size_t i = 0; s && i < s->neps; i++)
		ok = ok && fprintf(f, "%s\n", s->eps[i]->ep.desc) > 0;
	if (s && s->ctl)
		ok = ok && fprintf(f, "control 127.0.0.1 %d\n", wwtp_sim_control_port(s->ctl)) > 0;
	if (extra)
		ok = ok && fprintf(f, "%s\n", extra) > 0;
	ok = (fclose(f) == 0) && ok;
	/* rename() is atomic: a test polling for the file never reads half. */
	if (!ok || rename(tmp, path) != 0) {
		LOG_ERROR(MOD, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return WWTP_ERR_ERRNO;
	}
	return 0;
}

void wwtp_sim_stop(struct wwtp_sim *s)
{
	if (!s->started)
		return;
	s->started = 0;
	/* Never read: the pipe stays readable and wakes every thread's poll. */
	if (write(s->stop_pipe[1], "x", 1) != 1)
		LOG_ERROR(MOD, "cannot signal the endpoint threads: %s", strerror(errno));
	for (size_t i = 0; i < s->neps; i++) {
		struct wwtp_sim_endpoint *ep = &s->eps[i]->ep;
		if (ep->running) {
			pthread_join(ep->thread, NULL);
			ep->running = 0;
			LOG_INFO(MOD,
				 "%s: %llu requests, %llu answered, %llu without answer, %llu "
				 "changed by a fault",
				 ep->desc, (unsigned long long)ep->requests,
				 (unsigned long long)ep->answered, (unsigned long long)ep->ignored,
				 (unsigned long long)ep->faulted);
		}
	}
	/* Joins the control thread, which may be in the middle of a command. */
	wwtp_sim_control_free(s->ctl);
	s->ctl = NULL;
}

void wwtp_sim_free(struct wwtp_sim *s)
{
	if (!s)
		return;
	wwtp_sim_stop(s);
	wwtp_sim_control_free(s->ctl); /* opened but never started */
	s->ctl = NULL;
	for (size_t i = 0; i < s->neps; i++) {
		s->eps[i]->ep.tp->close(&s->eps[i]->ep);
		free(s->eps[i]);
	}
	for (size_t i = 0; i < s->ndevs; i++) {
		wwtp_sim_image_free(s->devs[i].img);
		wwtp_sim_faultbox_free(s->devs[i].fb);
	}
	pthread_mutex_destroy(&s->upd);
	for (int i = 0; i < 2; i++)
		if (s->stop_pipe[i] >= 0)
			close(s->stop_pipe[i]);
	free(s->eps);
	free(s->devs);
	free(s->sites);
	free(s);
}
