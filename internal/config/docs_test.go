package config

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// docDefaultsConfig has what the documented defaults are about: an
// identity section, a client with a secret, and servers of each kind.
const docDefaultsConfig = `
public_url: https://mcp.example.com
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
identity:
  local:
    users: [{username: alice, password_hash: "$2a$10$abcdefghijklmnopqrstuv"}]
clients:
  - {id: portal, secret: "0123456789abcdef", redirect_uris: ["https://portal.example.com/cb"]}
  - id: agent
    secret: "0123456789abcdef"
    redirect_uris: ["https://agent.example.com/cb"]
    grant_types: [authorization_code, refresh_token, "urn:ietf:params:oauth:grant-type:token-exchange"]
enterprise:
  issue: [{audience: "https://as.example.net", resources: ["https://api.example.net/mcp"], clients: {agent: a}}]
servers:
  - {name: plain, path: /mcp, upstream: "http://127.0.0.1:7071/mcp"}
  - {name: asserted, path: /asserted, upstream: "http://127.0.0.1:7072/mcp", auth: {mode: identity_assertion}}
  - {name: tools, path: /tools, command: [/bin/cat]}
  - {name: rest, path: /rest, openapi: {spec: petstore.yaml, base_url: "https://api.example/v3"}}
  - {name: all, path: /all, compose: [{name: gh, upstream: "http://127.0.0.1:7073/mcp"}]}
`

// docSections maps the headings of docs/configuration.md to where their
// keys are in the file.
var docSections = map[string]string{
	"Top level": "", "`identity`": "identity.", "`tokens`": "tokens.", "`registration`": "registration.",
	"`clients` (pre-registered)": "clients[0].", "`introspection`": "introspection.",
	"`admin` and `console`": "", "Sessions": "", "`servers`": "servers[].",
	"`enterprise.issue`": "enterprise.issue[0].",
}

