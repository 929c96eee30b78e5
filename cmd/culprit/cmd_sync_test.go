package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// feedServer serves the four official feed paths with ETags; with down set
// every request fails with 503.
func feedServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var served atomic.Int64
	files := map[string]string{
		"/mitre-attack/attack-stix-data/master/enterprise-attack/enterprise-attack.json": `{"type": "bundle", "id": "bundle--3b1fd5b4-6d07-4b43-8d5f-4d4d3f0b8f7e", "objects": [{"type": "intrusion-set", "spec_version": "2.1", "id": "intrusion-set--0c9c6f3a-2a43-4b55-9d48-3a0f4b6f6a11", "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z", "name": "Sync Test Group"}]}`,
		"/MISP/misp-galaxy/main/clusters/threat-actor.json":                              `{"type": "threat-actor", "values": []}`,
		"/MISP/misp-galaxy/main/clusters/malpedia.json":                                  `{"type": "malpedia", "values": []}`,
		"/MISP/misp-galaxy/main/clusters/mitre-intrusion-set.json":                       `{"type": "mitre-intrusion-set", "values": []}`,
	}
	mod := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		served.Add(1)
		w.Header().Set("ETag", `"`+r.URL.Path+`"`)
		http.ServeContent(w, r, "", mod, strings.NewReader(body))
	}))
	t.Cleanup(ts.Close)
	return ts, &served
}

func testEnv(getenv map[string]string) (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &env{
		stdin:  strings.NewReader(""),
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string { return getenv[k] },
	}, &out, &errb
}

func decodeReport(t *testing.T, b []byte) syncReport {
	t.Helper()
	var r syncReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("sync --json output is not JSON: %v\n%s", err, b)
	}
	return r
}

func statuses(r syncReport) []string {
	var s []string
	for _, f := range r.Feeds {
		s = append(s, f.Name+" "+f.Status)
	}
	return s
}

func TestSync(t *testing.T) {
	ts, _ := feedServer(t)
	dir := t.TempDir()
	names := []string{"enterprise-attack.json", "threat-actor.json", "malpedia.json", "mitre-intrusion-set.json"}
	want := func(status string) []string {
		var s []string
		for _, n := range names {
			s = append(s, n+" "+status)
		}
		return s
	}

	db := filepath.Join(t.TempDir(), "kb.db")
	t.Run("fresh download", func(t *testing.T) {
		e, out, errb := testEnv(nil)
		if code := run(context.Background(), []string{"sync", "--dir", dir, "--db", db, "--base-url", ts.URL, "--json"}, e); code != 0 {
			t.Fatalf("sync exit %d, want 0; stderr:\n%s", code, errb)
		}
		r := decodeReport(t, out.Bytes())
		if diff := cmp.Diff(want("downloaded"), statuses(r)); diff != "" {
			t.Errorf("sync statuses (-want +got):\n%s", diff)
		}
		if !r.Imported || len(r.Imports) != len(names) {
			t.Errorf("sync report imported %v with %d import results, want true and %d", r.Imported, len(r.Imports), len(names))
		}
		e, out, errb = testEnv(nil)
		if code := run(context.Background(), []string{"actors", "--db", db, "Sync Test Group"}, e); code != 0 {
			t.Fatalf("actors after sync: exit %d; stderr:\n%s", code, errb)
		}
		if !strings.Contains(out.String(), "Sync Test Group") {
			t.Errorf("actors after sync = %q, want the group from the synced bundle", out)
		}
		for _, f := range r.Feeds {
			if b, err := os.ReadFile(filepath.Join(dir, f.Name)); err != nil || !json.Valid(b) {
				t.Errorf("%s not cached: %v", f.Name, err)
			}
			if f.SHA256 == "" || f.Size == 0 || f.Path != filepath.Join(dir, f.Name) {
				t.Errorf("feed report %+v, want path, size and sha256", f)
			}
		}
	})
	t.Run("up to date", func(t *testing.T) {
		e, out, errb := testEnv(nil)
		if code := run(context.Background(), []string{"sync", "--json", "--dir", dir, "--db", db, "--base-url", ts.URL}, e); code != 0 {
			t.Fatalf("sync exit %d, want 0; stderr:\n%s", code, errb)
		}
		if diff := cmp.Diff(want("up to date"), statuses(decodeReport(t, out.Bytes()))); diff != "" {
			t.Errorf("sync statuses (-want +got):\n%s", diff)
		}
	})
	t.Run("offline with cached copies", func(t *testing.T) {
		e, out, errb := testEnv(nil)
		if code := run(context.Background(), []string{"sync", "--dir", dir, "--db", db, "--base-url", "http://127.0.0.1:1"}, e); code != 0 {
			t.Fatalf("sync exit %d, want 0 when every feed has a cached copy; stderr:\n%s", code, errb)
		}
		if got := errb.String(); !strings.Contains(got, "cannot reach 127.0.0.1:1 (offline?)") || !strings.Contains(got, "cached copy from") {
			t.Errorf("stderr = %q, want it to say the host cannot be reached and the cached copy is kept", got)
		}
		if got := out.String(); !strings.Contains(got, "cached") || !strings.Contains(got, "enterprise-attack.json") {
			t.Errorf("stdout = %q, want the cached feeds and their import", got)
		}
	})
}

