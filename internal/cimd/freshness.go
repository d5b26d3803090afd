package cimd

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// cachePolicy bounds how long a fetched document is reused. The draft asks
// for HTTP caching to be respected (§4.4, RFC 9111) and lets the server set
// its own lower and upper bounds: the lower bound stops a client from making
// us fetch on every request with max-age=0, the upper bound makes sure a
// changed document (new redirect URIs, rotated keys: §6.3) is seen.
type cachePolicy struct {
	min, max, fallback time.Duration
}

// lifetime reports how long a response received at now may be reused, and
// whether it may be kept at all. no-store and an unqualified no-cache keep
// it from being stored (RFC 9111 §5.2.2.4, §5.2.2.5): we do not revalidate,
// so a response that must be revalidated before each use is not reused.
// Otherwise the freshness lifetime is max-age, else Expires minus Date
// (§4.2.1), else the heuristic fallback (§4.2.2); the current age from the
// Age header is taken off (§4.2.3), and the result is clamped to [min, max].
// Invalid freshness information counts as already stale (§4.2.1).
func (p cachePolicy) lifetime(h http.Header, now time.Time) (time.Duration, bool) {
	cc := parseCacheControl(h.Values("Cache-Control"))
	if _, ok := cc["no-store"]; ok {
		return 0, false
	}
	if v, ok := cc["no-cache"]; ok && v == "" {
		return 0, false
	}
	ttl := p.fallback
	if v, ok := cc["max-age"]; ok {
		ttl = deltaSeconds(v)
	} else if exp := h.Get("Expires"); exp != "" {
		ttl = expiresLifetime(exp, h.Get("Date"), now)
	}
	if age := h.Get("Age"); age != "" {
		ttl -= deltaSeconds(age)
	}
	return min(max(ttl, p.min), p.max), true
}

// parseCacheControl splits Cache-Control field lines into directives with
// lower-case names (RFC 9111 §5.2). The first occurrence of a directive
// wins (§4.2.1); quoted values lose their quotes.
func parseCacheControl(lines []string) map[string]string {
	out := make(map[string]string)
	for _, line := range lines {
		for _, part := range splitDirectives(line) {
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			if _, seen := out[name]; !seen {
				out[name] = strings.Trim(strings.TrimSpace(value), `"`)
			}
		}
	}
	return out
}

// splitDirectives splits on commas outside quoted strings, so that
// no-cache="a, b" stays one directive.
func splitDirectives(s string) []string {
	var parts []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// deltaSeconds parses delta-seconds (RFC 9111 §1.2.2); values too large are
// capped at 2^31 seconds, and invalid ones are 0 (stale).
func deltaSeconds(v string) time.Duration {
	if v == "" {
		return 0
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n > 1<<31 {
		n = 1 << 31
	}
	return time.Duration(n) * time.Second
}

// expiresLifetime is Expires minus Date, or minus now when the response
// carries no valid Date (RFC 9111 §4.2.1). An invalid Expires, such as "0",
// means already expired (§5.3).
func expiresLifetime(expires, date string, now time.Time) time.Duration {
	exp, err := http.ParseTime(expires)
	if err != nil {
		return 0
	}
	if d, err := http.ParseTime(date); err == nil {
		now = d
	}
	return exp.Sub(now)
}
