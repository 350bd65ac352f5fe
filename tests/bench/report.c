/*
 * report.c: the benchmark's one table (see report.h).
 */
#include <stdio.h>

#include "report.h"

static double
report_mib(long kib)
{
	return (double)kib / 1024.0;
}

static const char *
report_verdict(int ok)
{
	return ok ? "PASS" : "MISS";
}

/* One line: what, the value (already formatted), the target and verdict. */
static void
report_line(FILE *fp, const char *what, const char *value, const char *target,
    const char *verdict)
{
	fprintf(fp, "%-36s %16s   %-22s %s\n", what, value, target, verdict);
}

static double
report_ratio(const struct check_archive *a)
{
	return a->file_bytes > 0 ? (double)a->raw_bytes /
	    (double)a->file_bytes : 0.0;
}

/* The archive's lines (issue 9): its size, and what it costs. */
static void
report_archive(const struct report *r, FILE *fp)
{
	char what[64], value[32], target[32];
	double cost = 1.0 - r->catchup_eps / r->catchup_noarch_eps;

	snprintf(target, sizeof(target), ">= %.0fx", REPORT_ARCHIVE_RATIO);
	snprintf(what, sizeof(what), "archive ratio, catch-up of %llu",
	    (unsigned long long)r->n);
	snprintf(value, sizeof(value), "%.2fx", report_ratio(&r->archive));
	report_line(fp, what, value, target, report_verdict(
	    report_ratio(&r->archive) >= REPORT_ARCHIVE_RATIO));
	snprintf(what, sizeof(what), "archive ratio, %llu one a batch",
	    (unsigned long long)r->trickle_n);
	snprintf(value, sizeof(value), "%.2fx", report_ratio(&r->trickle));
	report_line(fp, what, value, target, report_verdict(
	    report_ratio(&r->trickle) >= REPORT_ARCHIVE_RATIO));
	snprintf(value, sizeof(value), "%.1f MiB", (double)r->archive.file_bytes
	    / (1024.0 * 1024.0) * 1e6 / (double)r->n);
	report_line(fp, "archive on disk per 1,000,000 events", value, "", "");
	snprintf(value, sizeof(value), "%.0f ev/s", r->catchup_noarch_eps);
	report_line(fp, "catch-up without the archive", value, "", "");
	snprintf(value, sizeof(value), "%.1f%%", 100.0 * cost);
	snprintf(target, sizeof(target), "<= %.0f%%",
	    100.0 * REPORT_ARCHIVE_COST);
	report_line(fp, "archiving's cost on catch-up", value, target,
	    report_verdict(cost <= REPORT_ARCHIVE_COST));
	snprintf(value, sizeof(value), "%.1f MiB",
	    report_mib(r->replay_stream_rss_kib));
	snprintf(target, sizeof(target), "<= %.0f MiB", REPORT_RSS_MAX_MIB);
	report_line(fp, "peak RSS replay from the stream", value, target,
	    report_verdict(report_mib(r->replay_stream_rss_kib) <=
	    REPORT_RSS_MAX_MIB));
	fprintf(fp, "(the trickle folded %.0f ev/s, one commit each)\n",
	    r->trickle_eps);
}

