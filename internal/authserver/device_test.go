package authserver

import (
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

func deviceServer(t *testing.T, secure bool, now *time.Time) *Server {
	t.Helper()
	ring, err := tokens.NewKeyring([]tokens.RingKey{{ID: "k1", Key: tokens.GenerateKey()}})
	if err != nil {
		t.Fatal(err)
	}
	return &Server{opt: Options{Keyring: ring, DeviceTTL: 24 * time.Hour, SecureCookies: secure,
		Now: func() time.Time { return *now }, Log: slog.New(slog.DiscardHandler)}}
}

// remembered signs in username on s and returns the cookie it sets.
func remembered(t *testing.T, s *Server, username string) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	s.rememberDevice(rec, username)
	cks := rec.Result().Cookies()
	if len(cks) != 1 {
		t.Fatalf("%d cookies set, want 1", len(cks))
	}
	return cks[0]
}

func presenting(ck *http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/login", nil)
	r.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	return r
}

func TestDeviceCookieAttributes(t *testing.T) {
	now := lockT0
	ck := remembered(t, deviceServer(t, true, &now), "alice")
	if ck.Name != "__Host-drawbridge-device" || !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" ||
		ck.SameSite != http.SameSiteStrictMode || ck.MaxAge != 86400 {
		t.Errorf("cookie %+v: want __Host-, Secure, HttpOnly, Path=/, no Domain, SameSite=Strict, a day", ck)
	}
	if raw, _ := base64.RawURLEncoding.DecodeString(ck.Value); json.Valid(raw) || len(ck.Value) > maxDeviceCookie {
		t.Errorf("the cookie is readable or too long: %q", ck.Value)
	}
}

// TestDeviceCookieAccepted only for its own username, unaltered, unexpired,
// and sealed by this server for this purpose.
func TestDeviceCookieAccepted(t *testing.T) {
	now := lockT0
	s := deviceServer(t, true, &now)
	ck := remembered(t, s, "alice")
	id := s.device(presenting(ck), "alice")
	if id == "" {
		t.Fatal("a genuine cookie for alice is not accepted")
	}
	if other := s.device(presenting(remembered(t, s, "alice")), "alice"); other == id || other == "" {
		t.Errorf("each sign-in must make a new device: %q then %q", id, other)
	}
	if got := s.device(presenting(ck), "bob"); got != "" {
		t.Error("alice's cookie accepted for bob")
	}
	if got := s.device(presenting(ck), "Alice"); got != "" {
		t.Error("alice's cookie accepted for another spelling")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(ck.Value)
	for i := range raw {
		forged := append([]byte(nil), raw...)
		forged[i] ^= 1
		if got := s.device(presenting(&http.Cookie{Name: ck.Name, Value: base64.RawURLEncoding.EncodeToString(forged)}), "alice"); got != "" {
			t.Fatalf("a cookie with byte %d changed is accepted", i)
		}
	}
	for _, v := range []string{"", "x", "!!!", base64.RawURLEncoding.EncodeToString([]byte(`{"u":"alice","d":"x","e":99999999999}`))} {
		if got := s.device(presenting(&http.Cookie{Name: ck.Name, Value: v}), "alice"); got != "" {
			t.Errorf("a made-up cookie %q is accepted", v)
		}
	}
	// Sealed by the same keyring for something else.
	other, _ := s.opt.Keyring.Seal([]byte(`{"u":"alice","d":"x","e":99999999999}`), []byte("drawbridge signing-key k"))
	if got := s.device(presenting(&http.Cookie{Name: ck.Name, Value: base64.RawURLEncoding.EncodeToString(other)}), "alice"); got != "" {
		t.Error("a value sealed for another purpose is accepted")
	}
	// Sealed by another server's keyring.
	if got := deviceServer(t, true, &now).device(presenting(ck), "alice"); got != "" {
		t.Error("another keyring's cookie is accepted")
	}
	// The plain name is not read when cookies are __Host-.
	if got := s.device(presenting(&http.Cookie{Name: deviceCookie, Value: ck.Value}), "alice"); got != "" {
		t.Error("the cookie is read without its __Host- prefix")
	}
	now = now.Add(24*time.Hour - time.Second)
	if s.device(presenting(ck), "alice") != id {
		t.Error("the cookie expired early")
	}
	now = now.Add(time.Second)
	if got := s.device(presenting(ck), "alice"); got != "" {
		t.Error("an expired cookie is accepted")
	}
}

func TestDeviceCookiesOff(t *testing.T) {
	now := lockT0
	s := deviceServer(t, false, &now)
	ck := remembered(t, s, "alice")
	s.opt.DeviceTTL = -1
	if got := s.device(presenting(ck), "alice"); got != "" {
		t.Error("a cookie is accepted with device cookies off")
	}
	rec := httptest.NewRecorder()
	s.rememberDevice(rec, "alice")
	if len(rec.Result().Cookies()) != 0 {
		t.Error("a cookie is set with device cookies off")
	}
}
