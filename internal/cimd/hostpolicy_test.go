package cimd

import "testing"

func TestHostPolicy(t *testing.T) {
	p, err := newHostPolicy(
		[]string{"client.example.com", "*.trusted.example", "93.184.215.14", "2001:DB8::1"},
		[]string{"*.evil.trusted.example", "bad.trusted.example"},
	)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host string
		ok   bool
	}{
		{"client.example.com", true},
		{"CLIENT.Example.COM", true},
		{"other.example.com", false},
		{"example.com", false},
		{"sub.client.example.com", false},
		{"a.trusted.example", true},
		{"a.b.trusted.example", true},
		{"trusted.example", false}, // the wildcard does not cover the apex
		{"xtrusted.example", false},
		{"bad.trusted.example", false},    // deny wins over allow
		{"x.evil.trusted.example", false}, // deny wins over allow
		{"evil.trusted.example", true},    // denied only below it
		{"93.184.215.14", true},
		{"2001:db8:0::1", true}, // IP literals compare canonically
		{"2001:db8::2", false},
	}
	for _, tt := range tests {
		if got := p.allowed(tt.host); got != tt.ok {
			t.Errorf("allowed(%q) = %v, want %v", tt.host, got, tt.ok)
		}
	}

	open, err := newHostPolicy(nil, []string{"*.evil.example"})
	if err != nil {
		t.Fatal(err)
	}
	if !open.allowed("anything.example") || open.allowed("x.evil.example") || !open.allowed("evil.example") {
		t.Error("an empty allow list must allow every host that is not denied")
	}

	for _, bad := range []string{"*", "", "*.", "*.*.example.com", "a.*.example.com", "https://example.com", "example.com/x", "example.com.", "example.com:443", "fe80::1%eth0", "*.10.0.0.1"} {
		if _, err := newHostPolicy([]string{bad}, nil); err == nil {
			t.Errorf("pattern %q was accepted", bad)
		}
	}
}
