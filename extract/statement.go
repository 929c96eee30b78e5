package extract

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
)

// Statement is an attribution statement: a sentence saying that an actor,
// a country, a government unit or a self-named group is behind, responsible
// for, or carried out an attack. It is a candidate claim for a case,
// unrated: the analyst rates it on the Admiralty scale.
type Statement struct {
	Sentence string `json:"sentence"`
	// Actors are the knowledge names in the sentence, with candidates.
	Actors []Item `json:"actors,omitempty"`
	// Subject is who is said to be behind the attack as the sentence
	// puts it: a known name, a country or government, or the name a group
	// gives itself.
	Subject string `json:"subject,omitempty"`
	// Source is who says so ("according to ...", "X said/concluded"), if
	// the sentence names it.
	Source string `json:"source,omitempty"`
	// Hedges are the words that weaken the tie ("suspected", "is
	// believed to", "not yet clear"); a hedged statement is kept as
	// hedged, never promoted to a fact.
	Hedges []string `json:"hedges,omitempty"`
	// Kind of attribution: technical, official-government,
	// press-citing-officials, private-investigator or self-claim.
	Type string `json:"type"`
	// Context are the places and infrastructure the sentence names (a
	// hotel's Wi-Fi network, a city): context, not evidence of an actor.
	Context []string `json:"context,omitempty"`
}

// Kinds of attribution statements.
const (
	StatementTechnical    = "technical"
	StatementOfficial     = "official-government"
	StatementPress        = "press-citing-officials"
	StatementInvestigator = "private-investigator"
	StatementSelfClaim    = "self-claim"
)

// triggers are the phrases that make a sentence an attribution
// statement, found with a Matcher (one pass, any case, at word
// boundaries) so that sentences without one cost nothing more.
var triggers = sync.OnceValue(func() *Matcher {
	var pats []Pattern
	for _, p := range strings.Split("behind|responsible for|is responsible|are responsible|carried out|conducted|attributed to|attributed it|attributed the|attributes|attribute|blamed|blame|blaming|linked to|tied to|ties in with|tie in with|claimed responsibility|claimed credit|claimed the|claims responsibility|claim responsibility|calling itself|calls itself|called itself|was the work of|the work of|orchestrated|perpetrated|sponsored|concluded that|hallmarks of", "|") {
		pats = append(pats, Pattern{Name: p, ID: p, Type: "trigger"})
	}
	m := NewMatcher(pats)
	for i := range m.nodes {
		for j := range m.nodes[i].cands {
			m.nodes[i].cands[j].strict = false // phrases, not names
		}
	}
	return m
})

