-- The event archive (src/archive.h): every message an account's consumer
-- delivered, in a file of its own beside the database. Only the archive file
-- gets this scope.

-- Messages packed into compressed, self-checking blocks (src/archive_block.h),
-- in sequence order: every block's sequences come before the next block's,
-- and before the tail's.
CREATE TABLE archive_blocks (
	first_seq INTEGER PRIMARY KEY,
	last_seq INTEGER NOT NULL,
	count INTEGER NOT NULL,
	raw_bytes INTEGER NOT NULL,	-- the subject and payload bytes it holds
	block BLOB NOT NULL
);

-- The newest messages, not enough to fill a block yet (live traffic comes a
-- message at a time), kept as they came.
CREATE TABLE archive_tail (
	seq INTEGER PRIMARY KEY,
	stored_ms INTEGER NOT NULL,
	subject BLOB NOT NULL,
	payload BLOB NOT NULL
);

-- Ranges of sequences the archive speaks for but does not have: they had
-- expired from the stream before they could be archived.
CREATE TABLE archive_holes (
	from_seq INTEGER PRIMARY KEY,
	to_seq INTEGER NOT NULL,
	recorded_at TEXT NOT NULL
);

-- to_seq: the archive speaks for stream sequences 1 to to_seq (every message
-- the consumer delivered up to it is here, or in a hole). tail_bytes and
-- tail_count say how full the tail is.
CREATE TABLE archive_state (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	to_seq INTEGER NOT NULL,
	tail_bytes INTEGER NOT NULL,
	tail_count INTEGER NOT NULL
);
INSERT INTO archive_state (id, to_seq, tail_bytes, tail_count) VALUES (1, 0, 0, 0);
