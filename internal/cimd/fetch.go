package cimd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/drawbridge-mcp/drawbridge/internal/lru"
)

// Fetcher retrieves, validates and caches client ID metadata documents.
// It is safe for concurrent use.
type Fetcher struct {
	opt    Options
	hosts  hostPolicy
	ttl    cachePolicy
	client *http.Client
	docs   *lru.Cache[*Document]
	fails  *lru.Cache[*Error]
	limits *hostLimits
	flight singleflight.Group
	// joined, when set by a test, is called once a caller has joined the
	// fetch for clientID (started it or attached to the one under way).
	joined func(clientID string)
}

// New returns a Fetcher. It fails only for invalid Options.
func New(o Options) (*Fetcher, error) {
	if err := o.setDefaults(); err != nil {
		return nil, err
	}
	hosts, err := newHostPolicy(o.AllowDomains, o.DenyDomains)
	if err != nil {
		return nil, fmt.Errorf("cimd: %w", err)
	}
	f := &Fetcher{
		opt:    o,
		hosts:  hosts,
		ttl:    cachePolicy{min: o.MinCacheTTL, max: o.MaxCacheTTL, fallback: o.DefaultCacheTTL},
		docs:   lru.New[*Document](o.MaxEntries),
		fails:  lru.New[*Error](o.MaxEntries),
		limits: newHostLimits(o.HostFetches, o.HostWindow, o.HostConcurrency, o.Now),
	}
	f.client = &http.Client{
		Transport: &limitedTransport{limits: f.limits, next: f.transport()},
		// §4: redirects are never followed; a 3xx is an error response.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		// No Jar: no cookies are kept or sent.
	}
	return f, nil
}

func (f *Fetcher) transport() *http.Transport {
	return &http.Transport{
		// Never a proxy from the environment: it would connect to the
		// client's host for us, after our address check.
		Proxy:                  nil,
		DialContext:            f.dialContext,
		TLSClientConfig:        &tls.Config{RootCAs: f.opt.RootCAs, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    f.opt.Timeout,
		ResponseHeaderTimeout:  f.opt.Timeout,
		MaxResponseHeaderBytes: 16 << 10,
		// The size cap counts bytes as sent; no transparent gzip.
		DisableCompression:  true,
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     30 * time.Second,
	}
}

// Client returns an HTTP client with the same defences as document fetches:
// connections only to public addresses (unless AllowPrivateNetworks), pinned
// to the checked address, no proxy, no redirects, no cookies. Use it for URLs
// found in documents, such as jwks_uri (§6.5), with your own timeout and
// size limit.
func (f *Fetcher) Client() *http.Client {
	c := *f.client
	return &c
}

// Fetch returns the validated document for clientID, from the cache when it
// is fresh. Concurrent calls for the same clientID share one request, which
// carries on when a caller's ctx ends. Every error is an *Error.
func (f *Fetcher) Fetch(ctx context.Context, clientID string) (*Document, error) {
	u, err := parseClientID(clientID)
	if err != nil {
		return nil, errorf(KindInvalidClientID, nil, err.Error())
	}
	if !f.hosts.allowed(u.Hostname()) {
		return nil, errorf(KindForbidden, nil, "this authorization server does not accept clients from this host")
	}
	if d, err := f.cached(clientID); d != nil || err != nil {
		return d, err
	}
	ch := f.flight.DoChan(clientID, func() (any, error) {
		return f.fetchAndRemember(context.WithoutCancel(ctx), clientID)
	})
	if f.joined != nil {
		f.joined(clientID)
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, copyError(r.Err)
		}
		return r.Val.(*Document).clone(), nil
	case <-ctx.Done():
		return nil, errorf(KindFetch, ctx.Err(), "the request ended before the client metadata document arrived")
	}
}

// Forget drops what is cached for clientID, so the next Fetch retrieves it.
func (f *Fetcher) Forget(clientID string) {
	f.docs.Remove(clientID)
	f.fails.Remove(clientID)
}

// cached returns a copy of a fresh document or of a remembered failure,
// or neither.
func (f *Fetcher) cached(clientID string) (*Document, error) {
	now := f.opt.Now()
	if d, ok := f.docs.Get(clientID, now); ok {
		return d.clone(), nil
	}
	if e, ok := f.fails.Get(clientID, now); ok {
		return nil, copyError(e)
	}
	return nil, nil
}

