package tokens

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// Prefixes make leaked values recognisable (secret scanners, logs).
const (
	PrefixCode         = "dbc_"
	PrefixRefreshToken = "dbr_"
	PrefixClientSecret = "dbs_"
)

// NewOpaque returns prefix followed by 256 random bits in base64url.
// Authorization codes need at least 128 bits (OAuth 2.1 §10.10).
func NewOpaque(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// Hash is how opaque values are stored: hex SHA-256. The values carry 256
// bits of entropy, so a fast hash is enough (no dictionary to attack).
func Hash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// NewID returns a random identifier (128 bits, base32) for rows that are
// not secret: grants, auth requests, key ids.
func NewID() string { return rand.Text() }
