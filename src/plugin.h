/*
 * plugin.h: loading one projection built as a shared object (a plug-in).
 *
 * plugin_load() refuses an unsafe file before it loads it: not a regular
 * file, writable by group or others, owned by someone other than root or
 * the user projector runs as, or in a directory that others may write to
 * (sudo's rules). It then loads it with dlopen(RTLD_NOW | RTLD_LOCAL), so
 * that a missing symbol fails here and not at the first event, through the
 * descriptor it opened and checked, so that the file cannot be swapped in
 * between; calls its one entry point (PROJECTION_ENTRY); checks the
 * version block (registry_check_header()) before reading any other field;
 * copies the descriptor into a struct of the engine's size, zeroed past
 * what the plug-in's size says it has; and checks that the name is the one
 * the configuration gave, and that the plug-in uses the engine's own SQLite
 * and jansson (a private copy of SQLite in one process corrupts
 * databases).
 *
 * The shared object is never unloaded: nobody unloads plug-ins safely
 * (PostgreSQL never does), and the engine keeps pointers into it until the
 * process ends. The descriptor it was loaded through stays open as long,
 * even when the plug-in is then refused (see plugin.c).
 *
 * Every refusal is one sentence in err that names the file, says what was
 * expected and what was found, and what to do; the caller puts the
 * configuration's FILE:LINE:COLUMN and the plug-in's name before it.
 *
 * Memory: struct plugin owns the copy of the descriptor and the strings
 * below; plugin_free() releases them (not the shared object) and accepts
 * NULL. What plugin_projection() returns lives as long as the plugin.
 */
#ifndef PLUGIN_H
#define PLUGIN_H

#include <stddef.h>

#include "digest.h"
#include "projection.h"

/* A shared object larger than this is refused (it is read whole). */
#define PLUGIN_MAX_BYTES	(256 * 1024 * 1024)

enum plugin_result {
	PLUGIN_OK = 0,
	PLUGIN_ENOFILE,		/* cannot be opened: EX_NOINPUT */
	PLUGIN_EINVALID		/* anything else: EX_CONFIG */
};

struct plugin;

enum plugin_result plugin_load(const char *name, const char *path,
	    struct plugin **out, char *err, size_t errlen);
const struct projection *plugin_projection(const struct plugin *p);
const char *plugin_path(const struct plugin *p);
const char *plugin_sha256(const struct plugin *p);
void	plugin_free(struct plugin *p);

#endif /* PLUGIN_H */
