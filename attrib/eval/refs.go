package eval

import (
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/culprit-cti/culprit/attrib"
	"github.com/culprit-cti/culprit/stix"
)

// Duplicate rules: why a reference new to the later knowledge is an old
// document under a new reference. They are tried in this order, and a
// dropped report is counted under the first rule that matches.
const (
	RuleArchive   = "web archive"     // web.archive.org/web/<ts>/<url> of an old URL, or the reverse
	RuleURLForm   = "url form"        // http/https, www., case of the host, trailing slash, index page, fragment, tracking parameters
	RuleMoved     = "moved domain"    // the same distinctive path on another host (vendor blogs that moved)
	RuleTitleDate = "same title/date" // the same title and publication date in the description
)

// maxRefLen bounds what is parsed of a URL or a description: ATT&CK's are
// far shorter, and a hostile bundle must not make normalisation expensive.
const maxRefLen = 4096

// archivePrefix matches a web archive wrapper: the Wayback Machine's
// /web/<timestamp>[flags]/ and archive.today-style /<timestamp>/ prefixes.
var archivePrefix = regexp.MustCompile(`(?i)^(?:https?://)?(?:web\.)?archive\.(?:org|is|ph|today)/(?:web/)?[0-9]{4,14}[a-z_]*/`)

// trackingParams are query parameters that only say where a reader came
// from; two URLs differing in them are the same document.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "mc_cid": true, "mc_eid": true, "_ga": true, "_hsenc": true,
	"_hsmi": true, "hsctatracking": true, "ref": true, "src": true, "source": true, "cmp": true,
	"mkt_tok": true, "icid": true, "ncid": true,
}

// unwrapArchive removes web archive wrappers and reports whether there was one.
func unwrapArchive(u string) (string, bool) {
	wrapped := false
	for range 3 { // archives of archives are rare; bound the loop anyway
		loc := archivePrefix.FindStringIndex(u)
		if loc == nil {
			break
		}
		u = u[loc[1]:]
		wrapped = true
		// The Wayback Machine collapses "https://" in the wrapped URL to "https:/".
		for _, sch := range []string{"https:/", "http:/"} {
			if strings.HasPrefix(u, sch) && !strings.HasPrefix(u, sch+"/") {
				u = sch + "/" + u[len(sch):]
			}
		}
	}
	return u, wrapped
}

// canonURL returns the form of a URL under which two references to one
// document agree: no archive wrapper, scheme, www., fragment, tracking
// parameters, trailing slash or index page, host in lower case, the other
// query parameters sorted. It returns "" for a string that is not an
// http(s) URL.
func canonURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxRefLen {
		return ""
	}
	raw, _ = unwrapArchive(raw)
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	// u.Host, not u.Hostname(): an IPv6 literal keeps its brackets, so the
	// canonical form parses back to itself.
	host := strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	host = strings.TrimSuffix(strings.TrimSuffix(host, ":80"), ":443")
	if host == "" || strings.HasPrefix(host, ":") {
		return ""
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	for _, idx := range []string{"/index.html", "/index.htm", "/index.php"} {
		p = strings.TrimSuffix(p, idx)
	}
	var q []string
	for k, vs := range u.Query() {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "utm_") || trackingParams[lk] {
			continue
		}
		for _, v := range vs {
			q = append(q, url.QueryEscape(k)+"="+url.QueryEscape(v))
		}
	}
	sort.Strings(q)
	s := host + p
	if len(q) > 0 {
		s += "?" + strings.Join(q, "&")
	}
	return s
}

// slug returns the distinctive last part of a URL's path (the article's
// name, without extension), or "" when it is too short or too generic to
// identify a document on its own: a moved vendor blog keeps its article
// names under a new domain.
func slug(canon string) string {
	if canon == "" || strings.Contains(canon, "?") {
		return ""
	}
	i := strings.IndexByte(canon, '/')
	if i < 0 {
		return ""
	}
	p := canon[i:]
	seg := p[strings.LastIndexByte(p, '/')+1:]
	if dot := strings.LastIndexByte(seg, '.'); dot > 0 {
		seg = seg[:dot]
	}
	seg = strings.ToLower(seg)
	// At least three words of which the longest parts make a name: short or
	// numeric segments ("/2021/03/", "/post.php") name nothing.
	if len(seg) < 16 || strings.Count(seg, "-")+strings.Count(seg, "_") < 2 {
		return ""
	}
	return seg
}

// titleDateKey identifies a document by its title and day of publication,
// or "" when the description does not give both precisely enough to tell
// two documents apart.
func titleDateKey(d attrib.Reference) string {
	if d.Precision < 3 || len(d.Title) < 12 {
		return ""
	}
	return d.Title + "|" + d.Published.Format("2006-01-02")
}

// oldRefs indexes the references of the earlier knowledge by every form
// under which a later reference could name the same document.
type oldRefs struct {
	keys      map[string]bool // refKey
	canon     map[string]bool
	archived  map[string]bool // canon forms of old references that were archive-wrapped
	slugs     map[string]string
	titleDate map[string]bool
}

func newOldRefs(objs []*stix.Object) *oldRefs {
	o := &oldRefs{keys: map[string]bool{}, canon: map[string]bool{}, archived: map[string]bool{}, slugs: map[string]string{}, titleDate: map[string]bool{}}
	for _, x := range objs {
		if x == nil || x.Type != "relationship" {
			continue
		}
		for _, r := range x.ExternalReferences {
			if r.SourceName == "mitre-attack" {
				continue
			}
			o.add(r)
		}
	}
	return o
}

func (o *oldRefs) add(r stix.ExternalReference) {
	o.keys[refKey(r)] = true
	if c := canonURL(r.URL); c != "" {
		o.canon[c] = true
		if _, w := unwrapArchive(strings.TrimSpace(r.URL)); w {
			o.archived[c] = true
		}
		if s := slug(c); s != "" {
			o.slugs[s] = c
		}
	}
	if k := titleDateKey(attrib.ParseReference(r.Description)); k != "" {
		o.titleDate[k] = true
	}
}

// match says whether r names a document of the earlier knowledge: "" when
// it does not, else the rule (the exact key counts as RuleURLForm only when
// the key differs; an identical key is not new by definition and returns
// "same").
func (o *oldRefs) match(r stix.ExternalReference) string {
	if o.keys[refKey(r)] {
		return "same"
	}
	if c := canonURL(r.URL); c != "" {
		if o.canon[c] {
			if _, w := unwrapArchive(strings.TrimSpace(r.URL)); w || o.archived[c] {
				return RuleArchive
			}
			return RuleURLForm
		}
		if s := slug(c); s != "" {
			if oc, ok := o.slugs[s]; ok && host(oc) != host(c) {
				return RuleMoved
			}
		}
	}
	if k := titleDateKey(attrib.ParseReference(r.Description)); k != "" && o.titleDate[k] {
		return RuleTitleDate
	}
	return ""
}

func host(canon string) string {
	if i := strings.IndexByte(canon, '/'); i >= 0 {
		return canon[:i]
	}
	return canon
}
