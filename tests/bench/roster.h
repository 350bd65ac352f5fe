/*
 * roster.h: who is online on which game server, for the generator.
 *
 * Players and servers are numbered from 0. A player is online on at most
 * one server at a time. Each server's online players, and all online
 * players together, are kept in arrays indexed 0..count-1 so that the
 * generator can draw one uniformly in O(1); joining and leaving are O(1)
 * too (a leaving player's slot takes the last entry). The order of those
 * arrays depends only on the sequence of calls, so a seeded generator
 * stays deterministic.
 *
 * Memory: roster_new() allocates a struct roster that roster_free()
 * releases (NULL is accepted).
 */
#ifndef ROSTER_H
#define ROSTER_H

struct roster;

struct roster	*roster_new(int nservers, int nplayers);
void		 roster_free(struct roster *r);
void		 roster_join(struct roster *r, int player, int server);
void		 roster_leave(struct roster *r, int player);
int		 roster_server_of(const struct roster *r, int player);
int		 roster_count(const struct roster *r);
int		 roster_at(const struct roster *r, int i);
int		 roster_server_count(const struct roster *r, int server);
int		 roster_server_at(const struct roster *r, int server, int i);

#endif /* ROSTER_H */
