/*
 * plugin.c: loading one projection built as a shared object (see plugin.h).
 */
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "plugin.h"
#include "registry.h"
#include "xmalloc.h"

struct plugin {
	struct projection	 desc;	/* the engine's size, zero-filled */
	char			*path;
	char			 sha256[DIGEST_HEX_LEN + 1];
};

/*
 * The owner and mode rules of a plug-in and of its directory: owned by root
 * or by the user projector runs as, and writable by nobody else. Returns 0,
 * or -1 with the sentence in err.
 */
static int
safe(const char *what, const char *path, const struct stat *st, char *err,
    size_t errlen)
{
	uid_t me = geteuid();

	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s %s must be writable only by its"
		    " owner (mode %04o): chmod go-w it", what, path,
		    (unsigned)(st->st_mode & 07777));
		return -1;
	}
	if (st->st_uid != 0 && st->st_uid != me) {
		snprintf(err, errlen, "%s %s must be owned by root or by uid"
		    " %u, the user projector runs as (owner %u)", what, path,
		    (unsigned)me, (unsigned)st->st_uid);
		return -1;
	}
	return 0;
}

/*
 * Opens path and checks it and its directory (plugin.h). Sets *fd, open on
 * the file that was checked. Returns PLUGIN_OK, or an error with err.
 */
