package tlsh

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
	"github.com/google/go-cmp/cmp"
)

func TestPearsonIsPermutation(t *testing.T) {
	var seen [256]bool
	for i, v := range pearson {
		if seen[v] {
			t.Fatalf("pearson[%d] = %d repeats an earlier value", i, v)
		}
		seen[v] = true
	}
}

func TestLvalue(t *testing.T) {
	for i := 1; i < len(lengthClass); i++ {
		if lengthClass[i] <= lengthClass[i-1] {
			t.Fatalf("lengthClass[%d] = %d, not above lengthClass[%d] = %d", i, lengthClass[i], i-1, lengthClass[i-1])
		}
	}
	tests := []struct {
		n    uint64
		want byte
	}{
		{1, 0}, {2, 1}, {50, 9}, {57, 9}, {58, 10}, {656, 15}, {657, 16},
		{3171, 21}, {3172, 22}, {MaxLen - 1, 169}, {MaxLen, 169},
	}
	for _, tt := range tests {
		if got := lvalue(tt.n); got != tt.want {
			t.Errorf("lvalue(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
}

// readLines returns the non-empty lines of a reference file, split at tabs.
func readLines(t *testing.T, elem ...string) [][]string {
	t.Helper()
	b, err := os.ReadFile(refdata.Path(t, elem...))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		out = append(out, strings.Split(line, "\t"))
	}
	return out
}

// exampleDigests hashes every file of example_data, keyed by the path as the
// reference prints it ("example_data/<name>").
func exampleDigests(t *testing.T) map[string]Digest {
	t.Helper()
	dir := refdata.Path(t, "tlsh", "example_data")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]Digest)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		d, err := Sum(b)
		if err != nil {
			t.Fatalf("Sum(%s) error: %v", e.Name(), err)
		}
		m["example_data/"+e.Name()] = d
	}
	return m
}

func TestExampleData(t *testing.T) {
	got := exampleDigests(t)
	lines := readLines(t, "tlsh", "exp", "example_data.128.1.len.out_EXP")
	if len(lines) != 80 {
		t.Fatalf("expected file has %d lines, want 80", len(lines))
	}
	for _, l := range lines {
		d, ok := got[l[1]]
		if !ok {
			t.Errorf("%s: no such input", l[1])
			continue
		}
		if d.String() != l[0] {
			t.Errorf("Sum(%s) = %s, want %s", l[1], d, l[0])
		}
		p, err := Parse(l[0])
		if err != nil || p != d {
			t.Errorf("Parse(%s) = %v, %v; want %v", l[0], p, err, d)
		}
	}
}

func TestSmall(t *testing.T) {
	for _, name := range []string{"small", "small2"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(refdata.Path(t, "tlsh", "example_data", name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			d, err := Sum(b)
			if err != nil {
				t.Fatalf("Sum error: %v", err)
			}
			want := readLines(t, "tlsh", "exp", name+".128.1.tlsh_EXP")[0][0]
			if got := d.String(); got != want {
				t.Errorf("Sum = %s, want %s", got, want)
			}
			wantOld := readLines(t, "tlsh", "exp", name+".128.1.old.tlsh_EXP")[0][0]
			if got := d.OldString(); got != wantOld {
				t.Errorf("OldString = %s, want %s", got, wantOld)
			}
			if p, err := Parse(wantOld); err != nil || p != d {
				t.Errorf("Parse(%s) = %v, %v; want %v", wantOld, p, err, d)
			}
			wantCons := readLines(t, "tlsh", "exp", name+".128.1.cons.tlsh_EXP")[0][0]
			if wantCons != "TNULL" {
				t.Fatalf("conservative expectation %q, test expects TNULL", wantCons)
			}
			if _, err := Sum(b, Conservative); !errors.Is(err, ErrTooShort) {
				t.Errorf("Sum(Conservative) error = %v, want ErrTooShort", err)
			}
		})
	}
}

// simpleInput builds the inputs of the reference's simple_unittest.
func simpleInput(prefix string, n int) []byte {
	b := make([]byte, n)
	copy(b, prefix)
	for i := len(prefix); i < n-1; i++ {
		b[i] = byte('A' + i%26)
	}
	return b // b[n-1] stays NUL
}

