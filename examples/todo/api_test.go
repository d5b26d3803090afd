package todo

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/openapi"
	"github.com/drawbridge-mcp/drawbridge/internal/openapi/opfilter"
)

func do(t *testing.T, h http.Handler, method, path, key, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if key != "" {
		req.Header.Set(KeyHeader, key)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, strings.TrimSpace(string(b))
}

// TestAPI: the operations of openapi.yaml, with the key, and the
// refusals: no key or a wrong one, bad bodies, unknown items.
func TestAPI(t *testing.T) {
	a := New("k1")
	for _, tc := range []struct {
		method, path, key, body string
		status                  int
		want                    string
	}{
		{"GET", "/todos", "", "", 401, `{"error":"unauthorized"}`},
		{"GET", "/todos", "k2", "", 401, `{"error":"unauthorized"}`},
		{"GET", "/todos", "k1", "", 200, `{"items":[]}`},
		{"POST", "/todos", "k1", `{"title":"buy milk"}`, 201, `{"id":1,"title":"buy milk","done":false}`},
		{"POST", "/todos", "k1", `{"title":"x","owner":"eve"}`, 400, ""},
		{"POST", "/todos", "k1", `{"title":"x"} {}`, 400, ""},
		{"POST", "/todos", "k1", `{"title":""}`, 400, ""},
		{"POST", "/todos", "k1", `{"title":"` + strings.Repeat("a", 201) + `"}`, 400, ""},
		{"POST", "/todos", "k1", `{"title":"write docs"}`, 201, `{"id":2,"title":"write docs","done":false}`},
		{"POST", "/todos/1/done", "k1", "", 200, `{"id":1,"title":"buy milk","done":true}`},
		{"GET", "/todos?done=false", "k1", "", 200, `{"items":[{"id":2,"title":"write docs","done":false}]}`},
		{"GET", "/todos?done=maybe", "k1", "", 400, ""},
		{"GET", "/todos/2", "k1", "", 200, `{"id":2,"title":"write docs","done":false}`},
		{"GET", "/todos/3", "k1", "", 404, `{"error":"no such item"}`},
		{"GET", "/todos/0", "k1", "", 404, `{"error":"no such item"}`},
		{"GET", "/todos/x", "k1", "", 404, `{"error":"no such item"}`},
	} {
		status, body := do(t, a, tc.method, tc.path, tc.key, tc.body)
		if status != tc.status || (tc.want != "" && body != tc.want) {
			t.Errorf("%s %s (key %q, %q): %d %s; want %d %s", tc.method, tc.path, tc.key, tc.body, status, body, tc.status, tc.want)
		}
	}
	if status, _ := do(t, New(""), "GET", "/todos", "", ""); status != 401 {
		t.Errorf("an API without a key lets anyone in: %d", status)
	}
}

// TestSpecGivesTools: openapi.yaml loads, and every operation becomes a
// tool, none left out, as the demo's composed server shows them.
func TestSpecGivesTools(t *testing.T) {
	path := filepath.Join(t.TempDir(), "openapi.yaml")
	if err := os.WriteFile(path, Spec, 0o600); err != nil {
		t.Fatal(err)
	}
	doc, err := openapi.Load(context.Background(), openapi.Source{Spec: path, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	set, err := openapi.Build(doc, opfilter.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range set.Tools {
		names = append(names, tl.Def.Name)
	}
	slices.Sort(names)
	if strings.Join(names, ",") != "add_todo,complete_todo,get_todo,list_todos" || len(set.Skipped) != 0 {
		t.Errorf("tools %v, skipped %+v", names, set.Skipped)
	}
}
