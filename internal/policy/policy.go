package policy

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/lookalike"
	"github.com/google/cel-go/cel"
)

// Effects and defaults.
const (
	Allow = "allow"
	Deny  = "deny"
)

// Spec is a server's policy as configured.
type Spec struct {
	// Default decides calls no rule applies to: allow (the default) or deny.
	Default string
	// Connect, if not empty, limits who may use the server at all.
	Connect Who
	// Rules are tried in order; the first that applies decides.
	Rules []RuleSpec
}

// Who matches an identity. Each non-empty list must match (any of its
// entries); empty lists match everyone.
type Who struct {
	Subjects []string
	Emails   []string
	Groups   []string
	Clients  []string
	// Scopes must all be granted to the token.
	Scopes []string
}

// RuleSpec is one rule as configured.
type RuleSpec struct {
	Name string
	// Tools, Prompts and Resources name what the rule is about: exact names
	// or globs (path.Match syntax: *, ?, [...]); resources by URI. A rule
	// with none of them applies to every call.
	Tools     []string
	Prompts   []string
	Resources []string
	// Who the rule is about; empty: everyone.
	Who Who
	// When is a CEL expression that must be true for the rule to apply,
	// over `identity` (sub, email, name, groups, client_id, scopes) and
	// `request` (method, name, arguments).
	When string
	// Effect is allow or deny.
	Effect string
	// RequireScopes are needed, besides the server's, for an allowed call;
	// a token without them gets a step-up challenge.
	RequireScopes []string
}

// Policy is a compiled policy.
type Policy struct {
	def     string
	connect Who
	rules   []*rule
}

type rule struct {
	RuleSpec
	// lookalikeGlobs are a deny rule's tool and prompt globs as look-alike
	// keys (see targets).
	lookalikeTools, lookalikePrompts []string
	when                             cel.Program
	// usesArguments: the condition reads request.arguments, which lists
	// do not have.
	usesArguments bool
}

// Compile checks a spec and prepares it; every problem is reported.
func Compile(s Spec) (*Policy, error) {
	p := &Policy{def: s.Default, connect: s.Connect}
	if p.def == "" {
		p.def = Allow
	}
	var errs []error
	if p.def != Allow && p.def != Deny {
		errs = append(errs, fmt.Errorf("default: %q is not allow or deny", s.Default))
	}
	names := map[string]bool{}
	for i, rs := range s.Rules {
		r, err := compileRule(rs)
		label := fmt.Sprintf("rules[%d]", i)
		if rs.Name != "" {
			label += " (" + rs.Name + ")"
			if names[rs.Name] {
				errs = append(errs, fmt.Errorf("%s: the name is used twice", label))
			}
			names[rs.Name] = true
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", label, err))
			continue
		}
		p.rules = append(p.rules, r)
	}
	return p, errors.Join(errs...)
}

func compileRule(rs RuleSpec) (*rule, error) {
	r := &rule{RuleSpec: rs, lookalikeTools: lookalikeKeys(rs.Effect, rs.Tools), lookalikePrompts: lookalikeKeys(rs.Effect, rs.Prompts)}
	var errs []error
	if rs.Effect != Allow && rs.Effect != Deny {
		errs = append(errs, fmt.Errorf("effect: %q is not allow or deny", rs.Effect))
	}
	for _, g := range slices.Concat(rs.Tools, rs.Prompts, rs.Resources) {
		if _, err := path.Match(g, ""); err != nil || g == "" {
			errs = append(errs, fmt.Errorf("%q is not a valid name or glob", g))
		}
	}
	if rs.When != "" {
		prg, usesArgs, err := compileCEL(rs.When)
		if err != nil {
			errs = append(errs, fmt.Errorf("when: %w", err))
		}
		r.when, r.usesArguments = prg, usesArgs
	}
	return r, errors.Join(errs...)
}

// Identity is who is calling.
type Identity struct {
	Subject  string
	Email    string
	Name     string
	Groups   []string
	ClientID string
	Scopes   []string
}

// Request is what is being asked.
type Request struct {
	// Method is the JSON-RPC method (tools/call, prompts/get, resources/read).
	Method string
	// Name is the tool or prompt name, or the resource URI.
	Name string
	// Arguments are the call's arguments (JSON-decoded), if any.
	Arguments map[string]any
}

// Decision is the outcome of a check.
type Decision struct {
	Allowed bool
	// Rule names what decided: a rule's name (or rules[i]), "default" or
	// "connect".
	Rule string
	// MissingScopes, when not empty, is all the scopes the call needs that
	// the token lacks: the caller should answer with a step-up challenge.
	MissingScopes []string
	// NeedScopes is every scope the call needs (for the challenge).
	NeedScopes []string
}

// CanConnect reports whether the identity may use the server at all.
func (p *Policy) CanConnect(id Identity) bool {
	return p == nil || p.connect.matches(id)
}

func (w Who) matches(id Identity) bool {
	return anyOf(w.Subjects, id.Subject) && anyOf(w.Emails, id.Email) && anyIn(w.Groups, id.Groups) &&
		anyOf(w.Clients, id.ClientID) && allIn(w.Scopes, id.Scopes)
}

func anyOf(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }

