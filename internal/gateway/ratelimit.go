package gateway

import (
	"errors"
	"net/http"
	"path"
	"slices"

	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/jsonrpc"
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

// checkRate charges every limit that applies to one message (or, for a
// request without a body, to its HTTP method); the first that refuses
// decides.
func (rt *route) checkRate(x *exchange, method, name string) verdict {
	if len(rt.RateRules) == 0 || rt.gw.opt.Limiter == nil {
		return verdict{}
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
			return verdict{reason: reasonRateLimited, rule: rr.Limit.Name, wait: d}
		}
	}
	return verdict{}
}

// checkRequestRate limits a request without a body (a GET stream, a
// DELETE) by its HTTP method.
func (rt *route) checkRequestRate(x *exchange) bool {
	v := rt.checkRate(x, "http "+x.r.Method, "")
	if v.reason == "" {
		return true
	}
	x.reason, x.rule = v.reason, v.rule
	x.w.Header().Set("Retry-After", itoa(ratelimit.RetryAfterSeconds(v.wait.RetryAfter)))
	writeRPCError(x.w, http.StatusTooManyRequests, nil, rateLimitedError(&v))
	return false
}

// rateLimitedError is the JSON-RPC error of a refusal by a rate limit,
// carrying the wait for programs.
func rateLimitedError(v *verdict) *jsonrpc.Error {
	secs := ratelimit.RetryAfterSeconds(v.wait.RetryAfter)
	return &jsonrpc.Error{Code: jsonrpc.CodeRateLimited, Message: "rate limit " + quote(v.rule) + " exceeded; retry after " + itoa(secs) + " seconds",
		Data: rateLimitData{Limit: v.rule, RetryAfter: secs}}
}

// rateLimitData tells programs which limit refused and how many seconds
// to wait (the Retry-After header's value).
type rateLimitData struct {
	Limit      string `json:"limit"`
	RetryAfter int    `json:"retry_after"`
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
