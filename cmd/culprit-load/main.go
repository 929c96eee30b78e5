// Command culprit-load is a bounded load generator for culprit serve:
// concurrent clients run a mix of actor lookups, TAXII pages, attribution
// requests and imports against a running server until a request budget or
// a time budget is spent, then it stops by itself and prints requests per
// second, p50, p99 and errors per operation, the server's resident memory
// before and after, and the CPU time the server spent meanwhile, with the
// requests it served per CPU second (from /metrics: the load generator
// usually shares the server's cores, so that requests per wall second say
// less about the server than requests per its own CPU second).
//
//	culprit-load --url http://127.0.0.1:8080 --token $TOKEN --clients 50 --duration 2m
//
// culprit-load synth N writes a bundle of N synthetic objects to bring a
// knowledge base to a target size.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "culprit-load:", err)
		os.Exit(1)
	}
}

// config is the load to generate.
type config struct {
	base     string
	token    string
	analyst  string // token for imports; "" disables them
	clients  int
	duration time.Duration
	requests int64
	mix      map[string]int
	caseBody []byte
}

// maxDuration and maxRequests bound any run, whatever the flags say.
const (
	maxDuration = 10 * time.Minute
	maxRequests = 10_000_000
)

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) > 0 && args[0] == "synth" {
		// culprit-load synth N: a bundle of N synthetic objects on stdout.
		if len(args) != 2 {
			return fmt.Errorf("usage: culprit-load synth N")
		}
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 1 || n > 10_000_000 {
			return fmt.Errorf("synth: N must be from 1 to 10000000")
		}
		return synthesize(out, n)
	}
	fs := flag.NewFlagSet("culprit-load", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.base, "url", "http://127.0.0.1:8080", "the server")
	fs.StringVar(&c.token, "token", os.Getenv("CULPRIT_TOKEN"), "a reader token (default $CULPRIT_TOKEN)")
	fs.StringVar(&c.analyst, "import-token", "", "an analyst token, for concurrent imports")
	fs.IntVar(&c.clients, "clients", 50, "concurrent clients")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "time budget (at most 10m)")
	fs.Int64Var(&c.requests, "requests", 100_000, "request budget")
	mix := fs.String("mix", "actors=4,card=2,taxii=3,attribute=2,import=0", "weights of the operations")
	caseFile := fs.String("case", "", "case file to attribute (default: a built-in case of ATT&CK techniques)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.token == "" {
		return fmt.Errorf("--token is required")
	}
	if c.clients < 1 || c.clients > 1000 {
		return fmt.Errorf("--clients must be from 1 to 1000")
	}
	c.duration = min(c.duration, maxDuration)
	c.requests = min(c.requests, maxRequests)
	var err error
	if c.mix, err = parseMix(*mix); err != nil {
		return err
	}
	if c.mix["import"] > 0 && c.analyst == "" {
		return fmt.Errorf("imports in the mix need --import-token")
	}
	c.caseBody = []byte(defaultCase)
	if *caseFile != "" {
		if c.caseBody, err = os.ReadFile(*caseFile); err != nil {
			return err
		}
	}
	rep, err := load(ctx, c)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(out)
	return nil
}

const defaultCase = `name: load test
techniques:
  - id: T1566.001
  - id: T1059.001
  - id: T1105
  - id: T1071.001
  - id: T1027
software:
  - name: Mimikatz
`

func parseMix(s string) (map[string]int, error) {
	m := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("--mix %q: want op=weight,…", s)
		}
		switch k {
		case "actors", "card", "taxii", "attribute", "import":
		default:
			return nil, fmt.Errorf("--mix: unknown operation %q (actors, card, taxii, attribute, import)", k)
		}
		m[k] = n
	}
	return m, nil
}

// opStats are the latencies and errors of one operation.
type opStats struct {
	mu      sync.Mutex
	lat     []time.Duration
	errors  int
	samples []string // a few error messages
}

func (s *opStats) add(d time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lat = append(s.lat, d)
	if err != nil {
		s.errors++
		if len(s.samples) < 3 {
			s.samples = append(s.samples, err.Error())
		}
	}
}

// Report is the result of a run.
type Report struct {
	Clients    int       `json:"clients"`
	Seconds    float64   `json:"seconds"`
	Requests   int       `json:"requests"`
	Errors     int       `json:"errors"`
	RSSBefore  int64     `json:"server_rss_before_bytes"`
	RSSAfter   int64     `json:"server_rss_after_bytes"`
	CPUSeconds float64   `json:"server_cpu_seconds"` // the server's CPU time during the run; 0 if unknown
	Operations []OpLine  `json:"operations"`
	Started    time.Time `json:"started"`
}

