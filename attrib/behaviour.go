package attrib

import (
	"encoding/json"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/culprit-cti/culprit/stix"
)

// Behaviour attributed to an actor through an incident or a campaign (an
// analyst's confirmed case, a partner's shared incident, a campaign of
// ATT&CK) counts as the actor's own, weighted by how sure the attribution
// is and by how old the behaviour is: what a group did recently says more
// about its next intrusion than what it did years ago.

// BehaviourOptions weigh behaviour by its age. The age of a piece of
// behaviour is measured from the knowledge's date, the newest modified date
// of its relationships or date of its attributed behaviour (so that the
// same knowledge always scores the same, whatever the clock says).
type BehaviourOptions struct {
	// HalfLife of the behaviour of incidents and campaigns attributed to an
	// actor: such behaviour HalfLife older than the knowledge weighs half.
	// Zero means no decay.
	HalfLife time.Duration
	// UsesHalfLife is the same for an actor's own uses relationships, dated
	// by the newest publication date among their citations (ATT&CK's
	// "Author. (2021, March 4). Title."), else their modified date. Zero
	// means no decay.
	UsesHalfLife time.Duration
	// ActivityHalfLife weighs each source cited for an actor by its age in
	// the activity prior (Params.ActivityPrior): a group reported on
	// recently is more likely behind the next report than one last reported
	// years ago. A source is dated by its publication date, else the
	// relationship's modified date. Zero means every source counts 1.
	ActivityHalfLife time.Duration
	// SoftwareTechniques is the weight, in an actor's profile, of a
	// technique that software the actor uses is known to use; zero means
	// the weight chosen on leave-one-report-out (0.07).
	SoftwareTechniques float64
}

// massKey is one item of one actor.
type massKey struct {
	actor int
	kind  string // "t" or "s"
	item  int
}

// attributedMass adds the weight of one incident's or campaign's use of an
// item to the actor's.
func attributedMass(m *map[massKey]float64, actor int, kind string, item int, w float64) {
	if *m == nil {
		*m = map[massKey]float64{}
	}
	(*m)[massKey{actor, kind, item}] += w
}

// citationDate dates one source of a relationship: the publication date
// its description gives, else the relationship's modified date.
func citationDate(ref stix.ExternalReference, r *stix.Object) time.Time {
	if d := ParseReference(ref.Description).When(); !d.IsZero() {
		return d
	}
	return r.Modified
}

// activity is the number of sources cited for an actor, each weighted by
// its recency. Sums run in key order, so that results are reproducible.
func activity(sources map[string]time.Time, asOf time.Time, halfLife time.Duration) float64 {
	if halfLife <= 0 {
		return float64(len(sources))
	}
	keys := make([]string, 0, len(sources))
	for k := range sources {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var n float64
	for _, k := range keys {
		n += recency(sources[k], asOf, halfLife)
	}
	return n
}

// attribution is an actor a behaviour source is attributed to, with the
// weight of its behaviour.
type attribution struct {
	actor int
	w     float64
}

// attributedWeight is the weight of the behaviour of an incident or
// campaign attributed to an actor: the attribution's confidence (as a
// share; 1 when the relationship states none, as ATT&CK's do not) times
// its recency.
func attributedWeight(conf *int, at, asOf time.Time, halfLife time.Duration) float64 {
	w := 1.0
	if conf != nil {
		w = math.Min(math.Max(float64(*conf), 0), 100) / 100
	}
	return w * recency(at, asOf, halfLife)
}

// recency is 2^(-age/halfLife), 1 for no half-life, an unknown date or a
// date after asOf.
func recency(at, asOf time.Time, halfLife time.Duration) float64 {
	if halfLife <= 0 || at.IsZero() || asOf.IsZero() || !at.Before(asOf) {
		return 1
	}
	return math.Exp2(-float64(asOf.Sub(at)) / float64(halfLife))
}

// behaviourDate is when a campaign or incident took place: its last_seen,
// else first_seen, else created.
func behaviourDate(o *stix.Object) time.Time {
	if len(o.Raw) > 0 && (strings.Contains(string(o.Raw), `"last_seen"`) || strings.Contains(string(o.Raw), `"first_seen"`)) {
		var p struct {
			First string `json:"first_seen"`
			Last  string `json:"last_seen"`
		}
		if json.Unmarshal(o.Raw, &p) == nil {
			for _, s := range []string{p.Last, p.First} {
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					return t
				}
			}
		}
	}
	return o.Created
}

