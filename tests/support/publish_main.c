/*
 * publish_main.c: build/tests/publish URL STREAM FILE.
 *
 * Publishes a fixture (events.jsonl, see publish.h) into STREAM on the NATS
 * server at URL, creating the stream over v0.rust.servers.> when it does not
 * exist, and prints "published N events to STREAM". The demo uses it to fill
 * a fresh server; anyone can use it to replay a fixture into a dev server.
 * Exits 0; 64 on bad usage; 69 when the server or stream is unavailable; 1
 * when the file cannot be read or a line of it cannot be published (the
 * lines before it stay published).
 */
#include <stdint.h>
#include <stdio.h>

#include <nats/nats.h>

#include "publish.h"

#define PUBLISH_EX_USAGE	64
#define PUBLISH_EX_UNAVAILABLE	69

int
main(int argc, char **argv)
{
	static const char *const subjects[] = { "v0.rust.servers.>" };
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	uint64_t count = 0;
	char err[1024];
	int rc = PUBLISH_EX_UNAVAILABLE;

	if (argc != 4) {
		fprintf(stderr, "usage: publish URL STREAM FILE\n");
		return PUBLISH_EX_USAGE;
	}
	if (publish_connect(argv[1], &nc, err, sizeof(err)) == -1 ||
	    publish_ensure_stream(nc, argv[2], subjects, 1, err,
	    sizeof(err)) == -1 ||
	    publish_js(nc, &js, err, sizeof(err)) == -1)
		goto fail;
	if (publish_file(js, argv[2], argv[3], &count, err, sizeof(err)) == -1) {
		rc = 1;
		goto fail;
	}
	printf("published %llu events to %s\n", (unsigned long long)count,
	    argv[2]);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	nats_Close();
	return 0;

fail:
	fprintf(stderr, "publish: %s\n", err);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	nats_Close();
	return rc;
}
