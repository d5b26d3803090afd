package oidc_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/identity/oidc"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

// substitution stands for a token substitution (or IdP mix-up) attack: it
// sits between Drawbridge and the IdP and swaps the ID token in token
// responses for another one the IdP really issued.
type substitution struct {
	base    http.RoundTripper
	mu      sync.Mutex
	idToken string
}

func (s *substitution) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.base.RoundTrip(r)
	s.mu.Lock()
	swap := s.idToken
	s.mu.Unlock()
	if err != nil || swap == "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		if _, ok := m["id_token"]; ok {
			m["id_token"] = swap
			body, _ = json.Marshal(m)
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return resp, nil
}

// TestIDTokenForAnotherClient: an ID token the IdP issued, correctly signed,
// but to another client (aud), is refused (OIDC Core, section 3.1.3.7,
// step 3).
func TestIDTokenForAnotherClient(t *testing.T) {
	t.Parallel()
	idp := startIdP(t, oidctest.Options{})
	idp.AddClient("other-app", "other-secret", redirectURL)

	other := genericOptions(idp)
	other.Name, other.ClientID, other.ClientSecret = "other", "other-app", "other-secret"
	po, err := oidc.New(other)
	if err != nil {
		t.Fatal(err)
	}
	lo := startLogin(t, po, idp, "alice")
	theirs, err := po.Exchange(t.Context(), lo.code(t), lo.verifier, lo.nonce)
	if err != nil {
		t.Fatal(err)
	}

	sub := &substitution{base: idp.Client().Transport, idToken: theirs.IDToken}
	o := genericOptions(idp)
	o.HTTPClient = &http.Client{Transport: sub}
	p, err := oidc.New(o)
	if err != nil {
		t.Fatal(err)
	}
	l := startLogin(t, p, idp, "alice")
	code := l.code(t)
	_, err = p.Exchange(t.Context(), code, l.verifier, l.nonce)
	if err == nil || !strings.Contains(err.Error(), "audience") {
		t.Fatalf("Exchange with another client's ID token: %v", err)
	}
	assertNoSecrets(t, err, code, l.verifier, l.nonce, theirs.IDToken, clientSecret)
}
