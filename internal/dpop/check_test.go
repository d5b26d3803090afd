package dpop_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/drawbridge-mcp/drawbridge/internal/dpop"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/dpoptest"
)

// memReplay is an in-memory Replay for unit tests; the store's own
// UseOnce is tested by the storage conformance suite.
type memReplay struct {
	mu   sync.Mutex
	seen map[string]time.Time
	fail error
}

func (m *memReplay) UseOnce(_ context.Context, key string, exp, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	if m.seen == nil {
		m.seen = map[string]time.Time{}
	}
	if e, ok := m.seen[key]; ok && e.After(now) {
		return storage.ErrAlreadyUsed
	}
	m.seen[key] = exp
	return nil
}

var t0 = time.Unix(1_800_000_000, 0)

const (
	tokenURL = "https://auth.example.com/token"
	mcpURL   = "https://gw.example.com/mcp"
)

func newChecker() (*dpop.Checker, *memReplay) {
	r := &memReplay{}
	return &dpop.Checker{Replay: r, Now: func() time.Time { return t0 }}, r
}

func client(t *testing.T) *dpoptest.Client {
	c := dpoptest.New(t)
	c.Now = func() time.Time { return t0 }
	return c
}

func TestCheckAccepts(t *testing.T) {
	c := client(t)
	for name, tc := range map[string]struct {
		proofURL, reqURL string
		opt              dpoptest.Options
		token            string
	}{
		"token endpoint":              {tokenURL, tokenURL, dpoptest.Options{}, ""},
		"query and fragment ignored":  {tokenURL + "?a=1#f", tokenURL, dpoptest.Options{}, ""},
		"scheme and host case":        {"HTTPS://Auth.Example.COM/token", tokenURL, dpoptest.Options{}, ""},
		"default port":                {"https://auth.example.com:443/token", tokenURL, dpoptest.Options{}, ""},
		"unreserved percent-encoding": {"https://auth.example.com/%74oken", tokenURL, dpoptest.Options{}, ""},
		"resource with ath":           {mcpURL, mcpURL, dpoptest.Options{Token: "at"}, "at"},
		"iat at the edge of the past": {tokenURL, tokenURL, dpoptest.Options{IssuedAt: t0.Add(-dpop.DefaultMaxAge)}, ""},
		"iat a little in the future":  {tokenURL, tokenURL, dpoptest.Options{IssuedAt: t0.Add(dpop.DefaultLeeway)}, ""},
		"root path empty":             {"https://auth.example.com", "https://auth.example.com/", dpoptest.Options{}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			ch, _ := newChecker()
			method := "POST"
			p, err := ch.Check(t.Context(), dpop.Request{Header: []string{c.Proof(t, method, tc.proofURL, tc.opt)}, Method: method, URL: tc.reqURL, AccessToken: tc.token})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if p.JKT != c.JKT(t) {
				t.Errorf("JKT = %q, want %q", p.JKT, c.JKT(t))
			}
			if err := p.Bound(c.JKT(t)); err != nil {
				t.Errorf("Bound(own key) = %v", err)
			}
		})
	}
}

func TestCheckAlgorithms(t *testing.T) {
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	for _, c := range []*dpoptest.Client{
		{Key: ec384, Alg: jose.ES384}, {Key: rsaKey, Alg: jose.RS256}, {Key: rsaKey, Alg: jose.PS256}, {Key: edKey, Alg: jose.EdDSA},
	} {
		t.Run(string(c.Alg), func(t *testing.T) {
			c.Now = func() time.Time { return t0 }
			ch, _ := newChecker()
			if _, err := ch.Check(t.Context(), dpop.Request{Header: []string{c.Proof(t, "POST", tokenURL, dpoptest.Options{})}, Method: "POST", URL: tokenURL}); err != nil {
				t.Fatalf("Check: %v", err)
			}
		})
	}
}

