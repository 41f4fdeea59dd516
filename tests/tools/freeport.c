/* freeport - prints N loopback TCP ports that were free a moment ago.
 * The kernel picks them (bind to port 0), so parallel test runs do not
 * collide the way fixed or random ports do. Usage: freeport [N] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1;
	int fds[64];
	if (n < 1 || n > 64) {
		fprintf(stderr, "usage: freeport [N]  (1..64)\n");
		return 2;
	}
	/* Hold all sockets open until every port is read, so the N are distinct. */
	for (long i = 0; i < n; i++) {
		struct sockaddr_in a = {0};
		socklen_t len = sizeof(a);
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&a, sizeof(a)) != 0 ||
		    getsockname(fds[i], (struct sockaddr *)&a, &len) != 0) {
			perror("freeport");
			return 1;
		}
		printf("%u\n", ntohs(a.sin_port));
	}
	for (long i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}
