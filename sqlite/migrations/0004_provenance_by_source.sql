-- What one source supplied, read at each of its imports: without this index
-- that read scans the provenance of every object (a confirmed case, whose
-- source supplies 30 objects, paid for all of ATT&CK's).
CREATE INDEX provenance_source ON provenance (source_id, object_id);
