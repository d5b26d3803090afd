package cimd

import (
	"slices"
	"testing"
)

func TestBlockHosts(t *testing.T) {
	for _, tt := range []struct {
		id   string
		want []string
	}{
		{"https://App.Agents.example:8443/c.json", []string{"app.agents.example", "agents.example", "example"}},
		{"https://agents.example/c.json", []string{"agents.example", "example"}},
		{"https://192.0.2.7/c.json", []string{"192.0.2.7"}},
		{"https://[2001:db8::1]/c.json", []string{"2001:db8::1"}},
		{"http://agents.example/c.json", nil},
		{"not a url", nil},
	} {
		if got := BlockHosts(tt.id); !slices.Equal(got, tt.want) {
			t.Errorf("BlockHosts(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

func TestHostCovers(t *testing.T) {
	for _, tt := range []struct {
		block, host string
		want        bool
	}{
		{"agents.example", "agents.example", true},
		{"agents.example", "app.agents.example", true},
		{"agents.example", "x.y.agents.example", true},
		{"agents.example", "evilagents.example", false},
		{"agents.example", "agents.example.net", false},
		{"app.agents.example", "agents.example", false},
		{"192.0.2.7", "192.0.2.7", true},
		{"0.2.7", "192.0.2.7", false},
	} {
		if got := HostCovers(tt.block, tt.host); got != tt.want {
			t.Errorf("HostCovers(%q, %q) = %v", tt.block, tt.host, got)
		}
	}
}
