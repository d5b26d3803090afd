package storagetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// newToolPin is an approved definition of tool on server.
func newToolPin(server, tool, hash string) storage.ToolPin {
	return storage.ToolPin{ToolPinKey: storage.ToolPinKey{Server: server, Tool: tool, Hash: hash}, NameKey: "key:" + tool,
		Definition: []byte(`{"description":"` + hash + `","name":"` + tool + `"}`), State: storage.PinApproved,
		Reason: "first_use", FirstSeenAt: elsewhere(at(time.Minute)), SeenAt: elsewhere(at(2 * time.Minute)),
		DecidedBy: "first-use", DecidedAt: elsewhere(at(time.Minute))}
}

// pending is p waiting for an administrator, seen first at first.
func pending(p storage.ToolPin, hash string, first time.Time) storage.ToolPin {
	p.Hash, p.State, p.Reason, p.DecidedBy, p.DecidedAt = hash, storage.PinPending, "changed", "", time.Time{}
	p.Definition = []byte(`{"description":"` + hash + `"}`)
	p.FirstSeenAt, p.SeenAt = first, first
	return p
}

// storedPin is a pin as a store gives it back.
func storedPin(p storage.ToolPin) storage.ToolPin {
	for _, t := range []*time.Time{&p.FirstSeenAt, &p.SeenAt, &p.DecidedAt} {
		if !t.IsZero() {
			*t = t.UTC()
		}
	}
	return p
}

func listPins(t *testing.T, s storage.Store, f storage.ToolPinFilter) []storage.ToolPin {
	t.Helper()
	ps, err := s.ListToolPins(t.Context(), f)
	must(t, err)
	return ps
}

