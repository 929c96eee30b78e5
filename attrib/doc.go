// Package attrib is culprit's attribution engine: given the evidence of one
// incident (a casefile.Case) and the knowledge of actors (STIX objects plus
// same-as links), it ranks the hypotheses "actor X did this" together with
// "an actor not in the knowledge base", gives each a calibrated probability,
// an ICD 203 estimative phrase, a confidence level, the evidence for and
// against each of the leading hypotheses, and what to look for next.
//
// # Knowledge
//
// NewKnowledge indexes a stream of STIX 2.1 objects once:
//
//   - actors: intrusion-set and threat-actor objects (revoked and deprecated
//     ones left out), folded into one hypothesis by Links whose confidence is
//     at least Options.LinkThreshold and by attributed-to relationships
//     between actors (union-find). A hypothesis keeps every folded id, name
//     and alias; its primary object is the ATT&CK one (external reference
//     "mitre-attack") when present, else the one with the highest confidence.
//   - techniques: attack-pattern objects by ATT&CK id (T1059.001), STIX id
//     and name; revoked techniques resolve through revoked-by relationships.
//   - software: malware and tool objects by ATT&CK id (S0154), STIX id, name
//     and alias.
//   - behaviour: actor uses attack-pattern, actor uses malware/tool, software
//     uses attack-pattern (an actor using software implicitly uses its
//     techniques, at weight 0.07), campaigns attributed-to actors with their
//     own uses and targets (a claim naming a campaign goes to the actors it
//     is attributed to, weighted by the attribution's confidence). Every
//     relationship keeps its citations, shown with the evidence.
//   - indicators: values in indicator patterns and in observables (IP
//     addresses, domains, URLs, e-mail addresses, file hashes) tied to actors
//     through indicates, uses, attributed-to, related-to, consists-of and
//     communicates-with relationships.
//   - samples: file observables with TLSH or SSDEEP hashes tied to malware
//     families (relationships or malware sample_refs).
//   - victimology: targets relationships to identity (sectors) and location
//     (countries) objects, and x_misp_cfr_suspected_victims (countries) and
//     x_misp_cfr_target_category (sectors) on actors, from MISP galaxies.
//
// # Scoring
//
// Every evidence item x gives each known actor a a log likelihood ratio
// against the background model (an actor drawn from the base rates), which
// is also the "unknown actor" hypothesis:
//
//	P(x | a)  = (1-f) * (c_a(x) + mu*Q_a(x)) / (N_a + mu) + f * P_bg(x)
//	Q_a(x)    = (1-lambda) * P_bg(x) + lambda * sum_b sim(a,b) c_b(x)/N_b / sum_b sim(a,b)
//	P_bg(x)   = (df(x) + gamma) / (sum df + gamma*|X|)   (base rate across actors)
//	LLR(x, a) = log P(x | a) - log P_bg(x)
//
// where c_a(x) is the actor's weighted count of x (n^0.5 for a use cited
// by n sources, 0.07 of that for a technique used by the actor's software,
// plus Params.ParentWeight, SiblingWeight and ChildWeight times the counts
// of related techniques), the b are the actor's ten most similar actors
// by cosine over their counts (Params.Neighbours is lambda: Dirichlet
// smoothing towards the neighbours as well as the base rate), f is
// Params.Floor (an item the actor was never seen with costs at most
// log(1/f): reports are partial, about half of a new report's items are
// missing from its author's known profile) and N_a the actor's total. A
// rare technique therefore weighs more than T1059, and a family known to
// one actor is near-diagnostic. Inside each kind of
// evidence the sum of LLRs is damped for dependence by n^-alpha and scaled
// by the kind's weight. Claims contribute a likelihood ratio from their
// Admiralty rating (self-claims and unrated claims are weak), indicators
// and sample similarity a fixed strong ratio shared among the actors they
// lead to (weakened for shared infrastructure), victimology a weak one.
//
// The unknown actor is the background model, except that a fitted share of
// its items (Params.NovelTechnique, Params.NovelSoftware) are items that no
// known actor uses. Known actors share the prior 1 - Params.UnknownPrior in
// proportion to (1 + number of sources cited for them)^Params.ActivityPrior.
// The posterior is a softmax over log prior + evidence / temperature. The free parameters were
// fitted on a development split of the ATT&CK leave-one-report-out
// evaluation (package attrib/eval); docs/evaluation.md records them.
package attrib
