/*
 * metrics.c: the Prometheus text exposition of a board (see metrics.h).
 *
 * The text is written with stdio into a memory stream (open_memstream),
 * which grows as needed. The board's lock is held while writing, a few
 * kilobytes per account: the list may not change under the walk, and the
 * workers, which never take that lock, go on folding meanwhile.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* What a projection's and an account's gauges and counters are. */
enum metrics_pval {
	PV_VERSION, PV_APPLIED, PV_STREAM_LAST, PV_LAG, PV_LAST_EVENT,
	PV_CHECKPOINT, PV_REPLAY
};
enum metrics_aval {
	AV_APPLIED, AV_PARKED, AV_BATCHES, AV_DB_BYTES, AV_WAL_BYTES,
	AV_CONNECTED, AV_RECONNECTS, AV_ARCHIVE_BYTES, AV_ARCHIVE_FIRST,
	AV_ARCHIVE_LAST
};

struct metrics_family {
	const char	*name;
	const char	*type;
	const char	*help;
	int		 which;	/* an enum metrics_pval or metrics_aval */
};

static const struct metrics_family proj_families[] = {
	{ "projector_projection_version", "gauge",
	    "Version of the projection's fold logic, as built.", PV_VERSION },
	{ "projector_applied_sequence", "gauge",
	    "Stream sequence of the projection's checkpoint.", PV_APPLIED },
	{ "projector_stream_last_sequence", "gauge",
	    "Last sequence of the account's stream, as NATS last said it.",
	    PV_STREAM_LAST },
	{ "projector_lag_messages", "gauge",
	    "Messages pending after the account's lowest checkpoint (the"
	    " consumer's filter applied); the same for each projection of an"
	    " account.", PV_LAG },
	{ "projector_last_event_timestamp_seconds", "gauge",
	    "Stored time of the last event applied (Unix seconds; 0: none).",
	    PV_LAST_EVENT },
	{ "projector_checkpoint_timestamp_seconds", "gauge",
	    "Wall time of the commit that last moved the checkpoint (Unix"
	    " seconds; 0: none).", PV_CHECKPOINT },
	{ "projector_replay_progress_ratio", "gauge",
	    "Share of a rebuild done: 1 when live, 0 when stopped or failed.",
	    PV_REPLAY },
};

static const struct metrics_family acct_families[] = {
	{ "projector_events_applied_total", "counter",
	    "Events applied, counted once per projection that folded them.",
	    AV_APPLIED },
	{ "projector_events_parked_total", "counter",
	    "Events a projection refused and parked.", AV_PARKED },
	{ "projector_batches_total", "counter",
	    "Batches committed.", AV_BATCHES },
	{ "projector_sqlite_db_bytes", "gauge",
	    "Size of the account's SQLite file.", AV_DB_BYTES },
	{ "projector_sqlite_wal_bytes", "gauge",
	    "Size of the account's SQLite write-ahead log.", AV_WAL_BYTES },
	{ "projector_nats_connected", "gauge",
	    "1 while the account's NATS connection is up.", AV_CONNECTED },
	{ "projector_nats_reconnects_total", "counter",
	    "Reconnections of the account's NATS connection.", AV_RECONNECTS },
};

static const struct metrics_family archive_families[] = {
	{ "projector_archive_bytes", "gauge",
	    "Size of the account's event archive.", AV_ARCHIVE_BYTES },
	{ "projector_archive_first_sequence", "gauge",
	    "First stream sequence the archive holds.", AV_ARCHIVE_FIRST },
	{ "projector_archive_last_sequence", "gauge",
	    "Last stream sequence the archive holds (its mark).",
	    AV_ARCHIVE_LAST },
};

#define METRICS_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

struct metrics_ctx {
	FILE				*f;
	const struct metrics_build	*build;
	const struct procstat		*ps;
};

