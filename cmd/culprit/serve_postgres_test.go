package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/postgres/pgtest"
)

// culprit serve and culprit token on a PostgreSQL knowledge base: the
// server secret is a file named by --secret, which both must share (a
// token made by culprit token is accepted by the server), and without it
// both refuse with a usage error that names the flag.
func TestServePostgres(t *testing.T) {
	pg := pgtest.URL(t)
	secret := filepath.Join(t.TempDir(), "secrets", "culprit.secret")
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
		code := run(context.Background(), args, e)
		return code, stdout.String(), stderr.String()
	}
	if code, _, stderr := cli("import", "--db", pg, "../../examples/sony-2014/knowledge.json"); code != 0 {
		t.Fatalf("import: exit %d %s", code, stderr)
	}
	for _, args := range [][]string{
		{"token", "create", "--db", pg, "--role", "reader", "--tlp", "green"},
		{"token", "list", "--db", pg},
		{"token", "revoke", "--db", pg, "tok-x"},
		{"serve", "--db", pg, "--addr", "127.0.0.1:0"},
	} {
		if code, _, stderr := cli(args...); code != 2 || !strings.Contains(stderr, "--secret FILE") {
			t.Errorf("culprit %s without --secret: exit %d %q, want 2 and a message naming --secret", strings.Join(args, " "), code, stderr)
		}
	}
	if _, err := os.Stat(secret); err == nil {
		t.Fatal("the secret exists before any command named it")
	}

	base, admin, stderr, cancel, done := startServe(t, pg, "--secret", secret)
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, stderr.String())
		}
	}()
	if admin == "" {
		t.Fatalf("the first start on PostgreSQL printed no admin token:\n%s", stderr.String())
	}
	if fi, err := os.Stat(secret); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret %s: %v %v, want a file of mode 0600", secret, fi, err)
	}
	ready := time.Now().Add(60 * time.Second)
	for {
		if code, _ := authGet(t, base+"/readyz", ""); code == 200 {
			break
		}
		if time.Now().After(ready) {
			t.Fatalf("/readyz never answered 200 on PostgreSQL:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, stdout, errOut := cli("token", "create", "--db", pg, "--secret", secret, "--role", "analyst", "--tlp", "amber", "--name", "pg")
	if code != 0 {
		t.Fatalf("token create --secret: exit %d %s", code, errOut)
	}
	analyst := strings.TrimSpace(stdout)
	if code, b := authGet(t, base+"/api/stats", analyst); code != 200 || !strings.Contains(string(b), "intrusion-set") {
		t.Errorf("the server refuses a token made with the same secret: %d %s", code, b)
	}
	if code, b := authGet(t, base+"/api/actors?q=Lazarus+Group", admin); code != 200 || !strings.Contains(string(b), "Lazarus Group") {
		t.Errorf("actors on PostgreSQL: %d %s", code, b)
	}

	// A case on PostgreSQL, through the server.
	req, _ := http.NewRequest("POST", base+"/api/cases?name=pg", strings.NewReader("techniques:\n  - id: T1566\n"))
	req.Header.Set("Authorization", "Bearer "+analyst)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || !strings.Contains(string(b), `"tlp":"TLP:AMBER"`) {
		t.Fatalf("create a case on PostgreSQL: %d %s", resp.StatusCode, b)
	}
	if code, b := authGet(t, base+"/api/cases", analyst); code != 200 || !strings.Contains(string(b), `"name":"pg"`) {
		t.Errorf("list cases on PostgreSQL: %d %s", code, b)
	}

}
