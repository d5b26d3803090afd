package oauthclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

func TestNewChecksOptions(t *testing.T) {
	t.Parallel()
	cc := oidctest.NewClientCertificate(t, nil)
	cert := &Certificate{Leaf: cc.Cert, Key: cc.Key}
	tests := []struct {
		name    string
		o       Options
		wantErr string // "" means accepted
	}{
		{"secret over https", Options{Name: "b", TokenURL: "https://sts.example/token", ClientID: "c", ClientSecret: "s"}, ""},
		{"http on loopback", Options{Name: "b", TokenURL: "http://127.0.0.1:9/token", ClientID: "c"}, ""},
		// RFC 6749, section 3.2: the endpoint URI MAY include a query.
		{"query allowed", Options{Name: "b", TokenURL: "https://b2c.example/token?p=b2c_1_signin", ClientID: "c"}, ""},
		// ... and MUST NOT include a fragment.
		{"fragment refused", Options{Name: "b", TokenURL: "https://sts.example/token#x", ClientID: "c"}, "fragment"},
		{"plain http refused", Options{Name: "b", TokenURL: "http://sts.example/token", ClientID: "c"}, "https"},
		{"relative URL refused", Options{Name: "b", TokenURL: "/token", ClientID: "c"}, "absolute"},
		{"no client id", Options{Name: "b", TokenURL: "https://sts.example/token"}, "client_id is empty"},
		{"secret and certificate", Options{Name: "b", TokenURL: "https://sts.example/token", ClientID: "c", ClientSecret: "s", Certificate: cert}, "both set"},
		{"certificate without key", Options{Name: "b", TokenURL: "https://sts.example/token", ClientID: "c", Certificate: &Certificate{Leaf: cc.Cert}}, "needs both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.o)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("New: %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

// tokenEndpoint records the last request and answers with status and body.
type tokenEndpoint struct {
	status int
	body   string
	got    *http.Request
	form   url.Values
}

func (e *tokenEndpoint) start(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("ParseForm: %v", err)
		}
		e.got, e.form = r, r.PostForm
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(e.status)
		_, _ = w.Write([]byte(e.body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/token"
}

func TestTokenAuthenticatesAsRegistered(t *testing.T) {
	t.Parallel()
	cc := oidctest.NewClientCertificate(t, nil)
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		o     Options
		check func(t *testing.T, e *tokenEndpoint, tokenURL string)
	}{
		{"client_secret_basic", Options{ClientSecret: "s3cret", BasicAuth: true}, func(t *testing.T, e *tokenEndpoint, _ string) {
			if u, p, ok := e.got.BasicAuth(); !ok || u != "backend-client" || p != "s3cret" {
				t.Errorf("basic auth = %q %q %v", u, p, ok)
			}
			if e.form.Has("client_secret") {
				t.Error("secret sent in the form too")
			}
		}},
		{"client_secret_post", Options{ClientSecret: "s3cret"}, func(t *testing.T, e *tokenEndpoint, _ string) {
			if e.form.Get("client_secret") != "s3cret" || e.form.Get("client_id") != "backend-client" {
				t.Errorf("form = %v", e.form)
			}
		}},
		// Entra takes the secret in the form even when Basic is asked for.
		{"Entra secret in the form", Options{ClientSecret: "s3cret", BasicAuth: true, Entra: true}, func(t *testing.T, e *tokenEndpoint, _ string) {
			if _, _, ok := e.got.BasicAuth(); ok || e.form.Get("client_secret") != "s3cret" {
				t.Errorf("basic=%v form=%v", ok, e.form)
			}
		}},
		{"private_key_jwt", Options{Certificate: &Certificate{Leaf: cc.Cert, Key: cc.Key}}, func(t *testing.T, e *tokenEndpoint, tokenURL string) {
			if e.form.Get("client_assertion_type") != ClientAssertionType {
				t.Fatalf("client_assertion_type = %q", e.form.Get("client_assertion_type"))
			}
			tok, err := jwt.ParseSigned(e.form.Get("client_assertion"), assertionAlgs())
			if err != nil {
				t.Fatal(err)
			}
			var c jwt.Claims
			if err := tok.Claims(cc.Key.Public(), &c); err != nil {
				t.Fatal(err)
			}
			// RFC 7523, section 3: iss = sub = client_id, aud = the token endpoint.
			if c.Issuer != "backend-client" || c.Subject != "backend-client" || len(c.Audience) != 1 || c.Audience[0] != tokenURL {
				t.Errorf("claims = %+v", c)
			}
			if !c.IssuedAt.Time().Equal(now) {
				t.Errorf("iat = %v, want the injected clock's %v", c.IssuedAt.Time(), now)
			}
			if e.form.Has("client_secret") {
				t.Error("a secret was sent with the assertion")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &tokenEndpoint{status: 200, body: `{"access_token":"at","token_type":"Bearer","expires_in":"3600"}`}
			o := tt.o
			o.Name, o.TokenURL, o.ClientID, o.Now = "backend", e.start(t), "backend-client", func() time.Time { return now }
			c, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := c.Token(context.Background(), url.Values{"grant_type": {"client_credentials"}, "scope": {"api"}})
			if err != nil {
				t.Fatalf("Token: %v", err)
			}
			if tok.AccessToken != "at" || e.form.Get("grant_type") != "client_credentials" || e.form.Get("scope") != "api" {
				t.Errorf("token %q, form %v", tok.AccessToken, e.form)
			}
			tt.check(t, e, o.TokenURL)
		})
	}
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("d", 2*maxDescription)
	tests := []struct {
		name       string
		status     int
		body       string
		wantCode   string
		wantSignIn bool
	}{
		{"invalid_grant needs a sign-in", 400, `{"error":"invalid_grant","error_description":"expired"}`, "invalid_grant", true},
		{"interaction_required needs a sign-in", 400, `{"error":"interaction_required"}`, "interaction_required", true},
		{"invalid_client does not", 401, `{"error":"invalid_client"}`, "invalid_client", false},
		{"long description is cut", 400, `{"error":"invalid_scope","error_description":"` + long + `"}`, "invalid_scope", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &tokenEndpoint{status: tt.status, body: tt.body}
			c, err := New(Options{Name: "backend", TokenURL: e.start(t), ClientID: "c", ClientSecret: "never-in-errors"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Token(context.Background(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt-never-in-errors"}})
			var te *TokenError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a *TokenError", err)
			}
			if te.Code != tt.wantCode || te.StatusCode != tt.status || NeedsSignIn(err) != tt.wantSignIn {
				t.Errorf("code %q status %d signIn %v", te.Code, te.StatusCode, NeedsSignIn(err))
			}
			if len(te.Description) > maxDescription+3 {
				t.Errorf("description has %d bytes", len(te.Description))
			}
			for _, secret := range []string{"never-in-errors", "rt-never-in-errors", long} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains %q", err, secret)
				}
			}
		})
	}
	if _, err := (&TokenClient{}).Token(context.Background(), url.Values{}); err == nil {
		t.Error("Token without grant_type: no error")
	}
}

func assertionAlgs() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256}
}
