package cimd

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// Options configures a Fetcher. The zero value is a safe production
// configuration; zero fields take the defaults named below.
type Options struct {
	// AllowPrivateNetworks lets documents come from loopback, private and
	// other special-use addresses. Tests and local development only: the
	// draft allows it only when the server itself runs on loopback (§6.5).
	AllowPrivateNetworks bool
	// AllowDomains and DenyDomains are the domain trust policy (§6.8): each
	// entry is a host name ("app.example.com"), "*.example.com" for every
	// name below example.com (not example.com itself), or an IP literal.
	// Deny wins; an empty AllowDomains allows every host not denied.
	AllowDomains []string
	DenyDomains  []string
	// Timeout bounds a whole fetch: resolving, connecting, TLS, headers and
	// body. Default 5s.
	Timeout time.Duration
	// MaxBytes bounds a document; longer responses are refused while they
	// are read. Default 5 KiB, the draft's recommendation (§6.6).
	MaxBytes int64
	// MinCacheTTL and MaxCacheTTL bound how long a document is reused,
	// whatever its Cache-Control or Expires say (§4.4); DefaultCacheTTL is
	// used when the response says nothing. Defaults 1m, 24h and 10m.
	// no-store and no-cache responses are never reused.
	MinCacheTTL     time.Duration
	MaxCacheTTL     time.Duration
	DefaultCacheTTL time.Duration
	// FailureTTL is how long a failed fetch or an invalid document is
	// remembered, so that a broken or hostile client cannot make us fetch on
	// every request. Default config.DefaultMetadataFailureTTL; negative
	// turns it off. See doc.go for how
	// this relates to §4.4.
	FailureTTL time.Duration
	// MaxEntries bounds each of the two caches (documents and failures).
	// Default 1000.
	MaxEntries int
	// HostFetches bounds the requests sent to one host name (documents, and
	// whatever is fetched with Client, such as a jwks_uri) in any
	// HostWindow, and the new connections to one resolved address (an IPv6
	// address by its /64) in any HostWindow; further ones fail at once
	// (KindFetch, "could not be fetched now") and are not remembered as
	// failures. Defaults config.DefaultMetadataHostFetches and
	// config.DefaultMetadataHostWindow; negative HostFetches: no limit.
	HostFetches int
	HostWindow  time.Duration
	// HostConcurrency bounds the requests in flight to one host name.
	// Default config.DefaultMetadataHostConcurrency; negative: no limit.
	HostConcurrency int
	// RedirectPolicy is applied to every redirect URI, as at the
	// registration endpoint.
	RedirectPolicy oauth.RedirectPolicy
	// UserAgent identifies us to the client's server. Default
	// "Drawbridge-CIMD/1".
	UserAgent string
	// RootCAs verifies the client's TLS certificate; nil means the system
	// roots. Tests set it to their server's certificate.
	RootCAs *x509.CertPool
	// Resolver resolves host names; nil means net.DefaultResolver. Tests map
	// names to addresses with it.
	Resolver Resolver
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives one line per fetch; nil discards.
	Log *slog.Logger

	// dial replaces the network dial to an already checked address (tests:
	// send "public" addresses to a loopback test server).
	dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// Resolver is the part of *net.Resolver that the Fetcher uses.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DefaultUserAgent is sent when Options.UserAgent is empty.
const DefaultUserAgent = "Drawbridge-CIMD/1"

func (o *Options) setDefaults() error {
	if o.Timeout < 0 || o.MaxBytes < 0 || o.MinCacheTTL < 0 || o.MaxCacheTTL < 0 || o.DefaultCacheTTL < 0 || o.MaxEntries < 0 || o.HostWindow < 0 {
		return errors.New("cimd: negative limit in Options")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.Timeout, 5*time.Second)
	def(&o.MinCacheTTL, time.Minute)
	def(&o.MaxCacheTTL, 24*time.Hour)
	def(&o.DefaultCacheTTL, 10*time.Minute)
	def(&o.FailureTTL, config.DefaultMetadataFailureTTL)
	def(&o.HostWindow, config.DefaultMetadataHostWindow)
	if o.HostFetches == 0 {
		o.HostFetches = config.DefaultMetadataHostFetches
	}
	if o.HostConcurrency == 0 {
		o.HostConcurrency = config.DefaultMetadataHostConcurrency
	}
	if o.MinCacheTTL > o.MaxCacheTTL {
		return errors.New("cimd: MinCacheTTL is greater than MaxCacheTTL")
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = 5 << 10
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = 1000
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}
