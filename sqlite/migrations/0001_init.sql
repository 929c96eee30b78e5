-- Objects: the current version of every STIX object. modified is
-- RFC 3339 UTC with nanoseconds ('' for objects without one); hash is the
-- SHA-256 of raw; inactive = revoked or deprecated.
CREATE TABLE objects (
	id           TEXT PRIMARY KEY,
	type         TEXT NOT NULL,
	spec_version TEXT NOT NULL,
	modified     TEXT NOT NULL,
	name         TEXT NOT NULL,
	revoked      INTEGER NOT NULL,
	deprecated   INTEGER NOT NULL,
	inactive     INTEGER NOT NULL,
	hash         BLOB NOT NULL,
	raw          BLOB NOT NULL
);
CREATE INDEX objects_type ON objects (type, id);

-- Names: the lookup index (kb.NamesOf) of every object.
CREATE TABLE names (
	norm      TEXT NOT NULL,
	name      TEXT NOT NULL,
	object_id TEXT NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
	kind      TEXT NOT NULL,
	PRIMARY KEY (norm, object_id, kind)
) WITHOUT ROWID;
CREATE INDEX names_object ON names (object_id);

-- Relationships: the SROs' ends, for graph queries.
CREATE TABLE relationships (
	id         TEXT PRIMARY KEY REFERENCES objects (id) ON DELETE CASCADE,
	type       TEXT NOT NULL,
	source_ref TEXT NOT NULL,
	target_ref TEXT NOT NULL,
	confidence INTEGER,
	inactive   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX relationships_source ON relationships (source_ref, type);
CREATE INDEX relationships_target ON relationships (target_ref, type);

-- Sources: every distinct supplier of knowledge.
CREATE TABLE sources (
	id             INTEGER PRIMARY KEY,
	kind           TEXT NOT NULL,
	name           TEXT NOT NULL,
	path           TEXT NOT NULL,
	url            TEXT NOT NULL,
	sha256         TEXT NOT NULL,
	first_imported TEXT NOT NULL,
	last_imported  TEXT NOT NULL,
	UNIQUE (kind, name, sha256)
);

-- Provenance: which source supplied which object, in which version.
CREATE TABLE provenance (
	object_id  TEXT NOT NULL,
	source_id  INTEGER NOT NULL REFERENCES sources (id),
	modified   TEXT NOT NULL,
	first_seen TEXT NOT NULL,
	last_seen  TEXT NOT NULL,
	PRIMARY KEY (object_id, source_id)
) WITHOUT ROWID;

-- Same-as links computed by kb.Link at the last import.
CREATE TABLE same_as (
	a          TEXT NOT NULL,
	b          TEXT NOT NULL,
	confidence INTEGER NOT NULL,
	reason     TEXT NOT NULL,
	source     TEXT NOT NULL,
	PRIMARY KEY (a, b)
) WITHOUT ROWID;

-- Earlier versions replaced by newer ones.
CREATE TABLE object_versions (
	id          TEXT NOT NULL,
	modified    TEXT NOT NULL,
	raw         BLOB NOT NULL,
	replaced_at TEXT NOT NULL,
	PRIMARY KEY (id, modified)
);
