package token_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/token"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "kb.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret, err := token.LoadSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, token.SecretFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	again, _ := token.LoadSecret(dir)
	if string(again) != string(secret) {
		t.Error("LoadSecret made a new secret instead of reading the existing one")
	}
	set := token.New(st, secret)
	tok, rec, err := set.Create(ctx, "ci", token.Analyst, access.Green)
	if err != nil {
		t.Fatal(err)
	}
	got, err := set.Check(ctx, tok)
	if err != nil || got.ID != rec.ID || got.Role != token.Analyst || got.TLP != access.Green {
		t.Fatalf("Check(new token) = %+v, %v", got, err)
	}
	// The database holds no token, only its HMAC.
	data, _, _, _ := st.Blob(ctx, token.BlobKey)
	if strings.Contains(string(data), tok[len(tok)-20:]) {
		t.Error("the stored token document contains the token")
	}
	for _, bad := range []string{"", "culprit_", tok + "x", strings.Replace(tok, rec.ID, "000000000000", 1), "Bearer " + tok} {
		if _, err := set.Check(ctx, bad); !errors.Is(err, token.ErrInvalid) {
			t.Errorf("Check(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	// Another secret (another server) does not accept the token.
	other := token.New(st, []byte(strings.Repeat("x", 32)))
	if _, err := other.Check(ctx, tok); !errors.Is(err, token.ErrInvalid) {
		t.Errorf("Check under another secret = %v, want ErrInvalid", err)
	}
	// A revocation through another Set (another process) is seen at once.
	if err := token.New(st, secret).Revoke(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := set.Check(ctx, tok); !errors.Is(err, token.ErrInvalid) {
		t.Errorf("Check(revoked token) = %v, want ErrInvalid", err)
	}
	if err := set.Revoke(ctx, "nope"); err == nil {
		t.Error("Revoke(unknown id) succeeded")
	}
	list, err := set.List(ctx)
	if err != nil || len(list) != 1 || list[0].Active() {
		t.Errorf("List = %+v, %v; want the one revoked token", list, err)
	}
}

func TestRoles(t *testing.T) {
	for _, tc := range []struct {
		have, need token.Role
		want       bool
	}{
		{token.Reader, token.Reader, true}, {token.Reader, token.Analyst, false}, {token.Analyst, token.Reader, true},
		{token.Analyst, token.Admin, false}, {token.Admin, token.Analyst, true}, {"", token.Reader, false},
	} {
		if got := tc.have.Allows(tc.need); got != tc.want {
			t.Errorf("%q.Allows(%q) = %v, want %v", tc.have, tc.need, got, tc.want)
		}
	}
	if _, err := token.ParseRole("root"); err == nil {
		t.Error("ParseRole(root) succeeded")
	}
}

// LoadSecretFile keeps the secret where it is told (for a store without a
// directory of its own), owner-only, and reads it back unchanged.
func TestLoadSecretFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "etc", "culprit", "server.secret")
	a, err := token.LoadSecretFile(p)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 || len(a) != 32 {
		t.Fatalf("secret %s: %v %v (%d bytes), want 32 bytes of mode 0600", p, fi, err, len(a))
	}
	if d, _ := os.Stat(filepath.Dir(p)); d.Mode().Perm() != 0o700 {
		t.Errorf("its directory has mode %v, want 0700", d.Mode().Perm())
	}
	b, err := token.LoadSecretFile(p)
	if err != nil || string(a) != string(b) {
		t.Errorf("second read: %v, same = %v", err, string(a) == string(b))
	}
	short := filepath.Join(t.TempDir(), "short")
	os.WriteFile(short, []byte("too short"), 0o600)
	if _, err := token.LoadSecretFile(short); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("a short secret: %v, want an error", err)
	}
}

// TestCheckSeesOtherProcesses: Check keeps the document it read while the
// store's data version stays, and reads it again after any commit, so a
// token revoked or created by another process (another store on the same
// file) is refused or accepted at the next Check.
func TestCheckSeesOtherProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kb.db")
	mine, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	theirs, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer theirs.Close()
	secret := []byte("0123456789abcdef0123456789abcdef")
	set, other := token.New(mine, secret), token.New(theirs, secret)

	tok, rec, err := set.Create(ctx, "a", token.Reader, access.Green)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // the cached document answers
		if _, err := set.Check(ctx, tok); err != nil {
			t.Fatalf("Check %d: %v", i, err)
		}
	}
	tok2, _, err := other.Create(ctx, "b", token.Reader, access.Green)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set.Check(ctx, tok2); err != nil {
		t.Errorf("a token created by another process: %v", err)
	}
	if err := other.Revoke(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := set.Check(ctx, tok); !errors.Is(err, token.ErrInvalid) {
		t.Errorf("a token revoked by another process: Check = %v, want ErrInvalid", err)
	}
	// An unrelated commit (a blob) makes it read again, and nothing else.
	if err := theirs.PutBlob(ctx, "other", "t", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := set.Check(ctx, tok2); err != nil {
		t.Errorf("after an unrelated commit: %v", err)
	}
}

// BenchmarkCheck is the check every request of a server makes, from
// concurrent requests, on a SQLite store.
func BenchmarkCheck(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "kb.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	set := token.New(st, []byte("0123456789abcdef0123456789abcdef"))
	var tok string
	for i := range 20 {
		if tok, _, err = set.Create(ctx, strings.Repeat("x", i+1), token.Reader, access.Green); err != nil {
			b.Fatal(err)
		}
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := set.Check(ctx, tok); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// A token revoked by another process is refused by every check that
// begins after the revocation, while concurrent checks share the reads of
// the store's data version.
func TestConcurrentChecksSeeRevocation(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kb.db")
	mine, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	theirs, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer theirs.Close()
	secret := []byte("0123456789abcdef0123456789abcdef")
	set, other := token.New(mine, secret), token.New(theirs, secret)
	tok, rec, err := set.Create(ctx, "a", token.Reader, access.Green)
	if err != nil {
		t.Fatal(err)
	}
	var revoked atomic.Bool
	var refused atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for n := 0; n < 20; { // 20 checks after the revocation
				after := revoked.Load()
				_, err := set.Check(ctx, tok)
				if after && !errors.Is(err, token.ErrInvalid) {
					t.Errorf("a check begun after the revocation: %v, want ErrInvalid", err)
					return
				}
				if after {
					n++
				}
				if err != nil {
					refused.Add(1)
				}
			}
		})
	}
	time.Sleep(5 * time.Millisecond)
	if err := other.Revoke(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	revoked.Store(true)
	wg.Wait()
	if refused.Load() == 0 {
		t.Error("no check refused the revoked token")
	}
}
