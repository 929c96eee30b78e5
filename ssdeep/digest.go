package ssdeep

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Digest is an ssdeep digest: a block size and two base64 strings, Part1
// for BlockSize and Part2 for twice BlockSize.
type Digest struct {
	BlockSize    uint32
	Part1, Part2 string
}

// String returns d as ssdeep prints it: "blocksize:part1:part2".
func (d Digest) String() string {
	return strconv.FormatUint(uint64(d.BlockSize), 10) + ":" + d.Part1 + ":" + d.Part2
}

// ErrSyntax is wrapped by every error Parse returns.
var ErrSyntax = errors.New("invalid ssdeep digest")

// maxParseLen bounds the text Parse looks at before the optional name.
const maxParseLen = 11 + 1 + SpamSumLength + 1 + SpamSumLength

// Parse parses a digest as ssdeep prints it, "blocksize:part1:part2",
// optionally followed by `,"name"` as in ssdeep's output and hash lists
// (everything from the first comma after part 2 is ignored). The block
// size must be 3·2^n for n in 0..30, written in decimal without leading
// zeros; each part must be at most 64 base64 characters. Parse does not
// normalise: the digest is kept as written.
func Parse(s string) (Digest, error) {
	rest := s
	if i := strings.IndexByte(rest, ','); i >= 0 {
		rest = rest[:i]
	}
	if len(rest) > maxParseLen {
		return Digest{}, fmt.Errorf("parse %.20q...: %w: too long", s, ErrSyntax)
	}
	bsText, parts, ok := strings.Cut(rest, ":")
	if !ok {
		return Digest{}, fmt.Errorf("parse %q: %w: no block size", rest, ErrSyntax)
	}
	bs, err := parseBlockSize(bsText)
	if err != nil {
		return Digest{}, fmt.Errorf("parse %q: %w", rest, err)
	}
	p1, p2, ok := strings.Cut(parts, ":")
	if !ok {
		return Digest{}, fmt.Errorf("parse %q: %w: no second part", rest, ErrSyntax)
	}
	for _, p := range [2]string{p1, p2} {
		if len(p) > SpamSumLength {
			return Digest{}, fmt.Errorf("parse %q: %w: part longer than %d characters", rest, ErrSyntax, SpamSumLength)
		}
		for i := 0; i < len(p); i++ {
			if b64Value[p[i]] < 0 {
				return Digest{}, fmt.Errorf("parse %q: %w: %q is not a base64 character", rest, ErrSyntax, p[i])
			}
		}
	}
	return Digest{BlockSize: bs, Part1: p1, Part2: p2}, nil
}

func parseBlockSize(s string) (uint32, error) {
	if s == "" || len(s) > 10 || (s[0] == '0') {
		return 0, fmt.Errorf("%w: bad block size %q", ErrSyntax, s)
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || !validBlockSize(uint32(n)) {
		return 0, fmt.Errorf("%w: bad block size %q (want 3·2^n, n ≤ 30)", ErrSyntax, s)
	}
	return uint32(n), nil
}

// validBlockSize reports whether bs is 3·2^n for n in 0..30.
func validBlockSize(bs uint32) bool {
	return bs%minBlockSize == 0 && bs/minBlockSize != 0 && (bs/minBlockSize)&(bs/minBlockSize-1) == 0 &&
		bs <= minBlockSize<<(numBlockHashes-1)
}

// b64Value maps a base64 character to its value and every other byte to -1.
var b64Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(b64); i++ {
		t[b64[i]] = int8(i)
	}
	return t
}()

// Valid reports whether d could have been returned by Parse: a block size
// 3·2^n (n ≤ 30) and parts of at most 64 base64 characters.
func (d Digest) Valid() bool {
	if !validBlockSize(d.BlockSize) || len(d.Part1) > SpamSumLength || len(d.Part2) > SpamSumLength {
		return false
	}
	for _, p := range [2]string{d.Part1, d.Part2} {
		for i := 0; i < len(p); i++ {
			if b64Value[p[i]] < 0 {
				return false
			}
		}
	}
	return true
}

// Normalize returns d with every run of more than three identical
// characters in each part cut to three, as Compare sees it (and as
// libfuzzy's FUZZY_FLAG_ELIMSEQ produces it).
func (d Digest) Normalize() Digest {
	var buf [SpamSumLength]byte
	if n, ok := normalize(&buf, d.Part1); ok && n != len(d.Part1) {
		d.Part1 = string(buf[:n])
	} else if !ok {
		d.Part1 = normalizeString(d.Part1)
	}
	if n, ok := normalize(&buf, d.Part2); ok && n != len(d.Part2) {
		d.Part2 = string(buf[:n])
	} else if !ok {
		d.Part2 = normalizeString(d.Part2)
	}
	return d
}

// normalize writes s with runs longer than 3 cut to 3 into dst and returns
// its length; ok is false if the result does not fit in 64 bytes.
func normalize(dst *[SpamSumLength]byte, s string) (n int, ok bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if n >= 3 && c == dst[n-1] && c == dst[n-2] && c == dst[n-3] {
			continue
		}
		if n == len(dst) {
			return n, false
		}
		dst[n] = c
		n++
	}
	return n, true
}

// normalizeString is normalize for strings of any length.
func normalizeString(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if n := len(b); n >= 3 && c == b[n-1] && c == b[n-2] && c == b[n-3] {
			continue
		}
		b = append(b, c)
	}
	return string(b)
}
