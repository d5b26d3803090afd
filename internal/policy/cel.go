package policy

import (
	"fmt"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/interpreter"
)

var celEnv = func() *cel.Env {
	env, err := cel.NewEnv(
		cel.Variable("identity", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("request", cel.MapType(cel.StringType, cel.DynType)),
	)
	if err != nil {
		panic(err) // a fixed declaration: cannot fail
	}
	return env
}()

// compileCEL compiles a condition; it must be a boolean expression.
func compileCEL(expr string) (cel.Program, bool, error) {
	ast, iss := celEnv.Compile(expr)
	if iss.Err() != nil {
		return nil, false, fmt.Errorf("%s", trimmed(iss.Err().Error()))
	}
	if ast.OutputType() != cel.BoolType && ast.OutputType() != cel.DynType {
		return nil, false, fmt.Errorf("the expression is a %s, not a boolean", ast.OutputType())
	}
	// A condition runs on every call, so a runaway one must not stall the
	// gateway; it runs under a cost limit unless it cannot run away, and
	// then without the limit's cost tracker, which more than doubled every
	// evaluation's time (needsCostLimit).
	var opts []cel.ProgramOption
	if needsCostLimit(ast) {
		opts = append(opts, cel.CostLimit(10000), cel.InterruptCheckFrequency(100))
	}
	prg, err := celEnv.Program(ast, opts...)
	if err != nil {
		return nil, false, err
	}
	return prg, strings.Contains(expr, "arguments"), nil
}

// needsCostLimit reports whether a checked condition could run for as long
// as a client likes. It could with a comprehension (all, exists,
// exists_one, map, filter) nested over a client's arguments, or with a
// search whose pattern is not a literal (contains, startsWith, endsWith,
// matches: searching a client's string for another of the client's costs
// the product of their sizes, and a client's regular expression is the
// client's program). Anything else costs at most the condition's size
// times the size of what it reads (every other function of CEL's standard
// library is linear in its arguments or less), which the request body
// limit bounds.
func needsCostLimit(a *cel.Ast) bool {
	costly := celast.MatchDescendants(celast.NavigateAST(a.NativeRep()), func(e celast.NavigableExpr) bool {
		switch e.Kind() {
		case celast.ComprehensionKind:
			return true
		case celast.CallKind:
			call := e.AsCall()
			if !searches[call.FunctionName()] {
				return false
			}
			patterns := call.Args()
			if !call.IsMemberFunction() && len(patterns) > 0 {
				patterns = patterns[1:] // matches(string, pattern)
			}
			for _, p := range patterns {
				if p.Kind() != celast.LiteralKind {
					return true
				}
			}
		}
		return false
	})
	return len(costly) > 0
}

// searches are the standard library's functions that look for a pattern
// in a string.
var searches = map[string]bool{"contains": true, "startsWith": true, "endsWith": true, "matches": true}

func evalCEL(prg cel.Program, id Identity, req Request) (bool, error) {
	a := activations.Get().(*activation)
	defer activations.Put(a)
	return a.eval(prg, id, req)
}

// activations keeps activations between evaluations: a condition runs on
// every call, and building its two maps afresh each time was most of its
// allocations.
var activations = sync.Pool{New: func() any { return newActivation() }}

// activation is what a condition sees: `identity` and `request`, each a
// map[string]any as the CEL type adapter reads one, built only when the
// condition names it (most name one of the two) and released after each
// evaluation, so nothing of one call is left for the next.
//
// The maps hold pointers to the activation's own types.String fields rather
// than strings: storing a string in an `any` allocates, a pointer does not,
// and the adapter reads a *types.String as the string it points to (what
// it makes of a string), so a condition sees the same values either way.
type activation struct {
	id  Identity // copies: pointers to the caller's would make them escape
	req Request

	identity, request          map[string]any
	identityVal, requestVal    any // the maps as the adapter wraps them, made once
	haveIdentity, haveRequest  bool
	sub, email, name, clientID types.String
	method, target             types.String
	groups, scopes             []types.String
	groupsAny, scopesAny       []any
}

var _ interpreter.Activation = (*activation)(nil)

// newActivation makes an activation whose maps have every key from the
// start, so that a map's size and keys never depend on the call. The
// strings' entries point at the activation's fields for good; each call
// sets the fields, and the lists and arguments.
func newActivation() *activation {
	a := &activation{}
	a.identity = map[string]any{"sub": &a.sub, "email": &a.email, "name": &a.name, "client_id": &a.clientID, "groups": nil, "scopes": nil}
	a.request = map[string]any{"method": &a.method, "name": &a.target, "arguments": nil}
	// What the adapter would make of each map on every lookup; the wrapper
	// reads the map at each access, so it sees every call's values.
	a.identityVal = types.NewStringInterfaceMap(celEnv.CELTypeAdapter(), a.identity)
	a.requestVal = types.NewStringInterfaceMap(celEnv.CELTypeAdapter(), a.request)
	return a
}

// eval runs prg against id and req and leaves a released.
func (a *activation) eval(prg cel.Program, id Identity, req Request) (bool, error) {
	a.id, a.req = id, req
	defer a.release()
	out, _, err := prg.Eval(a)
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("the condition did not give a boolean")
	}
	return b, nil
}

