/*
 * ready.c: liveness and readiness from an account list (see ready.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ready.h"

/*
 * Returns 1 when every running account's loop turned within stall_ms of
 * now_ms (or has not turned yet), else 0. Accounts whose worker returned
 * are left out: they are done, not stuck. Cannot fail.
 */
int
ready_live(struct stats_account *const *accts, size_t n, int64_t now_ms,
    int64_t stall_ms)
{
	int64_t turned;
	size_t i;

	for (i = 0; i < n; i++) {
		if (STATS_GET(accts[i]->done))
			continue;
		turned = STATS_GET(accts[i]->turned_ms);
		if (turned != 0 && now_ms - turned > stall_ms)
			return 0;
	}
	return 1;
}

/*
 * Why projection i of a is not ready, into why; returns 0 when it is.
 * The checks go from the most basic up, so the reason is the first cause.
 */
static int
ready_reason(struct stats_account *a, size_t i, const struct ready_bounds *rb,
    int64_t now_ms, char *why, size_t len)
{
	int state = STATS_GET(a->projs[i].state);
	int64_t disc = STATS_GET(a->disconnected_ms);
	int64_t seen = STATS_GET(a->stream_seen_ms);
	int64_t progress = STATS_GET(a->progress_ms);
	uint64_t lag = STATS_GET(a->lag);

	if (STATS_GET(a->done))
		snprintf(why, len, "the account's worker has stopped");
	else if (!STATS_GET(a->started))
		snprintf(why, len, "the account is starting");
	else if (state != STATS_LIVE)
		snprintf(why, len, "the projection is %s",
		    state >= 0 && state < STATS_NSTATES ?
		    stats_state_name[state] : "in an unknown state");
	else if (!STATS_GET(a->connected) && disc == 0)
		snprintf(why, len, "not connected to NATS");
	else if (!STATS_GET(a->connected) && now_ms - disc >= rb->grace_ms)
		snprintf(why, len, "disconnected from NATS for %" PRId64 " ms",
		    now_ms - disc);
	else if (seen == 0)
		snprintf(why, len, "the stream's last sequence was never read");
	else if (now_ms - seen > rb->stall_ms)
		snprintf(why, len, "the stream's last sequence is %" PRId64
		    " ms old", now_ms - seen);
	else if (lag > rb->max_lag)
		snprintf(why, len, "lag %" PRIu64 " is over %" PRIu64, lag,
		    rb->max_lag);
	else if (lag > 0 && now_ms - progress > rb->stall_ms)
		snprintf(why, len, "lag %" PRIu64 " and no progress for %"
		    PRId64 " ms", lag, now_ms - progress);
	else
		return 0;
	return -1;
}

static json_t *
ready_entry(struct stats_account *a, size_t i, const char *why)
{
	int state = STATS_GET(a->projs[i].state);

	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o}",
	    "account", a->name, "projection", a->projs[i].name,
	    "state", state >= 0 && state < STATS_NSTATES ?
	    stats_state_name[state] : "unknown",
	    "lag", (json_int_t)STATS_GET(a->lag),
	    "last_seq", (json_int_t)STATS_GET(a->projs[i].applied_seq),
	    "stream_last_seq", (json_int_t)STATS_GET(a->stream_last_seq),
	    "reason", why != NULL ? json_string(why) : json_null());
}

/*
 * Decides readiness of the projections selected by account and projection
 * (NULL: all) among accts. Sets *body to the answer's JSON:
 * {"status": "ok"|"unavailable", "projections": [{account, projection,
 * state, lag, last_seq, stream_last_seq, reason}]}, reason null when that
 * projection is ready; for READY_UNKNOWN {"status": "unknown", "error":
 * "..."}. No projection selected (no account runs yet) is unavailable.
 * Returns READY_OK, READY_UNAVAILABLE or READY_UNKNOWN; *body is NULL only
 * when out of memory.
 */
enum ready_result
ready_check(struct stats_account *const *accts, size_t n,
    const struct ready_bounds *rb, int64_t now_ms, const char *account,
    const char *projection, json_t **body)
{
	json_t *list = json_array();
	char why[160], msg[512];
	size_t i, j, naccts = 0, nsel = 0, nready = 0;
	int bad;

	for (i = 0; i < n; i++) {
		if (account != NULL && strcmp(account, accts[i]->name) != 0)
			continue;
		naccts++;
		for (j = 0; j < accts[i]->nprojs; j++) {
			if (projection != NULL &&
			    strcmp(projection, accts[i]->projs[j].name) != 0)
				continue;
			nsel++;
			bad = ready_reason(accts[i], j, rb, now_ms, why,
			    sizeof(why));
			nready += bad == 0;
			json_array_append_new(list, ready_entry(accts[i], j,
			    bad ? why : NULL));
		}
	}
	if ((account != NULL && naccts == 0) ||
	    (projection != NULL && nsel == 0)) {
		json_decref(list);
		if (account != NULL && naccts == 0)
			snprintf(msg, sizeof(msg), "no account '%.200s'",
			    account);
		else
			snprintf(msg, sizeof(msg), "no projection '%.200s'%s"
			    "%.200s", projection, account != NULL ?
			    " in account " : "", account != NULL ? account : "");
		*body = json_pack("{s:s, s:s}", "status", "unknown", "error",
		    msg);
		return READY_UNKNOWN;
	}
	*body = json_pack("{s:s, s:o}", "status", nsel > 0 && nready == nsel ?
	    "ok" : "unavailable", "projections", list);
	return nsel > 0 && nready == nsel ? READY_OK : READY_UNAVAILABLE;
}
