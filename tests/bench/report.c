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
	snprintf(value, sizeof(value), "%.0f ev/s", r->catchup_eps);
	report_line(fp, "catch-up (run --once, empty db)", value, "", "");
	snprintf(value, sizeof(value), "%.0f ev/s", r->replay_eps);
	report_line(fp, "replay (replay --once, all three)", value,
	    ">= catch-up", report_verdict(r->replay_eps >= r->catchup_eps));
	snprintf(value, sizeof(value), "%.2f", cu);
	snprintf(target, sizeof(target), ">= %.2f", REPORT_RATIO_MIN);
	report_line(fp, "catch-up / ceiling", value, target,
	    report_verdict(cu >= REPORT_RATIO_MIN));
	snprintf(value, sizeof(value), "%.2f", rp);
	report_line(fp, "replay / ceiling", value, target,
	    report_verdict(rp >= REPORT_RATIO_MIN));
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
	snprintf(what, sizeof(what), "peak RSS replay, %llu events",
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
	fprintf(fp, "\n(stream prepared at %.0f ev/s", r->publish_eps);
	if (r->probe > 0)
		fprintf(fp, "; catch-up of the %llu-event probe: %.0f ev/s",
		    (unsigned long long)r->probe, r->probe_eps);
	fprintf(fp, ")\n");
}
