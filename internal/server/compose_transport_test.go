package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/gateway"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// callerCredential is a stand-in credential naming the caller it was
// asked for.
type callerCredential struct{}

func (callerCredential) Headers(_ context.Context, c *tokens.AccessClaims) (http.Header, error) {
	if c == nil {
		return http.Header{"Authorization": {"Bearer member-token-for-nobody"}}, nil
	}
	return http.Header{"Authorization": {"Bearer member-token-for-" + c.Subject}}, nil
}

// TestMemberTransport: a member gets its own headers and its credential
// for the caller, never a client credential or identity header the
// request carried, identity headers only when forwarded, and no redirect
// is followed.
func TestMemberTransport(t *testing.T) {
	var got http.Header
	member := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			got = nil
			w.WriteHeader(http.StatusTeapot)
			return
		}
		got = r.Header.Clone()
		http.Redirect(w, r, "/moved", http.StatusFound)
	}))
	defer member.Close()
	sv := &config.Backend{Name: "all", Path: "/all"}
	m := &config.Member{Name: "gh", Upstream: member.URL + "/mcp", Headers: map[string]string{"X-Api-Key": "k1"},
		ForwardIdentity: true, Auth: config.BackendAuth{Mode: "identity_assertion"}}
	opt := Options{BackendTransport: http.DefaultTransport}
	cm := memberOptions(sv, m, opt, callerCredential{}, nil)
	if !cm.NeedsUser {
		t.Error("identity_assertion does not need a user")
	}
	ctx := gateway.WithCaller(context.Background(), &tokens.AccessClaims{Subject: "alice", ClientID: "c1"})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, cm.URL, nil)
	req.Header = http.Header{"Authorization": {"Bearer client-token"}, "Cookie": {"s=1"}, "Dpop": {"proof"},
		"X-Drawbridge-Subject": {"mallory"}, "X-Api-Key": {"client-chosen"}}
	resp, err := cm.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("status %d: the redirect was followed", resp.StatusCode)
	}
	if got.Get("Authorization") != "Bearer member-token-for-alice" || got.Get("X-Api-Key") != "k1" || got.Get("Cookie") != "" ||
		got.Get("Dpop") != "" || got.Get(gateway.HeaderSubject) != "alice" || got.Get(gateway.HeaderClientID) != "c1" {
		t.Errorf("member got %v", got)
	}

	t.Run("identity not forwarded", func(t *testing.T) {
		m.ForwardIdentity = false
		cm := memberOptions(sv, m, opt, callerCredential{}, nil)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, cm.URL, nil)
		req.Header.Set("X-Drawbridge-Subject", "mallory")
		resp, err := cm.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got.Get(gateway.HeaderSubject) != "" {
			t.Errorf("identity header reached the member: %v", got)
		}
	})
	t.Run("no caller", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, cm.URL, nil)
		if _, err := cm.Client.Do(req); !errors.Is(err, errNoCaller) {
			t.Errorf("err = %v", err)
		}
	})
}
