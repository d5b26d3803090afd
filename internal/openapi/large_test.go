package openapi

import (
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/openapi/opfilter"
)

// openAIDoc is OpenAI's published OpenAPI 3.1 description
// (github.com/openai/openai-openapi, openapi.yaml at f85dbe2, MIT), kept
// compressed: about 3 MB, hundreds of operations, $refs many levels deep
// and recursive schemas.
func openAIDoc(t *testing.T) string {
	t.Helper()
	f, err := os.Open("testdata/openai.yaml.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "openai.yaml")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBuildLargeRealWorldDocument(t *testing.T) {
	doc, err := Load(context.Background(), Source{Spec: openAIDoc(t), MaxBytes: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	set, err := Build(doc, opfilter.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	// 288 operations; 8 take only multipart or other non-JSON bodies.
	if len(set.Tools) != 280 || len(set.Skipped) != 8 {
		t.Errorf("%d tools and %d skipped, want 280 and 8", len(set.Tools), len(set.Skipped))
	}
	recursive := 0
	chat := jsonOf(t, toolNamed(t, set, "createChatCompletion").Def.InputSchema)
	// The request body's $refs are resolved many levels down: the
	// messages' content parts, through allOf and oneOf.
	for _, s := range []string{`"body":{`, `"messages":{`, `"oneOf":[`, `"model":`} {
		if !strings.Contains(chat, s) {
			t.Errorf("createChatCompletion input lacks %s", s)
		}
	}
	for _, tl := range set.Tools {
		in, out := jsonOf(t, tl.Def.InputSchema), jsonOf(t, tl.Def.OutputSchema)
		if strings.Contains(in, `"$ref"`) || strings.Contains(out, `"$ref"`) {
			t.Errorf("%s: a $ref is left in its schemas", tl.Def.Name)
		}
		if strings.Contains(in+out, "(schema not expanded: recursive or too deep)") {
			recursive++
		}
		if len(in) > 4<<20 || len(out) > 4<<20 {
			t.Errorf("%s: schemas of %d and %d bytes", tl.Def.Name, len(in), len(out))
		}
	}
	if recursive == 0 {
		t.Error("no schema was cut short, but the document has recursive schemas")
	}
	if _, err := Build(doc, opfilter.Filter{Include: []string{"tag:Chat", "createEmbedding"}, Exclude: []string{"path:/chat/completions/*"}}); err != nil {
		t.Errorf("filtered build: %v", err)
	}
}
