package attrib

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/ioc"
	"github.com/culprit-cti/culprit/netenrich"
)

// Network is what the engine needs of the offline network data
// (*netenrich.DB): the autonomous system and announced prefix of an
// address.
type Network interface {
	Lookup(netip.Addr) (netenrich.Info, bool)
}

// Weak evidence from the network of a case's address (issue 9): an
// address in the same announced prefix as an actor's known
// infrastructure, or only in the same autonomous system. Both are far
// below an exact indicator (Params.IndicatorLLR, 5): many unrelated
// parties rent from one network, so a shared network only tips a balance
// that other evidence has set. The log likelihood ratio is divided among
// the actors that share the network.
const (
	netblockLLR = 1.0
	asnLLR      = 0.4
)

// netIndex is the network view of the knowledge's address indicators.
type netIndex struct {
	// shared are AS numbers that hold a shared-infrastructure range (a
	// cloud, CDN, public resolver or other warninglist range): a hosting
	// network, no evidence of who rents in it.
	shared map[uint32]string
	byASN  map[uint32]map[int]string // AS -> actor -> path to it
	byNet  map[string]map[int]string // announced prefix -> actor -> path
	org    map[uint32]string
}

// netCache holds the index built for the last Network and Shared used
// with a Knowledge (both are usually the same for every call).
type netCache struct {
	mu     sync.Mutex
	net    Network
	shared *Shared
	ix     *netIndex
}

func (k *Knowledge) netIndexFor(n Network, shared *Shared) *netIndex {
	c := &k.netCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ix != nil && c.net == n && c.shared == shared {
		return c.ix
	}
	ix := &netIndex{shared: map[uint32]string{}, byASN: map[uint32]map[int]string{},
		byNet: map[string]map[int]string{}, org: map[uint32]string{}}
	if shared != nil {
		mark := func(a netip.Addr, name string) {
			if info, ok := n.Lookup(a); ok && info.ASN != 0 {
				if _, have := ix.shared[info.ASN]; !have {
					ix.shared[info.ASN] = name
				}
			}
		}
		for a, name := range shared.addrs {
			mark(a, name)
		}
		for _, p := range shared.prefixes {
			mark(p.p.Addr(), p.name)
		}
	}
	keys := make([]string, 0)
	for key := range k.iocs {
		if strings.HasPrefix(key, string(ioc.IPv4)+"\x00") || strings.HasPrefix(key, string(ioc.IPv6)+"\x00") {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys) // the first path to an actor is kept: deterministic
	for _, key := range keys {
		typ, v, _ := strings.Cut(key, "\x00")
		a, ok := ioc.ParseIP(v)
		if !ok || shared.Match(typ, v) != "" {
			continue
		}
		info, ok := n.Lookup(a)
		if !ok || info.ASN == 0 {
			continue
		}
		if _, hosting := ix.shared[info.ASN]; hosting {
			continue
		}
		ix.org[info.ASN] = info.Org
		for ai, path := range k.iocs[key] {
			addTo(ix.byASN, info.ASN, ai, v+" ("+path+")")
			addTo(ix.byNet, info.Network, ai, v+" ("+path+")")
		}
	}
	c.net, c.shared, c.ix = n, shared, ix
	return ix
}

func addTo[K comparable](m map[K]map[int]string, k K, ai int, path string) {
	in := m[k]
	if in == nil {
		in = map[int]string{}
		m[k] = in
	}
	if _, ok := in[ai]; !ok {
		in[ai] = path
	}
}

// networkItems returns the weak evidence of the case's addresses that
// share a network with an actor's known infrastructure: one item per
// autonomous system (several addresses of a case in one network are one
// choice of hosting, not several), from the announced prefix when an
// address shares one, else from the AS. An address that matches an
// indicator exactly is left to the exact match; an address on shared
// infrastructure, or in a network that holds shared infrastructure (a
// cloud, CDN or VPN range of a warninglist), is no evidence, and said so.
func (k *Knowledge) networkItems(inds []casefile.Indicator, n Network, shared *Shared, warn *[]string) []*item {
	if n == nil || len(inds) == 0 {
		return nil
	}
	ix := k.netIndexFor(n, shared)
	type hit struct {
		addrs    []string
		netblock string
		actors   map[int]string
	}
	hits := map[uint32]*hit{}
	var order []uint32
	for _, ind := range inds {
		if ind.Type != string(ioc.IPv4) && ind.Type != string(ioc.IPv6) {
			continue
		}
		a, ok := ioc.ParseIP(strings.TrimSpace(ind.Value))
		if !ok || len(k.iocs[iocKey(ind.Type, ind.Value)]) > 0 || shared.Match(ind.Type, ind.Value) != "" {
			continue
		}
		info, ok := n.Lookup(a)
		if !ok || info.ASN == 0 {
			continue
		}
		if why, hosting := ix.shared[info.ASN]; hosting {
			*warn = append(*warn, fmt.Sprintf("indicator %s is in AS%d %s, a network that holds shared infrastructure (%s): its network is no evidence", clip(ind.Value), info.ASN, info.Org, why))
			continue
		}
		acts, netblock := ix.byNet[info.Network], info.Network
		if len(acts) == 0 {
			acts, netblock = ix.byASN[info.ASN], ""
		}
		if len(acts) == 0 {
			continue
		}
		h := hits[info.ASN]
		if h == nil {
			h = &hit{actors: map[int]string{}}
			hits[info.ASN] = h
			order = append(order, info.ASN)
		}
		h.addrs = append(h.addrs, a.String())
		if netblock != "" && h.netblock == "" {
			h.netblock, h.actors = netblock, map[int]string{}
		}
		if netblock == "" && h.netblock != "" {
			continue
		}
		for ai, p := range acts {
			if _, ok := h.actors[ai]; !ok {
				h.actors[ai] = p
			}
		}
	}
	var items []*item
	for _, asn := range order {
		h := hits[asn]
		base, where := asnLLR, fmt.Sprintf("AS%d %s", asn, ix.org[asn])
		if h.netblock != "" {
			base, where = netblockLLR, fmt.Sprintf("netblock %s of AS%d %s", h.netblock, asn, ix.org[asn])
		}
		llr := base / float64(len(h.actors))
		it := &item{kind: kIOC, text: "network of " + strings.Join(h.addrs, ", "), matched: where, cost: "cheap",
			detail: fmt.Sprintf("same %s as the known infrastructure of %d %s; weak evidence [%s]", where, len(h.actors), plural(len(h.actors), "actor"), netenrich.Credit),
			sparse: map[int]float64{}, details: map[int]string{}, tech: -1, sw: -1}
		for ai, p := range h.actors {
			it.sparse[ai] = llr
			it.details[ai] = "shares " + where + " with " + p
		}
		items = append(items, it)
	}
	return items
}
