package oauthclient

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// CheckURL requires an absolute https URL, or http on a loopback host for
// development and tests (OIDC Discovery, section 3 requires https issuers).
// With strict set (issuers, configured token URLs) it also has no query
// or fragment.
func CheckURL(raw string, strict bool) error {
	if raw == "" {
		return errors.New("is empty")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("is not an absolute URL")
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !isLoopback(u.Hostname())) {
		return errors.New("must use https (http only on a loopback host)")
	}
	if strict && (u.RawQuery != "" || u.Fragment != "") {
		return errors.New("must not have a query or fragment")
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkTokenURL holds a token endpoint to CheckURL's scheme rule and to RFC
// 6749, section 3.2: it may have a query (Azure AD B2C's policy parameter
// is one) but no fragment.
func checkTokenURL(raw string) error {
	if err := CheckURL(raw, false); err != nil {
		return err
	}
	if strings.Contains(raw, "#") {
		return errors.New("must not have a fragment")
	}
	return nil
}
