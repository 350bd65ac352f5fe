/*
 * leaderboard_plugin.c: the built-in leaderboard projection, built as a
 * plug-in (bench.mk links it with the projections' helpers into
 * leaderboard.so), so that `make bench` can fold the same events through
 * the built-in and through the plug-in and print what each costs.
 */
#include "projections.h"

PROJECTION_EXPORT(proj_leaderboard)
