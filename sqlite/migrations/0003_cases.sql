-- Cases: one document per investigation (kb.Case), replaced whole under
-- optimistic concurrency on version.
CREATE TABLE cases (
	id       TEXT PRIMARY KEY,
	version  INTEGER NOT NULL,
	created  TEXT NOT NULL,
	modified TEXT NOT NULL,
	doc      BLOB NOT NULL
);
CREATE INDEX cases_created ON cases (created, id);
