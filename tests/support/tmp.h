/*
 * tmp.h: temporary directories and small files for tests.
 *
 * Every test that writes to disk makes its own directory with tmp_dir() and
 * removes it with tmp_rm_rf() in its teardown, so that tests running in
 * parallel (several engineers, several build dirs) never share a path.
 * Paths are plain char buffers owned by the caller; nothing here allocates
 * memory that outlives a call, except tmp_read_file()'s result.
 */
#ifndef TMP_H
#define TMP_H

#include <stddef.h>
#include <sys/types.h>

int	tmp_dir(const char *prefix, char *out, size_t outlen);
int	tmp_rm_rf(const char *path);
int	tmp_write_file(const char *path, const char *text);
int	tmp_write_file_mode(const char *path, const char *text, mode_t mode);
int	tmp_read_file(const char *path, char **text, size_t *len);

#endif /* TMP_H */
