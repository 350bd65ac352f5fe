/*
 * procstat.c: this process's standard figures (see procstat.h), the way
 * Prometheus's Go client reads them on Linux.
 */
#include <sys/resource.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procstat.h"

/* The boot time, Unix seconds: /proc/stat's btime line. */
static int
procstat_btime(long long *out)
{
	char line[256];
	FILE *f;
	int rc = -1;

	if ((f = fopen("/proc/stat", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "btime %lld", out) == 1) {
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

/*
 * Start time: field 22 of /proc/self/stat, in clock ticks after boot. The
 * second field, the command in parentheses, may hold spaces and ')': the
 * fields are counted from its last ')'.
 */
static int
procstat_start(double *out)
{
	char buf[1024], *p;
	unsigned long long ticks;
	long long btime;
	long hz = sysconf(_SC_CLK_TCK);
	size_t n;
	FILE *f;
	int i;

	if ((f = fopen("/proc/self/stat", "re")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || hz <= 0 ||
	    procstat_btime(&btime) == -1)
		return -1;
	/* After ')': field 3 is the state; 22 is 19 fields on. */
	for (i = 0; i < 20 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %llu", &ticks) != 1)
		return -1;
	*out = (double)btime + (double)ticks / (double)hz;
	return 0;
}

static int
procstat_rss(uint64_t *out)
{
	unsigned long long size, resident;
	long page = sysconf(_SC_PAGESIZE);
	FILE *f;
	int rc;

	if ((f = fopen("/proc/self/statm", "re")) == NULL)
		return -1;
	rc = fscanf(f, "%llu %llu", &size, &resident) == 2 && page > 0 ? 0 :
	    -1;
	fclose(f);
	if (rc == 0)
		*out = (uint64_t)resident * (uint64_t)page;
	return rc;
}

/* Entries of /proc/self/fd, less the one opendir() holds to list them. */
static int
procstat_fds(uint64_t *out)
{
	struct dirent *e;
	uint64_t n = 0;
	DIR *d;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	*out = n > 0 ? n - 1 : 0;
	return 0;
}

/*
 * Fills ps. Returns 0, or -1 with the first figure that could not be read
 * named in err; the others are still filled (those not read are 0).
 */
int
procstat_read(struct procstat *ps, char *err, size_t errlen)
{
	struct rusage ru;
	struct rlimit rl;
	const char *failed = NULL;

	memset(ps, 0, sizeof(*ps));
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		ps->cpu_seconds = (double)ru.ru_utime.tv_sec +
		    (double)ru.ru_stime.tv_sec +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	else
		failed = "getrusage";
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		ps->max_fds = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX :
		    (uint64_t)rl.rlim_cur;
	else if (failed == NULL)
		failed = "getrlimit";
	if (procstat_start(&ps->start_time) == -1 && failed == NULL)
		failed = "/proc/self/stat";
	if (procstat_rss(&ps->rss_bytes) == -1 && failed == NULL)
		failed = "/proc/self/statm";
	if (procstat_fds(&ps->open_fds) == -1 && failed == NULL)
		failed = "/proc/self/fd";
	if (failed == NULL)
		return 0;
	snprintf(err, errlen, "cannot read %s: %s", failed, strerror(errno));
	return -1;
}
