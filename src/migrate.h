/*
 * migrate.h: schema migrations, SQL files applied in order and recorded.
 *
 * A scope's migrations are the files migrations/<scope>/NNNN_<what>.sql,
 * where scope is "core" (the engine's tables), "archive" (the archive's
 * file) or a projection's name. The build embeds each folder as an array of
 * struct projection_migration (migrations/embed.sh): the engine's two in
 * build/, a projection's in its descriptor (projection.h), so that an
 * installed projector, or a plug-in, needs no data files.
 *
 * migrate_apply() applies a scope's migrations not yet recorded in
 * projector_migrations, in array order, each in its own transaction, and
 * records each with the SHA-256 of its SQL; running it again changes
 * nothing. A recorded migration whose SQL changed since is refused: a
 * shipped migration is never edited, the next NNNN file is added instead.
 * (A database made before checksums were recorded gets them on its next
 * migrate_apply().) migrate_projection() applies a projection's own
 * migrations confined to its declared tables (guard.h).
 *
 * Memory: every string here is static; nothing is allocated for the caller.
 */
#ifndef MIGRATE_H
#define MIGRATE_H

#include <stddef.h>

#include <sqlite3.h>

#include "projection.h"

struct guard;

/* The engine's own scopes, { NULL, NULL }-terminated (build/migrations.c). */
extern const struct projection_migration migrations_core[];
extern const struct projection_migration migrations_archive[];

int	migrate_apply(sqlite3 *db, const char *scope,
	    const struct projection_migration *list, int *applied,
	    char *err, size_t errlen);
int	migrate_projection(sqlite3 *db, struct guard *g,
	    const struct projection *p, int *applied, char *err,
	    size_t errlen);
int	migrate_pending(sqlite3 *db, const char *scope,
	    const struct projection_migration *list, int *pending,
	    char *err, size_t errlen);

#endif /* MIGRATE_H */
