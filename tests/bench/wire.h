/*
 * wire.h: GamingAPI Rust v0 events written byte for byte in the format of
 * tests/fixtures/gamingapi-small (subjects, field names and order, number
 * formats), so that the benchmark's payloads have the fixture's sizes and
 * make the projections parse what they parse in production.
 *
 * Each wire_* function overwrites the caller's struct wire_event with one
 * event. They decide nothing: every value, random or not, is an argument
 * (gen.c draws them). server is the server id as it appears in subjects
 * (101, 102, ...), steam ids are 17-digit numbers, ts is an ISO-8601 time.
 * Nothing allocates; nothing can fail (the buffers fit the largest event
 * with room to spare, and an overflow would be a bug: abort()).
 */
#ifndef WIRE_H
#define WIRE_H

#include <stddef.h>

#define WIRE_SUBJECT_MAX	160
#define WIRE_PAYLOAD_MAX	1024

/* One event: the subject and the exact payload bytes to publish. */
struct wire_event {
	char	subject[WIRE_SUBJECT_MAX];
	char	payload[WIRE_PAYLOAD_MAX];
	size_t	len;
};

/* The player_hit object of a hit. */
struct wire_hit {
	unsigned long long victim;	/* steam id */
	int		 area;		/* hit_area_id; 1 is a headshot */
	double		 distance, damage;
	int		 kill;
	const char	*kill_key;	/* "isKill" or "is_kill" */
	double		 victim_pos[3], attacker_pos[3];
	int		 victim_uid, victim_item, attacker_uid, attacker_item;
};

/* started, stopped, wiped: {"timestamp":ts} */
void	wire_server(struct wire_event *ev, int server, const char *kind,
	    const char *ts);
void	wire_command(struct wire_event *ev, int server, const char *ts);
void	wire_connected(struct wire_event *ev, int server,
	    unsigned long long steam, const char *ts, const char *name,
	    int address);
void	wire_disconnected(struct wire_event *ev, int server,
	    unsigned long long steam, const char *ts, const char *reason);
/* h NULL: a hit without player_hit, as a quarter of the fixture's are. */
void	wire_hit(struct wire_event *ev, int server,
	    unsigned long long attacker, const char *ts,
	    const struct wire_hit *h);
/* A hit whose payload is cut short: invalid JSON, so poison. */
void	wire_hit_broken(struct wire_event *ev, int server,
	    unsigned long long steam, const char *ts);
void	wire_gathered(struct wire_event *ev, int server,
	    unsigned long long steam, const char *ts, int amount);
void	wire_respawned(struct wire_event *ev, int server,
	    unsigned long long steam, const char *ts, int x, int y, int z);
void	wire_chatted(struct wire_event *ev, int server,
	    unsigned long long steam, const char *ts, const char *name,
	    const char *message);
void	wire_reported(struct wire_event *ev, int server,
	    unsigned long long steam, unsigned long long target,
	    const char *ts);
/* action: "pickup", "loot" or "crafted". */
void	wire_item(struct wire_event *ev, int server, unsigned long long steam,
	    const char *ts, int item, const char *action);
/* name NULL: without player_name, as some of the fixture's bans are. */
void	wire_banned(struct wire_event *ev, int server,
	    unsigned long long steam, const char *ts, const char *name);
void	wire_unbanned(struct wire_event *ev, int server,
	    unsigned long long steam, const char *ts, const char *name);

#endif /* WIRE_H */