func anyIn(list, have []string) bool {
	if len(list) == 0 {
		return true
	}
	for _, g := range have {
		if slices.Contains(list, g) {
			return true
		}
	}
	return false
}

func allIn(list, have []string) bool {
	for _, s := range list {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
}

// targets reports whether the rule is about this request; key is the
// look-alike key of its name, worked out once per request and only when a
// deny rule needs it.
func (r *rule) targets(req Request, key *nameKey) bool {
	var globs []string
	switch req.Method {
	case "tools/call":
		globs = r.Tools
	case "prompts/get":
		globs = r.Prompts
	case "resources/read":
		globs = r.Resources
	}
	if len(r.Tools)+len(r.Prompts)+len(r.Resources) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, req.Name); ok {
			return true
		}
	}
	// A backend may run a tool under a look-alike of its name (trimmed,
	// case-folded, fullwidth: package lookalike), so a deny rule covers the
	// look-alikes of the names it denies. An allow rule stays exact: it
	// never widens access to a name it does not spell.
	var keys []string
	switch req.Method {
	case "tools/call":
		keys = r.lookalikeTools
	case "prompts/get":
		keys = r.lookalikePrompts
	}
	if len(keys) > 0 {
		name := key.get()
		for _, k := range keys {
			if ok, _ := path.Match(k, name); ok {
				return true
			}
		}
	}
	return false
}

// nameKey is a request name's look-alike key, worked out on first use.
type nameKey struct {
	name, key string
	done      bool
}

func (k *nameKey) get() string {
	if !k.done {
		k.key, k.done = lookalike.Key(k.name), true
	}
	return k.key
}

// lookalikeKeys are the look-alike keys of a deny rule's globs; nil for an
// allow rule.
func lookalikeKeys(effect string, globs []string) []string {
	if effect != Deny {
		return nil
	}
	keys := make([]string, 0, len(globs))
	for _, g := range globs {
		keys = append(keys, lookalike.Key(g))
	}
	return keys
}

// Check decides a call (tools/call, prompts/get, resources/read).
func (p *Policy) Check(id Identity, req Request) Decision {
	if p == nil {
		return Decision{Allowed: true, Rule: "default"}
	}
	key := &nameKey{name: req.Name}
	for i, r := range p.rules {
		if !r.targets(req, key) || !r.Who.matches(id) {
			continue
		}
		if r.when != nil {
			ok, err := evalCEL(r.when, id, req)
			if err != nil {
				// A condition that cannot be evaluated (a missing or
				// mistyped argument, a cost-limit hit on a huge argument)
				// never widens access: a deny rule applies, an allow rule
				// does not. Otherwise a client could dodge a deny rule by
				// sending arguments that break its condition.
				ok = r.Effect == Deny
			}
			if !ok {
				continue
			}
		}
		return r.decide(i, id)
	}
	return Decision{Allowed: p.def == Allow, Rule: "default"}
}

func (r *rule) label(i int) string {
	if r.Name != "" {
		return r.Name
	}
	return fmt.Sprintf("rules[%d]", i)
}

func (r *rule) decide(i int, id Identity) Decision {
	d := Decision{Allowed: r.Effect == Allow, Rule: r.label(i)}
	if d.Allowed && len(r.RequireScopes) > 0 {
		d.NeedScopes = r.RequireScopes
		for _, s := range r.RequireScopes {
			if !slices.Contains(id.Scopes, s) {
				d.MissingScopes = append(d.MissingScopes, s)
			}
		}
		if len(d.MissingScopes) > 0 {
			d.Allowed = false
		}
	}
	return d
}

// Visible reports whether a listed tool, prompt or resource should be
// shown to the caller: whether calling it could be allowed. Conditions on
// arguments are unknown when listing, so a rule with such a condition is
// assumed to apply when it allows and not to when it denies: a list never
// hides what some call could use. A call still needing a scope is shown
// (the client can step up).
func (p *Policy) Visible(id Identity, method, name string) bool {
	if p == nil {
		return true
	}
	req := Request{Method: method, Name: name}
	key := &nameKey{name: req.Name}
	for i, r := range p.rules {
		if !r.targets(req, key) || !r.Who.matches(id) {
			continue
		}
		if r.when != nil {
			if r.usesArguments {
				if r.Effect == Allow {
					return true
				}
				continue
			}
			if ok, err := evalCEL(r.when, id, req); err != nil || !ok {
				continue
			}
		}
		d := r.decide(i, id)
		return d.Allowed || len(d.MissingScopes) > 0
	}
	return p.def == Allow
}

// CallMethod maps a list method to the call it lists.
func CallMethod(listMethod string) (string, bool) {
	switch listMethod {
	case "tools/list":
		return "tools/call", true
	case "prompts/list":
		return "prompts/get", true
	case "resources/list", "resources/templates/list":
		return "resources/read", true
	}
	return "", false
}

// trimmed keeps error texts short.
func trimmed(s string) string { return strings.TrimSpace(s) }

// NeedsArguments reports whether any rule's condition reads the call's
// arguments, so callers decode them only when a rule will look.
func (p *Policy) NeedsArguments() bool {
	if p == nil {
		return false
	}
	for _, r := range p.rules {
		if r.usesArguments {
			return true
		}
	}
	return false
}
