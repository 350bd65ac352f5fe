/*
 * ceiling.c: the transport ceiling of the benchmark. How fast can one
 * cnats client take the whole stream through a durable pull consumer set up
 * as the projector sets up its own (src/source_consumer.c: AckAll,
 * MaxAckPending of two batches, the configured filter subject), fetching
 * batches of the projector's size and acknowledging each batch's last
 * message synchronously, as the projector does after COMMIT? It does
 * nothing else with the messages, so the projector's catch-up rate divided
 * by this one is the share of the transport's speed that folding keeps.
 * It is the plain fetch-then-ack loop: unlike the projector's fetcher
 * thread (src/source_pull.c) it does not ask for the next batch before
 * acknowledging this one, so a projector that overlaps the two well can
 * come close to it.
 *
 * The fetch wait is the caller's. bench.c gives a long one: on a stream
 * that holds far more than a batch a fetch returns as soon as the batch is
 * full, so the wait changes nothing unless the machine is so busy that a
 * batch takes longer than it; then cnats 3.4.1 (Debian 12) breaks: the
 * rest of the batch arrives after the fetch gave up, and when more than
 * half a batch is left over the next natsSubscription_FetchRequest()
 * collects past the end of its own array of `batch` messages (seen here:
 * Count 1821 for a batch of 1000, heap corruption). A count above the
 * batch is reported and ends the run rather than going unnoticed.
 *
 *     ceiling URL STREAM SUBJECT BATCH WAIT_MS TOTAL
 *
 * Fetches until TOTAL messages came, checks that the last one is stream
 * sequence TOTAL, deletes its consumer and prints "events=N seconds=S" (the
 * fetch loop alone). Exits 0, or 1 with a reason on stderr.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <nats/nats.h>

#define CEILING_CONSUMER	"bench-ceiling"
#define CEILING_ACK_WAIT_MS	30000	/* the projector's SOURCE_ACK_WAIT_MS */
#define CEILING_STALL_MS	30000	/* no message for this long: give up */
#define CEILING_API_WAIT_MS	60000	/* JetStream API requests */

static int64_t
ceiling_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
ceiling_fail(const char *what, natsStatus s)
{
	const char *last = nats_GetLastError(NULL);

	fprintf(stderr, "ceiling: %s: %s (%s)\n", what, natsStatus_GetText(s),
	    last != NULL ? last : "");
	return 1;
}

/* Fetches TOTAL messages; returns 0, or 1 after saying why. */
static int
ceiling_drain(natsSubscription *sub, int batch, int wait_ms, uint64_t total)
{
	jsFetchRequest req;
	jsMsgMetaData *meta = NULL;
	natsMsgList list;
	natsStatus s;
	uint64_t got = 0, seq = 0;
	int64_t start = ceiling_now_ns(), progress = start;

	while (got < total) {
		if (ceiling_now_ns() - progress > (int64_t)CEILING_STALL_MS *
		    1000000) {
			fprintf(stderr, "ceiling: no message for %d ms "
			    "after %llu\n", CEILING_STALL_MS,
			    (unsigned long long)got);
			return 1;
		}
		jsFetchRequest_Init(&req);
		req.Batch = batch;
		req.Expires = (int64_t)wait_ms * 1000000;
		s = natsSubscription_FetchRequest(&list, sub, &req);
		if (s == NATS_TIMEOUT)
			continue;
		if (s != NATS_OK)
			return ceiling_fail("fetch", s);
		if (list.Count > batch) {
			fprintf(stderr, "ceiling: cnats returned %d "
			    "messages for a fetch of %d (its heap is corrupt)\n",
			    list.Count, batch);
			return 1;
		}
		got += (uint64_t)list.Count;
		progress = ceiling_now_ns();
		if (got == total && (s = natsMsg_GetMetaData(&meta,
		    list.Msgs[list.Count - 1])) == NATS_OK) {
			seq = meta->Sequence.Stream;
			jsMsgMetaData_Destroy(meta);
		}
		if (s == NATS_OK)
			s = natsMsg_AckSync(list.Msgs[list.Count - 1], NULL,
			    NULL);
		natsMsgList_Destroy(&list);
		if (s != NATS_OK)
			return ceiling_fail("ack", s);
	}
	if (got != total || seq != total) {
		fprintf(stderr, "ceiling: %llu messages up to sequence %llu, "
		    "%llu expected\n", (unsigned long long)got,
		    (unsigned long long)seq, (unsigned long long)total);
		return 1;
	}
	printf("events=%llu seconds=%.3f\n", (unsigned long long)got,
	    (double)(ceiling_now_ns() - start) / 1e9);
	return 0;
}

int
main(int argc, char **argv)
{
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL;
	jsCtx *js = NULL;
	jsConsumerConfig cc;
	jsConsumerInfo *ci = NULL;
	jsOptions jo;
	jsSubOptions so;
	natsStatus s;
	int batch, wait_ms, rc = 1;
	uint64_t total;

	if (argc != 7) {
		fprintf(stderr, "usage: ceiling URL STREAM SUBJECT BATCH WAIT_MS "
		    "TOTAL\n");
		return 64;
	}
	batch = atoi(argv[4]);
	wait_ms = atoi(argv[5]);
	total = strtoull(argv[6], NULL, 10);
	jsOptions_Init(&jo);
	/*
	 * Right after millions of messages were published, the server can
	 * take longer than the default 5 s to make a consumer.
	 */
	jo.Wait = CEILING_API_WAIT_MS;
	if ((s = natsConnection_ConnectTo(&nc, argv[1])) != NATS_OK ||
	    (s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK) {
		rc = ceiling_fail("connect", s);
		goto done;
	}
	/* One left by a run that died would start where that run stopped. */
	js_DeleteConsumer(js, argv[2], CEILING_CONSUMER, NULL, NULL);
	jsConsumerConfig_Init(&cc);
	cc.Durable = CEILING_CONSUMER;
	cc.AckPolicy = js_AckAll;
	cc.AckWait = (int64_t)CEILING_ACK_WAIT_MS * 1000000;
	cc.MaxAckPending = 2 * (int64_t)batch;
	cc.FilterSubject = argv[3];
	cc.DeliverPolicy = js_DeliverAll;
	if ((s = js_AddConsumer(&ci, js, argv[2], &cc, NULL, NULL)) != NATS_OK) {
		rc = ceiling_fail("create consumer", s);
		goto done;
	}
	jsConsumerInfo_Destroy(ci);
	jsSubOptions_Init(&so);
	so.Stream = argv[2];
	so.Consumer = CEILING_CONSUMER;
	if ((s = js_PullSubscribe(&sub, js, argv[3], CEILING_CONSUMER, NULL, &so,
	    NULL)) != NATS_OK) {
		rc = ceiling_fail("subscribe", s);
		goto done;
	}
	rc = ceiling_drain(sub, batch, wait_ms, total);
	/* Leave the server as we found it: a durable outlives us otherwise. */
	js_DeleteConsumer(js, argv[2], CEILING_CONSUMER, NULL, NULL);

done:
	natsSubscription_Destroy(sub);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	nats_Close();
	return rc;
}
