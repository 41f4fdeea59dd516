/* mbcount.c - a Modbus TCP relay that counts what crosses it, for benchmark
 * 1 (requests and bytes per poll cycle on the wire).
 *
 *   mbcount [--gap-ms N] LISTEN:TARGET...
 *
 * Listens on 127.0.0.1:LISTEN, relays each connection to 127.0.0.1:TARGET
 * and counts, over all of them: requests (MBAP frames from the client, cut
 * by the MBAP length field), bytes each way, and cycles: a request that
 * comes more than --gap-ms (default 300) after the previous one starts a new
 * cycle, so a program polling every second shows one cycle a second. On
 * SIGTERM or SIGINT it prints
 *   requests R req_bytes B rsp_bytes S cycles C
 * and exits 0. Read-only: it never changes a byte it relays. */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LISTEN 16
#define MAX_CONN 64

struct conn {
	int cfd, sfd; /* client side, server side; -1 when unused */
	unsigned char hdr[6];
	int hlen;  /* header bytes seen of the current frame */
	long left; /* body bytes still to skip of the current frame */
};

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long requests, req_bytes, rsp_bytes, cycles;
static long long last_req_ms = -1;
static int gap_ms = 300;

/* Wall time of each cycle: first request to last answer byte. */
#define MAX_CYCLES 100000
static long long cycle_us[MAX_CYCLES];
static long ncycle_us;
static long long cycle_req[MAX_CYCLES]; /* requests in each cycle */
static long burst_req;
static long long burst_start_us = -1, last_rsp_us = -1;

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void close_cycle(void)
{
	if (burst_start_us >= 0 && last_rsp_us >= burst_start_us && ncycle_us < MAX_CYCLES) {
		cycle_req[ncycle_us] = burst_req;
		cycle_us[ncycle_us++] = last_rsp_us - burst_start_us;
	}
	burst_req = 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

static int listen_on(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_to(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

/* Counts the frames in n bytes the client sent. */
static void count_requests(struct conn *c, const unsigned char *p, long n)
{
	while (n > 0) {
		if (c->left > 0) {
			long k = n < c->left ? n : c->left;
			c->left -= k;
			p += k;
			n -= k;
			continue;
		}
		c->hdr[c->hlen++] = *p++;
		n--;
		if (c->hlen == 6) {
			c->left = ((long)c->hdr[4] << 8 | c->hdr[5]);
			c->hlen = 0;
			requests++;
			long long t = now_ms();
			if (last_req_ms < 0 || t - last_req_ms > gap_ms) {
				close_cycle();
				cycles++;
				burst_start_us = now_us();
			}
			burst_req++;
			last_req_ms = t;
		}
	}
}

static void close_conn(struct conn *c)
{
	if (c->cfd >= 0)
		close(c->cfd);
	if (c->sfd >= 0)
		close(c->sfd);
	c->cfd = c->sfd = -1;
}

/* Moves what one side has to the other; -1 when the connection ends. */
static int relay(struct conn *c, int from_client)
{
	unsigned char buf[8192];
	int from = from_client ? c->cfd : c->sfd, to = from_client ? c->sfd : c->cfd;
	ssize_t n = read(from, buf, sizeof buf);
	if (n <= 0)
		return -1;
	if (from_client) {
		req_bytes += n;
		count_requests(c, buf, n);
	} else {
		rsp_bytes += n;
		last_rsp_us = now_us();
	}
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"gap-ms", required_argument, NULL, 'g'},
					   {NULL, 0, NULL, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "g:", lo, NULL)) != -1) {
		if (ch == 'g') {
			gap_ms = (int)strtol(optarg, NULL, 10);
		} else {
			fprintf(stderr, "usage: mbcount [--gap-ms N] LISTEN:TARGET...\n");
			return 2;
		}
	}
	int nl = 0, lfd[MAX_LISTEN], target[MAX_LISTEN];
	for (int i = optind; i < argc && nl < MAX_LISTEN; i++) {
		int lp = 0, tp = 0;
		if (sscanf(argv[i], "%d:%d", &lp, &tp) != 2 || lp <= 0 || lp > 65535 || tp <= 0 ||
		    tp > 65535) {
			fprintf(stderr, "mbcount: %s: expected LISTEN:TARGET ports\n", argv[i]);
			return 2;
		}
		lfd[nl] = listen_on(lp);
		if (lfd[nl] < 0) {
			fprintf(stderr, "mbcount: cannot listen on 127.0.0.1:%d: %s\n", lp,
				strerror(errno));
			return 1;
		}
		target[nl++] = tp;
	}
	if (nl == 0) {
		fprintf(stderr, "usage: mbcount [--gap-ms N] LISTEN:TARGET...\n");
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct conn conns[MAX_CONN];
	for (int i = 0; i < MAX_CONN; i++)
		conns[i] = (struct conn){.cfd = -1, .sfd = -1};

	while (!stop) {
		struct pollfd pf[MAX_LISTEN + 2 * MAX_CONN];
		int who[MAX_LISTEN + 2 * MAX_CONN]; /* listen i: -1-i; conn k side s: 2k+s */
		int np = 0;
		for (int i = 0; i < nl; i++) {
			pf[np] = (struct pollfd){.fd = lfd[i], .events = POLLIN};
			who[np++] = -1 - i;
		}
		for (int k = 0; k < MAX_CONN; k++) {
			if (conns[k].cfd < 0)
				continue;
			pf[np] = (struct pollfd){.fd = conns[k].cfd, .events = POLLIN};
			who[np++] = 2 * k;
			pf[np] = (struct pollfd){.fd = conns[k].sfd, .events = POLLIN};
			who[np++] = 2 * k + 1;
		}
		if (poll(pf, (nfds_t)np, 200) < 0) {
			if (errno == EINTR)
				continue;
			perror("mbcount: poll");
			return 1;
		}
		for (int i = 0; i < np; i++) {
			if (!pf[i].revents)
				continue;
			if (who[i] < 0) {
				int li = -1 - who[i];
				int cfd = accept(lfd[li], NULL, NULL);
				if (cfd < 0)
					continue;
				int sfd = connect_to(target[li]);
				int slot = -1;
				for (int k = 0; k < MAX_CONN && slot < 0; k++)
					if (conns[k].cfd < 0)
						slot = k;
				if (sfd < 0 || slot < 0) {
					close(cfd);
					if (sfd >= 0)
						close(sfd);
					continue;
				}
				int one = 1;
				setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
				conns[slot] = (struct conn){.cfd = cfd, .sfd = sfd};
				continue;
			}
			struct conn *c = &conns[who[i] / 2];
			if (c->cfd < 0)
				continue; /* closed earlier in this round */
			if (relay(c, who[i] % 2 == 0) != 0)
				close_conn(c);
		}
	}
	close_cycle();
	/* The first and last cycles may be cut by the start and the stop. */
	long long med = -1, rmed = -1;
	if (ncycle_us > 2) {
		qsort(cycle_req + 1, (size_t)(ncycle_us - 2), sizeof *cycle_req, cmp_ll);
		rmed = cycle_req[1 + (ncycle_us - 2) / 2];
		qsort(cycle_us + 1, (size_t)(ncycle_us - 2), sizeof *cycle_us, cmp_ll);
		med = cycle_us[1 + (ncycle_us - 2) / 2];
	} else if (ncycle_us > 0) {
		med = cycle_us[0];
		rmed = cycle_req[0];
	}
	printf("requests %ld req_bytes %ld rsp_bytes %ld cycles %ld cycle_med_us %lld "
	       "cycle_med_req %lld\n",
	       requests, req_bytes, rsp_bytes, cycles, med, rmed);
	return 0;
}