func TestCheckRefuses(t *testing.T) {
	c := client(t)
	other := client(t)
	ecPriv := c.Key.(*ecdsa.PrivateKey)
	smallRSA, _ := rsa.GenerateKey(rand.Reader, 1024)
	p := func(o dpoptest.Options) []string { return []string{c.Proof(t, "POST", tokenURL, o)} }
	for name, tc := range map[string]struct {
		header []string
		method string
		url    string
		token  string
		want   error
	}{
		"no header":            {nil, "", "", "", dpop.ErrMissing},
		"empty header":         {[]string{" "}, "", "", "", dpop.ErrMissing},
		"two headers":          {append(p(dpoptest.Options{}), p(dpoptest.Options{})...), "", "", "", dpop.ErrMultiple},
		"not a JWT":            {[]string{"abc"}, "", "", "", dpop.ErrMalformed},
		"garbage segments":     {[]string{"a.b.c"}, "", "", "", dpop.ErrMalformed},
		"wrong typ":            {p(dpoptest.Options{Typ: "JWT"}), "", "", "", dpop.ErrType},
		"access token typ":     {p(dpoptest.Options{Typ: "at+jwt"}), "", "", "", dpop.ErrType},
		"private key in jwk":   {p(dpoptest.Options{JWK: &jose.JSONWebKey{Key: ecPriv, Algorithm: "ES256"}}), "", "", "", dpop.ErrKey},
		"another key in jwk":   {p(dpoptest.Options{JWK: &jose.JSONWebKey{Key: other.Key.Public()}}), "", "", "", dpop.ErrSignature},
		"no jti":               {p(dpoptest.Options{Omit: []string{"jti"}}), "", "", "", dpop.ErrClaims},
		"no htm":               {p(dpoptest.Options{Omit: []string{"htm"}}), "", "", "", dpop.ErrClaims},
		"no htu":               {p(dpoptest.Options{Omit: []string{"htu"}}), "", "", "", dpop.ErrClaims},
		"no iat":               {p(dpoptest.Options{Omit: []string{"iat"}}), "", "", "", dpop.ErrClaims},
		"huge jti":             {p(dpoptest.Options{JTI: strings.Repeat("j", 300)}), "", "", "", dpop.ErrClaims},
		"wrong htm":            {p(dpoptest.Options{}), "GET", "", "", dpop.ErrMethod},
		"htm case":             {p(dpoptest.Options{}), "post", "", "", dpop.ErrMethod},
		"wrong htu path":       {p(dpoptest.Options{}), "", "https://auth.example.com/token2", "", dpop.ErrURL},
		"wrong htu host":       {p(dpoptest.Options{}), "", "https://evil.example.com/token", "", dpop.ErrURL},
		"wrong htu scheme":     {p(dpoptest.Options{}), "", "http://auth.example.com/token", "", dpop.ErrURL},
		"wrong htu port":       {p(dpoptest.Options{}), "", "https://auth.example.com:8443/token", "", dpop.ErrURL},
		"stale iat":            {p(dpoptest.Options{IssuedAt: t0.Add(-dpop.DefaultMaxAge - time.Second)}), "", "", "", dpop.ErrTime},
		"future iat":           {p(dpoptest.Options{IssuedAt: t0.Add(dpop.DefaultLeeway + time.Second)}), "", "", "", dpop.ErrTime},
		"no ath with a token":  {p(dpoptest.Options{}), "", "", "at", dpop.ErrAccessHash},
		"ath of another token": {p(dpoptest.Options{Token: "other"}), "", "", "at", dpop.ErrAccessHash},
	} {
		t.Run(name, func(t *testing.T) {
			ch, replay := newChecker()
			req := dpop.Request{Header: tc.header, Method: or(tc.method, "POST"), URL: or(tc.url, tokenURL), AccessToken: tc.token}
			_, err := ch.Check(t.Context(), req)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Check = %v, want %v", err, tc.want)
			}
			if dpop.Code(err) != dpop.CodeInvalidProof {
				t.Errorf("Code = %q, want %q", dpop.Code(err), dpop.CodeInvalidProof)
			}
			if len(replay.seen) != 0 {
				t.Error("a refused proof spent its jti")
			}
		})
	}
	t.Run("symmetric and none algorithms", func(t *testing.T) {
		for _, alg := range []jose.SignatureAlgorithm{jose.HS256, "none"} {
			ch, _ := newChecker()
			_, err := ch.Check(t.Context(), dpop.Request{Header: []string{unsignedOrHMAC(t, alg)}, Method: "POST", URL: tokenURL})
			if !errors.Is(err, dpop.ErrAlgorithm) {
				t.Errorf("%s: Check = %v, want ErrAlgorithm", alg, err)
			}
		}
	})
	t.Run("weak RSA key", func(t *testing.T) {
		w := &dpoptest.Client{Key: smallRSA, Alg: jose.RS256, Now: func() time.Time { return t0 }}
		ch, _ := newChecker()
		_, err := ch.Check(t.Context(), dpop.Request{Header: []string{w.Proof(t, "POST", tokenURL, dpoptest.Options{})}, Method: "POST", URL: tokenURL})
		if !errors.Is(err, dpop.ErrKey) {
			t.Errorf("Check = %v, want ErrKey", err)
		}
	})
}

