package attack

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
	"golang.org/x/text/unicode/norm"
)

// The policy every backend in the differential suite sits behind: saving
// is forbidden to everyone, snippets whose names start with "secret" may
// not be read, private resources may not be read, the admin prompt may not
// be used. Everything else is allowed.
const differentialPolicy = `
    policy:
      default: allow
      rules:
        - {name: no-saving, tools: [save_snippet], effect: deny}
        - name: no-secrets
          tools: [get_snippet]
          when: request.arguments.snippetname.startsWith("secret")
          effect: deny
        - {name: no-private, resources: ["file:///private/*"], effect: deny}
        - {name: no-admin-prompt, prompts: [admin], effect: deny}
`

// A backend of the differential suite and how to tell what it executed.
type diffBackend struct {
	name, path string
	// violations lists what the backend executed that the policy forbids,
	// given the answer the client got; reset forgets what it executed.
	violations func(answer string) []string
	reset      func()
	// legacy says the server keeps legacy-era sessions (a composed
	// server): its requests then carry a session opened for the protocol
	// version they name.
	legacy bool
}

// secret is what the sample server holds under "secret-plans".
const secret = "TOPSECRET-7f3a9c"

// diffEnv is a gateway in front of the three backends, with alice's token
// for each (by path).
type diffEnv struct {
	gw       *gwtest.Gateway
	backends []diffBackend
	toks     map[string]string
	sdk      *sdkBackend
	sessions map[string]string // legacy sessions by path and version
}

func startDifferential(t *testing.T) *diffEnv {
	t.Helper()
	sdk := startSDKBackend(t)
	if err := os.WriteFile(filepath.Join(sdk.Dir, "secret-plans.snippet"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	first, firstURL := startRecorder(t, parseFirstWins)
	fold, foldURL := startRecorder(t, parseFolding)
	// A server that finds tools and prompts by a trimmed, case-folded,
	// NFKC name, as a Python server doing name.strip().casefold() would.
	// Its pinning is off, so the policy alone must hold.
	lenient, lenientURL := startRecorder(t, parseFirstWins)
	lenient.names = func(n string) string { return strings.ToLower(strings.TrimSpace(norm.NFKC.String(n))) }
	lenient.methods = lenient.names
	server := func(name, upstream, extra string) string {
		return fmt.Sprintf("  - name: %s\n    path: /%s\n    upstream: %s\n    scopes: [%s]\n%s%s", name, name, upstream, name, extra, differentialPolicy)
	}
	// Composed servers: the sample server alone, and the lenient server
	// beside a prefixed member. A composed server must refuse everything
	// a plain one refuses.
	composed := func(name, members, extra string) string {
		return fmt.Sprintf("  - name: %s\n    path: /%s\n    scopes: [%s]\n%s    compose:\n%s%s", name, name, name, extra, members, differentialPolicy)
	}
	yaml := server("sdk", sdk.URL, "    headers: {x-functions-key: \"${SDK_KEY}\"}\n") +
		server("first", firstURL, "") + server("fold", foldURL, "") + server("lenient", lenientURL, "    pinning: off\n") +
		composed("csdk", fmt.Sprintf("      - {name: sample, upstream: %q, headers: {x-functions-key: \"${SDK_KEY}\"}}\n", sdk.URL), "") +
		composed("clenient", fmt.Sprintf("      - {name: lenient, upstream: %q}\n      - {name: other, upstream: %q, prefix: other_}\n", lenientURL, firstURL), "    pinning: off\n")
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: yaml, Env: map[string]string{"SDK_KEY": sdk.Key}})

	recorded := func(rec *recorder) func(string) []string {
		return func(string) []string {
			var bad []string
			for _, c := range rec.calls() {
				switch {
				case c.Method == "tools/call" && c.Name == "save_snippet",
					c.Method == "tools/call" && c.Name == "get_snippet" && strings.HasPrefix(fmt.Sprint(c.Args["snippetname"]), "secret"),
					c.Method == "resources/read" && strings.HasPrefix(c.Name, "file:///private/"),
					c.Method == "prompts/get" && c.Name == "admin":
					bad = append(bad, fmt.Sprintf("%s %s %v", c.Method, c.Name, c.Args))
				}
			}
			return bad
		}
	}
	sdkViolations := func(answer string) []string {
		var bad []string
		if _, err := os.Stat(filepath.Join(sdk.Dir, "pwned.snippet")); !errors.Is(err, os.ErrNotExist) {
			bad = append(bad, "save_snippet ran: pwned.snippet exists")
		}
		if strings.Contains(answer, secret) {
			bad = append(bad, "get_snippet read secret-plans")
		}
		return bad
	}
	backends := []diffBackend{
		{name: "go-sdk", path: "/sdk", violations: sdkViolations, reset: func() { _ = os.Remove(filepath.Join(sdk.Dir, "pwned.snippet")) }},
		{name: "first-wins", path: "/first", violations: recorded(first), reset: first.reset},
		{name: "case-folding", path: "/fold", violations: recorded(fold), reset: fold.reset},
		{name: "lenient-names", path: "/lenient", violations: recorded(lenient), reset: lenient.reset},
		{name: "composed-go-sdk", path: "/csdk", violations: sdkViolations, reset: func() { _ = os.Remove(filepath.Join(sdk.Dir, "pwned.snippet")) }, legacy: true},
		{name: "composed-lenient-names", path: "/clenient", violations: recorded(lenient), reset: lenient.reset, legacy: true},
	}
	c := gwtest.RegisterClient(t, gw, nil)
	toks := map[string]string{}
	for _, b := range backends {
		toks[b.path] = token(t, c, gw.URL+b.path, strings.TrimPrefix(b.path, "/"))
	}
	return &diffEnv{gw: gw, backends: backends, toks: toks, sdk: sdk, sessions: map[string]string{}}
}

