/* loadgen.c - many simulated stations publishing telemetry, for benchmarks
 * 4 (central ingest), 5 (latency) and the live traffic of 6 (replay).
 *
 *   loadgen --uri URI --template FILE --stations N [--prefix ID]
 *           (--interval-ms I --seconds S | --count M [--start-ms T])
 *           [--lineproto OUT]
 *
 * FILE holds real telemetry payloads, one JSON line per device (what
 * `wwtp-collector --once --print` writes for a station). Station k
 * (k = 0..N-1) is "<ID>-<k, 3 digits>" (ID default "bench"); it sends one
 * message per template line, with its own id, a ts and a seq, on
 * wwtp/<station>/telemetry, QoS 1, as a collector does.
 *
 * Paced (--interval-ms): every station sends its devices' messages once
 * per interval, the stations spread evenly over it, ts = the wall clock when
 * sent (latency is measured from it), for S seconds.
 * Flood (--count): M messages as fast as the broker acknowledges them
 * (at most 2000 unacknowledged), round after round over the stations, ts =
 * T + round * STEP (--step-ms, default 1000; T default: now - 1 day), so
 * no two points collide.
 * --lineproto: write the InfluxDB line protocol of the flood's messages to
 * OUT instead of publishing (the same points as wwtp-central writes,
 * docs/influxdb-schema.md), for the ceiling measured with curl.
 *
 * Prints "messages M readings R seconds S acked A sent_seconds W" (S: until
 * the last acknowledgement, W: until the last message was handed to Paho). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <MQTTAsync.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEV 64
#define WINDOW 2000

static json_t *tmpl[MAX_DEV];
static int ndev;
static atomic_long acked, failed;
static atomic_int connected;

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fmt_ts(int64_t ms, char out[64])
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static void on_connect(void *ctx, MQTTAsync_successData *r)
{
	(void)ctx;
	(void)r;
	atomic_store(&connected, 1);
}
static void on_connect_fail(void *ctx, MQTTAsync_failureData *r)
{
	(void)ctx;
	fprintf(stderr, "loadgen: cannot connect: %s\n", r && r->message ? r->message : "?");
	atomic_store(&connected, -1);
}
static void on_sent(void *ctx, MQTTAsync_successData *r)
{
	(void)ctx;
	(void)r;
	atomic_fetch_add(&acked, 1);
}
static void on_send_fail(void *ctx, MQTTAsync_failureData *r)
{
	(void)ctx;
	(void)r;
	atomic_fetch_add(&failed, 1);
}

/* The payload of template line d for station id, ts and seq. */
static char *payload(int d, const char *id, int64_t ts, long seq)
{
	char tsbuf[64];
	fmt_ts(ts, tsbuf);
	json_t *o = tmpl[d];
	json_object_set_new(o, "station", json_string(id));
	json_object_set_new(o, "ts", json_string(tsbuf));
	json_object_set_new(o, "seq", json_integer(seq));
	return json_dumps(o, JSON_COMPACT);
}

static long readings_of(int d)
{
	return (long)json_array_size(json_object_get(tmpl[d], "readings"));
}

/* The line protocol wwtp-central writes for template line d (numbers as
 * %.17g: what it reads back is what was written; central writes the
 * shortest form, a few bytes less). */
static void lineproto(FILE *f, int d, const char *id, int64_t ts, long seq)
{
	const char *dev = json_string_value(json_object_get(tmpl[d], "device"));
	json_t *rs = json_object_get(tmpl[d], "readings");
	size_t i;
	json_t *r;
	json_array_foreach(rs, i, r)
	{
		json_t *v = json_object_get(r, "value");
		fprintf(f, "reading,device=%s,param=%s,station=%s ", dev,
			json_string_value(json_object_get(r, "param")), id);
		if (json_is_number(v))
			fprintf(f, "value=%.17g,", json_number_value(v));
		fprintf(f, "status=\"%s\",unit=\"%s\",seq=%ldi %" PRId64 "\n",
			json_string_value(json_object_get(r, "status")),
			json_string_value(json_object_get(r, "unit")), seq, ts);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: loadgen --uri URI --template FILE --stations N [--prefix ID]\n"
		   "               (--interval-ms I --seconds S | --count M [--start-ms T])\n"
		   "               [--lineproto OUT]\n");
}

