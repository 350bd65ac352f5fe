/*
 * scrape.c: asking an HTTP endpoint as a scraper would (see scrape.h).
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "scrape.h"

/* Keeps the headers scrape.h names, as libcurl hands them one by one. */
static size_t
scrape_header(char *line, size_t size, size_t n, void *arg)
{
	struct scrape_reply *r = arg;
	size_t len = size * n, k, vlen;
	const char *v;

	if ((v = memchr(line, ':', len)) == NULL)
		return len;
	k = (size_t)(v - line);
	for (v++; v < line + len && *v == ' '; v++)
		;
	vlen = (size_t)(line + len - v);
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
		vlen--;
	if (k == 12 && strncasecmp(line, "Content-Type", k) == 0)
		snprintf(r->content_type, sizeof(r->content_type), "%.*s",
		    (int)vlen, v);
	else if (k == 5 && strncasecmp(line, "Allow", k) == 0)
		snprintf(r->allow, sizeof(r->allow), "%.*s", (int)vlen, v);
	return len;
}

/*
 * Sends method (NULL: GET; "HEAD" asks for no body) to url, never through
 * a proxy, within timeout_ms. Returns 0 with *r filled when an answer came,
 * whatever its status; -1 with the reason in err when none did.
 */
int
scrape_get(const char *url, const char *method, int timeout_ms,
    struct scrape_reply *r, char *err, size_t errlen)
{
	char cerr[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	CURL *curl;
	FILE *body;

	memset(r, 0, sizeof(*r));
	if ((curl = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	if ((body = open_memstream(&r->body, &r->len)) == NULL) {
		snprintf(err, errlen, "open_memstream failed");
		curl_easy_cleanup(curl);
		return -1;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, scrape_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	if (method != NULL && strcmp(method, "HEAD") == 0)
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	else if (method != NULL)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	else
		snprintf(err, errlen, "%s: %s", url, cerr[0] != '\0' ? cerr :
		    curl_easy_strerror(rc));
	curl_easy_cleanup(curl);
	fclose(body);
	if (rc != CURLE_OK) {
		scrape_reply_release(r);
		return -1;
	}
	return 0;
}

void
scrape_reply_release(struct scrape_reply *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

/*
 * Finds the line that starts with series and a space in text, the
 * exposition, and reads its value. Returns 0 with *out set, or -1.
 */
int
scrape_value(const char *text, const char *series, double *out)
{
	size_t n = strlen(series);
	const char *line;
	char *end;

	for (line = text; line != NULL && *line != '\0';
	    line = strchr(line, '\n'), line = line != NULL ? line + 1 : NULL)
		if (strncmp(line, series, n) == 0 && line[n] == ' ') {
			*out = strtod(line + n + 1, &end);
			return end == line + n + 1 ? -1 : 0;
		}
	return -1;
}

/*
 * A port on 127.0.0.1 the kernel just gave out and nothing listens on.
 * Another process may take it before the caller does: the tests run one
 * after the other, and the kernel hands ports out in turn. -1 on failure.
 */
int
scrape_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}
