package policy

import (
	"fmt"
	"strings"

	"github.com/google/cel-go/cel"
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
	// Cost limit: a condition runs on every call, so a runaway expression
	// must not stall the gateway.
	prg, err := celEnv.Program(ast, cel.CostLimit(10000), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, false, err
	}
	return prg, strings.Contains(expr, "arguments"), nil
}

func evalCEL(prg cel.Program, id Identity, req Request) (bool, error) {
	args := req.Arguments
	if args == nil {
		args = map[string]any{}
	}
	out, _, err := prg.Eval(map[string]any{
		"identity": map[string]any{
			"sub": id.Subject, "email": id.Email, "name": id.Name, "groups": stringsAny(id.Groups),
			"client_id": id.ClientID, "scopes": stringsAny(id.Scopes),
		},
		"request": map[string]any{"method": req.Method, "name": req.Name, "arguments": args},
	})
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("the condition did not give a boolean")
	}
	return b, nil
}

func stringsAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
