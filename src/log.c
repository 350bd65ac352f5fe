/*
 * log.c: one line per fact on stderr (see log.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	4096

static enum log_format	log_format = LOG_LOGFMT;
static enum log_level	log_level = LOG_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

/* A line being built; overflowing text is cut, never written past the end. */
struct line {
	char	buf[LOG_LINE_MAX];
	size_t	len;
};

/* Sets the output format and the lowest level printed. Call once, early. */
void
log_init(enum log_format format, enum log_level level)
{
	log_format = format;
	log_level = level;
}

static void
put(struct line *l, const char *s, size_t n)
{
	if (n > sizeof(l->buf) - 2 - l->len)
		n = sizeof(l->buf) - 2 - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void
puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

/* Appends s as a value: JSON string, or logfmt, quoted when it must be. */
static void
put_string(struct line *l, const char *s)
{
	char esc[8];
	const char *p;
	int quote = (*s == '\0' || log_format == LOG_JSON);

	/* Backslashes are escaped below, which only a quoted value allows. */
	for (p = s; !quote && *p != '\0'; p++)
		if (*p == ' ' || *p == '=' || *p == '"' || *p == '\\' ||
		    (unsigned char)*p < 0x20)
			quote = 1;
	if (quote)
		put(l, "\"", 1);
	for (p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(l, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			puts_(l, esc);
		} else
			put(l, p, 1);
	}
	if (quote)
		put(l, "\"", 1);
}

static void
put_key(struct line *l, const char *key, size_t n, int first)
{
	if (log_format == LOG_JSON) {
		puts_(l, first ? "{\"" : ",\"");
		put(l, key, n);
		puts_(l, "\":");
	} else {
		if (!first)
			put(l, " ", 1);
		put(l, key, n);
		put(l, "=", 1);
	}
}

/*
 * Formats one conversion spec (spec, n bytes, starting with '%') taking its
 * argument from ap; numbers are written bare, strings as values.
 */
static void
put_conversion(struct line *l, const char *spec, size_t n, va_list *ap)
{
	char fmt[16], num[64];
	char conv = spec[n - 1];

	if (n >= sizeof(fmt))
		return;
	memcpy(fmt, spec, n);
	fmt[n] = '\0';
	if (conv == 's') {
		const char *s = va_arg(*ap, const char *);

		put_string(l, s != NULL ? s : "(null)");
		return;
	}
	if (conv == 'f' || conv == 'g')
		snprintf(num, sizeof(num), fmt, va_arg(*ap, double));
	else if (strstr(fmt, "ll") != NULL)
		snprintf(num, sizeof(num), fmt, va_arg(*ap, long long));
	else if (strchr(fmt, 'l') != NULL)
		snprintf(num, sizeof(num), fmt, va_arg(*ap, long));
	else if (strchr(fmt, 'z') != NULL)
		snprintf(num, sizeof(num), fmt, va_arg(*ap, size_t));
	else
		snprintf(num, sizeof(num), fmt, va_arg(*ap, int));
	puts_(l, num);
}

static void
emit(enum log_level level, const char *msg, const char *kvfmt, va_list ap)
{
	struct line l;
	struct timespec ts;
	struct tm tm;
	char stamp[96];
	const char *p;
	va_list aq;

	if (level < log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000));
	l.len = 0;
	put_key(&l, "ts", 2, 1);
	put_string(&l, stamp);
	put_key(&l, "level", 5, 0);
	put_string(&l, level_names[level]);
	put_key(&l, "msg", 3, 0);
	put_string(&l, msg);

	/* Walks "key=%x key2=%y": each pair becomes one field. */
	va_copy(aq, ap);
	for (p = kvfmt; p != NULL && *p != '\0';) {
		const char *eq, *conv;
		size_t n;

		while (*p == ' ')
			p++;
		if (*p == '\0' || (eq = strchr(p, '=')) == NULL || eq[1] != '%')
			break;
		put_key(&l, p, (size_t)(eq - p), 0);
		conv = eq + 1;
		n = strcspn(conv + 1, "sdufgi") + 2;
		put_conversion(&l, conv, n, &aq);
		p = conv + n;
	}
	va_end(aq);
	if (log_format == LOG_JSON)
		put(&l, "}", 1);
	l.buf[l.len++] = '\n';
	/* One write per line: concurrent workers never split each other's. */
	if (write(STDERR_FILENO, l.buf, l.len) == -1)
		return;	/* nowhere left to say it */
}

#define LOG_FN(name, level)						\
void									\
name(const char *msg, const char *kvfmt, ...)				\
{									\
	va_list ap;							\
									\
	va_start(ap, kvfmt);						\
	emit(level, msg, kvfmt, ap);					\
	va_end(ap);							\
}

LOG_FN(log_error, LOG_ERROR)
LOG_FN(log_warn, LOG_WARN)
LOG_FN(log_info, LOG_INFO)
LOG_FN(log_debug, LOG_DEBUG)
