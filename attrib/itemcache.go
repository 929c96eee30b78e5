package attrib

import "sync"

// itemCache keeps, for the last Params used with a Knowledge, the
// per-actor log likelihood ratios of the techniques and software that
// attributions have met. They depend only on the knowledge, the item and
// the parameters, and computing them (every actor's count, its
// neighbours' rates and two logarithms, for each item) was most of an
// attribution's time: a server attributes the same few hundred techniques
// in every case, and the suggestions read those of both leading
// hypotheses. A change of Params starts the cache again (a parameter
// search keeps its parameters for a whole pass over the cases).
//
// The cached slices are shared by every item made from them and never
// written: applyOverrides copies an item's ratios before it changes them.
type itemCache struct {
	mu     sync.Mutex
	p      Params
	set    bool // p is the parameters of the entries
	tech   map[int]*itemLLR
	sw     map[int]*itemLLR
	floats int // the floats held, at most limit
	limit  int // 0 means maxCachedFloats
}

// maxCachedFloats bounds the memory of one Knowledge's cache (16 MiB): at
// 1,150 actors that is every ATT&CK technique and about a thousand
// software.
const maxCachedFloats = 2 << 20

// itemLLR is what an item of a technique or software owes to the
// knowledge and the parameters alone.
type itemLLR struct {
	dense   []float64 // log likelihood ratio of each actor
	bg      float64   // the item's background rate
	unknown float64   // the unknown actor's ratio
	detail  string
}

// get returns the entry of technique or software index i (kd is kTech or
// kSoft) under p, computing it with build when it is not cached. A cache
// kept for other parameters starts again for p when reset is true; when
// reset is false it is left alone and get returns nil, for a caller that
// needs only a few actors' ratios and computes them more cheaply than
// build.
func (c *itemCache) get(kd kind, i int, p Params, reset bool, build func() *itemLLR) *itemLLR {
	c.mu.Lock()
	if c.set && c.p == p {
		if v := c.table(kd)[i]; v != nil {
			c.mu.Unlock()
			return v
		}
	} else if !reset {
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	// Built outside the lock: two callers may build the same entry, and
	// both results are the same.
	v := build()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.set || c.p != p {
		if !reset {
			return v // the parameters changed meanwhile
		}
		c.p, c.set, c.floats = p, true, 0
		c.tech, c.sw = map[int]*itemLLR{}, map[int]*itemLLR{}
	}
	limit := c.limit
	if limit == 0 {
		limit = maxCachedFloats
	}
	if c.floats+len(v.dense) <= limit {
		if _, have := c.table(kd)[i]; !have {
			c.table(kd)[i] = v
			c.floats += len(v.dense)
		}
	}
	return v
}

func (c *itemCache) table(kd kind) map[int]*itemLLR {
	if kd == kTech {
		return c.tech
	}
	return c.sw
}
