/*
 * migrate.h: schema migrations, SQL files applied in order and recorded.
 *
 * Migrations live in migrations/<scope>/NNNN_<what>.sql, where scope is
 * "core" (the engine's tables) or a projection's name. The build embeds them
 * in the binary (build/migrations.c, made by the Makefile), so an installed
 * projector needs no data files. migrate_apply() applies, for each scope in
 * the order given, the files not yet recorded in projector_migrations, each
 * in its own transaction; running it again changes nothing.
 *
 * Memory: every string here is static; nothing is allocated for the caller.
 */
#ifndef MIGRATE_H
#define MIGRATE_H

#include <stddef.h>

#include <sqlite3.h>

struct migration {
	const char	*scope;		/* "core" or a projection name */
	const char	*name;		/* file name, e.g. "0001_init.sql" */
	const char	*sql;
};

/* The migrations built into the binary, sorted by scope, then name. */
extern const struct migration	migrate_builtin[];
extern const size_t		migrate_nbuiltin;

int	migrate_apply(sqlite3 *db, const struct migration *list, size_t n,
	    const char *const *scopes, size_t nscopes, int *applied,
	    char *err, size_t errlen);
int	migrate_pending(sqlite3 *db, const struct migration *list, size_t n,
	    const char *const *scopes, size_t nscopes, int *pending,
	    char *err, size_t errlen);

#endif /* MIGRATE_H */
