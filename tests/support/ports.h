/*
 * ports.h: free loopback ports chosen ahead, for servers that must know
 * each other's ports before any of them starts (a JetStream cluster's
 * routes, a gateway, a leaf node's remote).
 *
 * ports_pick() draws distinct ports that 127.0.0.1 can bind now, at random
 * in [PORTS_LOW, the start of the kernel's ephemeral range): below that
 * range no outgoing connection (a client retrying a dead server, say) is
 * given one of them, so a server killed and restarted gets its ports back.
 * Another process may still take one between the pick and the server's
 * start: the caller then picks again.
 *
 * Memory: nothing is allocated; the generator's state is the only state.
 */
#ifndef PORTS_H
#define PORTS_H

#include <stddef.h>

#define PORTS_LOW	10000

int	ports_pick(int *ports, int n, char *err, size_t errlen);

#endif /* PORTS_H */
