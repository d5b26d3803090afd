package gateway

import (
	"net/http"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
)

// clientOnly are request headers that never reach a backend from a
// client: its credentials (RS5; the DPoP proof is one, RFC 9449 §7) and
// the forwarding headers, which the gateway writes itself.
var clientOnly = []string{"Authorization", "Dpop", "Cookie", "Proxy-Authorization",
	"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Real-Ip"}

// owned are the headers, by normalised name, whose meaning the gateway
// decides: the ones it checked, strips or sets. A client header that only
// normalises to one of them ("Mcp_Session_Id", "X_Forwarded_Host") is
// removed, since servers behind CGI-style gateways (and nginx with
// underscores_in_headers) read it as that header.
var owned = func() map[string]bool {
	m := map[string]bool{"mcp-session-id": true, "mcp-method": true, "mcp-name": true,
		"mcp-protocol-version": true, "last-event-id": true, "content-type": true, "content-length": true, "host": true}
	for _, h := range clientOnly {
		m[normalizeName(h)] = true
	}
	return m
}()

// normalizeName folds a header name the way lenient servers do: case
// ignored, '_' read as '-'.
func normalizeName(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

// stripClientHeaders removes from a request on its way to a backend what
// the client may not send it: its credentials, forwarding headers, the
// gateway's own identity headers (X-Drawbridge-*), and any header that
// only normalises to one of these, to one the gateway checked, or to one
// the backend's credential (cred, and the configured headers) sets.
func (rt *route) stripClientHeaders(h http.Header, cred ...http.Header) {
	for _, name := range clientOnly {
		h.Del(name)
	}
	for name := range h {
		if len(name) >= len(identityPrefix) && strings.EqualFold(name[:len(identityPrefix)], identityPrefix) {
			delete(h, name)
			continue
		}
		if !strings.Contains(name, "_") {
			continue // the common case: nothing to normalise
		}
		norm := normalizeName(name)
		if strings.HasPrefix(norm, identityPrefix) || strings.HasPrefix(norm, "x-forwarded-") || owned[norm] || rt.setsHeader(norm, cred) {
			delete(h, name)
		}
	}
}

// identityPrefix starts the gateway's own identity headers (HeaderSubject…).
const identityPrefix = "x-drawbridge-"

// setsHeader reports whether the gateway sets a header of that normalised
// name for the backend.
func (rt *route) setsHeader(norm string, cred []http.Header) bool {
	for name := range rt.Headers {
		if normalizeName(name) == norm {
			return true
		}
	}
	for _, c := range cred {
		for name := range c {
			if normalizeName(name) == norm {
				return true
			}
		}
	}
	return false
}

// setForwarded tells the backend who asked and at which public address:
// the client's address as the gateway resolved it (trusted proxies only),
// and the host and scheme of the configured public URL — never the
// client's own Host header, which a backend building URLs from it would
// otherwise let the client choose.
func (rt *route) setForwarded(h *headerSetter, in *http.Request) {
	if a := clientaddr.String(in); a != "" {
		h.set("X-Forwarded-For", a)
	}
	h.set("X-Forwarded-Host", rt.publicHost)
	h.set("X-Forwarded-Proto", rt.publicScheme)
}