// OpLine is one operation's figures.
type OpLine struct {
	Op       string   `json:"op"`
	Requests int      `json:"requests"`
	PerSec   float64  `json:"per_second"`
	P50ms    float64  `json:"p50_ms"`
	P99ms    float64  `json:"p99_ms"`
	MaxMs    float64  `json:"max_ms"`
	Errors   int      `json:"errors"`
	Samples  []string `json:"error_samples,omitempty"`
}

func (r *Report) print(w io.Writer) {
	fmt.Fprintf(w, "%d clients, %.1f s, %d requests (%.0f/s), %d errors; server RSS %.0f MiB -> %.0f MiB\n",
		r.Clients, r.Seconds, r.Requests, float64(r.Requests)/r.Seconds, r.Errors, float64(r.RSSBefore)/(1<<20), float64(r.RSSAfter)/(1<<20))
	if r.CPUSeconds > 0 {
		fmt.Fprintf(w, "server CPU %.1f s (%.2f cores), %.0f requests per server CPU second\n",
			r.CPUSeconds, r.CPUSeconds/r.Seconds, float64(r.Requests)/r.CPUSeconds)
	}
	fmt.Fprintf(w, "%-10s %9s %9s %9s %9s %9s %7s\n", "op", "requests", "per s", "p50 ms", "p99 ms", "max ms", "errors")
	for _, o := range r.Operations {
		fmt.Fprintf(w, "%-10s %9d %9.1f %9.2f %9.2f %9.2f %7d\n", o.Op, o.Requests, o.PerSec, o.P50ms, o.P99ms, o.MaxMs, o.Errors)
		for _, s := range o.Samples {
			fmt.Fprintf(w, "    error: %s\n", s)
		}
	}
}

func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return float64(sorted[i].Microseconds()) / 1000
}

// client is one HTTP client with the server's names to ask for.
type client struct {
	c      config
	http   *http.Client
	names  []string
	actors []string
	col    string
}

func (cl *client) do(ctx context.Context, method, path, tok, ctype string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, cl.c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if strings.HasPrefix(path, "/taxii2/") {
		req.Header.Set("Accept", "application/taxii+json;version=2.1")
	}
	resp, err := cl.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		return b, fmt.Errorf("%s %s: %d %.200s", method, path, resp.StatusCode, b)
	}
	return b, nil
}

var (
	rssRe = regexp.MustCompile(`(?m)^process_resident_memory_bytes (\S+)$`)
	cpuRe = regexp.MustCompile(`(?m)^process_cpu_seconds_total (\S+)$`)
)

