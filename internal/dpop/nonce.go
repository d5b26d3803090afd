package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// DefaultNoncePeriod is how often the server nonce changes.
const DefaultNoncePeriod = 5 * time.Minute

// Nonces makes and checks server-provided nonces (RFC 9449 §8). A nonce
// names a period of time and carries a MAC of it under Key, so every
// replica with the same key makes and accepts the same nonces without
// sharing state; it rotates every Period, and the previous period's nonce
// stays good so that a client holding it is not refused at the boundary.
type Nonces struct {
	Key    []byte
	Period time.Duration // 0: DefaultNoncePeriod
	Now    func() time.Time
}

// nonceMACSize: 128 bits of MAC, truncated from HMAC-SHA-256.
const nonceMACSize = 16

// Current returns the nonce to send in DPoP-Nonce now.
func (n *Nonces) Current() string { return n.make(n.period()) }

// Valid reports whether s is the current or the previous nonce.
func (n *Nonces) Valid(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 8+nonceMACSize {
		return false
	}
	p := n.period()
	got := binary.BigEndian.Uint64(b[:8])
	if got != p && got+1 != p {
		return false
	}
	return hmac.Equal([]byte(n.make(got)), []byte(s))
}

func (n *Nonces) make(period uint64) string {
	b := binary.BigEndian.AppendUint64(nil, period)
	m := hmac.New(sha256.New, n.Key)
	m.Write([]byte("dpop-nonce "))
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(append(b, m.Sum(nil)[:nonceMACSize]...))
}

func (n *Nonces) period() uint64 {
	d := n.Period
	if d == 0 {
		d = DefaultNoncePeriod
	}
	now := time.Now
	if n.Now != nil {
		now = n.Now
	}
	return uint64(now().UnixNano() / int64(d))
}
