package web

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"sync"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/navigator"
	"github.com/culprit-cti/culprit/stix"
)

// catalog is what the pages list from one Knowledge (one snapshot seen at
// one level): the ATT&CK techniques by tactic, and an index of every
// searchable object. It is derived from the Knowledge alone, so it holds
// no more than the user's view, and is kept under the Knowledge's key.
type catalog struct {
	tactics    []tactic
	techniques []technique    // ordered by ATT&CK id
	byExt      map[string]int // ATT&CK id -> index in techniques
	byID       map[string]int // STIX id -> index in techniques
	entries    []entry        // searchable objects, ordered by kind then name
	software   []entry        // malware and tools, by name
	actors     []entry        // intrusion sets and threat actors, by name
	levels     map[string]access.Level
	entryOf    map[string]int // STIX id -> index in entries

	// The Navigator's catalogue of the same knowledge, read at its first
	// use (the comparison layer) rather than on every export.
	navOnce sync.Once
	nav     *navigator.Catalogue
	navErr  error
}

// navigatorCatalogue returns the ATT&CK Navigator's catalogue of k, the
// Knowledge c was built from.
func (c *catalog) navigatorCatalogue(ctx context.Context, k Knowledge) (*navigator.Catalogue, error) {
	c.navOnce.Do(func() { c.nav, c.navErr = navigator.LoadCatalogue(context.WithoutCancel(ctx), k) })
	return c.nav, c.navErr
}

type tactic struct {
	Short, Name, Ext string
}

type technique struct {
	ID, Ext, Name string
	Parent        string   // the parent's ATT&CK id of a sub-technique
	Tactics       []string // tactic short names
	Level         access.Level
}

// entry is one searchable object.
type entry struct {
	Kind   string // actor, software, technique, indicator, campaign, case
	ID     string
	Name   string
	Ext    string
	Detail string
	Level  access.Level
	norm   string // lower-case name, aliases and external id
}

// searchTypes are the STIX types the search box finds, by kind.
var searchTypes = map[string]string{
	"intrusion-set": "actor", "threat-actor": "actor",
	"malware": "software", "tool": "software",
	"attack-pattern": "technique", "indicator": "indicator", "campaign": "campaign",
}

// enterpriseTactics is the order of the Enterprise ATT&CK tactics, used
// when the knowledge has no matrix object to give it.
var enterpriseTactics = []string{"reconnaissance", "resource-development", "initial-access", "execution", "persistence",
	"privilege-escalation", "defense-evasion", "credential-access", "discovery", "lateral-movement", "collection",
	"command-and-control", "exfiltration", "impact"}

func (u *UI) catalogOf(ctx context.Context, k Knowledge) (*catalog, error) {
	key := k.Key()
	u.catMu.Lock()
	c := u.catalogs[key]
	u.catMu.Unlock()
	if c != nil {
		return c, nil
	}
	c, err := buildCatalog(ctx, k)
	if err != nil {
		return nil, err
	}
	u.catMu.Lock()
	defer u.catMu.Unlock()
	// Keep the newest catalog of each level only: keys are "snapshot/level".
	level := key[strings.LastIndexByte(key, '/')+1:]
	for k := range u.catalogs {
		if strings.HasSuffix(k, "/"+level) {
			delete(u.catalogs, k)
		}
	}
	u.catalogs[key] = c
	return c, nil
}

