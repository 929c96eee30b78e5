// Package token holds the server's API tokens: each has a role (reader,
// analyst, admin) and the highest TLP level its holder may see. Only an
// HMAC-SHA256 of each token, keyed with a server secret kept outside the
// database, is stored, so a copy of the database does not give tokens
// away; a token is shown once, when it is created.
//
// Tokens are kept in the knowledge base as one JSON document under the
// blob key BlobKey (the store has no token table yet). Every check reads
// the document, so a revocation by another process (culprit token revoke)
// takes effect at the next request.
package token

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/errs"
)

// BlobKey is the store blob that holds the token document.
const BlobKey = "server/tokens"

// SecretFile is the name of the server secret in the data directory.
const SecretFile = "server.secret"

// Role says what a token may do.
type Role string

// Roles, each allowed what the one before it may do.
const (
	Reader  Role = "reader"  // read the knowledge base, attribute cases
	Analyst Role = "analyst" // also import and push to TAXII
	Admin   Role = "admin"   // also delete and manage the server
)

func (r Role) rank() int {
	switch r {
	case Reader:
		return 1
	case Analyst:
		return 2
	case Admin:
		return 3
	}
	return 0
}

// Allows reports whether a token of role r may do what needs role need.
func (r Role) Allows(need Role) bool { return r.rank() >= need.rank() && r.rank() > 0 }

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if r.rank() == 0 {
		return "", errs.E(errs.Invalid, "unknown role %q (want reader, analyst or admin)", s)
	}
	return r, nil
}

// Token is a stored token: never the token itself, only its HMAC.
type Token struct {
	ID      string       `json:"id"`
	Name    string       `json:"name,omitempty"`
	Role    Role         `json:"role"`
	TLP     access.Level `json:"tlp"`
	Created time.Time    `json:"created"`
	Revoked time.Time    `json:"revoked,omitzero"`
	MAC     string       `json:"hmac_sha256"` // hex HMAC-SHA256 of the token under the server secret
}

// Active reports whether the token has not been revoked.
func (t Token) Active() bool { return t.Revoked.IsZero() }

// Blobs is the part of a kb.Store that keeps the token document.
type Blobs interface {
	Blob(ctx context.Context, key string) (data []byte, tag string, ok bool, err error)
	PutBlob(ctx context.Context, key, tag string, data []byte) error
}

// Set is the token set of one server.
type Set struct {
	st     Blobs
	secret []byte
	Now    func() time.Time // the clock; nil means time.Now

	// The document as last read, and the store's data version then
	// (with a store that has one): Check runs on every request, and
	// reading and decoding the document was a tenth of a busy server's
	// CPU. Any commit to the store, by any process, moves the version,
	// so a revocation elsewhere is still seen by the next Check.
	mu       sync.Mutex
	cached   *document
	cachedAt int64
	versions versionReads
}

// dataVersioner is a store that tells cheaply whether anything was
// committed since it last answered (sqlite.Store.DataVersion).
type dataVersioner interface {
	DataVersion(ctx context.Context) (int64, error)
}

// New returns the token set kept in st, hashed with secret.
func New(st Blobs, secret []byte) *Set { return &Set{st: st, secret: secret} }

func (s *Set) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// LoadSecret returns the server secret kept in dir (SecretFile),
// creating it when it is absent; see LoadSecretFile.
func LoadSecret(dir string) ([]byte, error) {
	return LoadSecretFile(filepath.Join(dir, SecretFile))
}

