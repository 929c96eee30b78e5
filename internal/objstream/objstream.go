// Package objstream parses the stored objects a backend reads on every
// core and hands them to the caller in the order they were read. Reading a
// whole knowledge base (the attribution knowledge is built from every
// object) spends most of its time in stix.ParseObject, one object after
// another on one core; here rows are read on one goroutine while batches of
// them are parsed on others.
package objstream

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/culprit-cti/culprit/stix"
)

// batchSize is how many rows one parse job holds: enough to make the hand-
// off cheap next to the parsing (tens of microseconds per object).
const batchSize = 128

// Next returns the next row: the object's id and its stored bytes, which
// must not be reused by later calls; ok is false after the last row.
type Next func() (id string, raw []byte, ok bool, err error)

// Rows is what both backends' query results have (database/sql's and
// pgx's): rows of (id, raw).
type Rows interface {
	Next() bool
	Err() error
	Scan(dest ...any) error
}

// FromRows is the Next of rows whose columns are (id, raw); its errors
// say "query objects".
func FromRows(rows Rows) Next {
	return func() (string, []byte, bool, error) {
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return "", nil, false, fmt.Errorf("query objects: %w", err)
			}
			return "", nil, false, nil
		}
		var id string
		var raw []byte // a new one per row: the parse may run after the next Scan
		if err := rows.Scan(&id, &raw); err != nil {
			return "", nil, false, fmt.Errorf("query objects: %w", err)
		}
		return id, raw, true, nil
	}
}

type batch struct {
	ids  []string
	raws [][]byte
	objs []*stix.Object
	err  error         // the first parse error, at index bad
	bad  int           // index of the object that failed to parse
	next error         // an error of next after the batch's rows
	done chan struct{} // closed when parsed
}

// Each calls next until it reports no more rows or an error, parses each
// row's bytes with stix.ParseObject and calls fn with the objects in the
// order of the rows. With parallel, fn runs on the caller's goroutine and
// next on another one while fn runs (so fn must not use what next reads
// from), and the parsing on every core; without, all on the caller's
// goroutine, one row at a time (for small results, where the hand-off
// would cost more than it saves). Each returns the first error of next, of
// a parse (naming the object), or of fn; it has stopped calling next when
// it returns.
func Each(next Next, fn func(*stix.Object) error, parallel bool) error {
	if !parallel {
		return serial(next, stix.ParseObject, fn)
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	jobs := make(chan *batch, workers)
	order := make(chan *batch, 2*workers) // bounds the rows read ahead
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				b.objs = make([]*stix.Object, len(b.raws))
				for i, raw := range b.raws {
					o, err := stix.ParseObject(raw)
					if err != nil {
						b.err, b.bad = err, i
						break
					}
					b.objs[i] = o
				}
				close(b.done)
			}
		}()
	}
	// The reader: batches go to the workers and, in order, to the caller.
	go func() {
		defer close(order)
		defer close(jobs)
		for {
			select {
			case <-stop:
				return
			default:
			}
			b := &batch{done: make(chan struct{})}
			for len(b.raws) < batchSize {
				id, raw, ok, err := next()
				if err != nil {
					b.next = err
					break
				}
				if !ok {
					break
				}
				b.ids, b.raws = append(b.ids, id), append(b.raws, raw)
			}
			if len(b.raws) == 0 && b.next == nil {
				return
			}
			select {
			case jobs <- b:
			case <-stop:
				return
			}
			select {
			case order <- b:
			case <-stop:
				return
			}
			if b.next != nil || len(b.raws) < batchSize {
				return
			}
		}
	}()
	err := func() error {
		for b := range order {
			<-b.done
			for i, o := range b.objs {
				if b.err != nil && i == b.bad {
					return fmt.Errorf("stored object %s: %w", b.ids[i], b.err)
				}
				if err := fn(o); err != nil {
					return err
				}
			}
			if b.next != nil {
				return b.next
			}
		}
		return nil
	}()
	close(stop)
	for b := range order { // drain: the reader returns, and closes jobs
		<-b.done
	}
	wg.Wait()
	return err
}

// EachBrief is Each without parallel, with stix.ParseBrief in place of
// stix.ParseObject: for the small reads of what a card names (its
// techniques and software, the relationships that lead to them), which
// need neither the objects' descriptions nor the hand-off.
func EachBrief(next Next, fn func(*stix.Object) error) error {
	return serial(next, stix.ParseBrief, fn)
}

// serial reads, parses and hands over one row at a time, on the caller's
// goroutine.
func serial(next Next, parse func([]byte) (*stix.Object, error), fn func(*stix.Object) error) error {
	for {
		id, raw, ok, err := next()
		if err != nil || !ok {
			return err
		}
		o, err := parse(raw)
		if err != nil {
			return fmt.Errorf("stored object %s: %w", id, err)
		}
		if err := fn(o); err != nil {
			return err
		}
	}
}
