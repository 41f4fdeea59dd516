/* waitport - waits until a TCP connect to HOST:PORT succeeds, i.e. until a
 * server is really accepting, rather than sleeping a guessed time.
 * Usage: waitport HOST PORT [TIMEOUT_MS]. Exit 0 when connected, 1 on timeout. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: waitport HOST PORT [TIMEOUT_MS]\n");
		return 2;
	}
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)strtol(argv[2], NULL, 10));
	if (inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
		fprintf(stderr, "waitport: bad IPv4 address %s\n", argv[1]);
		return 2;
	}
	long timeout = argc > 3 ? strtol(argv[3], NULL, 10) : 10000;
	long deadline = now_ms() + timeout;
	do {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			close(fd);
			return 0;
		}
		if (fd >= 0)
			close(fd);
		usleep(20000);
	} while (now_ms() < deadline);
	fprintf(stderr, "waitport: nothing accepted on %s:%s within %ld ms\n", argv[1], argv[2],
		timeout);
	return 1;
}
