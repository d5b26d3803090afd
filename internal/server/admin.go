package server

import (
	"context"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/compose"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
)

// adminOptions configures the admin actions (the JSON API and the
// console's admin pages share them), over the same store, keys and
// revoker as the rest of the server.
func adminOptions(cfg *config.Config, opt Options, c core, composed composedServers, apis *openAPISources) admin.Options {
	keys, _ := SealKeys(cfg) // validated: there is an encryption key
	var backends []admin.Backend
	for i := range cfg.Backends {
		sv := &cfg.Backends[i]
		backends = append(backends, admin.Backend{Name: sv.Name, Path: sv.Path, Resource: cfg.ResourceURL(sv),
			Upstream: sv.Upstream, Health: backendProbe(sv), Members: memberStates(composed[sv.Name]), Reload: apis.reloader(sv.Name)})
	}
	return admin.Options{Issuer: cfg.Issuer(), Store: c.store, Keys: c.keys, Revoker: c.revoker,
		Verifier: c.verifier, Users: cfg.Admin.Users, Groups: cfg.Admin.Groups, SealKeys: keys,
		AllowedNetworks: prefixes(cfg.Admin.AllowedNetworks),
		Backends:        backends, Record: c.events, Log: opt.Log, Now: opt.Now, Pins: c.pins}
}

// backendProbe checks that a URL backend answers HTTP at all (any status:
// an MCP endpoint answers a bare GET with an error, which still proves it
// is up). Stdio servers have no probe.
func backendProbe(sv *config.Backend) func(context.Context) error {
	if sv.Upstream == "" {
		return nil
	}
	u := sv.Upstream
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
}

// memberStates reports a composed server's members as it last saw them
// (nil for another server): the console's server health page shows them.
func memberStates(s *compose.Server) func() []admin.MemberStatus {
	if s == nil {
		return nil
	}
	return func() []admin.MemberStatus {
		var out []admin.MemberStatus
		for _, h := range s.Health() {
			out = append(out, memberStatus(h))
		}
		return out
	}
}

// memberStatus is one member's state: unknown until it was contacted.
func memberStatus(h compose.MemberHealth) admin.MemberStatus {
	m := admin.MemberStatus{Name: h.Name, State: "down", LastError: h.LastError}
	switch {
	case h.Up:
		m.State = "up"
	case h.Since.IsZero() && h.LastError == "":
		m.State = "unknown"
	}
	if !h.Since.IsZero() {
		since := h.Since.UTC()
		m.Since = &since
	}
	return m
}
