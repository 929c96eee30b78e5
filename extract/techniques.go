package extract

import (
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// KindTechnique is an ATT&CK technique or sub-technique found by its name
// ("Process Injection", "Spearphishing Attachment", "PowerShell"). Its
// Candidates are the attack patterns of that name, with their external
// ids; Sentence is the sentence that names it.
const KindTechnique Kind = "technique"

// genericTechniqueNames are one-word technique and sub-technique names
// that name a thing rather than a behaviour: reports mention malware,
// domains, DNS, Python or a server without the technique of that name
// (T1587.001 Develop Capabilities: Malware, T1583.001 Acquire
// Infrastructure: Domains, ...) being meant. They are found by id only.
var genericTechniqueNames = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range []string{"Add-ins", "At", "Botnet", "CDNs", "Compression", "Confluence", "Credentials", "Cron",
		"DLL", "DNS", "Databases", "Domains", "Exploits", "Firmware", "Hardware", "JavaScript", "Keychain", "Lua",
		"Malware", "NTDS", "Proxy", "Python", "Server", "Serverless", "Sharepoint", "Software", "SSH", "Tool",
		"Trap", "VNC", "Vulnerabilities", "WHOIS", "Impersonation", "Code Repositories", "Web Services",
		"Email Addresses", "Email Accounts", "Domain Accounts", "Local Accounts", "Cloud Accounts", "Default Accounts",
		"Social Media Accounts", "Virtual Private Server", "Digital Certificates", "Code Signing Certificates",
		"Web Protocols", "Mail Protocols", "DNS Server", "Web Portal Capture", "Junk Data", "Standard Encoding",
		"Threat Intel Vendors", "Purchase Technical Data", "Business Relationships", "Customer Relationship Management Software",
		"Tool", "Upload Malware", "Upload Tool", "Install Digital Certificate", "Network Devices", "Network Topology",
		"IP Addresses", "Domain Properties", "Client Configurations", "Software", "Identify Roles", "Determine Physical Locations",
		"Employee Names", "Credentials", "Hardware", "Firmware", "Search Engines", "Scan Databases", "CDNs", "WHOIS",
		"DNS/Passive DNS", "Social Media", "Active Scanning", "Scanning IP Blocks", "Wordlist Scanning", "Services"} {
		m[kb.Normalize(n)] = true
	}
	return m
}()

// TechniquePatterns returns the names of an ATT&CK attack pattern (a
// technique or sub-technique) as patterns whose candidates carry its
// external id. Revoked and deprecated techniques, names that name a thing
// (genericTechniqueNames) and names of fewer than five letters and digits
// are left out: they are found by their id only.
func TechniquePatterns(o *stix.Object) []Pattern {
	if o.Type != "attack-pattern" || o.Revoked || o.Deprecated {
		return nil
	}
	ext := o.ExternalID("mitre-attack")
	if ext == "" {
		return nil
	}
	var out []Pattern
	for _, n := range kb.NamesOf(o) {
		if n.Kind == kb.KindExternalID || n.Kind == kb.KindID {
			continue
		}
		key := kb.Normalize(n.Name)
		if len(key) < 5 || genericTechniqueNames[key] {
			continue
		}
		out = append(out, Pattern{Name: n.Name, ID: o.ID, Type: o.Type, ExternalID: ext})
	}
	return out
}

// isTechnique reports whether every candidate of a name is an attack
// pattern: a technique name, not a name of an actor or software.
func isTechnique(cs []Candidate) bool {
	for _, c := range cs {
		if c.Type != "attack-pattern" {
			return false
		}
	}
	return len(cs) > 0
}
