-- The fold looks up a player's open sessions on a server on every connect
-- (rule 1) and disconnect. With the pair index alone, each lookup visited
-- every session the pair ever had and read its row to test disconnected_at:
-- 16% of a catch-up's time (perf, 150,000 events). This partial index holds
-- only the open sessions, keyed by the pair, and covers the lookup (seq is
-- the rowid). It replaces the open index by server, whose queries (rule 3,
-- and the servers view's online_players) use its server_id prefix.
DROP INDEX session_history_open;
CREATE INDEX session_history_open
	ON session_history (server_id, steam_id, connected_at)
	WHERE disconnected_at IS NULL;
