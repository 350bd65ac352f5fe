/*
 * check.h: is the database the projector built the one the stream asks
 * for? A benchmark that times a projector doing less than the whole job
 * measures nothing, so after each timed run the benchmark checks that every
 * projection's checkpoint is the stream's last sequence, that none failed
 * or is still rebuilding, and that the read model adds up to what the
 * generator counted (gen.h): sessions, chat messages, kills, deaths, wipes
 * and parked events. check_archive() checks that the account's archive
 * holds every message, and measures it.
 *
 * Memory: nothing is allocated beyond a call; the database is opened
 * read-only and closed again.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "gen.h"

/* session_history, player_profiles, leaderboard */
#define CHECK_NPROJECTIONS	3

/* What an archive holds and takes on disk. */
struct check_archive {
	uint64_t	messages;
	uint64_t	raw_bytes;	/* their subjects and payloads */
	uint64_t	file_bytes;	/* the file and its -wal */
};

int	check_db(const char *db, uint64_t last_seq,
	    const struct gen_counts *want, char *err, size_t errlen);
int	check_archive(const char *path, uint64_t last_seq,
	    struct check_archive *out, char *err, size_t errlen);

#endif /* CHECK_H */
