/*
 * health.c: one GET of the endpoint's /livez or /readyz (see health.h).
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "health.h"

/* Where to ask: a wildcard is listened on everywhere, loopback included. */
static const char *
health_host(const char *host)
{
	if (strcmp(host, "0.0.0.0") == 0)
		return "127.0.0.1";
	if (strcmp(host, "::") == 0)
		return "::1";
	return host;
}

/* Appends "&name=value", URL-escaped, to url; -1 when out of room. */
static int
health_arg(CURL *curl, char *url, size_t len, const char *name,
    const char *value)
{
	size_t used = strlen(url);
	char *v;
	int n;

	if (value == NULL)
		return 0;
	if ((v = curl_easy_escape(curl, value, 0)) == NULL)
		return -1;
	n = snprintf(url + used, len - used, "%s%s=%s",
	    strchr(url, '?') != NULL ? "&" : "?", name, v);
	curl_free(v);
	return n < 0 || (size_t)n >= len - used ? -1 : 0;
}

/*
 * Asks the endpoint configured in cfg (cfg->listen must not be NULL) for
 * /livez, or with ready for /readyz?account=&projection= (each when not
 * NULL), within HEALTH_TIMEOUT_MS, never through a proxy. On an answer,
 * whatever its status, writes its body to out, sets *status and returns 0;
 * when there is none (cannot connect, timeout), returns -1 with
 * "cannot reach URL: reason" in err.
 */
int
health_probe(const struct config_http *cfg, int ready, const char *account,
    const char *projection, FILE *out, long *status, char *err,
    size_t errlen)
{
	char url[1024], cerr[CURL_ERROR_SIZE] = "";
	const char *host = health_host(cfg->host);
	CURLcode rc;
	CURL *curl;
	int v6 = strchr(host, ':') != NULL;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (curl = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "cannot start libcurl");
		return -1;
	}
	snprintf(url, sizeof(url), "http://%s%s%s:%d/%s", v6 ? "[" : "", host,
	    v6 ? "]" : "", cfg->port, ready ? "readyz" : "livez");
	if (ready && (health_arg(curl, url, sizeof(url), "account",
	    account) == -1 || health_arg(curl, url, sizeof(url), "projection",
	    projection) == -1)) {
		snprintf(err, errlen, "the selection is too long");
		rc = CURLE_URL_MALFORMAT;
		goto done;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)HEALTH_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, cerr);
	/* libcurl's own write function fwrite()s to WRITEDATA. */
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
	if ((rc = curl_easy_perform(curl)) != CURLE_OK)
		snprintf(err, errlen, "cannot reach %s: %s", url, cerr[0] !=
		    '\0' ? cerr : curl_easy_strerror(rc));
	else
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
done:
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	return rc == CURLE_OK ? 0 : -1;
}