// copyError gives each caller its own *Error, so that none can change what
// another caller, or the failure cache, holds.
func copyError(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	return &c
}

func (f *Fetcher) fetchAndRemember(ctx context.Context, clientID string) (*Document, error) {
	// A fetch that ended just before this one started may have stored.
	if d, err := f.cached(clientID); d != nil || err != nil {
		return d, err
	}
	body, header, err := f.retrieve(ctx, clientID)
	now := f.opt.Now()
	var doc *Document
	if err == nil {
		doc, err = ParseDocument(clientID, body, f.opt.RedirectPolicy)
	}
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = errorf(KindFetch, err, "could not retrieve the client metadata document")
		}
		// A host limit's refusal says nothing about the document.
		if f.opt.FailureTTL > 0 && !errors.Is(e, errHostLimited) {
			f.fails.Put(clientID, e, now.Add(f.opt.FailureTTL))
		}
		f.opt.Log.Info("client metadata document refused", "client_id", clientID, "kind", e.Kind.String(), "err", e)
		return nil, e
	}
	ttl, store := f.ttl.lifetime(header, now)
	doc.FetchedAt, doc.ExpiresAt = now, now
	if store {
		doc.ExpiresAt = now.Add(ttl)
		f.docs.Put(clientID, doc, doc.ExpiresAt)
	}
	f.fails.Remove(clientID)
	f.opt.Log.Info("client metadata document fetched", "client_id", clientID, "client_name", doc.ClientName,
		"cached_for", doc.ExpiresAt.Sub(now), "only_loopback_redirects", doc.OnlyLoopbackRedirects)
	return doc, nil
}

// retrieve GETs the document: 200 only (§4), a JSON content type (§4.1),
// at most MaxBytes counted while reading (§6.6), all within Timeout.
func (f *Fetcher) retrieve(ctx context.Context, clientID string) ([]byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, f.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, clientID, nil)
	if err != nil {
		return nil, nil, errorf(KindInvalidClientID, err, "client_id is not a valid URL")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", f.opt.UserAgent)
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, nil, transportError(ctx, err)
	}
	defer resp.Body.Close()
	if err := checkResponse(resp, f.opt.MaxBytes); err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.opt.MaxBytes+1))
	if err == nil && ctx.Err() != nil {
		// A body cut off by the deadline can read as a clean EOF.
		err = ctx.Err()
	}
	if err != nil {
		return nil, nil, transportError(ctx, err)
	}
	if int64(len(body)) > f.opt.MaxBytes {
		return nil, nil, tooLarge(f.opt.MaxBytes)
	}
	return body, resp.Header, nil
}

func checkResponse(resp *http.Response, maxBytes int64) error {
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return errorf(KindFetch, fmt.Errorf("status %d, Location %q", resp.StatusCode, resp.Header.Get("Location")),
			"the client metadata document URL answered with a redirect; redirects are not followed")
	case resp.StatusCode != http.StatusOK:
		return errorf(KindFetch, nil, fmt.Sprintf("the client metadata document URL answered with HTTP status %d instead of 200", resp.StatusCode))
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || !jsonMediaType(mt) {
		return errorf(KindFetch, fmt.Errorf("Content-Type %q", ct),
			"the client metadata document must be served as application/json")
	}
	if resp.ContentLength > maxBytes {
		return tooLarge(maxBytes)
	}
	return nil
}

// jsonMediaType: application/json, or a more specific application/...+json
// type (§4.1).
func jsonMediaType(mt string) bool {
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

func tooLarge(maxBytes int64) *Error {
	return errorf(KindFetch, nil, fmt.Sprintf("the client metadata document is larger than %d bytes", maxBytes))
}

// transportError keeps our own dial errors (a forbidden address, a name
// that does not resolve) and says "timed out" or "could not connect" for
// the rest, which can carry addresses and TLS detail.
func transportError(ctx context.Context, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ne net.Error
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return errorf(KindFetch, err, "timed out fetching the client metadata document")
	}
	return errorf(KindFetch, err, "could not connect to the client's host")
}
