package token

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every read answers with a call of f that started after the read began,
// and concurrent reads share calls.
func TestVersionReadsShareLaterCalls(t *testing.T) {
	var r versionReads
	var calls atomic.Int64
	f := func(context.Context) (int64, error) {
		n := calls.Add(1)
		time.Sleep(time.Millisecond)
		return n, nil
	}
	const readers, each = 20, 25
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			for range each {
				before := calls.Load()
				v, err := r.read(context.Background(), f)
				if err != nil || v <= before {
					t.Errorf("read = %d, %v: a call that started before the read (%d calls then)", v, err, before)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := calls.Load(); n >= readers*each {
		t.Errorf("%d calls for %d reads: concurrent reads did not share", n, readers*each)
	}
}
