package cimd

import "testing"

// TestCheckSocket: the last check before connect(2) refuses what the
// resolver check would have refused.
func TestCheckSocket(t *testing.T) {
	f, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for addr, ok := range map[string]bool{
		"93.184.215.14:443":           true,
		"[2606:4700:4700::1111]:443":  true,
		"127.0.0.1:443":               false,
		"[::ffff:169.254.169.254]:80": false,
		"10.0.0.1:443":                false,
		"[fe80::1%eth0]:443":          false,
		"not an address":              false,
	} {
		if err := f.checkSocket("tcp", addr, nil); (err == nil) != ok {
			t.Errorf("checkSocket(%s) = %v, want ok=%v", addr, err, ok)
		}
	}
	open, err := New(Options{AllowPrivateNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := open.checkSocket("tcp", "127.0.0.1:443", nil); err != nil {
		t.Errorf("AllowPrivateNetworks: %v", err)
	}
}
