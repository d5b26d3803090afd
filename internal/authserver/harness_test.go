package authserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/crypto/bcrypt"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/local"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// What the harness serves: its issuer, resources, clients and lifetimes.
const (
	hIssuer = "https://as.example"
	// Two MCP servers, so that a request naming no resource is ambiguous,
	// and the admin API, which is never a default.
	resSnippets = "https://mcp.example/snippets"
	resFiles    = "https://mcp.example/files"
	resAdmin    = hIssuer + "/admin/api"

	alicePassword = "correct horse battery staple"
	aliceSubject  = local.SubjectPrefix + "alice"

	// Pre-registered clients (Options.Clients).
	publicApp    = "public-app"   // public (none), loopback and https redirects
	secretApp    = "secret-app"   // client_secret_basic (either secret method, as config clients may)
	jwtApp       = "jwt-app"      // private_key_jwt with an inline key set
	machine      = "machine"      // client_credentials, scopes not listed
	deployer     = "deployer"     // client_credentials, lists the sensitive scopes
	skipApp      = "skip-app"     // public, skip_consent
	secretAppKey = "s3cret:+/ &x" // needs form-encoding inside Basic (RFC 6749 §2.3.1)
	machineKey   = "machine-secret-of-some-length"
	deployerKey  = "deployer-secret-of-some-length"

	// Dynamically registered clients the harness stores.
	dynPublic  = "dyn-public" // none, authorization_code only
	dynPost    = "dyn-post"   // client_secret_post, code and refresh
	dynCC      = "dyn-cc"     // claims client_credentials (stored before the rule)
	dynPostKey = "dyn-post-secret-of-some-length"

	publicRedirect = "http://127.0.0.1/cb"
	appRedirect    = "https://app.example/cb"

	// flowVerifier is the PKCE code verifier of the harness's flows.
	flowVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

	codeTTL    = time.Minute
	accessTTL  = 5 * time.Minute
	refreshTTL = 24 * time.Hour
	grantTTL   = 30 * 24 * time.Hour
	reuseGrace = 30 * time.Second
	loginTTL   = 10 * time.Minute
	clientTTL  = 90 * 24 * time.Hour
)

var hT0 = time.Date(2026, 7, 28, 9, 0, 0, 0, time.UTC)

// harness is an authorization server wired as internal/server wires it
// (newAuthServer), but small: a real SQLite store in a temporary directory,
// real signing keys and revocation list, a clock the test moves, and one
// local user, alice. Tests drive its handlers through Routes with httptest,
// so that a failing row names the rule of the handler that broke. One
// harness serves all the rows of a test: each row makes its own code,
// grant or authorization request.
type harness struct {
	t        *testing.T
	s        *Server
	mux      *http.ServeMux
	store    storage.Store
	verifier *tokens.Verifier
	revoked  *tokens.RevocationList
	// jwtKey is jwt-app's private key (its public half is registered).
	jwtKey *ecdsa.PrivateKey
	events *eventLog

	mu  sync.Mutex
	now time.Time
}

// newHarness builds the server; edit, if given, changes the options first.
func newHarness(t *testing.T, edit ...func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, now: hT0, events: &eventLog{}}
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.store = st
	ring, err := tokens.NewKeyring([]tokens.RingKey{{ID: "k1", Key: tokens.GenerateKey()}})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := tokens.LoadKeys(ctx, st, ring, h.clock)
	if err != nil {
		t.Fatal(err)
	}
	h.revoked = tokens.NewRevocationList(st, h.clock, accessTTL+time.Minute)
	h.verifier = &tokens.Verifier{Keys: keys, Issuer: hIssuer, Revoked: h.revoked, Now: h.clock}
	h.jwtKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{
		Issuer: hIssuer, Store: st, Keys: keys, Tokens: h.verifier, Audit: h.events,
		Revoker: revoke.New(revoke.Options{Store: st, List: h.revoked, Audit: h.events, Now: h.clock}),
		Resources: []Resource{
			{URL: resSnippets, Title: "Snippets", Scopes: []string{"snippets", "deploy"}, Optional: []string{"snippets:delete"}},
			{URL: resFiles, Title: "Files", Scopes: []string{"files"}},
			{URL: resAdmin, Title: "Drawbridge administration", Scopes: []string{admin.Scope}, ExplicitOnly: true},
		},
		Password:        aliceProvider(t),
		Clients:         harnessClients(t, &h.jwtKey.PublicKey),
		SensitiveScopes: []string{"deploy"},
		AccessTokenTTL:  accessTTL, RefreshTokenTTL: refreshTTL, GrantTTL: grantTTL, RefreshReuseGrace: reuseGrace,
		CodeTTL: codeTTL, LoginTTL: loginTTL,
		DynamicRegistration: true, ClientTTL: clientTTL,
		Now: h.clock, Log: slog.New(slog.DiscardHandler),
	}
	for _, e := range edit {
		e(&opt)
	}
	if h.s, err = New(opt); err != nil {
		t.Fatal(err)
	}
	h.mux = http.NewServeMux()
	h.s.Routes(h.mux)
	h.storeDynamicClients()
	return h
}

