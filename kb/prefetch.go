package kb

import (
	"context"
	"sync"

	"github.com/culprit-cti/culprit/stix"
)

// Prefetch decodes s ahead in its own goroutine, up to depth objects, so
// that decoding and storing run on two cores. The returned stream has
// NextAt, with each object's starting offset when s has Offset. stop ends
// the goroutine and waits for it (after the object it is decoding, if
// any); call it before closing what s reads, and always, typically with
// defer. The returned stream must be read by one goroutine.
func Prefetch(ctx context.Context, s Stream, depth int) (stream Stream, stop func()) {
	if depth < 1 {
		depth = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &prefetched{ch: make(chan item, depth)}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(p.ch)
		for {
			o, offset, err := Next(s)
			select {
			case p.ch <- item{o, offset, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return p, func() {
		cancel()
		wg.Wait()
	}
}

type item struct {
	obj    *stix.Object
	offset int64
	err    error
}

type prefetched struct {
	ch   chan item
	last item
	done bool
}

func (p *prefetched) NextAt() (*stix.Object, int64, error) {
	if p.done {
		return nil, p.last.offset, p.last.err
	}
	it, ok := <-p.ch
	if !ok {
		// stopped before the end
		p.done = true
		p.last = item{offset: -1, err: context.Canceled}
		return nil, -1, context.Canceled
	}
	if it.err != nil {
		p.done = true
		p.last = it
	}
	return it.obj, it.offset, it.err
}

func (p *prefetched) Next() (*stix.Object, error) {
	o, _, err := p.NextAt()
	return o, err
}
