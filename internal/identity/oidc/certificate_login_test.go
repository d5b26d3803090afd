package oidc_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/identity/oidc"
	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

// certClientID is Drawbridge's registration with a certificate credential,
// next to the secret one (clientID) that startIdP registers.
const certClientID = "drawbridge-cert"

func loadCert(t *testing.T, cc *oidctest.ClientCertificate) *oauthclient.Certificate {
	t.Helper()
	c, err := oauthclient.LoadCertificate(cc.CertFile, cc.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkAssertionSent checks how Drawbridge authenticated at the token
// endpoint: client_id and an assertion in the form, no secret anywhere.
func checkAssertionSent(t *testing.T, idp *oidctest.Provider, n int) {
	t.Helper()
	reqs := idp.RequestsTo("token")
	if len(reqs) != n {
		t.Fatalf("%d token requests, want %d", len(reqs), n)
	}
	for _, r := range reqs {
		p := r.Params
		if p.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ||
			p.Get("client_assertion") != oidctest.Redacted || p.Get("client_id") != certClientID {
			t.Errorf("token request parameters = %v", p)
		}
		if p.Has("client_secret") || r.BasicAuthUser != "" {
			t.Errorf("token request carried a client secret (form %t, Basic %q)", p.Has("client_secret"), r.BasicAuthUser)
		}
	}
}

func TestCertificateLogin(t *testing.T) {
	t.Parallel()
	rsaCC := oidctest.NewClientCertificate(t, nil)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecCC := oidctest.NewClientCertificate(t, ecKey)
	for _, tt := range []struct {
		name  string
		cc    *oidctest.ClientCertificate
		entra bool
	}{
		{"generic, RSA", rsaCC, false},
		{"generic, ECDSA", ecCC, false},
		{"Entra-like, RSA", rsaCC, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			idp := startIdP(t, oidctest.Options{Entra: tt.entra, TLS: tt.entra, Clients: []oidctest.Client{
				{ID: certClientID, Certificate: tt.cc.Cert, RedirectURIs: []string{redirectURL}},
			}})
			var p *oidc.Provider
			var err error // this subtest's own: they run in parallel
			want := storage.Identity{Subject: "alice-pairwise-sub", Email: "alice@example.com", Name: "Alice Liddell",
				Groups: []string{"b7a1c3d0-0000-4000-8000-0000000000g1"}, Provider: "corp"}
			if tt.entra {
				o := entraOptions(idp)
				o.ClientID, o.ClientSecret, o.ClientCertificate = certClientID, "", loadCert(t, tt.cc)
				p, err = oidc.NewEntra(o)
				want = storage.Identity{Subject: alice.OID, Email: "alice@example.com", Name: "Alice Liddell",
					Groups: []string{"b7a1c3d0-0000-4000-8000-0000000000g1", "Snippets.Admin"}, Provider: "entra"}
			} else {
				o := genericOptions(idp)
				o.ClientID, o.ClientSecret, o.ClientCertificate = certClientID, "", loadCert(t, tt.cc)
				p, err = oidc.New(o)
			}
			if err != nil {
				t.Fatal(err)
			}
			// Two sign-ins: the provider refuses a replayed assertion, so
			// the second one shows that every token request signs anew.
			for range 2 {
				l := startLogin(t, p, idp, "alice")
				res, err := p.Exchange(t.Context(), l.code(t), l.verifier, l.nonce)
				if err != nil {
					t.Fatalf("Exchange: %v", err)
				}
				want.Upstream = storage.UpstreamLogin{Issuer: idp.Issuer(), Subject: "alice-pairwise-sub", SID: lastSession(t, idp, "alice")}
				if !reflect.DeepEqual(res.Identity, want) {
					t.Errorf("identity = %+v\nwant       %+v", res.Identity, want)
				}
			}
			checkAssertionSent(t, idp, 2)
			for _, r := range idp.Requests() {
				if r.Params.Has("resource") {
					t.Errorf("%s %s carried resource", r.Method, r.Path)
				}
			}
		})
	}
}

// TestCertificateLoginWrongKey: Drawbridge holds a certificate the provider
// does not know (a renewed certificate not yet uploaded, say). The sign-in
// fails with the provider's invalid_client, and the error carries nothing
// secret.
func TestCertificateLoginWrongKey(t *testing.T) {
	t.Parallel()
	registered := oidctest.NewClientCertificate(t, nil)
	held := oidctest.NewClientCertificate(t, nil)
	for _, entra := range []bool{false, true} {
		t.Run(map[bool]string{false: "generic", true: "Entra-like"}[entra], func(t *testing.T) {
			t.Parallel()
			idp := startIdP(t, oidctest.Options{Entra: entra, Clients: []oidctest.Client{
				{ID: certClientID, Certificate: registered.Cert, RedirectURIs: []string{redirectURL}},
			}})
			var (
				p   *oidc.Provider
				err error
			)
			if entra {
				o := entraOptions(idp)
				o.ClientID, o.ClientSecret, o.ClientCertificate = certClientID, "", loadCert(t, held)
				p, err = oidc.NewEntra(o)
			} else {
				o := genericOptions(idp)
				o.ClientID, o.ClientSecret, o.ClientCertificate = certClientID, "", loadCert(t, held)
				p, err = oidc.New(o)
			}
			if err != nil {
				t.Fatal(err)
			}
			l := startLogin(t, p, idp, "alice")
			code := l.code(t)
			res, err := p.Exchange(t.Context(), code, l.verifier, l.nonce)
			if err == nil {
				t.Fatalf("Exchange succeeded with an unregistered certificate: %+v", res.Identity)
			}
			var te *oauthclient.TokenError
			if !errors.As(err, &te) || te.Code != "invalid_client" || te.StatusCode != 401 {
				t.Fatalf("Exchange error = %v, want the provider's invalid_client", err)
			}
			if entra && !strings.Contains(te.Description, "AADSTS700027") {
				t.Errorf("description = %q, want Entra's AADSTS700027", te.Description)
			}
			assertNoSecrets(t, err, code, l.verifier, l.nonce, "eyJ") // eyJ: the start of any JWT
			oidctest.AssertNoKeyMaterial(t, err, held, registered)
			checkAssertionSent(t, idp, 1)
		})
	}
}

func TestCertificateOptionsValidate(t *testing.T) {
	t.Parallel()
	rsaCC := oidctest.NewClientCertificate(t, nil)
	other := oidctest.NewClientCertificate(t, nil)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecCert := loadCert(t, oidctest.NewClientCertificate(t, ecKey))
	rsaCert := loadCert(t, rsaCC)
	entraIssuer := "https://login.microsoftonline.com/" + oidctest.DefaultTenantID + "/v2.0"

	generic := func(edit func(*oidc.Options)) error {
		o := oidc.Options{Name: "corp", Issuer: "https://idp.example.com", ClientID: clientID, RedirectURL: redirectURL, ClientCertificate: rsaCert}
		edit(&o)
		_, err := oidc.New(o)
		return err
	}
	entra := func(edit func(*oidc.EntraOptions)) error {
		o := oidc.EntraOptions{Name: "entra", TenantID: oidctest.DefaultTenantID, ClientID: clientID, RedirectURL: redirectURL, ClientCertificate: rsaCert}
		edit(&o)
		_, err := oidc.NewEntra(o)
		return err
	}
	for _, tt := range []struct {
		name    string
		err     error
		wantErr string
	}{
		{"generic with a certificate", generic(func(*oidc.Options) {}), ""},
		{"generic with an ECDSA certificate", generic(func(o *oidc.Options) { o.ClientCertificate = ecCert }), ""},
		{"generic, public client", generic(func(o *oidc.Options) { o.ClientCertificate = nil }), ""},
		{"generic with both", generic(func(o *oidc.Options) { o.ClientSecret = "s" }), "client_secret and client_certificate are both set"},
		{"generic, key of another certificate", generic(func(o *oidc.Options) {
			o.ClientCertificate = &oauthclient.Certificate{Leaf: rsaCC.Cert, Key: other.Key}
		}), "client_certificate: the private key does not belong to the certificate"},
		{"generic, no key", generic(func(o *oidc.Options) { o.ClientCertificate = &oauthclient.Certificate{Leaf: rsaCC.Cert} }), "client_certificate: needs both"},
		{"Entra issuer with an ECDSA certificate", generic(func(o *oidc.Options) { o.Issuer, o.ClientCertificate = entraIssuer, ecCert }), "RSA certificates only"},
		{"Entra with a certificate", entra(func(*oidc.EntraOptions) {}), ""},
		{"Entra with a secret", entra(func(o *oidc.EntraOptions) { o.ClientCertificate, o.ClientSecret = nil, "s" }), ""},
		{"Entra with both", entra(func(o *oidc.EntraOptions) { o.ClientSecret = "s" }), "client_secret and client_certificate are both set"},
		{"Entra with neither", entra(func(o *oidc.EntraOptions) { o.ClientCertificate = nil }), "client_secret or client_certificate is required"},
		{"Entra with an ECDSA certificate", entra(func(o *oidc.EntraOptions) { o.ClientCertificate = ecCert }), "RSA certificates only"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			if tt.wantErr != "" {
				want = []string{tt.wantErr}
			}
			checkErr(t, tt.err, want)
		})
	}
}

// TestCertificateLoginConcurrent: the signer is shared by all sign-ins of
// a provider; concurrent ones each get their own valid assertion (run with
// -race).
func TestCertificateLoginConcurrent(t *testing.T) {
	t.Parallel()
	cc := oidctest.NewClientCertificate(t, nil)
	idp := startIdP(t, oidctest.Options{Clients: []oidctest.Client{
		{ID: certClientID, Certificate: cc.Cert, RedirectURIs: []string{redirectURL}},
	}})
	o := genericOptions(idp)
	o.ClientID, o.ClientSecret, o.ClientCertificate = certClientID, "", loadCert(t, cc)
	p, err := oidc.New(o)
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	logins := make([]login, n)
	codes := make([]string, n)
	for i := range logins {
		logins[i] = startLogin(t, p, idp, "bob")
		codes[i] = logins[i].code(t)
	}
	errs := make(chan error, n)
	for i := range logins {
		go func() {
			_, err := p.Exchange(t.Context(), codes[i], logins[i].verifier, logins[i].nonce)
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("Exchange: %v", err)
		}
	}
	checkAssertionSent(t, idp, n)
}
