/*
 * scrape.h: what the HTTP endpoint's tests (test_http) ask it, as a
 * scraper or a probe would: one GET with libcurl (status, Content-Type,
 * body), one sample's value found in a Prometheus text by its exact
 * "name{labels}" (as the endpoint writes the labels, in its order; a
 * series without labels is its name alone), and a TCP port on 127.0.0.1
 * that nothing listens on, for an endpoint to be started there.
 *
 * Memory: struct scrape_reply is the caller's; its body is allocated by
 * scrape_get() and freed by scrape_reply_release().
 */
#ifndef SCRAPE_H
#define SCRAPE_H

#include <stddef.h>

struct scrape_reply {
	long	 status;
	char	 content_type[128];
	char	 allow[64];		/* the Allow header, if any */
	char	*body;			/* NUL-terminated */
	size_t	 len;
};

int	scrape_get(const char *url, const char *method, int timeout_ms,
	    struct scrape_reply *r, char *err, size_t errlen);
void	scrape_reply_release(struct scrape_reply *r);
int	scrape_value(const char *text, const char *series, double *out);
int	scrape_free_port(void);

#endif /* SCRAPE_H */
