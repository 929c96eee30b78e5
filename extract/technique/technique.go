// Package technique finds ATT&CK techniques in prose with a lexical model
// of how techniques are described: a TF-IDF centroid per technique, built
// from the procedure descriptions of ATT&CK "uses" relationships (each
// says, in a sentence or two, how a group or a piece of software used the
// technique). A sentence is assigned the technique whose centroid is most
// similar to it, when the cosine reaches a threshold; each result carries
// the sentence that supports it.
//
// Explicit ids ("T1059.001") are found by package extract; this package
// finds the techniques that are described without their id.
package technique

import (
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/extract"
	"github.com/culprit-cti/culprit/stix"
)

// Procedure is one labelled text: a procedure description and the
// technique (its ATT&CK id) it describes.
type Procedure struct {
	Text      string
	Technique string // "T1059.001"
	Actor     string // the STIX id of the group or software that used it
}

// Procedures returns the labelled procedure texts of an ATT&CK bundle:
// the description of every active "uses" relationship from a group,
// campaign or piece of software to an attack-pattern.
func Procedures(objs []*stix.Object) []Procedure {
	ids := map[string]string{}
	for _, o := range objs {
		if o.Type != "attack-pattern" || o.Revoked || o.Deprecated {
			continue
		}
		for _, r := range o.ExternalReferences {
			if r.SourceName == "mitre-attack" && strings.HasPrefix(r.ExternalID, "T") {
				ids[o.ID] = r.ExternalID
			}
		}
	}
	var out []Procedure
	for _, o := range objs {
		if o.Type != "relationship" || o.RelationshipType != "uses" || o.Revoked || o.Deprecated || o.Description == "" {
			continue
		}
		t, ok := ids[o.TargetRef]
		if !ok {
			continue
		}
		out = append(out, Procedure{Text: o.Description, Technique: t, Actor: o.SourceRef})
	}
	return out
}

var (
	reLink     = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	reCitation = regexp.MustCompile(`\(Citation:[^)]*\)`)
	reWord     = regexp.MustCompile(`[a-z][a-z0-9]+`)
)

// stopwords are left out of the vectors: they say nothing of a technique.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`the and for with that this from has have had was were are been its their
they them which into used uses using use can also such other has may will would could these those than
then there when where while who whom whose what via both each more most some any all not only but over
under about after before between during upon our out his her him she one two new has had into onto per`) {
		m[w] = true
	}
	return m
}()

// terms returns the unigrams and bigrams of a text, lower case, with
// ATT&CK's Markdown links reduced to their text and citations removed.
func terms(text string) []string {
	text = reCitation.ReplaceAllString(text, " ")
	text = reLink.ReplaceAllString(text, "$1")
	words := reWord.FindAllString(strings.ToLower(text), -1)
	var out []string
	prev := ""
	for _, w := range words {
		if stopwords[w] {
			prev = ""
			continue
		}
		out = append(out, w)
		if prev != "" {
			out = append(out, prev+" "+w)
		}
		prev = w
	}
	return out
}

// Model is a TF-IDF centroid per technique.
type Model struct {
	idf       map[string]float64
	centroids map[string]map[string]float64 // technique -> unit vector
	order     []string                      // techniques, sorted
	// Threshold is the least cosine for a sentence to be assigned a
	// technique.
	Threshold float64
}

// DefaultThreshold is the cosine below which Find reports nothing
// (docs/evaluation.md: micro P 0.65, R 0.44 on held-out groups).
const DefaultThreshold = 0.25

// ProseThreshold is the stricter threshold for third-party prose, whose
// sentences are less often about a technique than ATT&CK's procedure
// texts (micro P 0.82, R 0.22 on held-out groups).
const ProseThreshold = 0.4

// Train builds a model from labelled procedures.
func Train(ps []Procedure) *Model {
	df := map[string]int{}
	docs := make([][]string, len(ps))
	for i, p := range ps {
		docs[i] = terms(p.Text)
		seen := map[string]bool{}
		for _, t := range docs[i] {
			if !seen[t] {
				seen[t] = true
				df[t]++
			}
		}
	}
	m := &Model{idf: map[string]float64{}, centroids: map[string]map[string]float64{}, Threshold: DefaultThreshold}
	n := float64(len(ps))
	for t, d := range df {
		if d < 2 {
			continue // a term of one procedure names that procedure, not a technique
		}
		m.idf[t] = math.Log(n/float64(d)) + 1
	}
	for i, p := range ps {
		v := m.vector(docs[i])
		c := m.centroids[p.Technique]
		if c == nil {
			c = map[string]float64{}
			m.centroids[p.Technique] = c
		}
		for t, w := range v {
			c[t] += w
		}
	}
	for t, c := range m.centroids {
		normalize(c)
		m.order = append(m.order, t)
	}
	sort.Strings(m.order)
	return m
}

func (m *Model) vector(ts []string) map[string]float64 {
	v := map[string]float64{}
	for _, t := range ts {
		if w, ok := m.idf[t]; ok {
			v[t] += w
		}
	}
	for t, w := range v {
		v[t] = (1 + math.Log(w/m.idf[t])) * m.idf[t] // sublinear tf
	}
	normalize(v)
	return v
}

func normalize(v map[string]float64) {
	var s float64
	for _, w := range v {
		s += w * w
	}
	if s == 0 {
		return
	}
	s = math.Sqrt(s)
	for t := range v {
		v[t] /= s
	}
}

// Predict returns the technique most similar to text and its cosine, or
// "" when no technique shares a term with it.
func (m *Model) Predict(text string) (string, float64) {
	v := m.vector(terms(text))
	best, bestScore := "", 0.0
	for _, t := range m.order {
		c := m.centroids[t]
		var s float64
		for term, w := range v {
			s += w * c[term]
		}
		if s > bestScore {
			best, bestScore = t, s
		}
	}
	return best, bestScore
}

// Found is a technique found in a text, with the sentence that supports it.
type Found struct {
	Technique string  `json:"technique"`
	Score     float64 `json:"score"`
	Sentence  string  `json:"sentence"`
	Offset    int     `json:"offset"` // of the sentence in the text
}

// Find assigns each sentence of text (as package extract splits them)
// the technique it describes, where the model's cosine reaches
// m.Threshold.
func (m *Model) Find(text string) []Found {
	var out []Found
	extract.Sentences([]byte(text), func(start, end int) {
		sent := strings.TrimSpace(text[start:end])
		if len(sent) < 20 {
			return
		}
		off := start + strings.Index(text[start:end], sent)
		if t, s := m.Predict(sent); t != "" && s >= m.Threshold {
			out = append(out, Found{Technique: t, Score: s, Sentence: strings.Join(strings.Fields(sent), " "), Offset: off})
		}
	})
	return out
}