// send posts body to backend b as the trick would reach it: with hdr, and
// for a server that keeps sessions, in a session opened for the protocol
// version hdr names (2025-03-26 without one; none for 2026-07-28).
func (env *diffEnv) send(t *testing.T, b diffBackend, body string, hdr http.Header) (int, string) {
	t.Helper()
	if b.legacy && hdr.Get("Mcp-Protocol-Version") != "2026-07-28" { // that era has no sessions
		hdr = hdr.Clone()
		if hdr == nil {
			hdr = http.Header{}
		}
		hdr.Set("Mcp-Session-Id", env.session(t, b, hdr.Get("Mcp-Protocol-Version")))
	}
	return post(t, env.gw.URL+b.path, env.toks[b.path], body, hdr)
}

// session opens (once) a session with b for the protocol version.
func (env *diffEnv) session(t *testing.T, b diffBackend, version string) string {
	t.Helper()
	if version == "" {
		version = "2025-03-26"
	}
	key := b.path + " " + version
	if sid, ok := env.sessions[key]; ok {
		return sid
	}
	init := envelope("initialize", `{"protocolVersion":"`+version+`","capabilities":{},"clientInfo":{"name":"attacker","version":"1"}}`)
	req, _ := http.NewRequest(http.MethodPost, env.gw.URL+b.path, strings.NewReader(init))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+env.toks[b.path])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || sid == "" {
		t.Fatalf("initialize %s at %s: %d, session %q", version, b.path, resp.StatusCode, sid)
	}
	note := `{"jsonrpc":"2.0","method":"notifications/initialized"}`
	if status, answer := post(t, env.gw.URL+b.path, env.toks[b.path], note, http.Header{"Mcp-Session-Id": {sid}, "Mcp-Protocol-Version": {version}}); status != http.StatusAccepted {
		t.Fatalf("initialized at %s: %d %s", b.path, status, answer)
	}
	env.sessions[key] = sid
	return sid
}

// trick is one request built so that a gateway and a backend could read
// it differently.
type trick struct {
	name   string
	body   string
	header http.Header
}

func envelope(method, params string) string {
	return `{"jsonrpc":"2.0","id":1,"method":"` + method + `","params":` + params + `}`
}

const (
	saveArgs   = `{"snippetname":"pwned","snippet":"x"}`
	okArgs     = `{"snippetname":"plans"}`
	secretArgs = `{"snippetname":"secret-plans"}`
)

