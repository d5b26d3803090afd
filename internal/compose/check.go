package compose

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// checkInit is the composed server's own initialize for Check.
func (s *Server) checkInit() json.RawMessage {
	b, _ := json.Marshal(map[string]any{
		"protocolVersion": legacyVersions()[0],
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]string{"name": s.opt.Name + " (check)", "version": s.opt.Version},
	})
	return b
}

// memberNames is what one member lists, by kind.
type memberNames struct {
	m     *member
	names map[string][]string // "tool"/"prompt" → the member's own names
	err   error
}

func (s *Server) check(ctx context.Context) []error {
	cs := s.newSession(ctx, s.checkInit(), legacyVersions()[0])
	defer s.endSession(cs, "check done")
	found := make([]memberNames, len(s.members))
	var wg sync.WaitGroup
	for i, m := range s.members {
		found[i].m = m
		if m.cfg.NeedsUser {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			found[i] = s.checkList(ctx, cs, m)
		}()
	}
	wg.Wait()
	var errs []error
	for _, f := range found {
		if f.err != nil {
			errs = append(errs, &unreachableError{member: f.m.cfg.Name, err: f.err})
		}
	}
	errs = append(errs, unmatched(found)...)
	return append(errs, collisions(found)...)
}

func (s *Server) checkList(ctx context.Context, cs *session, m *member) memberNames {
	out := memberNames{m: m, names: map[string][]string{}}
	for _, method := range []string{"tools/list", "prompts/list"} {
		k := listKinds[method]
		items, err := s.listMember(ctx, view{cs: cs}, m, k, []byte("{}"))
		if err != nil {
			out.err = err
			return out
		}
		for _, raw := range items {
			if name, ok := stringMember(raw, "name"); ok {
				out.names[k.kind] = append(out.names[k.kind], name)
			}
		}
	}
	return out
}

// unmatched reports Include literals and Override keys that name no tool
// or prompt of their member.
func unmatched(found []memberNames) []error {
	var errs []error
	for _, f := range found {
		if f.err != nil || f.m.cfg.NeedsUser {
			continue
		}
		has := map[string]bool{}
		for _, names := range f.names {
			for _, n := range names {
				has[n] = true
			}
		}
		for _, p := range f.m.cfg.Include {
			if literal(p) && !has[p] {
				errs = append(errs, fmt.Errorf("compose: member %q: include %q names no tool or prompt", f.m.cfg.Name, p))
			}
		}
		keys := make([]string, 0, len(f.m.cfg.Overrides))
		for k := range f.m.cfg.Overrides {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !has[k] {
				errs = append(errs, fmt.Errorf("compose: member %q: override %q names no tool or prompt", f.m.cfg.Name, k))
			}
		}
	}
	return errs
}

// collisions reports each name two members would both show.
func collisions(found []memberNames) []error {
	var errs []error
	for _, kind := range []string{"tool", "prompt"} {
		owner := map[string]string{}
		for _, f := range found {
			for _, orig := range f.names[kind] {
				name, ok := f.m.names.composed(orig)
				if !ok {
					continue
				}
				if prev, taken := owner[name]; taken && prev != f.m.cfg.Name {
					errs = append(errs, fmt.Errorf("compose: members %q and %q both show the %s %q", prev, f.m.cfg.Name, kind, name))
					continue
				}
				owner[name] = f.m.cfg.Name
			}
		}
	}
	return errs
}

// unreachableError is Check's problem for a member that did not answer:
// it is ErrUnreachable (a warning at start) and still says why.
type unreachableError struct {
	member string
	err    error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("compose: member %q is unreachable: %v", e.member, e.err)
}

func (e *unreachableError) Unwrap() []error { return []error{ErrUnreachable, e.err} }
