// Package casefile reads the description of one incident to attribute: a
// YAML case file written by an analyst, or a STIX 2.0/2.1 bundle exported
// from another platform.
package casefile

// Case is one incident: the evidence about a single unknown actor.
// Names in it are as written; they are resolved against the knowledge base
// by the attribution engine, which reports those it cannot resolve.
type Case struct {
	Name       string      // case name (file name or the bundle's report name)
	Techniques []Item      // ATT&CK techniques, by external id (T1059.001) or name
	Software   []Item      // malware and tools, by name, alias or S####
	Indicators []Indicator // observed indicators
	Samples    []Sample    // fuzzy hashes of files found in the incident
	Claims     []Claim     // statements that the incident is attributed to an actor
	Victim     Victim
	Notes      string
}

// Item names a technique or a piece of software seen in the incident.
type Item struct {
	Ref    string // as written: an external id, a name, an alias or a STIX id
	Source string // where the observation comes from (report, analyst)
	Note   string
	Line   int // line in the YAML case file; 0 for bundles
}

// Indicator is an observed indicator value.
type Indicator struct {
	Type   string // ipv4-addr, ipv6-addr, domain-name, url, email-addr, file:hashes.SHA-256, ...
	Value  string
	Source string
	Note   string
	Line   int // line in the YAML case file; 0 for bundles
}

// Sample is a file found in the incident, known by its fuzzy hashes.
type Sample struct {
	Name   string
	SHA256 string
	TLSH   string
	SSDEEP string
	Source string
	Line   int // line in the YAML case file; 0 for bundles
}

// Claim is a statement that the incident is the work of an actor.
type Claim struct {
	Actor     string // as written: a name, an alias or a STIX id
	Statement string
	Source    string
	// Admiralty code (NATO AJP-2.1): Reliability of the source A (completely
	// reliable) to F (cannot be judged); Credibility of the information 1
	// (confirmed) to 6 (cannot be judged). Empty means unrated (F / 6).
	Reliability string
	Credibility int
	SelfClaim   bool // the actor speaks about itself (e.g. "Guardians of Peace")
	Line        int  // line in the YAML case file; 0 for bundles
}

// Victim describes who was attacked.
type Victim struct {
	Name    string
	Sector  string
	Country string // ISO 3166-1 alpha-2 where known
}