// usesDate dates an actor's uses relationship: the newest publication date
// of its citations, else its modified date.
func usesDate(r *stix.Object) time.Time {
	var newest time.Time
	for _, ref := range r.ExternalReferences {
		if ref.SourceName == "mitre-attack" {
			continue
		}
		if c := ParseReference(ref.Description); c.When().After(newest) {
			newest = c.When()
		}
	}
	if newest.IsZero() {
		return r.Modified
	}
	return newest
}

// Reference is what an ATT&CK-style citation says of its document:
// "Author. (2021, March 4). Title. Retrieved March 5, 2021."
type Reference struct {
	Published time.Time // zero when absent
	Precision int       // of Published: 0 none, 1 year, 2 month, 3 day
	Retrieved time.Time // zero when absent
	Title     string    // normalised: lower case letters and digits, single spaces
}

// maxReferenceLen bounds what is parsed of a description: ATT&CK's are far
// shorter, and a hostile bundle must not make parsing expensive.
const maxReferenceLen = 4096

var (
	pubDate = regexp.MustCompile(`\((\d{4})(?:,\s*([A-Za-z]+)\.?(?:\s+(\d{1,2}))?(?:[-–]\d{1,2})?)?\)`)
	retDate = regexp.MustCompile(`(?i)retrieved\s+(?:on\s+)?([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})`)
	months  = map[string]time.Month{
		"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
		"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
		"september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
	}
)

func citedDate(year, month, day string) (time.Time, int) {
	y, err := strconv.Atoi(year)
	if err != nil || y < 1980 || y > 2100 {
		return time.Time{}, 0
	}
	prec := 1
	m := time.January
	if month != "" {
		mm, ok := months[strings.ToLower(month)]
		if !ok {
			return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), 1
		}
		m, prec = mm, 2
	}
	d := 1
	if day != "" {
		if dd, err := strconv.Atoi(day); err == nil && dd >= 1 && dd <= 31 {
			d, prec = dd, 3
		}
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if t.Month() != m { // "February 31"
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC), 2
	}
	return t, prec
}

// ParseReference reads the publication date, retrieval date and title of
// an ATT&CK-style citation. Parts it cannot find are left zero.
func ParseReference(s string) Reference {
	if len(s) > maxReferenceLen {
		s = s[:maxReferenceLen]
	}
	var c Reference
	if loc := pubDate.FindStringSubmatchIndex(s); loc != nil {
		m := func(i int) string {
			if loc[2*i] < 0 {
				return ""
			}
			return s[loc[2*i]:loc[2*i+1]]
		}
		c.Published, c.Precision = citedDate(m(1), m(2), m(3))
		rest := strings.TrimLeft(s[loc[1]:], ". ")
		if i := strings.Index(strings.ToLower(rest), "retrieved"); i >= 0 {
			rest = rest[:i]
		}
		c.Title = normTitle(rest)
	}
	if m := retDate.FindStringSubmatch(s); m != nil {
		if t, prec := citedDate(m[3], m[1], m[2]); prec == 3 {
			c.Retrieved = t
		}
	}
	return c
}

func normTitle(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
			space = false
		} else {
			space = true
		}
	}
	return b.String()
}

// When is the date the document is ordered by: its publication date, else
// its retrieval date, else zero. A publication known only to the year or
// month is taken at its start, but never after the retrieval date.
func (c Reference) When() time.Time {
	if c.Published.IsZero() {
		return c.Retrieved
	}
	if c.Precision < 3 && !c.Retrieved.IsZero() && c.Retrieved.Before(c.Published) {
		return c.Retrieved
	}
	return c.Published
}
