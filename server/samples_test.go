package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/culprit-cti/culprit/access"
	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/sample"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/token"
)

// sampleBytes is a file of n pseudo-random words, the same for a seed.
func sampleBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	words := []string{"beacon", "GetProcAddress", "kernel32.dll", "http://", "cmd.exe /c", "\x00\x00", "\x90\x90\x90", "MZ", "payload", "Mutex"}
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[rng.IntN(len(words))])
		b.WriteByte(byte(rng.IntN(256)))
	}
	return b.Bytes()[:n]
}

// variant is b with every 97th byte changed: near b by TLSH and ssdeep.
func variant(b []byte, seed byte) []byte {
	v := bytes.Clone(b)
	for i := 0; i < len(v); i += 97 {
		v[i] ^= seed
	}
	return v
}

// knownSample imports b as a known sample (a file object related to the
// malware family), marked with marking when not "".
func knownSample(t *testing.T, st kb.Store, b []byte, name, family, marking string, n int) string {
	t.Helper()
	rep, err := sample.Analyze(bytes.NewReader(b), int64(len(b)), sample.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.TLSH == "" {
		t.Fatalf("%s has no TLSH", name)
	}
	fileID := fmt.Sprintf("file--00000000-0000-4000-8000-%012d", n)
	file := map[string]any{"type": "file", "spec_version": "2.1", "id": fileID, "name": name,
		"hashes": map[string]string{"SHA-256": rep.SHA256, "TLSH": rep.TLSH, "SSDEEP": rep.SSDEEP}}
	rel := map[string]any{"type": "relationship", "spec_version": "2.1", "id": fmt.Sprintf("relationship--00000000-0000-4000-8000-%012d", n),
		"created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "relationship_type": "related-to",
		"source_ref": fileID, "target_ref": family}
	if marking != "" {
		file["object_marking_refs"] = []string{marking}
		rel["object_marking_refs"] = []string{marking}
	}
	var objs []*stix.Object
	for _, m := range []map[string]any{file, rel} {
		raw, _ := json.Marshal(m)
		o, err := stix.ParseObject(raw)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	if _, err := st.Import(context.Background(), kb.Source{Kind: kb.SourceFile, Name: name}, kb.SliceStream(objs), kb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return fileID
}

type sampleAnswer struct {
	SHA256 string `json:"sha256"`
	TLP    string `json:"tlp"`
	Report struct {
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
		MD5    string `json:"md5"`
		TLSH   string `json:"tlsh"`
		Type   string `json:"type"`
	} `json:"report"`
	Similar []struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Families []struct {
			ID string `json:"id"`
		} `json:"families"`
		Actors []struct {
			ID string `json:"id"`
		} `json:"actors"`
	} `json:"similar"`
}

func TestSampleUpload(t *testing.T) {
	f := newFixture(t, Config{MaxSample: 64 << 10})
	tok, rec, err := f.tokens.Create(context.Background(), "analyst-red", token.Analyst, access.Red)
	if err != nil {
		t.Fatal(err)
	}
	f.tok["analyst-red"], f.ids["analyst-red"] = tok, rec.ID

	const secretLoader = "malware--00000015-0000-4000-8000-000000000015"
	upload := sampleBytes(7, 8<<10)
	visible := knownSample(t, f.store, variant(upload, 0x21), "visible.bin", secretLoader, "", 901)
	crimson := knownSample(t, f.store, variant(upload, 0x42), "crimson.bin", secretLoader, stix.TLP2Red, 902)
	if err := f.srv.Load(context.Background()); err != nil {
		t.Fatal(err)
	}

	post := func(key, q string, body []byte) (int, []byte) {
		code, _, b := f.do("POST", key, "/api/samples"+q, "application/octet-stream", body)
		return code, b
	}
	code, b := post("analyst-green", "?tlp=green", upload)
	var g sampleAnswer
	decodeJSON(t, b, &g)
	if code != 200 || g.TLP != "TLP:GREEN" || g.Report.Size != int64(len(upload)) || g.Report.SHA256 != g.SHA256 || g.Report.TLSH == "" || g.Report.MD5 == "" {
		t.Fatalf("upload as GREEN: %d %s", code, b)
	}
	if len(g.Similar) != 1 || g.Similar[0].ID != visible || g.Similar[0].Name != "visible.bin" ||
		len(g.Similar[0].Families) != 1 || g.Similar[0].Families[0].ID != secretLoader || len(g.Similar[0].Actors) != 0 {
		t.Errorf("similar for GREEN = %+v, want visible.bin of SecretLoader, no actor (those that use it are hidden)", g.Similar)
	}
	for _, h := range append([]string{crimson, "crimson.bin"}, hiddenFromGreen...) {
		if strings.Contains(string(b), h) {
			t.Errorf("GREEN's upload answer shows the hidden %s:\n%s", h, b)
		}
	}
	// Stored content-addressed: the bytes under their SHA-256.
	data, tag, ok, err := f.store.Blob(context.Background(), sampleContentKey(g.SHA256))
	if err != nil || !ok || !bytes.Equal(data, upload) || tag != "sha256:"+g.SHA256 {
		t.Errorf("stored content: %d bytes, tag %q, ok %v, %v", len(data), tag, ok, err)
	}

	// RED sees both known samples and the actors.
	code, b = f.get("reader-red", "/api/samples/"+g.SHA256)
	var r sampleAnswer
	decodeJSON(t, b, &r)
	if code != 200 || len(r.Similar) != 2 || !strings.Contains(string(b), crimson) || !strings.Contains(string(b), redPanda) {
		t.Errorf("GET as RED: %d %s", code, b)
	}
	if code, b := f.get("reader-green", "/api/samples/"+strings.ToUpper(g.SHA256)); code != 200 || strings.Contains(string(b), crimson) {
		t.Errorf("GET as GREEN: %d %s", code, b)
	}

	// A RED sample does not exist for GREEN; uploading the same bytes
	// again at a lower level lowers it (the uploader has the file).
	redBytes := sampleBytes(8, 4<<10)
	code, b = post("analyst-red", "?tlp=red", redBytes)
	var rs sampleAnswer
	decodeJSON(t, b, &rs)
	if code != 200 || rs.TLP != "TLP:RED" {
		t.Fatalf("upload as RED: %d %s", code, b)
	}
	absent := strings.Repeat("ab", 32)
	code, hidden := f.get("reader-green", "/api/samples/"+rs.SHA256)
	code2, none := f.get("reader-green", "/api/samples/"+absent)
	if a, b := normalize(hidden, rs.SHA256), normalize(none, absent); code != 404 || code2 != 404 || a != b {
		t.Errorf("hidden sample: %d %s\nabsent: %d %s\nwant the same 404", code, a, code2, b)
	}
	if code, b := post("analyst-green", "?tlp=green", redBytes); code != 200 || !strings.Contains(string(b), `"tlp":"TLP:GREEN"`) {
		t.Errorf("GREEN upload of the RED sample's bytes: %d %s", code, b)
	}

	for _, tc := range []struct {
		name, key, q string
		body         []byte
		want         int
	}{
		{"reader", "reader-red", "", upload, 403},
		{"above the token", "analyst-green", "?tlp=amber", upload, 403},
		{"unknown level", "analyst-green", "?tlp=purple", upload, 400},
		{"empty", "analyst-green", "", nil, 400},
		{"too large", "analyst-green", "", make([]byte, 65<<10), 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, b := post(tc.key, tc.q, tc.body); code != tc.want {
				t.Errorf("POST /api/samples%s as %s: %d %s, want %d", tc.q, tc.key, code, b, tc.want)
			}
		})
	}
	if code, _ := f.get("reader-green", "/api/samples/not-a-hash"); code != 404 {
		t.Errorf("GET of a malformed hash: %d, want 404", code)
	}
}

// FuzzSampleUpload posts arbitrary bytes and parameters as a sample:
// every answer is a 2xx or a 4xx, never a 5xx or a crash.
func FuzzSampleUpload(f *testing.F) {
	fx := caseFixture(f)
	http.DefaultClient.Timeout = 10 * time.Second
	f.Cleanup(func() { http.DefaultClient.Timeout = 0 })
	f.Add("tlp=green", sampleBytes(1, 600))
	f.Add("tlp=red", []byte("MZ\x90\x00PE\x00\x00"))
	f.Add("", []byte("\x7fELF\x02\x01\x01\x00"))
	f.Add("tlp=amber%2Bstrict", []byte("#!/bin/sh\nrm -rf /\n"))
	f.Fuzz(func(t *testing.T, query string, body []byte) {
		if len(query) > 200 || len(body) > 64<<10 {
			return
		}
		fx.t = t
		code, _, b := fx.do("POST", "analyst-red", "/api/samples?"+url.PathEscape(query), "application/octet-stream", body)
		if code >= 500 {
			t.Errorf("?%s: %d %s", query, code, b)
		}
	})
}
