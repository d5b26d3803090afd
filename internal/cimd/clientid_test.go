package cimd

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestIsClientIDURL(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"https://app.example.com/oauth/client-metadata.json", true},
		{"https://example.com/client.json", true},
		{"https://example.com:8443/client.json", true},
		{"https://example.com/client?version=2", true}, // SHOULD NOT, but allowed (§3)
		{"https://EXAMPLE.com/c", true},
		{"https://xn--bcher-kva.example/c", true},
		{"https://my_host.example.com/c", true},
		{"https://93.184.215.14/client.json", true},
		{"https://[2001:db8::1]/client.json", true}, // syntax only: the fetch refuses the address
		{"https://example.com/a//b", true},
		{"https://example.com/.well-known/client", true}, // ".well-known" is not a dot segment
		{"https://example.com/...", true},

		{"", false},
		{"http://example.com/client.json", false},
		{"HTTPS://example.com/client.json", false},
		{"Https://example.com/client.json", false},
		{"https://example.com", false},
		{"https://example.com/", false},
		{"https://example.com?x=1", false},
		{"https://example.com/?x=1", false},
		{"https://example.com/client.json#frag", false},
		{"https://example.com/client.json#", false},
		{"https://user@example.com/client.json", false},
		{"https://user:pass@example.com/client.json", false},
		{"https://example.com/./client.json", false},
		{"https://example.com/a/../client.json", false},
		{"https://example.com/a/..", false},
		{"https://example.com/a/.", false},
		{"https://example.com/%2e%2e/client.json", false},
		{"https://example.com/%2E/client.json", false},
		{"https://example.com/.%2e/client.json", false},
		{"https://example.com/a%2F..%2Fclient.json", false},
		{"https://example.com/a%5c..%5cclient.json", false},
		{"https://example.com/a%20b", true},
		{"https://example.com\\@evil.com/c", false},
		{"https://example.com/c lient", false},
		{"https://example.com/c\tx", false},
		{"https://exämple.com/c", false},
		{"https://example.com/cliënt", false},
		{"https:///client.json", false},
		{"https://:443/client.json", false},
		{"https://example.com:/c", false},
		{"https://example.com:0/c", false},
		{"https://example.com:65536/c", false},
		{"https://example.com:0443/c", false},
		{"https://example.com:https/c", false},
		{"https://example.com./c", false},
		{"https://.example.com/c", false},
		{"https://exa..mple.com/c", false},
		{"https://-example.com/c", false},
		{"https://example-.com/c", false},
		{"https://" + strings.Repeat("a", 64) + ".com/c", false},
		{"https://2130706433/c", false},
		{"https://0x7f.1/c", false},
		{"https://127.1/c", false},
		{"https://017.0.0.1/c", false},
		{"https://[fe80::1%25eth0]/c", false},
		{"https://[::ffff:127.0.0.1%25x]/c", false},
		{"https://[127.0.0.1]/c", false},
		{"https://exa%6dple.com/c", false},
		{"https://example.com/" + strings.Repeat("a", MaxClientIDLength), false},
		{"https:example.com/c", false},
		{"https:/example.com/c", false},
		{"client-123", false},
		{"urn:example:client", false},
	}
	for _, tt := range tests {
		if got := IsClientIDURL(tt.id); got != tt.ok {
			_, err := parseClientID(tt.id)
			t.Errorf("IsClientIDURL(%q) = %v, want %v (%v)", tt.id, got, tt.ok, err)
		}
	}
}

func TestClientIDErrorsDoNotEchoInput(t *testing.T) {
	for _, id := range []string{"http://<script>.example/c", "https://e.com/#<b>", "https://<x>@e.com/c", "https://e.com/../<i>"} {
		_, err := parseClientID(id)
		if err == nil {
			t.Fatalf("%q accepted", id)
		}
		if strings.Contains(err.Error(), "<") {
			t.Errorf("error for %q quotes the input: %v", id, err)
		}
	}
}

func ExampleIsClientIDURL() {
	for _, id := range []string{
		"https://app.example.com/oauth/client-metadata.json",
		"https://app.example.com/",
		"https://app.example.com/a/../client.json",
		"8f14e45fceea167a5a36dedd4bea2543",
	} {
		fmt.Println(IsClientIDURL(id))
	}
	// Output:
	// true
	// false
	// false
	// false
}

func FuzzIsClientIDURL(f *testing.F) {
	for _, s := range []string{
		"https://app.example.com/client.json", "https://example.com/", "https://a/%2e%2e/x",
		"https://u@h/x", "https://h/x#y", "https://[::1]:8443/x?q", "https://1.2.3.4/x", "https://h:0/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if !IsClientIDURL(id) {
			return
		}
		u, err := url.Parse(id)
		switch {
		case err != nil:
			t.Fatalf("accepted unparsable %q", id)
		case u.Scheme != "https" || !strings.HasPrefix(id, "https://"):
			t.Fatalf("accepted non-https %q", id)
		case u.Fragment != "" || strings.Contains(id, "#"):
			t.Fatalf("accepted a fragment: %q", id)
		case u.User != nil:
			t.Fatalf("accepted user information: %q", id)
		case u.Hostname() == "":
			t.Fatalf("accepted an empty host: %q", id)
		case u.EscapedPath() == "" || u.EscapedPath() == "/":
			t.Fatalf("accepted a URL without path: %q", id)
		case len(id) > MaxClientIDLength:
			t.Fatalf("accepted %d bytes", len(id))
		}
		for _, seg := range strings.Split(u.Path, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("accepted a dot segment: %q", id)
			}
		}
		for i := 0; i < len(id); i++ {
			if id[i] <= ' ' || id[i] >= 0x7f || id[i] == '\\' {
				t.Fatalf("accepted byte %#x in %q", id[i], id)
			}
		}
	})
}
