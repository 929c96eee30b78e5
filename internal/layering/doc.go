// Package layering holds no code: its test keeps the project's layering,
// as a policy the build checks rather than a rule in a document.
//
//   - stix, tlsh and ssdeep are leaves: they import nothing of culprit but
//     internal leaf packages that import nothing of culprit themselves;
//   - no package but the store opener in cmd/ imports a storage backend
//     (sqlite, postgres): everything else works on kb.Store;
//   - attrib and its subpackages import no backend;
//   - nothing imports cmd/.
package layering
