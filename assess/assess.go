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

// CompiledKey is the store blob that holds the compiled knowledge (see
// attrib.Knowledge.WriteTo), tagged with the store's state and the fold
// threshold it was built with.
const CompiledKey = "attribution-knowledge"

// cacheStore is what the compiled knowledge needs of a store.
type cacheStore interface {
	Stats(ctx context.Context) (kb.Stats, error)
	Blob(ctx context.Context, key string) (data []byte, tag string, ok bool, err error)
	PutBlob(ctx context.Context, key, tag string, data []byte) error
}

// Load builds the knowledge from the active objects and same-as links of
// r, folding actors at the fold threshold (fold <= 0 means kb.DefaultFold).
// When r is nil or holds no actor, it loads the embedded starter knowledge
// instead, and says so in Source.
//
// A store that keeps blobs keeps the compiled knowledge too: Load reads
// it when it was compiled from the store as it is, and otherwise builds
// the knowledge and, when the store may be written, stores it for the next
// process (a read-only store is left as it is: Refresh after an import).
func Load(ctx context.Context, r Reader, name string, fold int) (*Knowledge, error) {
	if r == nil {
		return Starter(fold)
	}
	if fold <= 0 {
		fold = kb.DefaultFold
	}
	cache, _ := r.(cacheStore)
	var tag string
	if cache != nil {
		state, err := kb.StateTag(ctx, cache)
		if err != nil {
			return nil, err
		}
		tag = fmt.Sprintf("%s, fold %d", state, fold)
		if data, have, ok, err := cache.Blob(ctx, CompiledKey); err == nil && ok && have == tag {
			k, err := attrib.ReadKnowledge(bytes.NewReader(data), attrib.KnowledgeOptions{LinkThreshold: fold, Samples: samples(ctx, r)})
			if err == nil {
				return &Knowledge{Knowledge: k, Source: name}, nil
			}
			// A damaged or older form is rebuilt, never trusted.
		}
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
	k := attrib.NewKnowledge(objs, links, attrib.KnowledgeOptions{LinkThreshold: fold, Samples: samples(ctx, r)})
	if cache != nil {
		var buf bytes.Buffer
		if _, err := k.WriteTo(&buf); err == nil {
			// Best effort: a read-only store refuses, and the next
			// writer stores it.
			_ = cache.PutBlob(ctx, CompiledKey, tag, buf.Bytes())
		}
	}
	return &Knowledge{Knowledge: k, Source: name}, nil
}

// Refresh compiles the knowledge of a store that may be written and keeps
// it there, so that the next Load reads it instead of building it: call it
// after an import. It does nothing when the compiled form is current.
func Refresh(ctx context.Context, st kb.Store) error {
	_, err := Load(ctx, st, "the knowledge base", 0)
	return err
}

// samples returns the store's persisted similarity index of known
// samples (rebuilt there when stale, if the store may be written), or nil
// when the store keeps none: the engine then indexes the samples itself.
func samples(ctx context.Context, r Reader) *similarity.Index {
	st, ok := r.(similarity.Store)
	if !ok {
		return nil
	}
	ix, _, err := similarity.Load(ctx, st)
	if err != nil {
		return nil
	}
	return ix
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
	// Table tabulates every item for this many leading hypotheses in
	// Result.Table (an ACH matrix, package ach); 0 none.
	Table int
	// Overrides are analysts' ratios for some cells of that table.
	Overrides []attrib.Override
	// Network is the offline network data (nil: none), for the weak
	// evidence of addresses in an actor's networks.
	Network attrib.Network
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
	res, err := k.Knowledge.Attribute(c, attrib.Options{Params: p, Explain: explain, Shared: opt.Shared,
		Table: opt.Table, Overrides: opt.Overrides, Network: opt.Network})
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
