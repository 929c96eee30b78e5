// Package assess is the attribution pipeline every front end calls: load
// the knowledge (from a knowledge-base store, STIX bundles, or the embedded
// starter knowledge), parse a case, attribute it, and render the result
// (text, JSON, Markdown or a STIX bundle, each a Renderer). The CLI keeps
// only its flags and wiring; the server calls the same functions from its
// handlers.
package assess

import (
	"bytes"
	"context"
	"fmt"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/examples"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/similarity"
	"github.com/culprit-cti/culprit/stix"
)

// Knowledge is the attribution knowledge with a description of where it
// came from, for the user.
type Knowledge struct {
	*attrib.Knowledge
	Source string
}

// Reader is what Load reads of a knowledge base.
type Reader interface {
	Objects(ctx context.Context, q kb.ObjectQuery, fn func(*stix.Object) error) error
	SameAs(ctx context.Context) ([]kb.SameAs, error)
}

// Load builds the knowledge from the active objects and same-as links of
// r, folding actors at the fold threshold (fold <= 0 means kb.DefaultFold).
// When r is nil or holds no actor, it loads the embedded starter knowledge
// instead, and says so in Source.
func Load(ctx context.Context, r Reader, name string, fold int) (*Knowledge, error) {
	if r == nil {
		return Starter(fold)
	}
	var objs []*stix.Object
	hasActor := false
	err := r.Objects(ctx, kb.ObjectQuery{}, func(o *stix.Object) error {
		objs = append(objs, o)
		hasActor = hasActor || kb.IsActor(o.Type)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read knowledge base %s: %w", name, err)
	}
	if !hasActor {
		k, err := Starter(fold)
		if err != nil {
			return nil, err
		}
		k.Source = "embedded starter knowledge (" + name + " holds no actor)"
		return k, nil
	}
	links, err := r.SameAs(ctx)
	if err != nil {
		return nil, fmt.Errorf("read same-as links from %s: %w", name, err)
	}
	opt := attrib.KnowledgeOptions{LinkThreshold: fold}
	// Known samples are searched through the store's persisted similarity
	// index when it has one (rebuilt there when stale, if the store may
	// be written); else the engine indexes them itself.
	if st, ok := r.(similarity.Store); ok {
		if ix, _, err := similarity.Load(ctx, st); err == nil {
			opt.Samples = ix
		}
	}
	return &Knowledge{Knowledge: attrib.NewKnowledge(objs, links, opt), Source: name}, nil
}

// FromObjects builds the knowledge from decoded objects (STIX bundles),
// linking actors with kb.Link as an import would.
func FromObjects(objs []*stix.Object, source string, fold int) *Knowledge {
	return &Knowledge{Knowledge: attrib.NewKnowledge(objs, kb.Link(objs), attrib.KnowledgeOptions{LinkThreshold: fold}), Source: source}
}

// Starter builds the knowledge from the embedded starter knowledge (the
// Sony 2014 bundle of package examples).
func Starter(fold int) (*Knowledge, error) {
	objs, err := stix.ReadAll(bytes.NewReader(examples.StarterKnowledge()), "embedded starter knowledge")
	if err != nil {
		return nil, fmt.Errorf("read embedded starter knowledge: %w", err)
	}
	k := FromObjects(objs, "embedded starter knowledge", fold)
	k.Source = "embedded starter knowledge (the database is empty)"
	return k, nil
}

// Options tune one attribution.
type Options struct {
	Top    int            // hypotheses whose evidence is explained; 0 means 3
	Shared *attrib.Shared // shared infrastructure; nil means the built-in list
	Params *attrib.Params // nil means attrib.DefaultParams()
}

// Attribute attributes a parsed case. The parser's warnings come first
// among the result's warnings.
func (k *Knowledge) Attribute(c *casefile.Case, warns []casefile.Warning, opt Options) (*attrib.Result, error) {
	p := attrib.DefaultParams()
	if opt.Params != nil {
		p = *opt.Params
	}
	explain := 3
	if opt.Top > 0 {
		explain = min(opt.Top, 3)
	}
	res, err := k.Knowledge.Attribute(c, attrib.Options{Params: p, Explain: explain, Shared: opt.Shared})
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "")
	}
	if len(warns) > 0 {
		pw := make([]string, 0, len(warns)+len(res.Warnings))
		for _, w := range warns {
			pw = append(pw, w.String())
		}
		res.Warnings = append(pw, res.Warnings...)
	}
	return res, nil
}

// AttributeFile parses the case file at path (YAML or STIX bundle) and
// attributes it.
func (k *Knowledge) AttributeFile(path string, opt Options) (*attrib.Result, error) {
	c, warns, err := casefile.ParseFile(path)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "")
	}
	res, err := k.Attribute(c, warns, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}
