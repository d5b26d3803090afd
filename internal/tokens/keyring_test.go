package tokens

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

func TestKeyringSealOpen(t *testing.T) {
	oldKey := RingKey{ID: "old", Key: GenerateKey()}
	old, err := NewKeyring([]RingKey{oldKey})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := old.Seal([]byte("secret"), []byte("row-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("secret")) {
		t.Fatal("plaintext visible in sealed data")
	}
	// A rotated ring (new key first) still opens data sealed with the old key.
	rotated, err := NewKeyring([]RingKey{{ID: "new", Key: GenerateKey()}, oldKey})
	if err != nil {
		t.Fatal(err)
	}
	got, err := rotated.Open(sealed, []byte("row-1"))
	if err != nil || string(got) != "secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := rotated.Open(sealed, []byte("row-2")); err == nil {
		t.Error("sealed data opened under another AAD")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := rotated.Open(sealed, []byte("row-1")); err == nil {
		t.Error("tampered data opened")
	}
	other, _ := NewKeyring([]RingKey{{ID: "other", Key: GenerateKey()}})
	fresh, _ := rotated.Seal([]byte("x"), nil)
	if _, err := other.Open(fresh, nil); err == nil || !strings.Contains(err.Error(), `"new"`) {
		t.Errorf("want an error naming the missing key, got %v", err)
	}
	for _, bad := range [][]byte{nil, {1}, {2, 0}, {1, 200, 'a'}} {
		if _, err := rotated.Open(bad, nil); err == nil {
			t.Errorf("Open(%v) succeeded", bad)
		}
	}
}

func TestNewKeyringRejectsBadKeys(t *testing.T) {
	for _, keys := range [][]RingKey{nil, {{ID: "a", Key: "c2hvcnQ="}}, {{ID: "", Key: GenerateKey()}}, {{ID: "a", Key: "%%%"}}} {
		if _, err := NewKeyring(keys); err == nil {
			t.Errorf("NewKeyring(%v) succeeded", keys)
		}
	}
}

func TestKeyringDerive(t *testing.T) {
	k1 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	k2 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	a, _ := NewKeyring([]RingKey{{ID: "a", Key: k1}, {ID: "b", Key: k2}})
	b, _ := NewKeyring([]RingKey{{ID: "a", Key: k1}})
	c, _ := NewKeyring([]RingKey{{ID: "b", Key: k2}, {ID: "a", Key: k1}})
	if !bytes.Equal(a.Derive("x"), b.Derive("x")) {
		t.Error("two keyrings with the same first key derived different keys")
	}
	if bytes.Equal(a.Derive("x"), a.Derive("y")) {
		t.Error("two labels derived the same key")
	}
	if bytes.Equal(a.Derive("x"), c.Derive("x")) {
		t.Error("another first key derived the same key")
	}
	if len(a.Derive("x")) != 32 {
		t.Errorf("derived %d bytes, want 32", len(a.Derive("x")))
	}
}
