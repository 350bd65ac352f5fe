/*
 * notify.h: telling systemd how the service is doing (sd_notify(3)'s
 * protocol, spoken directly: one datagram per message to $NOTIFY_SOCKET, an
 * absolute path or, with '@', an abstract socket). Without NOTIFY_SOCKET
 * everything here does nothing, so the program runs the same outside
 * systemd. libsystemd is not needed for a dozen lines of socket code.
 *
 * notify_open() reads NOTIFY_SOCKET and WATCHDOG_USEC once, at start, in
 * main; notify_send() sends one message ("READY=1", "STATUS=...",
 * "WATCHDOG=1", "STOPPING=1"); notify_watchdog_ms() says how often to
 * ping (half of WATCHDOG_USEC), 0 when systemd asked for no watchdog.
 *
 * Memory: struct notify is the caller's (on main's stack); notify_close()
 * closes its socket and accepts one never opened.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <sys/socket.h>
#include <sys/un.h>

#include <stdint.h>

struct notify {
	int			fd;		/* -1: no systemd to tell */
	struct sockaddr_un	addr;
	socklen_t		addrlen;
	int64_t			watchdog_ms;	/* ping this often; 0: none */
};

void	notify_open(struct notify *n);
int	notify_send(const struct notify *n, const char *msg);
int64_t	notify_watchdog_ms(const struct notify *n);
void	notify_close(struct notify *n);

#endif /* NOTIFY_H */
