package tokens

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// Keyring seals and opens secrets at rest with AES-256-GCM. The first key
// seals; every key opens, so keys can be rotated by putting a new one first.
type Keyring struct {
	keys []ringKey
	// derive is the MAC key Derive starts from, made from the first key.
	derive []byte
}

type ringKey struct {
	id   string
	aead cipher.AEAD
}

// RingKey is one keyring entry as configured.
type RingKey struct {
	ID string
	// Key is 32 bytes, standard base64.
	Key string
}

// sealVersion prefixes sealed data so the format can change later.
const sealVersion = 1

var errSealed = errors.New("tokens: sealed data cannot be opened")

// NewKeyring builds a keyring; the first key is used for sealing.
func NewKeyring(keys []RingKey) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("tokens: a keyring needs at least one key")
	}
	r := &Keyring{}
	for _, k := range keys {
		raw, err := base64.StdEncoding.DecodeString(k.Key)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("tokens: key %q must be 32 bytes in standard base64", k.ID)
		}
		if len(k.ID) == 0 || len(k.ID) > 255 {
			return nil, fmt.Errorf("tokens: key id must be 1 to 255 bytes")
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		r.keys = append(r.keys, ringKey{id: k.ID, aead: aead})
		if r.derive == nil {
			r.derive = raw
		}
	}
	return r, nil
}

// Seal encrypts plaintext. aad names what the secret is for (for example
// "signing-key:<kid>"), so a sealed value moved to another row fails to open.
// Layout: version, key-id length, key id, nonce, ciphertext.
func (r *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	k := r.keys[0]
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := make([]byte, 0, 2+len(k.id)+len(nonce)+len(plaintext)+k.aead.Overhead())
	out = append(out, sealVersion, byte(len(k.id)))
	out = append(out, k.id...)
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, plaintext, aad), nil
}

// Open decrypts what Seal produced with any key of the ring.
func (r *Keyring) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < 2 || sealed[0] != sealVersion {
		return nil, errSealed
	}
	idLen := int(sealed[1])
	if len(sealed) < 2+idLen {
		return nil, errSealed
	}
	id, rest := string(sealed[2:2+idLen]), sealed[2+idLen:]
	for _, k := range r.keys {
		if k.id != id {
			continue
		}
		ns := k.aead.NonceSize()
		if len(rest) < ns {
			return nil, errSealed
		}
		pt, err := k.aead.Open(nil, rest[:ns], rest[ns:], aad)
		if err != nil {
			return nil, errSealed
		}
		return pt, nil
	}
	return nil, fmt.Errorf("tokens: sealed with key %q, which is not in the keyring", id)
}

// GenerateKey returns a new random 32-byte key in standard base64.
func GenerateKey() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Current reports whether sealed was sealed with the sealing key (the
// first), so that re-sealing can skip what is already up to date.
func (r *Keyring) Current(sealed []byte) bool {
	id := r.keys[0].id
	return len(sealed) >= 2+len(id) && sealed[0] == sealVersion && int(sealed[1]) == len(id) &&
		string(sealed[2:2+len(id)]) == id
}

// Derive returns a 32-byte key for one purpose, named by label, made from
// the sealing key (HMAC-SHA-256 as a PRF, as in HKDF-Expand, RFC 5869
// §2.3): replicas sharing the keyring derive the same key, and a key
// derived for one purpose says nothing about the sealing key or another
// purpose's key.
func (r *Keyring) Derive(label string) []byte {
	m := hmac.New(sha256.New, r.derive)
	m.Write([]byte("drawbridge derive " + label))
	return m.Sum(nil)
}
