// Package seal encrypts the personal fields Guanxi keeps at rest — a
// customer's phone and e-mail, and the copies campaigns and surveys keep of
// them — and gives the keyed hashes those fields are looked up by.
//
// One master key, from the environment (GUANXI_FIELD_KEY), yields two
// subkeys by HKDF: an AES-256-GCM key for the fields and an HMAC-SHA256 key
// for the hashes. A sealed value is "gx1:" and the base64 of a random nonce
// and the ciphertext; the field's name is the associated data, so a phone
// cannot be passed off as an e-mail. SQL may still copy a sealed value from
// one row to another (a merge fills blanks that way), and test it against
// ” (an empty field stays empty and unsealed: "has a phone" stays a SQL
// question). Equality — finding a customer by phone — goes through the
// hash, which is keyed per shop so that one shop's hashes tell nothing
// about another's customers.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
)

// Prefixes mark what a stored value is: a sealed field or a keyed hash.
const (
	SealedPrefix = "gx1:"
	HashPrefix   = "h1:"
)

// KeySize is the master key's length in bytes.
const KeySize = 32

// Keys seals and opens fields and computes their lookup hashes. It is safe
// for concurrent use.
type Keys struct {
	aead cipher.AEAD
	mac  []byte
	fp   string
	// macs keeps keyed HMAC states for reuse: an import hashes every
	// buyer's phone and e-mail, and a fresh HMAC costs more than hashing.
	macs sync.Pool
}

// New derives the field keys from a 32-byte master key.
func New(master []byte) (*Keys, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("seal: the field key must be %d bytes, got %d", KeySize, len(master))
	}
	enc, err := hkdf.Key(sha256.New, master, nil, "guanxi field encryption v1", 32)
	if err != nil {
		return nil, fmt.Errorf("seal: derive the encryption key: %w", err)
	}
	mac, err := hkdf.Key(sha256.New, master, nil, "guanxi field lookup hash v1", 32)
	if err != nil {
		return nil, fmt.Errorf("seal: derive the hash key: %w", err)
	}
	block, err := aes.NewCipher(enc)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	// The fingerprint tells a database which key it was written with, so
	// that starting with another key fails at once instead of reading
	// garbage and hashing lookups that never match. It is derived, one
	// way, from the hash key: it reveals nothing of either key.
	fp := hmac.New(sha256.New, mac)
	fp.Write([]byte("guanxi field key fingerprint"))
	k := &Keys{aead: aead, mac: mac, fp: hex.EncodeToString(fp.Sum(nil)[:16])}
	k.macs.New = func() any { return hmac.New(sha256.New, mac) }
	return k, nil
}

// Parse reads a master key written as 64 hex digits or as base64 (standard
// or URL alphabet, padded or not) of 32 bytes.
func Parse(s string) (*Keys, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("seal: the field key is empty")
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return New(b)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return New(b)
		}
	}
	return nil, fmt.Errorf("seal: the field key must be %d bytes written as 64 hex digits or base64 (try: openssl rand -hex 32)", KeySize)
}

// Generate returns a new random master key as 64 hex digits.
func Generate() string {
	b := make([]byte, KeySize)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Fingerprint names the key without revealing it.
func (k *Keys) Fingerprint() string { return k.fp }

// Seal encrypts the value of a field ("phone", "email", "address"). The
// empty string stays empty.
func (k *Keys) Seal(field, plain string) string {
	if plain == "" {
		return ""
	}
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	rand.Read(nonce)
	out := k.aead.Seal(nonce, nonce, []byte(plain), []byte(field))
	return SealedPrefix + base64.RawStdEncoding.EncodeToString(out)
}

// Open decrypts a value Seal made for the same field. The empty string
// opens to itself; anything else that is not a sealed value of this key
// and field is an error, so a field written unsealed by mistake, or sealed
// with another key, is found rather than shown.
func (k *Keys) Open(field, stored string) (string, error) {
	if stored == "" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(stored, SealedPrefix)
	if !ok {
		return "", fmt.Errorf("seal: the %s field is not sealed", field)
	}
	b, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(b) < k.aead.NonceSize()+k.aead.Overhead() {
		return "", fmt.Errorf("seal: the %s field is damaged", field)
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, b[:n], b[n:], []byte(field))
	if err != nil {
		return "", fmt.Errorf("seal: the %s field does not open with this key", field)
	}
	return string(plain), nil
}

// OpenAll opens several fields in place, stopping at the first error.
func (k *Keys) OpenAll(fields ...*Field) error {
	for _, f := range fields {
		v, err := k.Open(f.Name, *f.Value)
		if err != nil {
			return err
		}
		*f.Value = v
	}
	return nil
}

// Field names a value to open in place.
type Field struct {
	Name  string
	Value *string
}

// Phone and Email are the fields OpenAll opens most often.
func Phone(v *string) *Field { return &Field{"phone", v} }

// Email is the e-mail field of v, for OpenAll.
func Email(v *string) *Field { return &Field{"email", v} }

// Hash is the lookup hash of a normalised value of kind ("phone",
// "email") in a shop: equal values give equal hashes, and without the key
// nobody can tell which value a hash stands for, nor link one shop's
// customers to another's. The empty string hashes to itself.
func (k *Keys) Hash(shopID int64, kind, value string) string {
	if value == "" {
		return ""
	}
	m := k.macs.Get().(hash.Hash)
	defer k.macs.Put(m)
	m.Reset()
	var buf [96]byte
	b := binary.BigEndian.AppendUint64(buf[:0], uint64(shopID))
	b = append(append(append(b, kind...), 0), value...)
	m.Write(b)
	sum := m.Sum(buf[:0])
	out := make([]byte, len(HashPrefix)+base64.RawURLEncoding.EncodedLen(20))
	copy(out, HashPrefix)
	base64.RawURLEncoding.Encode(out[len(HashPrefix):], sum[:20])
	return string(out)
}

// Hashed reports whether an identity of this kind is stored as a keyed
// hash rather than as itself: phones and e-mails are; platform ids, which
// are a platform's pseudonyms already, are kept as given so that they can
// be searched by prefix.
func Hashed(platform, kind string) bool {
	return platform == "" && (kind == "phone" || kind == "email")
}

// IsSealed reports whether a stored value is sealed.
func IsSealed(v string) bool { return strings.HasPrefix(v, SealedPrefix) }
