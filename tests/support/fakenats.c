/*
 * fakenats.c: a scripted NATS server for the login handshake (see
 * fakenats.h).
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakenats.h"

#define FAKENATS_POLL_MS	50	/* how soon the thread sees a stop */

struct fakenats {
	int		 fd;		/* listening */
	char		 url[64];
	char		**nonces;
	size_t		 nnonces;
	pthread_t	 thread;
	int		 stop;		/* atomic: fakenats_stop() was called */
	pthread_mutex_t	 mu;		/* guards n and line */
	size_t		 n;		/* connections that sent a CONNECT */
	char		 line[FAKENATS_LINES][FAKENATS_LINE_MAX];
};

/* What one connection sent and the server has not read as lines yet. */
struct fakenats_in {
	char	buf[FAKENATS_LINE_MAX * 2];
	size_t	have;
};

/*
 * Waits for fd to be readable, a stop, or nothing within FAKENATS_POLL_MS.
 * Returns 1 when readable, 0 on nothing yet, -1 on a stop.
 */
static int
wait_readable(struct fakenats *fs, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (__atomic_load_n(&fs->stop, __ATOMIC_ACQUIRE))
		return -1;
	return poll(&p, 1, FAKENATS_POLL_MS) > 0 ? 1 : 0;
}

/*
 * Reads the next line of connection c, without its CR LF, into line.
 * Returns 0, or -1 when the client went, a stop came, or the line does not
 * fit.
 */
static int
read_line(struct fakenats *fs, int c, struct fakenats_in *in, char *line,
    size_t len)
{
	char *nl;
	ssize_t r;
	size_t n;
	int w;

	while ((nl = memchr(in->buf, '\n', in->have)) == NULL) {
		if (in->have == sizeof(in->buf))
			return -1;
		if ((w = wait_readable(fs, c)) == -1)
			return -1;
		if (w == 0)
			continue;
		r = read(c, in->buf + in->have, sizeof(in->buf) - in->have);
		if (r <= 0)
			return -1;
		in->have += (size_t)r;
	}
	n = (size_t)(nl - in->buf);
	if (n >= len)
		return -1;
	memcpy(line, in->buf, n);
	line[n > 0 && line[n - 1] == '\r' ? n - 1 : n] = '\0';
	in->have -= n + 1;
	memmove(in->buf, nl + 1, in->have);
	return 0;
}