// LoadSecretFile returns the server secret kept in the file p, creating
// it (32 random bytes, readable by the owner only, in a directory made
// readable by the owner only if it is absent) when it is absent. Every
// process that checks or creates tokens of one store must read the same
// file: another secret makes every token invalid.
func LoadSecretFile(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if err == nil {
		if len(b) < 32 {
			return nil, errs.E(errs.Invalid, "server secret %s is %d bytes, want at least 32: remove it to make a new one (every token is then invalid)", p, len(b))
		}
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read server secret: %w", err)
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("make server secret: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, fmt.Errorf("make server secret: %w", err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadSecretFile(p) // another process made it first
	}
	if err != nil {
		return nil, fmt.Errorf("make server secret: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, fmt.Errorf("write server secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write server secret: %w", err)
	}
	return b, nil
}

type document struct {
	Tokens []Token `json:"tokens"`
}

// load returns the token document, the caller's own to change.
func (s *Set) load(ctx context.Context) (document, error) {
	d, err := s.current(ctx)
	if err != nil {
		return document{}, err
	}
	return document{Tokens: slices.Clone(d.Tokens)}, nil
}

// current returns the token document as of the call, shared: the caller
// must not change it.
func (s *Set) current(ctx context.Context) (*document, error) {
	dv, ok := s.st.(dataVersioner)
	if !ok {
		d, err := s.read(ctx)
		return &d, err
	}
	// The version is read before the document: a commit in between makes
	// the next call read it again, never keeps a stale one.
	v, err := s.versions.read(ctx, dv.DataVersion)
	if err != nil {
		d, err := s.read(ctx)
		return &d, err
	}
	s.mu.Lock()
	if s.cached != nil && s.cachedAt == v {
		d := s.cached
		s.mu.Unlock()
		return d, nil
	}
	s.mu.Unlock()
	d, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cached, s.cachedAt = &d, v
	s.mu.Unlock()
	return &d, nil
}

// read reads the token document from the store.
func (s *Set) read(ctx context.Context) (document, error) {
	var d document
	b, _, ok, err := s.st.Blob(ctx, BlobKey)
	if err != nil {
		return d, fmt.Errorf("read tokens: %w", err)
	}
	if !ok {
		return d, nil
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("read tokens: %w", err)
	}
	return d, nil
}

func (s *Set) save(ctx context.Context, d document) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("write tokens: %w", err)
	}
	if err := s.st.PutBlob(ctx, BlobKey, s.now().Format(time.RFC3339Nano), b); err != nil {
		return fmt.Errorf("write tokens: %w", err)
	}
	return nil
}

func (s *Set) mac(tok string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(tok))
	return hex.EncodeToString(m.Sum(nil))
}

// prefix starts every token, so that secret scanners recognise them.
const prefix = "culprit_"

// Create makes a token and returns it (the only time it is ever shown)
// with its stored record.
func (s *Set) Create(ctx context.Context, name string, role Role, tlp access.Level) (string, Token, error) {
	if role.rank() == 0 {
		return "", Token{}, errs.E(errs.Invalid, "unknown role %q", role)
	}
	if tlp < access.Clear || tlp > access.Red {
		return "", Token{}, errs.E(errs.Invalid, "unknown TLP level %d", int(tlp))
	}
	var idb [6]byte
	var sec [32]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return "", Token{}, err
	}
	if _, err := rand.Read(sec[:]); err != nil {
		return "", Token{}, err
	}
	id := hex.EncodeToString(idb[:])
	tok := prefix + id + "_" + base64.RawURLEncoding.EncodeToString(sec[:])
	d, err := s.load(ctx)
	if err != nil {
		return "", Token{}, err
	}
	t := Token{ID: id, Name: name, Role: role, TLP: tlp, Created: s.now(), MAC: s.mac(tok)}
	d.Tokens = append(d.Tokens, t)
	if err := s.save(ctx, d); err != nil {
		return "", Token{}, err
	}
	return tok, t, nil
}

// List returns every token record, revoked ones included, oldest first.
func (s *Set) List(ctx context.Context) ([]Token, error) {
	d, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(d.Tokens, func(i, j int) bool { return d.Tokens[i].Created.Before(d.Tokens[j].Created) })
	return d.Tokens, nil
}

// Revoke revokes the token with this id at once. Revoking a revoked token
// is not an error.
func (s *Set) Revoke(ctx context.Context, id string) error {
	d, err := s.load(ctx)
	if err != nil {
		return err
	}
	for i := range d.Tokens {
		if d.Tokens[i].ID == id {
			if d.Tokens[i].Active() {
				d.Tokens[i].Revoked = s.now()
			}
			return s.save(ctx, d)
		}
	}
	return errs.E(errs.NotFound, "no token %q (culprit token list shows them)", id)
}

// ErrInvalid is wrapped by Check's error for a token that is malformed,
// unknown, revoked or wrong: the caller is not told which.
var ErrInvalid = errors.New("invalid or revoked token")

// Check returns the record of an active token.
func (s *Set) Check(ctx context.Context, tok string) (Token, error) {
	rest, ok := strings.CutPrefix(tok, prefix)
	id, _, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(tok) > 128 {
		return Token{}, errs.Wrap(errs.Forbidden, ErrInvalid, "")
	}
	d, err := s.current(ctx)
	if err != nil {
		return Token{}, err
	}
	want := s.mac(tok)
	for _, t := range d.Tokens {
		if t.ID == id && hmac.Equal([]byte(t.MAC), []byte(want)) && t.Active() {
			return t, nil
		}
	}
	return Token{}, errs.Wrap(errs.Forbidden, ErrInvalid, "")
}
