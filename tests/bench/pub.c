/*
 * pub.c: publishing generated events into the benchmark's stream (see
 * pub.h).
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include <nats/nats.h>

#include "pub.h"
#include "publish.h"

#define PUB_FLUSH_MS	30000	/* bound on one flush round trip */
#define PUB_POLL_NS	(20 * 1000 * 1000)

/* Returns CLOCK_MONOTONIC in nanoseconds. Cannot fail. */
int64_t
pub_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
pub_one(natsConnection *nc, const struct wire_event *ev, char *err,
    size_t errlen)
{
	natsStatus s;

	s = natsConnection_Publish(nc, ev->subject, ev->payload, (int)ev->len);
	if (s != NATS_OK) {
		snprintf(err, errlen, "publish to %s: %s", ev->subject,
		    natsStatus_GetText(s));
		return -1;
	}
	return 0;
}

static int
pub_flush(natsConnection *nc, char *err, size_t errlen)
{
	natsStatus s;

	if ((s = natsConnection_FlushTimeout(nc, PUB_FLUSH_MS)) != NATS_OK) {
		snprintf(err, errlen, "flush: %s", natsStatus_GetText(s));
		return -1;
	}
	return 0;
}

/*
 * Publishes the next n events of g as fast as the connection takes them,
 * flushing every PUB_FLUSH_EVERY and at the end. Returns 0 once the server
 * has read them all (not necessarily stored them: see pub_wait_stream()),
 * or -1 with a reason in err.
 */
int
pub_bulk(natsConnection *nc, struct gen *g, uint64_t n, char *err,
    size_t errlen)
{
	struct wire_event ev;
	uint64_t i;

	for (i = 0; i < n; i++) {
		gen_next(g, &ev);
		if (pub_one(nc, &ev, err, errlen) == -1)
			return -1;
		if ((i + 1) % PUB_FLUSH_EVERY == 0 &&
		    pub_flush(nc, err, errlen) == -1)
			return -1;
	}
	return pub_flush(nc, err, errlen);
}

/*
 * Publishes the next n events of g at a steady rate (events per second):
 * event i is due at start + i / rate and goes out as soon as it is due.
 * sent_ns[i] gets the time its publish call returned (the caller's array
 * of n). No flush: cnats' flusher thread sends what was published within
 * about a millisecond, and a round trip would only delay the next event.
 * Returns 0, or -1 with a reason in err.
 */
int
pub_paced(natsConnection *nc, struct gen *g, uint64_t n, double rate,
    int64_t *sent_ns, char *err, size_t errlen)
{
	struct wire_event ev;
	struct timespec due;
	int64_t start = pub_now_ns(), at;
	uint64_t i;

	for (i = 0; i < n; i++) {
		gen_next(g, &ev);
		at = start + (int64_t)((double)i * 1e9 / rate);
		if (at > pub_now_ns()) {
			due.tv_sec = at / 1000000000;
			due.tv_nsec = at % 1000000000;
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
			    &due, NULL) == EINTR)
				;
		}
		if (pub_one(nc, &ev, err, errlen) == -1)
			return -1;
		sent_ns[i] = pub_now_ns();
	}
	return 0;
}

/*
 * Polls stream until it holds want messages. Returns 0 then; -1 with a
 * reason in err when it holds more (someone else publishes there), when
 * its count stops growing for PUB_STALL_MS (messages were lost), or when
 * its information cannot be read.
 */
int
pub_wait_stream(natsConnection *nc, const char *stream, uint64_t want,
    char *err, size_t errlen)
{
	struct timespec nap = { 0, PUB_POLL_NS };
	uint64_t msgs, last = 0;
	int64_t changed = pub_now_ns();

	for (;;) {
		if (publish_stream_info(nc, stream, &msgs, NULL, err,
		    errlen) == -1)
			return -1;
		if (msgs == want)
			return 0;
		if (msgs > want) {
			snprintf(err, errlen, "stream %s holds %llu messages, "
			    "%llu expected", stream, (unsigned long long)msgs,
			    (unsigned long long)want);
			return -1;
		}
		if (msgs != last) {
			last = msgs;
			changed = pub_now_ns();
		} else if (pub_now_ns() - changed > (int64_t)PUB_STALL_MS *
		    1000000) {
			snprintf(err, errlen, "stream %s stuck at %llu of %llu "
			    "messages", stream, (unsigned long long)msgs,
			    (unsigned long long)want);
			return -1;
		}
		nanosleep(&nap, NULL);
	}
}
