package compose

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
)

// naming maps one member's tool and prompt names to the names clients
// see, and back. The same rules apply to tools and prompts, each in its
// own namespace.
type naming struct {
	prefix           string
	include, exclude []string
	overrides        map[string]Override
	renamed          map[string]string // an override's Name → the member's name
}

func newNaming(m Member) *naming {
	n := &naming{prefix: m.Prefix, include: m.Include, exclude: m.Exclude,
		overrides: m.Overrides, renamed: map[string]string{}}
	for orig, ov := range m.Overrides {
		if ov.Name != "" {
			n.renamed[ov.Name] = orig
		}
	}
	return n
}

// shown reports whether the member's name passes Include and Exclude.
func (n *naming) shown(orig string) bool {
	for _, p := range n.exclude {
		if ok, _ := path.Match(p, orig); ok {
			return false
		}
	}
	if len(n.include) == 0 {
		return true
	}
	for _, p := range n.include {
		if ok, _ := path.Match(p, orig); ok {
			return true
		}
	}
	return false
}

// composed is the name clients see for the member's name orig; false
// when it is filtered out.
func (n *naming) composed(orig string) (string, bool) {
	if !n.shown(orig) {
		return "", false
	}
	if ov, ok := n.overrides[orig]; ok && ov.Name != "" {
		return ov.Name, true
	}
	return n.prefix + orig, true
}

// original is the member's name for the name a client sent, if this
// member can show that name at all.
func (n *naming) original(name string) (string, bool) {
	if orig, ok := n.renamed[name]; ok {
		return orig, n.shown(orig)
	}
	orig, ok := strings.CutPrefix(name, n.prefix)
	if !ok || orig == "" {
		return "", false
	}
	if ov, renamed := n.overrides[orig]; renamed && ov.Name != "" {
		return "", false // shown under its new name only
	}
	return orig, n.shown(orig)
}

// override is the override for the member's name orig.
func (n *naming) override(orig string) Override { return n.overrides[orig] }

// literal reports a glob without pattern characters: it names exactly one
// name.
func literal(p string) bool { return !strings.ContainsAny(p, `*?[\`) }

// knownNames are the names a member's configuration alone says clients
// will see: override names and prefixed literal includes.
func (n *naming) knownNames() []string {
	var out []string
	for orig, ov := range n.overrides {
		if ov.Name != "" && n.shown(orig) {
			out = append(out, ov.Name)
		}
	}
	for _, p := range n.include {
		if literal(p) && n.shown(p) && n.overrides[p].Name == "" {
			out = append(out, n.prefix+p)
		}
	}
	sort.Strings(out)
	return out
}

// validate checks the members' configuration and reports every problem
// at once.
func validate(ms []Member) error {
	var errs []error
	names := map[string]bool{}
	owner := map[string]string{} // configured name → member
	for i, m := range ms {
		switch {
		case m.Name == "":
			errs = append(errs, fmt.Errorf("compose: member %d has no name", i+1))
		case names[m.Name]:
			errs = append(errs, fmt.Errorf("compose: two members are named %q", m.Name))
		}
		names[m.Name] = true
		if m.URL == "" {
			errs = append(errs, fmt.Errorf("compose: member %q has no URL", m.Name))
		}
		errs = append(errs, validateGlobs(m)...)
		for _, name := range newNaming(m).knownNames() {
			if prev, ok := owner[name]; ok {
				errs = append(errs, fmt.Errorf("compose: members %q and %q would both show the name %q", prev, m.Name, name))
				continue
			}
			owner[name] = m.Name
		}
	}
	return errors.Join(errs...)
}

func validateGlobs(m Member) []error {
	var errs []error
	for _, p := range append(append([]string(nil), m.Include...), m.Exclude...) {
		if _, err := path.Match(p, ""); err != nil {
			errs = append(errs, fmt.Errorf("compose: member %q: bad glob %q: %w", m.Name, p, err))
		}
	}
	for orig, ov := range m.Overrides {
		if orig == "" {
			errs = append(errs, fmt.Errorf("compose: member %q: an override has no name to override", m.Name))
		}
		if strings.TrimSpace(ov.Name) != ov.Name {
			errs = append(errs, fmt.Errorf("compose: member %q: override name %q has surrounding spaces", m.Name, ov.Name))
		}
	}
	return errs
}
