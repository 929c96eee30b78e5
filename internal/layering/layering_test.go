package layering

import (
	"bufio"
	"bytes"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const module = "github.com/culprit-cti/culprit"

// imports lists the module's packages with the module packages each
// imports (tests excluded: a test may reach further than its package).
func imports(t *testing.T) map[string][]string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		p := strings.TrimPrefix(f[0], module+"/")
		var own []string
		for _, imp := range f[1:] {
			if rest, ok := strings.CutPrefix(imp, module+"/"); ok {
				own = append(own, rest)
			}
		}
		pkgs[p] = own
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages, want the whole module", len(pkgs))
	}
	return pkgs
}

func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

func TestLayering(t *testing.T) {
	pkgs := imports(t)
	leafInternal := func(p string) bool {
		return strings.HasPrefix(p, "internal/") && len(pkgs[p]) == 0
	}
	for pkg, imps := range pkgs {
		for _, imp := range imps {
			switch {
			case (under(pkg, "stix") || under(pkg, "tlsh") || under(pkg, "ssdeep")) && !leafInternal(imp) && !under(imp, pkg):
				t.Errorf("%s imports %s: stix, tlsh and ssdeep import nothing of culprit", pkg, imp)
			case (under(imp, "sqlite") || under(imp, "postgres")) && !under(pkg, "cmd") && !under(pkg, "sqlite") && !under(pkg, "postgres"):
				t.Errorf("%s imports %s: only the store opener in cmd/ names a backend", pkg, imp)
			case under(imp, "cmd"):
				t.Errorf("%s imports %s: nothing imports cmd/", pkg, imp)
			}
		}
	}
	for _, p := range []string{"stix", "tlsh", "ssdeep", "kb", "attrib", "assess"} {
		if _, ok := pkgs[p]; !ok {
			t.Errorf("package %s not found: the policy above checks nothing for it", p)
		}
	}
}

// In cmd/culprit, only store.go (the store opener) names the backend.
func TestOneStoreOpener(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "cmd", "culprit")
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || filepath.Base(f) == "store.go" {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			if p := strings.Trim(imp.Path.Value, `"`); p == module+"/sqlite" || p == module+"/postgres" {
				t.Errorf("%s imports %s: open stores through openStore (store.go)", filepath.Base(f), p)
			}
		}
	}
}