/* Writes s whole to c; a client that went is no error of the server's. */
static void
say(int c, const char *s)
{
	size_t off = 0, len = strlen(s);
	ssize_t w;

	while (off < len) {
		/* MSG_NOSIGNAL: a client gone must not kill the test. */
		w = send(c, s + off, len - off, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

/* One connection, from INFO to the client's going. */
static void
serve(struct fakenats *fs, int c)
{
	struct fakenats_in in = { .have = 0 };
	char info[512], line[FAKENATS_LINE_MAX];
	size_t i;

	pthread_mutex_lock(&fs->mu);
	i = fs->n;
	pthread_mutex_unlock(&fs->mu);
	snprintf(info, sizeof(info), "INFO {\"server_id\":\"FAKENATS\","
	    "\"server_name\":\"fakenats\",\"version\":\"2.9.10\","
	    "\"proto\":1,\"host\":\"127.0.0.1\",\"headers\":true,"
	    "\"auth_required\":true,\"max_payload\":1048576,"
	    "\"client_id\":%zu,\"nonce\":\"%s\"}\r\n", i + 1,
	    fs->nonces[i < fs->nnonces ? i : fs->nnonces - 1]);
	say(c, info);
	if (read_line(fs, c, &in, line, sizeof(line)) == -1 ||
	    strncmp(line, "CONNECT ", 8) != 0)
		return;
	/* Kept before the answer: the client's connect returns after it. */
	pthread_mutex_lock(&fs->mu);
	if (fs->n < FAKENATS_LINES)
		snprintf(fs->line[fs->n], sizeof(fs->line[0]), "%s", line);
	fs->n++;
	pthread_mutex_unlock(&fs->mu);
	if (strstr(line, "\"sig\":\"") == NULL) {
		say(c, "-ERR 'Authorization Violation'\r\n");
		return;
	}
	while (read_line(fs, c, &in, line, sizeof(line)) == 0)
		if (strcmp(line, "PING") == 0)
			say(c, "PONG\r\n");
}

static void *
run(void *arg)
{
	struct fakenats *fs = arg;
	int c, w;

	while ((w = wait_readable(fs, fs->fd)) != -1) {
		if (w == 0 || (c = accept(fs->fd, NULL, NULL)) == -1)
			continue;
		serve(fs, c);
		close(c);
	}
	return NULL;
}

/*
 * Starts a server that hands out the nnonces (at least one) nonces in turn.
 * Returns 0 with *out set, or -1 with err.
 */
int
fakenats_start(const char *const nonces[], size_t nnonces,
    struct fakenats **out, char *err, size_t errlen)
{
	struct fakenats *fs;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	size_t i;
	int rc;

	if (nnonces == 0) {
		snprintf(err, errlen, "fakenats: no nonce");
		return -1;
	}
	if ((fs = calloc(1, sizeof(*fs))) == NULL ||
	    (fs->nonces = calloc(nnonces, sizeof(char *))) == NULL) {
		free(fs);
		snprintf(err, errlen, "fakenats: out of memory");
		return -1;
	}
	fs->fd = -1;
	pthread_mutex_init(&fs->mu, NULL);
	for (fs->nnonces = 0; fs->nnonces < nnonces; fs->nnonces++)
		if ((fs->nonces[fs->nnonces] = strdup(nonces[fs->nnonces])) ==
		    NULL) {
			snprintf(err, errlen, "fakenats: out of memory");
			goto fail;
		}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fs->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fs->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(fs->fd, 4) == -1 ||
	    getsockname(fs->fd, (struct sockaddr *)&sa, &salen) == -1) {
		snprintf(err, errlen, "fakenats: listening: %s",
		    strerror(errno));
		goto fail;
	}
	snprintf(fs->url, sizeof(fs->url), "nats://127.0.0.1:%d",
	    ntohs(sa.sin_port));
	if ((rc = pthread_create(&fs->thread, NULL, run, fs)) != 0) {
		snprintf(err, errlen, "fakenats: thread: %s", strerror(rc));
		goto fail;
	}
	*out = fs;
	return 0;
fail:
	if (fs->fd != -1)
		close(fs->fd);
	for (i = 0; i < fs->nnonces; i++)
		free(fs->nonces[i]);
	free(fs->nonces);
	pthread_mutex_destroy(&fs->mu);
	free(fs);
	return -1;
}

/* The server's URL, "nats://127.0.0.1:PORT". Cannot fail. */
const char *
fakenats_url(const struct fakenats *fs)
{
	return fs->url;
}

/* How many connections sent a CONNECT so far. Cannot fail. */
size_t
fakenats_count(struct fakenats *fs)
{
	size_t n;

	pthread_mutex_lock(&fs->mu);
	n = fs->n;
	pthread_mutex_unlock(&fs->mu);
	return n;
}

/*
 * Copies the CONNECT line of connection i (from 0) into buf. Returns 0, or
 * -1 with buf empty when that connection sent none or is not kept
 * (FAKENATS_LINES).
 */
int
fakenats_connect_line(struct fakenats *fs, size_t i, char *buf, size_t len)
{
	int rc = -1;

	buf[0] = '\0';
	pthread_mutex_lock(&fs->mu);
	if (i < fs->n && i < FAKENATS_LINES) {
		snprintf(buf, len, "%s", fs->line[i]);
		rc = 0;
	}
	pthread_mutex_unlock(&fs->mu);
	return rc;
}

/*
 * Stops the server, whose thread sees the stop within FAKENATS_POLL_MS, a
 * client connected or not, and frees it. Accepts NULL.
 */
void
fakenats_stop(struct fakenats *fs)
{
	size_t i;

	if (fs == NULL)
		return;
	__atomic_store_n(&fs->stop, 1, __ATOMIC_RELEASE);
	pthread_join(fs->thread, NULL);
	close(fs->fd);
	for (i = 0; i < fs->nnonces; i++)
		free(fs->nonces[i]);
	free(fs->nonces);
	pthread_mutex_destroy(&fs->mu);
	free(fs);
}
