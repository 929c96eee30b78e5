package kb

import "context"

// FindActorsWith is FindActors over clusters already built from r (by
// LoadClusters or NewClusters over r's actors and links), for a server
// that answers many lookups from one state of the knowledge base: the
// clusters are the costly part of a lookup.
func FindActorsWith(ctx context.Context, r Reader, cs *Clusters, query string) ([]*Card, error) {
	matches, err := r.LookupName(ctx, query)
	if err != nil {
		return nil, err
	}
	var cards []*Card
	done := make(map[string]*Card)
	for _, m := range matches {
		if !IsActor(m.Type) {
			continue
		}
		cl := cs.Of(m.ID)
		key := m.ID
		if cl != nil {
			key = cl.ID
		}
		if c, ok := done[key]; ok {
			c.Matches = append(c.Matches, m)
			continue
		}
		c, err := buildCard(ctx, r, cs, cl, m.ID)
		if err != nil {
			return nil, err
		}
		done[key] = c
		c.Matches = append(c.Matches, m)
		cards = append(cards, c)
	}
	return cards, nil
}

// ActorCardWith is ActorCard over clusters already built from r.
func ActorCardWith(ctx context.Context, r Reader, cs *Clusters, id string) (*Card, error) {
	return buildCard(ctx, r, cs, cs.Of(id), id)
}
