/*
 * roster.c: who is online on which game server (see roster.h).
 */
#include <stdlib.h>

#include "roster.h"

struct roster_player {
	int	server;			/* -1 while offline */
	int	sslot;			/* index in its server's list */
	int	gslot;			/* index in the global list */
};

struct roster {
	int			 nservers, nplayers;
	struct roster_player	*players;
	int			**online;	/* per server: its players */
	int			*nonline;	/* per server: how many */
	int			*all;		/* every online player */
	int			 nall;
};

/*
 * Returns an empty roster of nservers servers and nplayers players, or NULL
 * when memory runs out. Free it with roster_free().
 */
struct roster *
roster_new(int nservers, int nplayers)
{
	struct roster *r;
	int i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->nservers = nservers;
	r->nplayers = nplayers;
	r->players = calloc((size_t)nplayers, sizeof(*r->players));
	r->online = calloc((size_t)nservers, sizeof(*r->online));
	r->nonline = calloc((size_t)nservers, sizeof(*r->nonline));
	r->all = calloc((size_t)nplayers, sizeof(*r->all));
	if (r->players == NULL || r->online == NULL || r->nonline == NULL ||
	    r->all == NULL)
		goto fail;
	for (i = 0; i < nplayers; i++)
		r->players[i].server = -1;
	for (i = 0; i < nservers; i++)
		if ((r->online[i] = calloc((size_t)nplayers,
		    sizeof(int))) == NULL)
			goto fail;
	return r;

fail:
	roster_free(r);
	return NULL;
}

/* Releases r. Accepts NULL. */
void
roster_free(struct roster *r)
{
	int i;

	if (r == NULL)
		return;
	for (i = 0; r->online != NULL && i < r->nservers; i++)
		free(r->online[i]);
	free(r->online);
	free(r->nonline);
	free(r->players);
	free(r->all);
	free(r);
}

/* Puts offline player on server. Cannot fail. */
void
roster_join(struct roster *r, int player, int server)
{
	struct roster_player *p = &r->players[player];

	p->server = server;
	p->sslot = r->nonline[server];
	r->online[server][r->nonline[server]++] = player;
	p->gslot = r->nall;
	r->all[r->nall++] = player;
}

/* Takes online player off its server. Cannot fail. */
void
roster_leave(struct roster *r, int player)
{
	struct roster_player *p = &r->players[player];
	int s = p->server, moved;

	moved = r->online[s][--r->nonline[s]];
	r->online[s][p->sslot] = moved;
	r->players[moved].sslot = p->sslot;
	moved = r->all[--r->nall];
	r->all[p->gslot] = moved;
	r->players[moved].gslot = p->gslot;
	p->server = -1;
}

/* Returns the server player is online on, or -1. */
int
roster_server_of(const struct roster *r, int player)
{
	return r->players[player].server;
}

/* Returns how many players are online in all. */
int
roster_count(const struct roster *r)
{
	return r->nall;
}

/* Returns the i-th online player, 0 <= i < roster_count(). */
int
roster_at(const struct roster *r, int i)
{
	return r->all[i];
}

/* Returns how many players are online on server. */
int
roster_server_count(const struct roster *r, int server)
{
	return r->nonline[server];
}

/* Returns the i-th player online on server, 0 <= i < its count. */
int
roster_server_at(const struct roster *r, int server, int i)
{
	return r->online[server][i];
}
