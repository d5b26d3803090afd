package gwtest

import (
	"net/url"
	"testing"
)

// TestStopAtRedirect: the browser stops at the client's redirect URI even
// when the gateway listens on its port (the gateway's host is then
// "allowed" and the browser would otherwise follow the redirect into it),
// and follows what it followed before.
func TestStopAtRedirect(t *testing.T) {
	follow := func(*url.URL) bool { return false }
	stop := stopAt(Redirect, follow)
	for _, c := range []struct {
		u    string
		want bool
	}{
		{Redirect + "?code=x&state=st-123", true},
		{"http://127.0.0.1:43211/login", false},
		{"http://127.0.0.1:43211/authorize?x=1", false},
		{"https://127.0.0.1:43211/cb", false},
	} {
		u, err := url.Parse(c.u)
		if err != nil {
			t.Fatal(err)
		}
		if got := stop(u); got != c.want {
			t.Errorf("stop(%s) = %v, want %v", c.u, got, c.want)
		}
	}
}
