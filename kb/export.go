package kb

import (
	"context"
	"fmt"
	"io"

	"github.com/culprit-cti/culprit/stix"
)

// ExportOptions tune Export.
type ExportOptions struct {
	// All exports revoked and deprecated objects too.
	All bool
	// BundleID, when set, is the bundle's id (bundle--<UUID>), for a
	// deterministic output; otherwise it is random.
	BundleID string
}

// Export writes the objects of the store as one STIX 2.1 bundle to w: the
// active ones, or every one with opts.All. Each object is written as stored
// (its Raw JSON), so custom properties and unknown types survive. Objects
// come in the store's order (type, then id), except relationships, which
// come last; without opts.All a relationship whose source or target is not
// exported is left out, so that the bundle can be imported on its own.
// Export returns the number of objects written.
func Export(ctx context.Context, r Reader, w io.Writer, opts ExportOptions) (int, error) {
	bw := stix.NewBundleWriter(w)
	if opts.BundleID != "" {
		bw.ID = opts.BundleID
	}
	written := make(map[string]bool)
	var rels []*stix.Object
	n := 0
	err := r.Objects(ctx, ObjectQuery{IncludeInactive: opts.All}, func(o *stix.Object) error {
		if o.Type == "relationship" {
			rels = append(rels, o)
			return nil
		}
		if err := bw.Write(o); err != nil {
			return fmt.Errorf("export %s: %w", o.ID, err)
		}
		written[o.ID] = true
		n++
		return nil
	})
	if err != nil {
		return n, err
	}
	for _, o := range rels {
		if !opts.All && (!written[o.SourceRef] || !written[o.TargetRef]) {
			continue
		}
		if err := bw.Write(o); err != nil {
			return n, fmt.Errorf("export %s: %w", o.ID, err)
		}
		n++
	}
	if err := bw.Close(); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}
