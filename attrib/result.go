package attrib

// Result is the attribution of one case. Its JSON form is documented in
// docs/attribution-json.md; fields are only ever added to it.
type Result struct {
	Case       string       `json:"case"`
	Hypotheses []Hypothesis `json:"hypotheses"` // known actors, most probable first
	// Unknown is the probability that the incident is the work of an actor
	// not in the knowledge base.
	Unknown         float64 `json:"unknown"`
	UnknownEstimate string  `json:"unknown_estimate"`
	// NameOnly counts the actors the knowledge base knows only by name (no
	// recorded technique or software) that no claim, indicator or sample of
	// the case is about: they are not hypotheses, and an incident of theirs
	// is one of an actor not in the knowledge base.
	NameOnly int `json:"name_only_actors,omitempty"`
	// Top is "unknown" when the unknown actor is the most probable
	// hypothesis, else the id of Hypotheses[0].
	Top        string `json:"top"`
	Confidence string `json:"confidence"` // low, moderate or high
	// Coverage says how much of the case's behaviour the knowledge
	// explains at all.
	Coverage Coverage     `json:"coverage"`
	Basis    Basis        `json:"basis"` // what the confidence level rests on
	Next     []Suggestion `json:"next,omitempty"`
	Warnings []string     `json:"warnings,omitempty"`
	// Table is every item's ratio for the leading hypotheses (the data
	// of an ACH matrix), when Options.Table asked for it.
	Table *Table `json:"table,omitempty"`
}

// Hypothesis is one known actor with its posterior probability.
type Hypothesis struct {
	ID          string     `json:"id"`  // STIX id of the primary object
	IDs         []string   `json:"ids"` // every folded id, primary first
	Name        string     `json:"name"`
	ExternalID  string     `json:"external_id,omitempty"`
	Aliases     []string   `json:"aliases,omitempty"`
	Members     []Member   `json:"members"` // the folded objects, primary first
	Campaigns   []Campaign `json:"campaigns,omitempty"`
	Links       []Link     `json:"links,omitempty"` // same-as links that folded the ids
	Probability float64    `json:"probability"`
	Estimate    string     `json:"estimate"` // ICD 203 estimative phrase
	Score       float64    `json:"score"`    // log posterior odds against the unknown actor
	Evidence    []Evidence `json:"evidence,omitempty"`
}

// Evidence is one item's weight for (positive) or against (negative) a
// hypothesis, in natural-log units of the posterior odds against the
// unknown actor, after damping, kind weight and temperature.
type Evidence struct {
	Kind    string     `json:"kind"` // technique, software, indicator, sample, claim, victim
	Item    string     `json:"item"` // as written in the case
	Matched string     `json:"matched,omitempty"`
	Weight  float64    `json:"weight"`
	Cost    string     `json:"cost_to_fake"` // cheap, moderate or costly
	Detail  string     `json:"detail,omitempty"`
	Sources []Citation `json:"sources,omitempty"`
}

// Suggestion is an unobserved technique or software whose presence or
// absence would best separate the two leading hypotheses.
type Suggestion struct {
	Kind    string  `json:"kind"`
	ID      string  `json:"id"` // ATT&CK id, else STIX id
	Name    string  `json:"name"`
	Favours string  `json:"favours"` // the hypothesis its presence supports
	Weight  float64 `json:"weight"`  // |log P(x|h1) - log P(x|h2)| times plausibility
}

// Coverage counts the case's techniques and software that the knowledge
// has (Items), those of them some known actor uses (Known), and those in
// the leading hypothesis' profile (Top). Verdict says in plain words when
// that is little, and is empty otherwise.
type Coverage struct {
	Items   int    `json:"items"`
	Known   int    `json:"known"`
	Top     int    `json:"top"`
	Verdict string `json:"verdict,omitempty"`
}

// Basis is what the confidence level rests on.
type Basis struct {
	Items  int `json:"items"`  // evidence items that resolved
	Kinds  int `json:"kinds"`  // distinct kinds of evidence supporting the top hypothesis
	Costly int `json:"costly"` // costly-to-fake items supporting the top hypothesis
}

// Estimate returns the ICD 203 estimative phrase for a probability.
func Estimate(p float64) string {
	switch {
	case p < 0.05:
		return "almost no chance"
	case p < 0.20:
		return "very unlikely"
	case p < 0.45:
		return "unlikely"
	case p <= 0.55:
		return "roughly even chance"
	case p <= 0.80:
		return "likely"
	case p <= 0.95:
		return "very likely"
	default:
		return "almost certain"
	}
}

// Path returns the links that lead from the hypothesis' primary object to
// the member id, shortest first found (breadth-first over Links), or nil
// when id is the primary or not a member.
func (h *Hypothesis) Path(id string) []Link {
	if id == h.ID {
		return nil
	}
	prev := map[string]Link{}
	seen := map[string]bool{h.ID: true}
	queue := []string{h.ID}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, l := range h.Links {
			var next string
			switch cur {
			case l.A:
				next = l.B
			case l.B:
				next = l.A
			default:
				continue
			}
			if seen[next] {
				continue
			}
			seen[next] = true
			prev[next] = l
			if next == id {
				var path []Link
				for n := id; n != h.ID; {
					l := prev[n]
					path = append([]Link{l}, path...)
					if l.A == n {
						n = l.B
					} else {
						n = l.A
					}
				}
				return path
			}
			queue = append(queue, next)
		}
	}
	return nil
}
