package attack

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// racers is how many copies of one token request are sent at once.
const racers = 20

// tokenAnswer is one answer of the token endpoint.
type tokenAnswer struct {
	status int
	body   map[string]any
}

// raceTokenRequests sends form as c, racers times at once, and returns
// the answers. It runs off the test goroutine, so it reports nothing.
func raceTokenRequests(c *gwtest.Client, form url.Values) []tokenAnswer {
	form.Set("client_id", c.ID)
	answers := make([]tokenAnswer, racers)
	start := make(chan struct{})
	done := make(chan struct{}, racers)
	for i := range answers {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			resp, err := http.Post(c.GW.URL+"/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
			if err != nil {
				return
			}
			defer resp.Body.Close()
			answers[i].status = resp.StatusCode
			_ = json.NewDecoder(resp.Body).Decode(&answers[i].body)
		}()
	}
	close(start)
	for range racers {
		<-done
	}
	return answers
}

// onBothBackends runs test on a gateway with SQLite and, when the test
// PostgreSQL is configured, with PostgreSQL.
func onBothBackends(t *testing.T, test func(t *testing.T, gw *gwtest.Gateway)) {
	t.Run("sqlite", func(t *testing.T) { test(t, gwtest.Start(t, gwtest.Options{})) })
	t.Run("postgres", func(t *testing.T) {
		test(t, gwtest.Start(t, gwtest.Options{PostgresDSN: gwtest.PostgresDSN(t)}))
	})
}

// wantNothingWorks: none of the tokens answered gets through the gateway
// or refreshes, and the backend received nothing.
func wantNothingWorks(t *testing.T, c *gwtest.Client, answers []tokenAnswer) {
	t.Helper()
	for i, a := range answers {
		if tok, ok := a.body["access_token"].(string); ok {
			if resp := gwtest.MCPCall(t, c.GW.MCP, "Bearer "+tok); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("racer %d's access token at the MCP server: %d, want 401", i, resp.StatusCode)
			}
		}
		if rt, ok := a.body["refresh_token"].(string); ok {
			if status, body := c.Refresh(rt); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
				t.Errorf("racer %d's refresh token: %d %v, want 400 invalid_grant", i, status, body["error"])
			}
		}
	}
	c.GW.Backend.Mu.Lock()
	defer c.GW.Backend.Mu.Unlock()
	if c.GW.Backend.Requests != 0 {
		t.Errorf("the backend received %d requests", c.GW.Backend.Requests)
	}
}

// tally counts the answers that issued tokens and checks that every other
// one is invalid_grant.
func tally(t *testing.T, answers []tokenAnswer) int {
	t.Helper()
	issued := 0
	for i, a := range answers {
		switch {
		case a.status == http.StatusOK:
			issued++
		case a.status != http.StatusBadRequest || a.body["error"] != "invalid_grant":
			t.Errorf("racer %d: %d %v, want tokens or 400 invalid_grant", i, a.status, a.body["error"])
		}
	}
	return issued
}

// TestCodeRedeemedAtOnce: one authorization code, with its verifier,
// presented twenty times at once (a client that retries eagerly, or a
// thief racing it). Exactly one redemption gets tokens; every other one is
// a replay by the code's own client, which revokes what the code issued,
// so in the end none of the tokens works.
func TestCodeRedeemedAtOnce(t *testing.T) {
	onBothBackends(t, func(t *testing.T, gw *gwtest.Gateway) {
		c := gwtest.RegisterClient(t, gw, nil)
		v := gwtest.NewVerifier()
		answers := raceTokenRequests(c, url.Values{"grant_type": {"authorization_code"}, "code": {c.Code(v, gwtest.User)},
			"code_verifier": {v}, "redirect_uri": {c.Redirect}, "resource": {gw.MCP}})
		if issued := tally(t, answers); issued != 1 {
			t.Errorf("%d of %d redemptions of one code got tokens, want 1", issued, racers)
		}
		wantNothingWorks(t, c, answers)
	})
}

// TestRefreshTokenUsedAtOnce: one refresh token presented twenty times at
// once. The rotation and its one retry within the grace period (30 s) get
// tokens; the third use is reuse, which revokes the grant, so in the end
// none of the tokens works.
func TestRefreshTokenUsedAtOnce(t *testing.T) {
	onBothBackends(t, func(t *testing.T, gw *gwtest.Gateway) {
		c := gwtest.RegisterClient(t, gw, nil)
		rt := c.Tokens(gwtest.User)["refresh_token"].(string)
		answers := raceTokenRequests(c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		if issued := tally(t, answers); issued != 2 {
			t.Errorf("%d of %d uses of one refresh token got tokens, want 2 (a rotation and its one retry)", issued, racers)
		}
		wantNothingWorks(t, c, answers)
	})
}
