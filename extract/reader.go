package extract

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ledongthuc/pdf"
	"golang.org/x/net/html"

	"github.com/culprit-cti/culprit/errs"
)

// Format is the format of a report.
type Format string

// Formats Text reads. Markdown is read as text: its markup does not hide
// indicators ("[x](http://...)" keeps the URL whole between delimiters).
const (
	FormatText Format = "text"
	FormatHTML Format = "html"
	FormatPDF  Format = "pdf"
)

// MaxPDFSize bounds a PDF: its text layer is read through random access,
// so a PDF from standard input is held in memory, and one from a file is
// read in place but decoded object by object.
const MaxPDFSize = 256 << 20

// DetectFormat returns the format of a report from its name (extension)
// or, failing that, its first bytes.
func DetectFormat(name string, head []byte) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".html", ".htm", ".xhtml":
		return FormatHTML
	case ".pdf":
		return FormatPDF
	case ".txt", ".md", ".markdown", ".adoc", ".asciidoc", ".text":
		return FormatText
	}
	if bytes.HasPrefix(head, []byte("%PDF-")) {
		return FormatPDF
	}
	h := bytes.ToLower(bytes.TrimLeft(head[:min(len(head), 512)], " \t\r\n\ufeff"))
	if bytes.HasPrefix(h, []byte("<!doctype html")) || bytes.HasPrefix(h, []byte("<html")) || bytes.Contains(h, []byte("<head>")) || bytes.Contains(h, []byte("<body")) {
		return FormatHTML
	}
	return FormatText
}

// OpenText returns the text of the report r, named name (a file name or
// "-"), in the format its name or content says: text and Markdown as they
// are, HTML as its text content, PDF as its text layer. The reader
// returned is closed by the caller.
func OpenText(name string, r io.Reader) (io.ReadCloser, Format, error) {
	br := bufio.NewReaderSize(r, 4096)
	head, _ := br.Peek(1024)
	f := DetectFormat(name, head)
	switch f {
	case FormatHTML:
		return io.NopCloser(NewHTMLReader(br)), f, nil
	case FormatPDF:
		rc, err := pdfText(name, br)
		return rc, f, err
	}
	return io.NopCloser(br), f, nil
}

// htmlReader turns HTML into its text content: text nodes with their
// entities decoded; scripts, styles, templates and comments left out; a
// line break after each block element so that sentences and table cells
// stay apart.
type htmlReader struct {
	z    *html.Tokenizer
	buf  []byte
	skip int // depth inside script, style, noscript, template
	err  error
}

// NewHTMLReader returns a reader of the text content of the HTML r. It
// streams: memory is bounded by the longest token.
func NewHTMLReader(r io.Reader) io.Reader {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(1 << 20) // a text node or tag longer than 1 MiB is an error
	return &htmlReader{z: z}
}

var htmlSkip = map[string]bool{"script": true, "style": true, "noscript": true, "template": true, "svg": false}

var htmlBlock = map[string]bool{"p": true, "div": true, "br": true, "li": true, "ul": true, "ol": true, "tr": true,
	"td": true, "th": true, "table": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"pre": true, "blockquote": true, "section": true, "article": true, "header": true, "footer": true, "title": true,
	"dt": true, "dd": true, "hr": true, "code": false}

func (h *htmlReader) Read(p []byte) (int, error) {
	for len(h.buf) == 0 {
		if h.err != nil {
			return 0, h.err
		}
		switch h.z.Next() {
		case html.ErrorToken:
			if err := h.z.Err(); err == io.EOF {
				h.err = io.EOF
			} else {
				h.err = errs.Wrap(errs.Invalid, err, "read HTML")
			}
		case html.TextToken:
			if h.skip == 0 {
				h.buf = append(h.buf, h.z.Text()...)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := h.z.TagName()
			if htmlSkip[string(name)] {
				h.skip++
			}
			if htmlBlock[string(name)] {
				h.buf = append(h.buf, '\n')
			}
		case html.EndTagToken:
			name, _ := h.z.TagName()
			if htmlSkip[string(name)] && h.skip > 0 {
				h.skip--
			}
			if htmlBlock[string(name)] {
				h.buf = append(h.buf, '\n')
			}
		}
	}
	n := copy(p, h.buf)
	h.buf = h.buf[n:]
	return n, nil
}

// pdfText returns the text layer of a PDF, page by page. A PDF is read
// with github.com/ledongthuc/pdf (pure Go; the module proxy serves no
// tagged release, the repository is maintained). Its decoder panics on
// some malformed files: a panic is turned into an error of kind Invalid,
// never a crash.
func pdfText(name string, r io.Reader) (rc io.ReadCloser, err error) {
	var ra io.ReaderAt
	var size int64
	if f, ok := fileOf(name); ok {
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, errs.Wrap(errs.Unavailable, err, "read PDF")
		}
		if st.Size() > MaxPDFSize {
			f.Close()
			return nil, errs.E(errs.TooLarge, "PDF of %d bytes is larger than %d", st.Size(), MaxPDFSize)
		}
		defer f.Close()
		ra, size = f, st.Size()
	} else {
		b, err := io.ReadAll(io.LimitReader(r, MaxPDFSize+1))
		if err != nil {
			return nil, errs.Wrap(errs.Unavailable, err, "read PDF")
		}
		if len(b) > MaxPDFSize {
			return nil, errs.E(errs.TooLarge, "PDF larger than %d bytes", MaxPDFSize)
		}
		ra, size = bytes.NewReader(b), int64(len(b))
	}
	defer func() {
		if p := recover(); p != nil {
			rc, err = nil, errs.E(errs.Invalid, "PDF %s: malformed (%v)", name, p)
		}
	}()
	doc, err := pdf.NewReader(ra, size)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "PDF %s", name)
	}
	var out bytes.Buffer
	for i := 1; i <= doc.NumPage(); i++ {
		pg := doc.Page(i)
		if pg.V.IsNull() {
			continue
		}
		t, err := pg.GetPlainText(nil)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "PDF %s: page %d", name, i)
		}
		out.WriteString(t)
		out.WriteString("\n\f")
		if out.Len() > MaxPDFSize {
			return nil, errs.E(errs.TooLarge, "text of PDF %s is larger than %d bytes", name, MaxPDFSize)
		}
	}
	if strings.TrimSpace(strings.ReplaceAll(out.String(), "\f", "")) == "" {
		return nil, errs.E(errs.Invalid, "PDF %s has no text layer (a scan?): extract reads text, not images", name)
	}
	return io.NopCloser(&out), nil
}

// fileOf opens name if it is a regular file (not "-" or a pipe).
func fileOf(name string) (*os.File, bool) {
	if name == "" || name == "-" {
		return nil, false
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, false
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, false
	}
	return f, true
}

// String returns the format's name.
func (f Format) String() string { return string(f) }

var _ fmt.Stringer = FormatText
