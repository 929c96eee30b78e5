package ssdeep

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/internal/refdata"
)

// TestGenerateSmall checks every row of ffuzzy's generate-small list:
// truncated (flag 1), untruncated (flag 2), normalised (flag 4).
func TestGenerateSmall(t *testing.T) {
	root := refdata.Path(t, "ssdeep", "ffuzzy")
	f, err := os.Open(filepath.Join(root, "data", "testsuite", "generate-small.ssdeep.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	rows := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 3 {
			t.Fatalf("bad line %q", line)
		}
		flags, err := strconv.Atoi(fields[1])
		if err != nil {
			t.Fatalf("bad flags in %q", line)
		}
		data, err := os.ReadFile(filepath.Join(root, fields[0]))
		if err != nil {
			t.Fatal(err)
		}
		rows++
		t.Run(fmt.Sprintf("%s/%d", filepath.Base(fields[0]), flags), func(t *testing.T) {
			h := New()
			// Feed in uneven chunks to exercise streaming.
			for rest := data; len(rest) > 0; {
				n := min(len(rest), 1+len(rest)%7)
				h.Write(rest[:n])
				rest = rest[n:]
			}
			var got Digest
			switch {
			case flags&1 != 0:
				got = h.Sum()
			case flags&2 != 0:
				got = h.SumUntruncated()
			default:
				t.Fatalf("flags %d name neither form", flags)
			}
			if flags&4 != 0 {
				got = got.Normalize()
			}
			if got.String() != fields[2] {
				t.Errorf("digest = %s, want %s", got, fields[2])
			}
			if flags&1 != 0 && flags&4 == 0 {
				if s := Sum(data).String(); s != fields[2] {
					t.Errorf("Sum = %s, want %s", s, fields[2])
				}
			}
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if rows < 500 {
		t.Errorf("read %d rows, want the whole list (557)", rows)
	}
}

// readHashList reads a compare corpus: one digest per line.
func readHashList(t *testing.T, path string) []Digest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ds []Digest
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		d, err := Parse(strings.TrimRight(line, "\r"))
		if err != nil {
			t.Fatalf("%s:%d: %v", path, i+1, err)
		}
		if s := d.String(); !strings.HasPrefix(line, s) {
			t.Fatalf("%s:%d: String = %s, want prefix of %s", path, i+1, s, line)
		}
		ds = append(ds, d)
	}
	return ds
}

// readScores reads "a b score" rows (ids or 1-based lines, # comments).
func readScores(t *testing.T, path string, base int) map[[2]int]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	m := map[[2]int]int{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 3 {
			t.Fatalf("%s: bad row %q", path, line)
		}
		a, err1 := strconv.Atoi(f[0])
		b, err2 := strconv.Atoi(f[1])
		s, err3 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("%s: bad row %q", path, line)
		}
		m[[2]int{a - base, b - base}] = s
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkAllPairs compares every pair (and each digest with itself) and
// checks the scores against want (pairs i<j; missing pairs score 0).
func checkAllPairs(t *testing.T, ds []Digest, want map[[2]int]int) {
	t.Helper()
	bad := 0
	for i := range ds {
		if got := Compare(ds[i], ds[i]); got != 100 && ds[i].Part1 != "" {
			// libfuzzy: identical digests always score 100.
			t.Errorf("Compare(%s, itself) = %d, want 100", ds[i], got)
		}
		for j := i + 1; j < len(ds); j++ {
			got := Compare(ds[i], ds[j])
			w := want[[2]int{i, j}]
			if got != w {
				bad++
				if bad <= 20 {
					t.Errorf("Compare(#%d %s, #%d %s) = %d, want %d", i, ds[i], j, ds[j], got, w)
				}
			}
			if r := Compare(ds[j], ds[i]); r != got {
				t.Errorf("Compare not symmetric for #%d, #%d: %d, %d", i, j, got, r)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d pairs differ", bad, len(ds)*(len(ds)-1)/2)
	}
}

func TestCompareCorpora(t *testing.T) {
	dir := refdata.Path(t, "ssdeep", "ffuzzy", "data", "testsuite", "compare")
	oracle := refdata.Path(t, "ssdeep", "oracle", "compare")
	for _, tc := range []struct{ name, scores string }{
		{"big_cluster.uniform_blocksize.4x128", "big_cluster.uniform_blocksize.4x128.scores.tsv.gz"},
		{"malware_all.uniform_blocksize.16x32", "malware_all.uniform_blocksize.16x32.scores.tsv"},
		{"various", "various.scores.tsv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := readHashList(t, filepath.Join(dir, tc.name+".txt"))
			want := readScores(t, filepath.Join(oracle, tc.scores), 1)
			checkAllPairs(t, ds, want)
		})
	}
}

// oracleItem is one row of oracle/items.json.
type oracleItem struct {
	ID     int    `json:"id"`
	Kind   string `json:"kind"`
	Seed   uint64 `json:"seed"`
	Size   int    `json:"size"`
	Block  int    `json:"block"`
	Base   int    `json:"base"`
	Edits  int    `json:"edits"`
	SHA256 string `json:"sha256"`
	SSDeep string `json:"ssdeep"`
}

// xorshift is the oracle's PRNG (xorshift64*).
type xorshift struct{ s uint64 }

func newXorshift(seed uint64) *xorshift { return &xorshift{seed * 0x9E3779B97F4A7C15} }

func (x *xorshift) next() uint64 {
	x.s ^= x.s >> 12
	x.s ^= x.s << 25
	x.s ^= x.s >> 27
	return x.s * 0x2545F4914F6CDD1D
}

func genRandom(r *xorshift, size int) []byte {
	b := make([]byte, (size+7)/8*8)
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.next())
	}
	return b[:size]
}