var v0618 = http.Header{"Mcp-Protocol-Version": {"2025-06-18"}}

// tricks are the differential attacks: each tries to get a forbidden call
// past the policy while the gateway reads an allowed one.
var tricks = []trick{
	// Look-alikes of a denied name, which a lenient server runs as it.
	{name: "padded name", body: envelope("tools/call", `{"name":" save_snippet ","arguments":`+saveArgs+`}`)},
	{name: "name in capitals", body: envelope("tools/call", `{"name":"SAVE_SNIPPET","arguments":`+saveArgs+`}`)},
	{name: "fullwidth name", body: envelope("tools/call", `{"name":"ｓａｖｅ_snippet","arguments":`+saveArgs+`}`)},
	{name: "name with a no-break space", body: envelope("tools/call", `{"name":"save_snippet\u00a0","arguments":`+saveArgs+`}`)},
	{name: "prompt name in capitals", body: envelope("prompts/get", `{"name":"ADMIN"}`)},
	// A method spelled another way, which a lenient server dispatches as
	// the real one: no per-message check would apply.
	{name: "method in capitals", body: envelope("Tools/Call", `{"name":"save_snippet","arguments":`+saveArgs+`}`)},
	{name: "padded method", body: envelope(" tools/call", `{"name":"save_snippet","arguments":`+saveArgs+`}`)},
	{name: "fullwidth method", body: envelope("ｐｒｏｍｐｔｓ/get", `{"name":"admin"}`)},
	{name: "duplicate name, forbidden last", body: envelope("tools/call", `{"name":"hello_mcp","name":"save_snippet","arguments":`+saveArgs+`}`)},
	{name: "duplicate name, forbidden first", body: envelope("tools/call", `{"name":"save_snippet","name":"hello_mcp","arguments":`+saveArgs+`}`)},
	{name: "escaped duplicate name", body: envelope("tools/call", `{"name":"hello_mcp","n\u0061me":"save_snippet","arguments":`+saveArgs+`}`)},
	{name: "name and Name", body: envelope("tools/call", `{"name":"save_snippet","Name":"hello_mcp","arguments":`+saveArgs+`}`)},
	{name: "NAME only", body: envelope("tools/call", `{"NAME":"save_snippet","arguments":`+saveArgs+`}`)},
	{name: "duplicate params, forbidden last", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hello_mcp"},"params":{"name":"save_snippet","arguments":` + saveArgs + `}}`},
	{name: "duplicate params, forbidden first", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"save_snippet","arguments":` + saveArgs + `},"params":{"name":"hello_mcp"}}`},
	{name: "params and Params", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"save_snippet","arguments":` + saveArgs + `},"Params":{"name":"hello_mcp"}}`},
	{name: "params and paramſ (U+017F)", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"save_snippet","arguments":` + saveArgs + `},"paramſ":{"name":"hello_mcp"}}`},
	{name: "duplicate method", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","method":"tools/list","params":{"name":"save_snippet","arguments":` + saveArgs + `}}`},
	{name: "method and Method", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","Method":"tools/list","params":{"name":"save_snippet","arguments":` + saveArgs + `}}`},
	{name: "duplicate arguments, forbidden first", body: envelope("tools/call", `{"name":"get_snippet","arguments":`+secretArgs+`,"arguments":`+okArgs+`}`)},
	{name: "duplicate arguments, forbidden last", body: envelope("tools/call", `{"name":"get_snippet","arguments":`+okArgs+`,"arguments":`+secretArgs+`}`)},
	{name: "arguments and Arguments", body: envelope("tools/call", `{"name":"get_snippet","arguments":`+secretArgs+`,"Arguments":`+okArgs+`}`)},
	{name: "arguments and argumentſ", body: envelope("tools/call", `{"name":"get_snippet","arguments":`+secretArgs+`,"argumentſ":`+okArgs+`}`)},
	{name: "duplicate argument, forbidden first", body: envelope("tools/call", `{"name":"get_snippet","arguments":{"snippetname":"secret-plans","snippetname":"plans"}}`)},
	{name: "argument in another case", body: envelope("tools/call", `{"name":"get_snippet","arguments":{"snippetname":"plans","SnippetName":"secret-plans"}}`)},
	{name: "undecodable uri beside a tool call", body: envelope("tools/call", `{"name":"save_snippet","uri":5,"arguments":`+saveArgs+`}`)},
	{name: "undecodable _meta", body: envelope("tools/call", `{"name":"save_snippet","_meta":"x","arguments":`+saveArgs+`}`)},
	{name: "undecodable id", body: `{"jsonrpc":"2.0","id":{"a":1},"method":"tools/call","params":{"name":"save_snippet","arguments":` + saveArgs + `}}`},
	{name: "second message after the first", body: envelope("tools/call", `{"name":"hello_mcp"}`) + envelope("tools/call", `{"name":"save_snippet","arguments":`+saveArgs+`}`)},
	{name: "byte-order mark", body: "\ufeff" + envelope("tools/call", `{"name":"save_snippet","arguments":`+saveArgs+`}`)},
	{name: "NaN argument", body: envelope("tools/call", `{"name":"save_snippet","arguments":{"snippetname":"pwned","snippet":"x","n":NaN}}`)},
	{name: "invalid UTF-8 beside the call", body: envelope("tools/call", "{\"name\":\"save_snippet\",\"x\":\"\xff\",\"arguments\":"+saveArgs+"}")},
	{name: "batch hiding a forbidden call", body: `[` + envelope("tools/call", `{"name":"hello_mcp"}`) + `,` + strings.Replace(envelope("tools/call", `{"name":"save_snippet","arguments":`+saveArgs+`}`), `"id":1`, `"id":2`, 1) + `]`},
	{name: "batch hiding a forbidden read", body: `[` + envelope("tools/call", `{"name":"hello_mcp"}`) + `,` + strings.Replace(envelope("tools/call", `{"name":"get_snippet","arguments":`+secretArgs+`}`), `"id":1`, `"id":2`, 1) + `]`},
	{name: "batch under 2025-06-18", body: `[` + envelope("tools/call", `{"name":"save_snippet","arguments":`+saveArgs+`}`) + `]`, header: v0618},
	{name: "batch with a malformed element", body: `[` + envelope("tools/call", `{"name":"save_snippet","arguments":`+saveArgs+`}`) + `,{"jsonrpc":"2.0","id":2,"method":5}]`},
	{name: "Mcp-Method disagrees", body: envelope("tools/call", `{"name":"save_snippet","arguments":`+saveArgs+`}`),
		header: http.Header{"Mcp-Protocol-Version": {"2026-07-28"}, "Mcp-Method": {"tools/list"}}},
	{name: "Mcp-Name disagrees", body: envelope("tools/call", `{"name":"save_snippet","arguments":`+saveArgs+`}`),
		header: http.Header{"Mcp-Protocol-Version": {"2026-07-28"}, "Mcp-Method": {"tools/call"}, "Mcp-Name": {"hello_mcp"}}},
	{name: "two Mcp-Method headers", body: envelope("tools/call", `{"name":"save_snippet","arguments":`+saveArgs+`}`),
		header: http.Header{"Mcp-Method": {"tools/call", "tools/list"}}},
	// The method and version spelled with escapes: read as the plain
	// strings (the gateway reads known ones without a copy).
	{name: "method with an escaped slash", body: envelope(`tools\/call`, `{"name":"save_snippet","arguments":`+saveArgs+`}`)},
	{name: "method with a \\u escape", body: envelope(`tools\u002Fcall`, `{"name":"save_snippet","arguments":`+saveArgs+`}`)},
	{name: "method with a NUL", body: envelope(`tools/call\u0000`, `{"name":"save_snippet","arguments":`+saveArgs+`}`)},
	{name: "version with an escape", body: `{"jsonrpc":"2\u002e0","id":1,"method":"tools/call","params":{"name":"save_snippet","arguments":` + saveArgs + `}}`},
	// A forbidden read carrying a large argument beside the one the
	// condition reads: bodies over 64 KiB are read another way, and the
	// condition runs without a cost limit.
	{name: "secret read with 60 KB beside it", body: envelope("tools/call", `{"name":"get_snippet","arguments":{"snippetname":"secret-plans","pad":"`+strings.Repeat("x", 60<<10)+`"}}`)},
	{name: "secret read with 200 KB beside it", body: envelope("tools/call", `{"name":"get_snippet","arguments":{"snippetname":"secret-plans","pad":"`+strings.Repeat("x", 200<<10)+`"}}`)},
	{name: "duplicate uri", body: envelope("resources/read", `{"uri":"file:///private/x","uri":"file:///public/a"}`)},
	{name: "uri and URI", body: envelope("resources/read", `{"uri":"file:///private/x","URI":"file:///public/a"}`)},
	{name: "duplicate prompt name", body: envelope("prompts/get", `{"name":"admin","name":"greeting"}`)},
}

