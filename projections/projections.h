/*
 * projections.h: the projections compiled into projector.
 *
 * projections_builtin lists them in migration order: a projection's views
 * may read the tables of the ones before it (servers and player_profiles
 * read session_history, leaderboard reads player_stats), so their
 * migrations (migrations/<name>/, which each descriptor carries) are applied
 * in this order. proj_template is a
 * projection to copy, not a built-in one.
 *
 * Memory: every projection here is a static constant.
 */
#ifndef PROJECTIONS_H
#define PROJECTIONS_H

#include "projection.h"

/* Each built-in's migrations/<name>/ (build/projections_migrations.c). */
extern const struct projection_migration migrations_session_history[];
extern const struct projection_migration migrations_player_profiles[];
extern const struct projection_migration migrations_leaderboard[];

extern const struct projection proj_session_history;
extern const struct projection proj_player_profiles;
extern const struct projection proj_leaderboard;
extern const struct projection proj_template;

extern const struct projection *const projections_builtin[];

#endif /* PROJECTIONS_H */
