/*
 * xmalloc.h: allocation that cannot fail.
 *
 * Each function aborts the process with a message on stderr when memory runs
 * out, so that callers keep no NULL checks for it (tmux's xmalloc.c). What
 * they return is owned by the caller and released with free().
 */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* XMALLOC_H */
