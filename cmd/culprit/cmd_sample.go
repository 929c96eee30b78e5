package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sample"
	"github.com/culprit-cti/culprit/similarity"
	"github.com/culprit-cti/culprit/stix"
)

func sampleCommand() command {
	return command{
		summary: "analyse files statically: hashes, PE/ELF structure, strings, embedded indicators",
		run:     runSample,
	}
}

// sampleOptions are the flags of sample.
type sampleOptions struct {
	asJSON    bool
	strings   bool
	minString int
	family    string
	actor     string
	add       bool
	db        string
}

func runSample(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sample", "[--json] [--strings] [--min-string N] [--add --family NAME [--actor NAME] [--db PATH]] FILE...")
	var o sampleOptions
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON report per file (JSON lines)")
	fs.BoolVar(&o.strings, "strings", false, "list the printable strings (ASCII and UTF-16LE)")
	fs.IntVar(&o.minString, "min-string", sample.DefaultMinString, "shortest string extracted, in characters")
	fs.BoolVar(&o.add, "add", false, "store each file as a STIX file object linked to --family in the knowledge base")
	fs.StringVar(&o.family, "family", "", "malware family the files belong to (with --add); found by name or created")
	fs.StringVar(&o.actor, "actor", "", "with --add: the known actor (intrusion set, threat actor) that uses the family")
	fs.StringVar(&o.db, "db", "", dbUsage)
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%w: no FILE to analyse", errUsage)
	}
	if o.minString < 1 || o.minString > 1024 {
		return fmt.Errorf("%w: --min-string must be between 1 and 1024", errUsage)
	}
	if o.add != (o.family != "") {
		return fmt.Errorf("%w: --add and --family go together", errUsage)
	}
	if o.actor != "" && !o.add {
		return fmt.Errorf("%w: --actor needs --add", errUsage)
	}
	// With --add, the knowledge base is opened and the family and actor
	// resolved before any file is analysed, so that a wrong name fails
	// before anything is printed or stored.
	var add *sampleAdd
	if o.add {
		if add, err = prepareAdd(ctx, e, o); err != nil {
			return err
		}
		defer add.store.Close()
	}
	opts := sample.Options{MinString: o.minString, Strings: o.strings}
	var reports []*sample.Report
	var failed int
	for i, path := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		rep, err := sample.AnalyzeFile(path, opts)
		if err != nil {
			fmt.Fprintf(e.stderr, "culprit sample: %v\n", err)
			failed++
			continue
		}
		reports = append(reports, rep)
		if o.asJSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(rep); err != nil {
				return err
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		if err := writeSampleText(e.stdout, rep, o.strings); err != nil {
			return err
		}
	}
	if add != nil && len(reports) > 0 {
		if err := add.addSamples(ctx, e, reports); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be analysed", failed, len(files))
	}
	return nil
}

