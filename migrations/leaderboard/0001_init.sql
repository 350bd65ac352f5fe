-- leaderboard owns wipes, leaderboard_stats and so servers.current_wipe_id.

-- One row per wiped event that is not poison; wipe_id counts 1, 2, ... per
-- server in stream order.
CREATE TABLE wipes (
	server_id	TEXT NOT NULL,
	wipe_id		INTEGER NOT NULL,
	wiped_at	TEXT NOT NULL,
	PRIMARY KEY (server_id, wipe_id)
) WITHOUT ROWID;

-- One row per (server, wipe, player) with at least one kill or death.
CREATE TABLE leaderboard_stats (
	server_id	TEXT NOT NULL,
	wipe_id		INTEGER NOT NULL,
	steam_id	TEXT NOT NULL,
	kills		INTEGER NOT NULL DEFAULT 0,
	deaths		INTEGER NOT NULL DEFAULT 0,
	headshots	INTEGER NOT NULL DEFAULT 0,
	longest_kill_m	REAL,
	PRIMARY KEY (server_id, wipe_id, steam_id)
) WITHOUT ROWID;

-- kd and rank are computed when read, so that one kill never rewrites the
-- ranks of a whole wipe.
CREATE VIEW leaderboard AS
SELECT l.server_id, l.wipe_id, l.steam_id, p.name, l.kills, l.deaths,
       l.headshots, l.longest_kill_m,
       CAST(l.kills AS REAL) / max(l.deaths, 1) AS kd,
       row_number() OVER (PARTITION BY l.server_id, l.wipe_id
			  ORDER BY l.kills DESC, l.deaths ASC, l.steam_id ASC) AS rank
  FROM leaderboard_stats l
  LEFT JOIN player_stats p ON p.steam_id = l.steam_id;
