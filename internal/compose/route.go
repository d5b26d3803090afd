package compose

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// target is where a request goes: a member and its own name for the tool,
// prompt or resource.
type target struct {
	m    *member
	orig string
}

// ownerOf finds the member that owns a tool or prompt name as the client
// sees it. The configuration alone says which members could show the
// name; if only one could, it is the owner. If several could, the earliest
// of them that lists the name owns it (the others are shadowed): a legacy
// session knows that from its last list, otherwise the candidates are
// asked now. A name no member shows is nobody's: a filtered-out or
// shadowed name never reaches a member.
func (s *Server) ownerOf(ctx context.Context, v view, k listKind, name string) (target, bool) {
	var cands []target
	for _, m := range s.members {
		if orig, ok := m.names.original(name); ok {
			cands = append(cands, target{m, orig})
		}
	}
	switch len(cands) {
	case 0:
		return target{}, false
	case 1:
		return cands[0], true
	}
	if v.cs != nil {
		if idx, ok := v.cs.route(k.kind, name); ok {
			for _, c := range cands {
				if c.m.idx == idx {
					return c, true
				}
			}
		}
	}
	only := make([]*member, len(cands))
	for i, c := range cands {
		only[i] = c.m
	}
	entries, err := s.gather(ctx, v, k, []byte("{}"), only)
	if err != nil {
		return target{}, false
	}
	for _, e := range entries {
		if e.key == name {
			if v.cs != nil {
				v.cs.setRoute(k.kind, name, e.m.idx)
			}
			return target{e.m, e.orig}, true
		}
	}
	return target{}, false
}

// ownerOfURI finds the member that owns a resource URI: the earliest
// member listing it (from the session's last list, or asked now), else
// the earliest member with a resource template the URI matches. A URI
// that no member lists or matches is routed nowhere ("Resource not
// found"): the composed server does not guess.
func (s *Server) ownerOfURI(ctx context.Context, v view, uri string) (*member, bool) {
	if len(s.members) == 1 {
		return s.members[0], true
	}
	k := listKinds["resources/list"]
	if v.cs != nil {
		if idx, ok := v.cs.route(k.kind, uri); ok {
			return s.members[idx], true
		}
	}
	var lists, templates []entry
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		lists, _ = s.gather(ctx, v, k, []byte("{}"), nil)
	}()
	go func() {
		defer wg.Done()
		templates, _ = s.gather(ctx, v, listKinds["resources/templates/list"], []byte("{}"), nil)
	}()
	wg.Wait()
	for _, e := range lists {
		if e.key == uri {
			if v.cs != nil {
				v.cs.setRoute(k.kind, uri, e.m.idx)
			}
			return e.m, true
		}
	}
	for _, e := range templates {
		if e.key == uri || matchTemplate(e.key, uri) {
			return e.m, true
		}
	}
	return nil, false
}

// matchTemplate reports whether uri is an expansion of an RFC 6570 URI
// template, loosely: each expression matches any text. Routing needs
// only to tell members apart, not to extract variables.
func matchTemplate(tmpl, uri string) bool {
	var b strings.Builder
	b.WriteString("^")
	rest := tmpl
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(regexp.QuoteMeta(rest))
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return false
		}
		b.WriteString(regexp.QuoteMeta(rest[:open]))
		b.WriteString(".*")
		rest = rest[open+end+1:]
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	return err == nil && re.MatchString(uri)
}

// unknownName is the error the SDK's server gives for a tool or prompt it
// does not have (-32602, "unknown tool …"), so that a composed server
// reads like one server.
func unknownName(id jsonrpc.ID, k listKind, name string) ([]byte, int64) {
	return errorBody(id, jsonrpc.CodeInvalidParams, fmt.Sprintf("unknown %s %q", k.kind, name), nil), jsonrpc.CodeInvalidParams
}

// unknownResource is the SDK's "Resource not found" (-32602 with the URI
// in data).
func unknownResource(id jsonrpc.ID, uri string) ([]byte, int64) {
	data, _ := json.Marshal(map[string]string{"uri": uri})
	return errorBody(id, jsonrpc.CodeInvalidParams, "Resource not found", data), jsonrpc.CodeInvalidParams
}
