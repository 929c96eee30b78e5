package printable_test

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/culprit-cti/culprit/sample/printable"
)

func utf16le(s string) []byte {
	var b []byte
	for _, c := range []byte(s) {
		b = append(b, c, 0)
	}
	return b
}

func collect(opts printable.Options, chunks ...[]byte) []printable.String {
	var got []printable.String
	e := printable.New(opts, func(s printable.String) { got = append(got, s) })
	for _, c := range chunks {
		e.Write(c)
	}
	e.Close()
	return got
}

func TestExtract(t *testing.T) {
	type S = printable.String
	wide := utf16le("Hello")
	tests := []struct {
		name string
		opts printable.Options
		in   [][]byte
		want []S
	}{
		{"ascii", printable.Options{}, [][]byte{[]byte("\x00\x01abc\x00abcd\x00xyz12\xff")}, []S{
			{Offset: 6, Encoding: printable.ASCII, Value: "abcd"},
			{Offset: 11, Encoding: printable.ASCII, Value: "xyz12"},
		}},
		{"ascii at end", printable.Options{}, [][]byte{[]byte("\x00tail")}, []S{{Offset: 1, Encoding: printable.ASCII, Value: "tail"}}},
		{"split across writes", printable.Options{}, [][]byte{[]byte("\x00ab"), []byte("cd\x00")}, []S{{Offset: 1, Encoding: printable.ASCII, Value: "abcd"}}},
		{"utf16 even", printable.Options{}, [][]byte{append(append([]byte{0xff, 0xff}, wide...), 0xff, 0xff)}, []S{{Offset: 2, Encoding: printable.UTF16LE, Value: "Hello"}}},
		{"utf16 odd", printable.Options{}, [][]byte{append(append([]byte{0xff}, wide...), 0xff, 0xfe)}, []S{{Offset: 1, Encoding: printable.UTF16LE, Value: "Hello"}}},
		{"utf16 split", printable.Options{}, [][]byte{wide[:3], wide[3:]}, []S{{Offset: 0, Encoding: printable.UTF16LE, Value: "Hello"}}},
		{"utf16 too short", printable.Options{}, [][]byte{utf16le("abc")}, nil},
		{"min length 6", printable.Options{MinLen: 6}, [][]byte{[]byte("abcde\x00abcdef")}, []S{{Offset: 6, Encoding: printable.ASCII, Value: "abcdef"}}},
		{"max length cuts", printable.Options{MaxLen: 5}, [][]byte{[]byte("abcdefghij\x00")}, []S{{Offset: 0, Encoding: printable.ASCII, Value: "abcde"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(tt.opts, tt.in...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("strings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestChunking checks that results do not depend on write boundaries.
func TestChunking(t *testing.T) {
	in := append([]byte("\x00first string\x00\x01"), utf16le("wide string here")...)
	in = append(in, []byte("\xffmore ascii text at the end")...)
	want := collect(printable.Options{}, in)
	for size := 1; size < 8; size++ {
		var chunks [][]byte
		for b := in; len(b) > 0; {
			n := min(size, len(b))
			chunks = append(chunks, b[:n])
			b = b[n:]
		}
		if diff := cmp.Diff(want, collect(printable.Options{}, chunks...)); diff != "" {
			t.Errorf("chunk size %d (-whole +chunked):\n%s", size, diff)
		}
	}
}

func BenchmarkExtract(b *testing.B) {
	data := bytes.Repeat(append([]byte("some text\x00\x01\x02\xff"), utf16le("wide")...), 1<<16)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		n := 0
		e := printable.New(printable.Options{}, func(printable.String) { n++ })
		e.Write(data)
		e.Close()
	}
}

// FuzzExtract checks that the strings found do not depend on how the
// input is split across writes, and respect the length bounds.
func FuzzExtract(f *testing.F) {
	f.Add([]byte("\x00abcd\x00"), 3)
	f.Add(append([]byte{0xff}, utf16le("wide text")...), 1)
	f.Fuzz(func(t *testing.T, in []byte, split int) {
		whole := collect(printable.Options{MaxLen: 64}, in)
		if split < 0 || split > len(in) {
			split = len(in) / 2
		}
		parts := collect(printable.Options{MaxLen: 64}, in[:split], in[split:])
		if diff := cmp.Diff(whole, parts); diff != "" {
			t.Fatalf("split at %d changes the result (-whole +split):\n%s", split, diff)
		}
		for _, s := range whole {
			if len(s.Value) < 4 || len(s.Value) > 64 || s.Offset < 0 || s.Offset >= int64(len(in)) {
				t.Fatalf("string %+v out of bounds (input %d bytes)", s, len(in))
			}
		}
	})
}
