/* reading.c - readings, samples, health (reading.h). */
#include "reading.h"

#include <stdlib.h>

static const char *const status_names[] = {"ok", "calibrating", "fault", "offline"};

const char *wwtp_reading_status_name(int status)
{
	if (status < 0 || (size_t)status >= sizeof(status_names) / sizeof(status_names[0]))
		return "?";
	return status_names[status];
}

struct wwtp_sample *wwtp_sample_new(const struct wwtp_device *dev)
{
	struct wwtp_sample *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->device = dev;
	if (dev->npoints > 0) {
		s->readings = calloc(dev->npoints, sizeof(*s->readings));
		if (!s->readings) {
			free(s);
			return NULL;
		}
	}
	s->nreadings = dev->npoints;
	/* Pointing each reading at its point costs nothing and saves every
	 * producer from getting the pairing wrong. */
	for (size_t i = 0; i < dev->npoints; i++)
		s->readings[i].point = &dev->points[i];
	return s;
}

void wwtp_sample_free(struct wwtp_sample *s)
{
	if (!s)
		return;
	free(s->readings);
	free(s);
}

const char *wwtp_device_state_name(const struct wwtp_device_health *h)
{
	if (h->polls == 0)
		return "unknown";
	if (h->consecutive_failures > 0)
		return "offline";
	return h->last_unread > 0 ? "partial" : "ok";
}
