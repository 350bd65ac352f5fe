/*
 * secret.c: secrets read from files (see secret.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "xmalloc.h"

/*
 * Reads the secret in path (at most SECRET_MAX bytes), dropping trailing
 * newlines and carriage returns. Returns 0 and sets *out, or -1 with a
 * reason in err that names the file but never its content.
 */
int
secret_read(const char *path, char **out, char *err, size_t errlen)
{
	FILE *fp;
	char *buf;
	size_t n, len;

	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	buf = xmalloc(SECRET_MAX + 1);
	n = fread(buf, 1, SECRET_MAX + 1, fp);
	/* Trimmed first: a file of nothing but line ends is empty too. */
	len = n;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (ferror(fp) || n > SECRET_MAX || len == 0) {
		snprintf(err, errlen, "%s: %s", path, ferror(fp) ?
		    "cannot read" : n > SECRET_MAX ? "is too large" : "is empty");
		fclose(fp);
		explicit_bzero(buf, SECRET_MAX + 1);
		free(buf);
		return -1;
	}
	fclose(fp);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/*
 * Returns 1 with a warning in warn when path is readable or writable by
 * group or others, 0 when only its owner can use it, -1 (and the reason in
 * warn) when it cannot be examined.
 */
int
secret_check_mode(const char *path, char *warn, size_t warnlen)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		snprintf(warn, warnlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) == 0)
		return 0;
	snprintf(warn, warnlen, "%s is accessible to group or others (mode %04o);"
	    " chmod 600 it", path, (unsigned)(st.st_mode & 07777));
	return 1;
}

/* Wipes and frees a secret. Accepts NULL. */
void
secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}
