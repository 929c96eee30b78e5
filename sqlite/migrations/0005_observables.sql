-- Observable values (hashes, addresses, domains, URLs; kb.Observables) to
-- the objects that carry them: one row per (value, object), so that a
-- value seen in 100,000 objects costs 100,000 index entries, never the
-- pairs between them. The PostgreSQL store has the same table; the rows
-- of the objects stored before this migration are filled in by the
-- migration's Go step (backfill in sqlite.go), in the same transaction.
CREATE TABLE observables (
	value     TEXT NOT NULL,
	object_id TEXT NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
	PRIMARY KEY (value, object_id)
) WITHOUT ROWID;
CREATE INDEX observables_object ON observables (object_id);
