package cimd

import "testing"

func TestCanonicalHost(t *testing.T) {
	for in, want := range map[string]string{
		"agents.example": "agents.example", "Agents.EXAMPLE": "agents.example", "xn--bcher-kva.example": "xn--bcher-kva.example",
		"192.0.2.1": "192.0.2.1", "[2001:DB8::1]": "2001:db8::1", "2001:db8:0:0::1": "2001:db8::1", "::ffff:192.0.2.1": "192.0.2.1",
	} {
		if got, err := CanonicalHost(in); err != nil || got != want {
			t.Errorf("CanonicalHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "agents.example:443", "https://agents.example", "agents.example/x", "*.agents.example",
		"bücher.example", "agents.example.", "fe80::1%eth0", "[agents.example]", "a b", "1.2.3"} {
		if got, err := CanonicalHost(bad); err == nil {
			t.Errorf("CanonicalHost(%q) = %q, want an error", bad, got)
		}
	}
}

func TestClientIDHost(t *testing.T) {
	for id, want := range map[string]string{
		"https://Agents.Example/client.json":      "agents.example",
		"https://agents.example:8443/client.json": "agents.example",
		"https://[2001:DB8::1]:443/c.json":        "2001:db8::1",
		"https://192.0.2.1/c.json":                "192.0.2.1",
	} {
		if got, ok := ClientIDHost(id); !ok || got != want {
			t.Errorf("ClientIDHost(%q) = %q, %v; want %q", id, got, ok, want)
		}
	}
	for _, bad := range []string{"client-a", "http://agents.example/c.json", "https://agents.example/", "https://user@agents.example/c.json"} {
		if got, ok := ClientIDHost(bad); ok {
			t.Errorf("ClientIDHost(%q) = %q, want not ok", bad, got)
		}
	}
}
