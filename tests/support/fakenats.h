/*
 * fakenats.h: a scripted NATS server that only does the login handshake,
 * for tests of what a client does with the nonce nats-server would have
 * picked at random.
 *
 * It listens on 127.0.0.1 at a port the kernel picks and serves one
 * connection at a time, on its own thread: it sends connection i an INFO
 * that requires auth with nonces[i] as its nonce (the last nonce to every
 * later connection), keeps the CONNECT line the client answers with, and
 * then, as nats-server does, refuses a CONNECT without a "sig" with
 * -ERR 'Authorization Violation' and closes; any other it lets in,
 * answering PING with PONG until the client goes. It checks no signature:
 * the test compares the CONNECT lines it kept with what it expects.
 *
 * Returns follow probe.h: 0, or -1 with a reason in err; no cmocka.
 *
 * Memory: fakenats_start() allocates a struct fakenats, with copies of the
 * nonces, that fakenats_stop() stops and frees (it accepts NULL). The URL
 * is borrowed until then.
 */
#ifndef FAKENATS_H
#define FAKENATS_H

#include <stddef.h>

#define FAKENATS_LINES		8	/* CONNECT lines kept: the first ones */
#define FAKENATS_LINE_MAX	4096	/* a creds login carries a JWT */

struct fakenats;

int	fakenats_start(const char *const nonces[], size_t nnonces,
	    struct fakenats **out, char *err, size_t errlen);
const char *fakenats_url(const struct fakenats *fs);
size_t	fakenats_count(struct fakenats *fs);
int	fakenats_connect_line(struct fakenats *fs, size_t i, char *buf,
	    size_t len);
void	fakenats_stop(struct fakenats *fs);

#endif /* FAKENATS_H */
