// Package stix is culprit's model of STIX 2.1 objects, with a streaming
// bundle decoder that upgrades STIX 2.0 input to 2.1, and a bundle encoder.
//
// The model is bound to STIX Version 2.1, OASIS Standard, 10 June 2021,
// https://docs.oasis-open.org/cti/stix/v2.1/stix-v2.1.html (cited below as
// "the spec", with its section numbers). Where the OASIS JSON schemas
// (non-normative) and the spec differ, the spec wins.
//
// # Objects
//
// Every object decodes to an [Object]: the common properties (section 3.2)
// and the few type-specific properties that culprit reads are parsed into
// fields, and Raw keeps the whole object as compact JSON, in the key order of
// the input, so that custom properties (x_*, section 11.1) and unknown
// object types are kept and written back unchanged. Raw is what is stored
// and exported; the fields are a read-only view of it.
//
// Supported types, whose required properties are checked (see [KindOf]):
//
//   - SDOs (chapter 4): attack-pattern, campaign, course-of-action, grouping,
//     identity, incident, indicator, infrastructure, intrusion-set, location,
//     malware, malware-analysis, note, observed-data, opinion, report,
//     threat-actor, tool, vulnerability.
//   - SROs (chapter 5): relationship, sighting.
//   - SCOs (chapter 6): autonomous-system, domain-name, email-addr, file,
//     ipv4-addr, ipv6-addr, url, x509-certificate. Hashes (section 2.7)
//     of the hash-algorithm vocabulary are checked, including the "TLSH" and
//     "SSDEEP" keys.
//   - marking-definition (section 7.2) with statement and TLP 1.0
//     definitions, the four predefined TLP 1.0 markings (section 7.2.1.4,
//     [TLPWhite] and others), and TLP 2.0 markings of the OASIS TLP 2.0
//     extension ([TLP2Extension], [TLP2Clear] and others), whose fixed ids
//     must carry their fixed levels.
//
// Any other type whose name follows the type naming rule (section 3.1),
// custom (x-mitre-tactic, x-mitre-matrix, ...) or from the spec but not listed
// above (language-content, extension-definition, other SCOs), is accepted as
// [KindUnknown]: only its type, id, spec_version and timestamps are checked.
//
// Every object is checked for: a "type" following section 3.1; an "id" that
// is <type>--<UUID> with an RFC 4122 UUID (section 2.9); a spec_version of
// "2.0" or "2.1" (anything else is an error that names it); timestamps in
// RFC 3339 form in UTC (section 3.2); property names of ASCII a-z, 0-9 and
// underscore, each present once (section 3.1); well-formed identifiers in
// created_by_ref, object_marking_refs, source_ref, target_ref,
// sighting_of_ref and object_refs; "modified" not before "created".
//
// # Input
//
// [Decoder] reads a bundle (chapter 8), a JSON array of objects, or a single
// object, one object at a time: it walks the bundle's own properties and
// cuts each element of "objects" out of the stream on its own, checks its
// JSON syntax, and decodes only the properties culprit reads, with
// encoding/json where a value is not a plain string, number or boolean.
// Memory use is bounded by the largest object ([Decoder.MaxObjectSize]),
// not by the bundle. [Open] opens a file, plain or gzip. [ParseObject]
// parses one object.
//
// # STIX 2.0 input
//
// STIX 2.0 objects (ATT&CK is published in STIX 2.0) are upgraded to 2.1 as
// they are decoded, and Raw holds the 2.1 form. An object is STIX 2.0 when
// its spec_version is "2.0", or when it has none and is not an SCO (2.1 SCOs
// need none; 2.0 had no top-level SCOs) — a custom type without a "created"
// property is taken for a custom 2.1 SCO and left alone. The upgrade, kept
// minimal and lossless:
//
//   - spec_version "2.1" is set (inserted after "type", or replacing "2.0"),
//     on every upgraded object, custom types included, since section 11.1
//     requires it of custom objects too;
//   - a malware without is_family (required in 2.1) gets "is_family": true:
//     2.0 malware objects describe families, as in ATT&CK;
//   - an indicator without pattern_type (required in 2.1) gets
//     "pattern_type": "stix", the only pattern language of 2.0.
//
// Everything else is kept as it is, because it is valid 2.1: "labels" stay
// labels (2.0 required them on some types to hold what 2.1 puts in
// malware_types, tool_types, ...; their vocabularies differ, so they are not
// moved), identity_class (required in 2.0, optional in 2.1) is kept, and
// observed-data "objects" (deprecated in 2.1) is kept. A bundle's own
// spec_version ("2.0" in 2.0 bundles, absent in 2.1) is checked and dropped.
//
// # Output
//
// [BundleWriter] streams a STIX 2.1 bundle made of the objects' Raw JSON.
//
// # Not supported
//
//   - evaluating or validating the STIX pattern language (section 9):
//     indicator patterns are kept as strings;
//   - language-content objects and granular markings are kept, not applied;
//   - extensions (section 7.3) and extension-definition objects are passed
//     through, not interpreted (except the TLP 2.0 level check);
//   - the 2.1 rules that need more than one object (references to objects
//     that exist, reference target types, versions of one id): importers
//     check those; [Duplicates] helps with ids seen twice;
//   - STIX 1.x, and the 2.0 to 2.1 changes beyond those listed above (for
//     example no deterministic SCO ids are computed for 2.0 observables).
package stix
