-- The schema of the PostgreSQL kb.Store, the same tables as the SQLite
-- store's migrations 0001 to 0004. Times are text in the stores' one form
-- (RFC 3339 UTC with nanoseconds, '' for none) rather than timestamptz,
-- whose microseconds would lose the nanoseconds STIX timestamps may carry
-- and so make the planner see a changed version where there is none. raw
-- is bytea, not jsonb: the bytes as supplied, which jsonb would reorder.
-- Text columns use the C collation: ORDER BY then compares bytes, as Go
-- and the SQLite store do, whatever the database's default collation.

-- Objects: the current version of every STIX object; hash is the SHA-256
-- of raw; inactive = revoked or deprecated.
CREATE TABLE objects (
	id           text COLLATE "C" PRIMARY KEY,
	type         text COLLATE "C" NOT NULL,
	spec_version text COLLATE "C" NOT NULL,
	modified     text COLLATE "C" NOT NULL,
	name         text COLLATE "C" NOT NULL,
	revoked      boolean NOT NULL,
	deprecated   boolean NOT NULL,
	inactive     boolean NOT NULL,
	hash         bytea NOT NULL,
	raw          bytea NOT NULL
);
CREATE INDEX objects_type ON objects (type, id);

-- Names: the lookup index (kb.NamesOf): one row per name of an object,
-- keyed by kb.Normalize.
CREATE TABLE names (
	norm      text COLLATE "C" NOT NULL,
	name      text COLLATE "C" NOT NULL,
	object_id text COLLATE "C" NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
	kind      text COLLATE "C" NOT NULL,
	PRIMARY KEY (norm, object_id, kind)
);
CREATE INDEX names_object ON names (object_id);

-- Relationships: the SROs' ends, for graph queries.
CREATE TABLE relationships (
	id         text COLLATE "C" PRIMARY KEY REFERENCES objects (id) ON DELETE CASCADE,
	type       text COLLATE "C" NOT NULL,
	source_ref text COLLATE "C" NOT NULL,
	target_ref text COLLATE "C" NOT NULL,
	confidence integer,
	inactive   boolean NOT NULL
);
CREATE INDEX relationships_source ON relationships (source_ref, type);
CREATE INDEX relationships_target ON relationships (target_ref, type);

-- Sources: every distinct supplier of knowledge.
CREATE TABLE sources (
	id             bigserial PRIMARY KEY,
	kind           text COLLATE "C" NOT NULL,
	name           text COLLATE "C" NOT NULL,
	path           text COLLATE "C" NOT NULL,
	url            text COLLATE "C" NOT NULL,
	sha256         text COLLATE "C" NOT NULL,
	first_imported text COLLATE "C" NOT NULL,
	last_imported  text COLLATE "C" NOT NULL,
	UNIQUE (kind, name, sha256)
);

-- Provenance: which source supplied which object, in which version.
CREATE TABLE provenance (
	object_id  text COLLATE "C" NOT NULL,
	source_id  bigint NOT NULL REFERENCES sources (id),
	modified   text COLLATE "C" NOT NULL,
	first_seen text COLLATE "C" NOT NULL,
	last_seen  text COLLATE "C" NOT NULL,
	PRIMARY KEY (object_id, source_id)
);
CREATE INDEX provenance_source ON provenance (source_id, object_id);

-- Same-as links computed by kb.Link at the last import.
CREATE TABLE same_as (
	a          text COLLATE "C" NOT NULL,
	b          text COLLATE "C" NOT NULL,
	confidence integer NOT NULL,
	reason     text COLLATE "C" NOT NULL,
	source     text COLLATE "C" NOT NULL,
	PRIMARY KEY (a, b)
);

-- Earlier versions replaced by newer ones.
CREATE TABLE object_versions (
	id          text COLLATE "C" NOT NULL,
	modified    text COLLATE "C" NOT NULL,
	raw         bytea NOT NULL,
	replaced_at text COLLATE "C" NOT NULL,
	PRIMARY KEY (id, modified)
);

-- Blobs: derived data costly to rebuild, tagged with the state of the
-- knowledge base it was built from.
CREATE TABLE blobs (
	key        text COLLATE "C" PRIMARY KEY,
	tag        text COLLATE "C" NOT NULL,
	data       bytea NOT NULL,
	updated_at text COLLATE "C" NOT NULL
);

-- Cases: one document per investigation (kb.Case), replaced whole under
-- optimistic concurrency on version.
CREATE TABLE cases (
	id       text COLLATE "C" PRIMARY KEY,
	version  integer NOT NULL,
	created  text COLLATE "C" NOT NULL,
	modified text COLLATE "C" NOT NULL,
	doc      bytea NOT NULL
);
CREATE INDEX cases_created ON cases (created, id);

-- Observable values (hashes, addresses, domains, URLs) to the objects that
-- carry them: one row per (value, object), so that a value seen in 100,000
-- objects costs 100,000 index entries, never the pairs between them.
CREATE TABLE observables (
	value     text COLLATE "C" NOT NULL,
	object_id text COLLATE "C" NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
	PRIMARY KEY (value, object_id)
);
CREATE INDEX observables_object ON observables (object_id);
