package navigator

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/investigation"
	"github.com/culprit-cti/culprit/kb"
)

// ForCase is the layer of a stored case (Case): the techniques of its
// accepted evidence, and those of the leading hypothesis of its latest
// result (none before the case is attributed, or when the unknown actor
// leads). Clusters cs are those of r (nil: loaded from r at the default
// fold). Everything is read through r: pass an access.View for a caller
// of a given TLP level.
func ForCase(ctx context.Context, r kb.Reader, cs *kb.Clusters, c *kb.Case) (*Layer, []string, error) {
	merged, _, err := investigation.Merge(c)
	if err != nil {
		return nil, nil, err
	}
	cat, err := LoadCatalogue(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	var techs []string
	for _, t := range merged.Techniques {
		techs = append(techs, t.Ref)
	}
	var top *kb.Card
	var uses map[string]*Use
	if n := len(c.Results); n > 0 {
		var res attrib.Result
		if err := json.Unmarshal(c.Results[n-1].Result, &res); err != nil {
			return nil, nil, fmt.Errorf("case %s: decode the latest result: %w", c.ID, err)
		}
		if res.Top != "" && res.Top != attrib.UnknownHypothesis {
			if cs == nil {
				if cs, err = kb.LoadClusters(ctx, r, 0); err != nil {
					return nil, nil, err
				}
			}
			top, err = kb.ActorCardWith(ctx, r, cs, res.Top)
			if err != nil {
				return nil, nil, fmt.Errorf("case %s: the leading hypothesis: %w", c.ID, err)
			}
			if uses, err = Uses(ctx, r, cat, top); err != nil {
				return nil, nil, err
			}
		}
	}
	l, warns := Case(cat, c.Name, techs, top, uses)
	l.Metadata = append(l.Metadata, Metadata{Name: "case id", Value: c.ID})
	return l, warns, nil
}
