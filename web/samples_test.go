package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/kb"
	"github.com/culprit-cti/culprit/server"
	"github.com/culprit-cti/culprit/ssdeep"
	"github.com/culprit-cti/culprit/stix"
	"github.com/culprit-cti/culprit/tlsh"
)

// sampleFile is a file of n pseudo-random words, the same for a seed:
// varied enough for TLSH and ssdeep digests.
func sampleFile(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	words := []string{"beacon", "GetProcAddress", "kernel32.dll", "http://", "cmd.exe /c", "\x00\x00", "\x90\x90\x90", "payload", "Mutex"}
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[rng.IntN(len(words))])
		b.WriteByte(byte(rng.IntN(256)))
	}
	return b.Bytes()[:n]
}

// nearFile is b with every 401st byte changed: near b by TLSH and ssdeep.
func nearFile(b []byte, seed byte) []byte {
	v := bytes.Clone(b)
	for i := 0; i < len(v); i += 401 {
		v[i] ^= seed
	}
	return v
}

// tlshOf is the TLSH digest of b, computed here with package tlsh.
func tlshOf(t testing.TB, b []byte) string {
	t.Helper()
	h := tlsh.New()
	h.Write(b)
	d, err := h.Sum()
	if err != nil {
		t.Fatalf("TLSH of the test file: %v", err)
	}
	return d.String()
}

// addKnownSample imports b as a known sample (knownSample).
func addKnownSample(t *testing.T, st kb.Store, b []byte, id, name, family, marking string) {
	t.Helper()
	importObjects(t, st, name, knownSample(t, b, id, name, family, marking))
}

