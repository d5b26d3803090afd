package policy

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
)

// mapEval is how conditions were evaluated before activations were kept
// between calls: fresh maps of strings for every evaluation. The pooled
// activation must give a condition exactly what this gives it.
func mapEval(prg cel.Program, id Identity, req Request) (string, error) {
	args := req.Arguments
	if args == nil {
		args = map[string]any{}
	}
	list := func(s []string) []any {
		out := make([]any, len(s))
		for i, v := range s {
			out[i] = v
		}
		return out
	}
	out, _, err := prg.Eval(map[string]any{
		"identity": map[string]any{
			"sub": id.Subject, "email": id.Email, "name": id.Name, "groups": list(id.Groups),
			"client_id": id.ClientID, "scopes": list(id.Scopes),
		},
		"request": map[string]any{"method": req.Method, "name": req.Name, "arguments": args},
	})
	if err != nil {
		return "", err
	}
	// What evalCEL makes of the result.
	if b, ok := out.Value().(bool); ok {
		return fmt.Sprint(b), nil
	}
	return "", fmt.Errorf("the condition did not give a boolean")
}

// pooledEval is evalCEL on a given activation, reused by the caller.
func pooledEval(a *activation, prg cel.Program, id Identity, req Request) (string, error) {
	b, err := a.eval(prg, id, req)
	if err != nil {
		return "", err
	}
	return fmt.Sprint(b), nil
}

// celExprs read identity and request every way CEL can: fields, has(),
// `in`, sizes, macros over the maps and the lists, equality with literals,
// conversions, and reads that fail.
var celExprs = []string{
	`identity.sub == "local:alice"`,
	`identity.email.endsWith("@example.com") && "eng" in identity.groups`,
	`"finance" in identity.groups`,
	`identity.groups.size() == 0`,
	`identity.groups == []`,
	`identity.groups == ["eng", "finance"]`,
	`identity.scopes.exists(s, s.startsWith("snippets"))`,
	`identity.scopes.all(s, s != "")`,
	`identity.groups.map(g, g + "!").size() > 1`,
	`identity.exists(k, k == "client_id")`,
	`identity.all(k, k.size() > 0)`,
	`identity.size() == 6 && request.size() == 3`,
	`has(identity.name) && identity.name == ""`,
	`identity.client_id in ["c1", "c2"]`,
	`identity == {"sub": "local:bob", "email": "bob@example.com", "name": "", "groups": ["eng"], "client_id": "c2", "scopes": ["snippets", "snippets:write"]}`,
	`type(identity.sub) == string && type(identity.groups) == list`,
	`string(identity.groups) != ""`,
	`request.method == "tools/call" && request.name == "transfer"`,
	`request.arguments.amount < 1000`,
	`has(request.arguments.secret)`,
	`request.arguments.size() == 0`,
	`"amount" in request.arguments`,
	`request.arguments.snippetname.startsWith("secret")`,
	`request.arguments.nested.list[1] == "b"`,
	`request.arguments == {}`,
	`request.arguments.exists(k, k == "amount")`,
	`dyn(request.name)`,
	`dyn(identity.groups)`,
	`dyn(identity)`,
	`identity.groups[0] == "eng"`,
	`identity.groups[5] == "x"`,
	`(identity.groups + ["x"]).size() == 3`,
	`identity.groups.filter(g, g != "eng") == ["finance"]`,
	`identity.groups.exists_one(g, g == "eng")`,
	`identity.scopes.map(s, s.size()).exists(n, n > 8)`,
	`identity["client_id"] == "c1" && request["name"] == "transfer"`,
	`identity.nothing == ""`,
	`size(identity.sub) > 5 && identity.sub.contains(":")`,
	`request.arguments.amount + 1.0 == 11.0`,
	`int(request.arguments.amount) == 10`,
	`request.name.matches("^trans")`,
	`request.arguments.amount > 10 || identity.sub == "local:bob"`,
}

var celCalls = []struct {
	id  Identity
	req Request
}{
	{alice, Request{Method: "tools/call", Name: "transfer", Arguments: map[string]any{"amount": 10.0, "secret": "s3cr3t"}}},
	{bob, Request{Method: "tools/call", Name: "transfer"}},
	{Identity{}, Request{Method: "prompts/get", Name: ""}},
	{alice, Request{Method: "tools/call", Name: "get_snippet", Arguments: map[string]any{"snippetname": "secret-plan", "nested": map[string]any{"list": []any{"a", "b"}}}}},
	{Identity{Subject: "s", Groups: []string{"a", "b", "c", "d", "e"}, Scopes: []string{"x"}}, Request{Method: "resources/read", Name: "file:///x", Arguments: map[string]any{"amount": 5000.0}}},
	{bob, Request{Method: "tools/call", Name: "get_snippet", Arguments: map[string]any{"snippetname": "greeting"}}},
}

