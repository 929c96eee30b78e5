package token_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
