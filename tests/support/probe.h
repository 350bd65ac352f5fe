/*
 * probe.h: looking at a running projector from outside, as an operator
 * would: a durable consumer's state on the server (its ack floor above
 * all), the process's peak memory from /proc, the database's integrity and
 * the size of its files. Nothing here changes what it looks at.
 *
 * Every function returns 0 (or a value) on success and -1 with a reason in
 * err, or -1 alone where the signature says so; none uses cmocka, so the
 * test decides what a failure means.
 *
 * Memory: struct probe_nats is allocated by the caller and holds one
 * connection and JetStream context from probe_nats_open() to
 * probe_nats_close() (which accepts a struct never opened, zeroed). Nothing
 * else allocates for the caller.
 */
#ifndef PROBE_H
#define PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <nats/nats.h>

struct probe_nats {
	natsConnection	*nc;
	jsCtx		*js;
};

/* A durable consumer's state, as `nats consumer info` shows it. */
struct probe_consumer {
	int64_t		created;
	uint64_t	delivered_stream, delivered_consumer;
	uint64_t	ack_floor_stream, ack_floor_consumer;
	uint64_t	num_pending;
	int64_t		num_ack_pending;
	int		deliver_policy, ack_policy;
	uint64_t	opt_start_seq;
	int64_t		max_ack_pending;
	char		filter[128];	/* "" for none */
};

int	probe_nats_open(struct probe_nats *pn, const char *url, char *err,
	    size_t errlen);
void	probe_nats_close(struct probe_nats *pn);
int	probe_consumer(struct probe_nats *pn, const char *stream,
	    const char *consumer, struct probe_consumer *out, char *err,
	    size_t errlen);
int	probe_ack_floor(struct probe_nats *pn, const char *stream,
	    const char *consumer, uint64_t *floor, char *err, size_t errlen);
int	probe_proc_kib(pid_t pid, const char *field, long *kib, char *err,
	    size_t errlen);
int	probe_integrity(const char *db, char *err, size_t errlen);
long long probe_file_size(const char *path);

#endif /* PROBE_H */
