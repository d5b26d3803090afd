package snippets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Tool names and argument names match Microsoft's Azure Functions remote-MCP
// sample, so prompts and clients written against it work here too.
const (
	toolHello = "hello_mcp"
	toolSave  = "save_snippet"
	toolGet   = "get_snippet"
)

type saveArgs struct {
	Name    string `json:"snippetname"`
	Snippet string `json:"snippet"`
}

type getArgs struct {
	Name string `json:"snippetname"`
}

// tools holds what the handlers share; it exists so each handler stays a
// method with a one-line registration.
type tools struct {
	store *store
	log   *slog.Logger
}

func (t *tools) register(s *mcp.Server) {
	closed := false
	mcp.AddTool(s, &mcp.Tool{
		Name:        toolHello,
		Description: "Hello world. Replies with a greeting, naming the caller when the gateway says who it is.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: &closed},
	}, t.hello)
	mcp.AddTool(s, &mcp.Tool{
		Name:        toolSave,
		Description: "Save a text snippet under a name, replacing any snippet already saved under that name.",
		InputSchema: objectSchema(
			property{"snippetname", nameSchema()},
			property{"snippet", &jsonschema.Schema{
				Type:        "string",
				Description: fmt.Sprintf("The text to save, at most %d bytes.", MaxSnippetBytes),
			}},
		),
		Annotations: &mcp.ToolAnnotations{IdempotentHint: true, OpenWorldHint: &closed},
	}, t.save)
	mcp.AddTool(s, &mcp.Tool{
		Name:        toolGet,
		Description: "Retrieve a snippet previously saved with save_snippet, by name.",
		InputSchema: objectSchema(property{"snippetname", nameSchema()}),
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: &closed},
	}, t.get)
}

type property struct {
	name   string
	schema *jsonschema.Schema
}

// objectSchema requires every property and forbids others: a misspelt
// argument should be an error the model can see, not a silently empty value.
// Properties keep the given order so tools/list output is stable.
func objectSchema(props ...property) *jsonschema.Schema {
	s := &jsonschema.Schema{
		Type:       "object",
		Properties: make(map[string]*jsonschema.Schema, len(props)),
		// {"not":{}} is how jsonschema-go spells the schema "false".
		AdditionalProperties: &jsonschema.Schema{Not: &jsonschema.Schema{}},
	}
	for _, p := range props {
		s.Properties[p.name] = p.schema
		s.PropertyOrder = append(s.PropertyOrder, p.name)
		s.Required = append(s.Required, p.name)
	}
	return s
}

func nameSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Type: "string",
		Description: fmt.Sprintf("The name of the snippet: 1 to %d letters, digits, '.', '_' or '-', not starting with '.'.",
			MaxNameLength),
		MinLength: jsonschema.Ptr(1),
		MaxLength: jsonschema.Ptr(MaxNameLength),
		Pattern:   namePattern,
	}
}

func (t *tools) hello(_ context.Context, req *mcp.CallToolRequest, _ any) (*mcp.CallToolResult, any, error) {
	return textResult(greeting(subject(req))), nil, nil
}

func greeting(sub string) string {
	if sub == "" {
		return "Hello I am MCP Tool!"
	}
	return fmt.Sprintf("Hello %s, I am MCP Tool!", sub)
}

// subject reads the caller's identity. The key middleware is what makes the
// header trustworthy; when no key is configured it has already been removed.
func subject(req *mcp.CallToolRequest) string {
	if req.Extra == nil || req.Extra.Header == nil {
		return ""
	}
	return strings.TrimSpace(req.Extra.Header.Get(SubjectHeader))
}

func (t *tools) save(_ context.Context, _ *mcp.CallToolRequest, in saveArgs) (*mcp.CallToolResult, any, error) {
	if len(in.Snippet) > MaxSnippetBytes {
		return nil, nil, fmt.Errorf("snippet is %d bytes; the limit is %d", len(in.Snippet), MaxSnippetBytes)
	}
	if err := t.store.save(in.Name, []byte(in.Snippet)); err != nil {
		return nil, nil, t.toolError("save", in.Name, err)
	}
	return textResult(fmt.Sprintf("Saved snippet %q.", in.Name)), nil, nil
}

func (t *tools) get(_ context.Context, _ *mcp.CallToolRequest, in getArgs) (*mcp.CallToolResult, any, error) {
	data, err := t.store.load(in.Name)
	if err != nil {
		return nil, nil, t.toolError("get", in.Name, err)
	}
	return textResult(string(data)), nil, nil
}

// toolError turns a store error into what the caller may see. Name and
// not-found errors are the caller's to fix; anything else is the server's
// problem, so its detail (file paths, errno) goes to the log only.
func (t *tools) toolError(op, name string, err error) error {
	switch {
	case errors.Is(err, errInvalidName):
		return err
	case errors.Is(err, errNotFound):
		return fmt.Errorf("snippet %q not found", name)
	}
	t.log.Error("snippets: storage failed", "op", op, "snippet", name, "err", err)
	return fmt.Errorf("could not %s snippet %q: internal storage error", op, name)
}

func textResult(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}
