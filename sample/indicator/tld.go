package indicator

import (
	"strings"
	"sync"
)

// The top-level domains recognised, written for culprit (not generated
// from the IANA root zone, so that no network access or large table is
// needed): every two-letter country-code TLD delegated in the root zone,
// the original generic TLDs, and the newer generic TLDs that are common in
// threat intelligence reporting (cheap registrations abused for C2 and
// phishing). An unknown TLD makes a name "not a domain": the list errs
// towards fewer false positives from dotted identifiers in binaries.
const (
	countryTLDs = "" +
		"ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs " +
		"bt bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee " +
		"eg er es et eu fi fj fk fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm " +
		"hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb " +
		"lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz " +
		"na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs " +
		"ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl " +
		"tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw"
	genericTLDs = "" +
		"com net org edu gov mil int arpa info biz name pro mobi aero asia cat coop jobs museum tel " +
		"travel xxx post " +
		"app dev xyz top online site club shop store tech space website live cloud link click icu " +
		"vip work win bid loan date download racing review stream trade party science men gdn kim " +
		"ltd group global news email zone world today life agency digital services support " +
		"solutions network systems host fun blog buzz monster rest bar best cyou sbs cfd quest help " +
		"lol mom pics press media company center guru tokyo moscow africa ink page wiki one " +
		"pub social run plus cam casa bond uno fit"
)

// ambiguousTLDs are TLDs that are also common file extensions or
// identifiers in programs; see the package comment.
var ambiguousTLDs = map[string]bool{
	"so": true, "py": true, "sh": true, "pl": true, "pm": true, "rs": true, "md": true,
	"cc": true, "ps": true, "ml": true, "mk": true, "am": true, "ac": true, "in": true,
	"do": true, "zip": true, "mov": true, "cat": true, "int": true, "name": true,
	"dev": true, "app": true, "cs": true, "run": true, "page": true, "link": true,
	"date": true, "one": true, "host": true, "help": true, "post": true, "ink": true,
	"to": true, "is": true, "it": true, "at": true, "by": true, "as": true, "no": true,
	"me": true, "id": true, "ai": true, "tv": true, "im": true, "co": true,
}

var tldSet = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, t := range strings.Fields(countryTLDs + " " + genericTLDs) {
		m[t] = true
	}
	return m
})

// IsTLD reports whether tld (without the dot, any case) is one of the
// recognised top-level domains. Internationalised TLDs in their ASCII
// form ("xn--...") are always accepted.
func IsTLD(tld string) bool {
	tld = strings.ToLower(tld)
	return tldSet()[tld] || strings.HasPrefix(tld, "xn--") && len(tld) > 4
}

// classicTLDs are the original generic TLDs.
var classicTLDs = map[string]bool{
	"com": true, "net": true, "org": true, "edu": true, "gov": true, "mil": true, "info": true, "biz": true,
}

// codeWords are first labels that mean a symbol of a program (Go, Java, .NET package or namespace names) rather than a host.
var codeWords = map[string]bool{
	"runtime": true, "itab": true, "type": true, "go": true, "net": true, "os": true, "io": true,
	"lib": true, "main": true, "sync": true, "reflect": true, "unicode": true, "syscall": true,
	"internal": true, "vendor": true, "crypto": true, "strings": true, "bytes": true, "time": true,
	"fmt": true, "errors": true, "math": true, "sort": true, "context": true, "http": true,
	"json": true, "xml": true, "regexp": true, "encoding": true, "textproto": true, "template": true,
	"system": true, "java": true, "javax": true, "android": true, "microsoft": true, "std": true,
	"self": true, "this": true, "super": true, "window": true, "document": true,
	"reflectlite": true, "unique": true, "bisect": true, "syntax": true, "tls": true, "map": true,
	"slices": true, "maps": true, "iter": true, "atomic": true, "godebug": true, "poll": true,
	"x509": true, "elliptic": true, "big": true, "bufio": true, "flag": true, "log": true,
	"slog": true, "url": true, "mime": true, "multipart": true, "hash": true, "cmp": true,
}
