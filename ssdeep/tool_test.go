package ssdeep

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestAgainstTool hashes 1,000 generated inputs (random, text, edited,
// truncated, extended; 0 B to a few hundred KB) with Debian's ssdeep and
// with this package, then compares all 499,500 pairs with `ssdeep -x`.
// It skips when the ssdeep tool is not installed (apt-get install ssdeep).
func TestAgainstTool(t *testing.T) {
	tool, err := exec.LookPath("ssdeep")
	if err != nil {
		t.Skip("ssdeep tool not installed (apt-get install ssdeep); differential test skipped")
	}
	maxSize := 400 << 10
	if testing.Short() || raceEnabled {
		maxSize = 64 << 10
	}
	const families, members = 200, 5
	dir := t.TempDir()
	var names []string
	inputs := map[string][]byte{}
	for f := range families {
		r := newXorshift(uint64(f) + 12345)
		var base []byte
		size := int(mathPow(float64(maxSize), float64(r.next()>>11)/(1<<53)))
		if f%2 == 0 {
			base = genRandom(r, size)
		} else {
			base = genText(r, size)
		}
		for m := range members {
			in := base
			switch {
			case m == 0:
			case len(base) == 0:
				in = genText(r, m)
			case m == 1 && len(base) >= 64: // the oracle's byte edits
				in = genEdit(r, base, 1+int(r.next()%60))
			case m == 2: // a prefix
				in = base[:int(r.next()%uint64(len(base)+1))]
			case m == 3: // appended data
				in = append(append([]byte(nil), base...), genRandom(r, int(r.next()%uint64(len(base)+1)))...)
			default: // runs inserted, deleted, overwritten
				in = mutate(r, append([]byte(nil), base...))
			}
			name := fmt.Sprintf("%03d-%d", f, m)
			if err := os.WriteFile(filepath.Join(dir, name), in, 0o600); err != nil {
				t.Fatal(err)
			}
			names = append(names, name)
			inputs[name] = in
		}
	}

	cmd := exec.Command(tool, append([]string{"-s", "-b"}, names...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s -s -b: %v", tool, err)
	}
	toolHash := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "ssdeep,") {
			continue
		}
		h, name, ok := strings.Cut(line, ",\"")
		if !ok {
			t.Fatalf("unexpected ssdeep output line %q", line)
		}
		toolHash[strings.TrimSuffix(name, "\"")] = h
	}
	if len(toolHash) != len(names) {
		t.Fatalf("ssdeep hashed %d files, want %d", len(toolHash), len(names))
	}
	digests := map[string]Digest{}
	for _, name := range names {
		d := Sum(inputs[name])
		if d.String() != toolHash[name] {
			t.Errorf("%s (%d bytes): Sum = %s, ssdeep = %s", name, len(inputs[name]), d, toolHash[name])
		}
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		d2, err := SumReader(f, int64(len(inputs[name])))
		f.Close()
		if err != nil || d2 != d {
			t.Errorf("%s: SumReader = %s, %v; Sum = %s", name, d2, err, d)
		}
		digests[name] = d
	}
	if t.Failed() {
		return
	}

	hashFile := filepath.Join(dir, "hashes.txt")
	if err := os.WriteFile(hashFile, out, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(tool, "-s", "-x", "hashes.txt")
	cmd.Dir = dir
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("%s -x: %v", tool, err)
	}
	toolScore := map[[2]string]int{}
	sc = bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		// hashes.txt:A matches hashes.txt:B (S)
		var a, b string
		var s int
		f := strings.Fields(line)
		if len(f) != 4 || f[1] != "matches" {
			t.Fatalf("unexpected ssdeep -x line %q", line)
		}
		a = strings.TrimPrefix(f[0], "hashes.txt:")
		b = strings.TrimPrefix(f[2], "hashes.txt:")
		s, err = strconv.Atoi(strings.Trim(f[3], "()"))
		if err != nil {
			t.Fatalf("unexpected ssdeep -x line %q", line)
		}
		toolScore[[2]string{a, b}] = s
	}
	nonZero, bad := 0, 0
	for i, a := range names {
		for _, b := range names[i+1:] {
			got := Compare(digests[a], digests[b])
			want := toolScore[[2]string{a, b}]
			if want > 0 {
				nonZero++
			}
			if got != want {
				bad++
				if bad < 10 {
					t.Errorf("Compare(%s %s, %s %s) = %d, ssdeep -x = %d", a, digests[a], b, digests[b], got, want)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d pairs differ", bad)
	}
	// The test must be able to fail: related inputs have to score.
	if nonZero < families {
		t.Errorf("only %d non-zero pairs; inputs not related enough", nonZero)
	}
	t.Logf("%d inputs, %d pairs, %d with a non-zero score", len(names), len(names)*(len(names)-1)/2, nonZero)
}
