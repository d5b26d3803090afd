package webpage

import (
	"net/http"
	"regexp"
)

// cspOrigin is a CSP scheme-source ("com.example.app:") or a host-source
// of scheme, host and port only (CSP Level 3 §2.3.1), with a host of
// letters, digits, "-", ".", "_", "~" or a bracketed IPv6 address.
var cspOrigin = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:(//([A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?)?$`)

// SetHeaders sets the headers every HTML page gets:
//   - a Content-Security-Policy that loads nothing from elsewhere and runs no
//     script at all (default-src 'none'; only our own stylesheet and images),
//     lets forms post only to this site and formTargets, and forbids framing
//     (frame-ancestors 'none', with X-Frame-Options for older browsers):
//     clickjacking a consent or revoke button is the classic attack;
//   - no caching (pages show who is signed in and carry CSRF tokens), no
//     Referer leaving the site (URLs may carry request ids), no MIME
//     sniffing, and a browsing-context group of our own so that a page we
//     open or that opens us cannot reach into it (Cross-Origin-Opener-Policy).
//
// formTargets are origins a form on the page may end up at besides 'self':
// CSP form-action also applies to the redirect that follows a POST, such as
// the consent page's redirect to the client. They come from clients, so a
// target that is not a plain "scheme:" or "scheme://host[:port]" (cspOrigin)
// is dropped rather than trusted to be harmless: ";" would end the
// directive, "," start another policy, a space or "*" widen the list.
func SetHeaders(h http.Header, formTargets ...string) {
	formAction := "'self'"
	for _, t := range formTargets {
		if cspOrigin.MatchString(t) {
			formAction += " " + t
		}
	}
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action "+formAction+
		"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/html; charset=utf-8")
}
