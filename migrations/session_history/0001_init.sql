-- session_history owns session_history and servers (all of servers but
-- current_wipe_id, which comes from the leaderboard projection's wipes).

-- One row per server seen in the subject of any recognised event, parked or not.
CREATE TABLE server_state (
	server_id	TEXT PRIMARY KEY,
	-- ORs, not IN: SQLite checks an IN list of three with an ephemeral
	-- table, built and freed on every write of the row.
	status		TEXT NOT NULL DEFAULT 'unknown'
			CHECK (status = 'online' OR status = 'offline' OR
			       status = 'unknown'),
	last_started_at	TEXT,
	last_stopped_at	TEXT
) WITHOUT ROWID;

-- One row per connected event that is not poison. seq, the stream sequence of
-- that event, orders sessions that connected at the same time.
CREATE TABLE session_history (
	seq		INTEGER PRIMARY KEY,
	server_id	TEXT NOT NULL,
	steam_id	TEXT NOT NULL,
	name		TEXT,
	connected_at	TEXT NOT NULL,
	disconnected_at	TEXT,
	duration_s	REAL,
	end_reason	TEXT
);

-- The fold's lookups: a pair's sessions by time, and a server's open sessions.
CREATE INDEX session_history_pair
	ON session_history (server_id, steam_id, connected_at);
CREATE INDEX session_history_open
	ON session_history (server_id, connected_at) WHERE disconnected_at IS NULL;
-- The readers' lookup: a player's sessions (player_profiles).
CREATE INDEX session_history_player ON session_history (steam_id);

CREATE VIEW servers AS
SELECT s.server_id, s.status, s.last_started_at, s.last_stopped_at,
       (SELECT count(*) FROM wipes w
	 WHERE w.server_id = s.server_id) AS current_wipe_id,
       (SELECT count(*) FROM session_history h
	 WHERE h.server_id = s.server_id AND h.disconnected_at IS NULL) AS online_players
  FROM server_state s;
