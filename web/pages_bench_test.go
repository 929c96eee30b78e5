package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// BenchmarkPages renders the slow pages of issue 11 through the real
// server and UI handlers (over HTTP, in this process) at 100,000
// knowledge objects, the knowledge of TestBrowserCase's full run (with
// -short: the starter knowledge). The knowledge and the attributed case
// are built once; each sub-benchmark requests one page (after one
// unmeasured request, which fills the per-snapshot caches, as the browser
// test's first view does). Besides the wall time it reports the process
// CPU time per request (cpu-ms/op: the server's, the client's and the
// collector's), which machine load does not inflate as it does wall time.
//
//	go test -p 1 -run '^$' -bench Pages -benchtime 10x -cpuprofile /tmp/ui.prof ./web
func BenchmarkPages(b *testing.B) {
	if raceEnabled {
		b.Skip("the race detector makes the 100,000 objects take minutes")
	}
	start := time.Now()
	srv := newUIServer(b, !testing.Short())
	b.Logf("knowledge: %d objects, loaded in %s", srv.objs, time.Since(start).Round(time.Millisecond))
	c := &client{t: b, base: srv.url, cookies: map[string]string{}, hc: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	csrf := c.login(srv.tok["alice"])
	id, ev := c.newCase(csrf, "Northbridge Media wiper", "TLP:AMBER")
	c.acceptAll(csrf, id, ev)
	if r := c.post("/ui/cases/"+id+"/attribute", url.Values{"csrf": {csrf}}); r.code != http.StatusSeeOther {
		b.Fatalf("attribute: %d\n%s", r.code, r.body)
	}
	pages := []struct{ name, path, want string }{
		{"case", "/ui/cases/" + id, `data-testid="hypothesis"`},
		{"ach", "/ui/cases/" + id + "/ach", `data-testid="ranking"`},
		{"actor", "/ui/actors/" + lazarus, `id="graph-canvas"`},
		{"graph", "/ui/graph.json?id=" + lazarus, `"nodes"`},
		{"compare", "/ui/compare?a=" + lazarus + "&a=intrusion-set--00f67a77-86a4-4adf-be26-1a54fc713340", `Lazarus Group`},
		{"search", "/ui/search?q=lazarus", `Lazarus Group`},
		{"case-layer", "/ui/cases/" + id + "/export/navigator.json", `"techniques"`},
		{"actor-layer", "/ui/actors/" + lazarus + "/navigator.json", `"techniques"`},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			c.t = b
			var size int
			get := func() {
				r := c.get(p.path)
				size = len(r.body)
				if r.code != http.StatusOK || !regexp.MustCompile(regexp.QuoteMeta(p.want)).MatchString(r.body) {
					b.Fatalf("GET %s: %d, no %q\n%.2000s", p.path, r.code, p.want, r.body)
				}
			}
			get()
			cpu0 := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				get()
			}
			b.StopTimer()
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(size)/1000, "kB/page")
		})
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
