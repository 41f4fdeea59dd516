#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ptys, accept4, pipe2, M_PI: also when built without the Makefile's flags */
#endif
#include "sim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/err.h"
#include "../util/log.h"
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
};

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
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			if (strcmp(stations[i]->id, stations[j]->id) == 0) {
				LOG_ERROR(MOD, "%s and %s: both are station %s", stations[j]->path,
					  stations[i]->path, stations[i]->id);
				rc = WWTP_ERR_CONFIG;
				goto fail;
			}
		}
		wwtp_sim_site_init(&s->sites[i], o->seed, stations[i]->id,
				   stations[i]->design_flow_m3d, o->scenario);
		for (size_t k = 0; k < stations[i]->ndevices; k++) {
			struct sim_dev *sd = &s->devs[s->ndevs];
			long ep;
			sd->station = i;
			sd->dev = &stations[i]->devices[k];
			sd->img = wwtp_sim_image_new(sd->dev);
			if (!sd->img)
				goto fail;
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

void wwtp_sim_update(struct wwtp_sim *s, int64_t elapsed_s)
{
	int64_t t = s->o.start_s + elapsed_s;
	for (size_t i = 0; i < s->ndevs; i++)
		wwtp_sim_image_update(s->devs[i].img, &s->sites[s->devs[i].station], t);
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
	return 0;
}

int wwtp_sim_write_ready(const struct wwtp_sim *s, const char *path)
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
	for (size_t i = 0; i < s->neps; i++)
		ok = ok && fprintf(f, "%s\n", s->eps[i]->ep.desc) > 0;
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
			LOG_INFO(MOD, "%s: %llu requests, %llu answered, %llu without answer",
				 ep->desc, (unsigned long long)ep->requests,
				 (unsigned long long)ep->answered, (unsigned long long)ep->ignored);
		}
	}
}

void wwtp_sim_free(struct wwtp_sim *s)
{
	if (!s)
		return;
	wwtp_sim_stop(s);
	for (size_t i = 0; i < s->neps; i++) {
		s->eps[i]->ep.tp->close(&s->eps[i]->ep);
		free(s->eps[i]);
	}
	for (size_t i = 0; i < s->ndevs; i++)
		wwtp_sim_image_free(s->devs[i].img);
	for (int i = 0; i < 2; i++)
		if (s->stop_pipe[i] >= 0)
			close(s->stop_pipe[i]);
	free(s->eps);
	free(s->devs);
	free(s->sites);
	free(s);
}
