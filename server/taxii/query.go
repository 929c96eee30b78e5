// Package taxii binds culprit's TAXII 2.1 server to the OASIS TAXII
// Version 2.1 specification (Committee Specification 01, 2020): the
// resources it returns (discovery, API root, collections, envelope,
// manifest, versions, status, error; sections 4 and 5), the request
// decoders (the filter and pagination parameters of section 3.4 and 3.6,
// the envelope a client POSTs, section 5.5) and the index of object
// versions the objects, manifest and versions endpoints page through.
//
// Supported: every endpoint of section 4 and 5; filters added_after,
// match[id], match[type], match[version] (first, last, all, timestamps)
// and match[spec_version] (the store holds STIX 2.1 only); limit and next
// pagination, with a next cursor bound to the query that made it.
// Not supported: STIX versions other than 2.1, the match[...] fields the
// specification leaves optional beyond those above (a request with one is
// refused). Deletion (section 5.7) takes match[version] and
// match[spec_version] only, and every version by default.
package taxii

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/errs"
)

// Media types of section 1.6.8.
const (
	MediaTAXII = "application/taxii+json;version=2.1"
	MediaSTIX  = "application/stix+json;version=2.1"
)

// Limits of pagination: a page holds at most MaxLimit items; DefaultLimit
// when the client gives none.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Endpoint names the parameters each endpoint accepts.
type Endpoint int

// Endpoints with filters.
const (
	Objects  Endpoint = iota // GET objects/ and manifest/
	Object                   // GET objects/{id}/
	Versions                 // GET objects/{id}/versions/
	Delete                   // DELETE objects/{id}/ (section 5.7)
)

// Query is a decoded filter and pagination request.
type Query struct {
	Limit        int
	Next         string // the cursor of the page to return, "" for the first
	AddedAfter   time.Time
	IDs          []string
	Types        []string
	Versions     []string // "first", "last", "all" or RFC 3339 timestamps
	versionTimes []time.Time
	SpecVersions []string
	key          string // the filters in canonical form, which a cursor is bound to
}

// maxValues bounds the values of one filter parameter (comma-separated
// and repeated together).
const maxValues = 100

// ParseQuery decodes the query parameters of a request to endpoint ep.
// Errors are of kind Invalid and name the parameter.
func ParseQuery(v url.Values, ep Endpoint) (Query, error) {
	q := Query{Limit: DefaultLimit}
	allowed := map[string]bool{"limit": true, "next": true, "added_after": true, "match[spec_version]": true}
	switch ep {
	case Objects:
		allowed["match[id]"], allowed["match[type]"], allowed["match[version]"] = true, true, true
	case Object:
		allowed["match[version]"] = true
	case Delete:
		// A delete selects every version its filters match, unpaged; a
		// parameter that would narrow a read is refused rather than
		// ignored, since ignoring it would delete more than was asked.
		for _, k := range []string{"limit", "next", "added_after"} {
			if _, ok := v[k]; ok {
				return q, errs.E(errs.Invalid, "%s is not a parameter of a delete (only match[version] and match[spec_version] are)", k)
			}
		}
		allowed = map[string]bool{"match[version]": true, "match[spec_version]": true}
		q.Limit = math.MaxInt
	}
	var keys []string
	for k := range v {
		if !allowed[k] {
			if strings.HasPrefix(k, "match[") {
				return q, errs.E(errs.Invalid, "filter %s is not supported here", trunc(k))
			}
			continue // other parameters are not TAXII's: ignored, as section 3.4 allows
		}
		if k != "next" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var canon []string
	for _, k := range keys {
		vals := split(v[k])
		if len(vals) > maxValues {
			return q, errs.E(errs.Invalid, "%s: more than %d values", k, maxValues)
		}
		canon = append(canon, k+"="+strings.Join(vals, ","))
		switch k {
		case "limit":
			if len(vals) != 1 {
				return q, errs.E(errs.Invalid, "limit: want one positive integer")
			}
			n, err := strconv.Atoi(vals[0])
			if err != nil || n < 1 {
				return q, errs.E(errs.Invalid, "limit %q: want a positive integer", trunc(vals[0]))
			}
			q.Limit = min(n, MaxLimit)
		case "added_after":
			if len(vals) != 1 {
				return q, errs.E(errs.Invalid, "added_after: want one timestamp")
			}
			t, err := parseTime(vals[0])
			if err != nil {
				return q, errs.E(errs.Invalid, "added_after %q: want an RFC 3339 timestamp", trunc(vals[0]))
			}
			q.AddedAfter = t
		case "match[id]":
			q.IDs = vals
		case "match[type]":
			q.Types = vals
		case "match[spec_version]":
			q.SpecVersions = vals
		case "match[version]":
			for _, s := range vals {
				switch s {
				case "first", "last", "all":
				default:
					t, err := parseTime(s)
					if err != nil {
						return q, errs.E(errs.Invalid, "match[version] %q: want first, last, all or a timestamp", trunc(s))
					}
					q.versionTimes = append(q.versionTimes, t)
				}
			}
			q.Versions = vals
		}
	}
	if n := v["next"]; len(n) > 0 {
		if len(n) != 1 || len(n[0]) > 512 {
			return q, errs.E(errs.Invalid, "next: want one cursor from a previous page")
		}
		q.Next = n[0]
	}
	// limit is part of the key: a client that changes any parameter
	// between pages, the page size included, gets an error rather than a
	// page of another query.
	sum := sha256.Sum256([]byte(strings.Join(canon, "&")))
	q.key = hex.EncodeToString(sum[:8])
	return q, nil
}

func split(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func trunc(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// FormatTime writes a TAXII timestamp: RFC 3339 in UTC with microseconds,
// or nanoseconds for a time that has them (an object's modified as its
// producer wrote it), so that a timestamp read back selects the same
// instant.
func FormatTime(t time.Time) string {
	if t.Nanosecond()%1000 != 0 {
		return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// cursor is the position after which the next page starts, bound to the
// query that made it.
type cursor struct {
	Added   time.Time `json:"a"`
	ID      string    `json:"i"`
	Version time.Time `json:"v"`
	Key     string    `json:"q"`
}

func (q Query) encodeCursor(e *Entry) string {
	b, _ := json.Marshal(cursor{Added: e.Added, ID: e.ID, Version: e.Version, Key: q.key})
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor checks q.Next against q and returns its position.
func (q Query) decodeCursor() (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(q.Next)
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID == "" {
		return c, errs.E(errs.Invalid, "next: not a cursor this server gave")
	}
	if c.Key != q.key {
		return c, errs.E(errs.Invalid, "next: the query parameters changed since the first page; repeat them unchanged or start again without next")
	}
	return c, nil
}
