package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/goccy/go-yaml"
)

// Load reads, expands, defaults and validates the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, os.LookupEnv)
}

// Parse decodes data strictly, expands ${NAME} from lookup, applies defaults
// and validates. Every problem found is returned at once, joined.
func Parse(data []byte, lookup func(string) (string, bool)) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField())
	if err := dec.Decode(&c); err != nil && !errors.Is(err, errEOF(err)) {
		return nil, fmt.Errorf("config: %s", yaml.FormatError(err, false, true))
	}
	problems := expandEnv(&c, lookup)
	c.applyDefaults()
	problems = append(problems, c.Validate()...)
	if len(problems) > 0 {
		return &c, &Problems{List: problems}
	}
	return &c, nil
}

// errEOF treats an empty document as an empty configuration.
func errEOF(err error) error {
	if err != nil && err.Error() == "EOF" {
		return err
	}
	return nil
}

// Problems is every problem found in a configuration.
type Problems struct{ List []error }

func (p *Problems) Error() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "config has %d problem(s):", len(p.List))
	for _, e := range p.List {
		b.WriteString("\n  - ")
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is see each problem.
func (p *Problems) Unwrap() []error { return p.List }
