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

/*
 * Says, when a failed request means that no JetStream answered where the
 * account sends its requests, where that was and what to check. cnats
 * reports a request that nobody listens to as NATS_NO_RESPONDERS, and a
 * JetStream call adds JSNotEnabledErr; that is what a leaf node without
 * JetStream of its own answers a request meant for its hub's domain, and
 * what a wrong domain or prefix, or a hub out of reach, gets. Returns 1
 * with the sentence in err, or 0 (err untouched) for any other failure.
 * Cannot fail.
 */
int
source_error_no_jetstream(const struct config_account *acct, natsStatus st,
    jsErrCode jerr, const char *what, char *err, size_t errlen)
{
	if (st != NATS_NO_RESPONDERS && jerr != JSNotEnabledErr)
		return 0;
	if (acct->js_domain != NULL)
		snprintf(err, errlen, "%s: no JetStream answered in domain '%s'"
		    " (account %s): check js_domain, that the hub's JetStream"
		    " has that domain and that the leaf node connection to it"
		    " is up", what, acct->js_domain, acct->name);
	else if (acct->js_api_prefix != NULL)
		snprintf(err, errlen, "%s: no JetStream answered at API prefix"
		    " '%s' (account %s): check js_api_prefix and that this"
		    " account imports that JetStream API", what,
		    acct->js_api_prefix, acct->name);
	else
		snprintf(err, errlen, "%s: no JetStream answered (account %s):"
		    " check that the server has JetStream enabled for this"
		    " account; through a leaf node without JetStream of its"
		    " own, set js_domain to the hub's JetStream domain", what,
		    acct->name);
	return 1;
}
