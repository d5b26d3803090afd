package compose

import (
	"slices"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Tools of two members are merged in member order with prefixes,
// overrides, Include and Exclude applied, and calls reach the owner
// with the member's own name.
func TestMergedToolsAndRouting(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo", "secret", "search"}})
	b := newFixture(t, "beta", fixtureOpts{tools: []string{"echo", "find", "internal_x"}})
	c := newComposed(t, Options{Members: []Member{
		a.member(Member{Prefix: "a_", Exclude: []string{"secret"},
			Overrides: map[string]Override{"search": {Name: "lookup", Title: "Look up", Description: "Finds things"}}}),
		b.member(Member{Prefix: "b_", Include: []string{"echo", "find", "internal_*"}, Exclude: []string{"internal_*"}}),
	}})
	for _, version := range []string{"2025-11-25", "2025-03-26"} {
		t.Run(version, func(t *testing.T) {
			cs := c.connect(t, version, nil)
			res, err := cs.ListTools(testContext(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tool := range res.Tools {
				got = append(got, tool.Name)
				if tool.Name == "lookup" && (tool.Title != "Look up" || tool.Description != "Finds things") {
					t.Errorf("override not applied: %+v", tool)
				}
				if tool.Name == "a_echo" && tool.Description != "tool echo" {
					t.Errorf("description of a_echo = %q", tool.Description)
				}
			}
			want := []string{"a_echo", "lookup", "b_echo", "b_find"}
			if !slices.Equal(got, want) {
				t.Fatalf("tools = %v, want %v", got, want)
			}
			if got := callText(t, cs, "b_echo", map[string]any{"text": "hi"}); got != "beta/echo: hi" {
				t.Errorf("b_echo = %q", got)
			}
			if got := callText(t, cs, "lookup", map[string]any{"text": "x"}); got != "alpha/search: x" {
				t.Errorf("lookup = %q", got)
			}
		})
	}
	// Names the client does not see: filtered out, renamed away, or
	// another member's under the wrong prefix.
	cs := c.connect(t, "2025-11-25", nil)
	for _, name := range []string{"a_secret", "secret", "search", "a_search", "b_internal_x", "internal_x", "find", "echo"} {
		_, err := cs.CallTool(testContext(t), paramsCall{Name: name}.p())
		wantRPCError(t, err, jsonrpc.CodeInvalidParams, `unknown tool "`+name+`"`)
	}
	if got := append(a.toolCalls(), b.toolCalls()...); len(got) != 4 {
		t.Fatalf("members received %v", got)
	}
	// alpha's prefix on beta's tool reaches alpha only, which has no such
	// tool.
	_, err := cs.CallTool(testContext(t), paramsCall{Name: "a_find"}.p())
	wantRPCError(t, err, jsonrpc.CodeInvalidParams, `unknown tool "find"`)
	if got := b.toolCalls(); slices.Contains(got, "find") {
		t.Fatalf("beta received %v", got)
	}
	if got := c.obs.list(); !slices.Contains(got, "routed beta echo") || !slices.Contains(got, "routed alpha search") {
		t.Errorf("observer heard %v %v", got, c.obs.errs)
	}
}

// A name that is filtered out, shadowed, or another member's under the
// wrong prefix gets the SDK's unknown-tool error and reaches no member.
func TestUnknownNamesNeverReachMembers(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo", "secret"}, prompts: []string{"greet"}})
	b := newFixture(t, "beta", fixtureOpts{tools: []string{"echo", "hidden"}, prompts: []string{"greet", "private"}})
	c := newComposed(t, Options{Members: []Member{
		a.member(Member{Include: []string{"echo", "secret", "greet"}, Exclude: []string{"secret"}}),
		b.member(Member{Exclude: []string{"hidden", "private"}}),
	}})
	cs := c.connect(t, "2025-11-25", nil)
	for _, name := range []string{"secret", "hidden", "a_echo", "beta_echo", "nothing"} {
		_, err := cs.CallTool(testContext(t), &mcp.CallToolParams{Name: name, Arguments: map[string]any{}})
		wantRPCError(t, err, jsonrpc.CodeInvalidParams, `unknown tool "`+name+`"`)
	}
	_, err := cs.GetPrompt(testContext(t), &mcp.GetPromptParams{Name: "private"})
	wantRPCError(t, err, jsonrpc.CodeInvalidParams, `unknown prompt "private"`)
	_, err = cs.Complete(testContext(t), &mcp.CompleteParams{Ref: &mcp.CompleteReference{Type: "ref/prompt", Name: "private"}, Argument: mcp.CompleteParamsArgument{Name: "x", Value: "y"}})
	wantRPCError(t, err, jsonrpc.CodeInvalidParams, `unknown prompt "private"`)
	// echo is on both: alpha's shadows beta's.
	if got := callText(t, cs, "echo", map[string]any{"text": "x"}); got != "alpha/echo: x" {
		t.Errorf("echo = %q", got)
	}
	if got := b.toolCalls(); len(got) != 0 {
		t.Errorf("beta received %v", got)
	}
	if got := a.toolCalls(); !slices.Equal(got, []string{"echo"}) {
		t.Errorf("alpha received %v", got)
	}
}