// writeSampleText prints a report as aligned text.
func writeSampleText(out io.Writer, r *sample.Report, withStrings bool) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	kv := func(k, format string, args ...any) {
		fmt.Fprintf(w, "%s\t%s\n", k, fmt.Sprintf(format, args...))
	}
	kv("file", "%s", r.Path)
	kv("size", "%d bytes", r.Size)
	kv("md5", "%s", r.MD5)
	kv("sha1", "%s", r.SHA1)
	kv("sha256", "%s", r.SHA256)
	kv("tlsh", "%s", orDash(r.TLSH))
	kv("ssdeep", "%s", orDash(r.SSDEEP))
	if r.Detail != "" {
		kv("type", "%s (%s)", r.Type, r.Detail)
	} else {
		kv("type", "%s", r.Type)
	}
	if p := r.PE; p != nil {
		kind := "executable"
		if p.DLL {
			kind = "DLL"
		}
		kv("pe", "%s %s %s, subsystem %s, entry 0x%x", p.Format, p.Machine, kind, orDash(p.Subsystem), p.EntryPoint)
		ts := p.Timestamp.Format(time.DateTime + " UTC")
		if p.TimestampAnomaly != "" {
			ts += "  [suspect: " + p.TimestampAnomaly + "]"
		}
		kv("compiled", "%s", ts)
		kv("imphash", "%s", orDash(p.ImpHash))
		if p.Rich != nil {
			state := "checksum ok"
			if !p.Rich.ChecksumValid {
				state = "checksum MISMATCH (edited or forged)"
			}
			kv("rich", "%s  %d entries, %s", p.Rich.Hash, len(p.Rich.Entries), state)
			for _, re := range p.Rich.Entries {
				kv("", "product 0x%04x  build %5d  count %d", re.ProductID, re.Build, re.Count)
			}
		}
		if s := p.Signature; s != nil {
			kv("signer", "%s", s.Subject)
			kv("", "issuer %s", s.Issuer)
			kv("", "serial %s, valid %s to %s (signature not verified)", s.SerialNumber, s.NotBefore.Format(time.DateOnly), s.NotAfter.Format(time.DateOnly))
		}
		if p.OverlaySize > 0 {
			kv("overlay", "%d bytes at 0x%x", p.OverlaySize, p.OverlayOffset)
		}
		w.Flush()
		fmt.Fprintf(out, "sections (%d)\n", len(p.Sections))
		fmt.Fprintf(w, "  name\tvaddr\tvsize\traw\trawsize\tentropy\tflags\n")
		for _, s := range p.Sections {
			fmt.Fprintf(w, "  %s\t0x%x\t0x%x\t0x%x\t0x%x\t%.2f\t0x%08x\n", orDash(s.Name), s.VirtualAddress, s.VirtualSize, s.RawOffset, s.RawSize, s.Entropy, s.Characteristics)
		}
		w.Flush()
		if len(p.Imports) > 0 {
			n := 0
			for _, imp := range p.Imports {
				n += len(imp.Functions)
			}
			fmt.Fprintf(out, "imports (%d DLLs, %d functions)\n", len(p.Imports), n)
			for _, imp := range p.Imports {
				var names []string
				for _, f := range imp.Functions {
					if f.Name != "" {
						names = append(names, f.Name)
					} else {
						names = append(names, fmt.Sprintf("#%d", f.Ordinal))
					}
				}
				fmt.Fprintf(out, "  %s: %s\n", imp.DLL, strings.Join(names, ", "))
			}
		}
		if p.Exports != nil && len(p.Exports.Functions) > 0 {
			fmt.Fprintf(out, "exports (%d) from %s\n", len(p.Exports.Functions), orDash(p.Exports.DLLName))
			for _, x := range p.Exports.Functions {
				switch {
				case x.Forwarder != "":
					fmt.Fprintf(w, "  %d\t%s\t-> %s\n", x.Ordinal, orDash(x.Name), x.Forwarder)
				default:
					fmt.Fprintf(w, "  %d\t%s\t0x%x\n", x.Ordinal, orDash(x.Name), x.RVA)
				}
			}
			w.Flush()
		}
		if len(p.Resources) > 0 {
			fmt.Fprintf(out, "resources\n")
			for _, rt := range p.Resources {
				fmt.Fprintf(w, "  %s\t%d\t%d bytes\t%s\n", rt.Type, rt.Count, rt.Size, strings.Join(rt.Languages, ", "))
			}
			w.Flush()
		}
		for _, warn := range p.Warnings {
			fmt.Fprintf(out, "warning: pe: %s\n", warn)
		}
	}
	if f := r.ELF; f != nil {
		kv("elf", "%s %s-endian %s %s, os/abi %s, entry 0x%x", f.Class, f.Endianness, f.Type, f.Machine, f.OSABI, f.Entry)
		if f.Interpreter != "" {
			kv("interpreter", "%s", f.Interpreter)
		}
		if f.SOName != "" {
			kv("soname", "%s", f.SOName)
		}
		if len(f.Needed) > 0 {
			kv("needed", "%s", strings.Join(f.Needed, ", "))
		}
		w.Flush()
		fmt.Fprintf(out, "sections (%d)\n", len(f.Sections))
		fmt.Fprintf(w, "  name\ttype\toffset\tsize\tentropy\n")
		for _, s := range f.Sections {
			fmt.Fprintf(w, "  %s\t%s\t0x%x\t0x%x\t%.2f\n", orDash(s.Name), s.Type, s.Offset, s.Size, s.Entropy)
		}
		w.Flush()
		for _, warn := range f.Warnings {
			fmt.Fprintf(out, "warning: elf: %s\n", warn)
		}
	}
	w.Flush()
	more := ""
	if r.IndicatorsTruncated {
		more = ", more not shown"
	}
	fmt.Fprintf(out, "indicators (%d%s)\n", len(r.Indicators), more)
	for _, in := range r.Indicators {
		fmt.Fprintf(w, "  %s\t%s\n", in.Kind, in.Value)
	}
	w.Flush()
	if withStrings {
		more := ""
		if r.StringsTruncated {
			more = fmt.Sprintf(", %d shown", len(r.Strings))
		}
		fmt.Fprintf(out, "strings (%d%s)\n", r.StringCount, more)
		for _, s := range r.Strings {
			fmt.Fprintf(out, "  %s\n", s)
		}
	} else {
		fmt.Fprintf(out, "strings: %d (list them with --strings)\n", r.StringCount)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(out, "warning: %s\n", warn)
	}
	return w.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// sampleAdd is what sample --add resolved before the analysis: the open
