package stix

// Kind is the category of a STIX object type (STIX 2.1 section 1.4 and
// chapters 4 to 7).
type Kind int

// The kinds of STIX objects.
const (
	KindUnknown Kind = iota // a custom or unsupported object type, kept as is
	KindSDO                 // STIX Domain Object (chapter 4)
	KindSRO                 // STIX Relationship Object (chapter 5)
	KindSCO                 // STIX Cyber-observable Object (chapter 6)
	KindMarking             // marking-definition (section 7.2)
)

func (k Kind) String() string {
	switch k {
	case KindSDO:
		return "SDO"
	case KindSRO:
		return "SRO"
	case KindSCO:
		return "SCO"
	case KindMarking:
		return "marking-definition"
	}
	return "unknown"
}

// KindOf returns the kind of the object type typ. Types that culprit does
// not model (custom types such as x-mitre-tactic, and spec types outside the
// supported list in the package documentation) are KindUnknown.
func KindOf(typ string) Kind {
	switch typ {
	case "attack-pattern", "campaign", "course-of-action", "grouping", "identity",
		"incident", "indicator", "infrastructure", "intrusion-set", "location",
		"malware", "malware-analysis", "note", "observed-data", "opinion", "report",
		"threat-actor", "tool", "vulnerability":
		return KindSDO
	case "relationship", "sighting":
		return KindSRO
	case "autonomous-system", "domain-name", "email-addr", "file", "ipv4-addr",
		"ipv6-addr", "url", "x509-certificate":
		return KindSCO
	case "marking-definition":
		return KindMarking
	}
	return KindUnknown
}

// Kind returns the kind of o's type.
func (o *Object) Kind() Kind { return KindOf(o.Type) }

// TLP 1.0 marking definitions predefined by STIX 2.1 section 7.2.1.4. Their
// ids are fixed by the specification; they need not be present in a bundle
// to be referenced.
const (
	TLPWhite = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	TLPGreen = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	TLPAmber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	TLPRed   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
)

// TLP 2.0 marking definitions, expressed with the OASIS TLP 2.0 extension
// (TLP2Extension). Their ids are fixed by the extension's published
// marking-definition objects (created 2022-10-01).
const (
	TLP2Extension   = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
	TLP2Clear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	TLP2Green       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	TLP2Amber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	TLP2AmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	TLP2Red         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

// TLP returns the Traffic Light Protocol level that the marking-definition
// id stands for, as its TLP label ("TLP:WHITE", "TLP:AMBER+STRICT", ...),
// and the TLP version (1 or 2); ok is false for any other id.
func TLP(id string) (label string, version int, ok bool) {
	switch id {
	case TLPWhite:
		return "TLP:WHITE", 1, true
	case TLPGreen:
		return "TLP:GREEN", 1, true
	case TLPAmber:
		return "TLP:AMBER", 1, true
	case TLPRed:
		return "TLP:RED", 1, true
	case TLP2Clear:
		return "TLP:CLEAR", 2, true
	case TLP2Green:
		return "TLP:GREEN", 2, true
	case TLP2Amber:
		return "TLP:AMBER", 2, true
	case TLP2AmberStrict:
		return "TLP:AMBER+STRICT", 2, true
	case TLP2Red:
		return "TLP:RED", 2, true
	}
	return "", 0, false
}

// tlp1Colour returns the definition.tlp value that the predefined TLP 1.0
// marking-definition id must carry, or "".
func tlp1Colour(id string) string {
	switch id {
	case TLPWhite:
		return "white"
	case TLPGreen:
		return "green"
	case TLPAmber:
		return "amber"
	case TLPRed:
		return "red"
	}
	return ""
}

// tlp2Level returns the tlp_2_0 value of the TLP 2.0 extension that the
// marking-definition id must carry, or "".
func tlp2Level(id string) string {
	switch id {
	case TLP2Clear:
		return "clear"
	case TLP2Green:
		return "green"
	case TLP2Amber:
		return "amber"
	case TLP2AmberStrict:
		return "amber+strict"
	case TLP2Red:
		return "red"
	}
	return ""
}
