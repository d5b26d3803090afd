package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// The authorization server's rows: complete authorizations (authorize,
// sign in with the local user's password, consent, redeem the code), each
// in a fresh browser, by many users' browsers at once; then refreshes,
// each worker rotating the refresh token its last authorization got.

// benchRedirect is the public client's redirect URI: nothing listens
// there, the browser stops at it.
const benchRedirect = "http://127.0.0.1:43211/cb"

type asResult struct {
	flows, flowErrors int64
	flowTime          time.Duration
	redeems           int64
	redeemErrors      int64
	redeem            []time.Duration // code → token, each redemption of the rounds
	flowRedeem        []time.Duration // code → token within the complete authorizations
	refreshes         int64
	refreshErrors     int64
	refreshTime       time.Duration
	refreshLat        []time.Duration
	// MCP tools/call at a fixed rate through the same gateway, alone and
	// while the browsers sign in (password hashing must not hold up the
	// proxy).
	callsAlone, callsDuring result
}

// callRate is the fixed rate of the tools/call load beside the sign-ins:
// a trickle, so that the calls measure the gateway's latency rather than
// add to its load.
const callRate = 200

func pct(l []time.Duration, p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	return l[int(p*float64(len(l)-1))].Round(time.Microsecond)
}

// registerPublicClient registers the flows' client with dynamic
// registration, as an MCP client does.
func registerPublicClient(base string) (string, error) {
	body := `{"redirect_uris":["` + benchRedirect + `"],"client_name":"bench","token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"]}`
	resp, err := http.Post(base+"/register", "application/json", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var r struct {
		ClientID string `json:"client_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.ClientID == "" {
		return "", fmt.Errorf("register: status %d", resp.StatusCode)
	}
	return r.ClientID, nil
}

// authorizationServer measures, with workers browsers at once: complete
// authorizations for d, each in a fresh browser (it signs in, which hashes
// the password, and consents the first time); the code → token exchange,
// in rounds in which every browser gets a code and then all redeem theirs
// at the same moment (so the exchange is timed under 50 concurrent
// redemptions, not beside 49 password hashes); and refresh-token rotation
// for d.
func authorizationServer(ctx context.Context, base, resource string, calls target, workers int, d time.Duration) (asResult, error) {
	var res asResult
	client, err := registerPublicClient(base)
	if err != nil {
		return res, err
	}
	if err := checkTarget(ctx, calls); err != nil {
		return res, err
	}
	res.callsAlone = fixedRate(ctx, calls, callRate, d)
	during := make(chan result, 1)
	go func() { during <- fixedRate(ctx, calls, callRate, d) }()
	refresh := make([]string, workers)
	var mu sync.Mutex
	res.flowTime = forWorkers(ctx, workers, d, func(ctx context.Context, w int) bool {
		code, verifier, err := authorizationCode(browser.New(base), base, resource, client)
		var rt string
		var lat time.Duration
		if err == nil {
			rt, lat, err = redeemCode(ctx, base, resource, client, code, verifier)
		}
		if ctx.Err() != nil {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			res.flowErrors++
			return true
		}
		res.flows++
		res.flowRedeem = append(res.flowRedeem, lat)
		refresh[w] = rt
		return true
	})
	slices.Sort(res.flowRedeem)
	res.callsDuring = <-during
	// A round signs in every browser itself, so it runs even when no
	// complete authorization fitted in d.
	start := time.Now()
	for round := 0; round == 0 || time.Since(start) < d; round++ {
		if err := redeemRound(ctx, base, resource, client, workers, &res, refresh); err != nil {
			return res, err
		}
	}
	slices.Sort(res.redeem)
	res.refreshTime = forWorkers(ctx, workers, d, func(ctx context.Context, w int) bool {
		if refresh[w] == "" {
			return false
		}
		t0 := time.Now()
		next, err := redeem(ctx, base, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh[w]}, "client_id": {client}})
		if ctx.Err() != nil {
			return false
		}
		lat := time.Since(t0)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			res.refreshErrors++
			refresh[w] = "" // the chain is gone; a retry would count as reuse
			return false
		}
		res.refreshes++
		res.refreshLat = append(res.refreshLat, lat)
		refresh[w] = next
		return true
	})
	slices.Sort(res.refreshLat)
	return res, nil
}

// redeemRound gets a code in each of workers fresh browsers, then redeems
// them all at once, timing each redemption.
func redeemRound(ctx context.Context, base, resource, client string, workers int, res *asResult, refresh []string) error {
	type pending struct{ code, verifier string }
	codes := make([]pending, workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, verifier, err := authorizationCode(browser.New(base), base, resource, client)
			if err != nil {
				mu.Lock()
				firstErr = cmp.Or(firstErr, err)
				mu.Unlock()
				return
			}
			codes[w] = pending{code, verifier}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	go1 := make(chan struct{})
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-go1
			rt, lat, err := redeemCode(ctx, base, resource, client, codes[w].code, codes[w].verifier)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.redeemErrors++
				return
			}
			res.redeems++
			res.redeem = append(res.redeem, lat)
			refresh[w] = rt
		}()
	}
	close(go1)
	wg.Wait()
	return nil
}

// forWorkers runs step in workers goroutines, each again and again until
// d has passed or it returns false, and returns how long they ran.
func forWorkers(ctx context.Context, workers int, d time.Duration, step func(ctx context.Context, w int) bool) time.Duration {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && step(ctx, w) {
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// authorizationCode runs the browser part of an authorization in b
// (signing in, and consenting when asked) and returns the code and its
// PKCE verifier.
func authorizationCode(b *browser.Browser, base, resource, client string) (code, verifier string, err error) {
	verifier = tokens.NewOpaque("v-")
	q := url.Values{"response_type": {"code"}, "client_id": {client}, "redirect_uri": {benchRedirect},
		"code_challenge": {oauth.S256Challenge(verifier)}, "code_challenge_method": {"S256"},
		"state": {"bench"}, "resource": {resource}, "scope": {"bench"}}
	p, err := b.SignInLocal(base+"/authorize?"+q.Encode(), benchUser, benchPassword, true)
	if err != nil {
		return "", "", err
	}
	if p.Callback == nil || p.Callback.Query().Get("code") == "" {
		return "", "", fmt.Errorf("no code: stopped at %s (%d)", p.Path(), p.Resp.StatusCode)
	}
	return p.Callback.Query().Get("code"), verifier, nil
}

// redeemCode exchanges a code for tokens and returns the refresh token and
// how long the exchange took.
func redeemCode(ctx context.Context, base, resource, client, code, verifier string) (string, time.Duration, error) {
	t0 := time.Now()
	rt, err := redeem(ctx, base, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"code_verifier": {verifier}, "redirect_uri": {benchRedirect}, "resource": {resource}, "client_id": {client}})
	return rt, time.Since(t0), err
}

// redeem posts a token request and returns the new refresh token.
func redeem(ctx context.Context, base string, form url.Values) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK || tok.AccessToken == "" || tok.RefreshToken == "" {
		return "", fmt.Errorf("token: status %d", resp.StatusCode)
	}
	return tok.RefreshToken, nil
}

func printAuthorizationServer(store string, r asResult, workers int) {
	fmt.Printf("| %s | %d | %.1f | %s | %s | %s | %s | %d | %.0f | %s | %d |\n", store, workers,
		float64(r.flows)/r.flowTime.Seconds(), pct(r.flowRedeem, 0.5), pct(r.flowRedeem, 0.99),
		pct(r.redeem, 0.5), pct(r.redeem, 0.99), len(r.redeem),
		float64(r.refreshes)/r.refreshTime.Seconds(), pct(r.refreshLat, 0.99), r.flowErrors+r.redeemErrors+r.refreshErrors)
}

// printCallsBeside prints the tools/call latencies measured alone and
// during the complete authorizations.
func printCallsBeside(store string, r asResult) {
	fmt.Printf("| %s | %s | %s | %s | %s | %d |\n", store,
		r.callsAlone.percentile(0.5).Round(time.Microsecond), r.callsAlone.percentile(0.99).Round(time.Microsecond),
		r.callsDuring.percentile(0.5).Round(time.Microsecond), r.callsDuring.percentile(0.99).Round(time.Microsecond),
		r.callsAlone.errors+r.callsDuring.errors)
}