// serverUse returns the server's resident memory and CPU seconds so far
// (zeros when /metrics does not tell).
func (cl *client) serverUse(ctx context.Context) (rss int64, cpu float64) {
	b, err := cl.do(ctx, "GET", "/metrics", cl.c.token, "", nil)
	if err != nil {
		return 0, 0
	}
	if m := rssRe.FindSubmatch(b); m != nil {
		f, _ := strconv.ParseFloat(string(m[1]), 64)
		rss = int64(f)
	}
	if m := cpuRe.FindSubmatch(b); m != nil {
		cpu, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	return rss, cpu
}

func load(ctx context.Context, c config) (*Report, error) {
	cl := &client{c: c, http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: c.clients}}}
	// The names and ids to look up, and the readable collection.
	b, err := cl.do(ctx, "GET", "/api/actors", c.token, "", nil)
	if err != nil {
		return nil, err
	}
	var list struct {
		Actors []struct{ ID, Name string } `json:"actors"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, err
	}
	for _, a := range list.Actors {
		cl.names = append(cl.names, a.Name)
		cl.actors = append(cl.actors, a.ID)
	}
	if len(cl.names) == 0 {
		return nil, fmt.Errorf("the server knows no actor: import ATT&CK first")
	}
	b, err = cl.do(ctx, "GET", "/taxii2/culprit/collections/", c.token, "", nil)
	if err != nil {
		return nil, err
	}
	var cols struct {
		Collections []struct {
			ID      string `json:"id"`
			CanRead bool   `json:"can_read"`
		} `json:"collections"`
	}
	json.Unmarshal(b, &cols)
	for _, x := range cols.Collections {
		if x.CanRead {
			cl.col = "/taxii2/culprit/collections/" + x.ID + "/objects/"
		}
	}

	var ops []string
	for _, k := range []string{"actors", "card", "taxii", "attribute", "import"} {
		for range c.mix[k] {
			ops = append(ops, k)
		}
	}
	if len(ops) == 0 {
		return nil, fmt.Errorf("--mix has no operation")
	}
	stats := map[string]*opStats{}
	for _, k := range ops {
		stats[k] = &opStats{}
	}
	rep := &Report{Clients: c.clients, Started: time.Now().UTC()}
	var cpuBefore float64
	rep.RSSBefore, cpuBefore = cl.serverUse(ctx)
	ctx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	var issued atomic.Int64
	var imports atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := range c.clients {
		wg.Go(func() {
			next := ""
			for i := w; ; i++ {
				if issued.Add(1) > c.requests || ctx.Err() != nil {
					return
				}
				op := ops[i%len(ops)]
				t0 := time.Now()
				var err error
				switch op {
				case "actors":
					_, err = cl.do(ctx, "GET", "/api/actors?q="+url.QueryEscape(cl.names[i%len(cl.names)]), c.token, "", nil)
				case "card":
					_, err = cl.do(ctx, "GET", "/api/actors/search?q="+url.QueryEscape(cl.names[(i*7)%len(cl.names)]), c.token, "", nil)
				case "taxii":
					p := cl.col + "?limit=100"
					if next != "" {
						p += "&next=" + url.QueryEscape(next)
					}
					var b []byte
					b, err = cl.do(ctx, "GET", p, c.token, "", nil)
					next = ""
					if more, n := pageCursor(b); more {
						next = n
					}
				case "attribute":
					_, err = cl.do(ctx, "POST", "/api/attribute", c.token, "application/yaml", c.caseBody)
				case "import":
					n := imports.Add(1)
					_, err = cl.do(ctx, "POST", "/api/imports?name=load", c.analyst, "application/json", importBundle(n))
				}
				if ctx.Err() != nil {
					return // the time budget ended this request: not a server error
				}
				stats[op].add(time.Since(t0), err)
			}
		})
	}
	wg.Wait()
	rep.Seconds = time.Since(start).Seconds()
	var cpuAfter float64
	rep.RSSAfter, cpuAfter = cl.serverUse(context.Background())
	if cpuBefore > 0 && cpuAfter > cpuBefore {
		rep.CPUSeconds = cpuAfter - cpuBefore
	}
	names := make([]string, 0, len(stats))
	for k := range stats {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		s := stats[k]
		sort.Slice(s.lat, func(i, j int) bool { return s.lat[i] < s.lat[j] })
		line := OpLine{Op: k, Requests: len(s.lat), PerSec: float64(len(s.lat)) / rep.Seconds, P50ms: percentile(s.lat, .5),
			P99ms: percentile(s.lat, .99), Errors: s.errors, Samples: s.samples}
		if len(s.lat) > 0 {
			line.MaxMs = float64(s.lat[len(s.lat)-1].Microseconds()) / 1000
		}
		rep.Operations = append(rep.Operations, line)
		rep.Requests += len(s.lat)
		rep.Errors += s.errors
	}
	return rep, nil
}

// pageCursor returns the more and next members of a TAXII envelope,
// reading its members in turn up to its objects: decoding the whole page
// (100 objects) to find them cost the load generator more CPU than the
// server spent to serve it, on the cores they share. The page is still
// read whole; the walk restarts (more false) from an envelope that is not
// one.
func pageCursor(b []byte) (more bool, next string) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false, ""
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return false, ""
		}
		switch t {
		case "more":
			err = dec.Decode(&more)
		case "next":
			err = dec.Decode(&next)
		case "objects":
			return more, next
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return false, ""
		}
	}
	return more, next
}

// importBundle is a small bundle of one new malware object per import.
func importBundle(n int64) []byte {
	id := fmt.Sprintf("%08x-0000-4000-8000-%012x", n, time.Now().UnixNano()&0xffffffffffff)
	return []byte(fmt.Sprintf(`{"type":"bundle","id":"bundle--%s","objects":[{"type":"malware","spec_version":"2.1","id":"malware--%s","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","name":"LoadRAT %d","is_family":true}]}`, id, id, n))
}
