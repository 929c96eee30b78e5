package assess

import (
	"fmt"
	"strings"

	"github.com/culprit-cti/culprit/casefile"
	"github.com/culprit-cti/culprit/extract"
)

// StatementClaim is the case claim of an attribution statement found at
// offset in report: the actor is the statement's subject, resolved to
// the one knowledge-base actor it names when there is exactly one; the
// statement keeps the kind of attribution and its hedging in brackets,
// with "extracted, not reviewed" until an analyst has reviewed it; the
// source is whoever the report says made the statement. The Actor is ""
// when the statement names no actor. Every front end that turns
// statements into claims (the case file writer, the web UI's review)
// calls it, so that a claim reads the same wherever it was made.
func StatementClaim(st *extract.Statement, report string, offset int64, reviewed bool) casefile.Claim {
	actor := st.Subject
	for _, a := range st.Actors {
		if strings.EqualFold(strings.Join(strings.Fields(a.Text), " "), st.Subject) && len(a.Candidates) == 1 {
			actor = a.Candidates[0].Name
		}
	}
	desc := "[" + st.Type
	if len(st.Hedges) > 0 {
		desc += "; hedged: " + strings.Join(st.Hedges, ", ")
	}
	if !reviewed {
		desc += "; extracted, not reviewed"
	}
	desc += "] " + st.Sentence
	// Each unnamed source is its own: two sentences of one report that
	// name no source are not one source contradicting itself.
	source := st.Source
	switch {
	case st.Type == extract.StatementSelfClaim:
		source = st.Subject + ", speaking of itself, as reported in " + report
	case source == "":
		source = fmt.Sprintf("unnamed (%s offset %d)", report, offset)
	default:
		source += ", as reported in " + report
	}
	return casefile.Claim{Actor: actor, Statement: desc, Source: source, SelfClaim: st.Type == extract.StatementSelfClaim}
}
