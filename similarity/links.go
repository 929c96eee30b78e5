package similarity

import (
	"context"
	"slices"
	"strings"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// Reader is what Links reads of the knowledge: a store, or an access.View
// of it (then hidden families and actors are left out, as absent).
type Reader interface {
	Object(ctx context.Context, id string) (*stix.Object, error)
	Relationships(ctx context.Context, q kb.RelationshipQuery, fn func(*stix.Object) error) error
}

// Link is a family or an actor a known sample leads to.
type Link struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Via  string `json:"via,omitempty"` // the family, for an actor
}

// Links returns the malware families a stored sample belongs to (a
// relationship from the file to a malware object) and the actors that use
// those families. Neither is ever nil.
func Links(ctx context.Context, rd Reader, fileID string) (families, actors []Link, err error) {
	var famIDs []string
	err = rd.Relationships(ctx, kb.RelationshipQuery{SourceRefs: []string{fileID}}, func(r *stix.Object) error {
		if strings.HasPrefix(r.TargetRef, "malware--") && !slices.Contains(famIDs, r.TargetRef) {
			famIDs = append(famIDs, r.TargetRef)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for _, fid := range famIDs {
		fam, err := rd.Object(ctx, fid)
		if err != nil {
			continue // a family removed since (or hidden): nothing to show
		}
		families = append(families, Link{ID: fid, Name: fam.Name})
		err = rd.Relationships(ctx, kb.RelationshipQuery{Types: []string{"uses"}, TargetRefs: []string{fid}}, func(r *stix.Object) error {
			if kb.IsActor(strings.SplitN(r.SourceRef, "--", 2)[0]) && !slices.ContainsFunc(actors, func(a Link) bool { return a.ID == r.SourceRef }) {
				actors = append(actors, Link{ID: r.SourceRef, Via: fam.Name})
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	for i := range actors {
		if a, err := rd.Object(ctx, actors[i].ID); err == nil {
			actors[i].Name = a.Name
		}
	}
	if families == nil {
		families = []Link{}
	}
	if actors == nil {
		actors = []Link{}
	}
	return families, actors, nil
}
