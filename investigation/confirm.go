package investigation

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/assess"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// Confirmation is what an analyst concludes: the actor (a name, alias,
// external id or STIX id), or the name of a new actor.
type Confirmation struct {
	Actor      string
	NewActor   string
	Confidence int // 0-100; 0 means DefaultConfidence
	Analyst    string
	Reason     string
}

// DefaultConfidence is the confidence of a confirmation that states none:
// an analyst's conclusion, above a vendor report's but short of certainty.
const DefaultConfidence = 80

// creator is culprit's identity, the creator of what cases contribute.
var creator = stix.DeterministicID("identity", "culprit")

// creatorTime is the fixed timestamp of that identity, so that every
// confirmation imports the same version of it.
const creatorTime = "2026-01-01T00:00:00.000Z"

func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Confirm confirms an open case to an actor, or to a new actor it creates,
// and imports the case as knowledge, marked with the case's TLP level
// (see caseObject): the incident, its relationships, its indicators and
// a new actor are no more visible than the case. It returns an error, and changes
// nothing, when the case is not open, the actor is unknown or ambiguous,
// the new actor's name is taken, or the evidence does not parse.
func (s *Service) Confirm(ctx context.Context, id string, know *assess.Knowledge, cf Confirmation) (*kb.Case, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Status == kb.CaseConfirmed && c.Confirmation != nil {
		return nil, errs.E(errs.Conflict, "case %s is already confirmed to %s (by %s on %s): reopen it first (culprit case reopen %s)",
			id, c.Confirmation.ActorName, c.Confirmation.Analyst, c.Confirmation.At.Format("2006-01-02"), id)
	}
	if (cf.Actor == "") == (cf.NewActor == "") {
		return nil, errs.E(errs.Invalid, "confirm case %s: name the actor, or a new actor, not both", id)
	}
	if cf.Confidence == 0 {
		cf.Confidence = DefaultConfidence
	}
	if cf.Confidence < 1 || cf.Confidence > 100 {
		return nil, errs.E(errs.Invalid, "confirm case %s: confidence %d is not between 1 and 100", id, cf.Confidence)
	}
	if strings.TrimSpace(cf.Analyst) == "" {
		return nil, errs.E(errs.Invalid, "confirm case %s: name the analyst who confirms it", id)
	}
	merged, _, err := Merge(c)
	if err != nil {
		return nil, err
	}
	at := s.now()
	var actorID, actorName string
	var newActor map[string]any
	if cf.NewActor != "" {
		name := strings.TrimSpace(cf.NewActor)
		cs, err := kb.LoadClusters(ctx, s.Store, s.Fold)
		if err != nil {
			return nil, err
		}
		if have := cs.Candidates(name); len(have) > 0 {
			return nil, errs.E(errs.Conflict, "confirm case %s: an actor named %q exists (%s, %s): confirm with --actor instead", id, name, have[0].Primary().Name, have[0].ID)
		}
		actorID, actorName = stix.DeterministicID("intrusion-set", "culprit-case:"+id+"|"+kb.Normalize(name)), name
		newActor = map[string]any{"type": "intrusion-set", "spec_version": "2.1", "id": actorID, "created": stixTime(at), "modified": stixTime(at),
			"created_by_ref": creator, "name": name, "confidence": cf.Confidence,
			"description":         fmt.Sprintf("A group first seen in culprit case %s (%s), confirmed as new by %s.", id, c.Name, cf.Analyst),
			"external_references": []map[string]string{provenance(id, cf.Analyst, at)}}
	} else {
		cl, err := s.resolveActor(ctx, cf.Actor)
		if err != nil {
			return nil, fmt.Errorf("confirm case %s: %w", id, err)
		}
		actorID, actorName = cl.ID, cl.Primary().Name
	}
	objs, err := caseObjects(c, merged, know, actorID, cf, at)
	if err != nil {
		return nil, err
	}
	if newActor != nil {
		objs = append([]map[string]any{newActor}, objs...)
	}
	parsed := make([]*stix.Object, 0, len(objs))
	var ids []string
	for _, m := range objs {
		o, err := caseObject(c, m)
		if err != nil {
			return nil, fmt.Errorf("confirm case %s: %w", id, err)
		}
		parsed = append(parsed, o)
		ids = append(ids, o.ID)
	}

	// Claim the confirmation first: PutCase is the one place two analysts
	// confirming at once are told apart. The import follows; if it fails,
	// the case is put back as it was.
	before := *c
	c.Status = kb.CaseConfirmed
	c.Modified = at
	c.Confirmation = &kb.Confirmation{Actor: actorID, ActorName: actorName, NewActor: newActor != nil, Confidence: cf.Confidence,
		Analyst: cf.Analyst, Reason: cf.Reason, At: at, Objects: ids}
	detail := fmt.Sprintf("to %s (confidence %d)", actorName, cf.Confidence)
	if newActor != nil {
		detail = fmt.Sprintf("to a new actor, %s (confidence %d)", actorName, cf.Confidence)
	}
	if cf.Reason != "" {
		detail += ": " + cf.Reason
	}
	c.History = append(c.History, kb.CaseEvent{At: at, Action: "confirmed", By: cf.Analyst, Detail: detail})
	if err := s.Store.PutCase(ctx, c); err != nil {
		return nil, err
	}
	if err := s.importCreator(ctx, at); err != nil {
		return nil, fmt.Errorf("confirm case %s: %w", id, err)
	}
	if _, err := s.Store.Import(ctx, caseSource(id, at), kb.SliceStream(parsed), kb.ImportOptions{}); err != nil {
		before.Version = c.Version
		if perr := s.Store.PutCase(ctx, &before); perr != nil {
			return nil, fmt.Errorf("confirm case %s: import: %v; and the case could not be put back: %w", id, err, perr)
		}
		return nil, fmt.Errorf("confirm case %s: import: %w", id, err)
	}
	return c, nil
}

