package token

import (
	"context"
	"sync"
)

// versionReads shares the store's data version between concurrent
// checks. A check must see every commit made before it began (a token
// revoked by another process is refused at once), so it needs a read of
// the version that started after it arrived: one running already may
// have started before. Callers that arrive while a read runs wait for the
// next read, which all of them share. Under a busy server's load one read
// then answers many requests (each read was a twentieth of the server's
// CPU, and they queue on the store's one connection for it anyway).
type versionReads struct {
	mu       sync.Mutex
	cond     sync.Cond
	running  bool
	started  uint64 // reads started; the running one is number started
	finished uint64 // number of the last read finished
	v        int64  // its result
	err      error
}

// read returns the result of a call of f that started after read was
// called.
func (r *versionReads) read(ctx context.Context, f func(context.Context) (int64, error)) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cond.L == nil {
		r.cond.L = &r.mu
	}
	need := r.started + 1 // the running read, if any, is r.started: too early
	for r.finished < need {
		if r.running {
			r.cond.Wait()
			continue
		}
		r.running = true
		r.started++
		n := r.started
		r.mu.Unlock()
		// Not cut short by this caller's context: others wait for it.
		v, err := f(context.WithoutCancel(ctx))
		r.mu.Lock()
		r.running = false
		r.finished, r.v, r.err = n, v, err
		r.cond.Broadcast()
	}
	return r.v, r.err
}
