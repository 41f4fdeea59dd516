/* mbfloor.c - the floor of benchmark 2: a bare libmodbus loop reading the
 * same blocks as the collector's read plan, with nothing else (no decoding,
 * no judging, no encoding, no store, no MQTT).
 *
 *   mbfloor --interval-ms N --seconds S BLOCKS
 *
 * BLOCKS has one request per line, "HOST PORT UNIT FC ADDR COUNT" (what
 * bench/plancount --blocks prints, ports already moved where the server
 * listens). As the collector, one thread and one connection per (host,
 * port) link, links in parallel, a cycle every N ms on a fixed schedule.
 * Prints "cycles C errors E cycle_med_us M" (M: the median wall time of one
 * link's cycle, first request to last answer, over all links' cycles). */
#include <errno.h>
#include <getopt.h>
#include <modbus.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BLOCKS 1024
#define MAX_LINKS 32
#define MAX_SAMPLES 200000

struct block {
	char host[64];
	int port, unit, fc, addr, count;
};

struct link {
	char host[64];
	int port;
	struct block *blocks[MAX_BLOCKS];
	int nblocks;
	pthread_t th;
	long cycles, errors;
	long long *us;
	long nus;
};

static int interval_ms = 1000;
static double seconds = 5;
static struct timespec t0;

static long long ts_us(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000 + t->tv_nsec / 1000;
}

static void *run_link(void *arg)
{
	struct link *l = arg;
	modbus_t *ctx = modbus_new_tcp(l->host, l->port);
	if (!ctx || modbus_connect(ctx) != 0) {
		fprintf(stderr, "mbfloor: cannot connect to %s:%d: %s\n", l->host, l->port,
			modbus_strerror(errno));
		l->errors++;
		if (ctx)
			modbus_free(ctx);
		return NULL;
	}
	modbus_set_response_timeout(ctx, 1, 0);
	uint16_t regs[125];
	uint8_t bits[2000];
	long long start = ts_us(&t0), end = start + (long long)(seconds * 1e6);
	for (long k = 0;; k++) {
		long long due = start + k * (long long)interval_ms * 1000;
		if (due >= end)
			break;
		struct timespec d = {.tv_sec = due / 1000000, .tv_nsec = (due % 1000000) * 1000};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &d, NULL);
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < l->nblocks; i++) {
			const struct block *bl = l->blocks[i];
			modbus_set_slave(ctx, bl->unit);
			int rc;
			switch (bl->fc) {
			case 1:
				rc = modbus_read_bits(ctx, bl->addr, bl->count, bits);
				break;
			case 2:
				rc = modbus_read_input_bits(ctx, bl->addr, bl->count, bits);
				break;
			case 3:
				rc = modbus_read_registers(ctx, bl->addr, bl->count, regs);
				break;
			default:
				rc = modbus_read_input_registers(ctx, bl->addr, bl->count, regs);
				break;
			}
			if (rc != bl->count)
				l->errors++;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		l->cycles++;
		if (l->nus < MAX_SAMPLES)
			l->us[l->nus++] = ts_us(&b) - ts_us(&a);
	}
	modbus_close(ctx);
	modbus_free(ctx);
	return NULL;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"interval-ms", required_argument, NULL, 'i'},
					   {"seconds", required_argument, NULL, 's'},
					   {NULL, 0, NULL, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "i:s:", lo, NULL)) != -1) {
		switch (ch) {
		case 'i':
			interval_ms = (int)strtol(optarg, NULL, 10);
			break;
		case 's':
			seconds = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr, "usage: mbfloor --interval-ms N --seconds S BLOCKS\n");
			return 2;
		}
	}
	if (optind != argc - 1 || interval_ms < 1 || seconds <= 0) {
		fprintf(stderr, "usage: mbfloor --interval-ms N --seconds S BLOCKS\n");
		return 2;
	}
	FILE *f = fopen(argv[optind], "r");
	if (!f) {
		fprintf(stderr, "mbfloor: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	static struct block blocks[MAX_BLOCKS];
	static struct link links[MAX_LINKS];
	int nb = 0, nl = 0;
	char line[256];
	while (fgets(line, sizeof line, f) && nb < MAX_BLOCKS) {
		struct block *b = &blocks[nb];
		if (sscanf(line, "%63s %d %d %d %d %d", b->host, &b->port, &b->unit, &b->fc,
			   &b->addr, &b->count) != 6)
			continue;
		int li = -1;
		for (int i = 0; i < nl; i++)
			if (links[i].port == b->port && strcmp(links[i].host, b->host) == 0)
				li = i;
		if (li < 0) {
			if (nl == MAX_LINKS)
				continue;
			li = nl++;
			snprintf(links[li].host, sizeof links[li].host, "%s", b->host);
			links[li].port = b->port;
		}
		if (links[li].nblocks < MAX_BLOCKS)
			links[li].blocks[links[li].nblocks++] = b;
		nb++;
	}
	fclose(f);
	if (nb == 0) {
		fprintf(stderr, "mbfloor: %s: no blocks\n", argv[optind]);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < nl; i++) {
		links[i].us = calloc(MAX_SAMPLES, sizeof *links[i].us);
		if (!links[i].us || pthread_create(&links[i].th, NULL, run_link, &links[i]) != 0) {
			fprintf(stderr, "mbfloor: cannot start a thread\n");
			return 1;
		}
	}
	long cycles = 0, errors = 0, n = 0;
	long long *all = calloc((size_t)MAX_SAMPLES * nl, sizeof *all);
	for (int i = 0; i < nl; i++) {
		pthread_join(links[i].th, NULL);
		if (links[i].cycles > cycles)
			cycles = links[i].cycles;
		errors += links[i].errors;
		for (long k = 0; all && k < links[i].nus; k++)
			all[n++] = links[i].us[k];
		free(links[i].us);
	}
	long long med = -1;
	if (n > 0) {
		qsort(all, (size_t)n, sizeof *all, cmp_ll);
		med = all[n / 2];
	}
	free(all);
	printf("cycles %ld errors %ld cycle_med_us %lld\n", cycles, errors, med);
	return errors ? 1 : 0;
}
