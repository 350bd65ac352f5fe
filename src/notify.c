/*
 * notify.c: telling systemd how the service is doing (see notify.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify.h"

/*
 * Reads NOTIFY_SOCKET and WATCHDOG_USEC. A variable that is malformed is
 * treated as absent: systemd sets them, and a wrong one is nobody's to fix
 * at run time. Cannot fail.
 */
void
notify_open(struct notify *n)
{
	const char *path = getenv("NOTIFY_SOCKET");
	const char *wd = getenv("WATCHDOG_USEC");
	size_t len;
	long long usec;
	char *end;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (wd != NULL && (usec = strtoll(wd, &end, 10)) > 0 && *end == '\0')
		n->watchdog_ms = usec / 2000;	/* half, in ms */
	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (len = strlen(path)) >= sizeof(n->addr.sun_path))
		return;
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, path, len);
	/* An abstract socket's name starts with a NUL byte, not '@'. */
	if (path[0] == '@')
		n->addr.sun_path[0] = '\0';
	n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

/* Sends msg; returns 0 (also when there is no systemd), or -1 with errno. */
int
notify_send(const struct notify *n, const char *msg)
{
	ssize_t r;

	if (n->fd == -1)
		return 0;
	do
		r = sendto(n->fd, msg, strlen(msg), MSG_NOSIGNAL,
		    (const struct sockaddr *)&n->addr, n->addrlen);
	while (r == -1 && errno == EINTR);
	return r == -1 ? -1 : 0;
}

/* How often to send WATCHDOG=1, in ms; 0 when no watchdog was asked for. */
int64_t
notify_watchdog_ms(const struct notify *n)
{
	return n->fd == -1 ? 0 : n->watchdog_ms;
}

void
notify_close(struct notify *n)
{
	if (n->fd != -1)
		close(n->fd);
	n->fd = -1;
}