// knownSample is b as a known sample: a file object with its SHA-256,
// TLSH and ssdeep digests, and its relationship to the malware family,
// marked with marking when not "".
func knownSample(t testing.TB, b []byte, id, name, family, marking string) []*stix.Object {
	t.Helper()
	sum := sha256.Sum256(b)
	file := map[string]any{"type": "file", "spec_version": "2.1", "id": id, "name": name,
		"hashes": map[string]string{"SHA-256": hex.EncodeToString(sum[:]), "TLSH": tlshOf(t, b),
			"SSDEEP": ssdeep.Sum(b).String()}}
	rel := map[string]any{"type": "relationship", "spec_version": "2.1", "id": strings.Replace(id, "file--", "relationship--", 1),
		"created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "relationship_type": "related-to",
		"source_ref": id, "target_ref": family}
	if marking != "" {
		file["object_marking_refs"] = []string{marking}
		rel["object_marking_refs"] = []string{marking}
	}
	var objs []*stix.Object
	for _, m := range []map[string]any{file, rel} {
		raw, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		o, err := stix.ParseObject(raw)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	return objs
}

// postFile posts a multipart form of fields and one file.
func (c *client) postFile(path string, fields map[string]string, field, filename string, content []byte) *response {
	c.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile(field, filename)
	if err != nil {
		c.t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	return c.send(http.MethodPost, path, mw.FormDataContentType(), b.Bytes())
}

// apiSample reads GET /api/samples/{sum} with user's API token.
func (f *webFixture) apiSample(t *testing.T, user, sum string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.url+"/api/samples/"+sum, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.tok[user])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

const (
	// secretLoader is a GREEN malware family of the TLP fixture (../access/testdata).
	secretLoader  = "malware--00000015-0000-4000-8000-000000000015"
	visibleSample = "file--00000000-0000-4000-8000-000000000901"
	redSample     = "file--00000000-0000-4000-8000-000000000902"
	maxTestSample = 64 << 10
)

// sampleFixture is the web fixture with two known samples near upload,
// one of them TLP:RED, and a sample limit of 64 KiB.
func sampleFixture(t *testing.T, upload []byte) *webFixture {
	return newWebFixture(t, func(st kb.Store, cfg *server.Config) {
		addKnownSample(t, st, nearFile(upload, 0x21), visibleSample, "visible.bin", secretLoader, "")
		addKnownSample(t, st, nearFile(upload, 0x42), redSample, "crimson.bin", secretLoader, stix.TLP2Red)
		cfg.MaxSample = maxTestSample
	})
}

// TestSampleUploadAddsEvidence uploads a sample to a GREEN case as an
// AMBER analyst: the page shows its hashes and the visible similar
// sample, the case's evidence holds its hashes, the case is attributed
// again, and the sample is kept at GREEN (the case's level, below the
// user's).
func TestSampleUploadAddsEvidence(t *testing.T) {
	upload := sampleFile(7, 8<<10)
	f := sampleFixture(t, upload)
	sum := sha256.Sum256(upload)
	sha := hex.EncodeToString(sum[:])
	digest := tlshOf(t, upload)

	c, csrf := f.loggedIn("alice")
	id, evidence := c.newCase(csrf, "Sample case", "TLP:GREEN")
	c.acceptAll(csrf, id, evidence)
	casePath := "/ui/cases/" + id
	if page := c.get(casePath); !strings.Contains(page.body, `action="/ui/cases/`+id+`/samples"`) ||
		!strings.Contains(page.body, `<label for="sample-file">`) || !strings.Contains(page.body, "up to 64 KiB") {
		t.Fatalf("the case page has no labelled sample form with its limit:\n%s", page.body)
	}
	r := c.postFile(casePath+"/samples", map[string]string{"csrf": csrf}, "sample", `C:\incident\wiper.exe`, upload)
	if r.code != http.StatusOK {
		t.Fatalf("upload: %d, want 200\n%s", r.code, r.body)
	}
	for _, want := range []string{"Sample wiper.exe", sha, digest, "visible.bin", "SecretLoader"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the upload's page lacks %q", want)
		}
	}
	// alice (AMBER) sees no RED sample either.
	for _, h := range []string{redSample, "crimson.bin"} {
		if strings.Contains(r.body, h) {
			t.Errorf("AMBER's upload page shows the RED %s", h)
		}
	}
	page := c.get(casePath)
	if !strings.Contains(page.body, "sample-3.yaml") {
		t.Errorf("the case's files of evidence miss sample-3.yaml:\n%s", page.body)
	}
	for _, want := range []string{"SHA-256 <code>" + sha + "</code>", "TLSH <code>" + digest + "</code>"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the case's evidence lacks %q", want)
		}
	}
	if strings.Contains(page.body, "Not attributed yet.") {
		t.Errorf("the case was not attributed after the upload")
	}
	code, body := f.apiSample(t, "gus", sha)
	if code != http.StatusOK || !strings.Contains(body, `"tlp":"TLP:GREEN"`) {
		t.Errorf("GET /api/samples/%s as GREEN gus: %d %s, want the sample kept at the case's level, GREEN", sha, code, body)
	}
	// The reader has no form and may not post one.
	g, gcsrf := f.loggedIn("gus")
	if page := g.get(casePath); page.code != http.StatusOK || strings.Contains(page.body, "sample-file") {
		t.Errorf("the reader's case page: %d, with a sample form %v", page.code, strings.Contains(page.body, "sample-file"))
	}
	if r := g.postFile(casePath+"/samples", map[string]string{"csrf": gcsrf}, "sample", "x.bin", upload); r.code != http.StatusForbidden {
		t.Errorf("upload as a reader: %d, want 403", r.code)
	}
}

// TestSampleUploadHidesHigherSamples: a GREEN analyst is shown the GREEN
// known sample near the upload and never the RED one; a RED analyst is
// shown both (so the RED sample is near, and the check can fail).
func TestSampleUploadHidesHigherSamples(t *testing.T) {
	upload := sampleFile(11, 8<<10)
	f := sampleFixture(t, upload)
	for _, tc := range []struct {
		user    string
		wantRed bool
	}{{"gail", false}, {"rita", true}} {
		t.Run(tc.user, func(t *testing.T) {
			c, csrf := f.loggedIn(tc.user)
			id, _ := c.newCase(csrf, "Case of "+tc.user, "TLP:GREEN")
			r := c.postFile("/ui/cases/"+id+"/samples", map[string]string{"csrf": csrf}, "sample", "dropper.bin", upload)
			if r.code != http.StatusOK {
				t.Fatalf("upload: %d\n%s", r.code, r.body)
			}
			if !strings.Contains(r.body, "visible.bin") {
				t.Errorf("the GREEN known sample is not among the similar ones:\n%s", r.body)
			}
			for _, h := range []string{redSample, "crimson.bin"} {
				if got := strings.Contains(r.body, h); got != tc.wantRed {
					t.Errorf("%s's page shows %s: %v, want %v", tc.user, h, got, tc.wantRed)
				}
			}
			if !tc.wantRed {
				for _, h := range hiddenFromGreen {
					if strings.Contains(r.body, h) {
						t.Errorf("GREEN's upload page shows the hidden %s", h)
					}
				}
			}
		})
	}
}

