package doctor

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// Options adjust a run.
type Options struct {
	// RootCAs are the certificate authorities trusted for TLS; nil means
	// the system's.
	RootCAs *x509.CertPool
	// Timeout bounds each request; default 10 seconds.
	Timeout time.Duration
	// StreamDelay is the gap asked between the test stream's two events:
	// whole seconds from MinStreamDelay to MaxStreamDelay; default
	// DefaultStreamDelay.
	StreamDelay time.Duration
	// Origin, when set, is the origin of a browser-based client whose
	// access to the MCP endpoint itself the cors check verifies.
	Origin string
	// Now is this machine's clock (tests inject one); default time.Now.
	Now func() time.Time
}

// maxRun bounds a whole run, whatever the server does: every request has
// its own timeout too.
const maxRun = 3 * time.Minute

// run is the state one diagnosis builds up, check by check.
type run struct {
	opt Options
	c   *client
	// mcp is the MCP endpoint's URL; reached its origin, where the doctor
	// talks to the deployment. advertised is the origin the server's own
	// URLs (resource metadata, resource) are on, when it differs.
	mcp, reached, advertised string
	// down says why nothing more can be checked; empty while all is well.
	down string

	challenge *oauth.BearerChallenge
	prmURL    string
	prm       *oauth.ProtectedResourceMetadata
	issuer    string
	// as is the authorization server's metadata; asDocs each document
	// fetched (RFC 8414, OpenID Connect discovery) by its URL.
	as     *oauth.AuthServerMetadata
	asDocs []asDoc
	// registered is the registration endpoint's answer to the empty
	// registration, sent with probeOrigin.
	registered *response
	// gatewayTime is the server's own clock, from the test stream.
	gatewayTime *dateSeen

	results map[string]*result
}

// Run checks the deployment at rawURL from the outside, as an MCP client
// would, and reports on every check. rawURL is an MCP endpoint's URL or a
// bare origin, whose endpoint is then discovered from the root protected
// resource metadata. The error is for a URL or option that cannot be used
// at all; everything the server does wrong is in the report.
func Run(ctx context.Context, rawURL string, opt Options) (*Report, error) {
	target, err := parseTarget(rawURL)
	if err != nil {
		return nil, err
	}
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, maxRun)
	defer cancel()
	r := &run{opt: opt, mcp: rawURL, reached: origin(rawURL), results: map[string]*result{}}
	for _, n := range Names {
		r.results[n] = &result{name: n}
	}
	r.checkURL(target)
	insecure := r.checkTLS(ctx, target)
	r.c = newClient(opt.RootCAs, opt.Timeout, opt.Now, insecure)
	defer r.c.close()
	if bare(target) {
		r.discover(ctx)
	}
	r.checkChallenge(ctx)
	r.checkResourceMetadata(ctx)
	r.checkPublicURL()
	r.checkWellKnown(ctx)
	r.checkScopes()
	r.checkAuthorizationServer(ctx)
	r.checkIssuer()
	r.checkRegistration(ctx)
	r.checkCORS(ctx)
	r.checkStream(ctx)
	r.checkClock()
	return r.report(rawURL), nil
}

func (o *Options) defaults() error {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.StreamDelay == 0 {
		o.StreamDelay = DefaultStreamDelay
	}
	if o.StreamDelay < MinStreamDelay || o.StreamDelay > MaxStreamDelay || o.StreamDelay%time.Second != 0 {
		return fmt.Errorf("the stream delay must be whole seconds from %v to %v", MinStreamDelay, MaxStreamDelay)
	}
	if o.Origin != "" && origin(o.Origin) != o.Origin {
		return errors.New("--origin must be an origin such as https://app.example.com (scheme and host, no path)")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// result returns the named check's result; a check that cannot run
// because the deployment is out of reach says so and gets nil.
func (r *run) result(name string) *result {
	res := r.results[name]
	if r.down != "" {
		res.skip(r.down)
		return nil
	}
	return res
}

func (r *run) report(rawURL string) *Report {
	rep := &Report{Format: 1, URL: rawURL, MCP: r.mcp}
	for _, n := range Names {
		c := r.results[n].check()
		switch c.Status {
		case Problem:
			rep.Problems++
		case Warn:
			rep.Warnings++
		}
		rep.Checks = append(rep.Checks, c)
	}
	return rep
}