// The parts of a statement, read with regular expressions from the few
// sentences that hold a trigger.
var (
	reHedge        = regexp.MustCompile(`(?i)\b(strongly suspected|suspected|suspects?|is believed to|are believed to|believed|likely|probably|possibly|may have|might have|could have|appears? to|alleged(?:ly)?|reportedly|not yet clear|unclear|not clear|unconfirmed|circumstantial|assess(?:es|ed)? with (?:low|moderate) confidence|hallmarks of)\b`)
	reSource       = regexp.MustCompile(`(?i)\baccording to ((?:the |a |an )?[^,.;:]{2,80}?)(?:[,.;:]|$| who| that)`)
	reSaid         = regexp.MustCompile(`((?:the |a |an )?(?:[A-Z][\w.&-]*|U\.S\.)(?:[ -](?:[A-Z][\w.&-]*|of|the|and|for|[a-z]+-[a-z]+|government|officials?|investigators?|researchers?|experts?|agency|analysts?|company|firm|bureau|department|ministry|security|cyber-security|private|intelligence|expert))*|(?:US |U\.S\. |American |South Korean |unnamed |senior |government )?officials|(?:a |an |the )?(?:private |independent )?(?:cyber-?security |security )?(?:expert|investigator|researcher|analyst|firm|company)s?) (?:has |have |had )?(?:said|says|say|stated|states|concluded|concludes|told|believes?|believed|reported|reports|announced|assessed|assesses|found|determined|attributed|blamed|claimed|suspects?|suspected)\b`)
	reSelf         = regexp.MustCompile(`(?i)\b(?:calling|calls|called|call) (?:itself|themselves) (?:the )?((?:"[^"]{2,60}"|“[^”]{2,60}”|[A-Z#][\w#]*(?: (?:of|the|[A-Z][\w]*))*))`)
	reCountry      = regexp.MustCompile(`\b((?:the )?(?:North Korean?|South Korean?|Russian?|Chinese|China|Iran(?:ian)?|Israel(?:i)?|United States|Vietnam(?:ese)?|Pakistan(?:i)?|India(?:n)?|Syria(?:n)?|Belarus(?:ian)?|Turk(?:ey|ish))(?: (?:government|state|military|regime|intelligence|army|state-sponsored|hackers))?|Pyongyang|Moscow|Beijing|Tehran|Unit \d+|Bureau \d+|Reconnaissance General Bureau|GRU|FSB|SVR|PLA|MSS|IRGC)\b`)
	rePlace        = regexp.MustCompile(`\b((?:the )?(?:[A-Z][\w.'-]* ){0,4}(?:[Hh]otel|Wi-?Fi(?: network)?|[Ii]nternet caf[eé]|VPN|proxy|Tor(?: network)?|network))(?: in ((?:[A-Z][\w-]+)(?: [A-Z][\w-]+)?))?`)
	reIn           = regexp.MustCompile(`\bin ((?:[A-Z][a-z]+)(?: [A-Z][a-z]+)?)\b`)
	reTech         = regexp.MustCompile(`(?i)\b(code|malware|infrastructure|IP address(?:es)?|encryption|algorithm|technical|forensic|samples?|tools?|servers?|similarit(?:y|ies)|overlap|wiper|backdoor|command and control)\b`)
	reOfficial     = regexp.MustCompile(`(?i)\b(FBI|government|department|ministry|white house|agency|NSA|CISA|US-CERT|NCSC|police|prosecutors?|attorney|secretary|president)\b`)
	reOfficialsWho = regexp.MustCompile(`((?:U\.S\. |US |American |South Korean |Western )?(?:government |senior |unnamed |intelligence |law enforcement )?officials|(?:people|sources|a person|a source) familiar with [^,.;]{3,60})`)
	reOfficials    = regexp.MustCompile(`(?i)\b(officials|people familiar|sources familiar|person familiar|unnamed|anonymous|sources said|sources say)\b`)
	reInvestigator = regexp.MustCompile(`(?i)\b(investigators?|experts?|researchers?|analysts?|security (?:firm|company|vendor)|cyber-?security|Kaspersky|Mandiant|CrowdStrike|ESET|Symantec|Trend Micro|FireEye|Novetta|McAfee|Talos|Microsoft|Google|Recorded Future|Palo Alto|Secureworks)\b`)
)

// maxSentence bounds the sentence a statement is looked for in.
const maxSentence = 1500

// abbreviations end with a dot that does not end a sentence.
var abbreviations = map[string]bool{"st": true, "mr": true, "mrs": true, "ms": true, "dr": true, "jr": true, "sr": true,
	"inc": true, "ltd": true, "co": true, "corp": true, "vs": true, "no": true, "e.g": true, "i.e": true, "u.s": true,
	"u.k": true, "gen": true, "col": true, "lt": true, "sgt": true, "prof": true, "jan": true, "feb": true, "aug": true,
	"sept": true, "oct": true, "nov": true, "dec": true, "etc": true, "approx": true, "fig": true}

// sentenceAt returns the bounds of the sentence holding b[i].
func sentenceAt(b []byte, i int) (int, int) {
	isEnd := func(k int) bool { // b[k] ends a sentence
		c := b[k]
		if c == '\n' && k+1 < len(b) && b[k+1] == '\n' {
			return true
		}
		if c != '.' && c != '!' && c != '?' {
			return false
		}
		if k+1 < len(b) && b[k+1] != ' ' && b[k+1] != '\n' && b[k+1] != '"' && b[k+1] != '\'' && b[k+1] != ')' {
			return false
		}
		if c == '.' {
			w := k
			for w > 0 && (b[w-1] >= 'a' && b[w-1] <= 'z' || b[w-1] >= 'A' && b[w-1] <= 'Z' || b[w-1] == '.') {
				w--
			}
			word := strings.ToLower(string(b[w:k]))
			if abbreviations[word] || len(word) == 1 {
				return false
			}
		}
		return true
	}
	s := i
	for s > 0 && i-s < maxSentence && !isEnd(s-1) {
		s--
	}
	e := i
	for e < len(b) && e-i < maxSentence && !isEnd(e) {
		e++
	}
	if e < len(b) {
		e++
	}
	for s < e && (b[s] == ' ' || b[s] == '\n' || b[s] == '\t' || b[s] == '"' || b[s] == '\r') {
		s++
	}
	return s, e
}

