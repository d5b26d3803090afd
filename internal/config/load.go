package config

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
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
// and validates. Every problem found is returned at once, joined: unknown
// keys and values of the wrong type with their line, then what validation
// finds in the rest.
func Parse(data []byte, lookup func(string) (string, bool)) (*Config, error) {
	c, d, err := decode(data)
	if err != nil {
		return nil, err
	}
	if !d.complete {
		return nil, &Problems{List: d.problems}
	}
	problems := append(d.problems, expandEnv(&c, lookup)...)
	c.applyDefaults()
	problems = append(problems, withoutPlaces(c.Validate(), d.cut)...)
	if len(problems) > 0 {
		return &c, &Problems{List: problems}
	}
	return &c, nil
}

// withoutPlaces drops the problems about places already reported (a value
// of the wrong type is decoded as absent, and would be reported again as
// missing).
func withoutPlaces(problems []error, places []string) []error {
	var out []error
	for _, p := range problems {
		msg := p.Error()
		if !slices.ContainsFunc(places, func(pl string) bool {
			rest, ok := strings.CutPrefix(msg, pl)
			return ok && rest != "" && strings.ContainsRune(":.[", rune(rest[0]))
		}) {
			out = append(out, p)
		}
	}
	return out
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
