package config

import (
	"strings"
	"testing"
	"time"
)

func TestConsoleDefaultsAndLimits(t *testing.T) {
	c, err := Parse([]byte(minimal), env(map[string]string{"KEY": "k"}))
	if err != nil {
		t.Fatal(err)
	}
	if !*c.Console.Enabled || c.Console.SessionTTL.D() != 8*time.Hour {
		t.Errorf("console defaults: enabled %v, session_ttl %s", *c.Console.Enabled, c.Console.SessionTTL.D())
	}
	bad := minimal + `
console: {session_ttl: 1s}
clients:
  - {id: drawbridge-console, redirect_uris: ["http://127.0.0.1/cb"]}
  - {id: console-path, redirect_uris: ["http://127.0.0.1/cb"]}
`
	bad = strings.Replace(bad, "path: /mcp", "path: /console/mcp", 1)
	_, err = Parse([]byte(bad), env(map[string]string{"KEY": "k"}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"console.session_ttl", `"drawbridge-console" is reserved`, "servers[0].path"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}
