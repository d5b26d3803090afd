package policy

import (
	"slices"
	"strings"
	"testing"
)

var (
	alice = Identity{Subject: "local:alice", Email: "alice@example.com", Groups: []string{"eng", "finance"}, ClientID: "c1", Scopes: []string{"snippets"}}
	bob   = Identity{Subject: "local:bob", Email: "bob@example.com", Groups: []string{"eng"}, ClientID: "c2", Scopes: []string{"snippets", "snippets:write"}}
)

func mustCompile(t *testing.T, s Spec) *Policy {
	t.Helper()
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheck(t *testing.T) {
	p := mustCompile(t, Spec{Default: Allow, Rules: []RuleSpec{
		{Name: "finance-export", Tools: []string{"export_ledger"}, Who: Who{Groups: []string{"finance"}}, Effect: Allow},
		{Name: "no-export", Tools: []string{"export_*"}, Effect: Deny},
		{Name: "save-needs-write", Tools: []string{"save_snippet"}, Effect: Allow, RequireScopes: []string{"snippets:write"}},
		{Name: "small-transfers", Tools: []string{"transfer"}, When: `request.arguments.amount < 1000`, Effect: Allow},
		{Name: "no-transfers", Tools: []string{"transfer"}, Effect: Deny},
		{Name: "client-c2-prompts", Prompts: []string{"*"}, Who: Who{Clients: []string{"c2"}}, Effect: Deny},
		{Name: "secrets", Resources: []string{"file:///secrets/*"}, Effect: Deny},
		{Name: "wipe-guard", Tools: []string{"wipe"}, When: `request.arguments.count > 100`, Effect: Deny},
		{Name: "bob-by-email", Tools: []string{"admin_*"}, When: `identity.email.endsWith("@example.com") && "eng" in identity.groups`, Effect: Allow},
	}})
	tests := []struct {
		name    string
		id      Identity
		req     Request
		allowed bool
		rule    string
		missing []string
	}{
		{"finance member exports", alice, Request{Method: "tools/call", Name: "export_ledger"}, true, "finance-export", nil},
		{"others may not export", bob, Request{Method: "tools/call", Name: "export_ledger"}, false, "no-export", nil},
		{"glob deny", alice, Request{Method: "tools/call", Name: "export_users"}, false, "no-export", nil},
		{"missing scope means step-up", alice, Request{Method: "tools/call", Name: "save_snippet"}, false, "save-needs-write", []string{"snippets:write"}},
		{"scope present", bob, Request{Method: "tools/call", Name: "save_snippet"}, true, "save-needs-write", nil},
		{"CEL on arguments allows", alice, Request{Method: "tools/call", Name: "transfer", Arguments: map[string]any{"amount": 10.0}}, true, "small-transfers", nil},
		{"CEL on arguments falls through", alice, Request{Method: "tools/call", Name: "transfer", Arguments: map[string]any{"amount": 5000.0}}, false, "no-transfers", nil},
		{"CEL with a missing argument falls through", alice, Request{Method: "tools/call", Name: "transfer"}, false, "no-transfers", nil},
		{"a deny condition that errs applies", alice, Request{Method: "tools/call", Name: "wipe", Arguments: map[string]any{"count": "many"}}, false, "wipe-guard", nil},
		{"a deny condition that is false does not", alice, Request{Method: "tools/call", Name: "wipe", Arguments: map[string]any{"count": 5.0}}, true, "default", nil},
		{"client rule on prompts", bob, Request{Method: "prompts/get", Name: "summarise"}, false, "client-c2-prompts", nil},
		{"client rule does not touch others", alice, Request{Method: "prompts/get", Name: "summarise"}, true, "default", nil},
		{"tool globs do not match prompts", alice, Request{Method: "prompts/get", Name: "export_ledger"}, true, "default", nil},
		{"resource glob", alice, Request{Method: "resources/read", Name: "file:///secrets/key"}, false, "secrets", nil},
		{"CEL on identity", bob, Request{Method: "tools/call", Name: "admin_reset"}, true, "bob-by-email", nil},
		{"default", bob, Request{Method: "tools/call", Name: "hello_mcp"}, true, "default", nil},
		// A backend that trims or folds names would run the denied tool:
		// a deny rule covers its look-alikes (package lookalike).
		{"deny covers a padded name", bob, Request{Method: "tools/call", Name: " export_ledger"}, false, "no-export", nil},
		{"deny covers case", bob, Request{Method: "tools/call", Name: "EXPORT_users"}, false, "no-export", nil},
		{"deny covers fullwidth", bob, Request{Method: "tools/call", Name: "ｅｘｐｏｒｔ_users"}, false, "no-export", nil},
		{"deny covers a trailing no-break space", alice, Request{Method: "tools/call", Name: "transfer\u00a0"}, false, "no-transfers", nil},
		// An allow rule stays exact: a look-alike gets no rule's allowance
		// and meets the deny below it.
		{"allow does not cover a look-alike", alice, Request{Method: "tools/call", Name: "Export_Ledger"}, false, "no-export", nil},
		{"a different name is not a look-alike", bob, Request{Method: "tools/call", Name: "exports"}, true, "default", nil},
	}
	for _, tt := range tests {
		d := p.Check(tt.id, tt.req)
		if d.Allowed != tt.allowed || d.Rule != tt.rule || !slices.Equal(d.MissingScopes, tt.missing) {
			t.Errorf("%s: %+v, want allowed=%v rule=%s missing=%v", tt.name, d, tt.allowed, tt.rule, tt.missing)
		}
	}
}

func TestDefaultDenyAndConnect(t *testing.T) {
	p := mustCompile(t, Spec{Default: Deny, Connect: Who{Groups: []string{"finance"}},
		Rules: []RuleSpec{{Tools: []string{"hello_mcp"}, Effect: Allow}}})
	if !p.CanConnect(alice) || p.CanConnect(bob) {
		t.Error("connect rule")
	}
	if d := p.Check(alice, Request{Method: "tools/call", Name: "other"}); d.Allowed || d.Rule != "default" {
		t.Errorf("default deny: %+v", d)
	}
	if d := p.Check(alice, Request{Method: "tools/call", Name: "hello_mcp"}); !d.Allowed || d.Rule != "rules[0]" {
		t.Errorf("unnamed rule: %+v", d)
	}
	var none *Policy
	if !none.CanConnect(bob) || !none.Check(bob, Request{}).Allowed || !none.Visible(bob, "tools/call", "x") {
		t.Error("a nil policy allows everything")
	}
}

func TestVisible(t *testing.T) {
	p := mustCompile(t, Spec{Default: Allow, Rules: []RuleSpec{
		{Tools: []string{"export_ledger"}, Who: Who{Groups: []string{"finance"}}, Effect: Allow},
		{Tools: []string{"export_*"}, Effect: Deny},
		{Tools: []string{"transfer"}, When: `request.arguments.amount < 1000`, Effect: Allow},
		{Tools: []string{"transfer"}, Effect: Deny},
		{Tools: []string{"wipe"}, When: `request.arguments.really == true`, Effect: Deny},
		{Tools: []string{"save_snippet"}, Effect: Allow, RequireScopes: []string{"snippets:write"}},
		{Tools: []string{"night_job"}, When: `identity.sub == "local:bob"`, Effect: Allow},
		{Tools: []string{"night_job"}, Effect: Deny},
	}})
	for _, tt := range []struct {
		id   Identity
		name string
		want bool
	}{
		{alice, "export_ledger", true}, {bob, "export_ledger", false}, {bob, "export_users", false},
		{alice, "transfer", true}, // some amount is allowed
		{alice, "wipe", true},     // only some arguments are denied
		{alice, "save_snippet", true},
		{bob, "night_job", true}, {alice, "night_job", false},
		{alice, "hello_mcp", true},
	} {
		if got := p.Visible(tt.id, "tools/call", tt.name); got != tt.want {
			t.Errorf("Visible(%s, %s) = %v", tt.id.Subject, tt.name, got)
		}
	}
}

func TestCompileReportsEveryProblem(t *testing.T) {
	_, err := Compile(Spec{Default: "maybe", Rules: []RuleSpec{
		{Name: "a", Tools: []string{"[unclosed"}, Effect: Allow},
		{Name: "a", Effect: "permit"},
		{Name: "c", When: "request.name +", Effect: Allow},
		{Name: "d", When: `"not a bool"`, Effect: Allow},
	}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"default", `rules[0] (a)`, `"[unclosed"`, `rules[1] (a): the name is used twice`, `effect: "permit"`, "rules[2] (c): when", "rules[3] (d): when: the expression is a string"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestRunawayCELIsStopped(t *testing.T) {
	p := mustCompile(t, Spec{Rules: []RuleSpec{{Tools: []string{"x"}, Effect: Deny,
		When: `[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, a+b+c+d > 0))))`}}})
	// The cost limit aborts the evaluation, and an error never widens
	// access: the deny rule applies.
	if d := p.Check(alice, Request{Method: "tools/call", Name: "x"}); d.Allowed {
		t.Errorf("%+v", d)
	}
}

// Only a condition that could run away runs under the cost limit: every
// macro that builds a comprehension, wherever it sits, and every search
// for a pattern that is not a literal.
func TestNeedsCostLimit(t *testing.T) {
	for expr, want := range map[string]bool{
		`request.arguments.snippetname.startsWith("secret")`:                       false,
		`request.name == "x" && identity.email.endsWith("@example.com")`:           false,
		`request.arguments.path.matches("^/tmp/.*$") || size(identity.groups) > 3`: false,
		`matches(request.arguments.path, "^/tmp/")`:                                false,
		`has(request.arguments.nested) && "a" in identity.groups`:                  false,
		`request.arguments.a + request.arguments.b == identity.email`:              false,
		`identity.groups.all(g, g != "x")`:                                         true,
		`identity.groups.exists(g, g == "x")`:                                      true,
		`identity.groups.exists_one(g, g == "x")`:                                  true,
		`size(identity.groups.map(g, g + "!")) > 0`:                                true,
		`size(identity.groups.filter(g, g == "x")) > 0`:                            true,
		`request.name == "x" || (true && [1, 2].all(a, a > 0))`:                    true,
		`request.arguments.a.contains(request.arguments.b)`:                        true,
		`request.arguments.a.startsWith(request.arguments.b)`:                      true,
		`identity.email.endsWith(request.arguments.b)`:                             true,
		`request.arguments.a.matches(request.arguments.re)`:                        true,
		`matches(request.arguments.a, request.arguments.re)`:                       true,
		`request.arguments.a.contains("x" + request.arguments.b)`:                  true,
	} {
		ast, iss := celEnv.Compile(expr)
		if iss.Err() != nil {
			t.Fatalf("%s: %v", expr, iss.Err())
		}
		if got := needsCostLimit(ast); got != want {
			t.Errorf("needsCostLimit(%s) = %v, want %v", expr, got, want)
		}
	}
}

// A condition that cannot run away reads even a huge argument as it is: a
// deny rule applies only when its condition holds, and an allow rule when
// its does (neither is decided by a cost limit's error any more), while a
// condition that iterates over a huge argument, or searches one for
// another, is still stopped and never widens access.
func TestHugeArgumentDecidedByItsValue(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	p := mustCompile(t, Spec{Default: Deny, Rules: []RuleSpec{
		{Tools: []string{"get_snippet"}, Effect: Deny, When: `request.arguments.snippetname.contains("secret")`},
		{Tools: []string{"get_snippet"}, Effect: Allow, When: `request.arguments.snippetname.matches("x$")`},
		{Tools: []string{"count"}, Effect: Allow, When: `request.arguments.items.all(a, request.arguments.items.all(b, a == b))`},
		{Tools: []string{"search"}, Effect: Allow, When: `!request.arguments.a.contains(request.arguments.b)`},
	}})
	call := func(tool string, args map[string]any) Decision {
		return p.Check(alice, Request{Method: "tools/call", Name: tool, Arguments: args})
	}
	if d := call("get_snippet", map[string]any{"snippetname": huge}); !d.Allowed {
		t.Errorf("a huge name that the deny rule does not match: %+v", d)
	}
	if d := call("get_snippet", map[string]any{"snippetname": "secret" + huge}); d.Allowed {
		t.Errorf("a huge name that the deny rule matches: %+v", d)
	}
	if d := call("get_snippet", map[string]any{"snippetname": huge + "y"}); d.Allowed {
		t.Errorf("a huge name that the allow rule does not match: %+v", d)
	}
	items := make([]any, 2000)
	for i := range items {
		items[i] = "same"
	}
	if d := call("count", map[string]any{"items": items}); d.Allowed {
		t.Errorf("an iterating allow rule over 2,000 × 2,000 items was not stopped: %+v", d)
	}
	if d := call("count", map[string]any{"items": items[:3]}); !d.Allowed {
		t.Errorf("the iterating allow rule over three items: %+v", d)
	}
	if d := call("search", map[string]any{"a": huge, "b": huge[:1<<19] + "y"}); d.Allowed {
		t.Errorf("an allow rule searching a huge argument for another was not stopped: %+v", d)
	}
	if d := call("search", map[string]any{"a": "abc", "b": "z"}); !d.Allowed {
		t.Errorf("the searching allow rule on small arguments: %+v", d)
	}
}