func testToolPins(t *testing.T, s storage.Store) {
	ctx := t.Context()
	if ps := listPins(t, s, storage.ToolPinFilter{}); ps != nil {
		t.Fatalf("ListToolPins of an empty store = %v, want nil", ps)
	}
	a := newToolPin("snippets", "save", "h1")
	b := newToolPin("snippets", "get", "h2")
	other := newToolPin("files", "save", "h3")
	changed := pending(a, "h4", at(time.Hour))
	for _, p := range []storage.ToolPin{a, b, other, changed} {
		must(t, s.CreateToolPin(ctx, p))
	}
	again := a
	again.State, again.Definition = storage.PinPending, []byte(`{}`)
	wantErr(t, "CreateToolPin twice", s.CreateToolPin(ctx, again), storage.ErrAlreadyExists)

	check(t, "ListToolPins (all: by server, tool, first seen)", listPins(t, s, storage.ToolPinFilter{}),
		[]storage.ToolPin{storedPin(other), storedPin(b), storedPin(a), storedPin(changed)})
	check(t, "ListToolPins (one server)", listPins(t, s, storage.ToolPinFilter{Server: "snippets"}),
		[]storage.ToolPin{storedPin(b), storedPin(a), storedPin(changed)})
	check(t, "ListToolPins (one tool)", listPins(t, s, storage.ToolPinFilter{Server: "snippets", Tool: "save"}),
		[]storage.ToolPin{storedPin(a), storedPin(changed)})
	check(t, "ListToolPins (by name key)", listPins(t, s, storage.ToolPinFilter{Server: "files", NameKey: "key:save"}),
		[]storage.ToolPin{storedPin(other)})
	check(t, "ListToolPins (pending)", listPins(t, s, storage.ToolPinFilter{State: storage.PinPending}),
		[]storage.ToolPin{storedPin(changed)})
	if ps := listPins(t, s, storage.ToolPinFilter{Server: "snippets", Tool: "Save"}); ps != nil {
		t.Errorf("ListToolPins matches tool names in another case: %v", ps)
	}

	// SeenAt only moves forward.
	must(t, s.SeeToolPin(ctx, a.ToolPinKey, at(3*time.Hour)))
	must(t, s.SeeToolPin(ctx, a.ToolPinKey, at(2*time.Hour)))
	seen := storedPin(a)
	seen.SeenAt = at(3 * time.Hour)
	check(t, "SeeToolPin", listPins(t, s, storage.ToolPinFilter{Server: "snippets", Tool: "save", State: storage.PinApproved}),
		[]storage.ToolPin{seen})
	wantErr(t, "SeeToolPin of an unknown pin", s.SeeToolPin(ctx, storage.ToolPinKey{Server: "snippets", Tool: "save", Hash: "nope"}, at(0)),
		storage.ErrNotFound)

	// Approving the change retires the tool's old approved definition and
	// no other tool's.
	got, err := s.DecideToolPin(ctx, changed.ToolPinKey, storage.PinApproved, "local:admin", elsewhere(at(4*time.Hour)))
	must(t, err)
	want := storedPin(changed)
	want.State, want.DecidedBy, want.DecidedAt = storage.PinApproved, "local:admin", at(4*time.Hour)
	check(t, "DecideToolPin (approve)", got, want)
	check(t, "ListToolPins after approving", listPins(t, s, storage.ToolPinFilter{Server: "snippets"}),
		[]storage.ToolPin{storedPin(b), want})
	check(t, "ListToolPins of another server after approving", listPins(t, s, storage.ToolPinFilter{Server: "files"}),
		[]storage.ToolPin{storedPin(other)})

	// Rejecting keeps the pin, rejected.
	third := pending(a, "h5", at(5*time.Hour))
	must(t, s.CreateToolPin(ctx, third))
	got, err = s.DecideToolPin(ctx, third.ToolPinKey, storage.PinRejected, "local:admin", at(6*time.Hour))
	must(t, err)
	rejected := storedPin(third)
	rejected.State, rejected.DecidedBy, rejected.DecidedAt = storage.PinRejected, "local:admin", at(6*time.Hour)
	check(t, "DecideToolPin (reject)", got, rejected)
	check(t, "ListToolPins after rejecting", listPins(t, s, storage.ToolPinFilter{Server: "snippets", Tool: "save"}),
		[]storage.ToolPin{want, rejected})
	_, err = s.DecideToolPin(ctx, storage.ToolPinKey{Server: "snippets", Tool: "save", Hash: "nope"}, storage.PinApproved, "x", at(0))
	wantErr(t, "DecideToolPin of an unknown pin", err, storage.ErrNotFound)

	// A pin without a definition keeps none.
	bare := newToolPin("files", "bare", "h6")
	bare.Definition = []byte{}
	must(t, s.CreateToolPin(ctx, bare))
	bare.Definition = nil
	check(t, "a pin with an empty definition", listPins(t, s, storage.ToolPinFilter{Tool: "bare"}), []storage.ToolPin{storedPin(bare)})
}

// testToolPinsRace: replicas that see one new definition at once store it
// once, and approvals racing on one tool leave it one approved definition.
func testToolPinsRace(t *testing.T, s storage.Store) {
	ctx := t.Context()
	base := newToolPin("snippets", "save", "h0")
	must(t, s.CreateToolPin(ctx, base))
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := pending(base, "h1", at(time.Duration(i)*time.Second))
			err := s.CreateToolPin(ctx, p)
			if err != nil && !errors.Is(err, storage.ErrAlreadyExists) {
				t.Errorf("CreateToolPin: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				created++
			}
		}()
	}
	wg.Wait()
	if created != 1 {
		t.Fatalf("%d racing CreateToolPin calls succeeded, want 1", created)
	}
	must(t, s.CreateToolPin(ctx, pending(base, "h2", at(time.Hour))))
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := []string{"h0", "h1", "h2"}[i%3]
			if _, err := s.DecideToolPin(ctx, storage.ToolPinKey{Server: "snippets", Tool: "save", Hash: h}, storage.PinApproved, "admin", at(0)); err != nil && !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("DecideToolPin: %v", err)
			}
		}()
	}
	wg.Wait()
	if ps := listPins(t, s, storage.ToolPinFilter{State: storage.PinApproved}); len(ps) != 1 {
		t.Errorf("after racing approvals the tool has %d approved definitions, want 1: %v", len(ps), ps)
	}
}
