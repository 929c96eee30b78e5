package stix

import (
	"encoding/json"
	"time"
)

// Object is one STIX object as culprit holds it: the common properties that
// the rest of culprit reads are parsed into fields, and Raw keeps the whole
// object as JSON (in STIX 2.1 form, after any 2.0 upgrade) so that custom
// properties (x_*) and unknown object types are written back unchanged.
//
// Fields that do not apply to an object's type are left zero.
type Object struct {
	Type        string    // "type"
	ID          string    // "id": <type>--<UUID>
	SpecVersion string    // "spec_version": always "2.1" after decoding
	Created     time.Time // "created" (zero for SCOs)
	Modified    time.Time // "modified" (zero for SCOs)
	CreatedBy   string    // "created_by_ref"

	Name        string   // "name" (SDOs that have one)
	Description string   // "description"
	Aliases     []string // "aliases", plus "x_mitre_aliases" where present (deduplicated, order kept)
	Revoked     bool     // "revoked"
	Deprecated  bool     // "x_mitre_deprecated"
	Confidence  *int     // "confidence" 0-100, nil when absent
	Labels      []string // "labels"

	ExternalReferences []ExternalReference // "external_references"
	ObjectMarkingRefs  []string            // "object_marking_refs"

	// Relationship (SRO "relationship") properties.
	RelationshipType string // "relationship_type"
	SourceRef        string // "source_ref"
	TargetRef        string // "target_ref"

	// Sighting (SRO "sighting") properties.
	SightingOfRef string // "sighting_of_ref"

	// ObjectRefs is "object_refs" (report, note, opinion, grouping,
	// observed-data).
	ObjectRefs []string

	// KillChainPhases is "kill_chain_phases" (attack-pattern, indicator,
	// malware, tool, infrastructure); ATT&CK puts its tactics there.
	KillChainPhases []KillChainPhase

	// Cyber-observable (SCO) properties.
	Value  string            // "value" of ipv4-addr, ipv6-addr, domain-name, url, email-addr
	Hashes map[string]string // "hashes" of file and x509-certificate, keyed by algorithm ("SHA-256", "TLSH", "SSDEEP", ...)

	// Raw is the complete object, as it is stored and exported.
	Raw json.RawMessage
}

// ExternalReference is a STIX external-reference (STIX 2.1 section 2.5).
type ExternalReference struct {
	SourceName  string            `json:"source_name"`
	Description string            `json:"description,omitempty"`
	URL         string            `json:"url,omitempty"`
	Hashes      map[string]string `json:"hashes,omitempty"`
	ExternalID  string            `json:"external_id,omitempty"`
}

// ExternalID returns the external_id of the first external reference whose
// source_name is source (for example "mitre-attack" gives "G0032"), or "".
func (o *Object) ExternalID(source string) string {
	for _, r := range o.ExternalReferences {
		if r.SourceName == source && r.ExternalID != "" {
			return r.ExternalID
		}
	}
	return ""
}

// KillChainPhase is a STIX kill-chain-phase (STIX 2.1 section 2.8).
type KillChainPhase struct {
	KillChainName string `json:"kill_chain_name"`
	PhaseName     string `json:"phase_name"`
}
