package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/extract"
	"github.com/culprit-cti/culprit/ioc"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// aboutConfidence is the confidence of what a report says about an actor,
// once extracted: below a confirmed case (80) and below curated knowledge
// (ATT&CK's relationships state none, which the engine weighs as 100),
// because nobody has reviewed the extraction.
const aboutConfidence = 30

// aboutActor is the actor culprit extract --about names, resolved.
type aboutActor struct{ id, name string }

// resolveAbout resolves the actor a report is about through the knowledge
// base's actor clusters: one cluster, or an error naming the candidates.
func resolveAbout(ctx context.Context, e *env, dbFlag, name string) (aboutActor, error) {
	st, err := openStore(ctx, e, dbFlag, false)
	if err != nil {
		return aboutActor{}, fmt.Errorf("--about %s: %w", name, err)
	}
	defer st.Close()
	cs, err := kb.LoadClusters(ctx, st, 0)
	if err != nil {
		return aboutActor{}, fmt.Errorf("--about %s: %w", name, err)
	}
	cands := cs.Candidates(name)
	switch len(cands) {
	case 0:
		return aboutActor{}, errs.E(errs.NotFound, "--about %q: no actor of that name or alias in the knowledge base (see culprit actors)", name)
	case 1:
		return aboutActor{cands[0].ID, cands[0].Members[0].Name}, nil
	}
	var names []string
	for _, c := range cands {
		names = append(names, fmt.Sprintf("%s (%s)", c.Members[0].Name, c.ID))
	}
	return aboutActor{}, errs.E(errs.Invalid, "--about %q is ambiguous: it names %s; give one of their names or ids", name, strings.Join(names, ", "))
}

// writeExtractAbout writes what reports say about one actor as STIX 2.1
// knowledge. The attribution engine reads an actor's behaviour from
// incidents and campaigns attributed to it (attrib/behaviour.go), not from
// reports, so each report gives: a campaign ("activity reported in
// NAME") attributed-to the actor, uses from the campaign to the techniques
// and software found, indicators that indicate the actor, all at
// confidence aboutConfidence, and a report object referring to them all,
// whose external reference (the file's name and SHA-256) is their
// provenance, as it is of every object written.
func writeExtractAbout(w io.Writer, out extractOutput, actor aboutActor, now time.Time) error {
	ts := now.Format("2006-01-02T15:04:05.000Z")
	bw := stix.NewBundleWriter(w)
	var keys []string
	for _, f := range out.files {
		keys = append(keys, f.Name+"\x00"+f.sha256)
	}
	bw.ID = stix.DeterministicID("bundle", "culprit extract --about\x00"+actor.id+"\x00"+strings.Join(keys, "\x00"))
	written := map[string]bool{}
	emit := func(v map[string]any) error {
		id := v["id"].(string)
		if written[id] {
			return nil
		}
		written[id] = true
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		o, err := stix.ParseObject(raw)
		if err != nil {
			return fmt.Errorf("build STIX object: %w", err)
		}
		return bw.Write(o)
	}
	for _, f := range out.files {
		src := assess.ReportName(f.Name)
		key := "culprit extract --about\x00" + actor.id + "\x00" + f.sha256
		prov := []map[string]any{{"source_name": "culprit extract", "description": fmt.Sprintf("extracted from the report %s, not reviewed", src),
			"external_id": src, "hashes": map[string]string{"SHA-256": f.sha256}}}
		base := func(typ, id string) map[string]any {
			return map[string]any{"type": typ, "spec_version": "2.1", "id": id, "created": ts, "modified": ts,
				"confidence": aboutConfidence, "labels": []string{"extracted-not-reviewed"}, "external_references": prov}
		}
		var refs []string
		add := func(v map[string]any) error {
			refs = append(refs, v["id"].(string))
			return emit(v)
		}
		rel := func(typ, from, to string) error {
			r := base("relationship", stix.DeterministicID("relationship", key+"\x00"+typ+"\x00"+from+"\x00"+to))
			r["relationship_type"], r["source_ref"], r["target_ref"] = typ, from, to
			return add(r)
		}
		campaign := base("campaign", stix.DeterministicID("campaign", key))
		campaign["name"] = "activity of " + actor.name + " reported in " + src
		campaign["description"] = "What culprit extract found in " + src + " about " + actor.name + "; not reviewed by an analyst."
		cid := campaign["id"].(string)
		if err := add(campaign); err != nil {
			return err
		}
		refs = append(refs, actor.id)
		if err := rel("attributed-to", cid, actor.id); err != nil {
			return err
		}
		for _, te := range fileTechniques(f) {
			ap, ok := out.attack[te.id]
			if !ok {
				continue // a technique the knowledge does not know gives the engine nothing to weigh
			}
			if err := rel("uses", cid, ap.ID); err != nil {
				return err
			}
		}
		for _, sid := range fileSoftware(f, out.attack) {
			if err := rel("uses", cid, sid); err != nil {
				return err
			}
		}
		for _, it := range f.Items {
			pattern, ok := stixPattern(it)
			if !ok || len(it.Benign) > 0 {
				continue // probably benign: kept in the case file, not said to indicate an actor
			}
			ind := base("indicator", stix.DeterministicID("indicator", key+"\x00"+pattern))
			ind["pattern"], ind["pattern_type"], ind["valid_from"], ind["name"] = pattern, "stix", ts, it.Value
			if err := add(ind); err != nil {
				return err
			}
			if err := rel("indicates", ind["id"].(string), actor.id); err != nil {
				return err
			}
		}
		report := base("report", stix.DeterministicID("report", key))
		report["name"], report["published"], report["report_types"] = src, ts, []string{"threat-actor"}
		report["description"] = "The report " + src + " on " + actor.name + ", as culprit extract read it; not reviewed."
		report["object_refs"] = uniqueStrings(refs)
		if err := emit(report); err != nil {
			return err
		}
	}
	return bw.Close()
}

// fileSoftware returns the STIX ids of the software a report names: by a
// name with one candidate, or by its ATT&CK id when the knowledge has it.
func fileSoftware(f extractFile, attack map[string]assess.AttackRef) []string {
	var out []string
	for _, it := range f.Items {
		switch {
		case it.Kind == extract.KindName && len(it.Candidates) == 1 && (it.Candidates[0].Type == "malware" || it.Candidates[0].Type == "tool"):
			out = append(out, it.Candidates[0].ID)
		case it.Kind == extract.Kind(ioc.AttackID) && strings.HasPrefix(it.Value, "S"):
			if s, ok := attack[it.Value]; ok {
				out = append(out, s.ID)
			}
		}
	}
	return uniqueStrings(out)
}

// stixPattern is the STIX pattern of an extracted indicator whose value is
// in its canonical form.
func stixPattern(it extract.Item) (string, bool) {
	v := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(it.Value)
	switch ioc.Type(it.Kind) {
	case ioc.IPv4, ioc.IPv6, ioc.Domain, ioc.URL, ioc.Email:
		return fmt.Sprintf("[%s:value = '%s']", it.Kind, v), true
	case ioc.MD5, ioc.SHA1, ioc.SHA256, ioc.SHA512:
		return fmt.Sprintf("[file:hashes.'%s' = '%s']", strings.TrimPrefix(string(it.Kind), "file:hashes."), v), true
	}
	return "", false
}
