-- Operational tables of the engine. Websites read freshness from
-- projector_status; operators read poison events from projector_parked.

-- One row per projection. last_seq is the projection's checkpoint: the last
-- stream sequence folded into its tables, written in the same transaction as
-- the fold, so the tables and the position can never disagree.
CREATE TABLE projector_status (
	projection	TEXT PRIMARY KEY,
	version		INTEGER NOT NULL,
	last_seq	INTEGER NOT NULL DEFAULT 0,
	stream_last_seq	INTEGER NOT NULL DEFAULT 0,	-- the stream's last sequence, as last seen
	lag		INTEGER GENERATED ALWAYS AS (max(stream_last_seq - last_seq, 0)) VIRTUAL,
	state		TEXT NOT NULL DEFAULT 'stopped'
			CHECK (state IN ('live', 'rebuilding', 'stopped', 'failed')),
	updated_at	TEXT NOT NULL,			-- wall clock, YYYY-MM-DDTHH:MM:SS.sssZ
	last_error	TEXT
);

-- One row per (projection, poison event). The payload is not copied: fetch it
-- from the stream by seq.
CREATE TABLE projector_parked (
	projection	TEXT NOT NULL,
	seq		INTEGER NOT NULL,
	subject		TEXT NOT NULL,
	reason		TEXT NOT NULL,
	parked_at	TEXT NOT NULL,			-- wall clock
	PRIMARY KEY (projection, seq)
) WITHOUT ROWID;

-- Engine facts that belong to no projection (key/value).
--   unknown_events: messages whose subject no projection wants (acked, ignored)
CREATE TABLE projector_meta (
	key		TEXT PRIMARY KEY,
	value		ANY
) WITHOUT ROWID;
