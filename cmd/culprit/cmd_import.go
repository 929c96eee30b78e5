package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/culprit-cti/culprit/assess"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/errs"
	"github.com/culprit-cti/culprit/galaxy"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/stix"
)

// defaultMaxInput bounds the decompressed size of one input to import.
const defaultMaxInput = 1 << 30

func importCommand() command {
	return command{
		summary: "import STIX bundles and MISP galaxy cluster files into the knowledge base",
		run:     runImport,
	}
}

// importOptions are the flags of import.
type importOptions struct {
	db       string
	asJSON   bool
	progress bool
	maxSize  int64
}

// importResult is one file's line of import --json.
type importResult struct {
	File   string         `json:"file"`
	Format string         `json:"format"` // "stix" or "misp-galaxy"
	SHA256 string         `json:"sha256"`
	Stats  kb.ImportStats `json:"stats"`
}

func runImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "import", "[--db PATH] [--json] [--progress] [--max-size BYTES] FILE...")
	var o importOptions
	fs.StringVar(&o.db, "db", "", dbUsage)
	fs.BoolVar(&o.asJSON, "json", false, "print the import statistics as JSON")
	fs.BoolVar(&o.progress, "progress", false, "report progress on stderr even when it is not a terminal")
	fs.Int64Var(&o.maxSize, "max-size", defaultMaxInput, "refuse inputs larger than this many bytes (decompressed)")
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%w: no FILE to import (use - for stdin)", errUsage)
	}
	if o.maxSize <= 0 {
		return fmt.Errorf("%w: --max-size must be positive", errUsage)
	}
	if !o.progress {
		o.progress = isTerminal(e.stderr)
	}
	// Every input is checked before the knowledge base is opened, so that
	// a mistyped path creates no database.
	for _, f := range files {
		if err := checkInput(e, f); err != nil {
			return err
		}
	}
	results, err := importInto(ctx, e, o.db, files, o)
	if o.asJSON {
		if results == nil {
			results = []importResult{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(results); jerr != nil && err == nil {
			err = jerr
		}
	} else {
		for _, r := range results {
			printImport(e.stdout, r)
		}
	}
	return err
}

// importFeedFiles imports files downloaded by sync into the knowledge base
// at db (resolved as for --db); it has the signature sync expects
// (importFunc). The caller prints the results.
func importFeedFiles(ctx context.Context, e *env, db string, paths []string) ([]importResult, error) {
	return importInto(ctx, e, db, paths, importOptions{maxSize: defaultMaxInput, progress: isTerminal(e.stderr)})
}

// importInto imports files into the knowledge base named by db. A
// knowledge base that does not exist yet appears only when something was
// imported into it (openStoreForImport).
func importInto(ctx context.Context, e *env, db string, files []string, o importOptions) ([]importResult, error) {
	store, finish, err := openStoreForImport(ctx, e, db)
	if err != nil {
		return nil, err
	}
	results, err := importFiles(ctx, e, store, files, o)
	if err == nil && len(results) > 0 {
		compileKnowledge(ctx, e, store)
	}
	ferr := finish(len(results) > 0)
	if !errors.Is(ferr, errCreatedMeanwhile) {
		if err == nil {
			err = ferr
		}
		return results, err
	}
	// Another import created the file while this one built its own:
	// import into that one (waiting for the other to commit).
	for _, f := range files {
		if f == "-" || isPipe(f) {
			return nil, errs.E(errs.Unavailable, "another import created the knowledge base at the same time and %s cannot be read twice: run this import again", f)
		}
	}
	if store, err = openStore(ctx, e, db, true); err != nil {
		return nil, err
	}
	defer store.Close()
	results, err = importFiles(ctx, e, store, files, o)
	if err == nil && len(results) > 0 {
		compileKnowledge(ctx, e, store)
	}
	return results, err
}

// compileKnowledge keeps the compiled attribution knowledge of the store
// current (assess.Refresh), so that the next attribute reads it instead of
// decoding the whole knowledge base. It is a cache: a failure is reported,
// and fails nothing.
func compileKnowledge(ctx context.Context, e *env, store kb.Store) {
	if err := assess.Refresh(ctx, store); err != nil {
		fmt.Fprintf(e.stderr, "warning: attribution knowledge not compiled (attribute will build it each time): %v\n", err)
	}
}

// importFiles imports each file in its own transaction and stops at the
// first failure; the files before it stay imported.
func importFiles(ctx context.Context, e *env, store kb.Store, files []string, o importOptions) ([]importResult, error) {
	var results []importResult
	for _, f := range files {
		r, err := importFile(ctx, e, store, f, o)
		if err != nil {
			if len(results) > 0 {
				return results, fmt.Errorf("%w (the %d file(s) before it were imported)", err, len(results))
			}
			return results, err
		}
		results = append(results, r)
	}
	return results, nil
}

// checkInput refuses, before anything is opened for writing, an input
// that does not exist or that is neither a regular file nor a named pipe
// ("-" is standard input).
func checkInput(e *env, name string) error {
	if name == "-" {
		return checkStdin(e.stdin)
	}
	st, err := os.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return errs.E(errs.NotFound, "%s: no such file: nothing imported", name)
	}
	if err != nil {
		return err
	}
	if err := stix.CheckReadable(name, st.Mode()); err != nil {
		return errs.Wrap(errs.Invalid, err, "")
	}
	return nil
}

