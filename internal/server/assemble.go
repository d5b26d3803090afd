package server

import (
	"context"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/authserver"
	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/console"
	"github.com/drawbridge-mcp/drawbridge/internal/doctor"
	"github.com/drawbridge-mcp/drawbridge/internal/gateway"
)

// assemble builds Drawbridge from its configuration, top to bottom: each
// stage takes what the stages above it returned, and nothing is set aside
// for later. What is opened on the way is added to open, which New closes
// when a later stage fails.
func assemble(ctx context.Context, cfg *config.Config, opt Options, open *cleanup) (*Server, error) {
	// Read from files and parsed before anything is opened.
	listen, err := newServing(cfg, opt)
	if err != nil {
		return nil, err
	}
	addrs, err := clientaddr.New(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	// Store → keys and revocation list → verifier, audit, limits.
	c, err := openCore(ctx, cfg, opt, open)
	if err != nil {
		return nil, err
	}
	in, err := newSignIn(ctx, cfg, opt)
	if err != nil {
		return nil, err
	}
	vlt := newVault(cfg, opt, c, in.upstream)
	creds, err := backendCredentials(ctx, cfg, opt, credParts{Keys: c.keys, Vault: vlt, Upstream: in.upstream})
	if err != nil {
		return nil, err
	}
	md, err := newMetadataFetcher(cfg, opt)
	if err != nil {
		return nil, err
	}
	as, err := authserver.New(authServerOptions(cfg, opt, c, in, vlt, md))
	if err != nil {
		return nil, err
	}
	// The OpenAPI documents of plain servers and of composed servers'
	// members, read again on SIGHUP and openapi.refresh.
	apis := newOpenAPISources(opt, c.metrics)
	composed, err := newComposedServers(ctx, cfg, opt, c, creds, apis, open)
	if err != nil {
		return nil, err
	}
	gw, usage, err := newGateway(ctx, cfg, opt, c, creds, composed, apis, open)
	if err != nil {
		return nil, err
	}
	adm := admin.New(adminOptions(cfg, opt, c, composed, apis))
	con, err := newConsole(cfg, opt, c, adm, as)
	if err != nil {
		return nil, err
	}
	// Both listeners answer /readyz.
	listen.ready = readiness{store: c.store, keys: c.keys, idp: in.ready()}
	return &Server{
		handler: newHandler(cfg, opt, endpoints{auth: as, gateway: gw, admin: adm, console: con, ready: listen.ready}, addrs),
		serving: listen, store: c.store, metrics: c.metrics, apis: apis,
		loops: append(backgroundLoops(cfg, opt, c, usage, con), apis.loops()...),
	}, nil
}

// endpoints are what the public listener serves.
type endpoints struct {
	auth    *authserver.Server
	gateway *gateway.Gateway
	admin   *admin.API
	console *console.Console // nil when it is off
	ready   http.Handler
}

// newHandler mounts every endpoint on one mux, behind the middleware
// chain.
func newHandler(cfg *config.Config, opt Options, e endpoints, addrs *clientaddr.Resolver) http.Handler {
	mux := http.NewServeMux()
	e.auth.Routes(mux)
	e.gateway.Routes(mux)
	if adminEnabled(cfg) {
		e.admin.Routes(mux)
	}
	if e.console != nil {
		e.console.Routes(mux)
	}
	mux.HandleFunc("/healthz", healthz)
	mux.Handle("/readyz", e.ready)
	// The connection doctor's test stream: tiny, unauthenticated, bounded.
	mux.Handle(doctor.StreamPath, doctor.NewStreamHandler(opt.Now))
	mux.HandleFunc("/{$}", home(cfg))
	return chain(mux, opt.Log, opt.TracerProvider, spanNamer(cfg), addrs)
}