func (h *harness) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

// advance moves the clock; nothing sleeps.
func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = h.now.Add(d)
}

// aliceProvider is one local user, hashed at bcrypt's lowest cost so that
// signing in is quick.
func aliceProvider(t *testing.T) *local.Provider {
	hash, err := bcrypt.GenerateFromPassword([]byte(alicePassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	p, err := local.New("local", []local.User{{Username: "alice", PasswordHash: string(hash), Email: "alice@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func harnessClients(t *testing.T, jwtPub *ecdsa.PublicKey) []ConfigClient {
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: jwtPub, KeyID: "jwt-app-1", Algorithm: string(jose.ES256), Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return []ConfigClient{
		{ID: publicApp, Name: "Public App", RedirectURIs: []string{publicRedirect, "http://[::1]/cb", "http://localhost:8080/cb", appRedirect}},
		{ID: secretApp, Secret: secretAppKey, Name: "Secret App", RedirectURIs: []string{appRedirect}},
		{ID: jwtApp, AuthMethod: authPrivateKeyJWT, JWKS: string(set), RedirectURIs: []string{appRedirect}},
		{ID: machine, Secret: machineKey, GrantTypes: []string{grantClientCredentials}, RedirectURIs: []string{"https://machine.example/cb"}},
		{ID: deployer, Secret: deployerKey, GrantTypes: []string{grantClientCredentials}, Scopes: []string{"snippets", "deploy", admin.Scope}},
		{ID: skipApp, SkipConsent: true, RedirectURIs: []string{publicRedirect}},
	}
}

// storeDynamicClients stores registrations as /register would have.
func (h *harness) storeDynamicClients() {
	for _, c := range []storage.Client{
		{ID: dynPublic, GrantTypes: []string{grantAuthorizationCode}, TokenEndpointAuthMethod: authNone},
		{ID: dynPost, GrantTypes: []string{grantAuthorizationCode, grantRefreshToken}, TokenEndpointAuthMethod: authSecretPost,
			SecretHash: tokens.Hash(dynPostKey)},
		{ID: dynCC, GrantTypes: []string{grantAuthorizationCode, grantClientCredentials}, TokenEndpointAuthMethod: authNone},
	} {
		c.Name, c.RedirectURIs, c.ResponseTypes = c.ID, []string{publicRedirect}, []string{"code"}
		c.ApplicationType, c.Kind = oauth.AppTypeNative, storage.ClientKindDynamic
		c.CreatedAt, c.LastUsedAt, c.ExpiresAt = h.now, h.now, h.now.Add(clientTTL)
		if err := h.store.CreateClient(h.t.Context(), c); err != nil {
			h.t.Fatal(err)
		}
	}
}

// do serves r.
func (h *harness) do(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.mux.ServeHTTP(rec, r)
	return rec
}

// formRequest is a POST of form to path.
func formRequest(path string, form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// withBasic adds HTTP Basic client authentication, form-encoding both
// parts as RFC 6749 §2.3.1 asks.
func withBasic(r *http.Request, id, secret string) *http.Request {
	r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return r
}

// form builds url.Values from name, value pairs.
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// oauthError is the error code of a JSON answer ("" for none).
func oauthError(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var e struct {
		Code string `json:"error"`
	}
	if rec.Code < 300 {
		return ""
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("%d answer is not a JSON error: %v\n%s", rec.Code, err, rec.Body)
	}
	return e.Code
}

// tokenResponse decodes a successful token answer.
func tokenResponse(t *testing.T, rec *httptest.ResponseRecorder) oauth.TokenResponse {
	t.Helper()
	var tr oauth.TokenResponse
	if rec.Code != http.StatusOK {
		t.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

// wantAnswer checks a JSON answer of the token or registration endpoint:
// its status, its OAuth error code ("" for success), and that no cache
// may keep it (RFC 6749 §5.1, §5.2).
func wantAnswer(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	if got := oauthError(t, rec); got != code {
		t.Errorf("error %q, want %q: %s", got, code, rec.Body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
}

// grants counts the grants in the store, revoked ones included.
func (h *harness) grants() int {
	h.t.Helper()
	gs, err := h.store.ListGrants(h.t.Context(), storage.GrantFilter{IncludeRevoked: true})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(gs)
}

// grant loads a grant.
func (h *harness) grant(id string) storage.Grant {
	h.t.Helper()
	g, err := h.store.GetGrant(h.t.Context(), id)
	if err != nil {
		h.t.Fatalf("grant %s: %v", id, err)
	}
	return g
}

// issueCode stores an authorization code as consent would have issued it:
// alice approved public-app for snippets (and a refresh token) at
// publicRedirect on port 49152, with the harness's PKCE verifier. edit
// changes it first. It returns the code.
func (h *harness) issueCode(edit func(*storage.AuthCode)) (string, storage.AuthCode) {
	h.t.Helper()
	code := tokens.NewOpaque(tokens.PrefixCode)
	now := h.clock()
	ac := storage.AuthCode{
		Hash: tokens.Hash(code), ClientID: publicApp, RedirectURI: "http://127.0.0.1:49152/cb",
		CodeChallenge: oauth.S256Challenge(flowVerifier), Resource: resSnippets, Scopes: []string{"snippets", scopeOfflineAccess},
		Identity: storage.Identity{Subject: aliceSubject, Provider: "local"}, AuthTime: now, GrantID: tokens.NewID(),
		CreatedAt: now, ExpiresAt: now.Add(codeTTL),
	}
	if edit != nil {
		edit(&ac)
	}
	if err := h.store.CreateAuthCode(h.t.Context(), ac); err != nil {
		h.t.Fatal(err)
	}
	// The consent the code was issued on: redemption looks for it.
	_, err := h.store.UpsertConsent(h.t.Context(), storage.Consent{Subject: ac.Identity.Subject, ClientID: ac.ClientID,
		Approved: map[string][]string{ac.Resource: ac.Scopes}, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		h.t.Fatal(err)
	}
	return code, ac
}

// redeemForm is the token request that redeems code as its client should.
func redeemForm(code string, ac storage.AuthCode) url.Values {
	return form("grant_type", grantAuthorizationCode, "code", code, "code_verifier", flowVerifier,
		"redirect_uri", ac.RedirectURI, "client_id", ac.ClientID)
}

// redeem redeems a code issued by issueCode and returns the tokens.
func (h *harness) redeem(edit func(*storage.AuthCode)) (oauth.TokenResponse, storage.AuthCode) {
	h.t.Helper()
	code, ac := h.issueCode(edit)
	return tokenResponse(h.t, h.do(formRequest(PathToken, redeemForm(code, ac)))), ac
}

// accessClaims verifies an issued access token for resource.
func (h *harness) accessClaims(raw, resource string) *tokens.AccessClaims {
	h.t.Helper()
	c, err := h.verifier.Verify(h.t.Context(), raw, resource)
	if err != nil {
		h.t.Fatalf("access token for %s: %v", resource, err)
	}
	return c
}

// assertion signs a client assertion for jwt-app (RFC 7523 §3) that is
// valid now; edit changes its claims first.
func (h *harness) assertion(edit func(*jwt.Claims)) string {
	h.t.Helper()
	now := h.clock()
	c := jwt.Claims{Issuer: jwtApp, Subject: jwtApp, Audience: jwt.Audience{hIssuer + PathToken},
		Expiry: jwt.NewNumericDate(now.Add(2 * time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: tokens.NewID()}
	if edit != nil {
		edit(&c)
	}
	return signJWT(h.t, jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: h.jwtKey, KeyID: "jwt-app-1"}}, c)
}

func signJWT(t *testing.T, key jose.SigningKey, claims any) string {
	t.Helper()
	sig, err := jose.NewSigner(key, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// eventLog keeps the audit events the server records.
type eventLog struct {
	mu     sync.Mutex
	events []audit.Event
}

func (l *eventLog) Record(e audit.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// count is how many events of a type were recorded.
func (l *eventLog) count(typ string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// browser is one user agent: it keeps the browser cookie between requests.
type browser struct{ secret string }

func (h *harness) browse(b *browser, r *http.Request) *httptest.ResponseRecorder {
	if b.secret != "" {
		r.AddCookie(&http.Cookie{Name: browserCookie, Value: b.secret})
	}
	rec := h.do(r)
	for _, c := range rec.Result().Cookies() {
		if c.Name == browserCookie {
			b.secret = c.Value
		}
	}
	return rec
}

func (h *harness) get(b *browser, target string) *httptest.ResponseRecorder {
	return h.browse(b, httptest.NewRequest(http.MethodGet, target, nil))
}

func (h *harness) post(b *browser, path string, f url.Values) *httptest.ResponseRecorder {
	return h.browse(b, formRequest(path, f))
}

// authorizeQuery is a valid authorization request: public-app, on a
// loopback port of its choosing, for snippets with a refresh token.
func authorizeQuery() url.Values {
	return url.Values{
		"response_type": {"code"}, "client_id": {publicApp}, "redirect_uri": {"http://127.0.0.1:49152/cb"},
		"state": {"xyz-state"}, "code_challenge": {oauth.S256Challenge(flowVerifier)}, "code_challenge_method": {"S256"},
		"resource": {resSnippets}, "scope": {"snippets offline_access"},
	}
}

// location is where an answer redirects to (nil for none).
func location(rec *httptest.ResponseRecorder) *url.URL {
	l := rec.Header().Get("Location")
	if l == "" {
		return nil
	}
	u, err := url.Parse(l)
	if err != nil {
		return nil
	}
	return u
}

// signIn sends the authorization request q in browser b and signs alice
// in. It returns the request's id and the answer to the sign-in: a
// redirect to the consent page, or straight back to the client.
func (h *harness) signIn(b *browser, q url.Values) (string, *httptest.ResponseRecorder) {
	h.t.Helper()
	rec := h.get(b, PathAuthorize+"?"+q.Encode())
	loc := location(rec)
	if rec.Code != http.StatusSeeOther || loc == nil || loc.Path != PathLogin {
		h.t.Fatalf("authorize: %d to %v, want the sign-in page\n%s", rec.Code, loc, rec.Body)
	}
	id := loc.Query().Get("req")
	return id, h.post(b, PathLogin, form("req", id, "csrf", csrfToken(b.secret, id), "username", "alice", "password", alicePassword))
}

// answerConsent submits the consent form for request id as the page would.
func (h *harness) answerConsent(b *browser, id, action string) *httptest.ResponseRecorder {
	return h.post(b, PathConsent, form("req", id, "csrf", csrfToken(b.secret, id), "action", action))
}

// wantsConsent reports whether a sign-in answer sends the browser to the
// consent page (rather than back to the client).
func wantsConsent(rec *httptest.ResponseRecorder) bool {
	loc := location(rec)
	return rec.Code == http.StatusSeeOther && loc != nil && loc.Path == PathConsent
}

// codeFrom reads the code from an authorization response to redirectURI,
// checking iss and state (RFC 9207, RFC 6749 §4.1.2).
func codeFrom(t *testing.T, rec *httptest.ResponseRecorder, q url.Values) string {
	t.Helper()
	loc := location(rec)
	if rec.Code != http.StatusSeeOther || loc == nil {
		t.Fatalf("%d, want a redirect with a code\n%s", rec.Code, rec.Body)
	}
	back := loc.Query()
	if withoutQuery(loc) != q.Get("redirect_uri") || back.Get("iss") != hIssuer || back.Get("state") != q.Get("state") || back.Get("code") == "" {
		t.Fatalf("redirect to %s, want %s with a code, iss and state", loc, q.Get("redirect_uri"))
	}
	return back.Get("code")
}

// authorizeCode runs the whole flow in b (consenting when asked) and
// returns the code.
func (h *harness) authorizeCode(b *browser, q url.Values) string {
	h.t.Helper()
	id, rec := h.signIn(b, q)
	if wantsConsent(rec) {
		rec = h.answerConsent(b, id, "approve")
	}
	return codeFrom(h.t, rec, q)
}

// withoutQuery is u without its query: the redirect URI it went to.
func withoutQuery(u *url.URL) string {
	v := *u
	v.RawQuery = ""
	return v.String()
}
