package oidctest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

// idToken signs alice in as rp and returns her ID token.
func idToken(t *testing.T, idp *oidctest.Provider) string {
	t.Helper()
	r := newRP(t, idp, "profile", "email")
	verifier := oauth2.GenerateVerifier()
	q := mustLogin(t, idp, r.authURL(verifier), "alice")
	tok, err := r.config.Exchange(r.ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	return raw
}

func exchange(t *testing.T, idp *oidctest.Provider, id, secret string, kv ...string) (int, map[string]any) {
	t.Helper()
	f := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"requested_token_type": {"urn:ietf:params:oauth:token-type:id-jag"},
		"subject_token_type":   {"urn:ietf:params:oauth:token-type:id_token"},
		"audience":             {"https://as.example"}, "resource": {"https://mcp.example/mcp"},
		"client_id": {id}, "client_secret": {secret}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	resp, err := idp.Client().Post(idp.BaseURL()+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(f.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// TestIDJAGExchange: an ID token the provider issued to the client becomes
// an ID-JAG signed with the provider's key, typ oauth-id-jag+jwt, with the
// claims the draft defines and the client id mapped for the audience.
func TestIDJAGExchange(t *testing.T) {
	t.Parallel()
	idp := start(t, oidctest.Options{})
	idp.SetIDJAGClient(clientID, "https://as.example", "rp-at-as")
	status, body := exchange(t, idp, clientID, clientSecret, "subject_token", idToken(t, idp), "scope", "read  write")
	if status != http.StatusOK || body["issued_token_type"] != "urn:ietf:params:oauth:token-type:id-jag" || body["token_type"] != "N_A" {
		t.Fatalf("%d %v", status, body)
	}
	raw, _ := body["access_token"].(string)
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if typ := tok.Headers[0].ExtraHeaders[jose.HeaderType]; typ != "oauth-id-jag+jwt" {
		t.Errorf("typ %v", typ)
	}
	keys := fetchKeys(t, idp)
	var c map[string]any
	if err := tok.Claims(keys.Keys[0].Key, &c); err != nil {
		t.Fatalf("signature: %v", err)
	}
	for k, want := range map[string]any{"iss": idp.Issuer(), "sub": "alice-sub", "aud": "https://as.example",
		"client_id": "rp-at-as", "resource": "https://mcp.example/mcp", "scope": "read write", "oid": alice.OID} {
		if c[k] != want {
			t.Errorf("%s = %v, want %v", k, c[k], want)
		}
	}
}

// TestIDJAGExchangeRefusals: the provider checks what an IdP must.
func TestIDJAGExchangeRefusals(t *testing.T) {
	t.Parallel()
	idp := start(t, oidctest.Options{})
	idp.AddClient("other", "other-secret", "https://other.test/cb")
	id := idToken(t, idp)
	for _, tc := range []struct {
		name, client, secret string
		kv                   []string
		status               int
		err                  string
	}{
		{"wrong secret", clientID, "wrong", []string{"subject_token", id}, 401, "invalid_client"},
		{"an ID token issued to another client", "other", "other-secret", []string{"subject_token", id}, 400, "invalid_grant"},
		{"not an ID token", clientID, clientSecret, []string{"subject_token", "garbage"}, 400, "invalid_grant"},
		{"an access token type", clientID, clientSecret, []string{"subject_token", id,
			"subject_token_type", "urn:ietf:params:oauth:token-type:access_token"}, 400, "invalid_request"},
		{"no audience", clientID, clientSecret, []string{"subject_token", id, "audience", ""}, 400, "invalid_request"},
	} {
		status, body := exchange(t, idp, tc.client, tc.secret, tc.kv...)
		if status != tc.status || body["error"] != tc.err {
			t.Errorf("%s: %d %v, want %d %s", tc.name, status, body, tc.status, tc.err)
		}
	}
}

func fetchKeys(t *testing.T, idp *oidctest.Provider) jose.JSONWebKeySet {
	t.Helper()
	resp, err := idp.Client().Get(idp.BaseURL() + "/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return set
}