func TestSimpleUnittest(t *testing.T) {
	lines := readLines(t, "tlsh", "exp", "simple_unittest.128.1.EXP")
	want := map[string]string{}
	for _, l := range lines {
		k, v, ok := strings.Cut(l[0], " = ")
		if ok {
			want[k] = v // later lines repeat earlier keys with equal values
		}
	}
	in1 := simpleInput("This is a test for Lili Diao. This is a string. Hello Hello Hello ", 512)
	in2 := simpleInput("This is a test for Jon Oliver. This is a string. Hello Hello Hello ", 1024)
	if got := "'" + string(in1[:511]) + "'"; got != want["str1"] {
		t.Fatalf("input 1 = %s, want %s", got, want["str1"])
	}
	if got := "'" + string(in2[:1023]) + "'"; got != want["str2"] {
		t.Fatalf("input 2 = %s, want %s", got, want["str2"])
	}
	h1, err1 := Sum(in1)
	h2, err2 := Sum(in2)
	if err1 != nil || err2 != nil {
		t.Fatalf("Sum errors: %v, %v", err1, err2)
	}
	// Incremental: the reference feeds the same bytes in several updates.
	inc := New()
	for _, c := range [][]byte{in2[:100], in2[100:101], in2[101:700], in2[700:]} {
		inc.Write(c)
	}
	h4, err := inc.Sum()
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ key, got string }{
		{"hash1", h1.String()},
		{"hash2", h2.String()},
		{"hash3", h1.String()},
		{"hash4", h4.String()},
		{"difference (same strings)", strconv.Itoa(Distance(h1, h1, true))},
		{"difference (with len)", strconv.Itoa(Distance(h1, h2, true))},
		{"difference (without len)", strconv.Itoa(Distance(h1, h2, false))},
	}
	for _, c := range checks {
		if c.got != want[c.key] {
			t.Errorf("%s = %s, want %s", c.key, c.got, want[c.key])
		}
	}
}

func TestTestlen(t *testing.T) {
	lines := readLines(t, "tlsh", "exp", "testlen.128.1.out_EXP")
	var want []string
	var sizes []int
	for _, l := range lines {
		f := strings.Fields(l[0])
		switch {
		case len(l) == 2:
			want = append(want, l[0])
		case len(f) == 2 && f[1] == "testlen2.txt":
			n, err := strconv.Atoi(f[0])
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, n)
		}
	}
	if len(want) != 22 || len(sizes) != 22 {
		t.Fatalf("parsed %d digests and %d sizes, want 22 each", len(want), len(sizes))
	}
	line := []byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890!@#$%^&*()\n")
	a := bytes.Repeat(line, 2)
	b := append(bytes.Clone(a), a...)
	// The next B is B followed by A, so its digest continues B's hashing
	// state with A: hashing each input from scratch would hash 2.6 times
	// as many bytes (which matters under the race detector).
	h := New()
	h.Write(b)
	for k := range 22 {
		if int(h.Len()) != sizes[k] {
			t.Fatalf("iteration %d: input has %d bytes, want %d", k+1, h.Len(), sizes[k])
		}
		d, err := h.Sum()
		if err != nil {
			t.Fatalf("iteration %d: %v", k+1, err)
		}
		if got := d.String(); got != want[k] {
			t.Errorf("iteration %d (%d bytes): Sum = %s, want %s", k+1, h.Len(), got, want[k])
		}
		h.Write(a)
		a, b = b, append(b, a...)
	}
	if testing.Short() || raceEnabled {
		return
	}
	// One-shot hashing of the largest input gives the same digest.
	if d, err := Sum(a); err != nil || d.String() != want[21] {
		t.Errorf("Sum(%d bytes) = %v, %v; want %s", len(a), d, err, want[21])
	}
}

