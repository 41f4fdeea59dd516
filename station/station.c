/* station.c - freeing a loaded station, compliance objects included (the
 * model itself, model/station.h, knows them only by pointer). */
#include "station_config.h"

#include <stdlib.h>

#include "../compliance/evaluator.h"
#include "../compliance/limits.h"

void wwtp_station_free(struct wwtp_station *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->ndevices; i++)
		free(st->devices[i].points);
	free(st->devices);
	free(st->limits_spec);
	wwtp_limits_table_free(st->limits);
	free(st->evaluation);
	free(st->tt10); /* one allocation, no pointers inside */
	free(st);
}
