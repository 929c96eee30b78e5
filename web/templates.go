package web

import (
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"strings"
	"time"

	"github.com/culprit-cti/culprit/access"
)

var funcs = template.FuncMap{
	"tlpClass": func(l access.Level) string {
		return "tlp-" + strings.ToLower(strings.NewReplacer("TLP:", "", "+", "-").Replace(l.String()))
	},
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"day":  func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"pct":  pct,
	"weight": func(w float64) string {
		return fmt.Sprintf("%+.2f", w)
	},
	// ratio formats a likelihood ratio with two or three significant
	// digits, never in exponent form (×150, ×6.8, ×0.12).
	"ratio": func(x float64) string {
		switch {
		case x >= 100:
			return fmt.Sprintf("%.0f", x)
		case x >= 10:
			return fmt.Sprintf("%.1f", x)
		case x >= 0.01:
			return fmt.Sprintf("%.2f", x)
		}
		return fmt.Sprintf("%.2g", x)
	},
	"abs": func(w float64) float64 {
		if w < 0 {
			return -w
		}
		return w
	},
	"path":      url.PathEscape,
	"add":       func(a, b int) int { return a + b },
	"join":      strings.Join,
	"objectURL": objectURL,
	"formValue": func(f url.Values, k string) string {
		if f == nil {
			return ""
		}
		return f.Get(k)
	},
	"count":   count,
	"isSTIX":  func(id string) bool { return strings.Contains(id, "--") },
	"itoa":    func(i int) string { return fmt.Sprint(i) },
	"letters": func() []string { return []string{"A", "B", "C", "D", "E", "F"} },
	"digits":  func() []int { return []int{1, 2, 3, 4, 5, 6} },
}

// count writes n with the noun (and verb) that agrees with it: count(1,
// "campaign", "campaigns") is "1 campaign", count(0, ...) "0 campaigns".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// parsePages parses each page with the layout: the template set of page
// P is layout.html and P.html.
func parsePages() (map[string]*template.Template, error) {
	base, err := template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(templateFS, f); err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		out[name] = t
	}
	return out, nil
}
