package server

import (
	"github.com/culprit-cti/culprit/token"
)

// routeTable lists every endpoint. The OpenAPI document describes the
// routes under /api/ and the probes; its test checks that both agree.
func (s *Server) routeTable() []route {
	const kib = 1 << 10
	return []route{
		{method: "GET", path: "/healthz", name: "healthz", h: s.handleHealth},
		{method: "GET", path: "/readyz", name: "readyz", h: s.handleReady},
		{method: "GET", path: "/metrics", name: "metrics", h: s.handleMetrics},
		{method: "GET", path: "/api/openapi.json", name: "openapi", h: s.handleOpenAPI},

		{method: "GET", path: "/api/stats", name: "stats", role: token.Reader, h: s.handleStats},
		{method: "GET", path: "/api/actors", name: "actors", role: token.Reader, h: s.handleActors},
		{method: "GET", path: "/api/actors/search", name: "actor_search", role: token.Reader, h: s.handleActorSearch},
		{method: "GET", path: "/api/actors/{id}", name: "actor", role: token.Reader, h: s.handleActor},
		{method: "GET", path: "/api/actors/{id}/navigator", name: "actor_navigator", role: token.Reader, h: s.handleActorNavigator},
		{method: "GET", path: "/api/actors/{id}/graph", name: "actor_graph", role: token.Reader, h: s.handleActorGraph},
		{method: "GET", path: "/api/objects", name: "objects", role: token.Reader, h: s.handleObjects},
		{method: "GET", path: "/api/objects/{id}", name: "object", role: token.Reader, h: s.handleObject},
		{method: "GET", path: "/api/objects/{id}/provenance", name: "provenance", role: token.Reader, h: s.handleProvenance},
		{method: "GET", path: "/api/objects/{id}/versions", name: "versions", role: token.Reader, h: s.handleVersions},
		{method: "POST", path: "/api/attribute", name: "attribute", role: token.Reader, maxBody: s.cfg.MaxCase, h: s.handleAttribute},
		{method: "POST", path: "/api/imports", name: "import", role: token.Analyst, maxBody: s.cfg.MaxImport, long: true, h: s.handleImport},
		{method: "GET", path: "/api/imports/{id}", name: "import_job", role: token.Analyst, h: s.handleJob},
		{method: "GET", path: "/api/export", name: "export", role: token.Reader, h: s.handleExport},
		{method: "POST", path: "/api/extract", name: "extract", role: token.Reader, maxBody: s.cfg.MaxReport, h: s.handleExtract},
		{method: "POST", path: "/api/samples", name: "sample_upload", role: token.Analyst, maxBody: s.cfg.MaxSample, long: true, h: s.handleSampleUpload},
		{method: "GET", path: "/api/samples/{sha256}", name: "sample", role: token.Reader, h: s.handleSample},
		{method: "GET", path: "/api/cases", name: "cases", role: token.Reader, h: s.handleCaseList},
		{method: "POST", path: "/api/cases", name: "case_create", role: token.Analyst, maxBody: s.cfg.MaxCase, h: s.handleCaseCreate},
		{method: "GET", path: "/api/cases/{id}", name: "case", role: token.Reader, h: s.handleCase},
		{method: "POST", path: "/api/cases/{id}/evidence", name: "case_evidence", role: token.Analyst, maxBody: s.cfg.MaxCase, h: s.handleCaseEvidence},
		{method: "POST", path: "/api/cases/{id}/evidence/{name}/accept", name: "case_accept", role: token.Analyst, h: s.handleCaseAccept},
		{method: "DELETE", path: "/api/cases/{id}/evidence/{name}", name: "case_remove", role: token.Analyst, h: s.handleCaseRemove},
		{method: "POST", path: "/api/cases/{id}/reports", name: "case_report", role: token.Analyst, maxBody: s.cfg.MaxReport, h: s.handleCaseReport},
		{method: "POST", path: "/api/cases/{id}/attribute", name: "case_attribute", role: token.Analyst, h: s.handleCaseAttribute},
		{method: "POST", path: "/api/cases/{id}/confirm", name: "case_confirm", role: token.Analyst, maxBody: 16 * kib, h: s.handleCaseConfirm},
		{method: "POST", path: "/api/cases/{id}/reopen", name: "case_reopen", role: token.Analyst, maxBody: 16 * kib, h: s.handleCaseReopen},
		{method: "GET", path: "/api/cases/{id}/export", name: "case_export", role: token.Reader, h: s.handleCaseExport},
		{method: "GET", path: "/api/cases/{id}/ach", name: "case_ach", role: token.Reader, h: s.handleCaseACH},
		{method: "POST", path: "/api/cases/{id}/ach/overrides", name: "case_override", role: token.Analyst, maxBody: 64 * kib, h: s.handleCaseOverride},
		{method: "GET", path: "/api/cases/{id}/navigator", name: "case_navigator", role: token.Reader, h: s.handleCaseNavigator},

		{method: "GET", path: "/taxii2/", name: "taxii_discovery", role: token.Reader, taxii: true, h: s.handleDiscovery},
		{method: "GET", path: taxiiRoot, name: "taxii_root", role: token.Reader, taxii: true, h: s.handleAPIRoot},
		{method: "GET", path: taxiiRoot + "status/{status}/", name: "taxii_status", role: token.Analyst, taxii: true, h: s.handleStatus},
		{method: "GET", path: taxiiRoot + "collections/", name: "taxii_collections", role: token.Reader, taxii: true, h: s.handleCollections},
		{method: "GET", path: taxiiRoot + "collections/{collection}/", name: "taxii_collection", role: token.Reader, taxii: true, h: s.handleCollection},
		{method: "GET", path: taxiiRoot + "collections/{collection}/objects/", name: "taxii_objects", role: token.Reader, taxii: true, h: s.handleTAXIIObjects},
		{method: "POST", path: taxiiRoot + "collections/{collection}/objects/", name: "taxii_add", role: token.Analyst, taxii: true, maxBody: s.cfg.MaxEnvelope, long: true, h: s.handleTAXIIAdd},
		{method: "GET", path: taxiiRoot + "collections/{collection}/objects/{object}/", name: "taxii_object", role: token.Reader, taxii: true, h: s.handleTAXIIObject},
		{method: "DELETE", path: taxiiRoot + "collections/{collection}/objects/{object}/", name: "taxii_delete", role: token.Admin, taxii: true, h: s.handleTAXIIDelete},
		{method: "GET", path: taxiiRoot + "collections/{collection}/objects/{object}/versions/", name: "taxii_versions", role: token.Reader, taxii: true, h: s.handleTAXIIVersions},
		{method: "GET", path: taxiiRoot + "collections/{collection}/manifest/", name: "taxii_manifest", role: token.Reader, taxii: true, h: s.handleManifest},
	}
}

// Routes lists the method and path of every route, for the OpenAPI test
// and the documentation.
func (s *Server) Routes() [][2]string {
	var out [][2]string
	for _, rt := range s.routes {
		out = append(out, [2]string{rt.method, rt.path})
	}
	return out
}