func TestSyncOfflineWithoutCache(t *testing.T) {
	e, _, errb := testEnv(map[string]string{"XDG_CACHE_HOME": t.TempDir()})
	if code := run(context.Background(), []string{"sync", "--base-url", "http://127.0.0.1:1"}, e); code != 1 {
		t.Errorf("sync exit %d, want 1", code)
	}
	if got := errb.String(); !strings.Contains(got, "cannot reach 127.0.0.1:1 (offline?)") || !strings.Contains(got, "no cached copy") {
		t.Errorf("stderr = %q, want it to say the host cannot be reached and nothing is cached", got)
	}
}

func TestSyncImports(t *testing.T) {
	ts, _ := feedServer(t)
	dir := t.TempDir()
	var got []string
	imp := func(ctx context.Context, e *env, db string, paths []string) ([]importResult, error) {
		got = paths
		return nil, nil
	}
	e, out, errb := testEnv(nil)
	cmd := syncCommand(imp)
	if err := cmd.run(context.Background(), e, []string{"--dir", dir, "--base-url", ts.URL, "--json"}); err != nil {
		t.Fatalf("sync: %v; stderr:\n%s", err, errb)
	}
	want := []string{
		filepath.Join(dir, "enterprise-attack.json"), filepath.Join(dir, "threat-actor.json"),
		filepath.Join(dir, "malpedia.json"), filepath.Join(dir, "mitre-intrusion-set.json"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("imported paths (-want +got):\n%s", diff)
	}
	if !decodeReport(t, out.Bytes()).Imported {
		t.Errorf("sync --json report imported = false, want true")
	}
}

func TestSyncUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"unexpected argument", []string{"sync", "extra"}, 2},
		{"unknown flag", []string{"sync", "--nope"}, 2},
		{"help", []string{"sync", "-h"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _, errb := testEnv(nil)
			if code := run(context.Background(), tt.args, e); code != tt.code {
				t.Errorf("run(%q) exit %d, want %d", tt.args, code, tt.code)
			}
			if strings.Contains(errb.String(), "base-url") {
				t.Errorf("usage shows the hidden --base-url flag:\n%s", errb)
			}
		})
	}
}

func TestFeedCacheDir(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{"XDG_CACHE_HOME", map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/x/culprit/feeds", false},
		{"relative XDG_CACHE_HOME is ignored", map[string]string{"XDG_CACHE_HOME": "x", "HOME": "/h"}, "/h/.cache/culprit/feeds", false},
		{"HOME", map[string]string{"HOME": "/h"}, "/h/.cache/culprit/feeds", false},
		{"neither", nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := feedCacheDir(func(k string) string { return tt.env[k] })
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("feedCacheDir = %q, %v, want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
