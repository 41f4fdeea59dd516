/* registry.h - the stations the central side knows: one entry per station
 * file of stations_dir, with what the plan says about the plant.
 *
 * Built once at start and read-only afterwards, so any thread may look up
 * without a lock (the decoder does, from the MQTT thread). */
#ifndef WWTP_CENTRAL_REGISTRY_H
#define WWTP_CENTRAL_REGISTRY_H

#include <stddef.h>

#include "../../model/station.h"
#include "../../util/sign.h"

struct wwtp_registry;

#define WWTP_REG_DEVICES 32

struct wwtp_reg_station {
	char id[WWTP_ID_MAX];
	char name[WWTP_NAME_MAX];
	char plan[WWTP_ID_MAX];		/* "qd6613", "task13" or "review" */
	int plan_review;		/* 1 when the plan lists the plant for review */
	char topic_prefix[WWTP_ID_MAX]; /* the station file's mqtt.topic_prefix */
	/* signing.public_key (verify.h): messages must carry its signature. */
	int has_key;
	unsigned char public_key[WWTP_SIGN_PK_LEN];
	/* The devices and their poll periods: what completeness expects
	 * (completeness.h). The first WWTP_REG_DEVICES of the file. */
	size_t ndevices;
	struct {
		char name[WWTP_ID_MAX];
		int interval_ms;
	} devices[WWTP_REG_DEVICES];
};

struct wwtp_registry *wwtp_registry_new(void);	  /* empty; NULL on NOMEM */
void wwtp_registry_free(struct wwtp_registry *r); /* accepts NULL */

/* Adds a station (copied). 0, WWTP_ERR_INVAL (id empty, too long or already
 * there) or WWTP_ERR_NOMEM. Not for use once lookups have started. */
int wwtp_registry_add(struct wwtp_registry *r, const struct wwtp_reg_station *st);
/* Adds every station of a loaded station list. Same return values. */
int wwtp_registry_add_stations(struct wwtp_registry *r, struct wwtp_station *const *list, size_t n);

/* The station with this id, or NULL. */
const struct wwtp_reg_station *wwtp_registry_find(const struct wwtp_registry *r, const char *id);
size_t wwtp_registry_count(const struct wwtp_registry *r);
const struct wwtp_reg_station *wwtp_registry_get(const struct wwtp_registry *r, size_t i);

#endif
