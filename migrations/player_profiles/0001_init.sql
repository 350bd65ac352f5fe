-- player_profiles owns player_stats; the player_profiles view adds sessions
-- and playtime_s from session_history.

-- name_at and ban_at are the event times that chose name and banned, so that
-- a later event with an earlier time does not override them.
CREATE TABLE player_stats (
	steam_id	TEXT PRIMARY KEY,
	name		TEXT,
	name_at		TEXT,
	first_seen	TEXT,
	last_seen	TEXT,
	chat_messages	INTEGER NOT NULL DEFAULT 0,
	reports_received INTEGER NOT NULL DEFAULT 0,
	banned		INTEGER NOT NULL DEFAULT 0,
	ban_reason	TEXT,
	ban_at		TEXT
) WITHOUT ROWID;

CREATE VIEW player_profiles AS
SELECT p.steam_id, p.name, p.first_seen, p.last_seen,
       (SELECT count(*) FROM session_history h
	 WHERE h.steam_id = p.steam_id) AS sessions,
       (SELECT coalesce(sum(h.duration_s), 0) FROM session_history h
	 WHERE h.steam_id = p.steam_id) AS playtime_s,
       p.chat_messages, p.reports_received, p.banned, p.ban_reason
  FROM player_stats p;