// TestDocumentedDefaults: every default docs/configuration.md states is
// the one the configuration applies. "(`x` without `identity`)" is checked
// against a configuration without an identity section.
func TestDocumentedDefaults(t *testing.T) {
	raw, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	withIdentity, err := Parse([]byte(docDefaultsConfig), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	noIdentity, err := Parse([]byte(machineOnlyConfig), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	rows := documentedDefaults(t, string(raw))
	if len(rows) < 40 {
		t.Fatalf("read only %d documented defaults: has the table layout changed?", len(rows))
	}
	for _, d := range rows {
		checkDefault(t, withIdentity, d.key, d.value)
		if d.withoutIdentity != "" {
			checkDefault(t, noIdentity, d.key, d.withoutIdentity)
		}
	}
}

const machineOnlyConfig = `
public_url: https://mcp.example.com
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
clients: [{id: job, secret: "0123456789abcdef", grant_types: [client_credentials]}]
servers: [{name: plain, path: /mcp, upstream: "http://127.0.0.1:7071/mcp"}]
`

type docDefault struct{ key, value, withoutIdentity string }

var (
	backticked  = regexp.MustCompile("`([^`]*)`")
	withoutIdem = regexp.MustCompile("\\(`([^`]*)` without `identity`\\)")
	meaningDef  = regexp.MustCompile("Default (`[^`]*`)")
)

// documentedDefaults reads the Key and Default columns of every table (or
// "Default `x`" in the Meaning column of a table without one).
func documentedDefaults(t *testing.T, doc string) []docDefault {
	t.Helper()
	var out []docDefault
	prefix, inSection, defaultCol := "", false, -1
	for _, line := range strings.Split(doc, "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			prefix, inSection = docSections[h]
			defaultCol = -1
			continue
		}
		if !inSection || !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if cells[0] == "Key" {
			defaultCol = -1
			for i, c := range cells {
				if c == "Default" {
					defaultCol = i
				}
			}
			continue
		}
		value := ""
		if defaultCol >= 0 {
			value = cells[defaultCol]
		} else if m := meaningDef.FindStringSubmatch(cells[len(cells)-1]); m != nil {
			value = m[1]
		}
		out = append(out, splitRow(prefix, cells[0], value)...)
	}
	return out
}

// splitRow pairs the keys of one row with their defaults:
// "`a.b`, `a.c`" with "`1`, `2`"; "`a.b` / `c`" means a.b and a.c.
func splitRow(prefix, keyCell, valueCell string) []docDefault {
	var keys []string
	parent := ""
	for _, k := range backticked.FindAllStringSubmatch(keyCell, -1) {
		key := k[1]
		if i := strings.LastIndex(key, "."); i >= 0 {
			parent = key[:i+1]
		} else if strings.Contains(keyCell, " / ") {
			key = parent + key
		}
		keys = append(keys, prefix+key)
	}
	without := ""
	if m := withoutIdem.FindStringSubmatch(valueCell); m != nil {
		without = m[1]
		valueCell = strings.Replace(valueCell, m[0], "", 1)
	}
	var values []string
	for _, v := range backticked.FindAllStringSubmatch(valueCell, -1) {
		values = append(values, v[1])
	}
	switch plain := strings.TrimSpace(valueCell); {
	case plain == "none" || plain == "false":
		values = []string{""}
	case len(values) == 0:
		return nil // required, or said in words
	}
	if len(keys) == len(values) {
		out := make([]docDefault, len(keys))
		for i := range keys {
			out[i] = docDefault{keys[i], values[i], without}
		}
		return out
	}
	if len(values) == 1 { // one default for several keys ("none")
		var out []docDefault
		for _, k := range keys {
			out = append(out, docDefault{k, values[0], without})
		}
		return out
	}
	// One key, several values: the fields of a section, in order.
	return []docDefault{{keys[0], strings.Join(values, ","), without}}
}

// checkDefault compares the value at key (a path of yaml names) with the
// documented one.
func checkDefault(t *testing.T, c *Config, key, want string) {
	t.Helper()
	v, err := lookup(c, key)
	if err != nil {
		t.Errorf("docs/configuration.md documents %s: %v", key, err)
		return
	}
	if got := formatValue(v); !sameValue(got, want) {
		t.Errorf("%s: docs/configuration.md says the default is %q, the configuration applies %q", key, want, got)
	}
}

// lookup finds a field by its yaml path. A server's keys are looked up in
// the server the documentation is about: a stdio server for stdio.*, the
// identity_assertion one for its header and ttl, a plain one otherwise.
func lookup(c *Config, key string) (reflect.Value, error) {
	if rest, ok := strings.CutPrefix(key, "servers[]."); ok {
		i := 0
		switch {
		case rest == "title": // documented as "the name"
			if b := c.Backends[0]; b.Title == b.Name {
				return reflect.ValueOf("name"), nil
			}
			return reflect.ValueOf(c.Backends[0].Title), nil
		case strings.HasPrefix(rest, "stdio."), rest == "dir":
			i = 2
		case rest == "auth.header", rest == "auth.ttl":
			i = 1
		case strings.HasPrefix(rest, "openapi."):
			i = 3
		case strings.HasPrefix(rest, "compose[]."):
			i, rest = 4, "compose[0]."+strings.TrimPrefix(rest, "compose[].")
		}
		key = fmt.Sprintf("servers[%d].%s", i, rest)
	}
	v := reflect.ValueOf(c).Elem()
	for _, part := range strings.Split(key, ".") {
		index := -1
		if name, idx, ok := strings.Cut(part, "["); ok {
			part = name
			if n, err := strconv.Atoi(strings.TrimSuffix(idx, "]")); err == nil {
				index = n
			}
		}
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, fmt.Errorf("%s is nil", part)
			}
			v = v.Elem()
		}
		f, ok := fieldByTag(v, part)
		if !ok {
			return reflect.Value{}, fmt.Errorf("no such key %q", part)
		}
		v = f
		if index >= 0 {
			if index >= v.Len() {
				return reflect.Value{}, fmt.Errorf("%s has no item %d", part, index)
			}
			v = v.Index(index)
		}
	}
	return v, nil
}

func fieldByTag(v reflect.Value, name string) (reflect.Value, bool) {
	if v.Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	for i := range v.NumField() {
		if tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ","); tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// formatValue writes a value as the documentation does: durations and
// scalars as in YAML, lists space-separated (or [a, b] for grant types),
// a section's fields comma-separated.
func formatValue(v reflect.Value) string {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if d, ok := v.Interface().(Duration); ok {
		return d.D().String()
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		var items []string
		if v.Kind() == reflect.Slice {
			for i := range v.Len() {
				items = append(items, fmt.Sprint(v.Index(i).Interface()))
			}
		} else if v.Len() > 0 {
			items = append(items, fmt.Sprint(v.Len(), " entries"))
		}
		return strings.Join(items, " ")
	case reflect.Struct:
		var fields []string
		for i := range v.NumField() {
			if s := formatValue(v.Field(i)); s != "" {
				fields = append(fields, s)
			}
		}
		return strings.Join(fields, ",")
	case reflect.Bool:
		if !v.Bool() {
			return ""
		}
	}
	return fmt.Sprint(v.Interface())
}

// sameValue compares a formatted value with the documented one: durations
// by length ("720h" is "720h0m0s"), lists whatever their brackets.
func sameValue(got, doc string) bool {
	doc = strings.NewReplacer("[", "", "]", "", ", ", " ").Replace(doc)
	if doc == "false" {
		doc = ""
	}
	if got == doc {
		return true
	}
	g, err1 := time.ParseDuration(got)
	d, err2 := time.ParseDuration(doc)
	return err1 == nil && err2 == nil && g == d
}
