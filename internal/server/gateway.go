package server

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"

	"github.com/drawbridge-mcp/drawbridge/internal/backendauth"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/gateway"
	"github.com/drawbridge-mcp/drawbridge/internal/lastuse"
	"github.com/drawbridge-mcp/drawbridge/internal/pinning"
	"github.com/drawbridge-mcp/drawbridge/internal/policy"
	"github.com/drawbridge-mcp/drawbridge/internal/stdio"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// gatewayParts are what the gateway takes from the stages between the
// core and itself; the maps are by server name.
type gatewayParts struct {
	Verifier    tokens.AccessVerifier
	Policies    map[string]*policy.Policy
	Credentials map[string]backendauth.Credential
	// Handlers serve the stdio servers (their bridges) and the OpenAPI
	// servers in-process.
	Handlers map[string]http.Handler
	// Pins is tool definition pinning over the shared store.
	Pins *pinning.Guard
}

// gatewayOptions configures the gateway: one backend per configured
// server, with its policy, limits, networks and credential.
func gatewayOptions(cfg *config.Config, opt Options, c core, p gatewayParts) (gateway.Options, error) {
	o := gateway.Options{Issuer: cfg.Issuer(), Verifier: p.Verifier, Revoked: c.revoked, Log: opt.Log, Transport: opt.BackendTransport,
		Store: c.store, Now: opt.Now, SessionTTL: cfg.SessionTTL.D(),
		Audit: c.events, AuditArguments: cfg.Audit.Arguments, RedactKeys: cfg.Audit.RedactKeys, Metrics: c.metrics,
		Debug: cfg.Log.OAuthDebug, TracerProvider: opt.TracerProvider, Limiter: c.limiter}
	for i := range cfg.Backends {
		sv := &cfg.Backends[i]
		var up *url.URL
		if sv.Upstream != "" {
			u, err := url.Parse(sv.Upstream)
			if err != nil {
				return gateway.Options{}, fmt.Errorf("server %s: %w", sv.Name, err)
			}
			up = u
		}
		o.Backends = append(o.Backends, gateway.Backend{Credential: p.Credentials[sv.Name],
			Name: sv.Name, Path: sv.Path, Resource: cfg.ResourceURL(sv), MetadataURL: cfg.ResourceMetadataURL(sv),
			Title: sv.Title, Upstream: up, Handler: p.Handlers[sv.Name], Scopes: sv.Scopes, Headers: sv.Headers, Policy: p.Policies[sv.Name],
			RateRules: rateRules(cfg, sv), AllowedNetworks: prefixes(sv.AllowedNetworks), DeniedNetworks: prefixes(sv.DeniedNetworks),
			ForwardIdentity: sv.ForwardIdentity, Timeout: sv.Timeout.D(), HTTP2: sv.BackendHTTP2, RequireDPoP: sv.RequireDPoP,
			Transport: sv.Transport, MaxBodyBytes: sv.MaxRequestBytes, KeepAlive: sv.KeepAlive.D(), AllowedOrigins: sv.AllowedOrigins,
			Pins: p.Pins.For(sv.Name, pinningSettings(sv)),
		})
	}
	return o, nil
}

// newGateway builds the gateway, with each server's policy, credential,
// stdio bridge, OpenAPI handler or composed server. Every token it accepts is noted as a use of its grant, by
// the tracker it returns (nil when the store keeps no uses).
func newGateway(ctx context.Context, cfg *config.Config, opt Options, c core, creds map[string]backendauth.Credential, composed composedServers, apis *openAPISources, open *cleanup) (*gateway.Gateway, *lastuse.Tracker, error) {
	policies, err := CompilePolicies(cfg)
	if err != nil {
		return nil, nil, err
	}
	apiHandlers, err := newOpenAPIBackends(ctx, cfg, opt, creds, apis)
	if err != nil {
		return nil, nil, err
	}
	handlers, bridges, err := newBridges(cfg, opt)
	if err != nil {
		return nil, nil, err
	}
	open.add("stdio bridges", func() error { closeBridges(bridges); return nil })
	maps.Copy(handlers, apiHandlers)
	for name, s := range composed {
		handlers[name] = s
	}
	usage := newUsageTracker(c.store, opt.Now)
	open.add("grant last-use tracker", func() error { flushLastUse(usage, opt.Log); return nil })
	o, err := gatewayOptions(cfg, opt, c, gatewayParts{Verifier: gatewayVerifier(c.verifier, usage),
		Policies: policies, Credentials: creds, Handlers: handlers, Pins: c.pins})
	if err != nil {
		return nil, nil, err
	}
	gw, err := gateway.New(o)
	return gw, usage, err
}

// newBridges makes a bridge for each stdio server; none starts a process
// before its first session. On failure the bridges already made are
// closed.
func newBridges(cfg *config.Config, opt Options) (map[string]http.Handler, []*stdio.Bridge, error) {
	handlers := map[string]http.Handler{}
	var bridges []*stdio.Bridge
	for i := range cfg.Backends {
		sv := &cfg.Backends[i]
		if len(sv.Command) == 0 {
			continue
		}
		b, err := stdio.New(bridgeOptions(sv, opt))
		if err != nil {
			closeBridges(bridges)
			return nil, nil, fmt.Errorf("server %s: %w", sv.Name, err)
		}
		handlers[sv.Name] = b
		bridges = append(bridges, b)
	}
	return handlers, bridges, nil
}

func closeBridges(bridges []*stdio.Bridge) {
	for _, b := range bridges {
		_ = b.Close()
	}
}

// bridgeOptions configures the bridge of a stdio server.
func bridgeOptions(sv *config.Backend, opt Options) stdio.Options {
	return stdio.Options{
		Name: sv.Name, Command: sv.Command, Env: sv.Env, Dir: sv.Dir, Mode: stdio.Mode(sv.Stdio.Mode),
		MaxSessions: sv.Stdio.MaxSessions, IdleTimeout: sv.Stdio.IdleTimeout.D(), MaxBodyBytes: sv.MaxRequestBytes,
		KeepAlive: sv.KeepAlive.D(), Logger: opt.Log.With("server", sv.Name),
		SessionOwner: sessionOwner,
	}
}

// sessionOwner binds each stdio session to the subject of the token that
// opened it (RS6).
func sessionOwner(r *http.Request) string {
	if c := gateway.Claims(r.Context()); c != nil {
		return c.Subject
	}
	return ""
}

// pinningSettings are a server's tool pinning settings (docs/pinning.md).
func pinningSettings(sv *config.Backend) pinning.Settings {
	return pinning.Settings{Mode: pinning.Mode(sv.Pinning), Approval: pinning.Approval(sv.PinningApproval)}
}
