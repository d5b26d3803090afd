package config

import (
	"fmt"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Duration is a time.Duration written as a Go duration string ("90s", "1h").
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 90s, 10m or 720h", b)
	}
	*d = Duration(v)
	return nil
}

// UnmarshalYAML parses a duration from its YAML node, so that a value that
// is not one is reported with its line (decode.go). Null leaves it unset.
func (d *Duration) UnmarshalYAML(n ast.Node) error {
	if n.Type() == ast.NullType {
		return nil
	}
	s, ok := n.(ast.ScalarNode)
	if !ok {
		return &valueError{tok: n.GetToken(), msg: "must be a duration such as 90s, 10m or 720h"}
	}
	if err := d.UnmarshalText([]byte(fmt.Sprint(s.GetValue()))); err != nil {
		return &valueError{tok: n.GetToken(), msg: err.Error()}
	}
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
