package pe

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Signature describes an Authenticode signature: the signer certificate of
// the PKCS#7 SignedData in the security directory. The signature is NOT
// verified: neither the file digest nor the certificate chain is checked,
// so a stolen or copied certificate (as on the 2014 Sony wiper) and a
// signature blob grafted onto another file look the same here.
type Signature struct {
	Subject      string    `json:"subject"`
	Issuer       string    `json:"issuer"`
	SerialNumber string    `json:"serial_number"` // lower-case hex
	NotBefore    time.Time `json:"not_before"`
	NotAfter     time.Time `json:"not_after"`
	Certificates int       `json:"certificates"` // certificates carried in the blob
	Verified     bool      `json:"verified"`     // always false: not verified
}

var oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}

// PKCS#7 / CMS structures (RFC 2315, RFC 5652), decoded only as far as
// needed to find the signer certificate.
type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,optional,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	ContentInfo      asn1.RawValue
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

type signerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    asn1.RawValue
	AuthenticatedAttrs asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm asn1.RawValue
	Signature          []byte
	UnauthAttrs        asn1.RawValue `asn1:"optional,tag:1"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

func (p *parser) signature() {
	d := p.dir(dirSecurity)
	if d.VA == 0 || d.Size == 0 {
		return
	}
	// The security directory holds a file offset, not an RVA.
	off := int64(d.VA)
	if d.Size < 8 || off+int64(d.Size) > p.r.Size {
		p.warnf("security directory at 0x%x: size 0x%x outside the file", off, d.Size)
		return
	}
	h, _ := p.r.Bytes(off, 8)
	length, revision, typ := le.Uint32(h), le.Uint16(h[4:]), le.Uint16(h[6:])
	if typ != 2 { // WIN_CERT_TYPE_PKCS_SIGNED_DATA
		p.warnf("certificate at 0x%x: type 0x%x (revision 0x%x) is not PKCS#7 SignedData", off, typ, revision)
		return
	}
	if length < 8 || length > d.Size {
		p.warnf("certificate at 0x%x: length 0x%x outside the security directory", off, length)
		return
	}
	if length-8 > MaxCertificateSize {
		p.warnf("certificate at 0x%x: %d bytes, larger than the %d-byte limit", off, length, MaxCertificateSize)
		return
	}
	blob, err := p.r.Bytes(off+8, int(length-8))
	if err != nil {
		p.warnf("certificate at 0x%x: %v", off, err)
		return
	}
	sig, err := ParseSignature(blob)
	if err != nil {
		p.warnf("certificate at 0x%x: %v", off, err)
		return
	}
	p.f.Signature = sig
}

// ParseSignature decodes a DER PKCS#7 ContentInfo holding SignedData and
// returns its signer certificate (the certificate named by the first
// SignerInfo's issuer and serial number).
func ParseSignature(der []byte) (*Signature, error) {
	var ci contentInfo
	if _, err := asn1.Unmarshal(der, &ci); err != nil {
		return nil, fmt.Errorf("pkcs7 content info: %w", err)
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, fmt.Errorf("pkcs7 content type %v is not signedData", ci.ContentType)
	}
	var sd signedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("pkcs7 signed data: %w", err)
	}
	certs, err := x509.ParseCertificates(sd.Certificates.Bytes)
	if err != nil {
		return nil, fmt.Errorf("pkcs7 certificates: %w", err)
	}
	if len(sd.SignerInfos) == 0 {
		return nil, errors.New("pkcs7 signed data: no signer info")
	}
	var ias issuerAndSerial
	if _, err := asn1.Unmarshal(sd.SignerInfos[0].SID.FullBytes, &ias); err != nil {
		return nil, fmt.Errorf("pkcs7 signer identifier (subject key identifiers are not supported): %w", err)
	}
	for _, c := range certs {
		if ias.Serial != nil && c.SerialNumber.Cmp(ias.Serial) == 0 && bytes.Equal(c.RawIssuer, ias.Issuer.FullBytes) {
			return &Signature{
				Subject:      c.Subject.String(),
				Issuer:       c.Issuer.String(),
				SerialNumber: fmt.Sprintf("%x", c.SerialNumber),
				NotBefore:    c.NotBefore.UTC(),
				NotAfter:     c.NotAfter.UTC(),
				Certificates: len(certs),
			}, nil
		}
	}
	return nil, fmt.Errorf("pkcs7: signer certificate (serial %x) not among the %d certificates", ias.Serial, len(certs))
}
