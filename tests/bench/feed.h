/*
 * feed.h: GamingAPI Rust v0 events written byte for byte in the format of
 * tests/fixtures/gamingapi-small (subjects, field names and order, number
 * formats), so that the benchmark's payloads have the fixture's sizes and
 * make the projections parse what they parse in production.
 *
 * Each feed_* function overwrites the caller's struct feed_event with one
 * event. They decide nothing: every value, random or not, is an argument
 * (gen.c draws them). server is the server id as it appears in subjects
 * (101, 102, ...), steam ids are 17-digit numbers, ts is an ISO-8601 time.
 * Nothing allocates; nothing can fail (the buffers fit the largest event
 * with room to spare, and an overflow would be a bug: abort()).
 */
#ifndef FEED_H
#define FEED_H

#include <stddef.h>

#define FEED_SUBJECT_MAX	160
#define FEED_PAYLOAD_MAX	1024

/* One event: the subject and the exact payload bytes to publish. */
struct feed_event {
	char	subject[FEED_SUBJECT_MAX];
	char	payload[FEED_PAYLOAD_MAX];
	size_t	len;
};

/* The player_hit object of a hit. */
struct feed_hit {
	unsigned long long victim;	/* steam id */
	int		 area;		/* hit_area_id; 1 is a headshot */
	double		 distance, damage;
	int		 kill;
	const char	*kill_key;	/* "isKill" or "is_kill" */
	double		 victim_pos[3], attacker_pos[3];
	int		 victim_uid, victim_item, attacker_uid, attacker_item;
};

/* started, stopped, wiped: {"timestamp":ts} */
void	feed_server(struct feed_event *ev, int server, const char *kind,
	    const char *ts);
void	feed_command(struct feed_event *ev, int server, const char *ts);
void	feed_connected(struct feed_event *ev, int server,
	    unsigned long long steam, const char *ts, const char *name,
	    int address);
void	feed_disconnected(struct feed_event *ev, int server,
	    unsigned long long steam, const char *ts, const char *reason);
/* h NULL: a hit without player_hit, as a quarter of the fixture's are. */
void	feed_hit(struct feed_event *ev, int server,
	    unsigned long long attacker, const char *ts,
	    const struct feed_hit *h);
/* A hit whose payload is cut short: invalid JSON, so poison. */
void	feed_hit_broken(struct feed_event *ev, int server,
	    unsigned long long steam, const char *ts);
void	feed_gathered(struct feed_event *ev, int server,
	    unsigned long long steam, const char *ts, int amount);
void	feed_respawned(struct feed_event *ev, int server,
	    unsigned long long steam, const char *ts, int x, int y, int z);
void	feed_chatted(struct feed_event *ev, int server,
	    unsigned long long steam, const char *ts, const char *name,
	    const char *message);
void	feed_reported(struct feed_event *ev, int server,
	    unsigned long long steam, unsigned long long target,
	    const char *ts);
/* action: "pickup", "loot" or "crafted". */
void	feed_item(struct feed_event *ev, int server, unsigned long long steam,
	    const char *ts, int item, const char *action);
/* name NULL: without player_name, as some of the fixture's bans are. */
void	feed_banned(struct feed_event *ev, int server,
	    unsigned long long steam, const char *ts, const char *name);
void	feed_unbanned(struct feed_event *ev, int server,
	    unsigned long long steam, const char *ts, const char *name);

#endif /* FEED_H */