static enum plugin_result
open_checked(const char *path, int *fd, char *err, size_t errlen)
{
	struct stat st, dst;
	char *real = NULL, *dir;
	enum plugin_result r = PLUGIN_EINVALID;

	if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return PLUGIN_ENOFILE;
	}
	if (fstat(*fd, &st) == -1) {
		snprintf(err, errlen, "cannot stat %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file: name the"
		    " shared object itself", path);
		goto fail;
	}
	if (st.st_size > PLUGIN_MAX_BYTES) {
		snprintf(err, errlen, "%s has %lld bytes, more than a plug-in"
		    " may (%d)", path, (long long)st.st_size, PLUGIN_MAX_BYTES);
		goto fail;
	}
	if (safe("plug-in", path, &st, err, errlen) == -1)
		goto fail;
	/* The directory of the file itself, symbolic links resolved. */
	if ((real = realpath(path, NULL)) == NULL) {
		snprintf(err, errlen, "cannot resolve %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	dir = dirname(real);
	if (stat(dir, &dst) == -1) {
		snprintf(err, errlen, "cannot stat %s: %s", dir,
		    strerror(errno));
		goto fail;
	}
	if (safe("the directory", dir, &dst, err, errlen) == -1)
		goto fail;
	r = PLUGIN_OK;
fail:
	free(real);
	if (r != PLUGIN_OK) {
		close(*fd);
		*fd = -1;
	}
	return r;
}

/* The SHA-256 of the file open on fd, read whole. Returns 0, or -1 with err. */
static int
fingerprint(int fd, const char *path, char sha256[DIGEST_HEX_LEN + 1],
    char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t have = 0;
	ssize_t n;
	int rc = -1;

	if (fstat(fd, &st) == -1)
		goto done;
	buf = xmalloc((size_t)st.st_size + 1);
	while (have < (size_t)st.st_size) {
		n = pread(fd, buf + have, (size_t)st.st_size - have,
		    (off_t)have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto done;
		have += (size_t)n;
	}
	rc = digest_sha256_hex(buf, have, sha256);
done:
	if (rc == -1)
		snprintf(err, errlen, "cannot read %s: %s", path,
		    errno != 0 ? strerror(errno) : "short read");
	free(buf);
	return rc;
}

/*
 * dlerror() names the file as it was opened, /proc/self/fd/N: say path
 * instead.
 */
static const char *
dl_reason(const char *fdpath, const char *reason)
{
	size_t n = strlen(fdpath);

	if (reason == NULL)
		return "unknown reason";
	if (strncmp(reason, fdpath, n) == 0 && strncmp(reason + n, ": ", 2) == 0)
		return reason + n + 2;
	return reason;
}

/*
 * The plug-in must call the engine's SQLite and jansson, not copies of its
 * own, and must not be newer than them. Returns 0, or -1 with err.
 */
static int
same_libraries(const struct projection *d, const char *path, char *err,
    size_t errlen)
{
	if (d->sqlite_probe == NULL || d->jansson_probe == NULL) {
		snprintf(err, errlen, "%s: its descriptor has no library"
		    " probes: fill it with PROJECTION_HEADER", path);
		return -1;
	}
	if (d->sqlite_probe != sqlite3_libversion) {
		snprintf(err, errlen, "%s uses its own copy of SQLite (%s):"
		    " link it with -lsqlite3, so that it uses projector's %s"
		    " (two copies of SQLite in one process corrupt databases)",
		    path, d->sqlite_probe(), sqlite3_libversion());
		return -1;
	}
	if (d->sqlite_version > sqlite3_libversion_number()) {
		snprintf(err, errlen, "%s was built against SQLite %d, newer"
		    " than the %d projector runs with: build it on this"
		    " system", path, d->sqlite_version,
		    sqlite3_libversion_number());
		return -1;
	}
	if (d->jansson_probe != json_object) {
		snprintf(err, errlen, "%s uses its own copy of jansson: link it"
		    " with -ljansson, so that it uses projector's %s", path,
		    JANSSON_VERSION);
		return -1;
	}
	if (d->jansson_version > JANSSON_VERSION_HEX) {
		snprintf(err, errlen, "%s was built against jansson %06x,"
		    " newer than projector's %06x: build it on this system",
		    path, (unsigned)d->jansson_version,
		    (unsigned)JANSSON_VERSION_HEX);
		return -1;
	}
	return 0;
}

/*
 * Loads the plug-in at path, which the configuration calls name (plugin.h).
 * Returns PLUGIN_OK and sets *out, or PLUGIN_ENOFILE or PLUGIN_EINVALID
 * with the reason in err; nothing of the plug-in ran unless the entry point
 * was found (its constructors, if any, run in dlopen()).
 */
enum plugin_result
plugin_load(const char *name, const char *path, struct plugin **out,
    char *err, size_t errlen)
{
	const struct projection *(*entry)(void);
	const struct projection *d;
	struct plugin *p;
	enum plugin_result r;
	char fdpath[64], why[512];
	void *h;
	int fd;

	if ((r = open_checked(path, &fd, err, errlen)) != PLUGIN_OK)
		return r;
	p = xcalloc(1, sizeof(*p));
	p->path = xstrdup(path);
	r = PLUGIN_EINVALID;
	if (fingerprint(fd, path, p->sha256, err, errlen) == -1)
		goto fail;
	/*
	 * Loaded through the descriptor that was checked. That descriptor
	 * then stays open for good, whatever follows: the loader knows the
	 * object by this name, and would hand the same object back for a
	 * later /proc/self/fd/N that reused the number.
	 */
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if ((h = dlopen(fdpath, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "cannot load %s: %s (is it a shared"
		    " object built for this system? a library it needs may be"
		    " missing or too old: try ldd %s)", path,
		    dl_reason(fdpath, dlerror()), path);
		goto fail;
	}
	fd = -1;
	/* POSIX: a function pointer and void * convert (dlsym(3)). */
	*(void **)&entry = dlsym(h, PROJECTION_ENTRY);
	if (entry == NULL) {
		snprintf(err, errlen, "%s exports no %s(): is it a projector"
		    " plug-in built with PROJECTION_EXPORT?", path,
		    PROJECTION_ENTRY);
		goto fail;
	}
	if ((d = entry()) == NULL) {
		snprintf(err, errlen, "%s: %s() returned NULL", path,
		    PROJECTION_ENTRY);
		goto fail;
	}
	if (registry_check_header(d, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s is %s", path, why);
		goto fail;
	}
	/* The fields it has; the newer ones the engine knows stay zero. */
	memcpy(&p->desc, d, d->size < sizeof(p->desc) ? d->size :
	    sizeof(p->desc));
	p->desc.size = sizeof(p->desc);
	if (p->desc.name == NULL || strcmp(p->desc.name, name) != 0) {
		snprintf(err, errlen, "%s holds projection \"%s\", not \"%s\":"
		    " name it \"%s\" under plugins:, or point to the right"
		    " file", path, p->desc.name != NULL ? p->desc.name : "",
		    name, p->desc.name != NULL ? p->desc.name : "");
		goto fail;
	}
	if (same_libraries(&p->desc, path, err, errlen) == -1)
		goto fail;
	r = PLUGIN_OK;
fail:
	if (fd != -1)
		close(fd);
	if (r != PLUGIN_OK) {
		plugin_free(p);
		return r;
	}
	*out = p;
	return PLUGIN_OK;
}

const struct projection *
plugin_projection(const struct plugin *p)
{
	return &p->desc;
}

const char *
plugin_path(const struct plugin *p)
{
	return p->path;
}

/* The SHA-256 of the file that was loaded, as hex. */
const char *
plugin_sha256(const struct plugin *p)
{
	return p->sha256;
}

/* Releases p but never unloads its shared object. Accepts NULL. */
void
plugin_free(struct plugin *p)
{
	if (p == NULL)
		return;
	free(p->path);
	free(p);
}
