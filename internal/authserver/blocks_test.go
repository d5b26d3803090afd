package authserver

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/cimd"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
)

// TestHostBlockCoversSubdomains: whoever controls a blocked host's domain
// makes its subdomains at will, so a host block that did not cover them
// would be escaped by renaming the client's host. Each of these is refused
// with the blocked page before its document is fetched; another domain
// that merely ends in the same letters is not.
func TestHostBlockCoversSubdomains(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.PutClientBlock(t.Context(), storage.ClientBlock{Kind: storage.BlockHost, Value: "agents.example", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	s := testServer(t)
	s.opt.Store = st
	f, err := cimd.New(cimd.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.opt.Metadata = f
	mux := http.NewServeMux()
	s.Routes(mux)
	for _, tt := range []struct {
		id      string
		blocked bool
	}{
		{"https://agents.example/client.json", true},
		{"https://app.agents.example/client.json", true},
		{"https://x.y.AGENTS.example:8443/client.json", true},
		{"https://evilagents.example/client.json", false},
		{"https://agents.example.net/client.json", false},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/authorize?response_type=code&client_id="+url.QueryEscape(tt.id), nil))
		blocked := rec.Code == http.StatusForbidden && strings.Contains(rec.Body.String(), "blocked this application")
		if blocked != tt.blocked {
			t.Errorf("%s: %d, blocked %v, want %v", tt.id, rec.Code, blocked, tt.blocked)
		}
	}
}