func buildCatalog(ctx context.Context, k Knowledge) (*catalog, error) {
	c := &catalog{byExt: map[string]int{}, byID: map[string]int{}, levels: map[string]access.Level{}}
	tacticByID := map[string]tactic{}
	var matrixRefs []string
	types := []string{"x-mitre-tactic", "x-mitre-matrix"}
	for t := range searchTypes {
		types = append(types, t)
	}
	sort.Strings(types)
	err := k.Objects(ctx, kb.ObjectQuery{Types: types}, func(o *stix.Object) error {
		l := k.Level(o)
		c.levels[o.ID] = l
		switch o.Type {
		case "x-mitre-tactic":
			var v struct {
				Short string `json:"x_mitre_shortname"`
			}
			json.Unmarshal(o.Raw, &v)
			tacticByID[o.ID] = tactic{Short: v.Short, Name: o.Name, Ext: o.ExternalID("mitre-attack")}
			return nil
		case "x-mitre-matrix":
			var v struct {
				Refs []string `json:"tactic_refs"`
			}
			json.Unmarshal(o.Raw, &v)
			if o.ExternalID("mitre-attack") == "enterprise-attack" || len(matrixRefs) == 0 {
				matrixRefs = v.Refs
			}
			return nil
		}
		kind := searchTypes[o.Type]
		e := entry{Kind: kind, ID: o.ID, Name: o.Name, Ext: attackID(o), Level: l}
		norm := []string{strings.ToLower(o.Name), strings.ToLower(e.Ext)}
		for _, a := range o.Aliases {
			norm = append(norm, strings.ToLower(a))
		}
		switch o.Type {
		case "attack-pattern":
			if e.Ext == "" {
				return nil // a technique of another catalogue (CAPEC): not on the matrix
			}
			t := technique{ID: o.ID, Ext: e.Ext, Name: o.Name, Level: l}
			if i := strings.IndexByte(e.Ext, '.'); i > 0 {
				t.Parent = e.Ext[:i]
			}
			for _, p := range o.KillChainPhases {
				if p.KillChainName == "mitre-attack" {
					t.Tactics = append(t.Tactics, p.PhaseName)
				}
			}
			c.techniques = append(c.techniques, t)
		case "indicator":
			var v struct {
				Pattern string `json:"pattern"`
			}
			json.Unmarshal(o.Raw, &v)
			e.Detail = v.Pattern
			if e.Name == "" {
				e.Name = v.Pattern
			}
			norm = append(norm, strings.ToLower(v.Pattern))
		case "intrusion-set", "threat-actor":
			e.Detail = strings.Join(o.Aliases, ", ")
		}
		e.norm = strings.Join(norm, "\x00")
		c.entries = append(c.entries, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(c.techniques, func(i, j int) bool { return c.techniques[i].Ext < c.techniques[j].Ext })
	for i, t := range c.techniques {
		c.byExt[t.Ext] = i
		c.byID[t.ID] = i
	}
	for _, id := range matrixRefs {
		if t, ok := tacticByID[id]; ok {
			c.tactics = append(c.tactics, t)
		}
	}
	if len(c.tactics) == 0 {
		byShort := map[string]tactic{}
		for _, t := range tacticByID {
			byShort[t.Short] = t
		}
		for _, s := range enterpriseTactics {
			t, ok := byShort[s]
			if !ok {
				t = tactic{Short: s, Name: titleCase(s)}
			}
			c.tactics = append(c.tactics, t)
		}
	}
	sort.Slice(c.entries, func(i, j int) bool {
		a, b := c.entries[i], c.entries[j]
		if a.Kind != b.Kind {
			return kindRank[a.Kind] < kindRank[b.Kind]
		}
		if la, lb := strings.ToLower(a.Name), strings.ToLower(b.Name); la != lb {
			return la < lb
		}
		return a.ID < b.ID
	})
	c.entryOf = make(map[string]int, len(c.entries))
	for i, e := range c.entries {
		c.entryOf[e.ID] = i
		switch e.Kind {
		case "software":
			c.software = append(c.software, e)
		case "actor":
			c.actors = append(c.actors, e)
		}
	}
	return c, nil
}

var kindRank = map[string]int{"actor": 0, "software": 1, "technique": 2, "campaign": 3, "indicator": 4, "case": 5}

func attackID(o *stix.Object) string {
	if id := o.ExternalID("mitre-attack"); id != "" {
		return id
	}
	return ""
}

func titleCase(s string) string {
	words := strings.Split(s, "-")
	for i, w := range words {
		if w != "" && w != "and" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// search returns up to n entries matching q: exact names and ids first,
// then names that start with q, then those that contain it.
func (c *catalog) search(q string, n int) []entry {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return nil
	}
	var exact, prefix, inside []entry
	for _, e := range c.entries {
		switch {
		case strings.Contains("\x00"+e.norm+"\x00", "\x00"+q+"\x00"):
			exact = append(exact, e)
		case strings.HasPrefix(e.norm, q) || strings.Contains(e.norm, "\x00"+q):
			prefix = append(prefix, e)
		case len(inside) < n && strings.Contains(e.norm, q):
			inside = append(inside, e)
		}
	}
	out := append(append(exact, prefix...), inside...)
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// entry returns the entry of a STIX id.
func (c *catalog) entry(id string) (entry, bool) {
	i, ok := c.entryOf[id]
	if !ok {
		return entry{}, false
	}
	return c.entries[i], true
}
