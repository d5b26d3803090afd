package ratelimit

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// MaxKeyLen is the longest key stored as it is. A longer key is replaced by
// "%H" and the unpadded base64url SHA-256 of the key (45 bytes), so what a
// client controls (a long user name, a tool name) cannot grow Redis keys or
// memory without bound. Key's escaping never produces "%H", so a hashed key
// cannot equal a short one built by Key.
const MaxKeyLen = 128

// Key joins parts into one key, unambiguously: "%" and ":" inside a part are
// escaped as "%25" and "%3A" before the parts are joined with ":", so
// Key("a:b", "c") and Key("a", "b:c") differ. Put the kind of each part in the
// key when parts could be confused, for example
//
//	ratelimit.Key("user", subject, "tool", toolName)
//
// The result is at most MaxKeyLen bytes (longer ones are hashed). Key() and
// Key("") are both the empty key.
func Key(parts ...string) string {
	if len(parts) == 1 && !strings.ContainsAny(parts[0], "%:") {
		// Nothing to escape or join: the part is its own key, and is
		// returned without a copy (a per-client limit's key, on every call).
		return storedKey(parts[0])
	}
	n := len(parts)
	for _, p := range parts {
		n += len(p) + 2*strings.Count(p, "%") + 2*strings.Count(p, ":")
	}
	var b strings.Builder
	b.Grow(n)
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(':')
		}
		for j := 0; j < len(p); j++ {
			switch c := p[j]; c {
			case '%':
				b.WriteString("%25")
			case ':':
				b.WriteString("%3A")
			default:
				b.WriteByte(c)
			}
		}
	}
	return storedKey(b.String())
}

// storedKey is the key as the limiters store it: key itself, or its hash
// when it is longer than MaxKeyLen.
func storedKey(key string) string {
	if len(key) <= MaxKeyLen {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "%H" + base64.RawURLEncoding.EncodeToString(sum[:])
}
