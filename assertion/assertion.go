package assertion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Identity is who a request is for, as Drawbridge asserts it.
type Identity struct {
	Subject  string    `json:"sub"`
	Email    string    `json:"email,omitempty"`
	Name     string    `json:"name,omitempty"`
	Groups   []string  `json:"groups,omitempty"`
	ClientID string    `json:"client_id"`
	Scope    string    `json:"scope,omitempty"`
	ID       string    `json:"jti"`
	Expiry   time.Time `json:"-"`
}

// Config configures a Verifier.
type Config struct {
	// Issuer is Drawbridge's public URL (its OAuth issuer).
	Issuer string
	// Audience is this backend's audience, as configured in Drawbridge.
	Audience string
	// JWKSURL defaults to Issuer + "/jwks.json".
	JWKSURL string
	// Header carries the assertion; default Authorization ("Bearer <jwt>").
	// For any other header the value is the bare JWT.
	Header string
	// HTTPClient fetches the keys; default a client with a 10 s timeout.
	HTTPClient *http.Client
	// Leeway tolerates clock skew; default 30 s.
	Leeway time.Duration
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Verifier checks identity assertions. It is safe for concurrent use.
type Verifier struct {
	cfg Config

	mu      sync.Mutex
	keys    *jose.JSONWebKeySet
	fetched time.Time
}

// Errors a verification can return.
var (
	ErrMissing = errors.New("assertion: no identity assertion in the request")
	ErrInvalid = errors.New("assertion: the identity assertion is not valid")
)

// NewVerifier checks the configuration. Keys are fetched on first use.
func NewVerifier(c Config) (*Verifier, error) {
	if c.Issuer == "" || c.Audience == "" {
		return nil, errors.New("assertion: Issuer and Audience are required")
	}
	c.Issuer = strings.TrimSuffix(c.Issuer, "/")
	if c.JWKSURL == "" {
		c.JWKSURL = c.Issuer + "/jwks.json"
	}
	if c.Header == "" {
		c.Header = "Authorization"
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.Leeway == 0 {
		c.Leeway = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Verifier{cfg: c}, nil
}

// FromRequest verifies the assertion a request carries.
func (v *Verifier) FromRequest(r *http.Request) (*Identity, error) {
	raw := r.Header.Get(v.cfg.Header)
	if strings.EqualFold(v.cfg.Header, "Authorization") {
		scheme, tok, ok := strings.Cut(raw, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, ErrMissing
		}
		raw = strings.TrimSpace(tok)
	}
	if raw == "" {
		return nil, ErrMissing
	}
	return v.Verify(r.Context(), raw)
}

// Verify checks one assertion: ES256 only, signed by a published key, typ
// JWT, issued by the issuer for this audience, and unexpired.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Identity, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil || len(tok.Headers) != 1 {
		return nil, ErrInvalid
	}
	if typ, _ := tok.Headers[0].ExtraHeaders[jose.HeaderType].(string); typ != "JWT" {
		// Access tokens (at+jwt) are refused: an assertion is its own type.
		return nil, ErrInvalid
	}
	key, err := v.key(ctx, tok.Headers[0].KeyID)
	if err != nil {
		return nil, err
	}
	var std jwt.Claims
	var id Identity
	if err := tok.Claims(key.Key, &std, &id); err != nil {
		return nil, ErrInvalid
	}
	exp := jwt.Expected{Issuer: v.cfg.Issuer, AnyAudience: jwt.Audience{v.cfg.Audience}, Time: v.cfg.Now()}
	if std.Expiry == nil || std.ValidateWithLeeway(exp, v.cfg.Leeway) != nil || id.Subject == "" {
		return nil, ErrInvalid
	}
	id.Expiry = std.Expiry.Time()
	return &id, nil
}

// key finds a signing key, refetching the set (at most every 30 s) when
// the id is unknown: Drawbridge rotates keys.
func (v *Verifier) key(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys != nil {
		if ks := v.keys.Key(kid); len(ks) > 0 {
			return &ks[0], nil
		}
		if v.cfg.Now().Sub(v.fetched) < 30*time.Second {
			return nil, ErrInvalid
		}
	}
	set, err := v.fetch(ctx)
	if err != nil {
		return nil, err
	}
	v.keys, v.fetched = set, v.cfg.Now()
	if ks := set.Key(kid); len(ks) > 0 {
		return &ks[0], nil
	}
	return nil, ErrInvalid
}

func (v *Verifier) fetch(ctx context.Context) (*jose.JSONWebKeySet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.cfg.JWKSURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("assertion: fetching Drawbridge's keys: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("assertion: fetching Drawbridge's keys: status %d", resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("assertion: Drawbridge's keys: %w", err)
	}
	return &set, nil
}

type ctxKey struct{}

// Middleware lets through only requests with a valid assertion, and puts
// the identity in their context (see FromContext).
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := v.FromRequest(r)
		if err != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"unauthorized"}` + "\n"))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, id)))
	})
}

// FromContext returns the identity Middleware verified, or nil.
func FromContext(ctx context.Context) *Identity {
	id, _ := ctx.Value(ctxKey{}).(*Identity)
	return id
}