// TestSampleUploadRefused: without the CSRF token, without a file, with
// an empty one and above the limit, nothing is kept.
func TestSampleUploadRefused(t *testing.T) {
	upload := sampleFile(3, 4<<10)
	f := sampleFixture(t, upload)
	c, csrf := f.loggedIn("alice")
	id, _ := c.newCase(csrf, "Refusals", "TLP:AMBER")
	path := "/ui/cases/" + id + "/samples"
	for _, tc := range []struct {
		name    string
		fields  map[string]string
		file    []byte
		code    int
		message string
	}{
		{"no CSRF token", nil, upload, http.StatusForbidden, "CSRF token is missing or wrong"},
		{"wrong CSRF token", map[string]string{"csrf": strings.Repeat("A", len(csrf))}, upload, http.StatusForbidden, "CSRF token is missing or wrong"},
		{"empty file", map[string]string{"csrf": csrf}, nil, http.StatusBadRequest, "is empty"},
		{"too large", map[string]string{"csrf": csrf}, sampleFile(5, maxTestSample+1), http.StatusRequestEntityTooLarge, "larger than the limit of 64 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.postFile(path, tc.fields, "sample", "s.bin", tc.file)
			if r.code != tc.code || !strings.Contains(r.body, tc.message) {
				t.Errorf("POST %s: %d, want %d with %q\n%s", path, r.code, tc.code, tc.message, r.body)
			}
		})
	}
	if r := c.post(path, map[string][]string{"csrf": {csrf}}); r.code != http.StatusBadRequest || !strings.Contains(r.body, "choose the sample") {
		t.Errorf("POST %s without a file: %d, want 400\n%s", path, r.code, r.body)
	}
	page := c.get("/ui/cases/" + id)
	if regexp.MustCompile(`sample-\d+\.yaml`).MatchString(page.body) {
		t.Errorf("a refused upload was added to the case:\n%s", page.body)
	}
	sum := sha256.Sum256(upload)
	if code, body := f.apiSample(t, "rita", hex.EncodeToString(sum[:])); code != http.StatusNotFound {
		t.Errorf("the sample refused for its CSRF token was kept: %d %s", code, body)
	}
}

// TestGoldenSamplePage compares the case page an upload answers with
// testdata/golden/case-sample.html (go test -run TestGoldenSamplePage
// ./web -update rewrites it): the sample's hashes, the similar known
// sample with its family, the case's evidence with the sample and the
// result of the attribution the upload ran.
func TestGoldenSamplePage(t *testing.T) {
	upload := sampleFile(7, 8<<10)
	f := sampleFixture(t, upload)
	c, csrf := f.loggedIn("alice")
	id, evidence := c.newCase(csrf, "Northbridge Media wiper", "TLP:GREEN")
	c.acceptAll(csrf, id, evidence)
	r := c.postFile("/ui/cases/"+id+"/samples", map[string]string{"csrf": csrf}, "sample", "wiper.exe", upload)
	if r.code != http.StatusOK {
		t.Fatalf("upload: %d\n%s", r.code, r.body)
	}
	// What the page must show, so that an -update cannot bless a broken
	// one.
	for _, want := range []string{`data-testid="uploaded-sample"`, "<h2 id=\"sample-h\">Sample wiper.exe", `data-testid="similar-sample"`,
		"visible.bin", "SecretLoader", "<h3>Samples</h3>", `class="hyp-name">`, "<details open><summary>Add a sample"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the upload's page does not show %q", want)
		}
	}
	checkGolden(t, "case-sample.html", r.body)
}
