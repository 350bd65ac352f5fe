/*
 * tmp.c: temporary directories and small files for tests (see tmp.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmp.h"

/*
 * Makes a new, empty directory $TMPDIR/<prefix>XXXXXX (or under /tmp when
 * TMPDIR is unset or empty), mode 0700, and writes its path to out. Returns
 * 0, or -1 with errno set (ENAMETOOLONG when outlen is too small) and out
 * unchanged.
 */
int
tmp_dir(const char *prefix, char *out, size_t outlen)
{
	const char *base;
	char path[4096];
	int n;

	if ((base = getenv("TMPDIR")) == NULL || *base == '\0')
		base = "/tmp";
	n = snprintf(path, sizeof(path), "%s/%sXXXXXX", base, prefix);
	if (n < 0 || (size_t)n >= sizeof(path) || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdtemp(path) == NULL)
		return -1;
	memcpy(out, path, (size_t)n + 1);
	return 0;
}

/* nftw callback: removes one entry; children come first (FTW_DEPTH). */
static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		return rmdir(path) == -1 && errno != ENOENT ? -1 : 0;
	return unlink(path) == -1 && errno != ENOENT ? -1 : 0;
}

/*
 * Removes path and everything under it, like rm -rf: symbolic links are
 * removed, never followed. A path that does not exist is not an error.
 * Returns 0, or -1 with errno set when something could not be removed (the
 * rest is still attempted up to that point).
 */
int
tmp_rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) == -1 && errno != ENOENT ? -1 : 0;
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/*
 * Creates or truncates path (mode 0644 before umask) and writes text to it.
 * Returns 0, or -1 with errno set.
 */
int
tmp_write_file(const char *path, const char *text)
{
	size_t len = strlen(text), done = 0;
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1)
		return -1;
	while (done < len) {
		if ((n = write(fd, text + done, len - done)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		done += (size_t)n;
	}
	if (close(fd) == -1)
		return -1;
	return 0;

fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * Writes text to path as tmp_write_file() does, then gives the file mode,
 * whatever the umask: 0600 for a secret the projector must not warn about,
 * wider for one it must. Returns 0, or -1 with errno set.
 */
int
tmp_write_file_mode(const char *path, const char *text, mode_t mode)
{
	if (tmp_write_file(path, text) == -1 || chmod(path, mode) == -1)
		return -1;
	return 0;
}

/*
 * Reads the whole of path into *text, NUL-terminated (the file may hold NULs
 * of its own; *len, when not NULL, is the byte count without the added NUL).
 * The caller frees *text with free(). Returns 0, or -1 with errno set and
 * *text unchanged.
 */
int
tmp_read_file(const char *path, char **text, size_t *len)
{
	char *buf = NULL, *nbuf;
	size_t size = 0, used = 0;
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	for (;;) {
		if (used + 1 >= size) {
			size = size == 0 ? 4096 : size * 2;
			if ((nbuf = realloc(buf, size)) == NULL)
				goto fail;
			buf = nbuf;
		}
		if ((n = read(fd, buf + used, size - used - 1)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	buf[used] = '\0';
	*text = buf;
	if (len != NULL)
		*len = used;
	return 0;

fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return -1;
}
