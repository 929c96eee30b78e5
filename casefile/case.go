// Package casefile reads the description of one incident to attribute: a
// YAML case file written by an analyst, or a STIX 2.0/2.1 bundle exported
// from another platform. Parse and ParseFile tell them apart by content
// (gzip-compressed input is accepted) and return a Case, the Warnings about
// what was wrong but not fatal, or an error.
//
// # Case files
//
// A case file is a YAML mapping with these keys, all optional, of which at
// least one of techniques, software, indicators, samples or claims must hold
// something (else ErrNoEvidence):
//
//	name: Sony Pictures Entertainment, November 2014
//	techniques:            # ATT&CK ids or names, or {id|name, source, note}
//	  - T1485
//	  - {id: T1021.002, source: US-CERT TA14-353A, note: SMB shares}
//	software:              # names, aliases or S####, same forms
//	  - Destover
//	indicators:            # a value (type inferred), type: value, or {type, value, source, note}
//	  - 203.131.222.102
//	  - domain-name: evil.example.com
//	  - {type: sha256, value: e3b0c442..., source: EDR}
//	samples:               # {name, sha256, tlsh, ssdeep, source}
//	  - {name: wiper.exe, tlsh: T1A0C3...}
//	claims:                # {actor, statement, source, reliability A-F, credibility 1-6, self_claim}
//	  - {actor: Lazarus Group, source: FBI, reliability: B, credibility: 2}
//	  - {actor: Guardians of Peace, source: Guardians of Peace, admiralty: F6, self_claim: true}
//	victim: {name: Sony Pictures Entertainment, sector: entertainment, country: US}
//	notes: free text
//
// Indicator types are those of STIX (ipv4-addr, ipv6-addr, domain-name, url,
// email-addr, file:hashes.MD5, file:hashes.SHA-1, file:hashes.SHA-256,
// file:hashes.SHA-512) or the short forms ip, ipv4, ipv6, domain, email,
// md5, sha1, sha256, sha512. Values are checked and normalised (defanged
// values such as 192.0.2[.]1 and hxxp:// are refanged; domains and hashes
// are lower-cased). Unknown keys, malformed ids and values, out-of-range
// Admiralty ratings, duplicates and contradictory claims are Warnings with
// the line they are on; the offending entry is dropped or, for an unknown
// indicator type, kept as written.
//
// # STIX bundles
//
// A bundle's objects are parsed one by one with package stix (2.0 is
// upgraded to 2.1; an object it rejects is a Warning, not an error) and
// every object in it is evidence about one actor. Attack patterns and malware or
// tools become techniques and software, by mitre-attack external id or else
// name; the equality comparisons of STIX indicator patterns
// ([ipv4-addr:value = '…'], [file:hashes.'SHA-256' = '…'], …) and the
// cyber observables (top level or inside observed-data) become indicators,
// their TLSH and ssdeep hashes samples; attributed-to relationships become
// claims, sourced to their creator's identity or first external reference,
// with the relationship's confidence as information credibility (the STIX
// 2.1 appendix A scale) and the reliability unrated; targets relationships
// to identities and locations give the victim; the first report names the
// case. What cannot be used is reported as a Warning naming the object.
//
// Input is bounded by MaxSize; nothing in this package panics on bad input.
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
