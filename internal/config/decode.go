package config

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// maxDecodeProblems bounds the decode-and-cut loop: a file with more
// problems than this is reported in part.
const maxDecodeProblems = 100

// decoded is what decode found besides the configuration.
type decoded struct {
	// problems are unknown keys and values of the wrong type, each with
	// its place and line.
	problems []error
	// cut are the places of values of the wrong type, which were decoded
	// as absent: validation does not report them again as missing.
	cut []string
	// complete is false when a problem could not be cut out, so that the
	// rest of the file was not decoded.
	complete bool
}

// decode reads data into a Config strictly: an unknown key is an error,
// because a typo in a security setting must not be silently ignored. The
// YAML decoder stops at its first problem; decode cuts that key (or, for a
// value of the wrong type, the value) out of the document and decodes again,
// so that every such problem is reported at once, by the decoder's own
// rules. A syntax error is returned as err: nothing after it can be read.
func decode(data []byte) (Config, decoded, error) {
	var d decoded
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return Config{}, d, fmt.Errorf("config: %s", yaml.FormatError(err, false, true))
	}
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		d.complete = true
		return Config{}, d, nil
	}
	body := f.Docs[0].Body
	seen := map[*token.Token]bool{}
	for len(d.problems) < maxDecodeProblems {
		var c Config
		err := yaml.NodeToValue(body, &c, yaml.DisallowUnknownField())
		if err == nil {
			d.complete = true
			d.sortByLine()
			return c, d, nil
		}
		var te tokenError
		if errors.As(err, &te) && seen[te.GetToken()] {
			d.problems = append(d.problems, uncut(err)) // cutting did not help
			return c, d, nil
		} else if te != nil {
			seen[te.GetToken()] = true
		}
		p, ok := cutProblem(body, err)
		d.problems = append(d.problems, p)
		if !ok {
			return c, d, nil
		}
		if !errors.As(err, new(*yaml.UnknownFieldError)) {
			d.cut = append(d.cut, placeOf(p))
		}
	}
	return Config{}, d, nil
}

// sortByLine puts the problems in the order of the file: the decoder
// meets the keys of a mapping in no fixed order.
func (d *decoded) sortByLine() {
	slices.SortStableFunc(d.problems, func(a, b error) int {
		var pa, pb *placedProblem
		if errors.As(a, &pa) && errors.As(b, &pb) {
			return cmp.Or(pa.line-pb.line, pa.column-pb.column)
		}
		return 0
	})
}

// tokenError is a decode error that knows where it happened: the YAML
// library's errors, and valueError.
type tokenError interface {
	error
	GetToken() *token.Token
}

// valueError is a value that its key does not take.
type valueError struct {
	tok *token.Token
	msg string
}

func (e *valueError) Error() string          { return e.msg }
func (e *valueError) GetToken() *token.Token { return e.tok }

// placedProblem is a decode problem: "line N: place: what".
type placedProblem struct {
	line, column int
	place        string
	msg          string
}

func (p *placedProblem) Error() string {
	return fmt.Sprintf("line %d: %s: %s", p.line, p.place, p.msg)
}

func placeOf(err error) string {
	var p *placedProblem
	if errors.As(err, &p) {
		return p.place
	}
	return ""
}

// cutProblem describes err and takes what caused it out of the document:
// an unknown key with its value, or a value of the wrong type, which
// becomes null. It reports false when it cannot, and decoding stops.
func cutProblem(body ast.Node, err error) (error, bool) {
	var te tokenError
	if !errors.As(err, &te) || te.GetToken() == nil {
		return uncut(err), false
	}
	tok := te.GetToken()
	if errors.As(err, new(*yaml.UnknownFieldError)) {
		mv, parent := findKey(body, tok)
		if mv == nil {
			return uncut(err), false
		}
		place := pathOf(mv.Key)
		parent.Values = removeValue(parent.Values, mv)
		return &placedProblem{line: tok.Position.Line, column: tok.Position.Column, place: place, msg: "unknown key" + suggestKey(place)}, true
	}
	n, replace := findValue(body, tok)
	if n == nil {
		return uncut(err), false
	}
	p := &placedProblem{line: tok.Position.Line, column: tok.Position.Column, place: pathOf(n), msg: valueMessage(err, n)}
	replace(ast.Null(tok))
	return p, true
}

