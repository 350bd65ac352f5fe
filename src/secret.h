/*
 * secret.h: secrets read from files, and the files' modes judged.
 *
 * Secrets (passwords, tokens) are never in the configuration, never logged
 * and never copied further than the NATS options that need them.
 * secret_read() returns the file's content without its trailing newline;
 * secret_free() wipes it before freeing it. secret_check_mode() says whether
 * a secret file is readable by group or others, which draws a warning (not a
 * refusal: Docker secrets are mounted 0444).
 *
 * Memory: the string secret_read() returns is owned by the caller and
 * released with secret_free(), which accepts NULL.
 */
#ifndef SECRET_H
#define SECRET_H

#include <stddef.h>

#define SECRET_MAX	65536

int	secret_read(const char *path, char **out, char *err, size_t errlen);
int	secret_check_mode(const char *path, char *warn, size_t warnlen);
void	secret_free(char *s);

#endif /* SECRET_H */
