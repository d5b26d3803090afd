package config

import (
	"reflect"
	"time"
)

// Defaults, in one place.
const (
	DefaultListen            = "127.0.0.1:8080"
	DefaultSQLitePath        = "drawbridge-data/drawbridge.db"
	DefaultAccessTokenTTL    = time.Hour
	DefaultRefreshTokenTTL   = 30 * 24 * time.Hour
	DefaultGrantTTL          = 90 * 24 * time.Hour
	DefaultRefreshReuseGrace = 30 * time.Second
	DefaultCodeTTL           = 60 * time.Second
	DefaultLoginTTL          = 10 * time.Minute
	DefaultClientTTL         = 30 * 24 * time.Hour
	DefaultServerTimeout     = 60 * time.Second
	DefaultEntraCloud        = "https://login.microsoftonline.com"
	// IdentityNone is identity.type when the configuration has no
	// identity section: nobody signs in, and only machine clients
	// (client_credentials) get tokens.
	IdentityNone = "none"
)

func (c *Config) applyDefaults() {
	setString(&c.Listen, DefaultListen)
	setString(&c.Log.Level, "info")
	setString(&c.Log.Format, "text")
	setString(&c.Storage.Type, "sqlite")
	setString(&c.Storage.SQLite.Path, DefaultSQLitePath)
	if c.Identity.Type == "" && reflect.ValueOf(c.Identity).IsZero() {
		// No identity section: nobody signs in (machine clients only).
		c.Identity.Type = IdentityNone
	}
	setString(&c.Identity.Type, "local")
	if len(c.Identity.OIDC.Scopes) == 0 {
		c.Identity.OIDC.Scopes = []string{"openid", "email", "profile"}
	}
	cl := &c.Identity.OIDC.Claims
	setString(&cl.Subject, "sub")
	setString(&cl.Email, "email")
	setString(&cl.Name, "name")
	setString(&cl.Groups, "groups")
	setString(&c.Identity.Entra.Cloud, DefaultEntraCloud)
	if c.Identity.OIDC.BackChannelLogout == nil {
		on := true
		c.Identity.OIDC.BackChannelLogout = &on
	}

	t := &c.Tokens
	setDuration(&t.AccessTokenTTL, DefaultAccessTokenTTL)
	setDuration(&t.RefreshTokenTTL, DefaultRefreshTokenTTL)
	setDuration(&t.GrantTTL, DefaultGrantTTL)
	setDuration(&t.CodeTTL, DefaultCodeTTL)
	setDuration(&t.LoginTTL, DefaultLoginTTL)
	if t.KeyRotation == nil {
		d := Duration(30 * 24 * time.Hour)
		t.KeyRotation = &d
	}
	if t.RefreshReuseGrace == nil {
		g := Duration(DefaultRefreshReuseGrace)
		t.RefreshReuseGrace = &g
	}
	// What only a signed-in user can use is off by default when nobody
	// signs in; Validate refuses turning it on.
	interactive := c.Identity.Type != IdentityNone
	if c.Registration.Dynamic == nil {
		c.Registration.Dynamic = &interactive
	}
	setDuration(&c.Registration.ClientTTL, DefaultClientTTL)
	if c.Registration.MetadataDocuments.Enabled == nil {
		on := interactive
		c.Registration.MetadataDocuments.Enabled = &on
	}
	if c.Registration.PerAddressPerHour == 0 {
		c.Registration.PerAddressPerHour = 20
	}
	for i := range c.Clients {
		cl := &c.Clients[i]
		if len(cl.GrantTypes) == 0 {
			cl.GrantTypes = []string{"authorization_code", "refresh_token"}
		}
		if cl.TokenEndpointAuthMethod == "" {
			cl.TokenEndpointAuthMethod = "none"
			if cl.Secret != "" {
				cl.TokenEndpointAuthMethod = "client_secret_basic"
			}
		}
	}
	setDuration(&c.SessionTTL, 24*time.Hour)
	if c.Console.Enabled == nil {
		on := interactive
		c.Console.Enabled = &on
	}
	setDuration(&c.Console.SessionTTL, 8*time.Hour)
	rl := &c.RateLimits
	setString(&rl.Backend, "memory")
	setDuration(&rl.Redis.Timeout, 100*time.Millisecond)
	for i := range rl.Rules {
		setDuration(&rl.Rules[i].Every, time.Minute)
		if rl.Rules[i].Burst == 0 && rl.Rules[i].Rate > 0 {
			rl.Rules[i].Burst = int64(rl.Rules[i].Rate + 0.999999)
		}
	}
	for _, d := range []struct {
		p *int64
		v int64
	}{{&rl.Auth.TokenPerMinute, 120}, {&rl.Auth.AuthorizePerMinute, 60}, {&rl.Auth.LoginPerMinute, 20}} {
		if *d.p == 0 {
			*d.p = d.v
		}
	}
	if rl.Lockout.After == 0 {
		rl.Lockout.After = 5
	}
	if rl.Lockout.AddressAfter == 0 {
		rl.Lockout.AddressAfter = 20
	}
	setDuration(&rl.Lockout.Base, time.Minute)
	setDuration(&rl.Lockout.Max, time.Hour)
	setDuration(&rl.Lockout.DeviceTTL, 720*time.Hour)
	if c.Audit.Store == nil {
		on := true
		c.Audit.Store = &on
	}
	if c.Audit.RedactKeys == nil {
		c.Audit.RedactKeys = []string{"password", "secret", "token", "api_key", "apikey", "authorization", "credential", "private_key"}
	}
	for i := range c.Backends {
		if c.Backends[i].MaxRequestBytes == 0 {
			c.Backends[i].MaxRequestBytes = 4 << 20
		}
		setDuration(&c.Backends[i].Timeout, DefaultServerTimeout)
		if len(c.Backends[i].Command) > 0 {
			setString(&c.Backends[i].Transport, "stdio")
			setString(&c.Backends[i].Stdio.Mode, "per-session")
		}
		setString(&c.Backends[i].Transport, "streamable-http")
		setString(&c.Backends[i].Auth.Mode, "none")
		setString(&c.Backends[i].Title, c.Backends[i].Name)
		// Tool pinning (package pinning, whose DefaultMode says why).
		setString(&c.Backends[i].Pinning, "hide")
		setString(&c.Backends[i].PinningApproval, "tofu")
	}
}

func setString(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func setDuration(p *Duration, v time.Duration) {
	if *p == 0 {
		*p = Duration(v)
	}
}
