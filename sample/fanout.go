package sample

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// fanout reads size bytes of r once and gives every byte, in order, to
// each lane. Lanes run in their own goroutines on shared, read-only
// buffers (a small ring, so memory stays at ringSize*chunkSize whatever
// the file size); a buffer is reused once every lane has consumed it.
// A lane is a function that reads its input from an io.Reader until EOF.
func fanout(r io.ReaderAt, size int64, lanes ...func(io.Reader) error) error {
	const ringSize = 4
	chunkSize := int(min(256<<10, max(size, 1))) // small files get small buffers
	bufs := make([][]byte, ringSize)
	free := make(chan int, ringSize)
	for i := range bufs {
		bufs[i] = make([]byte, chunkSize)
		free <- i
	}
	var pending [ringSize]atomic.Int32
	release := func(idx int) {
		if pending[idx].Add(-1) == 0 {
			free <- idx
		}
	}
	chans := make([]chan chunk, len(lanes))
	errs := make([]error, len(lanes))
	var wg sync.WaitGroup
	for i, lane := range lanes {
		chans[i] = make(chan chunk, ringSize)
		cr := &chanReader{ch: chans[i], bufs: bufs, release: release}
		wg.Go(func() {
			errs[i] = lane(cr)
			cr.drain() // a lane that stopped early must still free buffers
		})
	}
	sr := io.NewSectionReader(r, 0, size)
	var readErr error
	var total int64
	for {
		idx := <-free
		n, err := io.ReadFull(sr, bufs[idx])
		if n > 0 {
			total += int64(n)
			pending[idx].Store(int32(len(lanes)))
			for _, ch := range chans {
				ch <- chunk{idx, n}
			}
		} else {
			free <- idx
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			readErr = fmt.Errorf("sample: reading at offset %d: %w", total, err)
			break
		}
	}
	for _, ch := range chans {
		close(ch)
	}
	wg.Wait()
	if readErr != nil {
		return readErr
	}
	if total != size {
		return fmt.Errorf("sample: read %d bytes, want %d: %w", total, size, io.ErrUnexpectedEOF)
	}
	return errors.Join(errs...)
}

type chunk struct{ idx, n int }

// chanReader is an io.Reader over the chunks sent to one lane.
type chanReader struct {
	ch      <-chan chunk
	bufs    [][]byte
	release func(int)
	cur     chunk
	off     int
	have    bool
}

func (c *chanReader) Read(p []byte) (int, error) {
	for !c.have {
		ck, ok := <-c.ch
		if !ok {
			return 0, io.EOF
		}
		c.cur, c.off, c.have = ck, 0, true
	}
	n := copy(p, c.bufs[c.cur.idx][c.off:c.cur.n])
	c.off += n
	if c.off == c.cur.n {
		c.have = false
		c.release(c.cur.idx)
	}
	return n, nil
}

// WriteTo hands whole chunks to w, avoiding a copy (io.Copy uses it).
func (c *chanReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if !c.have {
			ck, ok := <-c.ch
			if !ok {
				return total, nil
			}
			c.cur, c.off, c.have = ck, 0, true
		}
		n, err := w.Write(c.bufs[c.cur.idx][c.off:c.cur.n])
		total += int64(n)
		c.have = false
		c.release(c.cur.idx)
		if err != nil {
			return total, err
		}
	}
}

func (c *chanReader) drain() {
	if c.have {
		c.have = false
		c.release(c.cur.idx)
	}
	for ck := range c.ch {
		c.release(ck.idx)
	}
}
