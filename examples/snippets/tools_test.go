package snippets_test

import (
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/examples/snippets"
)

func TestListTools(t *testing.T) {
	cs := connect(t, startServer(t, snippets.Options{}), nil)
	res, err := cs.ListTools(testContext(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	schemas := map[string]map[string]any{}
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		if tool.Description == "" {
			t.Errorf("%s has no description", tool.Name)
		}
		raw, _ := json.Marshal(tool.InputSchema)
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		schemas[tool.Name] = m
	}
	slices.Sort(names)
	if want := []string{"get_snippet", "hello_mcp", "save_snippet"}; !slices.Equal(names, want) {
		t.Fatalf("tools = %v, want %v", names, want)
	}
	for tool, args := range map[string][]string{
		"save_snippet": {"snippetname", "snippet"},
		"get_snippet":  {"snippetname"},
	} {
		s := schemas[tool]
		if got := toStrings(s["required"]); !slices.Equal(got, args) {
			t.Errorf("%s required = %v, want %v", tool, got, args)
		}
		props, _ := s["properties"].(map[string]any)
		for _, a := range args {
			p, _ := props[a].(map[string]any)
			if d, _ := p["description"].(string); d == "" {
				t.Errorf("%s.%s has no description", tool, a)
			}
		}
		name, _ := props["snippetname"].(map[string]any)
		if name["pattern"] == nil || name["maxLength"] != float64(snippets.MaxNameLength) {
			t.Errorf("%s.snippetname schema lacks the name rule: %v", tool, name)
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestHello(t *testing.T) {
	withSubject := keyHeader(testKey)
	withSubject.Set(snippets.SubjectHeader, "alice")
	withSubject.Set(snippets.EmailHeader, "alice@example.com")
	forged := http.Header{}
	forged.Set(snippets.SubjectHeader, "mallory")

	tests := []struct {
		name   string
		opts   snippets.Options
		header http.Header
		want   string
	}{
		{"anonymous", snippets.Options{}, nil, "Hello I am MCP Tool!"},
		{"gateway subject", snippets.Options{}, withSubject, "Hello alice, I am MCP Tool!"},
		{"no key means no trust", snippets.Options{InsecureNoKey: true}, forged, "Hello I am MCP Tool!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := connect(t, startServer(t, tt.opts), tt.header)
			got, isErr := call(t, cs, "hello_mcp", nil)
			if isErr || got != tt.want {
				t.Errorf("hello_mcp = %q (isError %v), want %q", got, isErr, tt.want)
			}
		})
	}
}

func TestSaveThenGet(t *testing.T) {
	cs := connect(t, startServer(t, snippets.Options{}), nil)
	for _, content := range []string{"first version", "func main() {\n\tprintln(\"héllo\")\n}\n", ""} {
		if msg, isErr := call(t, cs, "save_snippet", map[string]any{"snippetname": "demo.go", "snippet": content}); isErr {
			t.Fatalf("save: %s", msg)
		}
		got, isErr := call(t, cs, "get_snippet", map[string]any{"snippetname": "demo.go"})
		if isErr || got != content {
			t.Fatalf("get = %q (isError %v), want %q", got, isErr, content)
		}
	}
}

func TestGetMissing(t *testing.T) {
	cs := connect(t, startServer(t, snippets.Options{}), nil)
	got, isErr := call(t, cs, "get_snippet", map[string]any{"snippetname": "nope"})
	if !isErr || !strings.Contains(got, `"nope" not found`) {
		t.Errorf("get missing = %q (isError %v), want a not-found tool error", got, isErr)
	}
}

func TestInvalidNames(t *testing.T) {
	dir := t.TempDir()
	cs := connect(t, startServer(t, snippets.Options{DataDir: dir}), nil)
	for _, name := range []string{"", ".", "..", "../escape", "a/b", `a\b`, ".hidden", "sp ace", "ünï", strings.Repeat("x", 129)} {
		for _, tool := range []string{"save_snippet", "get_snippet"} {
			got, isErr := call(t, cs, tool, map[string]any{"snippetname": name, "snippet": "x"})
			if !isErr || got == "" {
				t.Errorf("%s(%q) = %q (isError %v), want a tool error", tool, name, got, isErr)
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("invalid names left files behind: %v", entries)
	}
}

func TestMissingArgumentIsToolError(t *testing.T) {
	cs := connect(t, startServer(t, snippets.Options{}), nil)
	if got, isErr := call(t, cs, "save_snippet", map[string]any{"snippetname": "a"}); !isErr {
		t.Errorf("save without snippet = %q, want a tool error", got)
	}
}

func TestOversizedSnippet(t *testing.T) {
	cs := connect(t, startServer(t, snippets.Options{}), nil)
	big := strings.Repeat("x", snippets.MaxSnippetBytes+1)
	got, isErr := call(t, cs, "save_snippet", map[string]any{"snippetname": "big", "snippet": big})
	if !isErr || !strings.Contains(got, "limit") {
		t.Errorf("oversized save = %.80q (isError %v), want a size tool error", got, isErr)
	}
}
