package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/chromium"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// bearer adds a fixed access token to every request.
type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// TestComposedServerHealthInConsole: a member that stops answering is
// left out of the lists (the others' tools are still there), and an
// administrator sees it on the console's servers page, in a real browser,
// as down with why, next to the member that is up.
func TestComposedServerHealthInConsole(t *testing.T) {
	b := chromium.New(t)
	up, down := startMember(t, "up", "hello"), startMember(t, "down", "bye")
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: fmt.Sprintf(`  - name: all
    path: /all/mcp
    compose:
      - {name: steady, upstream: %q}
      - {name: flaky, upstream: %q}
admin: {groups: [eng]}
`, up.URL, down.URL)})
	down.hs.Close() // after the start's listing saw it up
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tok := tokenFor(t, gw, gw.URL+"/all/mcp")
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: gw.URL + "/all/mcp", HTTPClient: &http.Client{Transport: bearer(tok)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if got := strings.Join(toolNames(t, ctx, cs), ","); got != "hello" {
		t.Errorf("with flaky down, tools = %s, want hello", got)
	}

	if status := b.Open(gw.URL + "/console"); status != 200 {
		t.Fatalf("console: %d", status)
	}
	b.Click(`a[href="/console/login"]`)
	b.Type("#username", gwtest.User)
	b.Type("#password", gwtest.Password)
	if status := b.Click(`button[type=submit]`); status != 200 {
		t.Fatalf("console sign-in: %d\n%s", status, b.Text())
	}
	b.Click(`nav a[href="/console/admin/servers"]`)
	text := b.Text()
	for _, want := range []string{"composed of:", "steady", "up", "flaky", "down", "connection refused", "members down"} {
		if !strings.Contains(text, want) {
			t.Errorf("the servers page lacks %q:\n%s", want, text)
		}
	}
}
