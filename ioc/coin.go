package ioc

import (
	"crypto/sha256"
	"math/bits"
	"strings"

	"golang.org/x/crypto/sha3"
)

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var base58Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base58Alphabet); i++ {
		t[base58Alphabet[i]] = int8(i)
	}
	return t
}()

// base58Decode decodes Bitcoin's base58 (big-endian big number, leading
// "1"s are zero bytes).
func base58Decode(s string) ([]byte, bool) {
	if len(s) == 0 || len(s) > 128 {
		return nil, false
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	// log(58)/log(256) < 0.733
	b := make([]byte, len(s)*733/1000+1)
	for i := zeros; i < len(s); i++ {
		v := base58Value[s[i]]
		if v < 0 {
			return nil, false
		}
		carry := int(v)
		for j := len(b) - 1; j >= 0; j-- {
			carry += 58 * int(b[j])
			b[j] = byte(carry)
			carry >>= 8
		}
		if carry != 0 {
			return nil, false
		}
	}
	k := 0
	for k < len(b) && b[k] == 0 {
		k++
	}
	return append(make([]byte, zeros), b[k:]...), true
}

// ValidBitcoin reports whether s is a Bitcoin address whose checksum
// holds: base58check with version 0 (P2PKH, "1..."), 5 (P2SH, "3...") or
// their testnet versions 111 and 196; or a segwit address (bech32 for
// witness version 0, bech32m for later versions, BIP 173 and BIP 350) with
// human-readable part "bc" or "tb".
func ValidBitcoin(s string) bool {
	if len(s) < 14 || len(s) > 90 {
		return false
	}
	l := strings.ToLower(s)
	if strings.HasPrefix(l, "bc1") || strings.HasPrefix(l, "tb1") {
		return validSegwit(s)
	}
	if len(s) < 25 || len(s) > 35 {
		return false
	}
	b, ok := base58Decode(s)
	if !ok || len(b) != 25 {
		return false
	}
	switch b[0] {
	case 0, 5, 111, 196:
	default:
		return false
	}
	h := sha256.Sum256(b[:21])
	h = sha256.Sum256(h[:])
	return string(h[:4]) == string(b[21:])
}

func normalizeBitcoin(v string) (string, bool) {
	if !ValidBitcoin(v) {
		return "", false
	}
	l := strings.ToLower(v)
	if strings.HasPrefix(l, "bc1") || strings.HasPrefix(l, "tb1") {
		return l, true
	}
	return v, true
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := 0; i < 5; i++ {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

func validSegwit(s string) bool {
	if s != strings.ToLower(s) && s != strings.ToUpper(s) {
		return false // BIP 173: mixed case is invalid
	}
	s = strings.ToLower(s)
	sep := strings.LastIndexByte(s, '1')
	if sep < 1 || sep+7 > len(s) {
		return false
	}
	hrp, data := s[:sep], s[sep+1:]
	values := make([]byte, 0, 2*len(hrp)+1+len(data))
	for i := 0; i < len(hrp); i++ {
		values = append(values, hrp[i]>>5)
	}
	values = append(values, 0)
	for i := 0; i < len(hrp); i++ {
		values = append(values, hrp[i]&31)
	}
	for i := 0; i < len(data); i++ {
		j := strings.IndexByte(bech32Charset, data[i])
		if j < 0 {
			return false
		}
		values = append(values, byte(j))
	}
	witver := values[2*len(hrp)+1]
	if witver > 16 {
		return false
	}
	want := uint32(1) // bech32
	if witver > 0 {
		want = 0x2bc830a3 // bech32m
	}
	if bech32Polymod(values) != want {
		return false
	}
	// The program (between the version and the checksum) is 2 to 40
	// bytes; version 0 programs are 20 or 32 bytes.
	bits := (len(data) - 1 - 6) * 5
	n := bits / 8
	if n < 2 || n > 40 || witver == 0 && n != 20 && n != 32 {
		return false
	}
	return true
}

// moneroBlockLen maps the length of a final base58 block of Monero's
// encoding to the number of bytes it holds.
var moneroBlockLen = map[int]int{0: 0, 2: 1, 3: 2, 5: 3, 6: 4, 7: 5, 9: 6, 10: 7, 11: 8}

// ValidMonero reports whether s is a Monero address (standard or
// subaddress, 95 characters, or integrated, 106) whose checksum holds:
// Monero's block base58 (8 bytes to 11 characters) decodes to a network
// byte, the keys and 4 bytes that must equal the start of the Keccak-256
// (pre-standard SHA-3) of the rest.
func ValidMonero(s string) bool {
	if len(s) != 95 && len(s) != 106 || s[0] != '4' && s[0] != '8' {
		return false
	}
	var out []byte
	for i := 0; i < len(s); i += 11 {
		blk := s[i:min(i+11, len(s))]
		n, ok := moneroBlockLen[len(blk)]
		if !ok {
			return false
		}
		var num uint64
		for j := 0; j < len(blk); j++ {
			v := base58Value[blk[j]]
			if v < 0 {
				return false
			}
			hi, lo := bits.Mul64(num, 58)
			if hi != 0 {
				return false
			}
			num = lo + uint64(v)
			if num < lo {
				return false
			}
		}
		if n < 8 && num>>(8*uint(n)) != 0 {
			return false
		}
		for j := n - 1; j >= 0; j-- {
			out = append(out, byte(num>>(8*uint(j))))
		}
	}
	if len(out) < 5 {
		return false
	}
	h := sha3.NewLegacyKeccak256()
	h.Write(out[:len(out)-4])
	sum := h.Sum(nil)
	return string(sum[:4]) == string(out[len(out)-4:])
}
