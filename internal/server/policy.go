package server

import (
	"errors"
	"fmt"
	"slices"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/policy"
)

// CompilePolicies compiles every server's policy, reporting every problem
// (drawbridge check calls it too). Servers without rules get none.
func CompilePolicies(cfg *config.Config) (map[string]*policy.Policy, error) {
	out := map[string]*policy.Policy{}
	var errs []error
	for i := range cfg.Backends {
		sv := &cfg.Backends[i]
		p := sv.Policy
		if p.Default == "" && len(p.Rules) == 0 && isZeroWho(p.Connect) {
			continue
		}
		spec := policy.Spec{Default: p.Default, Connect: who(p.Connect)}
		for _, r := range p.Rules {
			spec.Rules = append(spec.Rules, policy.RuleSpec{Name: r.Name, Tools: r.Tools, Prompts: r.Prompts,
				Resources: r.Resources, Who: who(r.Who), When: r.When, Effect: r.Effect, RequireScopes: r.RequireScopes})
		}
		compiled, err := policy.Compile(spec)
		if err != nil {
			errs = append(errs, fmt.Errorf("servers[%d].policy: %w", i, err))
			continue
		}
		out[sv.Name] = compiled
	}
	return out, errors.Join(errs...)
}

func who(w config.Who) policy.Who {
	return policy.Who{Subjects: w.Subjects, Emails: w.Emails, Groups: w.Groups, Clients: w.Clients, Scopes: w.Scopes}
}

func isZeroWho(w config.Who) bool {
	return len(w.Subjects)+len(w.Emails)+len(w.Groups)+len(w.Clients)+len(w.Scopes) == 0
}

// stepUpScopes are the scopes a server's rules may require beyond its own:
// clients must be able to ask for them.
func stepUpScopes(sv *config.Backend) []string {
	var out []string
	for _, r := range sv.Policy.Rules {
		for _, sc := range r.RequireScopes {
			if !slices.Contains(out, sc) && !slices.Contains(sv.Scopes, sc) {
				out = append(out, sc)
			}
		}
	}
	return out
}