static void
metrics_family_head(FILE *f, const char *name, const char *type,
    const char *help)
{
	/* The texts are ours: no '\\' or newline to escape in HELP. */
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as format 0.0.4 wants: \\, \" and \n. */
static void
metrics_escape(FILE *f, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '"')
			fputs("\\\"", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void
metrics_label(FILE *f, int first, const char *name, const char *value)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	metrics_escape(f, value);
	fputc('"', f);
}

/* name{account="A"[,projection="P"] ... the caller closes it. */
static void
metrics_open(FILE *f, const char *name, const char *suffix,
    const struct stats_account *a, const char *proj)
{
	fprintf(f, "%s%s{", name, suffix);
	metrics_label(f, 1, "account", a->name);
	if (proj != NULL)
		metrics_label(f, 0, "projection", proj);
}

static void
metrics_u64(FILE *f, uint64_t v)
{
	fprintf(f, "} %" PRIu64 "\n", v);
}

/* Unix milliseconds as seconds, exactly. */
static void
metrics_ms(FILE *f, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	fprintf(f, "} %" PRId64 ".%03" PRId64 "\n", ms / 1000, ms % 1000);
}

static void
metrics_proj_value(FILE *f, struct stats_account *a, size_t i, int which)
{
	struct stats_projection *p = &a->projs[i];
	uint64_t done, total;
	int state;

	switch (which) {
	case PV_VERSION:
		fprintf(f, "} %d\n", p->version);
		break;
	case PV_APPLIED:
		metrics_u64(f, STATS_GET(p->applied_seq));
		break;
	case PV_STREAM_LAST:
		metrics_u64(f, STATS_GET(a->stream_last_seq));
		break;
	case PV_LAG:
		metrics_u64(f, STATS_GET(a->lag));
		break;
	case PV_LAST_EVENT:
		metrics_ms(f, STATS_GET(p->last_event_ms));
		break;
	case PV_CHECKPOINT:
		metrics_ms(f, STATS_GET(p->checkpoint_ms));
		break;
	default:
		state = STATS_GET(p->state);
		done = STATS_GET(p->replay_done);
		total = STATS_GET(p->replay_total);
		if (state == STATS_REBUILDING)
			fprintf(f, "} %.6g\n", total == 0 ? 0.0 : done >= total ?
			    1.0 : (double)done / (double)total);
		else
			fprintf(f, "} %d\n", state == STATS_LIVE);
		break;
	}
}

static void
metrics_acct_value(FILE *f, struct stats_account *a, int which)
{
	static const size_t off[] = {
		[AV_APPLIED] = offsetof(struct stats_account, applied),
		[AV_PARKED] = offsetof(struct stats_account, parked),
		[AV_BATCHES] = offsetof(struct stats_account, batches),
		[AV_DB_BYTES] = offsetof(struct stats_account, db_bytes),
		[AV_WAL_BYTES] = offsetof(struct stats_account, wal_bytes),
		[AV_RECONNECTS] = offsetof(struct stats_account, reconnects),
		[AV_ARCHIVE_BYTES] = offsetof(struct stats_account,
		    archive_bytes),
		[AV_ARCHIVE_FIRST] = offsetof(struct stats_account,
		    archive_first_seq),
		[AV_ARCHIVE_LAST] = offsetof(struct stats_account,
		    archive_last_seq),
	};

	if (which == AV_CONNECTED)
		fprintf(f, "} %d\n", STATS_GET(a->connected) != 0);
	else
		metrics_u64(f, STATS_GET(*(uint64_t *)((char *)a +
		    off[which])));
}

static void
metrics_hist(FILE *f, const char *name, const char *help,
    struct stats_account *const *accts, size_t n, size_t field)
{
	struct stats_hist *h;
	uint64_t cum;
	char le[32];
	size_t i, k;

	metrics_family_head(f, name, "histogram", help);
	for (i = 0; i < n; i++) {
		h = (struct stats_hist *)((char *)accts[i] + field);
		cum = 0;
		for (k = 0; k <= STATS_NBUCKETS; k++) {
			cum += STATS_GET(h->bucket[k]);
			if (k < STATS_NBUCKETS)
				snprintf(le, sizeof(le), "%g", stats_bucket_le[k]);
			else
				snprintf(le, sizeof(le), "+Inf");
			metrics_open(f, name, "_bucket", accts[i], NULL);
			metrics_label(f, 0, "le", le);
			metrics_u64(f, cum);
		}
		/* The buckets sum up to the count; a count read on its own
		 * may be one observation ahead of them, as the sum may be. */
		metrics_open(f, name, "_sum", accts[i], NULL);
		fprintf(f, "} %.6f\n", (double)STATS_GET(h->sum_us) / 1e6);
		metrics_open(f, name, "_count", accts[i], NULL);
		metrics_u64(f, cum);
	}
}

static void
metrics_process(FILE *f, const struct procstat *ps)
{
	metrics_family_head(f, "process_start_time_seconds", "gauge",
	    "Start time of the process since the Unix epoch, in seconds.");
	fprintf(f, "process_start_time_seconds %.2f\n", ps->start_time);
	metrics_family_head(f, "process_cpu_seconds_total", "counter",
	    "User and system CPU time spent, in seconds.");
	fprintf(f, "process_cpu_seconds_total %.6f\n", ps->cpu_seconds);
	metrics_family_head(f, "process_resident_memory_bytes", "gauge",
	    "Resident memory size, in bytes.");
	fprintf(f, "process_resident_memory_bytes %" PRIu64 "\n",
	    ps->rss_bytes);
	metrics_family_head(f, "process_open_fds", "gauge",
	    "Open file descriptors.");
	fprintf(f, "process_open_fds %" PRIu64 "\n", ps->open_fds);
	metrics_family_head(f, "process_max_fds", "gauge",
	    "Most file descriptors the process may open.");
	fprintf(f, "process_max_fds %" PRIu64 "\n", ps->max_fds);
}

/* The board's walk: every family, each over every account. */
static void
metrics_walk(void *arg, struct stats_account *const *accts, size_t n)
{
	struct metrics_ctx *c = arg;
	const struct metrics_family *fam;
	struct stats_account *a;
	FILE *f = c->f;
	size_t i, j, k, s;
	int state, archives = 0;

	metrics_family_head(f, "projector_build_info", "gauge",
	    "Versions of projector and of the libraries it runs with.");
	fputs("projector_build_info{", f);
	metrics_label(f, 1, "version", c->build->version);
	metrics_label(f, 0, "sqlite_version", c->build->sqlite_version);
	metrics_label(f, 0, "nats_c_version", c->build->nats_version);
	fputs("} 1\n", f);

	metrics_family_head(f, "projector_projection_info", "gauge",
	    "A projection of an account, with its stream and durable"
	    " consumer.");
	for (i = 0; i < n; i++)
		for (j = 0; j < accts[i]->nprojs; j++) {
			a = accts[i];
			metrics_open(f, "projector_projection_info", "", a,
			    a->projs[j].name);
			metrics_label(f, 0, "stream", a->stream);
			metrics_label(f, 0, "consumer", a->consumer);
			fputs("} 1\n", f);
		}

	metrics_family_head(f, "projector_projection_state", "gauge",
	    "1 for the state the projection is in, 0 for the others.");
	for (i = 0; i < n; i++)
		for (j = 0; j < accts[i]->nprojs; j++) {
			a = accts[i];
			state = STATS_GET(a->projs[j].state);
			for (s = 0; s < STATS_NSTATES; s++) {
				metrics_open(f, "projector_projection_state", "",
				    a, a->projs[j].name);
				metrics_label(f, 0, "state", stats_state_name[s]);
				fprintf(f, "} %d\n", state == (int)s);
			}
		}

	for (k = 0; k < METRICS_NELEM(proj_families); k++) {
		fam = &proj_families[k];
		metrics_family_head(f, fam->name, fam->type, fam->help);
		for (i = 0; i < n; i++)
			for (j = 0; j < accts[i]->nprojs; j++) {
				metrics_open(f, fam->name, "", accts[i],
				    accts[i]->projs[j].name);
				metrics_proj_value(f, accts[i], j, fam->which);
			}
	}

	for (k = 0; k < METRICS_NELEM(acct_families); k++) {
		fam = &acct_families[k];
		metrics_family_head(f, fam->name, fam->type, fam->help);
		for (i = 0; i < n; i++) {
			metrics_open(f, fam->name, "", accts[i], NULL);
			metrics_acct_value(f, accts[i], fam->which);
		}
	}

	metrics_family_head(f, "projector_errors_total", "counter",
	    "Errors, by the stage of the loop where they happened.");
	for (i = 0; i < n; i++)
		for (s = 0; s < STATS_NSTAGES; s++) {
			metrics_open(f, "projector_errors_total", "", accts[i],
			    NULL);
			metrics_label(f, 0, "stage", stats_stage_name[s]);
			metrics_u64(f, STATS_GET(accts[i]->errors[s]));
		}

	metrics_hist(f, "projector_batch_duration_seconds",
	    "Time from a batch's fetch to its commit.", accts, n,
	    offsetof(struct stats_account, batch_seconds));
	metrics_hist(f, "projector_sqlite_commit_duration_seconds",
	    "Time of SQLite's COMMIT alone.", accts, n,
	    offsetof(struct stats_account, commit_seconds));

	for (i = 0; i < n; i++)
		archives += accts[i]->has_archive != 0;
	for (k = 0; archives > 0 && k < METRICS_NELEM(archive_families); k++) {
		fam = &archive_families[k];
		metrics_family_head(f, fam->name, fam->type, fam->help);
		for (i = 0; i < n; i++) {
			if (!accts[i]->has_archive)
				continue;
			metrics_open(f, fam->name, "", accts[i], NULL);
			metrics_acct_value(f, accts[i], fam->which);
		}
	}

	if (c->ps != NULL)
		metrics_process(f, c->ps);
}

/*
 * Writes the exposition of b's accounts, of the build and, when ps is not
 * NULL, of the process. On success sets *out to a NUL-terminated buffer the
 * caller frees with free(), *len to its length, and returns 0; returns -1
 * when out of memory (errno says so), with *out untouched.
 */
int
metrics_render(struct stats_board *b, const struct metrics_build *build,
    const struct procstat *ps, char **out, size_t *len)
{
	struct metrics_ctx c;
	char *buf = NULL;
	size_t size = 0;
	int bad;

	c.build = build;
	c.ps = ps;
	if ((c.f = open_memstream(&buf, &size)) == NULL)
		return -1;
	stats_board_read(b, metrics_walk, &c);
	bad = ferror(c.f);
	if (fclose(c.f) != 0 || bad) {
		free(buf);
		errno = ENOMEM;
		return -1;
	}
	*out = buf;
	*len = size;
	return 0;
}