// Reopen withdraws a confirmed case: its knowledge objects are imported
// again as revoked (files, which STIX cannot revoke, are left unlinked by
// their revoked relationships), and the case is open again.
func (s *Service) Reopen(ctx context.Context, id, by, reason string) (*kb.Case, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Status != kb.CaseConfirmed || c.Confirmation == nil {
		return nil, errs.E(errs.Conflict, "case %s is not confirmed: there is nothing to reopen", id)
	}
	at := s.now()
	var revoked []*stix.Object
	for _, oid := range c.Confirmation.Objects {
		o, err := s.Store.Object(ctx, oid)
		if err != nil {
			return nil, fmt.Errorf("reopen case %s: %w", id, err)
		}
		if o.Modified.IsZero() || o.Revoked {
			continue // an observable, or withdrawn already
		}
		var m map[string]any
		if err := json.Unmarshal(o.Raw, &m); err != nil {
			return nil, fmt.Errorf("reopen case %s: object %s: %w", id, oid, err)
		}
		m["revoked"] = true
		m["modified"] = stixTime(laterThan(o.Modified, at))
		r, err := caseObject(c, m)
		if err != nil {
			return nil, fmt.Errorf("reopen case %s: %w", id, err)
		}
		revoked = append(revoked, r)
	}
	if len(revoked) > 0 {
		if _, err := s.Store.Import(ctx, caseSource(id, at), kb.SliceStream(revoked), kb.ImportOptions{}); err != nil {
			return nil, fmt.Errorf("reopen case %s: %w", id, err)
		}
	}
	detail := fmt.Sprintf("withdrew the confirmation to %s (%d objects revoked)", c.Confirmation.ActorName, len(revoked))
	if reason != "" {
		detail += ": " + reason
	}
	c.Status = kb.CaseOpen
	c.Confirmation = nil
	c.Modified = at
	c.History = append(c.History, kb.CaseEvent{At: at, Action: "reopened", By: by, Detail: detail})
	if err := s.Store.PutCase(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// laterThan returns at, or just after t when at is not later (a STIX
// version must be newer than the one it replaces).
func laterThan(t, at time.Time) time.Time {
	if at.After(t) {
		return at
	}
	return t.Add(time.Millisecond)
}

// Export writes case id as a STIX 2.1 bundle: culprit's identity, the
// incident with what the case shows, and, when it is confirmed, the
// attribution, each marked with the case's TLP level (the bundle is
// shared as the case is).
func (s *Service) Export(ctx context.Context, id string, know *assess.Knowledge, w io.Writer) error {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return err
	}
	merged, _, err := Merge(c)
	if err != nil {
		return err
	}
	actor, cf, at := "", Confirmation{}, c.Modified
	if c.Confirmation != nil {
		actor = c.Confirmation.Actor
		cf = Confirmation{Confidence: c.Confirmation.Confidence, Analyst: c.Confirmation.Analyst, Reason: c.Confirmation.Reason}
		at = c.Confirmation.At
	}
	objs, err := caseObjects(c, merged, know, actor, cf, at)
	if err != nil {
		return err
	}
	bw := stix.NewBundleWriter(w)
	for _, m := range append([]map[string]any{creatorObject()}, objs...) {
		o, err := caseObject(c, m)
		if err == nil {
			err = bw.Write(o)
		}
		if err != nil {
			return fmt.Errorf("export case %s: %w", id, err)
		}
	}
	return bw.Close()
}

// resolveActor finds the cluster an actor reference names: a STIX id, or
// a name, alias or external id (through the clusters, so that it costs a
// read of the actors, not of the whole name index).
func (s *Service) resolveActor(ctx context.Context, ref string) (*kb.Cluster, error) {
	cs, err := kb.LoadClusters(ctx, s.Store, s.Fold)
	if err != nil {
		return nil, err
	}
	found := cs.Candidates(ref)
	if cl := cs.Of(strings.TrimSpace(ref)); cl != nil {
		found = []*kb.Cluster{cl}
	}
	switch len(found) {
	case 0:
		return nil, errs.E(errs.NotFound, "no actor has the name, alias or id %q (see culprit actors; a group not in the knowledge base is confirmed with --new-actor NAME)", ref)
	case 1:
		return found[0], nil
	}
	var names []string
	for _, cl := range found {
		n := cl.Primary().Name
		if x := cl.Primary().ExternalID("mitre-attack"); x != "" {
			n += " (" + x + ")"
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return nil, errs.E(errs.Invalid, "%q is a name of %d actors (%s): confirm with the one meant, by name or id", ref, len(found), strings.Join(names, "; "))
}

func caseSource(id string, at time.Time) kb.Source {
	return kb.Source{Kind: kb.SourceCase, Name: id, ImportedAt: at}
}

func provenance(id, analyst string, at time.Time) map[string]string {
	return map[string]string{"source_name": "culprit case", "external_id": id,
		"description": fmt.Sprintf("case %s, confirmed by %s on %s", id, analyst, at.Format("2006-01-02"))}
}

// importCreator imports culprit's identity, the creator of what every
// case contributes, under a source of its own: it is shared by cases of
// every level, so it is unmarked, and its provenance must name no case
// (a GREEN reader of the identity would otherwise read the id of a RED
// case). Importing it again changes nothing.
func (s *Service) importCreator(ctx context.Context, at time.Time) error {
	o, err := object(creatorObject())
	if err != nil {
		return err
	}
	src := kb.Source{Kind: kb.SourceBuiltin, Name: "culprit", ImportedAt: at}
	_, err = s.Store.Import(ctx, src, kb.SliceStream([]*stix.Object{o}), kb.ImportOptions{})
	return err
}

func creatorObject() map[string]any {
	return map[string]any{"type": "identity", "spec_version": "2.1", "id": creator, "created": creatorTime, "modified": creatorTime,
		"name": "culprit", "identity_class": "system", "description": "culprit attribution engine"}
}

// caseObject is the STIX object m as case c makes it known: marked with
// the case's TLP level (access.CaseLevel: a case of the command line,
// with no level, is RED), so that a confirmation, a reopen or an export
// of the case is never visible, or shared, below the case itself.
// culprit's own identity, the creator every case shares, stays unmarked.
func caseObject(c *kb.Case, m map[string]any) (*stix.Object, error) {
	o, err := object(m)
	if err != nil || o.ID == creator {
		return o, err
	}
	return access.Mark(o, access.CaseLevel(c.TLP))
}

func object(m map[string]any) (*stix.Object, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return stix.ParseObject(raw)
}

// caseObjects builds the STIX objects of a case: the incident, its uses
// of the techniques and software the knowledge resolves, indicators, and
// samples; with an actor, the attribution too. Their ids depend only on
// the case and what they say, so a confirmation after a reopen replaces
// the same objects.
func caseObjects(c *kb.Case, merged *casefile.Case, know *assess.Knowledge, actor string, cf Confirmation, at time.Time) ([]map[string]any, error) {
	key := "culprit-case:" + c.ID
	ts := stixTime(at)
	prov := []map[string]string{{"source_name": "culprit case", "external_id": c.ID, "description": "case " + c.ID}}
	if actor != "" {
		prov = []map[string]string{provenance(c.ID, cf.Analyst, at)}
	}
	base := func(typ, id string) map[string]any {
		return map[string]any{"type": typ, "spec_version": "2.1", "id": id, "created": stixTime(c.Created), "modified": ts,
			"created_by_ref": creator, "external_references": prov}
	}
	rel := func(typ, src, dst string) map[string]any {
		m := base("relationship", stix.DeterministicID("relationship", key+"|"+typ+"|"+src+"|"+dst))
		m["relationship_type"], m["source_ref"], m["target_ref"] = typ, src, dst
		return m
	}
	incident := base("incident", stix.DeterministicID("incident", key))
	incident["name"] = c.Name
	incident["description"] = fmt.Sprintf("culprit case %s: %d pieces of evidence.", c.ID, len(c.Evidence))
	objs := []map[string]any{incident}
	incidentID := incident["id"].(string)
	if actor != "" {
		a := rel("attributed-to", incidentID, actor)
		a["confidence"] = cf.Confidence
		if cf.Reason != "" {
			a["description"] = cf.Reason
		}
		objs = append(objs, a)
	}
	seen := map[string]bool{}
	for _, it := range merged.Techniques {
		if tid, ok := know.TechniqueID(it.Ref); ok && !seen[tid] {
			seen[tid] = true
			objs = append(objs, rel("uses", incidentID, tid))
		}
	}
	for _, it := range merged.Software {
		if sid, ok := know.SoftwareID(it.Ref); ok && !seen[sid] {
			seen[sid] = true
			objs = append(objs, rel("uses", incidentID, sid))
		}
	}
	if actor == "" {
		return objs, nil
	}
	for _, in := range merged.Indicators {
		pattern, ok := indicatorPattern(in)
		if !ok || seen[pattern] {
			continue
		}
		seen[pattern] = true
		ind := base("indicator", stix.DeterministicID("indicator", key+"|"+pattern))
		ind["pattern"], ind["pattern_type"], ind["valid_from"] = pattern, "stix", ts
		ind["name"] = in.Value
		objs = append(objs, ind, rel("indicates", ind["id"].(string), actor))
	}
	for _, sm := range merged.Samples {
		hashes := map[string]string{}
		for k, v := range map[string]string{"SHA-256": sm.SHA256, "TLSH": sm.TLSH, "SSDEEP": sm.SSDEEP} {
			if v != "" {
				hashes[k] = v
			}
		}
		if len(hashes) == 0 {
			continue
		}
		fkey := key + "|file|" + sm.SHA256 + "|" + sm.TLSH + "|" + sm.SSDEEP
		if seen[fkey] {
			continue
		}
		seen[fkey] = true
		f := map[string]any{"type": "file", "spec_version": "2.1", "id": stix.DeterministicID("file", fkey), "hashes": hashes}
		if sm.Name != "" {
			f["name"] = sm.Name
		}
		objs = append(objs, f, rel("related-to", f["id"].(string), actor))
	}
	return objs, nil
}

// indicatorPattern is the STIX pattern of a case indicator (values are
// already in their canonical form).
func indicatorPattern(in casefile.Indicator) (string, bool) {
	v := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(in.Value)
	switch in.Type {
	case casefile.TypeIPv4, casefile.TypeIPv6, casefile.TypeDomain, casefile.TypeURL, casefile.TypeEmail:
		return fmt.Sprintf("[%s:value = '%s']", in.Type, v), true
	case casefile.TypeMD5, casefile.TypeSHA1, casefile.TypeSHA256, casefile.TypeSHA512:
		alg := strings.TrimPrefix(in.Type, "file:hashes.")
		return fmt.Sprintf("[file:hashes.'%s' = '%s']", alg, v), true
	}
	return "", false
}
