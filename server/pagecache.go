package server

import (
	"container/list"
	"sync"

	"github.com/culprit-cti/culprit/access"
)

// pageCache keeps the encoded TAXII object pages of the knowledge
// collection that were asked for lately. A page depends only on the
// snapshot, the TLP level its reader sees and the query (filters, limit
// and the cursor, which encodes a position in the snapshot's index), so
// each snapshot has its own cache and drops it with the snapshot; clients
// that walk the collection ask for the same pages in turn, and building a
// page (selecting its entries and copying 100 objects into a new
// envelope) was a tenth of a busy server's CPU and a third of the bytes
// it allocated. The least recently used pages go first past maxPageBytes.
type pageCache struct {
	mu    sync.Mutex
	size  int64
	max   int64     // 0 means maxPageBytes
	lru   list.List // of *cachedPage, most recently used first
	pages map[pageKey]*list.Element
}

// maxPageBytes bounds the pages one snapshot keeps: about 270 pages of 100
// objects at 100,000 objects.
const maxPageBytes = 32 << 20

type pageKey struct {
	level access.Level // the highest level the reader sees, at most the snapshot's highest
	query string       // the request's raw query
}

// cachedPage is a page as written: its body and date-added headers.
type cachedPage struct {
	key         pageKey
	body        []byte
	first, last string
}

// get returns the page of key, or nil.
func (c *pageCache) get(key pageKey) *cachedPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.pages[key]
	if e == nil {
		return nil
	}
	c.lru.MoveToFront(e)
	return e.Value.(*cachedPage)
}

// put keeps p, dropping the least recently used pages past the bound. The
// caller does not change p afterwards.
func (c *pageCache) put(p *cachedPage) {
	limit := c.max
	if limit == 0 {
		limit = maxPageBytes
	}
	n := int64(len(p.body))
	if n > limit {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pages == nil {
		c.pages = map[pageKey]*list.Element{}
	}
	if _, have := c.pages[p.key]; have {
		return // another request built it meanwhile
	}
	for c.size+n > limit {
		old := c.lru.Remove(c.lru.Back()).(*cachedPage)
		delete(c.pages, old.key)
		c.size -= int64(len(old.body))
	}
	c.pages[p.key] = c.lru.PushFront(p)
	c.size += n
}
