package objstream

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/stix"
)

// rows gives n malware objects; bad (if >= 0) is not JSON; failAt (if >= 0)
// makes next fail there. It counts the calls of next after the end.
type rows struct {
	n, i, bad, failAt int
	after             int
}

func (r *rows) next() (string, []byte, bool, error) {
	if r.i == r.failAt {
		return "", nil, false, errors.New("connection lost")
	}
	if r.i >= r.n {
		r.after++
		return "", nil, false, nil
	}
	id := stix.DeterministicID("malware", fmt.Sprint(r.i))
	raw := `{"type":"malware","spec_version":"2.1","id":"` + id + `","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"m` + fmt.Sprint(r.i) + `","is_family":true}`
	if r.i == r.bad {
		raw = "{"
	}
	r.i++
	return id, []byte(raw), true, nil
}

func TestEachKeepsOrder(t *testing.T) {
	for _, parallel := range []bool{false, true} {
		for _, n := range []int{0, 1, batchSize, batchSize + 1, 10*batchSize + 7} {
			t.Run(fmt.Sprintf("parallel=%v/n=%d", parallel, n), func(t *testing.T) {
				r := &rows{n: n, bad: -1, failAt: -1}
				var got []string
				err := Each(r.next, func(o *stix.Object) error { got = append(got, o.Name); return nil }, parallel)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != n {
					t.Fatalf("%d objects, want %d", len(got), n)
				}
				for i, name := range got {
					if name != fmt.Sprint("m", i) {
						t.Fatalf("object %d is %s", i, name)
					}
				}
				if r.after > 1 {
					t.Errorf("next called %d times after it said there were no more rows", r.after)
				}
			})
		}
	}
}

func TestEachErrors(t *testing.T) {
	for _, parallel := range []bool{false, true} {
		t.Run(fmt.Sprint("parallel=", parallel), func(t *testing.T) {
			// A row that does not parse: the objects before it are
			// delivered, the error names it.
			r := &rows{n: 1000, bad: 300, failAt: -1}
			seen := 0
			err := Each(r.next, func(*stix.Object) error { seen++; return nil }, parallel)
			if err == nil || !strings.Contains(err.Error(), stix.DeterministicID("malware", "300")) || seen != 300 {
				t.Errorf("bad row: err %v after %d objects; want an error naming object 300 after 300", err, seen)
			}
			// An error of next is returned after the rows before it.
			r = &rows{n: 1000, bad: -1, failAt: 500}
			seen = 0
			err = Each(r.next, func(*stix.Object) error { seen++; return nil }, parallel)
			if err == nil || err.Error() != "connection lost" || seen != 500 {
				t.Errorf("failing next: err %v after %d objects; want connection lost after 500", err, seen)
			}
			// An error of fn stops the reading: next is not called
			// after Each returns, nor much beyond the rows in flight.
			r = &rows{n: 1 << 20, bad: -1, failAt: -1}
			stop := errors.New("enough")
			err = Each(r.next, func(o *stix.Object) error {
				if o.Name == "m10" {
					return stop
				}
				return nil
			}, parallel)
			read := r.i
			if !errors.Is(err, stop) {
				t.Errorf("fn error: %v, want it returned", err)
			}
			if read > 100*batchSize || r.i != read {
				t.Errorf("fn error: %d rows read (then %d), want the reading stopped", read, r.i)
			}
		})
	}
}

// TestEachBrief: the rows in order, read by stix.ParseBrief, and a row
// that does not parse named in the error.
func TestEachBrief(t *testing.T) {
	r := &rows{n: 5, bad: -1, failAt: -1}
	var got []string
	if err := EachBrief(r.next, func(o *stix.Object) error { got = append(got, o.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := "m0 m1 m2 m3 m4"; strings.Join(got, " ") != want {
		t.Errorf("EachBrief gave %q, want %q", got, want)
	}
	r = &rows{n: 5, bad: 3, failAt: -1}
	err := EachBrief(r.next, func(*stix.Object) error { return nil })
	if bad := stix.DeterministicID("malware", "3"); err == nil || !strings.Contains(err.Error(), "stored object "+bad) {
		t.Errorf("EachBrief over a bad row = %v, want an error naming %s", err, bad)
	}
}