// isPipe reports whether name is a named pipe (or /dev/fd/N of a process
// substitution), which can be read only once.
func isPipe(name string) bool {
	st, err := os.Stat(name)
	return err == nil && st.Mode()&fs.ModeNamedPipe != 0
}

// checkStdin refuses a standard input that is a character device: a
// terminal (nobody types a bundle) or a device such as /dev/zero, which
// would fill the temporary file up to --max-size before failing.
func checkStdin(r io.Reader) error {
	f, ok := r.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&fs.ModeCharDevice == 0 {
		return nil
	}
	return errs.E(errs.Invalid, "standard input is a character device (a terminal or a device such as /dev/zero): redirect a file or a pipe into culprit import -")
}

func importFile(ctx context.Context, e *env, store kb.Store, name string, o importOptions) (importResult, error) {
	if err := checkInput(e, name); err != nil {
		return importResult{}, err
	}
	path, display := name, name
	// Standard input and named pipes (process substitution: <(zcat x.gz))
	// can be read only once, and the import reads its input three times
	// (hash, format, decode): they are copied, within --max-size, to a
	// temporary file that is removed on every way out, signals included
	// (the command's context is cancelled and spool returns).
	if name == "-" || isPipe(name) {
		var r io.Reader = e.stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return importResult{}, err
			}
			defer f.Close()
			r = f
		}
		tmp, err := spool(ctx, r, o.maxSize)
		if err != nil {
			if errors.Is(err, errInputTooLarge) {
				return importResult{}, errs.Wrap(errs.TooLarge, err, "%s: input larger than --max-size %d bytes: refused, nothing imported", name, o.maxSize)
			}
			if name == "-" {
				return importResult{}, fmt.Errorf("stdin: %w", err)
			}
			return importResult{}, fmt.Errorf("%s: %w", name, err)
		}
		defer os.Remove(tmp)
		path = tmp
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return importResult{}, err
	}
	// Errors name the input by src.Path: the absolute path, or "-".
	src := kb.Source{Kind: kb.SourceFile, Name: filepath.Base(display), Path: display, SHA256: sum}
	if display != "-" {
		if abs, err := filepath.Abs(display); err == nil {
			src.Path = abs
		}
	} else {
		src.Name = "stdin"
	}
	display = src.Path
	format, err := detectFormat(path)
	if err != nil {
		return importResult{}, fmt.Errorf("%s: %w", display, err)
	}
	res := importResult{File: name, Format: format, SHA256: sum}
	p := newProgress(e.stderr, display, o.progress)
	opts := kb.ImportOptions{}

	in, size, err := stix.OpenAs(path, display)
	if err != nil {
		return res, err
	}
	defer in.Close()
	lr := &limitedReader{r: in, left: o.maxSize, max: o.maxSize}
	var stream kb.Stream
	switch format {
	case "misp-galaxy":
		f, err := galaxy.Decoder{MaxFileSize: o.maxSize}.Decode(lr, display)
		if err != nil {
			return res, err
		}
		stream = kb.SliceStream(f.Objects)
	default:
		dec := stix.NewDecoder(lr, display)
		stream = dec
		if c, ok := in.(interface{ Consumed() int64 }); ok && size > 0 {
			p.fraction = func() float64 { return float64(c.Consumed()) / float64(size) }
		}
	}
	opts.Progress = p.update
	res.Stats, err = store.Import(ctx, src, stream, opts)
	p.done()
	if err != nil {
		if errors.Is(err, errInputTooLarge) {
			return res, errs.Wrap(errs.TooLarge, errInputTooLarge, "%s: input larger than --max-size %d bytes: refused, nothing imported", display, o.maxSize)
		}
		return res, err
	}
	return res, nil
}

