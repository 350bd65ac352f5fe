/*
 * health.h: `projector health`, the probe a container's HEALTHCHECK or a
 * compose file runs, where there is no curl: one GET of the running
 * projector's /livez, or /readyz with a selection, at the configured
 * http.listen (a wildcard address is asked on loopback), with libcurl.
 *
 * Memory: nothing is kept; the body goes to the caller's stream.
 */
#ifndef HEALTH_H
#define HEALTH_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

#define HEALTH_TIMEOUT_MS	5000

int	health_probe(const struct config_http *cfg, int ready,
	    const char *account, const char *projection, FILE *out,
	    long *status, char *err, size_t errlen);

#endif /* HEALTH_H */