// TestActivationSameAsMaps evaluates every expression on every call with
// one activation, reused from call to call in a fixed order and then
// backwards, and compares with fresh maps: a value left over from an
// earlier call, or a value read differently, shows as a difference.
func TestActivationSameAsMaps(t *testing.T) {
	a := newActivation()
	for _, expr := range celExprs {
		prg, _, err := compileCEL(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		for pass := 0; pass < 2; pass++ {
			for j := range celCalls {
				if pass == 1 {
					j = len(celCalls) - 1 - j
				}
				c := celCalls[j]
				want, wantErr := mapEval(prg, c.id, c.req)
				got, gotErr := pooledEval(a, prg, c.id, c.req)
				if got != want || (gotErr == nil) != (wantErr == nil) {
					t.Errorf("%s on call %d: got %q (err %v), want %q (err %v)", expr, j, got, gotErr, want, wantErr)
				}
			}
		}
	}
}

// TestActivationLeavesNothing: after an evaluation, nothing of the call is
// reachable from the activation, and the next call sees only its own
// values, even a call with fewer groups or no arguments.
func TestActivationLeavesNothing(t *testing.T) {
	a := newActivation()
	rich := Identity{Subject: "local:alice", Email: "alice@example.com", Name: "Alice", Groups: []string{"eng", "finance"}, ClientID: "c1", Scopes: []string{"admin"}}
	args := map[string]any{"secret": "s3cr3t"}
	prg, _, err := compileCEL(`identity.sub + identity.email + identity.name + identity.client_id + identity.groups[1] + identity.scopes[0] + request.method + request.name + request.arguments.secret == "local:alicealice@example.comAlicec1financeadmintools/callts3cr3t"`)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := pooledEval(a, prg, rich, Request{Method: "tools/call", Name: "t", Arguments: args}); got != "true" || err != nil {
		t.Fatalf("the condition did not read every value: %q, %v", got, err)
	}
	if !reflect.DeepEqual(a.id, Identity{}) || !reflect.DeepEqual(a.req, Request{}) || a.haveIdentity || a.haveRequest || a.sub != "" || a.email != "" || a.name != "" || a.clientID != "" || a.method != "" || a.target != "" {
		t.Errorf("fields left after an evaluation: %+v", a)
	}
	// The strings' entries point at the activation's fields for good;
	// what they point at must be empty, and nothing else may be left.
	for name, m := range map[string]map[string]any{"identity": a.identity, "request": a.request} {
		for k, v := range m {
			if p, ok := v.(*types.String); ok {
				if *p != "" {
					t.Errorf("%s[%s] left: %q", name, k, *p)
				}
			} else if v != nil {
				t.Errorf("%s[%s] left: %v", name, k, v)
			}
		}
	}
	for _, v := range a.groups[:cap(a.groups)] {
		if v != "" {
			t.Errorf("a group left: %q", v)
		}
	}
	for _, v := range a.groupsAny[:cap(a.groupsAny)] {
		if v != nil {
			t.Errorf("a group reference left: %v", v)
		}
	}
	for _, v := range a.scopes[:cap(a.scopes)] {
		if v != "" {
			t.Errorf("a scope left: %q", v)
		}
	}
	for _, v := range a.scopesAny[:cap(a.scopesAny)] {
		if v != nil {
			t.Errorf("a scope reference left: %v", v)
		}
	}

	for _, expr := range []string{
		`identity.groups.size() == 0 && identity.scopes.size() == 0`,
		`identity.sub == "" && identity.email == "" && identity.name == "" && identity.client_id == ""`,
		`!has(request.arguments.secret) && request.arguments.size() == 0`,
	} {
		prg, _, err := compileCEL(expr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pooledEval(a, prg, rich, Request{Method: "tools/call", Name: "t", Arguments: args}); err != nil {
			t.Fatal(err)
		}
		got, err := pooledEval(a, prg, Identity{}, Request{Method: "tools/call", Name: "t"})
		if err != nil || got != "true" {
			t.Errorf("%s after a richer call: %q, %v", expr, got, err)
		}
	}
}

// TestConcurrentChecks runs calls that differ only in who and what on many
// goroutines through the pool: each must get its own decision (go test
// -race checks the rest).
func TestConcurrentChecks(t *testing.T) {
	p := mustCompile(t, Spec{Default: Allow, Rules: []RuleSpec{
		{Name: "no-secrets", Tools: []string{"get_snippet"}, When: `request.arguments.snippetname.startsWith("secret") || identity.sub == "local:mallory"`, Effect: Deny},
	}})
	mallory := Identity{Subject: "local:mallory"}
	done := make(chan error)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 500; i++ {
				deny := (g+i)%3 == 0
				id, name := alice, "greeting"
				switch {
				case deny && i%2 == 0:
					name = "secret-plan"
				case deny:
					id = mallory
				}
				d := p.Check(id, Request{Method: "tools/call", Name: "get_snippet", Arguments: map[string]any{"snippetname": name}})
				if d.Allowed == deny {
					done <- fmt.Errorf("goroutine %d call %d (%s, %s): allowed=%v", g, i, id.Subject, name, d.Allowed)
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	p, err := Compile(Spec{Default: Deny, Rules: []RuleSpec{
		{Name: "no-secret-snippets", Tools: []string{"get_snippet"}, When: `request.arguments.snippetname.startsWith("secret")`, Effect: Deny},
		{Name: "snippets", Tools: []string{"get_snippet", "list_snippets", "save_snippet"}, Effect: Allow, RequireScopes: []string{"snippets"}},
	}})
	if err != nil {
		b.Fatal(err)
	}
	req := Request{Method: "tools/call", Name: "get_snippet", Arguments: map[string]any{"snippetname": "greeting"}}
	b.ReportAllocs()
	for b.Loop() {
		if d := p.Check(alice, req); !d.Allowed {
			b.Fatal(d)
		}
	}
}
