package server

import (
	"fmt"
	"net/netip"
	"path"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/drawbridge-mcp/drawbridge/internal/authserver"
	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/gateway"
	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
)

// newLimiter builds the configured limiter: per replica in memory, or
// shared through Redis (its client is added to open).
func newLimiter(cfg *config.Config, now func() time.Time, open *cleanup) (ratelimit.Limiter, error) {
	rl := cfg.RateLimits
	if rl.Backend != "redis" {
		return ratelimit.NewMemory(now), nil
	}
	o, err := redis.ParseURL(rl.Redis.URL)
	if err != nil {
		return nil, fmt.Errorf("rate_limits.redis.url: %w", err)
	}
	// Without it go-redis ignores context deadlines on the socket, and a
	// stalled Redis would hold requests far past the limiter's timeout.
	o.ContextTimeoutEnabled = true
	c := redis.NewClient(o)
	open.add("redis client", c.Close)
	return ratelimit.NewRedis(c, ratelimit.RedisOptions{Now: now, FailOpen: rl.Redis.FailOpen, Timeout: rl.Redis.Timeout.D(), Prefix: rl.Redis.Prefix})
}

// authLimits are the authorization server's per-address limits: a token
// bucket per minute for the token, authorize and login endpoints, a quota
// per hour for registration; an endpoint configured with 0 has none.
func authLimits(cfg *config.Config) map[string]ratelimit.Limit {
	a := cfg.RateLimits.Auth
	limits := map[string]ratelimit.Limit{}
	perMinute := func(endpoint string, n int64) {
		if n > 0 {
			limits[endpoint] = ratelimit.Limit{Name: endpoint, Kind: ratelimit.TokenBucket, Rate: float64(n) / 60, Burst: n}
		}
	}
	perMinute(authserver.LimitToken, a.TokenPerMinute)
	perMinute(authserver.LimitAuthorize, a.AuthorizePerMinute)
	perMinute(authserver.LimitLogin, a.LoginPerMinute)
	if n := cfg.Registration.PerAddressPerHour; n > 0 {
		limits[authserver.LimitRegister] = ratelimit.Limit{Name: authserver.LimitRegister, Kind: ratelimit.Quota, Window: ratelimit.Hour, Max: int64(n)}
	}
	return limits
}

// rateRules are the limits that apply to one server.
func rateRules(cfg *config.Config, sv *config.Backend) []gateway.RateRule {
	var out []gateway.RateRule
	for _, r := range cfg.RateLimits.Rules {
		if !matchAny(r.Servers, sv.Name) {
			continue
		}
		out = append(out, gateway.RateRule{Limit: r.Limit(), Per: r.Per, Methods: r.Methods, Tools: r.Tools})
	}
	return out
}

func matchAny(globs []string, name string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

func prefixes(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, n := range list {
		if p, err := clientaddr.ParsePrefix(n); err == nil { // validated at load
			out = append(out, p)
		}
	}
	return out
}
