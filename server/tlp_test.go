package server

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/culprit-cti/culprit/server/taxii"
)

// assertHidden fails when body names anything hidden from TLP:GREEN.
func assertHidden(t *testing.T, what string, body []byte) {
	t.Helper()
	for _, s := range hiddenFromGreen {
		if strings.Contains(string(body), s) {
			t.Errorf("%s shows %q to a TLP:GREEN token:\n%s", what, s, body)
		}
	}
}

// hiddenIDIn returns the hidden id a path names, or "".
func hiddenIDIn(path string) string {
	for _, s := range hiddenFromGreen {
		if strings.Contains(s, "--") && strings.Contains(path, s) && !strings.Contains(path, "match[id]=") {
			return s
		}
	}
	return ""
}

// absentLike returns an id of the same type as id that no object has.
func absentLike(id string) string {
	typ, _, _ := strings.Cut(id, "--")
	return typ + "--0000ffff-0000-4000-8000-00000000ffff"
}

// normalize replaces id and the request id in a response body.
func normalize(body []byte, id string) string {
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		delete(m, "request_id")
		delete(m, "error_id")
		body, _ = json.Marshal(m)
	}
	return strings.ReplaceAll(string(body), id, "ID")
}

// TestGreenSeesNothingAbove checks, one path at a time, that a TLP:GREEN
// token never reads a TLP:AMBER or TLP:RED object, its name, id, count
// or relationship; and, for each, that a TLP:RED token does (so that the
// test can fail).
func TestGreenSeesNothingAbove(t *testing.T) {
	f := newFixture(t, Config{})
	col := taxiiRoot + "collections/" + KnowledgeCollection
	paths := []struct {
		name, path string
		redSees    string // what the RED token's answer holds
	}{
		{"actor list", "/api/actors", "Red Panda"},
		{"actor lookup by hidden name", "/api/actors?q=" + url.QueryEscape("Crimson Panda"), "Red Panda"},
		{"actor search through a shared alias", "/api/actors/search?q=Grizzly", "Red Panda"},
		{"actor card", "/api/actors/" + openBear, "Red Panda"}, // possibly the same as Red Panda
		{"hidden actor card", "/api/actors/" + redPanda, "Red Panda"},
		{"objects", "/api/objects", "Red Panda"},
		{"objects of a type", "/api/objects?type=relationship", pandaRel},
		{"hidden object", "/api/objects/" + redPanda, "Red Panda"},
		{"relationship to a hidden object", "/api/objects/" + pandaRel, pandaRel},
		{"relationship marked higher than its ends", "/api/objects/" + secretRel, secretRel},
		{"report of a hidden object", "/api/objects/" + pandaReport, "Panda report"},
		{"history of an object once RED", "/api/objects/" + openBear + "/versions", "Ruby Secret"},
		{"provenance of a hidden object", "/api/objects/" + redPanda + "/provenance", "tlp-v1.json"},
		{"export", "/api/export", "Red Panda"},
		{"export with inactive objects", "/api/export?all=true", "Red Panda"},
		{"TAXII objects, every version", col + "/objects/?match[version]=all", "Ruby Secret"},
		{"TAXII object", col + "/objects/" + redPanda + "/", "Red Panda"},
		{"TAXII object's first version", col + "/objects/" + openBear + "/?match[version]=first", "Ruby Secret"},
		{"TAXII versions of a hidden object", col + "/objects/" + redPanda + "/versions/", "20"},
		{"TAXII manifest", col + "/manifest/?match[version]=all", redPanda},
		{"TAXII manifest by id", col + "/manifest/?match[id]=" + redPanda, redPanda},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			code, green := f.get("reader-green", p.path)
			if id := hiddenIDIn(p.path); id != "" {
				// Asked for by id, a hidden object must look exactly
				// like one that does not exist.
				absent := absentLike(id)
				code2, other := f.get("reader-green", strings.Replace(p.path, id, absent, 1))
				if a, b := normalize(green, id), normalize(other, absent); code != code2 || a != b {
					t.Errorf("hidden %s: %d %s\nabsent %s: %d %s\nwant the same answer", id, code, a, absent, code2, b)
				}
			} else {
				assertHidden(t, p.path, green)
			}
			code, red := f.get("reader-red", p.path)
			if code != 200 || !strings.Contains(string(red), p.redSees) {
				t.Errorf("TLP:RED token: %s: %d, want 200 with %q:\n%s", p.path, code, p.redSees, red)
			}
		})
	}

	t.Run("counts", func(t *testing.T) {
		var green, red struct {
			Objects int            `json:"objects"`
			ByType  map[string]int `json:"by_type"`
			SameAs  int            `json:"same_as"`
			Names   int            `json:"names"`
		}
		_, b := f.get("reader-green", "/api/stats")
		decodeJSON(t, b, &green)
		_, b = f.get("reader-red", "/api/stats")
		decodeJSON(t, b, &red)
		if green.ByType["intrusion-set"] != 1 || green.ByType["report"] != 0 || green.ByType["relationship"] != 1 || green.SameAs != 0 {
			t.Errorf("GREEN counts = %+v, want 1 intrusion-set, 1 relationship, no report, no same-as link", green)
		}
		if red.ByType["intrusion-set"] != 4 || red.ByType["relationship"] != 5 || red.SameAs == 0 {
			t.Errorf("RED counts = %+v, want 4 intrusion-sets, 5 relationships, a same-as link", red)
		}
	})

	t.Run("attribution evidence", func(t *testing.T) {
		// A case with the hidden actors' malware and technique: a GREEN
		// token's result must not name them, the RED token's must.
		c := []byte("name: leak test\nsoftware:\n  - name: SecretLoader\ntechniques:\n  - id: T1566\n")
		for _, format := range []string{"json", "text", "markdown", "stix"} {
			code, _, green := f.do("POST", "reader-green", "/api/attribute?format="+format, "application/yaml", c)
			if code != 200 {
				t.Fatalf("attribute as %s: %d %s", format, code, green)
			}
			assertHidden(t, "attribution ("+format+")", green)
		}
		_, _, red := f.do("POST", "reader-red", "/api/attribute", "application/yaml", c)
		if !strings.Contains(string(red), "Red Panda") {
			t.Errorf("the RED token's attribution does not name Red Panda:\n%s", red)
		}
	})

	t.Run("TAXII pages and headers", func(t *testing.T) {
		// Every page of every version: neither objects nor the date-added
		// headers may come from hidden objects.
		next := ""
		n := 0
		for {
			q := "?limit=2&match[version]=all"
			if next != "" {
				q += "&next=" + url.QueryEscape(next)
			}
			code, _, b := f.do("GET", "reader-green", col+"/objects/"+q, "", nil)
			if code != 200 {
				t.Fatalf("page: %d %s", code, b)
			}
			assertHidden(t, "TAXII page", b)
			var env taxii.Envelope
			decodeJSON(t, b, &env)
			n += len(env.Objects)
			if !env.More {
				break
			}
			next = env.Next
		}
		if n != 6 {
			t.Errorf("GREEN pulled %d object versions, want 6", n)
		}
	})

	t.Run("TAXII status of a push", func(t *testing.T) {
		env := []byte(`{"objects":[{"type":"malware","spec_version":"2.1","id":"malware--000000ff-0000-4000-8000-0000000000ff","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"GreenRAT","is_family":true,"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}]}`)
		code, _, b := f.do("POST", "analyst-green", taxiiRoot+"collections/"+InboxCollection+"/objects/", taxii.MediaTAXII, env)
		if code != 202 {
			t.Fatalf("push: %d %s", code, b)
		}
		var st taxii.Status
		decodeJSON(t, b, &st)
		if st.SuccessCount != 1 || st.Status != "complete" {
			t.Errorf("status = %+v, want one success", st)
		}
		code, b = f.get("analyst-green", taxiiRoot+"status/"+st.ID+"/")
		if code != 200 || !strings.Contains(string(b), "malware--000000ff") {
			t.Errorf("GET status: %d %s", code, b)
		}
		if code, _ := f.get("reader-red", taxiiRoot+"status/"+st.ID+"/"); code != 403 {
			t.Errorf("status read by a reader: %d, want 403", code)
		}
		// A push of a RED object by a GREEN token fails as a whole.
		red := strings.ReplaceAll(strings.ReplaceAll(string(env), "bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "e828b379-4e03-4974-9ac4-e53a884c97c1"), "000000ff", "000000fe")
		_, _, b = f.do("POST", "analyst-green", taxiiRoot+"collections/"+InboxCollection+"/objects/", taxii.MediaTAXII, []byte(red))
		decodeJSON(t, b, &st)
		if st.FailureCount != 1 || st.SuccessCount != 0 {
			t.Errorf("push of a RED object by a GREEN token: %+v, want a failure", st)
		}
		if code, _ := f.get("reader-red", "/api/objects/malware--000000fe-0000-4000-8000-0000000000fe"); code != 404 {
			t.Errorf("the refused RED object was stored: %d", code)
		}
	})
}

func TestAnalystCannotOverwriteHidden(t *testing.T) {
	f := newFixture(t, Config{})
	// A newer version of Red Panda, marked GREEN, pushed by a GREEN
	// analyst: it would replace an object the analyst cannot see.
	o := map[string]any{"type": "intrusion-set", "spec_version": "2.1", "id": redPanda, "created": "2024-01-01T00:00:00Z",
		"modified": "2025-01-01T00:00:00Z", "name": "Not a panda", "object_marking_refs": []string{"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"}}
	b, _ := json.Marshal(map[string]any{"objects": []any{o}})
	_, _, resp := f.do("POST", "analyst-green", taxiiRoot+"collections/"+InboxCollection+"/objects/", taxii.MediaTAXII, b)
	var st taxii.Status
	decodeJSON(t, resp, &st)
	if st.FailureCount != 1 {
		t.Errorf("overwrite of a hidden object: %+v, want a failure", st)
	}
	_, red := f.get("reader-red", "/api/objects/"+redPanda)
	if !strings.Contains(string(red), "Red Panda") {
		t.Errorf("Red Panda was replaced: %s", red)
	}
}
