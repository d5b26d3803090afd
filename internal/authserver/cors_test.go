package authserver

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// TestCORSLetsBrowserClientsUseDPoP: a browser-based client's preflight
// for a token request carrying a DPoP proof is allowed, and the answer's
// DPoP-Nonce and WWW-Authenticate can be read by it (RFC 9449 §8: a client
// that cannot read the nonce can never satisfy use_dpop_nonce).
func TestCORSLetsBrowserClientsUseDPoP(t *testing.T) {
	h := cors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("DPoP-Nonce", "n-1")
		w.WriteHeader(http.StatusBadRequest)
	}))
	pre := httptest.NewRequest(http.MethodOptions, PathToken, nil)
	pre.Header.Set("Origin", "https://agent.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "content-type,dpop")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, pre)
	if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("preflight: %d %v", w.Code, w.Header())
	}
	allowed := strings.Split(strings.ToLower(w.Header().Get("Access-Control-Allow-Headers")), ", ")
	for _, want := range []string{"dpop", "content-type", "authorization"} {
		if !slices.Contains(allowed, want) {
			t.Errorf("Access-Control-Allow-Headers %q lacks %s", w.Header().Get("Access-Control-Allow-Headers"), want)
		}
	}

	post := httptest.NewRequest(http.MethodPost, PathToken, nil)
	post.Header.Set("Origin", "https://agent.example")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, post)
	exposed := strings.Split(strings.ToLower(w.Header().Get("Access-Control-Expose-Headers")), ", ")
	for _, want := range []string{"dpop-nonce", "www-authenticate"} {
		if !slices.Contains(exposed, want) {
			t.Errorf("Access-Control-Expose-Headers %q lacks %s", w.Header().Get("Access-Control-Expose-Headers"), want)
		}
	}
}