func TestScores(t *testing.T) {
	digests := exampleDigests(t)
	files := []struct {
		name       string
		lengthTerm bool
		rows       int
	}{
		{"example_data.128.1.len.scores_EXP", true, 80},
		{"example_data.128.1.xlen.scores_EXP", false, 80},
		{"example_data.128.1.len.xref.scores_EXP", true, 3160},
		{"example_data.128.1.xlen.xref.scores_EXP", false, 3160},
		{"example_data.128.1.len.scores.2.T-201_EXP", true, 44},
		{"example_data.128.1.xlen.scores.2.T-201_EXP", false, 70},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			lines := readLines(t, "tlsh", "exp", f.name)
			if len(lines) != f.rows {
				t.Fatalf("%d rows, want %d", len(lines), f.rows)
			}
			for _, l := range lines {
				a, b := digests[l[0]], digests[l[1]]
				want, err := strconv.Atoi(l[2])
				if err != nil {
					t.Fatal(err)
				}
				if got := Distance(a, b, f.lengthTerm); got != want {
					t.Errorf("Distance(%s, %s, %v) = %d, want %d", l[0], l[1], f.lengthTerm, got, want)
				}
				if got := Distance(b, a, f.lengthTerm); got != want {
					t.Errorf("Distance(%s, %s, %v) = %d, want %d", l[1], l[0], f.lengthTerm, got, want)
				}
			}
			if strings.Contains(f.name, "T-201") {
				// The filtered list is exactly the rows of the full list
				// with distance <= 201.
				q := lines[0][0]
				n := 0
				for _, d := range digests {
					if Distance(digests[q], d, f.lengthTerm) <= 201 {
						n++
					}
				}
				if n != f.rows {
					t.Errorf("%d digests within 201 of %s, want %d", n, q, f.rows)
				}
			}
		})
	}
}

func TestParts(t *testing.T) {
	const s = "T11454F120A8989D5CF8CAC182F93A3E8D475C317365C5B4911C3C4A9CA5438F5E8FB6EB"
	lines := readLines(t, "tlsh", "exp", "python_parts_test_EXP")
	var want Parts
	for _, l := range lines {
		if len(l) != 2 {
			t.Fatalf("line %q: want 2 fields", l)
		}
		v, err := strconv.Atoi(l[1])
		if err != nil {
			t.Fatal(err)
		}
		switch k := strings.TrimSuffix(l[0], ":"); k {
		case "checksum":
			want.Checksum = v
		case "lvalue":
			want.LValue = v
		case "q1ratio":
			want.Q1Ratio = v
		case "q2ratio":
			want.Q2Ratio = v
		default:
			var i int
			if _, err := fmt.Sscanf(k, "bucket %d", &i); err != nil || i < 0 || i >= 128 {
				t.Fatalf("line %q: unknown key", l)
			}
			want.Buckets[i] = uint8(v)
		}
	}
	d, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, d.Parts()); diff != "" {
		t.Errorf("Parts mismatch (-want +got):\n%s", diff)
	}
	back, err := FromParts(want)
	if err != nil || back != d {
		t.Errorf("FromParts = %v, %v; want %v", back, err, d)
	}
}

func TestParse(t *testing.T) {
	const good = "T11454F120A8989D5CF8CAC182F93A3E8D475C317365C5B4911C3C4A9CA5438F5E8FB6EB"
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"v4", good, true},
		{"old", good[2:], true},
		{"lower case", "T1" + strings.ToLower(good[2:]), true},
		{"empty", "", false},
		{"TNULL", "TNULL", false},
		{"wrong prefix", "T2" + good[2:], false},
		{"lower prefix", "t1" + good[2:], false},
		{"short", good[:71], false},
		{"long", good + "0", false},
		{"not hex", good[:40] + "G" + good[41:], false},
		{"space", good[:40] + " " + good[41:], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("Parse(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if tt.ok && d.String() != strings.ToUpper("T1"+tt.in[len(tt.in)-70:]) {
				t.Errorf("Parse(%q).String() = %s", tt.in, d)
			}
		})
	}
}

func TestTextMarshal(t *testing.T) {
	d, err := Sum(simpleInput("text marshalling ", 300))
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.MarshalText()
	if err != nil || string(b) != d.String() {
		t.Fatalf("MarshalText = %s, %v; want %s", b, err, d)
	}
	var back Digest
	if err := back.UnmarshalText(b); err != nil || back != d {
		t.Errorf("UnmarshalText = %v, %v; want %v", back, err, d)
	}
	if err := back.UnmarshalText([]byte("nonsense")); err == nil {
		t.Error("UnmarshalText(nonsense) succeeded")
	}
}

