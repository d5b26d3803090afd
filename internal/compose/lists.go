package compose

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// listKind describes one of the four lists a composed server merges.
type listKind struct {
	method string // tools/list
	field  string // the result's array: "tools"
	key    string // what identifies an item: "name", "uri" or "uriTemplate"
	kind   string // "tool", "prompt", "resource", "template"
	named  bool   // names are mapped (tools and prompts)
}

var listKinds = map[string]listKind{
	"tools/list":               {"tools/list", "tools", "name", "tool", true},
	"prompts/list":             {"prompts/list", "prompts", "name", "prompt", true},
	"resources/list":           {"resources/list", "resources", "uri", "resource", false},
	"resources/templates/list": {"resources/templates/list", "resourceTemplates", "uriTemplate", "template", false},
}

// entry is one item of a merged list.
type entry struct {
	m    *member
	key  string // the name (as the client sees it) or URI
	orig string // the member's own name or URI
	raw  json.RawMessage
}

// errLegacyOnly: a member refused a 2026-07-28 request for its version.
var errLegacyOnly = errors.New("the member does not speak 2026-07-28")

// listMember reads all of one member's list, following its nextCursor
// within maxListPages pages and maxListBytes bytes. params are the
// client's (its _meta included), without its cursor.
func (s *Server) listMember(ctx context.Context, v view, m *member, k listKind, params []byte) ([]json.RawMessage, error) {
	var items []json.RawMessage
	seen := map[string]bool{}
	total := 0
	cursor := ""
	for page := 0; ; page++ {
		if page == maxListPages {
			err := fmt.Errorf("member %s: more than %d pages of %s", m.cfg.Name, maxListPages, k.field)
			s.down(ctx, m, err)
			return nil, err
		}
		p := params
		if cursor != "" {
			var err error
			if p, err = setMember(params, "cursor", quote(cursor)); err != nil {
				return nil, err
			}
		}
		res, err := s.call(ctx, v, m, k.method, p)
		var refused *jsonrpc.Error
		if errors.As(err, &refused) && !(v.modern() && refused.Code == codeUnsupportedVersion) {
			// A member without the feature (-32601 for prompts/list from
			// a tools-only server) has an empty list.
			s.up(ctx, m)
			return nil, nil
		}
		if err != nil {
			return nil, s.classify(v, m, err)
		}
		total += len(res)
		if total > maxListBytes {
			err := fmt.Errorf("member %s: %s over %d bytes", m.cfg.Name, k.field, maxListBytes)
			s.down(ctx, m, err)
			return nil, err
		}
		got, next, err := readPage(res, k)
		if err != nil {
			return nil, s.malformed(ctx, m, k, err)
		}
		items = append(items, got...)
		if next == "" || seen[next] {
			s.up(ctx, m)
			return items, nil
		}
		seen[next] = true
		cursor = next
	}
}

// readPage reads one page of a member's list: its items and nextCursor.
func readPage(res json.RawMessage, k listKind) ([]json.RawMessage, string, error) {
	var page map[string]json.RawMessage
	if err := json.Unmarshal(res, &page); err != nil {
		return nil, "", err
	}
	var items []json.RawMessage
	if raw, ok := page[k.field]; ok && json.Unmarshal(raw, &items) != nil {
		return nil, "", errors.New(k.field + " is not an array")
	}
	var next string
	if raw, ok := page["nextCursor"]; ok && json.Unmarshal(raw, &next) != nil {
		return nil, "", errors.New("nextCursor is not a string")
	}
	return items, next, nil
}

func (s *Server) malformed(ctx context.Context, m *member, k listKind, err error) error {
	err = fmt.Errorf("member %s: malformed %s result: %w", m.cfg.Name, k.method, err)
	s.down(ctx, m, err)
	return err
}

// classify turns a member's refusal of a 2026-07-28 request for its
// version into errLegacyOnly, and remembers it.
func (s *Server) classify(v view, m *member, err error) error {
	var we *jsonrpc.Error
	if v.modern() && errors.As(err, &we) && we.Code == codeUnsupportedVersion {
		m.setEra(eraLegacy)
		return fmt.Errorf("member %s: %w", m.cfg.Name, errLegacyOnly)
	}
	return err
}

// gather lists every member concurrently and merges the lists in member
// order. A member that fails is left out (and marked down). A key two
// members list goes to the earlier one; the later one is shadowed.
func (s *Server) gather(ctx context.Context, v view, k listKind, params []byte, only []*member) ([]entry, error) {
	if only == nil {
		only = s.members
	}
	lists := make([][]json.RawMessage, len(only))
	errs := make([]error, len(only))
	var wg sync.WaitGroup
	for i, m := range only {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lists[i], errs[i] = s.listMember(ctx, v, m, k, params)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if errors.Is(err, errLegacyOnly) {
			return nil, err
		}
	}
	return s.merge(ctx, k, only, lists), nil
}

