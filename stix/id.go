package stix

import (
	"crypto/sha1"
	"fmt"
)

// namespace is the STIX 2.1 namespace for deterministic identifiers
// (section 2.9: 00abedb4-aa42-466c-9c01-fed23315a9b7).
var namespace = [16]byte{0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7}

// DeterministicID returns typ--UUIDv5(STIX namespace, key). The same key
// always gives the same identifier, so objects that culprit derives from
// other formats (MISP galaxies, case files) are stable across imports.
func DeterministicID(typ, key string) string {
	h := sha1.New()
	h.Write(namespace[:])
	h.Write([]byte(key))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = (u[6] & 0x0f) | 0x50 // version 5
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%s--%x-%x-%x-%x-%x", typ, u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