// uncut describes a problem that decoding stops at.
func uncut(err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		return fmt.Errorf("line %d: %s", ye.GetToken().Position.Line, ye.GetMessage())
	}
	var ve *valueError
	if errors.As(err, &ve) && ve.tok != nil {
		return fmt.Errorf("line %d: %s", ve.tok.Position.Line, ve.msg)
	}
	return err
}

func removeValue(vs []*ast.MappingValueNode, mv *ast.MappingValueNode) []*ast.MappingValueNode {
	for i, v := range vs {
		if v == mv {
			return append(vs[:i:i], vs[i+1:]...)
		}
	}
	return vs
}

// findKey finds the key whose token is tok, and the mapping it is in.
func findKey(n ast.Node, tok *token.Token) (found *ast.MappingValueNode, in *ast.MappingNode) {
	walk(n, func(parent, child ast.Node, _ func(ast.Node)) {
		mv, ok := child.(*ast.MappingValueNode)
		if m, isMap := parent.(*ast.MappingNode); ok && isMap && found == nil && mv.Key.GetToken() == tok {
			found, in = mv, m
		}
	})
	return found, in
}

// findValue finds the innermost value (of a key, or in a list) whose
// token is tok, with the function that replaces it.
func findValue(n ast.Node, tok *token.Token) (found ast.Node, replace func(ast.Node)) {
	walk(n, func(_, child ast.Node, set func(ast.Node)) {
		if set != nil && child.GetToken() == tok {
			found, replace = child, set
		}
	})
	return found, replace
}

// walk calls fn for every node under n in depth-first order, with its
// parent and, for a key's value or a list item, the function that replaces
// it. Aliases are not followed: what they name is visited where it is.
func walk(n ast.Node, fn func(parent, child ast.Node, replace func(ast.Node))) {
	visit := func(child ast.Node, replace func(ast.Node)) {
		if child != nil {
			fn(n, child, replace)
			walk(child, fn)
		}
	}
	switch x := n.(type) {
	case *ast.MappingNode:
		for _, v := range x.Values {
			visit(v, nil)
		}
	case *ast.MappingValueNode:
		visit(x.Value, func(r ast.Node) { x.Value = r })
	case *ast.SequenceNode:
		for i := range x.Values {
			visit(x.Values[i], func(r ast.Node) { x.Values[i] = r })
		}
	case *ast.AnchorNode:
		visit(x.Value, func(r ast.Node) { x.Value = r })
	case *ast.TagNode:
		visit(x.Value, func(r ast.Node) { x.Value = r })
	}
}

// pathOf is a node's place in the configuration as problems name it:
// servers[0].timeout.
func pathOf(n ast.Node) string {
	return strings.TrimPrefix(strings.TrimPrefix(n.GetPath(), "$"), ".")
}

// valueMessage says what is wrong with a value.
func valueMessage(err error, n ast.Node) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("must be %s, not %s", kindName(te.DstType), nodeName(n))
	}
	var ne *yaml.UnexpectedNodeTypeError
	if errors.As(err, &ne) {
		what := map[ast.NodeType]string{ast.SequenceType: "a list", ast.MappingType: "a mapping (key: value)"}[ne.Expected]
		if what == "" {
			what = "a single value"
		}
		return fmt.Sprintf("must be %s, not %s", what, nodeName(n))
	}
	var ve *valueError
	if errors.As(err, &ve) {
		return ve.msg
	}
	var ye yaml.Error
	if errors.As(err, &ye) {
		return ye.GetMessage()
	}
	return err.Error()
}

func kindName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "a mapping (key: value)"
}

func nodeName(n ast.Node) string {
	switch n.Type() {
	case ast.SequenceType:
		return "a list"
	case ast.MappingType, ast.MappingValueType:
		return "a mapping"
	}
	return fmt.Sprintf("%q", n.String())
}
