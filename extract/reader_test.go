package extract

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/errs"
)

func TestHTMLReader(t *testing.T) {
	in := `<!DOCTYPE html><html><head><title>Report</title><style>.x{background:url(http://style.example.com/a.png)}</style>
<script>var c2 = "http://script.example.com/";</script></head>
<body><!-- http://comment.example.com/ --><p>C2 at <b>203.0.113.7</b> &amp; evil&#46;example&period;org.</p><p>Next&nbsp;para</p></body></html>`
	b, err := io.ReadAll(NewHTMLReader(strings.NewReader(in)))
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, bad := range []string{"style.example.com", "script.example.com", "comment.example.com", "<b>", "&amp;"} {
		if strings.Contains(got, bad) {
			t.Errorf("HTML text holds %q:\n%s", bad, got)
		}
	}
	for _, want := range []string{"C2 at 203.0.113.7 & evil.example.org.", "Report", "Next\u00a0para"} {
		if !strings.Contains(got, want) {
			t.Errorf("HTML text lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "org.Next") {
		t.Errorf("paragraphs run together: %q", got)
	}
}

// minimalPDF writes a one-page PDF whose text layer is text (in a
// standard Type 1 font), with a correct cross-reference table.
func minimalPDF(text string) []byte {
	var b bytes.Buffer
	var offs []int
	obj := func(s string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), s)
	}
	b.WriteString("%PDF-1.4\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
	content := "BT /F1 12 Tf 72 712 Td (" + text + ") Tj ET"
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

func TestPDFText(t *testing.T) {
	doc := minimalPDF("Beacon to 198.51.100.23 and evil.example.net")
	for _, name := range []string{"-", filepath.Join(t.TempDir(), "r.pdf")} {
		var r io.Reader = bytes.NewReader(doc)
		if name != "-" {
			if err := os.WriteFile(name, doc, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		rc, f, err := OpenText(name, r)
		if err != nil {
			t.Fatalf("OpenText(%s): %v", name, err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if f != FormatPDF || !strings.Contains(string(b), "198.51.100.23") {
			t.Errorf("OpenText(%s) = %q, %s", name, b, f)
		}
	}
	_, _, err := OpenText("bad.pdf", strings.NewReader("%PDF-1.4\nnot really"))
	if errs.KindOf(err) != errs.Invalid {
		t.Errorf("a broken PDF: error %v, want kind Invalid", err)
	}
}

func TestRefusals(t *testing.T) {
	elf := append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 100)...)
	err := Scan(bytes.NewReader(elf), Options{}, func(Item) error { return nil })
	if errs.KindOf(err) != errs.Invalid || !strings.Contains(err.Error(), "not text") {
		t.Errorf("Scan(ELF) = %v, want a clear Invalid error", err)
	}
	big := strings.NewReader(strings.Repeat("a", 5000))
	err = Scan(big, Options{MaxBytes: 4096}, func(Item) error { return nil })
	if errs.KindOf(err) != errs.TooLarge {
		t.Errorf("Scan over the bound = %v, want TooLarge", err)
	}
}

// TestChunkBoundaries puts indicators across every chunk boundary of a
// multi-chunk input and checks each is found once, at its offset.
func TestChunkBoundaries(t *testing.T) {
	var b strings.Builder
	var want []int64
	filler := strings.Repeat("word ", 50)
	for b.Len() < 3*chunkSize {
		b.WriteString(filler)
		want = append(want, int64(b.Len()))
		b.WriteString("hxxp://a[.]example[.]com/x ")
	}
	text := b.String()
	var got []int64
	err := Scan(strings.NewReader(text), Options{NoStatements: true}, func(it Item) error {
		if it.Kind == Kind("url") {
			got = append(got, it.Offset)
			if text[it.Offset:it.Offset+int64(len(it.Text))] != it.Text {
				t.Fatalf("offset %d: %q is not there", it.Offset, it.Text)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%d URLs found, want %d (first difference somewhere in %v...)", len(got), len(want), got[:min(5, len(got))])
	}
}

// repeatReader yields n bytes of a repeated pattern without holding them.
type repeatReader struct {
	pat  []byte
	n, i int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.i >= r.n {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && r.i < r.n {
		p[k] = r.pat[r.i%int64(len(r.pat))]
		k++
		r.i++
	}
	return k, nil
}

// memReader samples the live heap every 64 reads of the input it wraps.
type memReader struct {
	r     io.Reader
	n     int
	peak  uint64
	stats runtime.MemStats
}

func (m *memReader) Read(p []byte) (int, error) {
	if m.n%64 == 0 {
		runtime.ReadMemStats(&m.stats)
		m.peak = max(m.peak, m.stats.HeapAlloc)
	}
	m.n++
	return m.r.Read(p)
}

// TestStreamsLargeInput scans 64 MiB without holding it: the live heap
// grows by far less than the input's size.
func TestStreamsLargeInput(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB scan")
	}
	const size = 64 << 20
	src := &repeatReader{pat: []byte("Plain prose about nothing in particular, with version 1.2.3.4 and words. "), n: size}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	r := &memReader{r: src}
	n := 0
	err := Scan(r, Options{NoStatements: true}, func(Item) error {
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if src.i != size {
		t.Fatalf("read %d bytes, want %d", src.i, size)
	}
	if grew := int64(r.peak) - int64(base.HeapAlloc); grew > size/4 {
		t.Errorf("live heap grew by %d bytes for a %d-byte input", grew, size)
	}
	if n != 0 {
		t.Errorf("%d items from prose whose only dotted quad follows \"version\"", n)
	}
}