// unsignedOrHMAC makes a proof a careless or hostile client might send:
// alg none, or HS256 keyed with a shared secret.
func unsignedOrHMAC(t *testing.T, alg jose.SignatureAlgorithm) string {
	claims := map[string]any{"jti": "j", "htm": "POST", "htu": tokenURL, "iat": t0.Unix()}
	if alg == "none" {
		hdr := `{"alg":"none","typ":"dpop+jwt"}`
		body, _ := jsonB64(claims)
		return b64(hdr) + "." + body + "."
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: []byte("0123456789abcdef0123456789abcdef")}, (&jose.SignerOptions{}).WithType("dpop+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestCheckReplay(t *testing.T) {
	c := client(t)
	ch, _ := newChecker()
	proof := c.Proof(t, "POST", tokenURL, dpoptest.Options{})
	req := dpop.Request{Header: []string{proof}, Method: "POST", URL: tokenURL}
	if _, err := ch.Check(t.Context(), req); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if _, err := ch.Check(t.Context(), req); !errors.Is(err, dpop.ErrReplayed) || dpop.Code(err) != dpop.CodeInvalidProof {
		t.Fatalf("second use = %v, want ErrReplayed", err)
	}
	// The same jti under another key is another proof: no client can
	// spend another's jti.
	o := client(t)
	if _, err := ch.Check(t.Context(), dpop.Request{Header: []string{o.Proof(t, "POST", tokenURL, dpoptest.Options{JTI: "shared"})}, Method: "POST", URL: tokenURL}); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.Check(t.Context(), dpop.Request{Header: []string{c.Proof(t, "POST", tokenURL, dpoptest.Options{JTI: "shared"})}, Method: "POST", URL: tokenURL}); err != nil {
		t.Fatalf("same jti, other key: %v", err)
	}
}

func TestCheckStoreFailure(t *testing.T) {
	c := client(t)
	ch, replay := newChecker()
	replay.fail = errors.New("connection refused")
	_, err := ch.Check(t.Context(), dpop.Request{Header: []string{c.Proof(t, "POST", tokenURL, dpoptest.Options{})}, Method: "POST", URL: tokenURL})
	if !errors.Is(err, dpop.ErrUnavailable) {
		t.Fatalf("Check = %v, want ErrUnavailable", err)
	}
}

func TestBoundRefusesAnotherKey(t *testing.T) {
	p := &dpop.Proof{JKT: "abc"}
	for _, jkt := range []string{"", "abd", "ab"} {
		if err := p.Bound(jkt); !errors.Is(err, dpop.ErrKeyMismatch) {
			t.Errorf("Bound(%q) = %v, want ErrKeyMismatch", jkt, err)
		}
	}
}

func TestNonces(t *testing.T) {
	now := t0
	n := &dpop.Nonces{Key: []byte("k"), Now: func() time.Time { return now }}
	c := client(t)
	ch, _ := newChecker()
	ch.Nonces = n
	check := func(o dpoptest.Options) error {
		_, err := ch.Check(t.Context(), dpop.Request{Header: []string{c.Proof(t, "POST", tokenURL, o)}, Method: "POST", URL: tokenURL})
		return err
	}
	if err := check(dpoptest.Options{}); !errors.Is(err, dpop.ErrNonce) || dpop.Code(err) != dpop.CodeUseNonce {
		t.Fatalf("no nonce: %v (%s), want use_dpop_nonce", err, dpop.Code(err))
	}
	first := n.Current()
	if err := check(dpoptest.Options{Nonce: first}); err != nil {
		t.Fatalf("current nonce: %v", err)
	}
	now = now.Add(dpop.DefaultNoncePeriod)
	if n.Current() == first {
		t.Fatal("the nonce did not rotate")
	}
	if err := check(dpoptest.Options{Nonce: first}); err != nil {
		t.Fatalf("previous nonce: %v", err)
	}
	now = now.Add(dpop.DefaultNoncePeriod)
	if err := check(dpoptest.Options{Nonce: first}); !errors.Is(err, dpop.ErrNonce) {
		t.Fatalf("nonce two periods old: %v, want ErrNonce", err)
	}
	forged := (&dpop.Nonces{Key: []byte("other"), Now: n.Now}).Current()
	if err := check(dpoptest.Options{Nonce: forged}); !errors.Is(err, dpop.ErrNonce) {
		t.Fatalf("nonce under another key: %v, want ErrNonce", err)
	}
	// Replicas with the same key agree.
	if !(&dpop.Nonces{Key: []byte("k"), Now: n.Now}).Valid(n.Current()) {
		t.Fatal("a replica with the same key refused the nonce")
	}
}

func TestNormalizeURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://A.example/x?q#f":    "https://a.example/x",
		"http://a.example:80":        "http://a.example/",
		"https://a.example:8443/%7e": "https://a.example:8443/~",
		"https://a.example/a%2fb":    "https://a.example/a%2Fb",
		"https://a.example:/x":       "https://a.example/x",
	} {
		if got, ok := dpop.NormalizeURL(in); !ok || got != want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"ftp://a/x", "/relative", "https://user:pw@a/x", "https://a/%zz", "mailto:x@y"} {
		if got, ok := dpop.NormalizeURL(bad); ok {
			t.Errorf("NormalizeURL(%q) = %q, want refused", bad, got)
		}
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