var errInputTooLarge = errors.New("input too large")

// limitedReader fails, instead of ending silently, when more than max bytes
// are read.
type limitedReader struct {
	r         io.Reader
	left, max int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// Is there anything beyond the limit?
		var b [1]byte
		n, err := l.r.Read(b[:])
		if n > 0 {
			return 0, fmt.Errorf("more than %d bytes: %w", l.max, errInputTooLarge)
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// spool copies r to a temporary file, at most max bytes, so that stdin
// and pipes are imported like a file (hashed, sniffed, sized for
// progress). It returns when ctx is done even if r blocks, removing the
// temporary file; the copy then fails on its closed file.
func spool(ctx context.Context, r io.Reader, max int64) (string, error) {
	f, err := os.CreateTemp("", "culprit-input-*")
	if err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() {
		n, err := io.Copy(f, io.LimitReader(r, max+1))
		if err == nil && n > max {
			err = fmt.Errorf("more than %d bytes: %w", max, errInputTooLarge)
		}
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// sniffLimit bounds how much of an input detectFormat reads.
const sniffLimit = 4 << 20

// detectFormat tells a MISP galaxy cluster file ("misp-galaxy": an object
// with a "values" array) from STIX ("stix": a bundle, an array of objects
// or one object) by reading the top-level keys. Undecided inputs are
// "stix", whose decoder reports what is wrong with them.
func detectFormat(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return "", fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	dec := json.NewDecoder(io.LimitReader(r, sniffLimit))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return "stix", nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "stix", nil
		}
		key, _ := tok.(string)
		switch key {
		case "values":
			return "misp-galaxy", nil
		case "objects", "spec_version", "id":
			return "stix", nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "stix", nil
		}
	}
	return "stix", nil
}

func printImport(w io.Writer, r importResult) {
	s := r.Stats
	fmt.Fprintf(w, "%s (%s): %d objects: %d new, %d updated, %d unchanged, %d older kept newer",
		r.File, r.Format, s.Objects, s.New, s.Updated, s.Unchanged, s.Older)
	if s.Inactive > 0 {
		fmt.Fprintf(w, "; %d of the new/updated revoked or deprecated", s.Inactive)
	}
	if s.Duplicates > 0 {
		fmt.Fprintf(w, "; %d duplicates in the input", s.Duplicates)
	}
	if s.Conflicts > 0 {
		fmt.Fprintf(w, "; %d conflicting with the stored version (stored kept)", s.Conflicts)
	}
	if s.Dangling > 0 {
		fmt.Fprintf(w, "; %d dangling relationships dropped", s.Dangling)
	}
	fmt.Fprintf(w, "; %d same-as links in the knowledge base\n", s.SameAs)
	fmt.Fprintf(w, "  %-28s %8s %8s %9s %6s\n", "type", "new", "updated", "unchanged", "older")
	for _, t := range s.SortedTypes() {
		ts := s.ByType[t]
		fmt.Fprintf(w, "  %-28s %8d %8d %9d %6d\n", t, ts.New, ts.Updated, ts.Unchanged, ts.Older)
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress reports objects read per second, and a percentage when the
// input's size is known, on one rewritten stderr line.
type progress struct {
	w        io.Writer
	name     string
	on       bool
	start    time.Time
	last     time.Time
	fraction func() float64
	printed  bool
}

func newProgress(w io.Writer, name string, on bool) *progress {
	now := time.Now()
	return &progress{w: w, name: name, on: on, start: now}
}

func (p *progress) update(n int) {
	if !p.on {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last = now
	var b strings.Builder
	fmt.Fprintf(&b, "\r%s: %d objects", p.name, n)
	if el := now.Sub(p.start).Seconds(); el > 0 {
		fmt.Fprintf(&b, ", %.0f objects/s", float64(n)/el)
	}
	if p.fraction != nil {
		fmt.Fprintf(&b, ", %.0f%%", 100*min(p.fraction(), 1))
	}
	io.WriteString(p.w, b.String())
	p.printed = true
}

func (p *progress) done() {
	if p.printed {
		io.WriteString(p.w, "\n")
	}
}
