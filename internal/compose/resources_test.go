package compose

import (
	"context"
	"slices"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Resources keep their URIs and are read from the member that lists them
// (the earlier one when two do), or whose template matches; an unknown URI
// is "Resource not found". Templates merge; completion, subscribe and
// setLevel reach members.
func TestResourcesRoutedByURI(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{resources: []string{"file:///a.txt", "file:///both.txt"}, templates: []string{"alpha://notes/{id}"}})
	b := newFixture(t, "beta", fixtureOpts{resources: []string{"file:///b.txt", "file:///both.txt"}, templates: []string{"beta://items/{id}"}})
	c := newComposed(t, Options{Members: []Member{a.member(Member{}), b.member(Member{})}})
	cs := c.connect(t, "2025-11-25", nil)
	read := func(uri string) (string, error) {
		res, err := cs.ReadResource(testContext(t), &mcp.ReadResourceParams{URI: uri})
		if err != nil {
			return "", err
		}
		return res.Contents[0].Text, nil
	}
	// Before any list: the owner is looked up.
	if got, err := read("file:///b.txt"); err != nil || got != "beta has file:///b.txt" {
		t.Fatalf("read b: %q %v", got, err)
	}
	res, err := cs.ListResources(testContext(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, r := range res.Resources {
		uris = append(uris, r.URI)
	}
	if !slices.Equal(uris, []string{"file:///a.txt", "file:///both.txt", "file:///b.txt"}) {
		t.Fatalf("resources = %v", uris)
	}
	if got, err := read("file:///both.txt"); err != nil || got != "alpha has file:///both.txt" {
		t.Fatalf("read both: %q %v", got, err)
	}
	if got, err := read("beta://items/7"); err != nil || got != "beta made beta://items/7" {
		t.Fatalf("read template: %q %v", got, err)
	}
	_, err = read("file:///nowhere.txt")
	wantRPCError(t, err, jsonrpc.CodeInvalidParams, "Resource not found")
	tres, err := cs.ListResourceTemplates(testContext(t), nil)
	if err != nil || len(tres.ResourceTemplates) != 2 || tres.ResourceTemplates[1].URITemplate != "beta://items/{id}" {
		t.Fatalf("templates = %+v %v", tres, err)
	}
	//lint:ignore SA1019 sampling and logging are deprecated in 2026-07-28, but legacy sessions still carry them
	if err := cs.SetLoggingLevel(testContext(t), &mcp.SetLoggingLevelParams{Level: "debug"}); err != nil {
		t.Fatalf("setLevel: %v", err)
	}
	if !slices.Contains(c.obs.list(), "routed beta beta://items/7") {
		t.Fatalf("events: %v", c.obs.list())
	}
}

// A subscription goes to the resource's member, and its
// notifications/resources/updated reaches the client on the standalone
// stream.
func TestResourceUpdated(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{resources: []string{"file:///a.txt"}})
	b := newFixture(t, "beta", fixtureOpts{resources: []string{"file:///b.txt"}, subscribe: true})
	c := newComposed(t, Options{Members: []Member{a.member(Member{}), b.member(Member{})}})
	updated := make(chan string, 1)
	cs := c.connect(t, "2025-11-25", &mcp.ClientOptions{
		ResourceUpdatedHandler: func(_ context.Context, req *mcp.ResourceUpdatedNotificationRequest) { updated <- req.Params.URI },
	})
	if err := cs.Subscribe(testContext(t), &mcp.SubscribeParams{URI: "file:///b.txt"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "beta's stream to be listened to", func() bool { return c.listening(1) })
	if err := b.srv.ResourceUpdated(testContext(t), &mcp.ResourceUpdatedNotificationParams{URI: "file:///b.txt"}); err != nil {
		t.Fatal(err)
	}
	select {
	case uri := <-updated:
		if uri != "file:///b.txt" {
			t.Fatalf("updated %q", uri)
		}
	case <-testContext(t).Done():
		t.Fatal("no resources/updated reached the client")
	}
}

// completion/complete follows its reference: a prompt by the name the
// client sees (renamed to the member's), a resource template by the
// member listing it.
func TestCompletionRouted(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{prompts: []string{"greet"}, templates: []string{"alpha://notes/{id}"}})
	b := newFixture(t, "beta", fixtureOpts{prompts: []string{"greet"}, templates: []string{"beta://items/{id}"}})
	c := newComposed(t, Options{Members: []Member{a.member(Member{}), b.member(Member{Prefix: "b_"})}})
	cs := c.connect(t, "2025-11-25", nil)
	for _, tc := range []struct {
		ref  *mcp.CompleteReference
		want []string
	}{
		{&mcp.CompleteReference{Type: "ref/prompt", Name: "b_greet"}, []string{"beta", "ref/prompt", "greet"}},
		{&mcp.CompleteReference{Type: "ref/prompt", Name: "greet"}, []string{"alpha", "ref/prompt", "greet"}},
		{&mcp.CompleteReference{Type: "ref/resource", URI: "beta://items/{id}"}, []string{"beta", "ref/resource", "beta://items/{id}"}},
	} {
		res, err := cs.Complete(testContext(t), &mcp.CompleteParams{Ref: tc.ref, Argument: mcp.CompleteParamsArgument{Name: "id", Value: "1"}})
		if err != nil || !slices.Equal(res.Completion.Values, tc.want) {
			t.Errorf("complete %+v: %+v %v, want %v", tc.ref, res, err, tc.want)
		}
	}
	_, err := cs.Complete(testContext(t), &mcp.CompleteParams{Ref: &mcp.CompleteReference{Type: "ref/resource", URI: "gamma://x/{id}"}, Argument: mcp.CompleteParamsArgument{Name: "id", Value: "1"}})
	wantRPCError(t, err, jsonrpc.CodeInvalidParams, "Resource not found")
}