const textAlphabet = "abcdefghijklmnopqrstuvwxyz     \n"

func genText(r *xorshift, size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = textAlphabet[r.next()>>59]
	}
	return b
}

// genEdit applies the oracle's edits (replace, insert, delete) to a copy of base.
func genEdit(r *xorshift, base []byte, edits int) []byte {
	buf := append([]byte(nil), base...)
	for range edits {
		pos := int(r.next() % uint64(len(buf)))
		switch r.next() % 3 {
		case 0:
			buf[pos] = byte(r.next() >> 56)
		case 1:
			c := byte(r.next() >> 56)
			buf = append(buf, 0)
			copy(buf[pos+1:], buf[pos:])
			buf[pos] = c
		case 2:
			buf = append(buf[:pos], buf[pos+1:]...)
		}
	}
	return buf
}

func loadOracle(t *testing.T) []oracleItem {
	t.Helper()
	b, err := os.ReadFile(refdata.Path(t, "ssdeep", "oracle", "items.json"))
	if err != nil {
		t.Fatal(err)
	}
	var items []oracleItem
	if err := json.Unmarshal(b, &items); err != nil {
		t.Fatal(err)
	}
	return items
}

// TestOracleItems regenerates the 300 oracle inputs, checks their SHA-256
// first, then their digests.
func TestOracleItems(t *testing.T) {
	items := loadOracle(t)
	inputs := make([][]byte, len(items))
	for i, it := range items {
		if it.ID != i {
			t.Fatalf("item %d has id %d", i, it.ID)
		}
		var in []byte
		switch it.Kind {
		case "random":
			in = genRandom(newXorshift(it.Seed), it.Size)
		case "text":
			in = genText(newXorshift(it.Seed), it.Size)
		case "repeat":
			blk := genRandom(newXorshift(it.Seed), it.Block)
			in = make([]byte, it.Size)
			for j := range in {
				in[j] = blk[j%it.Block]
			}
		case "prefix":
			in = inputs[it.Base][:it.Size]
		case "edit":
			in = genEdit(newXorshift(it.Seed), inputs[it.Base], it.Edits)
		default:
			t.Fatalf("item %d: unknown kind %q", i, it.Kind)
		}
		inputs[i] = in
		sum := sha256.Sum256(in)
		if got := hex.EncodeToString(sum[:]); got != it.SHA256 {
			t.Fatalf("item %d (%s): generated input sha256 %s, want %s", i, it.Kind, got, it.SHA256)
		}
	}
	for i, it := range items {
		t.Run(fmt.Sprintf("%d-%s-%d", i, it.Kind, it.Size), func(t *testing.T) {
			if got := Sum(inputs[i]).String(); got != it.SSDeep {
				t.Errorf("Sum = %s, want %s", got, it.SSDeep)
			}
		})
	}
}

// TestOraclePairs checks all 44,850 pairs of the oracle digests.
func TestOraclePairs(t *testing.T) {
	items := loadOracle(t)
	ds := make([]Digest, len(items))
	for i, it := range items {
		d, err := Parse(it.SSDeep)
		if err != nil {
			t.Fatalf("item %d: %v", i, err)
		}
		ds[i] = d
	}
	want := readScores(t, refdata.Path(t, "ssdeep", "oracle", "pairs.tsv"), 0)
	checkAllPairs(t, ds, want)
}
