/*
 * log.h: one line per fact on stderr, as logfmt (default) or JSON.
 *
 * Each call names the fact (msg) and gives its context as a printf format of
 * space-separated key=%conversion pairs, checked by the compiler:
 *
 *	log_info("batch committed", "account=%s events=%zu last_seq=%llu",
 *	    name, n, (unsigned long long)seq);
 *
 * prints  ts=2026-11-27T21:00:00.123Z level=info msg="batch committed"
 * account=ga-1 events=1000 last_seq=52000  (values are quoted when needed),
 * or the same fields as one JSON object. Supported conversions: %s %d %u %ld
 * %lu %lld %llu %zu %zd %f %.Nf %g. A line is written with one write(2), so
 * threads never interleave within a line.
 *
 * Only main.c and the worker module's files (worker*.c) log; everything
 * else, including the rebuild thread, returns its error text or reports to
 * its owner, which logs. Never pass a secret or a payload to these
 * functions.
 *
 * The format and level are set once by log_init() at start-up, before any
 * thread exists; they are the only global state besides the stop flag.
 *
 * Memory: nothing is allocated; a line is built on the caller's stack, cut
 * at a fixed length, and everything passed is only read during the call.
 */
#ifndef LOG_H
#define LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_LOGFMT = 0, LOG_JSON };

void	log_init(enum log_format format, enum log_level level);
void	log_error(const char *msg, const char *kvfmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_warn(const char *msg, const char *kvfmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_info(const char *msg, const char *kvfmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_debug(const char *msg, const char *kvfmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif /* LOG_H */