func (s *Server) merge(ctx context.Context, k listKind, ms []*member, lists [][]json.RawMessage) []entry {
	var out []entry
	owner := map[string]*member{}
	shadowed := map[string]string{}
	for i, m := range ms {
		for _, raw := range lists[i] {
			e, ok := s.mapItem(m, k, raw)
			if !ok {
				continue
			}
			if prev, taken := owner[e.key]; taken {
				if prev != m {
					shadowed[e.key+"\x00"+m.cfg.Name] = prev.cfg.Name
				}
				continue
			}
			owner[e.key] = m
			out = append(out, e)
		}
	}
	s.reportShadows(ctx, k, shadowed, len(ms) == len(s.members))
	return out
}

// mapItem reads one item of a member's list and shows it as clients see
// it: its name mapped and its title and description overridden.
func (s *Server) mapItem(m *member, k listKind, raw json.RawMessage) (entry, bool) {
	key, ok := stringMember(raw, k.key)
	if !ok || key == "" {
		s.log.Debug("list item without a "+k.key+" dropped", "member", m.cfg.Name)
		return entry{}, false
	}
	e := entry{m: m, key: key, orig: key, raw: raw}
	if !k.named {
		return e, true
	}
	if e.key, ok = m.names.composed(key); !ok {
		return entry{}, false
	}
	var err error
	if e.key != key {
		e.raw, err = setMember(e.raw, "name", quote(e.key))
	}
	ov := m.names.override(key)
	if err == nil && ov.Title != "" {
		e.raw, err = setMember(e.raw, "title", quote(ov.Title))
	}
	if err == nil && ov.Description != "" {
		e.raw, err = setMember(e.raw, "description", quote(ov.Description))
	}
	if err != nil {
		s.log.Debug("malformed list item dropped", "member", m.cfg.Name, "err", err)
		return entry{}, false
	}
	return e, true
}

// reportShadows tells the observer about each shadowed name once, until
// it stops being shadowed. Only a list of every member can say that it
// stopped.
func (s *Server) reportShadows(ctx context.Context, k listKind, found map[string]string, complete bool) {
	prefix := k.kind + "\x00"
	s.mu.Lock()
	var news [][2]string
	for key, owner := range found {
		if s.shadows[prefix+key] != owner {
			s.shadows[prefix+key] = owner
			news = append(news, [2]string{key, owner})
		}
	}
	if complete {
		for key := range s.shadows {
			if rest, ok := bytes.CutPrefix([]byte(key), []byte(prefix)); ok {
				if _, still := found[string(rest)]; !still {
					delete(s.shadows, key)
				}
			}
		}
	}
	s.mu.Unlock()
	for _, n := range news {
		name, shadowedMember, _ := bytes.Cut([]byte(n[0]), []byte{0})
		s.log.Warn("name shadowed", "kind", k.kind, "name", string(name), "owner", n[1], "member", string(shadowedMember))
		if s.obs != nil && k.named {
			s.obs.Shadowed(ctx, k.kind, string(name), n[1], string(shadowedMember))
		}
	}
}

// list answers tools/list, prompts/list, resources/list and
// resources/templates/list with the members' merged lists, one page at a
// time (2025-11-25 server/utilities/pagination).
func (s *Server) list(ctx context.Context, v view, k listKind, req *jsonrpc.Request) ([]byte, int64) {
	params, c, ok := readCursor(paramsObject(req.Params), k.method)
	if !ok {
		return errorBody(req.ID, jsonrpc.CodeInvalidParams, "Invalid params: invalid cursor", nil), jsonrpc.CodeInvalidParams
	}
	entries, err := s.gather(ctx, v, k, params, nil)
	if err != nil {
		return s.refusal(req.ID, v, err)
	}
	if v.cs != nil {
		owners := make(map[string]int, len(entries))
		for _, e := range entries {
			owners[e.key] = e.m.idx
		}
		v.cs.setRoutes(k.kind, owners)
	}
	return s.page(req.ID, k, entries, c), 0
}

// page cuts one page out of a merged list.
func (s *Server) page(id jsonrpc.ID, k listKind, entries []entry, c cursor) []byte {
	start := min(c.Offset, len(entries))
	if c.After != "" {
		for i, e := range entries {
			if e.key == c.After {
				start = i + 1
				break
			}
		}
	}
	end := min(start+s.pageSize, len(entries))
	items := make([]json.RawMessage, 0, end-start)
	for _, e := range entries[start:end] {
		items = append(items, e.raw)
	}
	res := map[string]any{k.field: items}
	if end < len(entries) {
		res["nextCursor"] = encodeCursor(cursor{Method: k.method, Offset: end, After: entries[end-1].key})
	}
	return resultBody(id, res)
}
