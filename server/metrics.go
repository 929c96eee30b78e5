package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, on a registry of its own
// (no global state). None counts knowledge objects: a count would be the
// same for every caller, whatever the TLP level of its token.
type metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	attribution   prometheus.Histogram
	imported      prometheus.Counter
	reloads       prometheus.Counter
	reloadSeconds prometheus.Histogram
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "culprit_http_requests_total", Help: "HTTP requests by route, method and status code.",
	}, []string{"route", "method", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "culprit_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"route"})
	m.attribution = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "culprit_attribution_duration_seconds", Help: "Time to attribute one case.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	})
	m.imported = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "culprit_import_objects_total", Help: "Objects read by imports through the server.",
	})
	m.reloads = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "culprit_knowledge_reloads_total", Help: "Times the knowledge was reloaded after a change.",
	})
	m.reloadSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "culprit_knowledge_reload_seconds", Help: "Time to index the knowledge base.",
		Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
	})
	m.reg.MustRegister(m.requests, m.latency, m.attribution, m.imported, m.reloads, m.reloadSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
