package console

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func TestRedirectHosts(t *testing.T) {
	got := redirectHosts([]string{"http://127.0.0.1:5555/cb", "http://127.0.0.1:6666/cb", "https://app.example.com/cb",
		"com.example.app:/oauth", "http://localhost/cb", "http://[::1]:9/cb", "://bad"})
	want := []string{"127.0.0.1 (this computer)", "app.example.com", "com.example.app:", "localhost (this computer)", "::1 (this computer)"}
	if !slices.Equal(got, want) {
		t.Errorf("redirectHosts = %q, want %q", got, want)
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		c               storage.Client
		name, kind, pub string
		selfAsserted    bool
	}{
		{storage.Client{ID: "x", Name: "Tool", Kind: storage.ClientKindConfig}, "Tool", "pre-registered", "", false},
		{storage.Client{ID: "y", Name: "Claude", Kind: storage.ClientKindDynamic}, "Claude", "DCR", "", true},
		{storage.Client{ID: "https://app.example.com/client.json", Name: "", Kind: storage.ClientKindCIMD}, "An unnamed application", "CIMD", "app.example.com", true},
		{storage.Client{ID: ClientID, Kind: storage.ClientKindConfig}, ClientName, "pre-registered", "", false},
	} {
		ci := describe(tc.c, true)
		if ci.Name != tc.name || ci.Kind != tc.kind || ci.Publisher != tc.pub || ci.SelfAsserted != tc.selfAsserted {
			t.Errorf("describe(%+v) = %+v", tc.c, ci)
		}
	}
}

// TestNotice: the notice after an action says only what the console
// wrote; a crafted link cannot put other words on the page.
func TestNotice(t *testing.T) {
	for q, want := range map[string]string{
		"done=agent_revoked&n=2":            "(2 authorization(s) ended)",
		"done=grants_revoked&n=<b>lots</b>": "some grant(s) revoked.",
		"done=key_rotated":                  "A new signing key is current.",
		"done=<script>":                     "",
		"done=client_deleted&n=-3":          "Client deleted; some grant(s) revoked.",
	} {
		v, _ := url.ParseQuery(q)
		if got := notice(v); (want == "" && got != "") || !strings.Contains(got, want) {
			t.Errorf("notice(%s) = %q, want %q", q, got, want)
		}
	}
}