// TestDifferentialTricks runs every trick against every backend. The
// ground truth is what the backend executed.
func TestDifferentialTricks(t *testing.T) {
	env := startDifferential(t)
	backends := env.backends
	if len(tricks) < 25 {
		t.Fatalf("only %d tricks", len(tricks))
	}
	for _, b := range backends {
		for _, tr := range tricks {
			t.Run(b.name+"/"+tr.name, func(t *testing.T) {
				b.reset()
				hdr := v0618
				if tr.header != nil {
					hdr = tr.header
				}
				if strings.HasPrefix(tr.body, "[") && tr.header == nil {
					hdr = nil // no version header: 2025-03-26, which has batches
				}
				status, answer := env.send(t, b, tr.body, hdr)
				if status >= 500 {
					t.Errorf("answered %d: %s", status, answer)
				}
				if bad := b.violations(answer); len(bad) > 0 {
					t.Errorf("the backend executed what the policy forbids: %v\nanswer %d: %s", bad, status, answer)
				}
			})
		}
	}
}

// TestDifferentialControls shows that the suite can see a violation: the
// allowed calls run on every backend, a forbidden call sent straight to a
// backend is seen, and a batch runs its allowed part while its forbidden
// part is answered by the gateway.
func TestDifferentialControls(t *testing.T) {
	env := startDifferential(t)
	backends := env.backends
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			b.reset()
			status, answer := env.send(t, b, envelope("tools/call", `{"name":"get_snippet","arguments":`+okArgs+`}`), v0618)
			if status != http.StatusOK || strings.Contains(answer, `"error"`) && !strings.Contains(answer, "plans") {
				t.Fatalf("an allowed call: %d %s", status, answer)
			}
			if bad := b.violations(answer); len(bad) > 0 {
				t.Fatalf("an allowed call counted as a violation: %v", bad)
			}
			batch := `[` + envelope("tools/call", `{"name":"hello_mcp"}`) + `,` + strings.Replace(envelope("tools/call", `{"name":"save_snippet","arguments":`+saveArgs+`}`), `"id":1`, `"id":2`, 1) + `]`
			status, answer = env.send(t, b, batch, nil)
			switch {
			case b.legacy:
				// A composed server takes no batches (2025-03-26 only):
				// the gateway's verdicts apply, then it refuses the rest.
				if status != http.StatusBadRequest || !strings.Contains(answer, "batches are not supported") {
					t.Errorf("a batch to a composed server: %d %s", status, answer)
				}
			case status != http.StatusOK || !strings.Contains(answer, `"id":1`) || !strings.Contains(answer, `unknown tool \"save_snippet\"`):
				t.Errorf("a batch with one forbidden call: %d %s", status, answer)
			}
			if bad := b.violations(answer); len(bad) > 0 {
				t.Errorf("the batch's forbidden call ran: %v", bad)
			}
		})
	}
	// Straight to the backend, past the gateway, the forbidden call runs
	// and the suite sees it.
	sdk := backends[0]
	req, _ := http.NewRequest(http.MethodPost, env.sdk.URL, strings.NewReader(envelope("tools/call", `{"name":"save_snippet","arguments":`+saveArgs+`}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	req.Header.Set("X-Functions-Key", env.sdk.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(sdk.violations("")) == 0 {
		t.Error("a forbidden call made straight to the sample server was not seen")
	}
}