// ResolveName implements interpreter.Activation.
func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "identity":
		if !a.haveIdentity {
			a.fillIdentity()
		}
		return a.identityVal, true
	case "request":
		if !a.haveRequest {
			a.fillRequest()
		}
		return a.requestVal, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (a *activation) Parent() interpreter.Activation { return nil }

func (a *activation) fillIdentity() {
	id := &a.id
	a.sub, a.email, a.name, a.clientID = types.String(id.Subject), types.String(id.Email), types.String(id.Name), types.String(id.ClientID)
	a.groups, a.groupsAny = stringsAny(a.groups, a.groupsAny, id.Groups)
	a.scopes, a.scopesAny = stringsAny(a.scopes, a.scopesAny, id.Scopes)
	a.identity["groups"], a.identity["scopes"] = a.groupsAny, a.scopesAny
	a.haveIdentity = true
}

func (a *activation) fillRequest() {
	req := &a.req
	a.method, a.target = types.String(req.Method), types.String(req.Name)
	args := req.Arguments
	if args == nil {
		args = noArguments
	}
	a.request["arguments"] = args
	a.haveRequest = true
}

// noArguments stands for absent arguments. CEL never changes a map it is
// given, so one is shared.
var noArguments = map[string]any{}

// release drops every reference to the call: the strings are emptied, the
// lists and arguments taken out of the maps, the lists' buffers zeroed.
func (a *activation) release() {
	if a.haveIdentity {
		a.sub, a.email, a.name, a.clientID = "", "", "", ""
		a.identity["groups"], a.identity["scopes"] = nil, nil
		clear(a.groups[:cap(a.groups)])
		clear(a.scopes[:cap(a.scopes)])
		clear(a.groupsAny[:cap(a.groupsAny)])
		clear(a.scopesAny[:cap(a.scopesAny)])
		a.groups, a.scopes, a.groupsAny, a.scopesAny = a.groups[:0], a.scopes[:0], a.groupsAny[:0], a.scopesAny[:0]
	}
	if a.haveRequest {
		a.method, a.target = "", ""
		a.request["arguments"] = nil
	}
	a.id, a.req = Identity{}, Request{}
	a.haveIdentity, a.haveRequest = false, false
}

// stringsAny is s as a CEL list of strings, in the buffers strs and list:
// each element points at its string in strs (see activation).
func stringsAny(strs []types.String, list []any, s []string) ([]types.String, []any) {
	strs, list = strs[:0], list[:0]
	for _, v := range s {
		strs = append(strs, types.String(v))
	}
	for i := range strs {
		list = append(list, &strs[i])
	}
	return strs, list
}
