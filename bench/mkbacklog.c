/* mkbacklog.c - benchmark 6's outage: a collector store holding what a
 * station polling every second would have stored during an outage.
 *
 *   mkbacklog --store PATH --template FILE --station ID --count N
 *             [--device NAME] [--end-ms T]
 *
 * Appends N telemetry messages to the store at PATH with the collector's
 * own store module (collector/store.c), one a second, the last at T
 * (default: now - 1 s), seq 1..N, topic wwtp/ID/telemetry, QoS 1, and
 * records seq N as the collector does, so that the collector started on
 * this store replays them and goes on from seq N+1. Each payload is the
 * template's line for the device (FILE: `wwtp-collector --once --print`
 * output) with station, ts and seq set: real payloads, same readings.
 * Why not run a collector for 24 hours: the benchmark measures the replay,
 * and the rows are what the store holds after such an outage. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../collector/store.h"

static void fmt_ts(int64_t ms, char out[64])
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

int main(int argc, char **argv)
{
	const char *path = NULL, *tpath = NULL, *station = NULL, *device = NULL;
	long count = 0;
	int64_t end_ms = 0;
	static const struct option lo[] = {{"store", required_argument, NULL, 's'},
					   {"template", required_argument, NULL, 't'},
					   {"station", required_argument, NULL, 'i'},
					   {"count", required_argument, NULL, 'n'},
					   {"device", required_argument, NULL, 'd'},
					   {"end-ms", required_argument, NULL, 'e'},
					   {NULL, 0, NULL, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "s:t:i:n:d:e:", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		case 't':
			tpath = optarg;
			break;
		case 'i':
			station = optarg;
			break;
		case 'n':
			count = strtol(optarg, NULL, 10);
			break;
		case 'd':
			device = optarg;
			break;
		case 'e':
			end_ms = strtoll(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (!path || !tpath || !station || count < 1)
		goto usage;

	FILE *f = fopen(tpath, "r");
	if (!f) {
		fprintf(stderr, "mkbacklog: %s: %s\n", tpath, strerror(errno));
		return 1;
	}
	json_t *tmpl = NULL;
	char *line = NULL;
	size_t cap = 0;
	while (!tmpl && getline(&line, &cap, f) > 0) {
		json_t *o = json_loads(line, 0, NULL);
		const char *dev = json_string_value(json_object_get(o, "device"));
		if (o && json_object_get(o, "readings") &&
		    (!device || (dev && !strcmp(dev, device))))
			tmpl = o;
		else
			json_decref(o);
	}
	free(line);
	fclose(f);
	if (!tmpl) {
		fprintf(stderr, "mkbacklog: %s: no telemetry line%s%s\n", tpath,
			device ? " for device " : "", device ? device : "");
		return 1;
	}
	if (end_ms == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		end_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - 1000;
	}
	struct wwtp_store *st = NULL;
	if (wwtp_store_open(path, 0, 0, &st) != 0) {
		fprintf(stderr, "mkbacklog: cannot open the store %s\n", path);
		return 1;
	}
	char topic[160], tsbuf[64];
	snprintf(topic, sizeof topic, "wwtp/%s/telemetry", station);
	json_object_set_new(tmpl, "station", json_string(station));
	for (long i = 0; i < count; i++) {
		int64_t ts = end_ms - (int64_t)(count - 1 - i) * 1000;
		fmt_ts(ts, tsbuf);
		json_object_set_new(tmpl, "ts", json_string(tsbuf));
		json_object_set_new(tmpl, "seq", json_integer(i + 1));
		char *p = json_dumps(tmpl, JSON_COMPACT);
		int64_t id;
		if (!p || wwtp_store_append(st, topic, p, strlen(p), 1, ts, (uint64_t)(i + 1), 0,
					    &id) != 0) {
			fprintf(stderr, "mkbacklog: cannot append message %ld\n", i + 1);
			free(p);
			wwtp_store_close(st);
			return 1;
		}
		free(p);
		if ((i + 1) % 5000 == 0 && wwtp_store_commit(st) != 0)
			return 1;
	}
	if (wwtp_store_set_meta(st, "seq", count) != 0 || wwtp_store_commit(st) != 0) {
		wwtp_store_close(st);
		return 1;
	}
	struct wwtp_store_stats s;
	wwtp_store_get_stats(st, &s);
	printf("messages %llu bytes %llu\n", (unsigned long long)s.rows,
	       (unsigned long long)s.bytes);
	wwtp_store_close(st);
	json_decref(tmpl);
	return 0;
usage:
	fprintf(stderr, "usage: mkbacklog --store PATH --template FILE --station ID --count N\n"
			"                 [--device NAME] [--end-ms T]\n");
	return 2;
}
