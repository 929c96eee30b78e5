package attrib

// TechniqueID returns the STIX id of the technique a case names (an
// ATT&CK id, a name or a STIX id), as the engine resolves it, and false
// when the knowledge has no such technique.
func (k *Knowledge) TechniqueID(ref string) (string, bool) {
	i, ok := k.resolveTechnique(ref)
	if !ok {
		return "", false
	}
	return k.techs[i].id, true
}

// SoftwareID returns the STIX id of the malware or tool a case names (an
// ATT&CK id, a name, an alias or a STIX id), and false when there is none.
func (k *Knowledge) SoftwareID(ref string) (string, bool) {
	i, ok := k.resolveSoftware(ref)
	if !ok {
		return "", false
	}
	return k.sws[i].id, true
}
