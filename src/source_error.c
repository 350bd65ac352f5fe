/*
 * source_error.c: cnats's statuses and texts as the rest of the source
 * module reports them (see source_int.h): the leaf of the chain.
 */
#include <stdio.h>
#include <string.h>

#include <nats/nats.h>

#include "source_int.h"

/*
 * Drops the "(conn.c:1905): " that cnats puts before some texts: log lines
 * are for owners, not for cnats's developers. Returns a pointer into text,
 * or "" for NULL. Cannot fail.
 */
const char *
source_error_plain(const char *text)
{
	const char *p;

	if (text == NULL)
		return "";
	while (*text == '(' && (p = strstr(text, "): ")) != NULL)
		text = p + 3;
	return text;
}

/*
 * Translates a failed call (what it was doing, cnats's status, the
 * JetStream error code or 0) into a result and a sentence in err. The
 * sentence is short and stable (no cnats error stack), so that a repeated
 * error can be told from a new one. The connection's own reasons (a
 * permission violation heard of, a connection closed for good) are
 * source_conn_fail()'s business. Cannot fail.
 */
enum source_result
source_error_translate(natsStatus st, jsErrCode jerr, const char *what,
    char *err, size_t errlen)
{
	if (jerr != 0)
		snprintf(err, errlen, "%s: %s (JetStream error %d)", what,
		    natsStatus_GetText(st), (int)jerr);
	else
		snprintf(err, errlen, "%s: %s", what, natsStatus_GetText(st));
	if (jerr == JSStreamNotFoundErr)
		return SOURCE_ENOSTREAM;
	if (jerr == JSConsumerNotFoundErr)
		return SOURCE_REPOSITION;
	switch (st) {
	case NATS_NOT_PERMITTED:
		return SOURCE_EPERM;
	case NATS_CONNECTION_AUTH_FAILED:
		return SOURCE_ECLOSED;
	default:
		return SOURCE_RETRY;
	}
}
