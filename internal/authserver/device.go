package authserver

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// A remembered device (OWASP "Slow Down Online Guessing Attacks with Device
// Cookies"): a browser that signed in with a password gets a cookie naming
// the username, a random device id and an expiry, sealed with the keyring
// (AES-256-GCM: nobody without the key can make or alter one). Presented at
// the sign-in form for that same username, it takes the attempt out of the
// address's lockout and counts it against the device instead (lockout.go),
// so a stranger failing at the user's address does not lock the user out.
// The cookie is only a lockout exemption: it signs nobody in.
const deviceCookie = "drawbridge-device"

// deviceAAD binds the seal to this purpose: nothing else the keyring
// seals opens as a device cookie.
var deviceAAD = []byte("drawbridge remembered-device cookie")

// maxDeviceCookie bounds what is decoded: a sealed value is well under it.
const maxDeviceCookie = 1024

type deviceClaims struct {
	User    string `json:"u"`
	Device  string `json:"d"`
	Expires int64  `json:"e"`
}

func (s *Server) deviceCookieName() string {
	if s.opt.SecureCookies {
		return "__Host-" + deviceCookie // RFC 6265bis §4.1.3.2
	}
	return deviceCookie
}

func (s *Server) remembersDevices() bool { return s.opt.Keyring != nil && s.opt.DeviceTTL > 0 }

// device returns the id of the browser's remembered device for username,
// or "" when it presents none that is genuine, unexpired and for that
// username.
func (s *Server) device(r *http.Request, username string) string {
	if !s.remembersDevices() {
		return ""
	}
	ck, err := r.Cookie(s.deviceCookieName())
	if err != nil || len(ck.Value) > maxDeviceCookie {
		return ""
	}
	sealed, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return ""
	}
	plain, err := s.opt.Keyring.Open(sealed, deviceAAD)
	if err != nil {
		return ""
	}
	var d deviceClaims
	if json.Unmarshal(plain, &d) != nil || d.Device == "" || d.User != username || !s.opt.Now().Before(time.Unix(d.Expires, 0)) {
		return ""
	}
	return d.Device
}

// rememberDevice gives the browser a new device cookie for username, after
// a correct password.
func (s *Server) rememberDevice(w http.ResponseWriter, username string) {
	if !s.remembersDevices() {
		return
	}
	exp := s.opt.Now().Add(s.opt.DeviceTTL)
	plain, _ := json.Marshal(deviceClaims{User: username, Device: tokens.NewID(), Expires: exp.Unix()})
	sealed, err := s.opt.Keyring.Seal(plain, deviceAAD)
	if err != nil {
		s.opt.Log.Error("sealing the device cookie", "err", err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     s.deviceCookieName(),
		Value:    base64.RawURLEncoding.EncodeToString(sealed),
		Path:     "/",
		MaxAge:   int(s.opt.DeviceTTL.Seconds()),
		HttpOnly: true,
		Secure:   s.opt.SecureCookies,
		// Strict: only our own sign-in form, a same-site POST, needs it.
		SameSite: http.SameSiteStrictMode,
	})
}