// knowledge base, the family (familyID empty when it is to be created) and
// the actor (empty without --actor).
type sampleAdd struct {
	store                kb.Store
	family               string // the --family value
	familyID, familyName string
	actorID, actorName   string
}

// prepareAdd opens the knowledge base for writing and resolves --family
// and --actor. The family is the active malware object whose name, alias
// or external id matches (kb.Store.LookupName); when there is none it
// will be created. The actor must exist (an active intrusion set or
// threat actor); when it does not, nothing is opened for writing, and no
// database is created.
func prepareAdd(ctx context.Context, e *env, o sampleOptions) (*sampleAdd, error) {
	if o.actor != "" {
		if files := storeFiles(e, o.db); len(files) > 0 {
			if _, err := os.Stat(files[0]); errors.Is(err, fs.ErrNotExist) {
				return nil, errs.E(errs.NotFound, "no actor named %q: there is no knowledge base at %s yet (culprit import FILE first)", o.actor, files[0])
			}
		}
	}
	store, err := openStore(ctx, e, o.db, true)
	if err != nil {
		return nil, err
	}
	a := &sampleAdd{store: store, family: o.family, familyName: o.family}
	fail := func(err error) (*sampleAdd, error) {
		store.Close()
		return nil, err
	}
	matches, err := store.LookupName(ctx, o.family)
	if err != nil {
		return fail(fmt.Errorf("look up family %q: %w", o.family, err))
	}
	for _, m := range matches {
		if m.Type == "malware" && !m.Inactive {
			a.familyID, a.familyName = m.ID, m.Name
			break
		}
	}
	if o.actor != "" {
		ms, err := store.LookupName(ctx, o.actor)
		if err != nil {
			return fail(fmt.Errorf("look up actor %q: %w", o.actor, err))
		}
		for _, m := range ms {
			if kb.IsActor(m.Type) && !m.Inactive {
				a.actorID, a.actorName = m.ID, m.Name
				break
			}
		}
		if a.actorID == "" {
			return fail(errs.E(errs.NotFound, "no actor named %q in the knowledge base (see culprit actors): nothing analysed or stored", o.actor))
		}
	}
	return a, nil
}

