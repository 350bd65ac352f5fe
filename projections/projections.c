/*
 * projections.c: the table of built-in projections (see projections.h).
 */
#include <stddef.h>

#include "projections.h"

/* NULL-terminated, in migration order. */
const struct projection *const projections_builtin[] = {
	&proj_session_history,
	&proj_player_profiles,
	&proj_leaderboard,
	NULL
};
