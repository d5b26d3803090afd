package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"path"
	"slices"
	"strconv"

	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
)

// RateRule limits some of a server's requests.
type RateRule struct {
	Limit ratelimit.Limit
	// Per: which of user, client, server, tool, address make up the key.
	Per []string
	// Methods and Tools (globs) select requests; empty selects all.
	Methods []string
	Tools   []string
}

// codeRateLimited is the JSON-RPC error for a refused request, in the
// implementation-defined server range.
const codeRateLimited = -32029

// applies reports whether the rule counts this request.
func (rr *RateRule) applies(method, name string) bool {
	if len(rr.Methods) > 0 && !slices.Contains(rr.Methods, method) {
		return false
	}
	if len(rr.Tools) == 0 {
		return true
	}
	for _, g := range rr.Tools {
		if ok, _ := path.Match(g, name); ok && name != "" {
			return true
		}
	}
	return false
}

// checkRate charges every applicable limit; the first that refuses answers
// the request with 429, Retry-After and a JSON-RPC error carrying the wait.
func (rt *route) checkRate(x *exchange) bool {
	if len(rt.RateRules) == 0 || rt.gw.opt.Limiter == nil {
		return true
	}
	method, name := "http "+x.r.Method, ""
	var id json.RawMessage
	if m := x.msg; m != nil && m.parsed && !m.batch {
		method, id = m.Method, m.ID
		name, _ = nameOf(m)
	}
	for i := range rt.RateRules {
		rr := &rt.RateRules[i]
		if !rr.applies(method, name) {
			continue
		}
		d, err := rt.gw.opt.Limiter.Allow(x.r.Context(), rr.Limit, rt.rateKey(rr, x, name), 1)
		if err != nil && !errors.Is(err, ratelimit.ErrUnavailable) {
			rt.gw.opt.Log.Error("rate limit", "limit", rr.Limit.Name, "err", err)
			continue
		}
		if err != nil {
			rt.gw.opt.Log.Warn("rate limit store unavailable", "limit", rr.Limit.Name, "allowed", d.Allowed, "err", err)
		}
		if !d.Allowed {
			rt.gw.opt.Metrics.RateLimited(rr.Limit.Name)
			x.reason, x.rule = "rate_limited", rr.Limit.Name
			writeRateLimited(x.w, id, rr.Limit.Name, d)
			return false
		}
	}
	return true
}

func (rt *route) rateKey(rr *RateRule, x *exchange, name string) string {
	parts := make([]string, 0, len(rr.Per))
	for _, p := range rr.Per {
		switch p {
		case "user":
			parts = append(parts, x.claims.Subject)
		case "client":
			parts = append(parts, x.claims.ClientID)
		case "server":
			parts = append(parts, rt.Name)
		case "tool":
			parts = append(parts, name)
		case "address":
			parts = append(parts, clientaddr.LimitKey(x.r))
		}
	}
	return ratelimit.Key(parts...)
}

// RetryAfterSeconds rounds a wait up to whole seconds, at least 1, for
// the Retry-After header (RFC 9110 §10.2.3).
func RetryAfterSeconds(d ratelimit.Decision) int {
	s := int(math.Ceil(d.RetryAfter.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}

func writeRateLimited(w http.ResponseWriter, id json.RawMessage, limit string, d ratelimit.Decision) {
	secs := RetryAfterSeconds(d)
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	body, _ := jsonMarshal(map[string]any{"jsonrpc": "2.0", "id": id, "error": map[string]any{
		"code": codeRateLimited, "message": fmt.Sprintf("rate limit %q exceeded; retry after %d seconds", limit, secs),
		"data": map[string]any{"limit": limit, "retry_after": secs},
	}})
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write(body)
}
