package snippets

import (
	"github.com/drawbridge-mcp/drawbridge/assertion"

	"errors"
	"log/slog"
	"strings"
)

// DefaultKeyHeader is the header Azure Functions reads its function key
// from; using the same name lets clients written for the Microsoft sample
// talk to this one unchanged.
const DefaultKeyHeader = "x-functions-key"

// Options configures a [Server].
type Options struct {
	// DataDir is the directory holding one file per snippet. It is created
	// (mode 0700) if missing. Required.
	DataDir string

	// Key is the shared secret every request must carry in KeyHeader.
	// Required unless InsecureNoKey is set. It is never logged or echoed.
	Key string

	// KeyHeader names the request header that carries Key.
	// Empty means [DefaultKeyHeader].
	KeyHeader string

	// InsecureNoKey allows an empty Key, so that any caller that can reach
	// the listener may use the server. Identity headers are then ignored,
	// because nothing vouches for whoever set them. It has no effect when
	// Key is set.
	InsecureNoKey bool

	// Stateless serves each request without an MCP session (no
	// Mcp-Session-Id, no GET stream). The default is stateful, legacy-era
	// sessions; only stateless mode also negotiates protocol 2026-07-28.
	Stateless bool

	// Assertion, when set, requires every request to carry a Drawbridge
	// identity assertion (auth mode identity_assertion) and takes the
	// caller's identity from it rather than from plain headers: proof
	// instead of trust.
	Assertion *assertion.Verifier

	// Logger receives operational messages. Nil discards them.
	Logger *slog.Logger
}

// withDefaults returns a copy with empty fields filled in, or every problem
// with the options at once.
func (o Options) withDefaults() (Options, error) {
	if o.KeyHeader == "" {
		o.KeyHeader = DefaultKeyHeader
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var errs []error
	if o.DataDir == "" {
		errs = append(errs, errors.New("snippets: DataDir is required"))
	}
	if o.Key == "" && !o.InsecureNoKey {
		errs = append(errs, errors.New("snippets: Key is required (or set InsecureNoKey)"))
	}
	if !validHeaderName(o.KeyHeader) {
		// The header name is not secret, but quoting it is pointless: it is
		// either the caller's typo or something they can see themselves.
		errs = append(errs, errors.New("snippets: KeyHeader is not a valid HTTP header name"))
	}
	return o, errors.Join(errs...)
}

// validHeaderName applies RFC 9110's token rule (section 5.1), so a bad flag
// fails at start-up instead of silently never matching any request.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}
