package main

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/server"
	"github.com/culprit-cti/culprit/sqlite"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/token"
)

// TestLoad runs a short bounded load, imports included, against a real
// server on loopback and expects every request to succeed.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kb.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	objs, err := stix.ReadFile("../../examples/sony-2014/knowledge.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import(ctx, kb.Source{Kind: kb.SourceFile, Name: "knowledge.json"}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	set := token.New(st, make([]byte, 32))
	reader, _, _ := set.Create(ctx, "load", token.Reader, access.Red)
	analyst, _, _ := set.Create(ctx, "load import", token.Analyst, access.Red)
	srv, err := server.New(server.Config{Store: st, Tokens: set, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Load(ctx); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	mix, _ := parseMix("actors=2,card=1,taxii=2,attribute=1,import=1")
	start := time.Now()
	rep, err := load(ctx, config{base: ts.URL, token: reader, analyst: analyst, clients: 4, duration: 3 * time.Second,
		requests: 200, mix: mix, caseBody: []byte(defaultCase)})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the run took %v, beyond its budget", time.Since(start))
	}
	if rep.Requests == 0 || rep.Requests > 200 || rep.Errors != 0 {
		t.Errorf("report = %+v, want up to 200 requests and no error", rep)
	}
	// The server runs in this process here: its CPU time is the test's.
	if rep.CPUSeconds <= 0 || rep.RSSAfter <= 0 {
		t.Errorf("server CPU %g s, RSS %d bytes: want both read from /metrics", rep.CPUSeconds, rep.RSSAfter)
	}
	for _, o := range rep.Operations {
		if o.Errors > 0 {
			t.Errorf("%s: %d errors: %v", o.Op, o.Errors, o.Samples)
		}
	}
	var b strings.Builder
	if err := synthesize(&b, 1000); err != nil {
		t.Fatal(err)
	}
	synth, err := stix.ReadAll(strings.NewReader(b.String()), "synth")
	if err != nil || len(synth) != 1000 {
		t.Errorf("synthesize(1000): %d objects, %v", len(synth), err)
	}
	if _, err := st.Import(ctx, kb.Source{Kind: kb.SourceFile, Name: "synth"}, kb.SliceStream(synth), kb.ImportOptions{}); err != nil {
		t.Errorf("import of the synthetic bundle: %v", err)
	}
	if _, err := parseMix("actors=x"); err == nil {
		t.Error("parseMix accepted a bad weight")
	}
}

func TestPageCursor(t *testing.T) {
	for _, tc := range []struct {
		env  string
		more bool
		next string
	}{
		{`{"more":true,"next":"abc","objects":[{"type":"x"}]}`, true, "abc"},
		{`{"objects":[{"type":"x","more":false}],"next":"late","more":true}`, false, ""}, // members after objects are not read
		{`{"id":"x","more":false,"objects":[]}`, false, ""},
		{`{"next":"n","more":true}`, true, "n"},
		{`{"more":"yes","next":"n"}`, false, ""},
		{`[]`, false, ""},
		{``, false, ""},
	} {
		more, next := pageCursor([]byte(tc.env))
		if more != tc.more || next != tc.next {
			t.Errorf("pageCursor(%s) = %v, %q; want %v, %q", tc.env, more, next, tc.more, tc.next)
		}
	}
}
