/*
 * ports.c: free loopback ports chosen ahead (see ports.h).
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ports.h"

#define PORTS_EPHEMERAL	"/proc/sys/net/ipv4/ip_local_port_range"
#define PORTS_TRIES	1000

static uint64_t ports_rng;

/* splitmix64, seeded from the clock and the pid on first use. */
static uint64_t
rng_next(void)
{
	struct timespec ts;
	uint64_t z;

	if (ports_rng == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ports_rng = ((uint64_t)ts.tv_nsec << 20) ^
		    (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40);
	}
	z = (ports_rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The first port of the kernel's ephemeral range (32768 if unknown). */
static int
ephemeral_low(void)
{
	FILE *fp;
	int lo = 0, hi = 0;

	if ((fp = fopen(PORTS_EPHEMERAL, "re")) != NULL) {
		if (fscanf(fp, "%d %d", &lo, &hi) != 2)
			lo = 0;
		fclose(fp);
	}
	return lo > PORTS_LOW + 1000 ? lo : 32768;
}

/*
 * Returns 0 when 127.0.0.1:port can be bound now, as nats-server will bind
 * it (SO_REUSEADDR, as Go's listeners do).
 */
static int
port_free(int port)
{
	struct sockaddr_in sa;
	int fd, one = 1, rc;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0 ? 0 : -1;
}

/*
 * Fills ports[0..n) with distinct free ports below the ephemeral range.
 * Returns 0, or -1 with err when none can be found.
 */
int
ports_pick(int *ports, int n, char *err, size_t errlen)
{
	int lo = PORTS_LOW, hi = ephemeral_low();
	int i, k, tries, p;

	for (i = 0; i < n; i++) {
		for (tries = 0; tries < PORTS_TRIES; tries++) {
			p = lo + (int)(rng_next() % (uint64_t)(hi - lo));
			for (k = 0; k < i && ports[k] != p; k++)
				;
			if (k == i && port_free(p) == 0)
				break;
		}
		if (tries == PORTS_TRIES) {
			snprintf(err, errlen, "no free port in [%d, %d)", lo, hi);
			return -1;
		}
		ports[i] = p;
	}
	return 0;
}