func TestSumErrors(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return b
	}
	tests := []struct {
		name string
		in   []byte
		opts []Option
		want error
	}{
		{"empty", nil, nil, ErrTooShort},
		{"49 bytes", random(49), nil, ErrTooShort},
		{"50 random bytes", random(50), nil, nil},
		{"255 bytes conservative", random(255), []Option{Conservative}, ErrTooShort},
		{"256 bytes conservative", random(256), []Option{Conservative}, nil},
		{"one repeated byte", bytes.Repeat([]byte{'a'}, 10000), nil, ErrNoVariety},
		{"two-byte pattern", bytes.Repeat([]byte("ab"), 10000), nil, ErrNoVariety},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Sum(tt.in, tt.opts...)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Sum error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestStreaming(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for trial := range 50 {
		in := make([]byte, 50+rnd.IntN(5000))
		for i := range in {
			in[i] = byte(rnd.IntN(40))
		}
		want, wantErr := Sum(in)
		h := New()
		for rest := in; len(rest) > 0; {
			n := min(len(rest), rnd.IntN(9))
			if got, err := h.Write(rest[:n]); got != n || err != nil {
				t.Fatalf("Write = %d, %v; want %d, nil", got, err, n)
			}
			rest = rest[n:]
		}
		got, err := h.Sum()
		if got != want || (err == nil) != (wantErr == nil) {
			t.Fatalf("trial %d: chunked Sum = %v, %v; want %v, %v", trial, got, err, want, wantErr)
		}
		if h.Len() != uint64(len(in)) {
			t.Errorf("Len = %d, want %d", h.Len(), len(in))
		}
		h.Reset()
		h.Write(in)
		if again, _ := h.Sum(); again != want {
			t.Fatalf("after Reset: Sum = %v, want %v", again, want)
		}
	}
}

func TestWriteDoesNotAllocate(t *testing.T) {
	h := New()
	buf := make([]byte, 4096)
	if n := testing.AllocsPerRun(100, func() { h.Write(buf) }); n != 0 {
		t.Errorf("Write allocates %v times per call, want 0", n)
	}
}

func TestDistanceProperties(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		var a, b Digest
		a.checksum, a.lvalue, a.q = byte(rnd.Uint32()), byte(rnd.Uint32()), byte(rnd.Uint32())
		b.checksum, b.lvalue, b.q = byte(rnd.Uint32()), byte(rnd.Uint32()), byte(rnd.Uint32())
		for i := range a.code {
			a.code[i], b.code[i] = byte(rnd.Uint32()), byte(rnd.Uint32())
		}
		for _, lt := range []bool{true, false} {
			if Distance(a, a, lt) != 0 {
				t.Fatalf("Distance(a, a) != 0 for %v", a)
			}
			ab, ba := Distance(a, b, lt), Distance(b, a, lt)
			if ab != ba {
				t.Fatalf("Distance not symmetric: %d, %d", ab, ba)
			}
			if slow := slowDistance(a, b, lt); ab != slow {
				t.Fatalf("Distance(%v, %v, %v) = %d, the definition gives %d", a, b, lt, ab, slow)
			}
		}
	}
}

// slowDistance is the distance computed from Parts, field by field.
func slowDistance(a, b Digest, lengthTerm bool) int {
	pa, pb := a.Parts(), b.Parts()
	modDiff := func(x, y, r int) int {
		d := x - y
		if d < 0 {
			d = -d
		}
		return min(d, r-d)
	}
	d := 0
	if lengthTerm {
		if m := modDiff(pa.LValue, pb.LValue, 256); m <= 1 {
			d += m
		} else {
			d += 12 * m
		}
	}
	for _, m := range []int{modDiff(pa.Q1Ratio, pb.Q1Ratio, 16), modDiff(pa.Q2Ratio, pb.Q2Ratio, 16)} {
		if m <= 1 {
			d += m
		} else {
			d += 12 * (m - 1)
		}
	}
	if pa.Checksum != pb.Checksum {
		d++
	}
	for i := range pa.Buckets {
		x, y := int(pa.Buckets[i]), int(pb.Buckets[i])
		if x < y {
			x, y = y, x
		}
		d += pairCost[x-y]
	}
	return d
}

// lines is a helper for tests that read tool output.
func scanLines(b []byte) []string {
	var out []string
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		out = append(out, s.Text())
	}
	return out
}