/* Prints the table of r to fp. Cannot fail (fp's errors are fp's). */
void
report_print(const struct report *r, FILE *fp)
{
	char what[64], value[32], target[32];
	double cu = r->catchup_eps / r->ceiling_eps;
	double rp = r->replay_eps / r->ceiling_eps;
	double growth;

	fprintf(fp, "\nprojector benchmark: N=%llu events (%d servers, %d "
	    "players, seed %llu), batch.max_events=%d, max_wait_ms=%d\n\n",
	    (unsigned long long)r->n, r->servers, r->players,
	    (unsigned long long)r->seed, r->batch, r->wait_ms);
	report_line(fp, "measure", "value", "target", "verdict");
	report_line(fp, "-------", "-----", "------", "-------");
	snprintf(value, sizeof(value), "%.0f ev/s", r->ceiling_eps);
	report_line(fp, "ceiling (cnats fetch + AckSync)", value, "", "");
	snprintf(value, sizeof(value), "%.0f ev/s", r->foldonly_eps);
	snprintf(target, sizeof(target), ">= %d ev/s", REPORT_FOLDONLY_MIN);
	snprintf(what, sizeof(what), "fold-only, %d a batch", r->batch);
	report_line(fp, what, value, target,
	    report_verdict(r->foldonly_eps >= REPORT_FOLDONLY_MIN));
	snprintf(value, sizeof(value), "%.0f ev/s", r->foldonly_bulk_eps);
	report_line(fp, "fold-only, as a rebuild (5000, bulk)", value, "", "");
	snprintf(value, sizeof(value), "%.0f ev/s", r->plugin_builtin_eps);
	snprintf(what, sizeof(what), "fold-only %llu, leaderboard built in",
	    (unsigned long long)r->plugin_n);
	report_line(fp, what, value, "", "");
	snprintf(value, sizeof(value), "%.0f ev/s", r->plugin_eps);
	snprintf(what, sizeof(what), "fold-only %llu, leaderboard plug-in",
	    (unsigned long long)r->plugin_n);
	report_line(fp, what, value, "", "");
	growth = r->plugin_builtin_eps > 0 ? r->plugin_eps /
	    r->plugin_builtin_eps : 0;
	snprintf(value, sizeof(value), "%.2f", growth);
	snprintf(target, sizeof(target), ">= %.2f (the same)",
	    REPORT_PLUGIN_MIN);
	report_line(fp, "plug-in / built-in", value, target,
	    report_verdict(growth >= REPORT_PLUGIN_MIN));
	snprintf(value, sizeof(value), "%.0f ev/s", r->catchup_eps);
	report_line(fp, "catch-up (run --once, empty db)", value, "", "");
	snprintf(value, sizeof(value), "%.0f ev/s", r->replay_eps);
	report_line(fp, "replay (from the archive, all three)", value,
	    ">= catch-up", report_verdict(r->replay_eps >= r->catchup_eps));
	snprintf(value, sizeof(value), "%.0f ev/s", r->replay_stream_eps);
	report_line(fp, "replay (from the stream, no archive)", value,
	    ">= catch-up", report_verdict(r->replay_stream_eps >=
	    r->catchup_noarch_eps));
	snprintf(value, sizeof(value), "%.2f", cu);
	snprintf(target, sizeof(target), ">= %.2f", REPORT_RATIO_MIN);
	report_line(fp, "catch-up / ceiling", value, target,
	    report_verdict(cu >= REPORT_RATIO_MIN));
	snprintf(value, sizeof(value), "%.2f", r->replay_stream_eps /
	    r->ceiling_eps);
	report_line(fp, "replay from the stream / ceiling", value, target,
	    report_verdict(r->replay_stream_eps / r->ceiling_eps >=
	    REPORT_RATIO_MIN));
	snprintf(value, sizeof(value), "%.2f", rp);
	snprintf(target, sizeof(target), ">= %.2f", REPORT_ARCHIVE_REPLAY);
	report_line(fp, "replay from the archive / ceiling", value, target,
	    report_verdict(rp >= REPORT_ARCHIVE_REPLAY));
	snprintf(target, sizeof(target), "<= %.0f MiB", REPORT_RSS_MAX_MIB);
	if (r->probe > 0) {
		snprintf(what, sizeof(what), "peak RSS catch-up, %llu events",
		    (unsigned long long)r->probe);
		snprintf(value, sizeof(value), "%.1f MiB",
		    report_mib(r->probe_rss_kib));
		report_line(fp, what, value, target, report_verdict(
		    report_mib(r->probe_rss_kib) <= REPORT_RSS_MAX_MIB));
	}
	snprintf(what, sizeof(what), "peak RSS catch-up, %llu events",
	    (unsigned long long)r->n);
	snprintf(value, sizeof(value), "%.1f MiB", report_mib(r->catchup_rss_kib));
	report_line(fp, what, value, target, report_verdict(
	    report_mib(r->catchup_rss_kib) <= REPORT_RSS_MAX_MIB));
	if (r->probe > 0) {
		growth = (double)r->catchup_rss_kib / (double)r->probe_rss_kib;
		snprintf(what, sizeof(what), "RSS growth %llu -> %llu",
		    (unsigned long long)r->probe, (unsigned long long)r->n);
		snprintf(value, sizeof(value), "x%.2f", growth);
		snprintf(target, sizeof(target), "flat: <= x%.2f",
		    REPORT_FLAT_MAX);
		report_line(fp, what, value, target,
		    report_verdict(growth <= REPORT_FLAT_MAX));
		snprintf(target, sizeof(target), "<= %.0f MiB",
		    REPORT_RSS_MAX_MIB);
	} else
		report_line(fp, "RSS growth", "n/a", "N too small for a probe",
		    "");
	snprintf(what, sizeof(what), "peak RSS replay (archive), %llu",
	    (unsigned long long)r->n);
	snprintf(value, sizeof(value), "%.1f MiB", report_mib(r->replay_rss_kib));
	report_line(fp, what, value, target, report_verdict(
	    report_mib(r->replay_rss_kib) <= REPORT_RSS_MAX_MIB));
	snprintf(what, sizeof(what), "latency p50 (%.0f ev/s for %d s)",
	    r->lat_rate, r->lat_seconds);
	snprintf(value, sizeof(value), "%.1f ms", r->lat.p50_ms);
	report_line(fp, what, value, "", "");
	snprintf(value, sizeof(value), "%.1f ms", r->lat.p99_ms);
	snprintf(target, sizeof(target), "<= %.0f ms", REPORT_P99_MAX_MS);
	report_line(fp, "latency p99", value, target,
	    report_verdict(r->lat.p99_ms <= REPORT_P99_MAX_MS));
	snprintf(value, sizeof(value), "%.1f ms", r->lat.max_ms);
	report_line(fp, "latency max", value, "", "");
	report_archive(r, fp);
	fprintf(fp, "\n(stream prepared at %.0f ev/s", r->publish_eps);
	if (r->probe > 0)
		fprintf(fp, "; catch-up of the %llu-event probe: %.0f ev/s",
		    (unsigned long long)r->probe, r->probe_eps);
	fprintf(fp, ")\n");
}