// Sentences calls fn with the bounds of each sentence of text, with the
// rules attribution statements use (a dot after "St", "Mr", "U.S" or a
// single letter does not end one; a blank line does).
func Sentences(text []byte, fn func(start, end int)) {
	for i := 0; i < len(text); {
		s, e := sentenceAt(text, i)
		if e <= i {
			e = i + 1
		}
		if s < e {
			fn(s, e)
		}
		i = e
	}
}

// statements finds the attribution statements of buf that start in
// buf[from:end].
func statements(buf []byte, base int64, from, end int, names []NameMatch) []Item {
	var out []Item
	var hits []int
	triggers().Find(buf, func(m NameMatch) { hits = append(hits, m.Start) })
	lastEnd := -1
	for _, h := range hits {
		if h < lastEnd {
			continue
		}
		s, e := sentenceAt(buf, h)
		lastEnd = e
		if s < from || s >= end {
			continue
		}
		sent := buf[s:e]
		st := analyse(sent)
		for _, m := range names {
			if m.Start >= s && m.End <= e {
				st.Actors = append(st.Actors, Item{Kind: KindName, Text: string(buf[m.Start:m.End]), Value: string(buf[m.Start:m.End]),
					Offset: base + int64(m.Start), Candidates: m.Candidates})
			}
		}
		if st.Subject == "" && len(st.Actors) > 0 {
			st.Subject = strings.Join(strings.Fields(st.Actors[0].Text), " ")
		}
		if st.Subject == "" {
			continue // nobody is said to be behind anything
		}
		out = append(out, Item{Kind: KindStatement, Value: st.Subject, Text: st.Sentence, Offset: base + int64(s),
			Snippet: st.Sentence, Statement: st})
		for _, c := range st.Context {
			k := bytes.Index(sent, []byte(c))
			if k < 0 {
				continue
			}
			out = append(out, Item{Kind: KindContext, Value: c, Text: c, Offset: base + int64(s+k), Snippet: snippet(buf, s+k, s+k+len(c))})
		}
	}
	return out
}

// analyse reads one sentence that holds an attribution phrase.
func analyse(sent []byte) *Statement {
	text := strings.Join(strings.Fields(string(bytes.ToValidUTF8(sent, []byte("\uFFFD")))), " ")
	st := &Statement{Sentence: text}
	if m := reSelf.FindStringSubmatch(text); m != nil {
		st.Subject = strings.Trim(m[1], `"“”`)
		st.Type = StatementSelfClaim
	}
	if m := reSource.FindStringSubmatch(text); m != nil {
		st.Source = strings.TrimSpace(m[1])
	} else if m := reSaid.FindStringSubmatch(text); m != nil {
		st.Source = strings.TrimSpace(m[1])
	}
	if st.Source == "" {
		// "U.S. officials speaking on condition of anonymity said ...":
		// the speakers are named by their role only.
		if m := reOfficialsWho.FindString(text); m != "" {
			st.Source = m
		}
	}
	seen := map[string]bool{}
	for _, h := range reHedge.FindAllString(text, -1) {
		h = strings.ToLower(h)
		if !seen[h] {
			seen[h] = true
			st.Hedges = append(st.Hedges, h)
		}
	}
	if st.Subject == "" {
		// The first country or unit that is not the one speaking.
		for _, m := range reCountry.FindAllString(text, -1) {
			if !strings.Contains(strings.ToLower(st.Source), strings.ToLower(strings.TrimPrefix(m, "the "))) {
				st.Subject = m
				break
			}
		}
	}
	for _, m := range rePlace.FindAllStringSubmatch(text, -1) {
		place := strings.TrimPrefix(m[1], "the ")
		if strings.EqualFold(place, "network") {
			continue
		}
		st.Context = append(st.Context, place)
		if m[2] != "" {
			st.Context = append(st.Context, m[2])
		}
	}
	if len(st.Context) > 0 {
		for _, m := range reIn.FindAllStringSubmatch(text, -1) {
			if !contains(st.Context, m[1]) {
				st.Context = append(st.Context, m[1])
			}
		}
	}
	if st.Type == "" {
		src := st.Source
		switch {
		case reOfficials.MatchString(text) && (src == "" || reOfficials.MatchString(src) || !reOfficial.MatchString(src)):
			st.Type = StatementPress
		case src != "" && reOfficial.MatchString(src) || src == "" && reOfficial.MatchString(text) && !reInvestigator.MatchString(text):
			st.Type = StatementOfficial
		case reInvestigator.MatchString(src + " " + text):
			st.Type = StatementInvestigator
		case reTech.MatchString(text):
			st.Type = StatementTechnical
		default:
			st.Type = StatementInvestigator
		}
	}
	return st
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}
