-- Blobs: derived data that is costly to rebuild (such as the similarity
-- index of known samples), keyed by name. tag records the state of the
-- knowledge base the blob was built from, so a reader can tell a stale blob.
CREATE TABLE blobs (
	key        TEXT PRIMARY KEY,
	tag        TEXT NOT NULL,
	data       BLOB NOT NULL,
	updated_at TEXT NOT NULL
);