int main(int argc, char **argv)
{
	const char *uri = NULL, *tpath = NULL, *prefix = "bench", *lp_path = NULL;
	int nst = 0, interval = 0;
	double seconds = 0;
	long count = 0;
	int64_t start_ms = 0, step_ms = 1000;
	static const struct option lo[] = {{"uri", required_argument, NULL, 'u'},
					   {"template", required_argument, NULL, 't'},
					   {"stations", required_argument, NULL, 'n'},
					   {"prefix", required_argument, NULL, 'p'},
					   {"interval-ms", required_argument, NULL, 'i'},
					   {"seconds", required_argument, NULL, 's'},
					   {"count", required_argument, NULL, 'c'},
					   {"start-ms", required_argument, NULL, 'T'},
					   {"lineproto", required_argument, NULL, 'l'},
					   {"step-ms", required_argument, NULL, 'S'},
					   {NULL, 0, NULL, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "u:t:n:p:i:s:c:T:l:S:", lo, NULL)) != -1) {
		switch (ch) {
		case 'u':
			uri = optarg;
			break;
		case 't':
			tpath = optarg;
			break;
		case 'n':
			nst = (int)strtol(optarg, NULL, 10);
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'i':
			interval = (int)strtol(optarg, NULL, 10);
			break;
		case 's':
			seconds = strtod(optarg, NULL);
			break;
		case 'c':
			count = strtol(optarg, NULL, 10);
			break;
		case 'T':
			start_ms = strtoll(optarg, NULL, 10);
			break;
		case 'l':
			lp_path = optarg;
			break;
		case 'S':
			step_ms = strtoll(optarg, NULL, 10);
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	int paced = interval > 0 && seconds > 0;
	if (!tpath || nst < 1 || (!paced && count < 1) || (!lp_path && !uri)) {
		usage(stderr);
		return 2;
	}
	FILE *tf = fopen(tpath, "r");
	if (!tf) {
		fprintf(stderr, "loadgen: %s: %s\n", tpath, strerror(errno));
		return 1;
	}
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, tf) > 0 && ndev < MAX_DEV) {
		json_error_t err;
		json_t *o = json_loads(line, 0, &err);
		if (!o || !json_object_get(o, "readings")) {
			json_decref(o);
			continue; /* an alert line, or noise */
		}
		tmpl[ndev++] = o;
	}
	free(line);
	fclose(tf);
	if (ndev == 0) {
		fprintf(stderr, "loadgen: %s: no telemetry line\n", tpath);
		return 1;
	}
	if (start_ms == 0)
		start_ms = wall_ms() - 86400000LL;

	char(*ids)[64] = calloc((size_t)nst, sizeof *ids);
	char(*topics)[128] = calloc((size_t)nst, sizeof *topics);
	if (!ids || !topics)
		return 1;
	for (int k = 0; k < nst; k++) {
		snprintf(ids[k], sizeof ids[k], "%s-%03d", prefix, k);
		snprintf(topics[k], sizeof topics[k], "wwtp/%s/telemetry", ids[k]);
	}

	long msgs = 0, readings = 0;
	if (lp_path) {
		FILE *out = fopen(lp_path, "w");
		if (!out) {
			fprintf(stderr, "loadgen: %s: %s\n", lp_path, strerror(errno));
			return 1;
		}
		for (long round = 0; msgs < count; round++)
			for (int k = 0; k < nst && msgs < count; k++)
				for (int d = 0; d < ndev && msgs < count; d++) {
					lineproto(out, d, ids[k], start_ms + round * step_ms,
						  round + 1);
					msgs++;
					readings += readings_of(d);
				}
		if (fclose(out) != 0)
			return 1;
		printf("messages %ld readings %ld seconds 0 acked 0\n", msgs, readings);
		return 0;
	}

	MQTTAsync client;
	char cid[64];
	snprintf(cid, sizeof cid, "bench-loadgen-%d", (int)getpid());
	MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
	co.sendWhileDisconnected = 0;
	co.maxBufferedMessages = WINDOW * 2;
	if (MQTTAsync_createWithOptions(&client, uri, cid, MQTTCLIENT_PERSISTENCE_NONE, NULL,
					&co) != MQTTASYNC_SUCCESS) {
		fprintf(stderr, "loadgen: cannot create the MQTT client for %s\n", uri);
		return 1;
	}
	MQTTAsync_connectOptions cn = MQTTAsync_connectOptions_initializer;
	cn.cleansession = 1;
	cn.keepAliveInterval = 30;
	cn.maxInflight = WINDOW;
	cn.onSuccess = on_connect;
	cn.onFailure = on_connect_fail;
	if (MQTTAsync_connect(client, &cn) != MQTTASYNC_SUCCESS)
		return 1;
	for (int i = 0; i < 1000 && atomic_load(&connected) == 0; i++)
		usleep(10000);
	if (atomic_load(&connected) != 1)
		return 1;

	double t0 = mono_s();
	long round = 0, event = 0;
	for (;;) {
		int k;
		int64_t ts;
		if (paced) {
			/* Event e: station e % N of round e / N, due at e * I / N. */
			double due = t0 + (double)event * interval / 1000.0 / nst;
			if (due - t0 >= seconds)
				break;
			double wait = due - mono_s();
			if (wait > 0)
				usleep((useconds_t)(wait * 1e6));
			k = (int)(event % nst);
			round = event / nst;
			ts = wall_ms();
			event++;
		} else {
			if (msgs >= count)
				break;
			k = (int)(event % nst);
			round = event / nst;
			ts = start_ms + round * step_ms;
			event++;
		}
		for (int d = 0; d < ndev && (paced || msgs < count); d++) {
			while (msgs - atomic_load(&acked) - atomic_load(&failed) >= WINDOW)
				usleep(200);
			char *p = payload(d, ids[k], ts, round + 1);
			MQTTAsync_message m = MQTTAsync_message_initializer;
			m.payload = p;
			m.payloadlen = (int)strlen(p);
			m.qos = 1;
			MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
			ro.onSuccess = on_sent;
			ro.onFailure = on_send_fail;
			int rc;
			while ((rc = MQTTAsync_sendMessage(client, topics[k], &m, &ro)) ==
			       MQTTASYNC_MAX_BUFFERED_MESSAGES)
				usleep(1000);
			free(p);
			if (rc != MQTTASYNC_SUCCESS) {
				atomic_fetch_add(&failed, 1);
			}
			msgs++;
			readings += readings_of(d);
		}
	}
	double sent_s = mono_s() - t0;
	for (int i = 0; i < 3000 && atomic_load(&acked) + atomic_load(&failed) < msgs; i++)
		usleep(10000);
	double el = mono_s() - t0;
	MQTTAsync_disconnectOptions dc = MQTTAsync_disconnectOptions_initializer;
	dc.timeout = 2000;
	MQTTAsync_disconnect(client, &dc);
	usleep(100000);
	MQTTAsync_destroy(&client);
	printf("messages %ld readings %ld seconds %.3f acked %ld sent_seconds %.3f\n", msgs,
	       readings, el, atomic_load(&acked), sent_s);
	for (int d = 0; d < ndev; d++)
		json_decref(tmpl[d]);
	free(ids);
	free(topics);
	return atomic_load(&failed) ? 1 : 0;
}