// addSamples stores each analysed file in the knowledge base as a STIX 2.1
// file object (hashes MD5, SHA-1, SHA-256, TLSH, SSDEEP; the file name),
// links it to the malware family with a related-to relationship (file →
// malware), and imports everything in one transaction. A new family is a
// malware object (is_family true) with the files as its sample_refs. With
// an actor, the actor gets a "uses" relationship to the family, so that
// the samples lead to it. Identifiers are deterministic, so adding the
// same file twice stores it once. The similarity index is then rebuilt
// and persisted, so that readers (culprit similar) find it current.
func (a *sampleAdd) addSamples(ctx context.Context, e *env, reports []*sample.Report) error {
	store := a.store
	familyID, familyName, actorID, actorName := a.familyID, a.familyName, a.actorID, a.actorName
	now := time.Now().UTC().Truncate(time.Millisecond)
	var objs []*stix.Object
	var fileIDs []string
	sum := sha256.New()
	for _, r := range reports {
		obj, err := fileObject(r)
		if err != nil {
			return err
		}
		objs = append(objs, obj)
		fileIDs = append(fileIDs, obj.ID)
		io.WriteString(sum, r.SHA256)
	}
	created := familyID == ""
	if created {
		familyID = stix.DeterministicID("malware", "culprit-family:"+kb.Normalize(a.family))
		mal, err := stixObject(map[string]any{
			"type": "malware", "spec_version": "2.1", "id": familyID,
			"created": now, "modified": now,
			"name": a.family, "is_family": true, "sample_refs": fileIDs,
		})
		if err != nil {
			return err
		}
		objs = append(objs, mal)
	}
	for _, id := range fileIDs {
		rel, err := addedRelationship("culprit-sample-of", "related-to", id, familyID, now, "sample of the malware family (culprit sample --add)")
		if err != nil {
			return err
		}
		objs = append(objs, rel)
	}
	if actorID != "" {
		rel, err := addedRelationship("culprit-actor-uses", "uses", actorID, familyID, now, "actor uses the malware family (culprit sample --add --actor)")
		if err != nil {
			return err
		}
		objs = append(objs, rel)
	}
	io.WriteString(sum, familyID+actorID)
	src := kb.Source{Kind: kb.SourceFile, Name: "culprit sample --add", Path: reports[0].Path, SHA256: hex.EncodeToString(sum.Sum(nil))}
	if _, err := store.Import(ctx, src, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		return fmt.Errorf("store samples: %w", err)
	}
	if _, _, err := similarity.Load(ctx, store); err != nil {
		return fmt.Errorf("update the similarity index: %w", err)
	}
	how := "existing"
	if created {
		how = "new"
	}
	fmt.Fprintf(e.stderr, "culprit sample: stored %d file(s) as samples of %s family %q (%s)\n", len(fileIDs), how, familyName, familyID)
	if actorID != "" {
		fmt.Fprintf(e.stderr, "culprit sample: linked actor %q (%s) to the family\n", actorName, actorID)
	}
	return nil
}

// addedRelationship returns a relationship that sample --add creates. Its
// id is deterministic over idKey and its ends, so adding the same sample
// again stores nothing new.
func addedRelationship(idKey, typ, source, target string, now time.Time, description string) (*stix.Object, error) {
	return stixObject(map[string]any{
		"type": "relationship", "spec_version": "2.1",
		"id":      stix.DeterministicID("relationship", idKey+":"+source+"|"+target),
		"created": now, "modified": now,
		"relationship_type": typ,
		"description":       description,
		"source_ref":        source, "target_ref": target,
	})
}

// fileObject returns the STIX 2.1 file object of a report. Its id is the
// deterministic SCO id over the id-contributing properties present:
// hashes (reduced to one, the first of MD5, SHA-1, SHA-256, as STIX 2.1
// section 2.9 prescribes) and name.
func fileObject(r *sample.Report) (*stix.Object, error) {
	hashes := map[string]string{"MD5": r.MD5, "SHA-1": r.SHA1, "SHA-256": r.SHA256}
	if r.TLSH != "" {
		hashes["TLSH"] = r.TLSH
	}
	if r.SSDEEP != "" {
		hashes["SSDEEP"] = r.SSDEEP
	}
	name := filepath.Base(r.Path)
	key, err := canonicalJSON(map[string]any{"hashes": map[string]string{"MD5": r.MD5}, "name": name})
	if err != nil {
		return nil, err
	}
	obj := map[string]any{
		"type": "file", "spec_version": "2.1", "id": stix.DeterministicID("file", key),
		"hashes": hashes, "name": name, "size": r.Size,
	}
	if r.Type != sample.Unknown {
		if mt := mimeType(r.Type); mt != "" {
			obj["mime_type"] = mt
		}
	}
	return stixObject(obj)
}

func mimeType(t sample.FileType) string {
	switch t {
	case sample.PE, sample.MSDOS:
		return "application/vnd.microsoft.portable-executable"
	case sample.ELF:
		return "application/x-executable"
	case sample.PDF:
		return "application/pdf"
	case sample.ZIP, sample.OOXML:
		return "application/zip"
	case sample.Gzip:
		return "application/gzip"
	case sample.Text, sample.Script:
		return "text/plain"
	}
	return ""
}

// canonicalJSON encodes v with sorted keys, no insignificant space and no
// HTML escaping, as RFC 8785 (JCS) does for the strings culprit writes.
func canonicalJSON(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func stixObject(m map[string]any) (*stix.Object, error) {
	for k, v := range m {
		if t, ok := v.(time.Time); ok {
			m[k] = t.Format("2006-01-02T15:04:05.000Z")
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	obj, err := stix.ParseObject(raw)
	if err != nil {
		return nil, fmt.Errorf("build %s object: %w", m["type"], err)
	}
	return obj, nil
}
